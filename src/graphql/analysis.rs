//! Aggregater, fargetabeller (colour tables), trendgrafer, nøkkeltall (key figures) and the
//! national kulturskole aggregation.
//!
//! Each query loads what it needs in a constant number of statements, whatever the number of
//! units, indicators or years: the indicators and their data sources (through the request's
//! DataLoader), the units of the kinds the indicators apply to, and every stored value of those
//! indicators, years and group at unit, owner and nation level in one statement. Then it computes
//! in memory with the pure domain functions. Every stored value is read through
//! [`domain::IndicatorValue::shown`] (prikking), and restricted sources are gated by the caller's
//! [`RestrictedScope`] per unit cell and per aggregate.

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, SimpleObject};

use super::{
    enums::{Colour, SuppressionReason},
    error::{ApiError, ApiResult},
    loaders::IndicatorCode,
    objects::{Indicator, Owner, SchoolYear, Unit, loader, principal},
};
use crate::{
    domain::{
        self, AggregationMethod, ColourMode, DataSourceId, IndicatorId, OwnerId, RestrictedScope,
        SchoolYear as DomainSchoolYear, Sensitivity, SubjectLevel, UnitId, UnitKind, ValueGroup,
        Visibility,
    },
    store::{AnalysisFilter, Store},
};

/// Who an aggregate describes.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A skoleeier: its published value, or computed over its units active that year.
    Owner(OwnerId),
    /// Nasjonalt: the published national value, or computed over all units active that year.
    Nation,
    /// A chosen set of units (an utvalg, a list of organisasjonsnummer), always computed.
    Members(&'a [UnitId]),
}

/// One number as the API shows it: a unit's value or an aggregate, after prikking and access.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figure {
    pub value: Option<f64>,
    pub n: Option<i64>,
    pub reason: Option<SuppressionReason>,
    /// Computed by Varde from members (false: a value as stored, published by its source).
    pub computed: bool,
    /// Members the indicator applies to.
    pub members: usize,
    /// (counted, suppressed, missing), for computed aggregates only.
    pub coverage: Option<(usize, usize, usize)>,
}

impl Figure {
    fn not_permitted(members: usize) -> Self {
        Self {
            reason: Some(SuppressionReason::NotPermitted),
            members,
            ..Self::default()
        }
    }

    fn shown(visibility: Visibility) -> Self {
        match visibility {
            Visibility::Visible { value, respondents } => Self {
                value: Some(value),
                n: respondents,
                ..Self::default()
            },
            Visibility::Suppressed(reason) => Self {
                reason: Some(reason.into()),
                ..Self::default()
            },
            Visibility::Missing => Self::default(),
        }
    }

    pub fn suppressed(&self) -> bool {
        self.reason.is_some()
    }
}

/// Everything one analysis request reads, loaded up front.
pub struct Analysis {
    indicators: Vec<domain::Indicator>,
    sources: HashMap<DataSourceId, domain::DataSource>,
    units: Vec<domain::Unit>,
    unit_values: HashMap<(IndicatorId, UnitId, i32), domain::IndicatorValue>,
    owner_values: HashMap<(IndicatorId, OwnerId, i32), domain::IndicatorValue>,
    nation_values: HashMap<(IndicatorId, i32), domain::IndicatorValue>,
    scope: RestrictedScope,
}

fn store<'a>(ctx: &'a Context<'_>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

/// Parses the `group` argument.
pub fn group(code: &str) -> ApiResult<ValueGroup> {
    Ok(ValueGroup::parse(code)?)
}

impl Analysis {
    /// Loads the indicators by code (in the order given), their sources, the units of the kinds
    /// they apply to (only `only_kind` when given) and their stored values for `years`.
    pub async fn load(
        ctx: &Context<'_>,
        codes: &[String],
        years: &[DomainSchoolYear],
        group: ValueGroup,
        only_kind: Option<UnitKind>,
    ) -> ApiResult<Self> {
        let mut seen = HashSet::new();
        let codes: Vec<&String> = codes.iter().filter(|code| seen.insert(*code)).collect();
        if codes.is_empty() {
            return Err(ApiError::BadUserInput(
                "give at least one indicator code in `indicators`".into(),
            ));
        }
        let mut found = loader(ctx)
            .load_many(codes.iter().map(|code| IndicatorCode((*code).clone())))
            .await
            .map_err(ApiError::from)?;
        let mut indicators = Vec::with_capacity(codes.len());
        for code in codes {
            let indicator = found.remove(&IndicatorCode(code.clone())).ok_or_else(|| {
                ApiError::BadUserInput(format!(
                    "unknown indicator code {code:?}; the `indicators` query lists them"
                ))
            })?;
            if let Some(kind) = only_kind
                && !indicator.applies_to.contains(&kind)
            {
                return Err(ApiError::BadUserInput(format!(
                    "indicator {code:?} does not apply to units of kind {}",
                    kind.as_str()
                )));
            }
            indicators.push(indicator);
        }
        let sources = loader(ctx)
            .load_many(indicators.iter().map(|indicator| indicator.source_id))
            .await
            .map_err(ApiError::from)?;
        let mut kinds: Vec<UnitKind> = match only_kind {
            Some(kind) => vec![kind],
            None => indicators
                .iter()
                .flat_map(|indicator| indicator.applies_to.iter().copied())
                .collect(),
        };
        kinds.sort_by_key(|kind| kind.as_str());
        kinds.dedup();
        let units = store(ctx).units_of_kinds(&kinds).await?;
        let filter = AnalysisFilter {
            indicators: indicators.iter().map(|indicator| indicator.id).collect(),
            school_years: years.to_vec(),
            group,
        };
        let levels = [
            SubjectLevel::Unit,
            SubjectLevel::Owner,
            SubjectLevel::Nation,
        ];
        let values = store(ctx).values_for_analysis(&filter, &levels).await?;
        let mut analysis = Self {
            indicators,
            sources,
            units,
            unit_values: HashMap::new(),
            owner_values: HashMap::new(),
            nation_values: HashMap::new(),
            scope: principal(ctx).grants.restricted_scope(),
        };
        for value in values {
            let year = value.school_year.start_year();
            match value.subject {
                domain::Subject::Unit(unit) => {
                    analysis
                        .unit_values
                        .insert((value.indicator_id, unit, year), value);
                }
                domain::Subject::Owner(owner) => {
                    analysis
                        .owner_values
                        .insert((value.indicator_id, owner, year), value);
                }
                domain::Subject::Nation => {
                    analysis
                        .nation_values
                        .insert((value.indicator_id, year), value);
                }
                domain::Subject::County(_) => {}
            }
        }
        Ok(analysis)
    }

    pub fn indicators(&self) -> &[domain::Indicator] {
        &self.indicators
    }

    pub fn units(&self) -> &[domain::Unit] {
        &self.units
    }

    fn is_restricted(&self, indicator: &domain::Indicator) -> bool {
        // A source that failed to load is treated as restricted: default deny.
        self.sources
            .get(&indicator.source_id)
            .is_none_or(|source| source.sensitivity == Sensitivity::Restricted)
    }

    fn threshold(&self, indicator: &domain::Indicator) -> i64 {
        self.sources
            .get(&indicator.source_id)
            .map_or(i64::MAX, |source| source.suppression_threshold)
    }

    /// The member units an aggregate of `indicator` counts: units of a kind it applies to.
    pub fn members(
        &self,
        indicator: &domain::Indicator,
        subject: Subject<'_>,
        year: DomainSchoolYear,
    ) -> Vec<&domain::Unit> {
        let applies = |unit: &&domain::Unit| indicator.applies_to.contains(&unit.kind);
        match subject {
            Subject::Owner(owner) => self
                .units
                .iter()
                .filter(|unit| unit.owner_id == owner && unit.is_active_in(year))
                .filter(applies)
                .collect(),
            Subject::Nation => self
                .units
                .iter()
                .filter(|unit| unit.is_active_in(year))
                .filter(applies)
                .collect(),
            Subject::Members(units) => self
                .units
                .iter()
                .filter(|unit| units.contains(&unit.id))
                .filter(applies)
                .collect(),
        }
    }

    /// A unit's own value of `indicator` in `year`, after prikking and access.
    pub fn unit_figure(
        &self,
        indicator: &domain::Indicator,
        unit: &domain::Unit,
        year: DomainSchoolYear,
    ) -> Figure {
        if self.is_restricted(indicator) && !self.scope.may_read_unit(unit.id, unit.owner_id) {
            return Figure::not_permitted(1);
        }
        let figure = self
            .unit_values
            .get(&(indicator.id, unit.id, year.start_year()))
            .map_or_else(Figure::default, |value| Figure::shown(value.shown()));
        Figure {
            members: 1,
            ..figure
        }
    }

    /// The aggregate of `indicator` for `subject` in `year`: a published owner or national value
    /// as stored (never recomputed); otherwise computed over the members visible themselves.
    pub fn aggregate(
        &self,
        indicator: &domain::Indicator,
        subject: Subject<'_>,
        year: DomainSchoolYear,
    ) -> Figure {
        let members = self.members(indicator, subject, year);
        if self.is_restricted(indicator) {
            let permitted = match subject {
                Subject::Owner(owner) => self.scope.may_read_aggregate(Some(owner)),
                Subject::Nation => self.scope.may_read_aggregate(None),
                Subject::Members(_) => self
                    .scope
                    .may_read_members(members.iter().map(|unit| (unit.id, unit.owner_id))),
            };
            if !permitted {
                return Figure::not_permitted(members.len());
            }
        }
        let published = match subject {
            Subject::Owner(owner) => {
                self.owner_values
                    .get(&(indicator.id, owner, year.start_year()))
            }
            Subject::Nation => self.nation_values.get(&(indicator.id, year.start_year())),
            Subject::Members(_) => None,
        };
        if let Some(published) = published {
            return Figure {
                members: members.len(),
                ..Figure::shown(published.shown())
            };
        }
        let visibilities: Vec<Visibility> = members
            .iter()
            .map(|unit| {
                self.unit_values
                    .get(&(indicator.id, unit.id, year.start_year()))
                    .map_or(Visibility::Missing, domain::IndicatorValue::shown)
            })
            .collect();
        let method = AggregationMethod::for_unit(indicator.unit_of_measure);
        let result = domain::aggregate(method, &visibilities, self.threshold(indicator));
        let reason = if result.below_threshold {
            Some(SuppressionReason::BelowThreshold)
        } else if result.counted == 0 {
            // Every member with a value is hidden: the aggregate is as hidden as they are.
            visibilities.iter().find_map(|visibility| match visibility {
                Visibility::Suppressed(reason) => Some((*reason).into()),
                _ => None,
            })
        } else {
            None
        };
        Figure {
            value: result.value,
            n: result.respondents,
            reason,
            computed: true,
            members: result.members,
            coverage: Some((result.counted, result.suppressed, result.missing)),
        }
    }

    /// The colour `domain::classify` gives `figure` by the indicator's rule; relative rules
    /// compare with the owner's or the nation's aggregate the same year.
    pub fn colour(
        &self,
        indicator: &domain::Indicator,
        figure: &Figure,
        owner: Option<OwnerId>,
        year: DomainSchoolYear,
    ) -> Colour {
        let reference = match indicator.colour_rule.mode {
            ColourMode::RelativeOwner => {
                owner.and_then(|owner| self.aggregate(indicator, Subject::Owner(owner), year).value)
            }
            ColourMode::RelativeNational => self.aggregate(indicator, Subject::Nation, year).value,
            ColourMode::Absolute | ColourMode::None => None,
        };
        domain::classify(
            figure.value,
            &indicator.colour_rule,
            indicator.direction,
            reference,
        )
        .into()
    }
}

fn count(number: usize) -> i32 {
    i32::try_from(number).unwrap_or(i32::MAX)
}

/// Aggregat: one indicator's value for a skoleeier, an utvalg or the nation, either as published
/// by the source or computed by Varde as an n-weighted mean (or sum, for counts) over the members
/// that are visible themselves, so that no prikket value can be worked out by differencing.
#[derive(SimpleObject)]
pub struct Aggregate {
    /// Indikator the aggregate is of.
    indicator: Indicator,
    /// Skoleår of the aggregate.
    school_year: SchoolYear,
    /// Verdi: null when prikket (suppressed), not permitted, or when nothing could be counted.
    value: Option<f64>,
    /// Antall (n): total respondents behind the value; null when prikket.
    n: Option<i64>,
    /// Prikket: true when the aggregate is hidden (suppressed or not permitted).
    suppressed: bool,
    /// Why the aggregate is prikket; null when it is shown.
    suppression_reason: Option<SuppressionReason>,
    /// Beregnet: true when Varde computed it from the members; false when the source published a
    /// value for the subject (skoleeier or nasjonalt), which is then used as it is.
    computed: bool,
    /// Medlemmer: member enheter (units) the indikator applies to.
    members: i32,
    /// Medlemmer tatt med: members counted in a computed aggregate; null for a published value.
    members_counted: Option<i32>,
    /// Medlemmer prikket: members left out because their own value is prikket; null for a
    /// published value.
    members_suppressed: Option<i32>,
    /// Medlemmer uten verdi: members left out for lack of a value (or of n for a weighted mean);
    /// null for a published value.
    members_missing: Option<i32>,
}

impl Aggregate {
    pub fn new(indicator: &domain::Indicator, year: DomainSchoolYear, figure: Figure) -> Self {
        let coverage = figure.coverage;
        Self {
            indicator: Indicator(indicator.clone()),
            school_year: SchoolYear(year),
            value: figure.value,
            n: figure.n,
            suppressed: figure.suppressed(),
            suppression_reason: figure.reason,
            computed: figure.computed,
            members: count(figure.members),
            members_counted: coverage.map(|c| count(c.0)),
            members_suppressed: coverage.map(|c| count(c.1)),
            members_missing: coverage.map(|c| count(c.2)),
        }
    }
}

/// Celle i fargetabellen (colour table cell): one indicator's value for a row, with its colour.
#[derive(SimpleObject)]
pub struct ColourCell {
    /// Indikator of the cell (the column).
    indicator: Indicator,
    /// Verdi: null when prikket (suppressed), not permitted or missing.
    value: Option<f64>,
    /// Antall (n) behind the value; null when prikket.
    n: Option<i64>,
    /// Prikket: true when the value is hidden (suppressed or not permitted).
    suppressed: bool,
    /// Why the value is prikket; null when it is shown.
    suppression_reason: Option<SuppressionReason>,
    /// Farge by the indikator's fargeregel (colour rule); NONE when not classified.
    colour: Colour,
}

impl ColourCell {
    pub fn new(indicator: &domain::Indicator, figure: Figure, colour: Colour) -> Self {
        Self {
            indicator: Indicator(indicator.clone()),
            value: figure.value,
            n: figure.n,
            suppressed: figure.suppressed(),
            suppression_reason: figure.reason,
            colour,
        }
    }
}

/// Rad i fargetabellen: one enhet (unit) with a cell per indikator.
#[derive(SimpleObject)]
pub struct ColourTableRow {
    /// Enhet (unit) of the row.
    unit: Unit,
    /// Celler: one per indikator, in the order asked for.
    cells: Vec<ColourCell>,
}

/// Referanserad i fargetabellen: the skoleeier's or the nation's values (published, or computed
/// over the visible members) to read the unit rows against.
#[derive(SimpleObject)]
pub struct ColourTableReferenceRow {
    /// Navn: the skoleeier's name, or "Nasjonalt".
    label: String,
    /// Skoleeier (owner) of the row; null for the national row.
    owner: Option<Owner>,
    /// Celler: one per indikator, in the order asked for.
    cells: Vec<ColourCell>,
}

/// Fargetabell (colour table): enheter x indikatorer for one skoleår, each cell coloured GREEN /
/// YELLOW / RED / NONE by its indikator's fargeregel, with the skoleeier and the nation as
/// reference rows.
#[derive(SimpleObject)]
pub struct ColourTable {
    /// Skoleår of the table.
    school_year: SchoolYear,
    /// Gruppe (e.g. "all", "trinn=7") of every value in the table.
    group: String,
    /// Rader: one per enhet (unit) that any of the indikatorer applies to.
    rows: Vec<ColourTableRow>,
    /// Skoleeiers rad (owner row); null for an utvalg across owners.
    owner_row: Option<ColourTableReferenceRow>,
    /// Nasjonal rad (national row).
    nation_row: ColourTableReferenceRow,
}

/// Builds a colour table over `units` (rows) for `year`, with `owner` as the owner row.
pub fn colour_table(
    analysis: &Analysis,
    units: Vec<domain::Unit>,
    owner: Option<domain::Owner>,
    year: DomainSchoolYear,
    group: ValueGroup,
) -> ColourTable {
    let indicators = analysis.indicators();
    let rows = units
        .into_iter()
        .filter(|unit| {
            indicators
                .iter()
                .any(|indicator| indicator.applies_to.contains(&unit.kind))
        })
        .map(|unit| {
            let cells = indicators
                .iter()
                .map(|indicator| {
                    let figure = analysis.unit_figure(indicator, &unit, year);
                    let colour = analysis.colour(indicator, &figure, Some(unit.owner_id), year);
                    ColourCell::new(indicator, figure, colour)
                })
                .collect();
            ColourTableRow {
                unit: Unit(unit),
                cells,
            }
        })
        .collect();
    let reference_cells = |subject: Subject<'_>, owner: Option<domain::OwnerId>| {
        indicators
            .iter()
            .map(|indicator| {
                let figure = analysis.aggregate(indicator, subject, year);
                let colour = analysis.colour(indicator, &figure, owner, year);
                ColourCell::new(indicator, figure, colour)
            })
            .collect()
    };
    let owner_row = owner.map(|owner| ColourTableReferenceRow {
        label: owner.name.clone(),
        cells: reference_cells(Subject::Owner(owner.id), Some(owner.id)),
        owner: Some(Owner(owner)),
    });
    ColourTable {
        school_year: SchoolYear(year),
        group: group.code(),
        rows,
        owner_row,
        nation_row: ColourTableReferenceRow {
            label: "Nasjonalt".into(),
            owner: None,
            cells: reference_cells(Subject::Nation, None),
        },
    }
}

/// Punkt i trendgrafen: one skoleår of a series, with the change from the year before and the
/// skoleeier's and nation's values as references.
#[derive(SimpleObject)]
pub struct TrendPoint {
    /// Skoleår of the point.
    school_year: SchoolYear,
    /// Verdi: null when prikket (suppressed), not permitted or missing.
    value: Option<f64>,
    /// Antall (n) behind the value; null when prikket.
    n: Option<i64>,
    /// Prikket: true when the value is hidden (suppressed or not permitted).
    suppressed: bool,
    /// Why the value is prikket; null when it is shown.
    suppression_reason: Option<SuppressionReason>,
    /// Endring (change) from the skoleår before; null across a gap or a hidden value.
    change: Option<f64>,
    /// Skoleeiers verdi (the owner's value) the same skoleår, as an aggregate.
    owner_value: Option<f64>,
    /// Nasjonal verdi (the national value) the same skoleår, as an aggregate.
    nation_value: Option<f64>,
}

/// Trendgraf (trend series): one indikator for one enhet or skoleeier over the skoleår that hold
/// data, with year-on-year change.
#[derive(SimpleObject)]
pub struct Trend {
    /// Indikator of the series.
    indicator: Indicator,
    /// Enhet (unit) the series describes, when asked for a unit.
    unit: Option<Unit>,
    /// Skoleeier (owner) the series describes, or the unit's owner.
    owner: Option<Owner>,
    /// Gruppe (e.g. "all") of the series.
    group: String,
    /// Punkter: one per skoleår, oldest first.
    points: Vec<TrendPoint>,
}

/// Builds the trend of the analysis' only indicator for a unit or an owner over `years`.
pub fn trend(
    analysis: &Analysis,
    unit: Option<domain::Unit>,
    owner: domain::Owner,
    years: &[DomainSchoolYear],
    group: ValueGroup,
) -> Trend {
    let indicator = &analysis.indicators()[0];
    let figures: Vec<Figure> = years
        .iter()
        .map(|&year| match &unit {
            Some(unit) => analysis.unit_figure(indicator, unit, year),
            None => analysis.aggregate(indicator, Subject::Owner(owner.id), year),
        })
        .collect();
    let series: Vec<(DomainSchoolYear, Option<f64>)> = years
        .iter()
        .zip(&figures)
        .map(|(&year, figure)| (year, figure.value))
        .collect();
    let changes: HashMap<i32, Option<f64>> = domain::trend(&series)
        .into_iter()
        .map(|point| (point.school_year.start_year(), point.change))
        .collect();
    let points = years
        .iter()
        .zip(figures)
        .map(|(&year, figure)| TrendPoint {
            school_year: SchoolYear(year),
            value: figure.value,
            n: figure.n,
            suppressed: figure.suppressed(),
            suppression_reason: figure.reason,
            change: changes.get(&year.start_year()).copied().flatten(),
            owner_value: analysis
                .aggregate(indicator, Subject::Owner(owner.id), year)
                .value,
            nation_value: analysis.aggregate(indicator, Subject::Nation, year).value,
        })
        .collect();
    Trend {
        indicator: Indicator(indicator.clone()),
        unit: unit.map(Unit),
        owner: Some(Owner(owner)),
        group: group.code(),
        points,
    }
}

/// Nøkkeltall for one indikator: the skoleeier's value beside the national value.
#[derive(SimpleObject)]
pub struct KeyFigure {
    /// Indikator of the nøkkeltall.
    indicator: Indicator,
    /// Skoleeiers verdi (the owner's aggregate).
    owner_value: Aggregate,
    /// Nasjonal verdi (the national aggregate).
    nation_value: Aggregate,
}

/// Nøkkelinformasjon (key figures) on the skoleeier's start page: per indikator the owner's value
/// beside the national value for one skoleår.
#[derive(SimpleObject)]
pub struct KeyFigures {
    /// Skoleeier (owner) the figures are for.
    owner: Owner,
    /// Skoleår of the figures.
    school_year: SchoolYear,
    /// Nøkkeltall: one per indikator, in the order asked for.
    figures: Vec<KeyFigure>,
}

pub fn key_figures(
    analysis: &Analysis,
    owner: domain::Owner,
    year: DomainSchoolYear,
) -> KeyFigures {
    let figures = analysis
        .indicators()
        .iter()
        .map(|indicator| KeyFigure {
            indicator: Indicator(indicator.clone()),
            owner_value: Aggregate::new(
                indicator,
                year,
                analysis.aggregate(indicator, Subject::Owner(owner.id), year),
            ),
            nation_value: Aggregate::new(
                indicator,
                year,
                analysis.aggregate(indicator, Subject::Nation, year),
            ),
        })
        .collect();
    KeyFigures {
        owner: Owner(owner),
        school_year: SchoolYear(year),
        figures,
    }
}

/// Rad i kulturskoleaggregeringen: one skoleeier with its kulturskoler's aggregates.
#[derive(SimpleObject)]
pub struct ArtsSchoolOwnerRow {
    /// Skoleeier (owner) of the kulturskoler.
    owner: Owner,
    /// Antall kulturskoler (arts schools) of the owner active that skoleår.
    arts_schools: i32,
    /// Aggregater: one per indikator, in the order asked for, with their coverage.
    aggregates: Vec<Aggregate>,
}

/// Nasjonal rad i kulturskoleaggregeringen: every kulturskole in the country.
#[derive(SimpleObject)]
pub struct ArtsSchoolNationRow {
    /// Antall kulturskoler (arts schools) active that skoleår.
    arts_schools: i32,
    /// Aggregater: one per indikator, in the order asked for, with their coverage.
    aggregates: Vec<Aggregate>,
}

/// Nasjonal kulturskoleaggregering (for Norsk kulturskoleråd): per skoleeier with a kulturskole
/// and for the nation, the aggregates of indikatorer across datakilder (the kulturskole pupil and
/// parent surveys, GSI, KOSTRA).
#[derive(SimpleObject)]
pub struct ArtsSchoolAggregation {
    /// Skoleår of the aggregation.
    school_year: SchoolYear,
    /// Skoleeiere (owners) that have a kulturskole that skoleår, by name.
    owners: Vec<ArtsSchoolOwnerRow>,
    /// Nasjonalt: all kulturskoler.
    nation: ArtsSchoolNationRow,
}

pub fn arts_school_aggregation(
    analysis: &Analysis,
    owners: Vec<domain::Owner>,
    year: DomainSchoolYear,
) -> ArtsSchoolAggregation {
    let aggregates = |subject: Subject<'_>| {
        analysis
            .indicators()
            .iter()
            .map(|indicator| {
                Aggregate::new(
                    indicator,
                    year,
                    analysis.aggregate(indicator, subject, year),
                )
            })
            .collect()
    };
    let active = |owner: Option<OwnerId>| {
        analysis
            .units()
            .iter()
            .filter(|unit| unit.kind == UnitKind::ArtsSchool && unit.is_active_in(year))
            .filter(|unit| owner.is_none_or(|owner| unit.owner_id == owner))
            .count()
    };
    let rows = owners
        .into_iter()
        .map(|owner| ArtsSchoolOwnerRow {
            arts_schools: count(active(Some(owner.id))),
            aggregates: aggregates(Subject::Owner(owner.id)),
            owner: Owner(owner),
        })
        .filter(|row| row.arts_schools > 0)
        .collect();
    ArtsSchoolAggregation {
        school_year: SchoolYear(year),
        owners: rows,
        nation: ArtsSchoolNationRow {
            arts_schools: count(active(None)),
            aggregates: aggregates(Subject::Nation),
        },
    }
}

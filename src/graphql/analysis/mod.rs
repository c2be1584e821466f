//! Aggregater, fargetabeller (colour tables), trendgrafer, nøkkeltall (key figures) and the
//! national kulturskole aggregation: the analysis root fields, merged into the query root.
//!
//! Each query loads what it needs in a constant number of statements, whatever the number of
//! units, indicators or years: the indicators and their data sources (through the request's
//! DataLoader), the units of the kinds the indicators apply to, and the values of those
//! indicators, years and group through the caller's scoped reader. The figures themselves are
//! computed by the pure [`domain::Dataset`]; this module only loads and shapes the answers.

mod aggregate;
mod arts_school;
mod colour_table;
mod key_figures;
mod trend;

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, Object};

pub use aggregate::Aggregate;
pub use arts_school::ArtsSchoolAggregation;
pub use colour_table::ColourTable;
pub use key_figures::KeyFigures;
pub use trend::Trend;

use super::{
    error::{ApiError, ApiResult},
    inputs::{
        GroupInput, IndicatorRef, OwnerRef, ResolvedSubject, SubjectRef, TrendSubjectRef,
        UnitSetRef,
    },
    loaders::IndicatorCode,
    objects::{load_reference, loader, reader, store},
};
use crate::{
    domain::{self, AggregateSubject, Dataset, OwnerId, SchoolYear, UnitId, UnitKind, ValueGroup},
    store::{AnalysisFilter, ScopedReader, Store, StoreResult},
};

/// Clamps a count into GraphQL's `Int`.
fn count(number: usize) -> i32 {
    i32::try_from(number).unwrap_or(i32::MAX)
}

/// Whose figures an analysis shows, which decides whose unit values it reads: those owners' and
/// units' (with the units' owners, since a colour table colours a unit against its owner), and
/// other owners' only where a national figure needs them (see `store::AnalysisFilter::owners`).
enum Shown<'a> {
    /// Every owner (the national kulturskole aggregation).
    Everyone,
    Only {
        owners: Vec<OwnerId>,
        units: &'a [UnitId],
    },
}

impl<'a> Shown<'a> {
    /// An aggregate's or a colour table's subject: an owner, an utvalg's or a chosen set's units
    /// (and the utvalg's owner), or the nation alone.
    fn subject(subject: &'a ResolvedSubject) -> Self {
        match subject {
            ResolvedSubject::Owner(owner) => Self::owner(owner.id),
            ResolvedSubject::Members { owner, units } => Self::Only {
                owners: owner.iter().map(|owner| owner.id).collect(),
                units,
            },
            ResolvedSubject::Nation => Self::Only {
                owners: Vec::new(),
                units: &[],
            },
        }
    }

    fn owner(owner: OwnerId) -> Self {
        Self::Only {
            owners: vec![owner],
            units: &[],
        }
    }

    /// The owners whose unit values to read (`None`: every owner's).
    fn owners(self, units: &[domain::Unit]) -> Option<Vec<OwnerId>> {
        let Self::Only {
            mut owners,
            units: shown,
        } = self
        else {
            return None;
        };
        let shown: HashSet<&UnitId> = shown.iter().collect();
        owners.extend(
            units
                .iter()
                .filter(|unit| shown.contains(&unit.id))
                .map(|unit| unit.owner_id),
        );
        owners.sort();
        owners.dedup();
        Some(owners)
    }
}

/// Loads the indicators by code (in the order given, each once), their sources, the units of the
/// kinds they apply to (only `only_kind` when given) and the caller's values for `years` that the
/// figures of `shown` need.
async fn load_dataset(
    ctx: &Context<'_>,
    codes: &[String],
    years: &[SchoolYear],
    group: ValueGroup,
    only_kind: Option<UnitKind>,
    shown: Shown<'_>,
) -> ApiResult<Dataset> {
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
        let indicator = found
            .remove(&IndicatorCode(code.clone()))
            .ok_or_else(|| unknown_indicator(code))?;
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
    let kinds = match only_kind {
        Some(kind) => vec![kind],
        None => kinds_of(&indicators),
    };
    let units = store(ctx).units_of_kinds(&kinds).await?;
    let filter = AnalysisFilter {
        indicators: indicators.iter().map(|indicator| indicator.id).collect(),
        school_years: years.to_vec(),
        group,
        every_group_of: indicators
            .iter()
            .filter(|indicator| {
                sources
                    .get(&indicator.source_id)
                    .is_none_or(|source| source.sensitivity == domain::Sensitivity::Restricted)
            })
            .map(|indicator| indicator.id)
            .collect(),
        owners: shown.owners(&units),
        unit_kinds: kinds,
    };
    let values = reader(ctx).values_for_analysis(&filter).await?;
    Ok(Dataset::new(
        indicators,
        sources.into_values(),
        units,
        values,
        reader(ctx).scope().clone(),
        group,
    ))
}

/// The analysis queries: "Hvor er vi?"
#[derive(Default)]
pub struct AnalysisQuery;

#[Object]
impl AnalysisQuery {
    /// Aggregat: indikatorer for a skoleeier, an utvalg, a set of enheter or the nation in one
    /// skoleår: a value published by the source for the owner or nation is used as it is;
    /// otherwise Varde computes an n-weighted mean (a sum for counts) over the members whose own
    /// values are visible, so that no prikket (suppressed) value can be derived. Restricted
    /// (local survey) aggregates: of a skoleeier for its own roles and national roles, of the
    /// nation for national roles, of an utvalg or a set of units only for a caller who may read
    /// every member on its own (otherwise two sets differing in one enhet would reveal it).
    async fn aggregate(
        &self,
        ctx: &Context<'_>,
        subject: SubjectRef,
        #[graphql(desc = "Codes of the indikatorer, e.g. `ke_trivsel`; a set.")] indicators: Vec<
            String,
        >,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Gruppe; everyone when absent.")] group: Option<GroupInput>,
    ) -> ApiResult<Vec<Aggregate>> {
        let year = SchoolYear::new(school_year)?;
        let group = GroupInput::group_of(group.as_ref())?;
        let subject = subject.resolve(ctx).await?;
        let shown = Shown::subject(&subject);
        let dataset = load_dataset(ctx, &indicators, &[year], group, None, shown).await?;
        let subject = match &subject {
            ResolvedSubject::Owner(owner) => AggregateSubject::Owner(owner.id),
            ResolvedSubject::Members { units, .. } => AggregateSubject::Members(units),
            ResolvedSubject::Nation => AggregateSubject::Nation,
        };
        Ok(dataset
            .indicators()
            .iter()
            .zip(dataset.aggregates(subject, year))
            .map(|(indicator, figure)| Aggregate::new(indicator, year, figure))
            .collect())
    }

    /// Fargetabell (colour table): the enheter of a skoleeier (its units active that skoleår), an
    /// utvalg or a set of enheter against indikatorer, each cell coloured by the indikator's
    /// fargeregel, with skoleeier and national reference rows.
    async fn colour_table(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose enheter make the rows.")] rows: UnitSetRef,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Codes of the indikatorer (the columns), in order; a set.")]
        indicators: Vec<String>,
        #[graphql(desc = "Gruppe; everyone when absent.")] group: Option<GroupInput>,
    ) -> ApiResult<ColourTable> {
        let year = SchoolYear::new(school_year)?;
        let group = GroupInput::group_of(group.as_ref())?;
        let rows = rows.resolve(ctx).await?;
        let shown = Shown::subject(&rows);
        let dataset = load_dataset(ctx, &indicators, &[year], group, None, shown).await?;
        colour_table::build(ctx, &dataset, rows, year, group).await
    }

    /// Trendgraf (trend series): one indikator for one enhet or skoleeier over every skoleår,
    /// with change from the year before and the skoleeier's and nation's values beside it.
    async fn trend(
        &self,
        ctx: &Context<'_>,
        indicator: IndicatorRef,
        #[graphql(desc = "The enhet or skoleeier the series describes.")] subject: TrendSubjectRef,
        #[graphql(desc = "Gruppe; everyone when absent.")] group: Option<GroupInput>,
    ) -> ApiResult<Trend> {
        let group = GroupInput::group_of(group.as_ref())?;
        let (unit, owner) = match &subject {
            TrendSubjectRef::Unit(unit) => {
                let unit = unit.resolve(ctx).await?;
                let owner = load_reference(ctx, unit.owner_id).await?;
                (Some(unit), owner)
            }
            TrendSubjectRef::Owner(owner) => (None, owner.resolve(ctx, None).await?),
        };
        let code = indicator.code(ctx).await?;
        let years = store(ctx).school_years().await?;
        let shown = Shown::owner(owner.id);
        let dataset = load_dataset(ctx, &[code], &years, group, None, shown).await?;
        Ok(trend::build(&dataset, unit, owner, &years, group))
    }

    /// Nøkkelinformasjon (key figures) for a skoleeier's start page: per indikator the owner's
    /// value beside the national value in one skoleår.
    async fn key_figures(
        &self,
        ctx: &Context<'_>,
        owner: OwnerRef,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Codes of the indikatorer, in order; a set.")] indicators: Vec<String>,
    ) -> ApiResult<KeyFigures> {
        let year = SchoolYear::new(school_year)?;
        let owner = owner.resolve(ctx, None).await?;
        let shown = Shown::owner(owner.id);
        let dataset = load_dataset(ctx, &indicators, &[year], ValueGroup::ALL, None, shown).await?;
        Ok(key_figures::build(&dataset, owner, year))
    }

    /// Nasjonal kulturskoleaggregering (for Norsk kulturskoleråd): for every kulturskole in the
    /// country, one row per skoleeier that has one and a national row, each with per-indikator
    /// aggregates and their coverage, across datakilder (pupil and parent surveys, GSI, KOSTRA).
    /// Restricted (local survey) aggregates need a national role or the owner's own role.
    async fn arts_school_aggregation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Codes of indikatorer that apply to kulturskoler, in order; a set.")]
        indicators: Vec<String>,
    ) -> ApiResult<ArtsSchoolAggregation> {
        let year = SchoolYear::new(school_year)?;
        let dataset = load_dataset(
            ctx,
            &indicators,
            &[year],
            ValueGroup::ALL,
            Some(domain::UnitKind::ArtsSchool),
            Shown::Everyone,
        )
        .await?;
        arts_school::build(ctx, &dataset, year).await
    }
}

/// One agenda item's data, its references looked up: what its analysis reads.
struct Planned {
    indicators: Vec<domain::Indicator>,
    years: Vec<SchoolYear>,
    owner: domain::Owner,
    unit: Option<domain::Unit>,
}

/// The kinds of unit any of `indicators` applies to, each once.
fn kinds_of<'a>(indicators: impl IntoIterator<Item = &'a domain::Indicator>) -> Vec<UnitKind> {
    let mut kinds: Vec<UnitKind> = indicators
        .into_iter()
        .flat_map(|indicator| indicator.applies_to.iter().copied())
        .collect();
    kinds.sort_by_key(|kind| kind.as_str());
    kinds.dedup();
    kinds
}

/// The refusal of an indicator code that names no indicator.
fn unknown_indicator(code: &str) -> ApiError {
    ApiError::BadUserInput(format!(
        "unknown indicator code {code:?}; the `indicators` query lists them"
    ))
}

/// The figures of agenda items' data (fargetabeller, nøkkeltall, trendgrafer), each as one
/// table, read through the caller's scoped reader and shown by the same disclosure rules as the
/// analysis queries: live for the reader, or frozen for the sender when an invitation goes out.
///
/// However many items, in a constant number of statements: the indicators, sources, owners,
/// units and years of all of them at once, and their values in the statements of one analysis
/// (`ScopedReader::values_for_analyses`), each table then computed from exactly the values its
/// own analysis would read. A reference that no longer resolves fails alone.
pub(crate) async fn figure_tables(
    store: &Store,
    reader: &ScopedReader,
    refs: &[domain::DataRef],
) -> StoreResult<HashMap<domain::DataRef, ApiResult<domain::FrozenTable>>> {
    use domain::DataRef;
    let mut codes: Vec<String> = Vec::new();
    let mut owners: Vec<OwnerId> = Vec::new();
    let mut trend_units: Vec<UnitId> = Vec::new();
    for data in refs {
        match data {
            DataRef::ColourTable {
                owner, indicators, ..
            }
            | DataRef::KeyFigures {
                owner, indicators, ..
            } => {
                codes.extend(indicators.iter().cloned());
                owners.push(OwnerId(*owner));
            }
            DataRef::Trend {
                indicator,
                owner,
                unit,
            } => {
                codes.push(indicator.clone());
                owners.push(OwnerId(*owner));
                trend_units.extend(unit.map(UnitId));
            }
        }
    }
    codes.sort();
    codes.dedup();
    owners.sort();
    owners.dedup();
    trend_units.sort();
    trend_units.dedup();
    let found: HashMap<String, domain::Indicator> = if codes.is_empty() {
        HashMap::new()
    } else {
        store
            .indicators_by_codes(&codes)
            .await?
            .into_iter()
            .map(|indicator| (indicator.code.clone(), indicator))
            .collect()
    };
    let mut source_ids: Vec<domain::DataSourceId> = found
        .values()
        .map(|indicator| indicator.source_id)
        .collect();
    source_ids.sort();
    source_ids.dedup();
    let sources = if source_ids.is_empty() {
        Vec::new()
    } else {
        store.data_sources(Some(&source_ids)).await?
    };
    let owners: HashMap<OwnerId, domain::Owner> = if owners.is_empty() {
        HashMap::new()
    } else {
        store
            .owners_by_ids(&owners)
            .await?
            .into_iter()
            .map(|owner| (owner.id, owner))
            .collect()
    };
    let trend_units: HashMap<UnitId, domain::Unit> = if trend_units.is_empty() {
        HashMap::new()
    } else {
        store
            .units_by_ids(&trend_units)
            .await?
            .into_iter()
            .map(|unit| (unit.id, unit))
            .collect()
    };
    let every_year = if refs
        .iter()
        .any(|data| matches!(data, DataRef::Trend { .. }))
    {
        store.school_years().await?
    } else {
        Vec::new()
    };
    let units = store.units_of_kinds(&kinds_of(found.values())).await?;

    let plan = |data: &DataRef| -> ApiResult<Planned> {
        let (codes, owner, unit, years) = match data {
            DataRef::ColourTable {
                owner,
                indicators,
                school_year,
            }
            | DataRef::KeyFigures {
                owner,
                indicators,
                school_year,
            } => (
                indicators.clone(),
                *owner,
                None,
                vec![SchoolYear::new(*school_year)?],
            ),
            DataRef::Trend {
                indicator,
                owner,
                unit,
            } => (vec![indicator.clone()], *owner, *unit, every_year.clone()),
        };
        let mut seen = HashSet::new();
        let indicators = codes
            .iter()
            .filter(|code| seen.insert(*code))
            .map(|code| {
                found
                    .get(code)
                    .cloned()
                    .ok_or_else(|| unknown_indicator(code))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let broken = |what: String| ApiError::from(crate::store::StoreError::BrokenReference(what));
        let owner = owners
            .get(&OwnerId(owner))
            .cloned()
            .ok_or_else(|| broken(format!("{:?}", OwnerId(owner))))?;
        let unit = match unit {
            Some(unit) => Some(
                trend_units
                    .get(&UnitId(unit))
                    .cloned()
                    .ok_or_else(|| broken(format!("{:?}", UnitId(unit))))?,
            ),
            None => None,
        };
        Ok(Planned {
            indicators,
            years,
            owner,
            unit,
        })
    };
    let plans: Vec<ApiResult<Planned>> = refs.iter().map(plan).collect();
    let restricted = |indicator: &domain::Indicator| {
        sources
            .iter()
            .find(|source| source.id == indicator.source_id)
            .is_none_or(|source| source.sensitivity == domain::Sensitivity::Restricted)
    };
    let filters: Vec<AnalysisFilter> = plans
        .iter()
        .flatten()
        .map(|plan| AnalysisFilter {
            indicators: plan
                .indicators
                .iter()
                .map(|indicator| indicator.id)
                .collect(),
            school_years: plan.years.clone(),
            group: ValueGroup::ALL,
            every_group_of: plan
                .indicators
                .iter()
                .filter(|indicator| restricted(indicator))
                .map(|indicator| indicator.id)
                .collect(),
            owners: Shown::owner(plan.owner.id).owners(&units),
            unit_kinds: kinds_of(&plan.indicators),
        })
        .collect();
    let mut values = reader.values_for_analyses(&filters).await?.into_iter();
    let mut tables = HashMap::with_capacity(refs.len());
    for (data, plan) in refs.iter().zip(plans) {
        let table = plan.map(|plan| {
            let kinds = kinds_of(&plan.indicators);
            let dataset = Dataset::new(
                plan.indicators.clone(),
                sources.clone(),
                units
                    .iter()
                    .filter(|unit| kinds.contains(&unit.kind))
                    .cloned()
                    .collect(),
                values.next().unwrap_or_default(),
                reader.scope().clone(),
                ValueGroup::ALL,
            );
            figure_table(data, &plan, &dataset)
        });
        tables.insert(data.clone(), table);
    }
    Ok(tables)
}

/// The figures of one agenda item's data, from the dataset its analysis read.
fn figure_table(data: &domain::DataRef, plan: &Planned, dataset: &Dataset) -> domain::FrozenTable {
    use domain::{DataRef, FrozenCell, FrozenRow, FrozenTable};
    let cell = |figure: &domain::Figure| FrozenCell::new(figure.value, figure.n, figure.reason);
    let coloured = |cells: Vec<domain::Cell>| -> Vec<FrozenCell> {
        cells
            .iter()
            .map(|c| cell(&c.figure).coloured(c.colour))
            .collect()
    };
    let owner = &plan.owner;
    let owner_row = |cells: Vec<FrozenCell>| FrozenRow {
        key: format!("owner:{}", owner.id.0),
        label: owner.name.clone(),
        cells,
    };
    let nation_row = |cells: Vec<FrozenCell>| FrozenRow {
        key: "nation".into(),
        label: "Nasjonalt".into(),
        cells,
    };
    let columns = || -> Vec<String> {
        dataset
            .indicators()
            .iter()
            .map(|i| i.code.clone())
            .collect()
    };
    match data {
        DataRef::ColourTable { .. } => {
            let year = plan.years[0];
            let units: Vec<domain::Unit> = dataset
                .units()
                .iter()
                .filter(|unit| unit.owner_id == owner.id && unit.is_active_in(year))
                .cloned()
                .collect();
            let figures = dataset.colour_table(units, Some(owner.id), year);
            let mut rows: Vec<FrozenRow> = figures
                .rows
                .into_iter()
                .map(|(unit, cells)| FrozenRow {
                    key: format!("unit:{}", unit.id.0),
                    label: unit.name,
                    cells: coloured(cells),
                })
                .collect();
            if let Some(cells) = figures.owner_row {
                rows.push(owner_row(coloured(cells)));
            }
            rows.push(nation_row(coloured(figures.nation_row)));
            FrozenTable {
                columns: columns(),
                rows,
            }
        }
        DataRef::KeyFigures { .. } => {
            let (owners, nations): (Vec<_>, Vec<_>) = dataset
                .key_figures(owner.id, plan.years[0])
                .iter()
                .map(|(o, n)| (cell(o), cell(n)))
                .unzip();
            FrozenTable {
                columns: columns(),
                rows: vec![owner_row(owners), nation_row(nations)],
            }
        }
        DataRef::Trend { .. } => {
            let subject = plan
                .unit
                .as_ref()
                .map_or_else(|| owner.name.clone(), |unit| unit.name.clone());
            FrozenTable {
                columns: vec![subject, owner.name.clone(), "Nasjonalt".into()],
                rows: dataset
                    .trend(plan.unit.as_ref(), owner.id, &plan.years)
                    .iter()
                    .map(|point| FrozenRow {
                        key: format!("year:{}", point.school_year.start_year()),
                        label: point.school_year.label(),
                        cells: vec![cell(&point.figure), cell(&point.owner), cell(&point.nation)],
                    })
                    .collect(),
            }
        }
    }
}

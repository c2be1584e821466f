//! The analysis behind "Hvor er vi?": unit cells, aggregates, colours, trends, key figures and the
//! national kulturskole rows, computed over plain data that the caller was allowed to read.
//!
//! A [`Dataset`] holds what one request loaded: indicators, the rules of their sources, units,
//! and stored values each tagged with the caller's [`ValueAccess`]. Every number that leaves it
//! passes through [`IndicatorValue::shown`] (prikking) and the caller's [`RestrictedScope`], and
//! every aggregate of restricted data through the disclosure rules of `domain::disclosure` (minimum
//! group size, complementary suppression), in [`Dataset::aggregate`].
//!
//! Any new figure made from restricted unit data (a level distribution of self-assessments, an
//! export, a meeting snapshot) must be computed through [`Dataset::aggregate`], so that it follows
//! the same disclosure rules as every other path; a new relation among restricted aggregates
//! (county aggregates over their kommuner) must be added to the table that `Dataset::protect_table`
//! protects.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
};

use super::{
    AggregationMethod, Colour, ColourMode, DataSource, DataSourceId, Indicator, IndicatorId,
    IndicatorValue, OwnerId, Part, Relation, RestrictedScope, SchoolYear, Sensitivity, Subject,
    SuppressionReason, TrendPoint, Unit, UnitId, UnitKind, ValueAccess, ValueGroup, Visibility,
    aggregate, classify, group_relations, protect_related, too_few_members, trend,
};

/// Who an aggregate describes.
#[derive(Debug, Clone, Copy)]
pub enum AggregateSubject<'a> {
    /// A skoleeier: its published value, or computed over its units active that year.
    Owner(OwnerId),
    /// Nasjonalt: the published national value, or computed over all units active that year.
    Nation,
    /// A chosen set of units (an utvalg, a list of organisasjonsnummer), always computed.
    Members(&'a [UnitId]),
}

/// How a computed aggregate was made: members counted and left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Coverage {
    pub counted: usize,
    pub suppressed: usize,
    pub missing: usize,
}

/// One number as the API shows it: a unit's value or an aggregate, after prikking and access.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figure {
    pub value: Option<f64>,
    pub n: Option<i64>,
    /// Why the figure is hidden; `None` when it is shown (or simply missing).
    pub reason: Option<SuppressionReason>,
    /// Computed by Varde from members (false: a value as stored, published by its source).
    pub computed: bool,
    /// Members the indicator applies to.
    pub members: usize,
    /// For computed aggregates only.
    pub coverage: Option<Coverage>,
}

impl Figure {
    fn not_permitted(members: usize) -> Self {
        Self {
            reason: Some(SuppressionReason::NotPermitted),
            members,
            ..Self::default()
        }
    }

    fn shown(visibility: Visibility, members: usize) -> Self {
        match visibility {
            Visibility::Visible { value, respondents } => Self {
                value: Some(value),
                n: respondents,
                members,
                ..Self::default()
            },
            Visibility::Suppressed(reason) => Self {
                reason: Some(reason),
                members,
                ..Self::default()
            },
            Visibility::Missing => Self {
                members,
                ..Self::default()
            },
        }
    }

    pub fn suppressed(&self) -> bool {
        self.reason.is_some()
    }

    /// This figure hidden for `reason`: value, `n` and the coverage counts withheld alike.
    fn withheld(self, reason: SuppressionReason) -> Self {
        Self {
            value: None,
            n: None,
            reason: Some(reason),
            coverage: None,
            ..self
        }
    }
}

/// An aggregate after prikking and the minimum group size, before complementary suppression, with
/// what its partition needs to know.
#[derive(Debug, Clone, Copy)]
struct Primary {
    figure: Figure,
    /// Members whose values entered the number (all members for a published value).
    counted: usize,
    /// Its total `n` as computed (0 when none), also when the figure is hidden.
    n: i64,
}

/// A cell of a colour table or a reference row: a figure with its colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub figure: Figure,
    pub colour: Colour,
}

/// A colour table's figures; cells follow [`Dataset::indicators`].
#[derive(Debug, Clone, PartialEq)]
pub struct ColourTableFigures {
    pub rows: Vec<(Unit, Vec<Cell>)>,
    pub owner_row: Option<Vec<Cell>>,
    pub nation_row: Vec<Cell>,
}

/// One school year of a trend, with the owner's and the nation's figures beside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendFigure {
    pub school_year: SchoolYear,
    pub figure: Figure,
    /// Change from the school year before; `None` across a gap or a hidden value.
    pub change: Option<f64>,
    pub owner: Figure,
    pub nation: Figure,
}

/// A row of the national kulturskole aggregation: the arts schools counted and one aggregate per
/// indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtsSchoolRow {
    pub arts_schools: usize,
    pub aggregates: Vec<Figure>,
}

/// The rules of a data source that figures need.
#[derive(Debug, Clone, Copy)]
struct SourceRules {
    restricted: bool,
    /// A computed aggregate resting on fewer respondents is itself suppressed.
    threshold: i64,
    /// Restricted aggregates for a caller who may not read every member need this many counted.
    min_group_size: usize,
}

/// An owner's (`Some`) or the nation's (`None`) aggregate of one group: a cell of the table that
/// complementary suppression protects.
type TableCell = (Option<OwnerId>, ValueGroup);

/// Per indicator and school year, the table cells complementary suppression hides.
type HiddenCells = HashMap<(IndicatorId, SchoolYear), Arc<HashSet<TableCell>>>;

/// Per indicator, owner (`None`: the nation) and school year, an aggregate already worked out.
type Figures = HashMap<(IndicatorId, Option<OwnerId>, SchoolYear), Figure>;

/// The value behind a lock that a panicking holder cannot have left half-changed (whole entries
/// are inserted, never edited).
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything one analysis reads, loaded up front by the caller: the figures of one group, and for
/// restricted indicators every group, since the groups bind each other ("all" is the sum of its
/// kjønn groups) and complementary suppression must see them together.
#[derive(Debug)]
pub struct Dataset {
    indicators: Vec<Indicator>,
    sources: HashMap<DataSourceId, SourceRules>,
    units: Vec<Unit>,
    /// Per owner, the indices of its units in `units`.
    units_of_owner: HashMap<OwnerId, Vec<usize>>,
    /// The group asked for.
    group: ValueGroup,
    /// Per indicator and school year, the groups stored for it.
    groups: HashMap<(IndicatorId, SchoolYear), Vec<ValueGroup>>,
    unit_values: HashMap<(IndicatorId, UnitId, SchoolYear, ValueGroup), IndicatorValue>,
    owner_values: HashMap<(IndicatorId, OwnerId, SchoolYear, ValueGroup), IndicatorValue>,
    nation_values: HashMap<(IndicatorId, SchoolYear, ValueGroup), IndicatorValue>,
    scope: RestrictedScope,
    /// The cells complementary suppression hides, per indicator and school year, decided once per
    /// request for the whole table (see [`Dataset::complementary`]).
    complementary: Mutex<HiddenCells>,
    /// The owner and national aggregates worked out so far in this request: a colour table asks
    /// for the same reference once per cell.
    figures: Mutex<Figures>,
}

impl Dataset {
    /// Builds the dataset from what the caller's scoped reader returned, for figures of `group`.
    /// Values the caller may not use at all ([`ValueAccess::Denied`]) never enter it.
    pub fn new(
        indicators: Vec<Indicator>,
        sources: impl IntoIterator<Item = DataSource>,
        units: Vec<Unit>,
        values: impl IntoIterator<Item = (IndicatorValue, ValueAccess)>,
        scope: RestrictedScope,
        group: ValueGroup,
    ) -> Self {
        let mut units_of_owner: HashMap<OwnerId, Vec<usize>> = HashMap::new();
        for (index, unit) in units.iter().enumerate() {
            units_of_owner.entry(unit.owner_id).or_default().push(index);
        }
        let mut dataset = Self {
            indicators,
            sources: sources
                .into_iter()
                .map(|source| {
                    let rules = SourceRules {
                        restricted: source.sensitivity == Sensitivity::Restricted,
                        threshold: source.suppression_threshold,
                        min_group_size: usize::try_from(source.min_group_size)
                            .unwrap_or(super::DEFAULT_MIN_GROUP_SIZE)
                            .max(1),
                    };
                    (source.id, rules)
                })
                .collect(),
            units,
            units_of_owner,
            group,
            groups: HashMap::new(),
            unit_values: HashMap::new(),
            owner_values: HashMap::new(),
            nation_values: HashMap::new(),
            scope,
            complementary: Mutex::default(),
            figures: Mutex::default(),
        };
        // A value of a unit the dataset does not have (one of a kind no indicator applies to)
        // counts in no figure, so it does not enter the dataset either.
        let known: HashSet<UnitId> = dataset.units.iter().map(|unit| unit.id).collect();
        for (value, access) in values {
            if access == ValueAccess::Denied
                || matches!(value.subject, Subject::Unit(unit) if !known.contains(&unit))
            {
                continue;
            }
            let (indicator, year, group) = (value.indicator_id, value.school_year, value.group);
            let groups = dataset.groups.entry((indicator, year)).or_default();
            if !groups.contains(&group) {
                groups.push(group);
            }
            match value.subject {
                Subject::Unit(unit) => {
                    dataset
                        .unit_values
                        .insert((indicator, unit, year, group), value);
                }
                Subject::Owner(owner) => {
                    dataset
                        .owner_values
                        .insert((indicator, owner, year, group), value);
                }
                Subject::Nation => {
                    dataset
                        .nation_values
                        .insert((indicator, year, group), value);
                }
                Subject::County(_) => {}
            }
        }
        dataset
    }

    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    fn is_restricted(&self, indicator: &Indicator) -> bool {
        // A source that failed to load is treated as restricted: default deny.
        self.sources
            .get(&indicator.source_id)
            .is_none_or(|source| source.restricted)
    }

    /// The member units an aggregate of `indicator` counts: units of a kind it applies to.
    fn members(
        &self,
        indicator: &Indicator,
        subject: AggregateSubject<'_>,
        year: SchoolYear,
    ) -> Vec<&Unit> {
        let applies = |unit: &&Unit| indicator.applies_to.contains(&unit.kind);
        match subject {
            AggregateSubject::Owner(owner) => self
                .units_of_owner
                .get(&owner)
                .into_iter()
                .flatten()
                .map(|&index| &self.units[index])
                .filter(applies)
                .filter(|unit| unit.is_active_in(year))
                .collect(),
            AggregateSubject::Nation => self
                .units
                .iter()
                .filter(applies)
                .filter(|unit| unit.is_active_in(year))
                .collect(),
            AggregateSubject::Members(units) => self
                .units
                .iter()
                .filter(applies)
                .filter(|unit| units.contains(&unit.id))
                .collect(),
        }
    }

    /// The stored value of a unit in `group` as this dataset may use it in an aggregate.
    fn unit_visibility(
        &self,
        indicator: &Indicator,
        unit: UnitId,
        year: SchoolYear,
        group: ValueGroup,
    ) -> Visibility {
        self.unit_values
            .get(&(indicator.id, unit, year, group))
            .map_or(Visibility::Missing, IndicatorValue::shown)
    }

    /// A unit's own value of `indicator` in `year`, after prikking and access.
    pub fn unit_figure(&self, indicator: &Indicator, unit: &Unit, year: SchoolYear) -> Figure {
        if self.is_restricted(indicator) && !self.scope.may_read_unit(unit.id, unit.owner_id) {
            return Figure::not_permitted(1);
        }
        Figure::shown(
            self.unit_visibility(indicator, unit.id, year, self.group),
            1,
        )
    }

    /// Whether the caller may read an aggregate of restricted data for `subject` at all.
    fn permitted(&self, subject: AggregateSubject<'_>, members: &[&Unit]) -> bool {
        match subject {
            AggregateSubject::Owner(owner) => self.scope.may_read_aggregate(Some(owner)),
            AggregateSubject::Nation => self.scope.may_read_aggregate(None),
            AggregateSubject::Members(_) => self.reads_every(members),
        }
    }

    /// Whether the caller may read every one of `members` on its own (then no disclosure rule
    /// protects anything from it).
    fn reads_every(&self, members: &[&Unit]) -> bool {
        self.scope
            .may_read_members(members.iter().map(|unit| (unit.id, unit.owner_id)))
    }

    /// The aggregate of `indicator` for `subject` in `year`: a published owner or national value
    /// as stored (never recomputed); otherwise computed over the members visible themselves.
    ///
    /// Restricted data, for a caller who may not read every member on its own, also follows the
    /// disclosure rules of `domain::disclosure`: an aggregate over fewer counted members than its
    /// source's minimum group size is hidden ([`SuppressionReason::TooFewMembers`]), and owners,
    /// the nation and their groups are hidden further wherever a hidden one would follow by
    /// subtraction ([`SuppressionReason::Complementary`]), decided over the whole table (every
    /// owner of the nation, every group), so that the same question always gets the same answer.
    ///
    /// Every figure of restricted unit data must be made here (or pass the same rules): this is
    /// where a new aggregate (a distribution of self-assessment levels, an export) plugs in.
    pub fn aggregate(
        &self,
        indicator: &Indicator,
        subject: AggregateSubject<'_>,
        year: SchoolYear,
    ) -> Figure {
        let row = match subject {
            AggregateSubject::Owner(owner) => Some(owner),
            AggregateSubject::Nation => None,
            AggregateSubject::Members(_) => return self.work_out(indicator, subject, year),
        };
        let key = (indicator.id, row, year);
        if let Some(figure) = locked(&self.figures).get(&key) {
            return *figure;
        }
        let figure = self.work_out(indicator, subject, year);
        locked(&self.figures).insert(key, figure);
        figure
    }

    /// [`Dataset::aggregate`] worked out.
    fn work_out(
        &self,
        indicator: &Indicator,
        subject: AggregateSubject<'_>,
        year: SchoolYear,
    ) -> Figure {
        let members = self.members(indicator, subject, year);
        let restricted = self.is_restricted(indicator);
        if restricted && !self.permitted(subject, &members) {
            return Figure::not_permitted(members.len());
        }
        let primary = self.primary(indicator, subject, year, self.group, &members);
        if !restricted || primary.figure.suppressed() || self.reads_every(&members) {
            return primary.figure;
        }
        let row = match subject {
            AggregateSubject::Owner(owner) => Some(owner),
            AggregateSubject::Nation => None,
            AggregateSubject::Members(_) => return primary.figure,
        };
        if self
            .complementary(indicator, year)
            .contains(&(row, self.group))
        {
            primary.figure.withheld(SuppressionReason::Complementary)
        } else {
            primary.figure
        }
    }

    /// The owner and national cells of `indicator` in `year` that complementary suppression hides
    /// from this caller, worked out once per request.
    fn complementary(&self, indicator: &Indicator, year: SchoolYear) -> Arc<HashSet<TableCell>> {
        let mut decided = locked(&self.complementary);
        Arc::clone(
            decided
                .entry((indicator.id, year))
                .or_insert_with(|| Arc::new(self.protect_table(indicator, year))),
        )
    }

    /// Complementary suppression over the table of `indicator` in `year`: rows are every owner
    /// with members and the nation, columns every group stored. Its relations: in each column the
    /// nation is the sum of its owners; in each row a group is the sum of the groups that split
    /// it (with a residual for the members counted in one but not in all of them). Cells start
    /// hidden as the caller would see them by prikking, access and the minimum group size; a
    /// row the caller may read member by member is known, so it neither needs nor gives cover.
    ///
    /// Decided over the whole table, never only over what a request asked for. A new partition of
    /// restricted data (county aggregates over their kommuner) belongs here.
    fn protect_table(&self, indicator: &Indicator, year: SchoolYear) -> HashSet<TableCell> {
        let groups: Vec<ValueGroup> = {
            let mut groups = self
                .groups
                .get(&(indicator.id, year))
                .cloned()
                .unwrap_or_default();
            if !groups.contains(&self.group) {
                groups.push(self.group);
            }
            groups
        };
        let nation_members = self.members(indicator, AggregateSubject::Nation, year);
        let mut rows: Vec<Option<OwnerId>> = nation_members
            .iter()
            .map(|unit| Some(unit.owner_id))
            .collect();
        rows.sort();
        rows.dedup();
        rows.push(None);
        let index = |row: usize, group: usize| row * groups.len() + group;

        // Each owner's members are the nation's members it owns: one pass, not one per owner.
        let mut by_owner: HashMap<OwnerId, Vec<&Unit>> = HashMap::new();
        for unit in &nation_members {
            by_owner.entry(unit.owner_id).or_default().push(unit);
        }
        let mut cells = Vec::with_capacity(rows.len() * groups.len());
        let mut known_rows = Vec::with_capacity(rows.len());
        let mut row_members = Vec::with_capacity(rows.len());
        for row in &rows {
            let subject = row.map_or(AggregateSubject::Nation, AggregateSubject::Owner);
            let members = match row {
                Some(owner) => by_owner.remove(owner).unwrap_or_default(),
                None => nation_members.clone(),
            };
            let known = self.reads_every(&members);
            let permitted = self.permitted(subject, &members);
            for &group in &groups {
                let primary = self.primary(indicator, subject, year, group, &members);
                cells.push(Part::seen_by(
                    known,
                    primary.counted,
                    primary.n,
                    !permitted || primary.figure.suppressed() || primary.figure.value.is_none(),
                ));
            }
            known_rows.push(known);
            row_members.push(members);
        }

        let nation = rows.len() - 1;
        let mut relations: Vec<Relation> = (0..groups.len())
            .map(|group| Relation {
                parent: index(nation, group),
                parts: (0..nation).map(|row| index(row, group)).collect(),
                residual: None,
            })
            .collect();
        for (parent, parts) in group_relations(&groups) {
            for (row, members) in row_members.iter().enumerate() {
                if known_rows[row] {
                    continue;
                }
                // Members counted in some of the parent and its parts but not in all of them.
                let partial = members
                    .iter()
                    .filter(|unit| {
                        let counted = |group: usize| {
                            matches!(
                                self.unit_visibility(indicator, unit.id, year, groups[group]),
                                Visibility::Visible { .. }
                            )
                        };
                        let in_parent = counted(parent);
                        parts.iter().any(|&part| counted(part) != in_parent)
                    })
                    .count();
                relations.push(Relation {
                    parent: index(row, parent),
                    parts: parts.iter().map(|&part| index(row, part)).collect(),
                    residual: (partial > 0).then_some(Part {
                        counted: partial,
                        n: 0,
                        hidden: true,
                    }),
                });
            }
        }

        let hidden = protect_related(&cells, &relations, self.min_group_size(indicator));
        rows.iter()
            .flat_map(|row| groups.iter().map(move |group| (*row, *group)))
            .zip(cells.iter().zip(hidden))
            .filter(|(_, (cell, now))| *now && !cell.hidden)
            .map(|(cell, _)| cell)
            .collect()
    }

    /// An aggregate after prikking and (restricted data, for a caller who may not read every
    /// member) the minimum group size; no complementary suppression yet.
    fn primary(
        &self,
        indicator: &Indicator,
        subject: AggregateSubject<'_>,
        year: SchoolYear,
        group: ValueGroup,
        members: &[&Unit],
    ) -> Primary {
        let guarded = self.is_restricted(indicator) && !self.reads_every(members);
        let min_group_size = self.min_group_size(indicator);
        let published = match subject {
            AggregateSubject::Owner(owner) => {
                self.owner_values.get(&(indicator.id, owner, year, group))
            }
            AggregateSubject::Nation => self.nation_values.get(&(indicator.id, year, group)),
            AggregateSubject::Members(_) => None,
        };
        if let Some(published) = published {
            let figure = Figure::shown(published.shown(), members.len());
            let counted = if figure.value.is_some() {
                members.len()
            } else {
                0
            };
            let n = figure.n.unwrap_or(0);
            let figure = if guarded && too_few_members(counted, min_group_size) {
                figure.withheld(SuppressionReason::TooFewMembers)
            } else {
                figure
            };
            return Primary { figure, counted, n };
        }
        let visibilities: Vec<Visibility> = members
            .iter()
            .map(|unit| self.unit_visibility(indicator, unit.id, year, group))
            .collect();
        let method = AggregationMethod::for_unit(indicator.unit_of_measure);
        let threshold = self.threshold(indicator);
        // The total n before the aggregate's own prikking, for ordering parts only.
        let n = aggregate(method, &visibilities, 0).respondents.unwrap_or(0);
        let result = aggregate(method, &visibilities, threshold);
        let reason = if guarded && too_few_members(result.counted, min_group_size) {
            Some(SuppressionReason::TooFewMembers)
        } else if result.below_threshold {
            Some(SuppressionReason::BelowThreshold)
        } else if result.counted == 0 {
            // Every member with a value is hidden: the aggregate is as hidden as they are.
            visibilities.iter().find_map(|visibility| match visibility {
                Visibility::Suppressed(reason) => Some(*reason),
                _ => None,
            })
        } else {
            None
        };
        let figure = Figure {
            value: result.value,
            n: result.respondents,
            reason: None,
            computed: true,
            members: result.members,
            coverage: Some(Coverage {
                counted: result.counted,
                suppressed: result.suppressed,
                missing: result.missing,
            }),
        };
        let figure = match reason {
            Some(SuppressionReason::TooFewMembers) => {
                figure.withheld(SuppressionReason::TooFewMembers)
            }
            Some(reason) => Figure {
                value: None,
                n: None,
                reason: Some(reason),
                ..figure
            },
            None => figure,
        };
        Primary {
            figure,
            counted: result.counted,
            n,
        }
    }

    /// The minimum group size of `indicator`'s source (the default when the source is unknown).
    fn min_group_size(&self, indicator: &Indicator) -> usize {
        self.sources
            .get(&indicator.source_id)
            .map_or(super::DEFAULT_MIN_GROUP_SIZE, |source| {
                source.min_group_size
            })
    }

    /// The threshold an aggregate of `indicator` is itself suppressed below: its source's (never
    /// shown at all when the source is unknown).
    fn threshold(&self, indicator: &Indicator) -> i64 {
        self.sources
            .get(&indicator.source_id)
            .map_or(i64::MAX, |source| source.threshold)
    }

    /// The colour [`classify`] gives `figure` by the indicator's rule; relative rules compare with
    /// the owner's or the nation's aggregate the same year.
    pub fn colour(
        &self,
        indicator: &Indicator,
        figure: &Figure,
        owner: Option<OwnerId>,
        year: SchoolYear,
    ) -> Colour {
        let reference = match indicator.colour_rule.mode {
            ColourMode::RelativeOwner => owner.and_then(|owner| {
                self.aggregate(indicator, AggregateSubject::Owner(owner), year)
                    .value
            }),
            ColourMode::RelativeNational => {
                self.aggregate(indicator, AggregateSubject::Nation, year)
                    .value
            }
            ColourMode::Absolute | ColourMode::None => None,
        };
        classify(
            figure.value,
            &indicator.colour_rule,
            indicator.direction,
            reference,
        )
    }

    fn cell(
        &self,
        indicator: &Indicator,
        figure: Figure,
        owner: Option<OwnerId>,
        year: SchoolYear,
    ) -> Cell {
        Cell {
            colour: self.colour(indicator, &figure, owner, year),
            figure,
        }
    }

    /// A fargetabell over `units` (rows: those any indicator applies to) for `year`, with the
    /// owner's and the nation's reference rows.
    pub fn colour_table(
        &self,
        units: Vec<Unit>,
        owner: Option<OwnerId>,
        year: SchoolYear,
    ) -> ColourTableFigures {
        let rows = units
            .into_iter()
            .filter(|unit| {
                self.indicators
                    .iter()
                    .any(|indicator| indicator.applies_to.contains(&unit.kind))
            })
            .map(|unit| {
                let cells = self
                    .indicators
                    .iter()
                    .map(|indicator| {
                        let figure = self.unit_figure(indicator, &unit, year);
                        self.cell(indicator, figure, Some(unit.owner_id), year)
                    })
                    .collect();
                (unit, cells)
            })
            .collect();
        let reference_row = |subject: AggregateSubject<'_>, owner: Option<OwnerId>| {
            self.indicators
                .iter()
                .map(|indicator| {
                    let figure = self.aggregate(indicator, subject, year);
                    self.cell(indicator, figure, owner, year)
                })
                .collect()
        };
        ColourTableFigures {
            rows,
            owner_row: owner
                .map(|owner| reference_row(AggregateSubject::Owner(owner), Some(owner))),
            nation_row: reference_row(AggregateSubject::Nation, None),
        }
    }

    /// The trend of the first indicator for `unit` (or, without one, for `owner`) over `years`.
    pub fn trend(
        &self,
        unit: Option<&Unit>,
        owner: OwnerId,
        years: &[SchoolYear],
    ) -> Vec<TrendFigure> {
        let Some(indicator) = self.indicators.first() else {
            return Vec::new();
        };
        let figures: Vec<Figure> = years
            .iter()
            .map(|&year| match unit {
                Some(unit) => self.unit_figure(indicator, unit, year),
                None => self.aggregate(indicator, AggregateSubject::Owner(owner), year),
            })
            .collect();
        let series: Vec<(SchoolYear, Option<f64>)> = years
            .iter()
            .zip(&figures)
            .map(|(&year, figure)| (year, figure.value))
            .collect();
        // Values are published to the indicator's decimals; so is their difference, without the
        // binary noise of the subtraction (1.2 - 1.3 is -0.1, not -0.10000000000000009).
        let scale = 10f64.powi(i32::from(indicator.decimals));
        let changes: HashMap<SchoolYear, Option<f64>> = trend(&series)
            .into_iter()
            .map(|point: TrendPoint| {
                let change = point.change.map(|change| (change * scale).round() / scale);
                (point.school_year, change)
            })
            .collect();
        years
            .iter()
            .zip(figures)
            .map(|(&year, figure)| TrendFigure {
                school_year: year,
                figure,
                change: changes.get(&year).copied().flatten(),
                owner: self.aggregate(indicator, AggregateSubject::Owner(owner), year),
                nation: self.aggregate(indicator, AggregateSubject::Nation, year),
            })
            .collect()
    }

    /// One aggregate per indicator for `subject` in `year`.
    pub fn aggregates(&self, subject: AggregateSubject<'_>, year: SchoolYear) -> Vec<Figure> {
        self.indicators
            .iter()
            .map(|indicator| self.aggregate(indicator, subject, year))
            .collect()
    }

    /// Nøkkeltall: per indicator, the owner's aggregate beside the nation's.
    pub fn key_figures(&self, owner: OwnerId, year: SchoolYear) -> Vec<(Figure, Figure)> {
        self.aggregates(AggregateSubject::Owner(owner), year)
            .into_iter()
            .zip(self.aggregates(AggregateSubject::Nation, year))
            .collect()
    }

    /// Owners with a kulturskole active in `year`, each once.
    pub fn arts_school_owners(&self, year: SchoolYear) -> Vec<OwnerId> {
        let mut owners: Vec<OwnerId> = self
            .active_arts_schools(year)
            .map(|unit| unit.owner_id)
            .collect();
        owners.sort();
        owners.dedup();
        owners
    }

    fn active_arts_schools(&self, year: SchoolYear) -> impl Iterator<Item = &Unit> {
        self.units
            .iter()
            .filter(move |unit| unit.kind == UnitKind::ArtsSchool && unit.is_active_in(year))
    }

    /// The national kulturskole aggregation: a row for `owner` (`None`: the nation).
    pub fn arts_school_row(&self, owner: Option<OwnerId>, year: SchoolYear) -> ArtsSchoolRow {
        let subject = owner.map_or(AggregateSubject::Nation, AggregateSubject::Owner);
        ArtsSchoolRow {
            arts_schools: self
                .active_arts_schools(year)
                .filter(|unit| owner.is_none_or(|owner| unit.owner_id == owner))
                .count(),
            aggregates: self.aggregates(subject, year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        ColourRule, Direction, Grants, IndicatorCategory, OrgNumber, Role, UnitOfMeasure,
        ValueGroup, ValueId,
    };

    const A: OwnerId = OwnerId(1);
    const B: OwnerId = OwnerId(2);
    const SURVEY: DataSourceId = DataSourceId(1);

    fn year() -> SchoolYear {
        SchoolYear::new(2024).unwrap()
    }

    fn indicator() -> Indicator {
        Indicator {
            id: IndicatorId(1),
            code: "ke_trivsel".into(),
            name: "Trivsel".into(),
            description: String::new(),
            source_id: SURVEY,
            category: IndicatorCategory::Process,
            unit_of_measure: UnitOfMeasure::ScalePoints,
            direction: Direction::HigherIsBetter,
            decimals: 1,
            min_value: Some(1.0),
            max_value: Some(5.0),
            colour_rule: ColourRule {
                mode: ColourMode::Absolute,
                green: Some(4.0),
                red: Some(3.0),
                margin: None,
            },
            applies_to: vec![UnitKind::ArtsSchool],
        }
    }

    fn source(sensitivity: Sensitivity) -> DataSource {
        DataSource {
            id: SURVEY,
            code: "kulturskole-elev".into(),
            name: "Elevundersøkelse".into(),
            publisher: "Kommunen".into(),
            description: String::new(),
            sensitivity,
            suppression_threshold: 10,
            min_group_size: 3,
            last_updated: None,
        }
    }

    fn arts_school(id: i64, owner: OwnerId) -> Unit {
        Unit {
            id: UnitId(id),
            org_number: OrgNumber::parse("974760673").unwrap(),
            name: format!("Kulturskole {id}"),
            kind: UnitKind::ArtsSchool,
            stage: None,
            owner_id: owner,
            active_from: None,
            active_to: None,
        }
    }

    fn unit_value(unit: i64, value: f64, n: i64) -> IndicatorValue {
        IndicatorValue {
            id: ValueId(unit),
            indicator_id: IndicatorId(1),
            subject: Subject::Unit(UnitId(unit)),
            school_year: year(),
            group: ValueGroup::ALL,
            value: Some(value),
            respondents: Some(n),
            suppressed_at_source: false,
            complementary: false,
            threshold: 10,
        }
    }

    /// Two kulturskoler of owner A (values 4.0 with n 20, 5.0 with n 30) and one of owner B, read
    /// by a caller with `roles`, the values tagged by the same rule the scoped reader applies.
    fn dataset(sensitivity: Sensitivity, roles: Vec<Role>) -> Dataset {
        let scope = Grants { roles }.restricted_scope();
        let units = vec![arts_school(1, A), arts_school(2, A), arts_school(3, B)];
        let owners: HashMap<UnitId, OwnerId> =
            units.iter().map(|unit| (unit.id, unit.owner_id)).collect();
        let restricted = sensitivity == Sensitivity::Restricted;
        let values = [
            unit_value(1, 4.0, 20),
            unit_value(2, 5.0, 30),
            unit_value(3, 2.0, 40),
        ]
        .into_iter()
        .map(|value| {
            let owner = match value.subject {
                Subject::Unit(unit) => owners.get(&unit).copied(),
                _ => None,
            };
            let access = scope.value_access(restricted, &value.subject, owner);
            (value, access)
        })
        .collect::<Vec<_>>();
        Dataset::new(
            vec![indicator()],
            [source(sensitivity)],
            units,
            values,
            scope,
            ValueGroup::ALL,
        )
    }

    #[test]
    fn a_national_reader_gets_restricted_aggregates_over_enough_members_but_no_unit_cells() {
        let data = dataset(Sensitivity::Restricted, vec![Role::NationalReader]);
        let indicator = &data.indicators()[0];

        let owner = data.aggregate(indicator, AggregateSubject::Owner(A), year());
        let nation = data.aggregate(indicator, AggregateSubject::Nation, year());
        let cell = data.unit_figure(indicator, &data.units()[0], year());

        assert_eq!(owner.reason, Some(SuppressionReason::TooFewMembers));
        assert_eq!((owner.value, owner.n, owner.coverage), (None, None, None));
        assert_eq!((owner.computed, owner.members), (true, 2));
        assert!((nation.value.unwrap() - 310.0 / 90.0).abs() < 1e-12);
        assert_eq!(nation.n, Some(90));
        assert_eq!(cell.reason, Some(SuppressionReason::NotPermitted));
        assert_eq!((cell.value, cell.n), (None, None));
    }

    #[test]
    fn the_owners_own_roles_read_its_aggregate_whatever_its_size() {
        let data = dataset(Sensitivity::Restricted, vec![Role::OwnerReader(B)]);
        let indicator = &data.indicators()[0];

        let own = data.aggregate(indicator, AggregateSubject::Owner(B), year());
        let other = data.aggregate(indicator, AggregateSubject::Owner(A), year());

        assert_eq!((own.value, own.n), (Some(2.0), Some(40)));
        assert_eq!(other.reason, Some(SuppressionReason::NotPermitted));
    }

    #[test]
    fn a_kjonn_half_that_leaves_out_a_prikket_school_is_hidden_with_its_sibling() {
        // Owner A's three schools; the third one's boys are too few (n 4 < 10), so A's boys
        // figure counts two schools where A's figure for everyone counts three: everyone minus
        // girls minus boys would give that school's prikket boys.
        let units = vec![arts_school(1, A), arts_school(2, A), arts_school(3, A)];
        let mut values = Vec::new();
        for (unit, boys) in [(1, 20), (2, 25), (3, 4)] {
            let cells = [
                ("all", 30 + boys),
                ("kjonn=jenter", 30),
                ("kjonn=gutter", boys),
            ];
            for (index, (group, n)) in (0..).zip(cells) {
                values.push(IndicatorValue {
                    id: ValueId(unit * 10 + index),
                    group: ValueGroup::parse(group).unwrap(),
                    ..unit_value(unit, 4.0, n)
                });
            }
        }
        let scope = Grants {
            roles: vec![Role::NationalReader],
        }
        .restricted_scope();
        let tagged: Vec<_> = values
            .into_iter()
            .map(|value| {
                let access = scope.value_access(true, &value.subject, Some(A));
                (value, access)
            })
            .collect();
        let figure_of = |group: &str| {
            let mut data = Dataset::new(
                vec![indicator()],
                [source(Sensitivity::Restricted)],
                units.clone(),
                tagged.clone(),
                scope.clone(),
                ValueGroup::parse(group).unwrap(),
            );
            // Two schools' boys are then enough on their own.
            data.sources.get_mut(&SURVEY).unwrap().min_group_size = 2;
            data.aggregate(&data.indicators()[0], AggregateSubject::Owner(A), year())
        };

        let everyone = figure_of("all");
        let (girls, boys) = (figure_of("kjonn=jenter"), figure_of("kjonn=gutter"));

        // Boys are hidden with the prikket school's: together they are a lump of three schools.
        assert_eq!(everyone.n, Some(139));
        assert_eq!(boys.reason, Some(SuppressionReason::Complementary));
        assert_eq!(boys.n, None);
        assert_eq!((girls.reason, girls.n), (None, Some(90)));
    }

    #[test]
    fn a_lone_hidden_owner_hides_the_next_smallest_so_the_nation_gives_neither_away() {
        let mut data = dataset(Sensitivity::Restricted, vec![Role::NationalReader]);
        data.sources.get_mut(&SURVEY).unwrap().min_group_size = 2;
        let indicator = data.indicators()[0].clone();

        let a = data.aggregate(&indicator, AggregateSubject::Owner(A), year());
        let b = data.aggregate(&indicator, AggregateSubject::Owner(B), year());
        let nation = data.aggregate(&indicator, AggregateSubject::Nation, year());

        assert_eq!(b.reason, Some(SuppressionReason::TooFewMembers));
        assert_eq!(a.reason, Some(SuppressionReason::Complementary));
        assert_eq!((a.value, a.n, a.coverage), (None, None, None));
        assert_eq!(nation.n, Some(90));
        let row = data.arts_school_row(Some(A), year());
        assert_eq!(
            row.aggregates[0].reason,
            Some(SuppressionReason::Complementary)
        );
    }

    #[test]
    fn restricted_aggregates_over_chosen_units_need_every_member_readable() {
        let national = dataset(Sensitivity::Restricted, vec![Role::NationalReader]);
        let owner = dataset(Sensitivity::Restricted, vec![Role::OwnerReader(A)]);
        let indicator = &national.indicators()[0];
        let own = [UnitId(1), UnitId(2)];
        let mixed = [UnitId(1), UnitId(3)];

        let by_national = national.aggregate(indicator, AggregateSubject::Members(&own), year());
        let by_owner = owner.aggregate(indicator, AggregateSubject::Members(&own), year());
        let across = owner.aggregate(indicator, AggregateSubject::Members(&mixed), year());

        assert_eq!(by_national.reason, Some(SuppressionReason::NotPermitted));
        assert_eq!(by_owner.n, Some(50));
        assert_eq!(across.reason, Some(SuppressionReason::NotPermitted));
        assert_eq!(across.value, None);
    }

    #[test]
    fn anonymous_callers_get_nothing_of_restricted_data_and_everything_public() {
        let restricted = dataset(Sensitivity::Restricted, Vec::new());
        let public = dataset(Sensitivity::Public, Vec::new());
        let indicator = &restricted.indicators()[0];

        let hidden = restricted.aggregate(indicator, AggregateSubject::Nation, year());
        let shown = public.aggregate(indicator, AggregateSubject::Nation, year());

        assert_eq!(hidden.reason, Some(SuppressionReason::NotPermitted));
        assert_eq!(hidden.members, 3);
        assert_eq!(shown.n, Some(90));
        assert_eq!(shown.coverage.map(|c| c.counted), Some(3));
    }

    #[test]
    fn a_published_owner_value_is_used_as_it_is() {
        let mut data = dataset(Sensitivity::Public, Vec::new());
        let published = IndicatorValue {
            subject: Subject::Owner(A),
            ..unit_value(99, 3.3, 70)
        };
        data.owner_values
            .insert((IndicatorId(1), A, year(), ValueGroup::ALL), published);
        let indicator = data.indicators()[0].clone();

        let figure = data.aggregate(&indicator, AggregateSubject::Owner(A), year());

        assert_eq!(
            (figure.value, figure.n, figure.computed),
            (Some(3.3), Some(70), false)
        );
        assert_eq!(figure.coverage, None);
    }

    #[test]
    fn colour_table_cells_follow_the_rule_and_hidden_cells_are_not_classified() {
        let public = dataset(Sensitivity::Public, Vec::new());
        let restricted = dataset(Sensitivity::Restricted, vec![Role::NationalReader]);

        let shown = public.colour_table(public.units().to_vec(), Some(A), year());
        let hidden = restricted.colour_table(restricted.units().to_vec(), Some(A), year());

        let colours: Vec<Colour> = shown
            .rows
            .iter()
            .map(|(_, cells)| cells[0].colour)
            .collect();
        assert_eq!(colours, [Colour::Green, Colour::Green, Colour::Red]);
        assert!(
            hidden.rows.iter().all(
                |(_, cells)| cells[0].colour == Colour::None && cells[0].figure.value.is_none()
            )
        );
        let owner_cell = hidden.owner_row.unwrap()[0];
        assert_eq!(
            (
                owner_cell.figure.n,
                owner_cell.figure.reason,
                owner_cell.colour
            ),
            (None, Some(SuppressionReason::TooFewMembers), Colour::None)
        );
        assert_eq!(hidden.nation_row[0].figure.n, Some(90));
    }

    #[test]
    fn a_trend_changes_by_the_difference_rounded_to_the_indicators_decimals() {
        let mut data = dataset(Sensitivity::Public, Vec::new());
        let earlier = SchoolYear::new(2023).unwrap();
        let before = IndicatorValue {
            school_year: earlier,
            ..unit_value(1, 4.1, 20)
        };
        data.unit_values.insert(
            (IndicatorId(1), UnitId(1), earlier, ValueGroup::ALL),
            before,
        );
        let unit = data.units()[0].clone();

        let points = data.trend(Some(&unit), A, &[earlier, year()]);

        assert_eq!(points[0].change, None);
        assert_eq!(points[1].change, Some(-0.1));
        assert_eq!(points[1].figure.value, Some(4.0));
    }

    #[test]
    fn the_arts_school_rows_count_active_schools_per_owner() {
        let data = dataset(Sensitivity::Public, Vec::new());

        assert_eq!(data.arts_school_owners(year()), [A, B]);
        assert_eq!(data.arts_school_row(Some(A), year()).arts_schools, 2);
        assert_eq!(data.arts_school_row(None, year()).arts_schools, 3);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Any role a caller may hold over the three owners (1-3) and their units (1-9).
        fn any_roles() -> impl Strategy<Value = Vec<Role>> {
            let role = prop_oneof![
                Just(Role::NationalReader),
                (1i64..=3).prop_map(|owner| Role::OwnerReader(OwnerId(owner))),
                (1i64..=9).prop_map(|unit| Role::UnitStaff(UnitId(unit))),
            ];
            proptest::collection::vec(role, 0..3)
        }

        /// Kulturskoler 1-9, unit u owned by owner (u - 1) % 3 + 1, each with a value and an n.
        fn restricted_dataset(values: &[(f64, i64)], roles: Vec<Role>) -> Dataset {
            let scope = Grants { roles }.restricted_scope();
            let units: Vec<Unit> = (1..=9)
                .map(|id| arts_school(id, OwnerId((id - 1) % 3 + 1)))
                .collect();
            let tagged: Vec<(IndicatorValue, ValueAccess)> = values
                .iter()
                .zip(&units)
                .map(|(&(value, n), unit)| {
                    let value = unit_value(unit.id.0, value, n);
                    let access = scope.value_access(true, &value.subject, Some(unit.owner_id));
                    (value, access)
                })
                .collect();
            Dataset::new(
                vec![indicator()],
                [source(Sensitivity::Restricted)],
                units,
                tagged,
                scope,
                ValueGroup::ALL,
            )
        }

        proptest! {
            /// Whatever the roles, a restricted unit figure shows a number only to a caller who
            /// may read the unit, and an aggregate over chosen units only to one who may read every
            /// member: otherwise two chosen sets differing in one unit would reveal it.
            #[test]
            fn restricted_figures_show_numbers_only_within_the_scope(
                values in proptest::collection::vec((1.0..5.0f64, 0i64..200), 9),
                roles in any_roles(),
                chosen in proptest::collection::btree_set(1i64..=9, 1..9),
            ) {
                let data = restricted_dataset(&values, roles);
                let indicator = data.indicators()[0].clone();
                let scope = data.scope.clone();
                for unit in data.units() {
                    let figure = data.unit_figure(&indicator, unit, year());
                    if !scope.may_read_unit(unit.id, unit.owner_id) {
                        prop_assert_eq!(figure.reason, Some(SuppressionReason::NotPermitted));
                        prop_assert_eq!((figure.value, figure.n), (None, None));
                    }
                }
                let members: Vec<UnitId> = chosen.into_iter().map(UnitId).collect();
                let figure = data.aggregate(&indicator, AggregateSubject::Members(&members), year());
                let all_readable = data
                    .units()
                    .iter()
                    .filter(|unit| members.contains(&unit.id))
                    .all(|unit| scope.may_read_unit(unit.id, unit.owner_id));
                if !all_readable {
                    prop_assert_eq!(figure.reason, Some(SuppressionReason::NotPermitted));
                    prop_assert_eq!((figure.value, figure.n, figure.coverage), (None, None, None));
                }
            }
        }
    }
}

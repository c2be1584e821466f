//! The one way to read indicator values, assessments and initiatives: a store handle bound to the caller's scope. Resolvers get
//! nothing else that reads values, so a new field cannot read around the access rule
//! ([`RestrictedScope::value_access`]).

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex, PoisonError},
};

use super::{
    AnalysisFilter, AssessmentFilter, AssessmentKey, InitiativeFilter, Page, Store, StoreResult,
    ValueFilter,
};
use crate::domain::{
    Assessment, IndicatorId, IndicatorValue, Initiative, InitiativeId, OwnerId, RestrictedScope,
    SelectionId, Subject, UnitId, ValueAccess,
};

/// Reads values as one caller may: lists hold only what it may read, analyses also what it may
/// aggregate, each value tagged. It also notes whose data it returned, for the audit log: every
/// read of restricted unit data passes here, so none can go unrecorded. Clones share the notes.
#[derive(Debug, Clone)]
pub struct ScopedReader {
    store: Store,
    scope: RestrictedScope,
    read: Arc<Mutex<ReadSubjects>>,
}

/// The units and owners whose data a reader returned.
#[derive(Debug, Default)]
pub struct ReadSubjects {
    pub units: BTreeSet<UnitId>,
    pub owners: BTreeSet<OwnerId>,
}

impl ScopedReader {
    pub fn new(store: Store, scope: RestrictedScope) -> Self {
        Self {
            store,
            scope,
            read: Arc::default(),
        }
    }

    /// The units and owners whose data this reader (and its clones) returned so far, and which
    /// the caller may read restricted data of (only those need an audit record); taken, so the
    /// next call starts afresh.
    pub fn take_read(&self) -> ReadSubjects {
        std::mem::take(&mut *self.notes())
    }

    fn notes(&self) -> std::sync::MutexGuard<'_, ReadSubjects> {
        // Whole entries are inserted: a panicking holder leaves nothing half-made.
        self.read.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes the units and owners read, when the caller may read any restricted data at all.
    fn note(
        &self,
        units: impl IntoIterator<Item = UnitId>,
        owners: impl IntoIterator<Item = OwnerId>,
    ) {
        if self.scope.units.is_empty() && self.scope.owners.is_empty() {
            return;
        }
        let mut notes = self.notes();
        notes.units.extend(units);
        notes.owners.extend(owners);
    }

    /// Notes the subjects of `values` the caller may see on their own.
    fn note_values<'a>(&self, values: impl IntoIterator<Item = (&'a IndicatorValue, ValueAccess)>) {
        let mut units = Vec::new();
        let mut owners = Vec::new();
        for (value, access) in values {
            match (&value.subject, access) {
                (Subject::Unit(unit), ValueAccess::Read) => units.push(*unit),
                (Subject::Owner(owner), ValueAccess::Read) => owners.push(*owner),
                _ => {}
            }
        }
        self.note(units, owners);
    }

    /// Notes the subjects of `initiatives`: a unit's initiative its unit, an owner's its owner.
    fn note_initiatives<'a>(&self, initiatives: impl IntoIterator<Item = &'a Initiative>) {
        let (units, owners): (Vec<_>, Vec<_>) = initiatives
            .into_iter()
            .partition(|initiative| initiative.unit.is_some());
        self.note(
            units.iter().filter_map(|initiative| initiative.unit),
            owners.iter().map(|initiative| initiative.owner),
        );
    }

    pub fn scope(&self) -> &RestrictedScope {
        &self.scope
    }

    /// One page of readable values for each unit, in one statement.
    pub async fn values_of_units(
        &self,
        units: &[UnitId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<IndicatorValue>>> {
        let values = self
            .store
            .values_of_units(&self.scope, units, filter, page)
            .await?;
        self.note(values.keys().copied(), []);
        Ok(values)
    }

    /// One page of readable values published for each owner itself, in one statement.
    pub async fn values_of_owners(
        &self,
        owners: &[OwnerId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<IndicatorValue>>> {
        let values = self
            .store
            .values_of_owners(&self.scope, owners, filter, page)
            .await?;
        self.note([], values.keys().copied());
        Ok(values)
    }

    /// One page of readable member-unit values for each selection, in one statement.
    pub async fn values_of_selections(
        &self,
        selections: &[SelectionId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<SelectionId, Vec<IndicatorValue>>> {
        let values = self
            .store
            .values_of_selections(&self.scope, selections, filter, page)
            .await?;
        self.note_values(
            values
                .values()
                .flatten()
                .map(|value| (value, ValueAccess::Read)),
        );
        Ok(values)
    }

    /// One page of the egenvurderinger (assessments) of each unit that the caller may read on
    /// their own: its unit's and owner's roles, never national roles (they read distributions).
    pub async fn assessments_of_units(
        &self,
        units: &[UnitId],
        filter: &AssessmentFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<Assessment>>> {
        let assessments = self
            .store
            .assessments_of_units(&self.scope, units, filter, page)
            .await?;
        self.note(assessments.keys().copied(), []);
        Ok(assessments)
    }

    /// The egenvurderinger (assessments) `keys` name that exist and the caller may read on their
    /// own (the rule of [`Self::assessments_of_units`]), in one statement.
    pub async fn assessments_by_keys(
        &self,
        keys: &[AssessmentKey],
    ) -> StoreResult<Vec<Assessment>> {
        let assessments = self.store.assessments_by_keys(&self.scope, keys).await?;
        self.note(assessments.iter().map(|assessment| assessment.unit_id), []);
        Ok(assessments)
    }

    /// Every value (group of everyone, every school year) of the indicators for the units and
    /// for the owners themselves, in one statement, each tagged with what the caller may do with
    /// it; one it may not use at all without its number.
    pub async fn values_of_subjects(
        &self,
        units: &[UnitId],
        owners: &[OwnerId],
        indicators: &[IndicatorId],
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
        let values = self
            .store
            .values_of_subjects(&self.scope, units, owners, indicators)
            .await?;
        self.note_values(values.iter().map(|(value, access)| (value, *access)));
        Ok(values)
    }

    /// One page of each unit's tiltak (initiatives) the caller may read: the unit's and its
    /// owner's roles. National roles read none.
    pub async fn initiatives_of_units(
        &self,
        units: &[UnitId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<Initiative>>> {
        let initiatives = self
            .store
            .initiatives_of_units(&self.scope, units, filter, page)
            .await?;
        self.note_initiatives(initiatives.values().flatten());
        Ok(initiatives)
    }

    /// One page of each owner's own initiatives (or, with `filter.of_units`, its units') the
    /// caller may read: the owner's roles, and for its own also the roles of its units.
    pub async fn initiatives_of_owners(
        &self,
        owners: &[OwnerId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<Initiative>>> {
        let initiatives = self
            .store
            .initiatives_of_owners(&self.scope, owners, filter, page)
            .await?;
        self.note_initiatives(initiatives.values().flatten());
        Ok(initiatives)
    }

    /// One page of each owner initiative's child initiatives the caller may read.
    pub async fn children_of_initiatives(
        &self,
        parents: &[InitiativeId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<InitiativeId, Vec<Initiative>>> {
        let initiatives = self
            .store
            .children_of_initiatives(&self.scope, parents, filter, page)
            .await?;
        self.note_initiatives(initiatives.values().flatten());
        Ok(initiatives)
    }

    /// The initiatives with these ids that the caller may read.
    pub async fn initiatives_by_ids(&self, ids: &[InitiativeId]) -> StoreResult<Vec<Initiative>> {
        let initiatives = self
            .store
            .readable_initiatives_by_ids(&self.scope, ids)
            .await?;
        self.note_initiatives(&initiatives);
        Ok(initiatives)
    }

    /// Every value an analysis may use, with what the caller may do with each.
    pub async fn values_for_analysis(
        &self,
        filter: &AnalysisFilter,
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
        let values = self.store.values_for_analysis(&self.scope, filter).await?;
        self.note_values(values.iter().map(|(value, access)| (value, *access)));
        Ok(values)
    }

    /// The values of several analyses at once, one list per filter, each what
    /// [`Self::values_for_analysis`] answers for it (see `Store::values_for_analyses`).
    pub async fn values_for_analyses(
        &self,
        filters: &[AnalysisFilter],
    ) -> StoreResult<Vec<Vec<(IndicatorValue, ValueAccess)>>> {
        let answers = self.store.values_for_analyses(&self.scope, filters).await?;
        self.note_values(
            answers
                .iter()
                .flatten()
                .map(|(value, access)| (value, *access)),
        );
        Ok(answers)
    }
}

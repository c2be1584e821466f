//! The one way to read indicator values, assessments and initiatives: a store handle bound to the caller's scope. Resolvers get
//! nothing else that reads values, so a new field cannot read around the access rule
//! ([`RestrictedScope::value_access`]).

use std::collections::HashMap;

use super::{
    AnalysisFilter, AssessmentFilter, InitiativeFilter, Page, Store, StoreResult, ValueFilter,
};
use crate::domain::{
    Assessment, IndicatorId, IndicatorValue, Initiative, InitiativeId, OwnerId, RestrictedScope,
    SelectionId, UnitId, ValueAccess,
};

/// Reads values as one caller may: lists hold only what it may read, analyses also what it may
/// aggregate, each value tagged.
#[derive(Debug, Clone)]
pub struct ScopedReader {
    store: Store,
    scope: RestrictedScope,
}

impl ScopedReader {
    pub fn new(store: Store, scope: RestrictedScope) -> Self {
        Self { store, scope }
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
        self.store
            .values_of_units(&self.scope, units, filter, page)
            .await
    }

    /// One page of readable values published for each owner itself, in one statement.
    pub async fn values_of_owners(
        &self,
        owners: &[OwnerId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<IndicatorValue>>> {
        self.store
            .values_of_owners(&self.scope, owners, filter, page)
            .await
    }

    /// One page of readable member-unit values for each selection, in one statement.
    pub async fn values_of_selections(
        &self,
        selections: &[SelectionId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<SelectionId, Vec<IndicatorValue>>> {
        self.store
            .values_of_selections(&self.scope, selections, filter, page)
            .await
    }

    /// One page of the egenvurderinger (assessments) of each unit that the caller may read on
    /// their own: its unit's and owner's roles, never national roles (they read distributions).
    pub async fn assessments_of_units(
        &self,
        units: &[UnitId],
        filter: &AssessmentFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<Assessment>>> {
        self.store
            .assessments_of_units(&self.scope, units, filter, page)
            .await
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
        self.store
            .values_of_subjects(&self.scope, units, owners, indicators)
            .await
    }

    /// One page of each unit's tiltak (initiatives) the caller may read: the unit's and its
    /// owner's roles. National roles read none.
    pub async fn initiatives_of_units(
        &self,
        units: &[UnitId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<Initiative>>> {
        self.store
            .initiatives_of_units(&self.scope, units, filter, page)
            .await
    }

    /// One page of each owner's own initiatives (or, with `filter.of_units`, its units') the
    /// caller may read: the owner's roles, and for its own also the roles of its units.
    pub async fn initiatives_of_owners(
        &self,
        owners: &[OwnerId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<Initiative>>> {
        self.store
            .initiatives_of_owners(&self.scope, owners, filter, page)
            .await
    }

    /// One page of each owner initiative's child initiatives the caller may read.
    pub async fn children_of_initiatives(
        &self,
        parents: &[InitiativeId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<InitiativeId, Vec<Initiative>>> {
        self.store
            .children_of_initiatives(&self.scope, parents, filter, page)
            .await
    }

    /// The initiatives with these ids that the caller may read.
    pub async fn initiatives_by_ids(&self, ids: &[InitiativeId]) -> StoreResult<Vec<Initiative>> {
        self.store
            .readable_initiatives_by_ids(&self.scope, ids)
            .await
    }

    /// Every value an analysis may use, with what the caller may do with each.
    pub async fn values_for_analysis(
        &self,
        filter: &AnalysisFilter,
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
        self.store.values_for_analysis(&self.scope, filter).await
    }
}

//! DataLoaders for every relation, so that a request's SQL statements do not grow with the number
//! of objects it returns. One [`StoreLoader`] serves every key type; async-graphql batches the keys
//! of each type that resolvers ask for in the same tick into one call.
//!
//! Loaders are made per request (see [`super::GraphqlService::execute`]): their cache lives as long as the
//! request, so nothing cached ever crosses from one caller to another.

use std::{collections::HashMap, future::Future, hash::Hash, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::{
    domain,
    domain::{
        Assessment, AssessmentId, AssessmentRevision, DataSource, DataSourceId, Evaluation,
        Framework, FrameworkId, FrameworkVersion, FrameworkVersionId, Indicator, IndicatorId,
        IndicatorValue, Initiative, InitiativeChange, InitiativeId, InitiativeSubject, Owner,
        OwnerCodePeriod, OwnerId, Selection, SelectionId, Unit, UnitId, ValueAccess, Vote,
        latest_value,
    },
    store::{
        AssessmentFilter, AssessmentKey, InitiativeFilter, MeetingReader, Page, ScopedReader,
        Store, StoreError, StoreResult, UnitFilter, ValueFilter, WholeHistory,
    },
};

use super::error::ApiResult;

/// The loader of one request, with its cache.
pub type RequestLoader = DataLoader<StoreLoader, HashMapCache>;

/// Loads everything the GraphQL layer reads, batched per key type: values through the request's
/// scoped reader, everything else from the store.
pub struct StoreLoader {
    store: Store,
    reader: ScopedReader,
}

impl StoreLoader {
    pub fn new(store: Store, reader: ScopedReader) -> Self {
        Self { store, reader }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<StoreError>>;

/// Indexes loaded objects by their key.
fn by_key<K: Hash + Eq, V>(items: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, V> {
    items.into_iter().map(|item| (key(&item), item)).collect()
}

impl Loader<OwnerId> for StoreLoader {
    type Value = Owner;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[OwnerId]) -> LoadResult<OwnerId, Owner> {
        Ok(by_key(self.store.owners_by_ids(keys).await?, |owner| {
            owner.id
        }))
    }
}

impl Loader<UnitId> for StoreLoader {
    type Value = Unit;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[UnitId]) -> LoadResult<UnitId, Unit> {
        Ok(by_key(self.store.units_by_ids(keys).await?, |unit| unit.id))
    }
}

impl Loader<IndicatorId> for StoreLoader {
    type Value = Indicator;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[IndicatorId]) -> LoadResult<IndicatorId, Indicator> {
        Ok(by_key(
            self.store.indicators_by_ids(keys).await?,
            |indicator| indicator.id,
        ))
    }
}

impl Loader<DataSourceId> for StoreLoader {
    type Value = DataSource;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[DataSourceId]) -> LoadResult<DataSourceId, DataSource> {
        Ok(by_key(
            self.store.data_sources(Some(keys)).await?,
            |source| source.id,
        ))
    }
}

impl Loader<SelectionId> for StoreLoader {
    type Value = Selection;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[SelectionId]) -> LoadResult<SelectionId, Selection> {
        Ok(by_key(
            self.store.selections_by_ids(keys).await?,
            |selection| selection.id,
        ))
    }
}

impl Loader<FrameworkId> for StoreLoader {
    type Value = Framework;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[FrameworkId]) -> LoadResult<FrameworkId, Framework> {
        Ok(by_key(
            self.store.frameworks_by_ids(keys).await?,
            |framework| framework.id,
        ))
    }
}

impl Loader<FrameworkVersionId> for StoreLoader {
    type Value = FrameworkVersion;
    type Error = Arc<StoreError>;

    async fn load(
        &self,
        keys: &[FrameworkVersionId],
    ) -> LoadResult<FrameworkVersionId, FrameworkVersion> {
        Ok(by_key(
            self.store.framework_versions_by_ids(keys).await?,
            |version| version.id,
        ))
    }
}

/// Key for a framework by its code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FrameworkCode(pub String);

impl Loader<FrameworkCode> for StoreLoader {
    type Value = Framework;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[FrameworkCode]) -> LoadResult<FrameworkCode, Framework> {
        let codes: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        Ok(by_key(
            self.store.frameworks_by_codes(&codes).await?,
            |framework| FrameworkCode(framework.code.clone()),
        ))
    }
}

/// Key for a framework's version by its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionNumber(pub FrameworkId, pub i64);

impl Loader<VersionNumber> for StoreLoader {
    type Value = FrameworkVersion;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[VersionNumber]) -> LoadResult<VersionNumber, FrameworkVersion> {
        let pairs: Vec<(FrameworkId, i64)> = keys.iter().map(|key| (key.0, key.1)).collect();
        Ok(by_key(
            self.store.framework_versions(&pairs).await?,
            |version| VersionNumber(version.framework_id, version.version),
        ))
    }
}

/// Key for the staff votes of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VotesOf(pub AssessmentId);

impl Loader<VotesOf> for StoreLoader {
    type Value = Vec<Vote>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[VotesOf]) -> LoadResult<VotesOf, Vec<Vote>> {
        let assessments: Vec<AssessmentId> = keys.iter().map(|key| key.0).collect();
        let mut votes = self.store.votes_of_assessments(&assessments).await?;
        Ok(keys
            .iter()
            .map(|key| (*key, votes.remove(&key.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<InitiativeId> for StoreLoader {
    type Value = Initiative;
    type Error = Arc<StoreError>;

    /// Only the initiatives the caller may read: through the request's scoped reader.
    async fn load(&self, keys: &[InitiativeId]) -> LoadResult<InitiativeId, Initiative> {
        Ok(by_key(
            self.reader.initiatives_by_ids(keys).await?,
            |initiative| initiative.id,
        ))
    }
}

/// Key for the latest progress evaluation of an initiative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestEvaluationOf(pub InitiativeId);

impl Loader<LatestEvaluationOf> for StoreLoader {
    type Value = Evaluation;
    type Error = Arc<StoreError>;

    async fn load(
        &self,
        keys: &[LatestEvaluationOf],
    ) -> LoadResult<LatestEvaluationOf, Evaluation> {
        let initiatives: Vec<InitiativeId> = keys.iter().map(|key| key.0).collect();
        let latest = self.store.latest_evaluations(&initiatives).await?;
        Ok(latest
            .into_iter()
            .map(|(initiative, evaluation)| (LatestEvaluationOf(initiative), evaluation))
            .collect())
    }
}

/// Key for the latest value (group of everyone) of an indicator for an initiative's enhet or
/// skoleeier, with the caller's access to it: the actual value its target is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestValue(pub InitiativeSubject, pub IndicatorId);

impl Loader<LatestValue> for StoreLoader {
    type Value = (IndicatorValue, ValueAccess);
    type Error = Arc<StoreError>;

    /// Every key's values in one statement, through the request's scoped reader.
    async fn load(
        &self,
        keys: &[LatestValue],
    ) -> LoadResult<LatestValue, (IndicatorValue, ValueAccess)> {
        let mut units = Vec::new();
        let mut owners = Vec::new();
        let mut indicators = Vec::new();
        for LatestValue(subject, indicator) in keys {
            match subject {
                InitiativeSubject::Unit(unit) => units.push(*unit),
                InitiativeSubject::Owner(owner) => owners.push(*owner),
            }
            indicators.push(*indicator);
        }
        units.sort();
        units.dedup();
        owners.sort();
        owners.dedup();
        indicators.sort();
        indicators.dedup();
        let values = self
            .reader
            .values_of_subjects(&units, &owners, &indicators)
            .await?;
        Ok(keys
            .iter()
            .filter_map(|key| {
                latest_value(&values, &key.0.value_subject(), key.1)
                    .map(|value| (*key, value.clone()))
            })
            .collect())
    }
}

/// Key for an indicator by its code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndicatorCode(pub String);

impl Loader<IndicatorCode> for StoreLoader {
    type Value = Indicator;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[IndicatorCode]) -> LoadResult<IndicatorCode, Indicator> {
        let codes: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let indicators = self.store.indicators_by_codes(&codes).await?;
        Ok(by_key(indicators, |indicator| {
            IndicatorCode(indicator.code.clone())
        }))
    }
}

/// Key for an owner's kommunenummer / fylkesnummer history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodesOf(pub OwnerId);

impl Loader<CodesOf> for StoreLoader {
    type Value = Vec<OwnerCodePeriod>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[CodesOf]) -> LoadResult<CodesOf, Vec<OwnerCodePeriod>> {
        let owners: Vec<OwnerId> = keys.iter().map(|key| key.0).collect();
        let mut codes = self.store.owner_codes(&owners).await?;
        Ok(keys
            .iter()
            .map(|key| (*key, codes.remove(&key.0).unwrap_or_default()))
            .collect())
    }
}

/// Key for one page of a parent's child list under a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildPage<P, F> {
    pub parent: P,
    pub filter: F,
    pub page: Page,
}

/// Loads child pages: keys that share filter and page are fetched in one statement for all their
/// parents. (Different filters or cursors in one request each cost one statement.)
async fn load_child_pages<P, F, V, Fut>(
    keys: &[ChildPage<P, F>],
    fetch: impl Fn(Vec<P>, F, Page) -> Fut,
) -> LoadResult<ChildPage<P, F>, Vec<V>>
where
    P: Clone + Hash + Eq,
    F: Clone + Hash + Eq,
    Fut: Future<Output = StoreResult<HashMap<P, Vec<V>>>>,
{
    let mut groups: HashMap<(F, Page), Vec<P>> = HashMap::new();
    for key in keys {
        groups
            .entry((key.filter.clone(), key.page))
            .or_default()
            .push(key.parent.clone());
    }
    let mut pages = HashMap::with_capacity(keys.len());
    for ((filter, page), parents) in groups {
        let mut found = fetch(parents.clone(), filter.clone(), page).await?;
        for parent in parents {
            let children = found.remove(&parent).unwrap_or_default();
            let key = ChildPage {
                parent,
                filter: filter.clone(),
                page,
            };
            pages.insert(key, children);
        }
    }
    Ok(pages)
}

/// Implements a child-page loader by naming the field (`store` or `reader`) and the method that
/// fetches it.
macro_rules! child_loader {
    ($parent:ty, $filter:ty, $value:ty, $source:ident . $method:ident) => {
        impl Loader<ChildPage<$parent, $filter>> for StoreLoader {
            type Value = Vec<$value>;
            type Error = Arc<StoreError>;

            async fn load(
                &self,
                keys: &[ChildPage<$parent, $filter>],
            ) -> LoadResult<ChildPage<$parent, $filter>, Vec<$value>> {
                load_child_pages(keys, |parents, filter, page| async move {
                    self.$source.$method(&parents, &filter, &page).await
                })
                .await
            }
        }
    };
}

child_loader!(OwnerId, UnitFilter, Unit, store.units_of_owners);
child_loader!(SelectionId, UnitFilter, Unit, store.units_of_selections);
child_loader!(UnitId, ValueFilter, IndicatorValue, reader.values_of_units);
child_loader!(
    OwnerId,
    ValueFilter,
    IndicatorValue,
    reader.values_of_owners
);
child_loader!(
    SelectionId,
    ValueFilter,
    IndicatorValue,
    reader.values_of_selections
);
child_loader!(
    FrameworkId,
    (),
    FrameworkVersion,
    store.versions_of_frameworks
);
child_loader!(
    UnitId,
    AssessmentFilter,
    Assessment,
    reader.assessments_of_units
);
child_loader!(
    AssessmentId,
    (),
    AssessmentRevision,
    store.revisions_of_assessments
);
child_loader!(
    UnitId,
    InitiativeFilter,
    Initiative,
    reader.initiatives_of_units
);
child_loader!(
    OwnerId,
    InitiativeFilter,
    Initiative,
    reader.initiatives_of_owners
);
child_loader!(
    InitiativeId,
    InitiativeFilter,
    Initiative,
    reader.children_of_initiatives
);
child_loader!(
    InitiativeId,
    (),
    Evaluation,
    store.evaluations_of_initiatives
);
child_loader!(
    InitiativeId,
    WholeHistory,
    InitiativeChange,
    store.changes_of_initiatives
);
child_loader!(
    domain::ProcessId,
    MeetingReader,
    domain::Meeting,
    store.meetings_of_processes
);

/// The images of a meeting, for every meeting and agenda item of a request in one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImagesOf(pub domain::MeetingId);

impl Loader<ImagesOf> for StoreLoader {
    type Value = Vec<crate::store::MeetingImage>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[ImagesOf]) -> LoadResult<ImagesOf, Self::Value> {
        let meetings: Vec<domain::MeetingId> = keys.iter().map(|key| key.0).collect();
        let mut found = self.store.images_of_meetings(&meetings).await?;
        Ok(keys
            .iter()
            .map(|key| (*key, found.remove(&key.0).unwrap_or_default()))
            .collect())
    }
}

/// The figures of an agenda item's data, live through the request's scoped reader: every
/// agenda item of a request in one analysis (see `analysis::figure_tables`), each distinct data
/// reference computed once. A reference that no longer resolves fails alone.
impl Loader<domain::DataRef> for StoreLoader {
    type Value = ApiResult<domain::FrozenTable>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[domain::DataRef]) -> LoadResult<domain::DataRef, Self::Value> {
        Ok(super::analysis::figure_tables(&self.store, &self.reader, keys).await?)
    }
}

/// An egenvurdering (assessment) by its key, if it exists and the caller may read it on its own
/// (through the request's scoped reader): every agenda item's criterion in one statement.
impl Loader<AssessmentKey> for StoreLoader {
    type Value = Assessment;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[AssessmentKey]) -> LoadResult<AssessmentKey, Assessment> {
        Ok(by_key(
            self.reader.assessments_by_keys(keys).await?,
            AssessmentKey::of,
        ))
    }
}

/// Key for the staff (unit staff and leaders) of a unit, by Feide user id: whom an invitation
/// to the unit's whole staff reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaffOf(pub UnitId);

impl Loader<StaffOf> for StoreLoader {
    type Value = Vec<String>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[StaffOf]) -> LoadResult<StaffOf, Vec<String>> {
        let units: Vec<UnitId> = keys.iter().map(|key| key.0).collect();
        let mut staff = self.store.staff_of_units(&units).await?;
        Ok(keys
            .iter()
            .map(|key| (*key, staff.remove(&key.0).unwrap_or_default()))
            .collect())
    }
}

/// Key for a person's invitation address, by Feide user id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvitationAddress(pub String);

impl Loader<InvitationAddress> for StoreLoader {
    type Value = String;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[InvitationAddress]) -> LoadResult<InvitationAddress, String> {
        let people: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        Ok(self
            .store
            .invitation_addresses(&people)
            .await?
            .into_iter()
            .map(|(person, address)| (InvitationAddress(person), address))
            .collect())
    }
}

//! The root query type: the directory (owners, units, selections, indicators) merged with the
//! analysis queries.

use async_graphql::{Context, ID, Interface, MergedObject, Object};

use super::{
    analysis::AnalysisQuery,
    audit::AuditQuery,
    error::{ApiError, ApiResult},
    export::ExportQuery,
    ids::{NodeKind, parse_global_id, parse_id_of},
    imports::ImportQuery,
    initiative::InitiativeQuery,
    inputs::{
        IndicatorFilterInput, IndicatorRef, OwnerFilterInput, OwnerRef, SelectionFilterInput,
        UnitFilterInput, UnitRef,
    },
    meeting::MeetingQuery,
    objects::{
        DataSource, Indicator, Initiative, Me, Owner, QualityFramework, SchoolYear, Selection,
        Unit, load_one, principal, store,
    },
    paging::{self, Connection},
    quality::QualityQuery,
};
use crate::{
    auth::Caller,
    domain::{
        CountyNumber, DataSourceId, FrameworkId, IndicatorId, InitiativeId, OwnerId,
        SchoolYear as DomainSchoolYear, SelectionId, UnitId,
    },
    store::{IndicatorFilter, OwnerFilter, SelectionFilter, UnitFilter},
};

/// Any object with a global id (Relay's Node interface).
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id (Relay node id)."))]
// One short-lived value per `node` answer, so the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    Owner(Owner),
    Unit(Unit),
    Selection(Selection),
    Indicator(Indicator),
    DataSource(DataSource),
    QualityFramework(QualityFramework),
    Initiative(Initiative),
}

/// Every query of Varde: the directory, the analysis, the kvalitetsbeskrivelser, the tiltak and
/// the import log.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(
    DirectoryQuery,
    AnalysisQuery,
    QualityQuery,
    InitiativeQuery,
    ImportQuery,
    AuditQuery,
    ExportQuery,
    MeetingQuery,
);

/// Read access to skoleeiere (owners), enheter (units), utvalg (selections), indikatorer and
/// their values.
#[derive(Default)]
pub struct DirectoryQuery;

/// An optional owner reference resolved to its id; an unknown one is `NOT_FOUND`.
async fn owner_id(ctx: &Context<'_>, owner: Option<&OwnerRef>) -> ApiResult<Option<OwnerId>> {
    match owner {
        Some(owner) => Ok(Some(owner.resolve(ctx, None).await?.id)),
        None => Ok(None),
    }
}

/// `NOT_FOUND` becomes `null`, for root fields that look one thing up.
fn found<T>(result: ApiResult<T>) -> ApiResult<Option<T>> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

#[Object]
impl DirectoryQuery {
    /// Skoleeiere (owners), optionally of one kind or in one fylke.
    async fn owners(
        &self,
        ctx: &Context<'_>,
        filter: Option<OwnerFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Owner>> {
        let filter = filter.unwrap_or_default();
        let filter = OwnerFilter {
            kind: filter.kind.map(Into::into),
            county_number: filter
                .county_number
                .as_deref()
                .map(CountyNumber::parse)
                .transpose()?,
        };
        let page = paging::page(after, before, first, last)?;
        let owners = store(ctx).owners_page(&filter, &page).await?;
        Ok(paging::connection(owners, &page, |owner| owner.id.0, Owner))
    }

    /// One skoleeier (owner) by global id or by kommunenummer / fylkesnummer; null when none has
    /// it. Earlier numbers find their owner too (0219 finds Bærum, 0231 Lillestrøm); give `year`
    /// to match only a number valid that calendar year.
    async fn owner(
        &self,
        ctx: &Context<'_>,
        by: OwnerRef,
        #[graphql(desc = "Calendar year in which a `code` was valid.")] year: Option<i32>,
    ) -> ApiResult<Option<Owner>> {
        found(by.resolve(ctx, year).await.map(Owner))
    }

    /// Enheter (units), optionally of one owner, of one kind, or active in one skoleår.
    async fn units(
        &self,
        ctx: &Context<'_>,
        filter: Option<UnitFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Unit>> {
        let filter = filter.unwrap_or_default();
        let filter = UnitFilter {
            owner: owner_id(ctx, filter.owner.as_ref()).await?,
            kind: filter.kind.map(Into::into),
            school_year: filter.school_year.map(DomainSchoolYear::new).transpose()?,
        };
        let page = paging::page(after, before, first, last)?;
        let units = store(ctx).units_page(&filter, &page).await?;
        Ok(paging::connection(units, &page, |unit| unit.id.0, Unit))
    }

    /// One enhet (unit) by global id or organisasjonsnummer; null when none has it.
    async fn unit(&self, ctx: &Context<'_>, by: UnitRef) -> ApiResult<Option<Unit>> {
        Ok(by.find(ctx).await?.map(Unit))
    }

    /// Skoleår (school years) that hold data, oldest first.
    async fn school_years(&self, ctx: &Context<'_>) -> ApiResult<Vec<SchoolYear>> {
        Ok(store(ctx)
            .school_years()
            .await?
            .into_iter()
            .map(SchoolYear)
            .collect())
    }

    /// Utvalg (selections), optionally for one skoleår, one owner or one scope.
    async fn selections(
        &self,
        ctx: &Context<'_>,
        filter: Option<SelectionFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Selection>> {
        let filter = filter.unwrap_or_default();
        let filter = SelectionFilter {
            school_year: filter.school_year.map(DomainSchoolYear::new).transpose()?,
            owner: owner_id(ctx, filter.owner.as_ref()).await?,
            scope: filter.scope.map(Into::into),
        };
        let page = paging::page(after, before, first, last)?;
        let selections = store(ctx).selections_page(&filter, &page).await?;
        Ok(paging::connection(selections, &page, |s| s.id.0, Selection))
    }

    /// One utvalg (selection) by global id.
    async fn selection(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Selection>> {
        let id = SelectionId(parse_id_of(NodeKind::Selection, &id)?);
        Ok(load_one(ctx, id).await?.map(Selection))
    }

    /// Datakilder (data sources): Udir, SSB, GSI and local surveys.
    async fn data_sources(&self, ctx: &Context<'_>) -> ApiResult<Vec<DataSource>> {
        Ok(store(ctx)
            .data_sources(None)
            .await?
            .into_iter()
            .map(DataSource)
            .collect())
    }

    /// Indikatorer (indicators), optionally from one data source, of one category, or applying
    /// to one kind of unit.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        filter: Option<IndicatorFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Indicator>> {
        let filter = filter.unwrap_or_default();
        if let Some(code) = &filter.source {
            let sources = store(ctx).data_sources(None).await?;
            if !sources.iter().any(|s| &s.code == code) {
                return Err(ApiError::BadUserInput(format!(
                    "unknown data source {code:?}; the `dataSources` query lists them"
                )));
            }
        }
        let filter = IndicatorFilter {
            source_code: filter.source,
            category: filter.category.map(Into::into),
            unit_kind: filter.unit_kind.map(Into::into),
            codes: None,
        };
        let page = paging::page(after, before, first, last)?;
        let indicators = store(ctx).indicators_page(&filter, &page).await?;
        Ok(paging::connection(
            indicators,
            &page,
            |i| i.id.0,
            Indicator::from,
        ))
    }

    /// One indikator (indicator) by global id or code; null when none has it.
    async fn indicator(&self, ctx: &Context<'_>, by: IndicatorRef) -> ApiResult<Option<Indicator>> {
        Ok(by.find(ctx).await?.map(Indicator::from))
    }

    /// The logged-in caller (innlogget bruker or API-klient) and its roller; null for anonymous
    /// callers, who read public data only.
    async fn me(&self, ctx: &Context<'_>) -> Option<Me> {
        let principal = principal(ctx);
        (principal.caller != Caller::Anonymous).then(|| Me(principal.clone()))
    }

    /// Any object by its global id (Relay).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let (kind, number) = parse_global_id(&id)?;
        Ok(match kind {
            NodeKind::Owner => load_one(ctx, OwnerId(number))
                .await?
                .map(|o| Node::Owner(Owner(o))),
            NodeKind::Unit => load_one(ctx, UnitId(number))
                .await?
                .map(|u| Node::Unit(Unit(u))),
            NodeKind::Selection => load_one(ctx, SelectionId(number))
                .await?
                .map(|s| Node::Selection(Selection(s))),
            NodeKind::Indicator => load_one(ctx, IndicatorId(number))
                .await?
                .map(|i| Node::Indicator(Indicator::from(i))),
            NodeKind::DataSource => load_one(ctx, DataSourceId(number))
                .await?
                .map(|d| Node::DataSource(DataSource(d))),
            NodeKind::QualityFramework => load_one(ctx, FrameworkId(number))
                .await?
                .map(|f| Node::QualityFramework(QualityFramework(f))),
            NodeKind::Initiative => load_one(ctx, InitiativeId(number))
                .await?
                .map(|i| Node::Initiative(Initiative(i))),
            // Read through `meeting(id)` and `meetingProcesses`, which apply their access rule.
            NodeKind::MeetingProcess | NodeKind::Meeting => None,
        })
    }
}

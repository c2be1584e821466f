//! The root query type.

use async_graphql::{Context, ID, Interface, Object};

use super::{
    enums::{IndicatorCategory, OwnerKind, SelectionScope, UnitKind},
    error::{ApiError, ApiResult},
    ids::{NodeKind, parse_global_id, parse_id_of},
    loaders::IndicatorCode,
    objects::{DataSource, Indicator, Me, Owner, SchoolYear, Selection, Unit, load_one, principal},
    paging::{self, Connection},
};
use crate::{
    auth::Caller,
    domain::{
        self, CountyNumber, DataSourceId, IndicatorId, OrgNumber, OwnerCode, OwnerId,
        SchoolYear as DomainSchoolYear, SelectionId, UnitId,
    },
    store::{IndicatorFilter, OwnerFilter, SelectionFilter, Store, UnitFilter},
};

/// Any object with a global id (Relay's Node interface).
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id (Relay node id)."))]
pub enum Node {
    Owner(Owner),
    Unit(Unit),
    Selection(Selection),
    Indicator(Indicator),
    DataSource(DataSource),
}

pub struct QueryRoot;

fn store<'a>(ctx: &'a Context<'_>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

/// Resolves an owner given by global id or by kommunenummer / fylkesnummer (exactly one).
pub(crate) async fn owner_id(
    ctx: &Context<'_>,
    id: Option<ID>,
    code: Option<String>,
    calendar_year: Option<i32>,
) -> ApiResult<Option<OwnerId>> {
    match (id, code) {
        (Some(_), Some(_)) => Err(ApiError::BadUserInput(
            "give the owner either by id or by code, not both".into(),
        )),
        (Some(id), None) => Ok(Some(OwnerId(parse_id_of(NodeKind::Owner, &id)?))),
        (None, Some(code)) => {
            let code = OwnerCode::parse(&code)?;
            match store(ctx).owner_by_code(&code, calendar_year).await? {
                Some(owner) => Ok(Some(owner.id)),
                None => Err(ApiError::NotFound(format!(
                    "no owner has kommunenummer/fylkesnummer {:?}",
                    code.as_str()
                ))),
            }
        }
        (None, None) => Ok(None),
    }
}

/// Read access to skoleeiere (owners), enheter (units), utvalg (selections), indikatorer and
/// their values.
#[Object]
impl QueryRoot {
    /// Skoleeiere (owners), optionally of one kind or in one fylke.
    #[allow(clippy::too_many_arguments)]
    async fn owners(
        &self,
        ctx: &Context<'_>,
        kind: Option<OwnerKind>,
        #[graphql(desc = "Fylkesnummer (2 digits) of the county the owners lie in today.")]
        county_number: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Owner>> {
        let filter = OwnerFilter {
            kind: kind.map(Into::into),
            county_number: county_number
                .as_deref()
                .map(CountyNumber::parse)
                .transpose()?,
        };
        let page = paging::page(after, before, first, last)?;
        let owners = store(ctx).owners_page(&filter, &page).await?;
        Ok(paging::connection(owners, &page, |owner| owner.id.0, Owner))
    }

    /// One skoleeier (owner) by global id or by kommunenummer / fylkesnummer. Earlier numbers
    /// find their owner too (0219 finds Bærum, 0231 Lillestrøm); give `year` to match only a
    /// number valid that calendar year.
    async fn owner(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        #[graphql(
            desc = "Kommunenummer (4 digits) or fylkesnummer (2 digits), current or earlier."
        )]
        code: Option<String>,
        #[graphql(desc = "Calendar year in which `code` was valid.")] year: Option<i32>,
    ) -> ApiResult<Option<Owner>> {
        if id.is_none() && code.is_none() {
            return Err(ApiError::BadUserInput("give the owner's id or code".into()));
        }
        match owner_id(ctx, id, code, year).await {
            Ok(Some(owner)) => Ok(load_one(ctx, owner).await?.map(Owner)),
            Ok(None) | Err(ApiError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Enheter (units), optionally of one owner (by id or kommunenummer), of one kind, or active
    /// in one skoleår.
    #[allow(clippy::too_many_arguments)]
    async fn units(
        &self,
        ctx: &Context<'_>,
        owner_id: Option<ID>,
        #[graphql(desc = "Kommunenummer or fylkesnummer of the owner, current or earlier.")]
        owner_code: Option<String>,
        kind: Option<UnitKind>,
        #[graphql(desc = "Only units active in this skoleår (2024 for 2024-25).")]
        school_year: Option<i32>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Unit>> {
        let filter = UnitFilter {
            owner: self::owner_id(ctx, owner_id, owner_code, None).await?,
            kind: kind.map(Into::into),
            school_year: school_year.map(DomainSchoolYear::new).transpose()?,
        };
        let page = paging::page(after, before, first, last)?;
        let units = store(ctx).units_page(&filter, &page).await?;
        Ok(paging::connection(units, &page, |unit| unit.id.0, Unit))
    }

    /// One enhet (unit) by global id or organisasjonsnummer.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        #[graphql(desc = "Organisasjonsnummer (9 digits).")] org_number: Option<String>,
    ) -> ApiResult<Option<Unit>> {
        match (id, org_number) {
            (Some(id), None) => {
                let id = UnitId(parse_id_of(NodeKind::Unit, &id)?);
                Ok(load_one(ctx, id).await?.map(Unit))
            }
            (None, Some(org_number)) => {
                let org_number = OrgNumber::parse(&org_number)?;
                Ok(store(ctx).unit_by_org_number(&org_number).await?.map(Unit))
            }
            _ => Err(ApiError::BadUserInput(
                "give the unit either by id or by orgNumber".into(),
            )),
        }
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
    #[allow(clippy::too_many_arguments)]
    async fn selections(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: Option<i32>,
        owner_id: Option<ID>,
        #[graphql(desc = "Kommunenummer or fylkesnummer of the owner, current or earlier.")]
        owner_code: Option<String>,
        scope: Option<SelectionScope>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Selection>> {
        let filter = SelectionFilter {
            school_year: school_year.map(DomainSchoolYear::new).transpose()?,
            owner: self::owner_id(ctx, owner_id, owner_code, None).await?,
            scope: scope.map(Into::into),
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
    #[allow(clippy::too_many_arguments)]
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Code of the datakilde, e.g. `udir-elevundersokelsen`.")] source: Option<
            String,
        >,
        category: Option<IndicatorCategory>,
        unit_kind: Option<UnitKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Indicator>> {
        if let Some(code) = &source {
            let sources = store(ctx).data_sources(None).await?;
            if !sources.iter().any(|s| &s.code == code) {
                return Err(ApiError::BadUserInput(format!(
                    "unknown data source {code:?}; the `dataSources` query lists them"
                )));
            }
        }
        let filter = IndicatorFilter {
            source_code: source,
            category: category.map(Into::into),
            unit_kind: unit_kind.map(Into::into),
            codes: None,
        };
        let page = paging::page(after, before, first, last)?;
        let indicators = store(ctx).indicators_page(&filter, &page).await?;
        Ok(paging::connection(indicators, &page, |i| i.id.0, Indicator))
    }

    /// One indikator (indicator) by global id or code.
    async fn indicator(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        #[graphql(desc = "Code of the indikator, e.g. `eu_trivsel`.")] code: Option<String>,
    ) -> ApiResult<Option<Indicator>> {
        let indicator: Option<domain::Indicator> = match (id, code) {
            (Some(id), None) => {
                load_one(ctx, IndicatorId(parse_id_of(NodeKind::Indicator, &id)?)).await?
            }
            (None, Some(code)) => load_one(ctx, IndicatorCode(code)).await?,
            _ => {
                return Err(ApiError::BadUserInput(
                    "give the indicator either by id or by code".into(),
                ));
            }
        };
        Ok(indicator.map(Indicator))
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
                .map(|i| Node::Indicator(Indicator(i))),
            NodeKind::DataSource => load_one(ctx, DataSourceId(number))
                .await?
                .map(|d| Node::DataSource(DataSource(d))),
        })
    }
}

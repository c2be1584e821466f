//! The root query type.

use async_graphql::{Context, ID, Interface, Object};

use super::{
    analysis::{self, Analysis, Subject},
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

/// The members of an utvalg (selection) by global id, with its owner and school year.
async fn selection_members(
    ctx: &Context<'_>,
    id: &ID,
) -> ApiResult<(domain::Selection, Vec<UnitId>)> {
    let id = SelectionId(parse_id_of(NodeKind::Selection, id)?);
    let selection: domain::Selection = load_one(ctx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no selection has id {id:?}")))?;
    let members = store(ctx)
        .selection_member_ids(&[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok((selection, members))
}

/// Loads an owner given by id or code (exactly one of them required).
async fn required_owner(
    ctx: &Context<'_>,
    id: Option<ID>,
    code: Option<String>,
) -> ApiResult<domain::Owner> {
    let owner = owner_id(ctx, id, code, None)
        .await?
        .ok_or_else(|| ApiError::BadUserInput("give the owner's ownerId or ownerCode".into()))?;
    load_one(ctx, owner)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no owner has id {owner:?}")))
}

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

    /// Aggregater: per indikator the value for one skoleeier (ownerId or ownerCode), one utvalg
    /// (selectionId), a set of enheter (orgNumbers) or the nation (nation: true) in one skoleår. A
    /// value the source published for a skoleeier or the nation is used as it is (computed:
    /// false); otherwise Varde computes it (n-weighted mean, or sum for counts) over the members
    /// whose own values are visible, so that no prikket (suppressed) value can be derived.
    /// Restricted (local survey) aggregates: of a skoleeier for its own roles and national roles,
    /// of the nation for national roles, of an utvalg or orgNumbers only for a caller who may read
    /// every member on its own (otherwise two sets differing in one enhet would reveal it).
    #[allow(clippy::too_many_arguments)]
    async fn aggregate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Codes of the indikatorer, e.g. `ke_trivsel`.")] indicators: Vec<String>,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(
            desc = "Gruppe: \"all\", \"trinn=7\", \"kjonn=jenter\", ...",
            default = "all"
        )]
        group: String,
        #[graphql(desc = "Skoleeier (owner) by global id.")] owner_id: Option<ID>,
        #[graphql(desc = "Skoleeier by kommunenummer or fylkesnummer, current or earlier.")]
        owner_code: Option<String>,
        #[graphql(desc = "Utvalg (selection) by global id.")] selection_id: Option<ID>,
        #[graphql(desc = "A set of enheter by organisasjonsnummer (an ad hoc utvalg).")]
        org_numbers: Option<Vec<String>>,
        #[graphql(desc = "Nasjonalt: true for the national aggregate.")] nation: Option<bool>,
    ) -> ApiResult<Vec<analysis::Aggregate>> {
        let year = DomainSchoolYear::new(school_year)?;
        let group = analysis::group(&group)?;
        let nation = nation.unwrap_or(false);
        let given = [
            owner_id.is_some() || owner_code.is_some(),
            selection_id.is_some(),
            org_numbers.is_some(),
            nation,
        ];
        if given.iter().filter(|given| **given).count() != 1 {
            return Err(ApiError::BadUserInput(
                "give exactly one subject: ownerId or ownerCode, selectionId, orgNumbers, or nation: true"
                    .into(),
            ));
        }
        let mut members: Vec<UnitId> = Vec::new();
        let mut owner = None;
        if owner_id.is_some() || owner_code.is_some() {
            owner = Some(required_owner(ctx, owner_id, owner_code).await?.id);
        } else if let Some(id) = &selection_id {
            members = selection_members(ctx, id).await?.1;
        } else if let Some(org_numbers) = org_numbers {
            let org_numbers = org_numbers
                .iter()
                .map(|number| OrgNumber::parse(number))
                .collect::<Result<Vec<_>, _>>()?;
            let units = store(ctx).units_by_org_numbers(&org_numbers).await?;
            if units.len() != org_numbers.len() {
                return Err(ApiError::NotFound(
                    "some organisasjonsnummer in `orgNumbers` name no enhet".into(),
                ));
            }
            members = units.iter().map(|unit| unit.id).collect();
        }
        let analysis = Analysis::load(ctx, &indicators, &[year], group, None).await?;
        let subject = match owner {
            Some(owner) => Subject::Owner(owner),
            None if nation => Subject::Nation,
            None => Subject::Members(&members),
        };
        Ok(analysis
            .indicators()
            .iter()
            .map(|indicator| {
                analysis::Aggregate::new(
                    indicator,
                    year,
                    analysis.aggregate(indicator, subject, year),
                )
            })
            .collect())
    }

    /// Fargetabell (colour table): the enheter of one utvalg (selectionId) or skoleeier (ownerId or
    /// ownerCode; its units active that skoleår) against indikatorer, each cell coloured by the
    /// indikator's fargeregel, with skoleeier and national reference rows.
    #[allow(clippy::too_many_arguments)]
    async fn colour_table(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Utvalg (selection) by global id.")] selection_id: Option<ID>,
        #[graphql(desc = "Skoleeier (owner) by global id.")] owner_id: Option<ID>,
        #[graphql(desc = "Skoleeier by kommunenummer or fylkesnummer, current or earlier.")]
        owner_code: Option<String>,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Codes of the indikatorer (the columns).")] indicators: Vec<String>,
        #[graphql(
            desc = "Gruppe: \"all\", \"trinn=7\", \"kjonn=jenter\", ...",
            default = "all"
        )]
        group: String,
    ) -> ApiResult<analysis::ColourTable> {
        let year = DomainSchoolYear::new(school_year)?;
        let group = analysis::group(&group)?;
        let by_owner = owner_id.is_some() || owner_code.is_some();
        let (owner, members) = match (selection_id, by_owner) {
            (Some(id), false) => {
                let (selection, members) = selection_members(ctx, &id).await?;
                let owner = match selection.owner_id {
                    Some(owner) => load_one(ctx, owner).await?,
                    None => None,
                };
                (owner, Some(members))
            }
            (None, true) => (Some(required_owner(ctx, owner_id, owner_code).await?), None),
            _ => {
                return Err(ApiError::BadUserInput(
                    "give either selectionId or ownerId / ownerCode".into(),
                ));
            }
        };
        let analysis = Analysis::load(ctx, &indicators, &[year], group, None).await?;
        let units = analysis
            .units()
            .iter()
            .filter(|unit| match (&members, &owner) {
                (Some(members), _) => members.contains(&unit.id),
                (None, Some(owner)) => unit.owner_id == owner.id && unit.is_active_in(year),
                (None, None) => false,
            })
            .cloned()
            .collect::<Vec<_>>();
        // Load the rows' owners in one batch now, so that `unit { owner }` in every row is a cache
        // hit instead of a batch whose size depends on when each row is resolved.
        super::objects::loader(ctx)
            .load_many(units.iter().map(|unit| unit.owner_id))
            .await
            .map_err(ApiError::from)?;
        Ok(analysis::colour_table(&analysis, units, owner, year, group))
    }

    /// Trendgraf (trend series): one indikator for one enhet (unitId or orgNumber) or skoleeier
    /// (ownerId or ownerCode) over every skoleår, with change from the year before and the
    /// skoleeier's and nation's values beside it.
    #[allow(clippy::too_many_arguments)]
    async fn trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Code of the indikator, e.g. `eu_trivsel`.")] indicator: String,
        #[graphql(desc = "Enhet (unit) by global id.")] unit_id: Option<ID>,
        #[graphql(desc = "Enhet (unit) by organisasjonsnummer.")] org_number: Option<String>,
        #[graphql(desc = "Skoleeier (owner) by global id.")] owner_id: Option<ID>,
        #[graphql(desc = "Skoleeier by kommunenummer or fylkesnummer, current or earlier.")]
        owner_code: Option<String>,
        #[graphql(
            desc = "Gruppe: \"all\", \"trinn=7\", \"kjonn=jenter\", ...",
            default = "all"
        )]
        group: String,
    ) -> ApiResult<analysis::Trend> {
        let group = analysis::group(&group)?;
        let by_unit = unit_id.is_some() || org_number.is_some();
        let by_owner = owner_id.is_some() || owner_code.is_some();
        let (unit, owner) = match (by_unit, by_owner) {
            (true, false) => {
                let unit = match (unit_id, org_number) {
                    (Some(id), None) => {
                        load_one(ctx, UnitId(parse_id_of(NodeKind::Unit, &id)?)).await?
                    }
                    (None, Some(number)) => {
                        store(ctx)
                            .unit_by_org_number(&OrgNumber::parse(&number)?)
                            .await?
                    }
                    _ => {
                        return Err(ApiError::BadUserInput(
                            "give the unit either by unitId or by orgNumber".into(),
                        ));
                    }
                };
                let unit: domain::Unit =
                    unit.ok_or_else(|| ApiError::NotFound("no such enhet (unit)".into()))?;
                let owner: domain::Owner = load_one(ctx, unit.owner_id)
                    .await?
                    .ok_or_else(|| ApiError::NotFound("the unit's owner is missing".into()))?;
                (Some(unit), owner)
            }
            (false, true) => (None, required_owner(ctx, owner_id, owner_code).await?),
            _ => {
                return Err(ApiError::BadUserInput(
                    "give either a unit (unitId / orgNumber) or an owner (ownerId / ownerCode)"
                        .into(),
                ));
            }
        };
        let years = store(ctx).school_years().await?;
        let analysis = Analysis::load(ctx, &[indicator], &years, group, None).await?;
        Ok(analysis::trend(&analysis, unit, owner, &years, group))
    }

    /// Nøkkelinformasjon (key figures) for a skoleeier's start page: per indikator the owner's
    /// value beside the national value in one skoleår.
    async fn key_figures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Skoleeier (owner) by global id.")] owner_id: Option<ID>,
        #[graphql(desc = "Skoleeier by kommunenummer or fylkesnummer, current or earlier.")]
        owner_code: Option<String>,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Codes of the indikatorer.")] indicators: Vec<String>,
    ) -> ApiResult<analysis::KeyFigures> {
        let year = DomainSchoolYear::new(school_year)?;
        let owner = required_owner(ctx, owner_id, owner_code).await?;
        let analysis =
            Analysis::load(ctx, &indicators, &[year], domain::ValueGroup::ALL, None).await?;
        Ok(analysis::key_figures(&analysis, owner, year))
    }

    /// Nasjonal kulturskoleaggregering (for Norsk kulturskoleråd): for every kulturskole in the
    /// country, one row per skoleeier that has one and a national row, each with per-indikator
    /// aggregates and their coverage, across datakilder (pupil and parent surveys, GSI, KOSTRA).
    /// Restricted (local survey) aggregates need a national role or the owner's own role.
    async fn arts_school_aggregation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Skoleår (2024 for 2024-25).")] school_year: i32,
        #[graphql(desc = "Codes of indikatorer that apply to kulturskoler.")] indicators: Vec<
            String,
        >,
    ) -> ApiResult<analysis::ArtsSchoolAggregation> {
        let year = DomainSchoolYear::new(school_year)?;
        let analysis = Analysis::load(
            ctx,
            &indicators,
            &[year],
            domain::ValueGroup::ALL,
            Some(domain::UnitKind::ArtsSchool),
        )
        .await?;
        let owner_ids: std::collections::BTreeSet<OwnerId> = analysis
            .units()
            .iter()
            .filter(|unit| unit.is_active_in(year))
            .map(|unit| unit.owner_id)
            .collect();
        let mut owners: Vec<domain::Owner> = super::objects::loader(ctx)
            .load_many(owner_ids)
            .await
            .map_err(ApiError::from)?
            .into_values()
            .collect();
        owners.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(analysis::arts_school_aggregation(&analysis, owners, year))
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

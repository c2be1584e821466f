//! Typed arguments: `@oneOf` inputs for things that can be named several ways, and input objects
//! for filters and groups. Each is resolved here, in one place, into what it names; resolvers never
//! check an argument pair by hand.

use async_graphql::{Context, ID, InputObject, OneofObject};

use super::{
    enums::{Gender, IndicatorCategory, InitiativeStatus, OwnerKind, SelectionScope, UnitKind},
    error::{ApiError, ApiResult},
    ids::{NodeKind, parse_id_of},
    loaders::{FrameworkCode, IndicatorCode},
    objects::{load_one, loader, principal, store},
};
use crate::{
    domain::{
        self, FrameworkId, IndicatorId, OrgNumber, OwnerCode, OwnerId, SchoolYear, SelectionId,
        UnitId, ValueGroup,
    },
    store::{AssessmentFilter, InitiativeFilter, ValueFilter},
};

/// Skoleeier (owner), named by global id or by kommunenummer / fylkesnummer (current or earlier:
/// 0219 finds Bærum, 0231 Lillestrøm).
#[derive(OneofObject, Clone, Debug)]
pub enum OwnerRef {
    /// Global id (Relay node id).
    Id(ID),
    /// Kommunenummer (4 digits) or fylkesnummer (2 digits).
    Code(String),
}

impl OwnerRef {
    /// The owner named; `year` (a calendar year) limits a code to the number valid that year.
    pub async fn resolve(&self, ctx: &Context<'_>, year: Option<i32>) -> ApiResult<domain::Owner> {
        let owner = match self {
            Self::Id(id) => load_one(ctx, OwnerId(parse_id_of(NodeKind::Owner, id)?)).await?,
            Self::Code(code) => {
                let code = OwnerCode::parse(code)?;
                store(ctx).owner_by_code(&code, year).await?
            }
        };
        owner.ok_or_else(|| ApiError::NotFound(format!("no skoleeier (owner) has {self}")))
    }
}

impl std::fmt::Display for OwnerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id {:?}", id.as_str()),
            Self::Code(code) => write!(f, "kommunenummer/fylkesnummer {code:?}"),
        }
    }
}

/// Enhet (unit), named by global id or organisasjonsnummer.
#[derive(OneofObject, Clone, Debug)]
pub enum UnitRef {
    /// Global id (Relay node id).
    Id(ID),
    /// Organisasjonsnummer (9 digits, mod-11 checked).
    OrgNumber(String),
}

impl UnitRef {
    /// The unit named, or `None` when nothing has that identifier.
    pub async fn find(&self, ctx: &Context<'_>) -> ApiResult<Option<domain::Unit>> {
        match self {
            Self::Id(id) => load_one(ctx, UnitId(parse_id_of(NodeKind::Unit, id)?)).await,
            Self::OrgNumber(number) => Ok(store(ctx)
                .unit_by_org_number(&OrgNumber::parse(number)?)
                .await?),
        }
    }

    /// The unit named; unknown is `NOT_FOUND`.
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<domain::Unit> {
        self.find(ctx)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no enhet (unit) has {self}")))
    }

    /// The units a set of references names, each once, in the order first named. Every one must
    /// exist.
    pub async fn resolve_set(ctx: &Context<'_>, refs: &[Self]) -> ApiResult<Vec<domain::Unit>> {
        let mut ids = Vec::new();
        let mut numbers = Vec::new();
        for unit in refs {
            match unit {
                Self::Id(id) => ids.push(UnitId(parse_id_of(NodeKind::Unit, id)?)),
                Self::OrgNumber(number) => numbers.push(OrgNumber::parse(number)?),
            }
        }
        let by_id = loader(ctx).load_many(ids).await.map_err(ApiError::from)?;
        let by_number = store(ctx).units_by_org_numbers(&numbers).await?;
        let mut units: Vec<domain::Unit> = Vec::with_capacity(refs.len());
        for unit in refs {
            let found = match unit {
                Self::Id(id) => by_id.get(&UnitId(parse_id_of(NodeKind::Unit, id)?)),
                Self::OrgNumber(number) => {
                    let number = OrgNumber::parse(number)?;
                    by_number.iter().find(|found| found.org_number == number)
                }
            }
            .ok_or_else(|| ApiError::NotFound(format!("no enhet (unit) has {unit}")))?;
            if !units.iter().any(|known| known.id == found.id) {
                units.push(found.clone());
            }
        }
        Ok(units)
    }
}

impl std::fmt::Display for UnitRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id {:?}", id.as_str()),
            Self::OrgNumber(number) => write!(f, "organisasjonsnummer {number:?}"),
        }
    }
}

/// Indikator, named by global id or code (e.g. `eu_trivsel`).
#[derive(OneofObject, Clone, Debug)]
pub enum IndicatorRef {
    /// Global id (Relay node id).
    Id(ID),
    /// Code of the indikator, e.g. `eu_trivsel`.
    Code(String),
}

impl IndicatorRef {
    /// The indicator named, or `None` when nothing has that identifier.
    pub async fn find(&self, ctx: &Context<'_>) -> ApiResult<Option<domain::Indicator>> {
        match self {
            Self::Id(id) => load_one(ctx, IndicatorId(parse_id_of(NodeKind::Indicator, id)?)).await,
            Self::Code(code) => load_one(ctx, IndicatorCode(code.clone())).await,
        }
    }

    /// The code of the indicator named.
    pub async fn code(&self, ctx: &Context<'_>) -> ApiResult<String> {
        match self {
            Self::Code(code) => Ok(code.clone()),
            Self::Id(id) => self.find(ctx).await?.map(|i| i.code).ok_or_else(|| {
                ApiError::NotFound(format!("no indikator has id {:?}", id.as_str()))
            }),
        }
    }
}

/// What an aggregate describes: a skoleeier, an utvalg, a set of enheter, or the nation.
#[derive(OneofObject, Clone, Debug)]
pub enum SubjectRef {
    /// Skoleeier (owner): its published value, or computed over its units active that skoleår.
    Owner(OwnerRef),
    /// Utvalg (selection) by global id.
    Selection(ID),
    /// A set of enheter (an ad hoc utvalg); each named once or more, counted once.
    Units(Vec<UnitRef>),
    /// Nasjonalt: give `true` for the national aggregate.
    Nation(bool),
}

/// The rows of a fargetabell: the units of a skoleeier, of an utvalg, or a set of enheter.
#[derive(OneofObject, Clone, Debug)]
pub enum UnitSetRef {
    /// Skoleeier (owner): its units active that skoleår, with the owner's reference row.
    Owner(OwnerRef),
    /// Utvalg (selection) by global id: its member units, with its owner's row when it has one.
    Selection(ID),
    /// A set of enheter; each named once or more, shown once.
    Units(Vec<UnitRef>),
}

/// What a trend describes: one enhet (with its owner beside it) or one skoleeier.
#[derive(OneofObject, Clone, Debug)]
pub enum TrendSubjectRef {
    /// Enhet (unit).
    Unit(UnitRef),
    /// Skoleeier (owner).
    Owner(OwnerRef),
}

/// The units an aggregate or a table is over, resolved.
pub enum ResolvedSubject {
    Owner(domain::Owner),
    /// An utvalg or a chosen set, with the owner of the utvalg when it has one.
    Members {
        owner: Option<domain::Owner>,
        units: Vec<UnitId>,
    },
    Nation,
}

impl SubjectRef {
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<ResolvedSubject> {
        match self {
            Self::Owner(owner) => UnitSetRef::Owner(owner.clone()).resolve(ctx).await,
            Self::Selection(id) => UnitSetRef::Selection(id.clone()).resolve(ctx).await,
            Self::Units(units) => UnitSetRef::Units(units.clone()).resolve(ctx).await,
            Self::Nation(true) => Ok(ResolvedSubject::Nation),
            Self::Nation(false) => Err(ApiError::BadUserInput(
                "`nation: false` names nothing; give `nation: true`, an owner, a selection or units"
                    .into(),
            )),
        }
    }
}

impl UnitSetRef {
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<ResolvedSubject> {
        match self {
            Self::Owner(owner) => Ok(ResolvedSubject::Owner(owner.resolve(ctx, None).await?)),
            Self::Selection(id) => {
                let selection_id = SelectionId(parse_id_of(NodeKind::Selection, id)?);
                let selection: domain::Selection =
                    load_one(ctx, selection_id).await?.ok_or_else(|| {
                        ApiError::NotFound(format!(
                            "no utvalg (selection) has id {:?}",
                            id.as_str()
                        ))
                    })?;
                let owner = match selection.owner_id {
                    Some(owner) => load_one(ctx, owner).await?,
                    None => None,
                };
                let units = store(ctx)
                    .selection_member_ids(&[selection_id])
                    .await?
                    .remove(&selection_id)
                    .unwrap_or_default();
                Ok(ResolvedSubject::Members { owner, units })
            }
            Self::Units(refs) => {
                if refs.is_empty() {
                    return Err(ApiError::BadUserInput("`units` names no enhet".into()));
                }
                let units = UnitRef::resolve_set(ctx, refs).await?;
                Ok(ResolvedSubject::Members {
                    owner: None,
                    units: units.iter().map(|unit| unit.id).collect(),
                })
            }
        }
    }
}

/// Gruppe: everyone (both fields empty), one trinn, one kjønn, or both.
#[derive(InputObject, Clone, Debug, Default)]
pub struct GroupInput {
    /// Trinn 1-13 (11-13 are Vg1-Vg3); empty for all grades.
    grade: Option<i32>,
    /// Kjønn; empty for both.
    gender: Option<Gender>,
}

impl GroupInput {
    pub fn to_group(&self) -> ApiResult<ValueGroup> {
        Ok(ValueGroup::new(self.grade, self.gender.map(Into::into))?)
    }

    /// The group of an optional argument: everyone when absent.
    pub fn group_of(input: Option<&Self>) -> ApiResult<ValueGroup> {
        input.map_or(Ok(ValueGroup::ALL), Self::to_group)
    }
}

/// Checks school-year arguments; a set, so repeats count once.
pub fn school_years(years: &[i32]) -> ApiResult<Vec<SchoolYear>> {
    let mut years = years
        .iter()
        .map(|year| SchoolYear::new(*year))
        .collect::<Result<Vec<_>, _>>()?;
    years.sort();
    years.dedup();
    Ok(years)
}

/// Which indikatorverdier (values) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ValueFilterInput {
    /// Codes of the indikatorer, e.g. `eu_trivsel`; empty for all. A set: repeats count once.
    #[graphql(default)]
    indicators: Vec<String>,
    /// Skoleår (2024 for 2024-25); empty for all.
    #[graphql(default)]
    school_years: Vec<i32>,
    /// Gruppe; empty for values of every group.
    group: Option<GroupInput>,
}

impl ValueFilterInput {
    /// The store's filter. Indicator codes are checked against the catalogue, so that a misspelt
    /// code is an error rather than an empty list.
    pub async fn resolve(ctx: &Context<'_>, input: Option<&Self>) -> ApiResult<ValueFilter> {
        let Some(input) = input else {
            return Ok(ValueFilter::default());
        };
        let indicator_codes = known_indicator_codes(ctx, &input.indicators).await?;
        Ok(ValueFilter {
            indicator_codes,
            school_years: school_years(&input.school_years)?,
            group: input.group.as_ref().map(GroupInput::to_group).transpose()?,
        })
    }
}

/// Sorts and dedupes indicator codes and checks that each names an indicator.
pub async fn known_indicator_codes(ctx: &Context<'_>, codes: &[String]) -> ApiResult<Vec<String>> {
    let mut codes = codes.to_vec();
    codes.sort();
    codes.dedup();
    if codes.is_empty() {
        return Ok(codes);
    }
    let known = loader(ctx)
        .load_many(codes.iter().cloned().map(IndicatorCode))
        .await
        .map_err(ApiError::from)?;
    if let Some(unknown) = codes
        .iter()
        .find(|code| !known.contains_key(&IndicatorCode((*code).clone())))
    {
        return Err(ApiError::BadUserInput(format!(
            "unknown indicator code {unknown:?}; the `indicators` query lists them"
        )));
    }
    Ok(codes)
}

/// Which skoleeiere (owners) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OwnerFilterInput {
    /// Type skoleeier.
    pub kind: Option<OwnerKind>,
    /// Fylkesnummer (2 digits) of the county the owners lie in today.
    pub county_number: Option<String>,
}

/// Which enheter (units) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UnitFilterInput {
    /// Skoleeier (owner) of the units.
    pub owner: Option<OwnerRef>,
    /// Type enhet.
    pub kind: Option<UnitKind>,
    /// Only units active in this skoleår (2024 for 2024-25).
    pub school_year: Option<i32>,
}

/// Which of a skoleeier's or an utvalg's enheter (units) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct MemberUnitFilterInput {
    /// Type enhet.
    pub kind: Option<UnitKind>,
    /// Only units active in this skoleår (2024 for 2024-25).
    pub school_year: Option<i32>,
}

/// Which utvalg (selections) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct SelectionFilterInput {
    /// Skoleår (2024 for 2024-25).
    pub school_year: Option<i32>,
    /// Skoleeier (owner) of the utvalg.
    pub owner: Option<OwnerRef>,
    /// Omfang (scope).
    pub scope: Option<SelectionScope>,
}

/// Which indikatorer to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct IndicatorFilterInput {
    /// Code of the datakilde, e.g. `udir-elevundersokelsen`.
    pub source: Option<String>,
    /// Kategori.
    pub category: Option<IndicatorCategory>,
    /// Only indikatorer that apply to this kind of enhet.
    pub unit_kind: Option<UnitKind>,
}

/// Kvalitetsbeskrivelse (quality framework), named by global id or code (e.g. `kulturskole`).
#[derive(OneofObject, Clone, Debug)]
pub enum QualityFrameworkRef {
    /// Global id (Relay node id).
    Id(ID),
    /// Code of the framework, e.g. `kulturskole` or `lillestrom-skole`.
    Code(String),
}

impl QualityFrameworkRef {
    /// The framework named, or `None` when nothing has that identifier.
    pub async fn find(&self, ctx: &Context<'_>) -> ApiResult<Option<domain::Framework>> {
        match self {
            Self::Id(id) => {
                load_one(
                    ctx,
                    FrameworkId(parse_id_of(NodeKind::QualityFramework, id)?),
                )
                .await
            }
            Self::Code(code) => load_one(ctx, FrameworkCode(code.trim().to_owned())).await,
        }
    }

    /// The framework named, if the caller may see it: published and retired ones for everyone,
    /// drafts only for those who may edit them (`Grants::may_edit_framework`).
    pub async fn find_visible(&self, ctx: &Context<'_>) -> ApiResult<Option<domain::Framework>> {
        let grants = &principal(ctx).grants;
        Ok(self.find(ctx).await?.filter(|framework| {
            framework.status != domain::FrameworkStatus::Draft
                || grants.may_edit_framework(framework.owner)
        }))
    }

    /// The framework named, if the caller may see it; otherwise (or unknown) `NOT_FOUND`.
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<domain::Framework> {
        self.find_visible(ctx).await?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "no kvalitetsbeskrivelse (quality framework) has {self}"
            ))
        })
    }
}

impl std::fmt::Display for QualityFrameworkRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id {:?}", id.as_str()),
            Self::Code(code) => write!(f, "code {code:?}"),
        }
    }
}

/// Whose distribution of levels: one skoleeier's units, or the nation's.
#[derive(OneofObject, Clone, Debug)]
pub enum DistributionSubjectRef {
    /// Skoleeier (owner): its units.
    Owner(OwnerRef),
    /// Nasjonalt: give `true` for every unit in the country.
    Nation(bool),
}

impl DistributionSubjectRef {
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<domain::DistributionSubject> {
        match self {
            Self::Owner(owner) => Ok(domain::DistributionSubject::Owner(
                owner.resolve(ctx, None).await?.id,
            )),
            Self::Nation(true) => Ok(domain::DistributionSubject::Nation),
            Self::Nation(false) => Err(ApiError::BadUserInput(
                "nation: false names nothing; give nation: true or an owner".into(),
            )),
        }
    }
}

/// Which of a unit's egenvurderinger (assessments) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AssessmentFilterInput {
    /// Only against this kvalitetsbeskrivelse.
    pub framework: Option<QualityFrameworkRef>,
    /// Only of this kvalitetskjennetegn (criterion number, e.g. "2.1").
    pub criterion: Option<String>,
    /// Only of this skoleår (start year).
    pub school_year: Option<i32>,
}

impl AssessmentFilterInput {
    pub async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<AssessmentFilter> {
        Ok(AssessmentFilter {
            framework: match &self.framework {
                Some(framework) => Some(framework.resolve(ctx).await?.id),
                None => None,
            },
            criterion: self.criterion.as_ref().map(|c| c.trim().to_owned()),
            school_year: self.school_year.map(SchoolYear::new).transpose()?,
        })
    }
}

/// Which tiltak (initiatives) to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct InitiativeFilterInput {
    /// Only those running in this skoleår (start year).
    pub school_year: Option<i32>,
    /// Only those with this status.
    pub status: Option<InitiativeStatus>,
}

impl InitiativeFilterInput {
    /// The store's filter; `of_units` for a skoleeier's overview of its enheter's initiatives.
    pub fn resolve(&self, of_units: bool) -> ApiResult<InitiativeFilter> {
        Ok(InitiativeFilter {
            school_year: self.school_year.map(SchoolYear::new).transpose()?,
            status: self.status.map(Into::into),
            of_units,
        })
    }
}

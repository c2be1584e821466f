//! Kvalitetsbeskrivelser and egenvurdering at the root: the frameworks, the level distributions,
//! and the mutations that edit frameworks and write assessments and votes.
//!
//! Default deny: every mutation names its role rule (`Grants::may_edit_framework`, `may_assess`,
//! `may_vote`) before it checks or writes anything, and every write is all or nothing.

use async_graphql::{Context, InputObject, Object};
use chrono::Utc;

use super::{
    enums::UnitKind,
    error::{ApiError, ApiResult},
    inputs::{DistributionSubjectRef, OwnerRef, QualityFrameworkRef, UnitRef},
    objects::{
        Assessment, LevelDistributionPoint, QualityFramework, load_reference, logged_in, principal,
        reader, store,
    },
    paging::{self, Connection},
};
use crate::{
    domain::{
        self, DEFAULT_MIN_GROUP_SIZE, FrameworkContent, FrameworkStatus, Level, SchoolYear,
        checked_text, level_distribution,
    },
    graphql::loaders::VersionNumber,
    store::{AssessmentKey, AssessmentWrite, FrameworkFilter, Written},
};

/// The most school years one `levelDistribution` answers (its query cost counts this many).
pub const MAX_DISTRIBUTION_YEARS: usize = 20;

/// Queries of kvalitetsbeskrivelser and level distributions.
#[derive(Default)]
pub struct QualityQuery;

#[Object]
impl QualityQuery {
    /// Kvalitetsbeskrivelser (quality frameworks): every published or retired one, and the drafts
    /// the caller may edit.
    async fn quality_frameworks(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<QualityFramework>> {
        let grants = &principal(ctx).grants;
        let filter = FrameworkFilter {
            national_drafts: grants.may_edit_framework(None),
            drafts_of_owners: grants
                .roles
                .iter()
                .filter_map(|role| role.owner())
                .filter(|owner| grants.may_edit_framework(Some(*owner)))
                .collect(),
        };
        let page = paging::page(after, before, first, last)?;
        let frameworks = store(ctx).frameworks_page(&filter, &page).await?;
        Ok(paging::connection(
            frameworks,
            &page,
            |framework| framework.id.0,
            QualityFramework,
        ))
    }

    /// One kvalitetsbeskrivelse by global id or code; null when none has it, or when it is a
    /// draft the caller may not edit.
    async fn quality_framework(
        &self,
        ctx: &Context<'_>,
        by: QualityFrameworkRef,
    ) -> ApiResult<Option<QualityFramework>> {
        Ok(by.find_visible(ctx).await?.map(QualityFramework))
    }

    /// Fordeling av nivåer: for one kvalitetskjennetegn, how many of a skoleeier's or the
    /// nation's units agreed on each level, per skoleår (at most 20). Assessments are restricted
    /// data: owner roles read their own owner's distribution, national roles every owner's and the
    /// nation's, through the disclosure rules (at least 3 assessed units for a caller who may not
    /// read each of them, and complementary suppression over the nation's owners).
    async fn level_distribution(
        &self,
        ctx: &Context<'_>,
        framework: QualityFrameworkRef,
        #[graphql(desc = "Criterion number, e.g. \"2.1\".")] criterion: String,
        subject: DistributionSubjectRef,
        #[graphql(desc = "Skoleår (start years); a set, at most 20.")] school_years: Vec<i32>,
    ) -> ApiResult<Vec<LevelDistributionPoint>> {
        let framework = framework.resolve(ctx).await?;
        let version: domain::FrameworkVersion =
            load_reference(ctx, VersionNumber(framework.id, framework.version)).await?;
        let criterion = version.content.criterion(&criterion)?.number.clone();
        let subject = subject.resolve(ctx).await?;
        let mut years = school_years
            .into_iter()
            .map(SchoolYear::new)
            .collect::<Result<Vec<_>, _>>()?;
        years.sort();
        years.dedup();
        if years.len() > MAX_DISTRIBUTION_YEARS {
            return Err(ApiError::BadUserInput(format!(
                "ask for at most {MAX_DISTRIBUTION_YEARS} school years"
            )));
        }
        let assessed = store(ctx)
            .assessed_units(framework.id, &criterion, &years)
            .await?;
        let scope = reader(ctx).scope();
        Ok(years
            .into_iter()
            .map(|year| {
                let of_year: Vec<domain::AssessedUnit> = assessed
                    .iter()
                    .filter(|(assessed_year, _)| *assessed_year == year)
                    .map(|(_, unit)| *unit)
                    .collect();
                LevelDistributionPoint {
                    school_year: year,
                    distribution: level_distribution(
                        &of_year,
                        subject,
                        scope,
                        DEFAULT_MIN_GROUP_SIZE,
                    ),
                }
            })
            .collect())
    }
}

/// An area of a framework as written.
#[derive(InputObject)]
pub struct QualityAreaInput {
    /// Number of the area (1, 2, ...).
    number: u32,
    /// Navn (name).
    name: String,
    /// Kvalitetskjennetegn, numbered `<area>.<n>`.
    criteria: Vec<QualityCriterionInput>,
}

/// A criterion of a framework as written.
#[derive(InputObject)]
pub struct QualityCriterionInput {
    /// Number, `<area>.<n>`, e.g. "2.1".
    number: String,
    /// Navn (name).
    name: String,
    /// The statements of Nivå 1, 2, 3 and 4, in that order, each at least one.
    levels: Vec<Vec<String>>,
    /// Codes of the indikatorer that inform it.
    indicators: Vec<String>,
}

/// The texts of a framework version. Every text holds at most 4000 characters.
#[derive(InputObject)]
pub struct QualityFrameworkContentInput {
    /// Navn (name).
    name: String,
    /// Beskrivelse: what it is and where its texts come from.
    description: String,
    /// Enhetstyper that assess themselves against it.
    unit_kinds: Vec<UnitKind>,
    /// What Nivå 1, 2, 3 and 4 mean in general, in that order.
    level_definitions: Vec<String>,
    /// Refleksjonsspørsmål for every criterion.
    reflection_questions: Vec<String>,
    /// Områder with their kvalitetskjennetegn.
    areas: Vec<QualityAreaInput>,
}

impl QualityFrameworkContentInput {
    /// The texts, checked: shape and lengths (`FrameworkContent::check`) and linked indicators
    /// that exist.
    async fn checked(self, ctx: &Context<'_>) -> ApiResult<FrameworkContent> {
        let content = FrameworkContent {
            name: self.name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            unit_kinds: self
                .unit_kinds
                .into_iter()
                .map(|kind| domain::UnitKind::from(kind).as_str().to_owned())
                .collect(),
            level_definitions: self.level_definitions,
            reflection_questions: self.reflection_questions,
            areas: self
                .areas
                .into_iter()
                .map(|area| domain::QualityArea {
                    number: area.number,
                    name: area.name,
                    criteria: area
                        .criteria
                        .into_iter()
                        .map(|criterion| domain::QualityCriterion {
                            number: criterion.number.trim().to_owned(),
                            name: criterion.name,
                            levels: criterion.levels,
                            indicators: criterion.indicators,
                        })
                        .collect(),
                })
                .collect(),
        };
        content.check()?;
        let codes: Vec<String> = content
            .criteria()
            .flat_map(|criterion| criterion.indicators.iter().cloned())
            .collect();
        let known = store(ctx).indicators_by_codes(&codes).await?;
        if let Some(unknown) = codes
            .iter()
            .find(|code| !known.iter().any(|indicator| &indicator.code == *code))
        {
            return Err(ApiError::BadUserInput(format!(
                "unknown indikator {unknown:?}; the `indicators` query lists them"
            )));
        }
        Ok(content)
    }
}

/// A new kvalitetsbeskrivelse, created as a draft at version 1.
#[derive(InputObject)]
pub struct CreateQualityFrameworkInput {
    /// Code, unique, e.g. `lillestrom-barnehage`.
    code: String,
    /// Skoleeier that owns it (its owner admins edit it); none for a national framework
    /// (national admins edit it).
    owner: Option<OwnerRef>,
    /// Its texts.
    content: QualityFrameworkContentInput,
}

/// New texts for a kvalitetsbeskrivelse: they become its next version.
#[derive(InputObject)]
pub struct EditQualityFrameworkInput {
    /// The framework.
    framework: QualityFrameworkRef,
    /// The version the edit was made from (`QualityFramework.version`); another means someone
    /// edited it meanwhile (`CONFLICT`).
    expected_version: i64,
    /// Its new texts.
    content: QualityFrameworkContentInput,
}

/// Names one egenvurdering: an enhet, a criterion of a framework, a skoleår.
#[derive(InputObject)]
pub struct AssessmentRefInput {
    /// Enhet (unit).
    unit: UnitRef,
    /// Kvalitetsbeskrivelse.
    framework: QualityFrameworkRef,
    /// Kvalitetskjennetegn (criterion number), e.g. "2.1".
    criterion: String,
    /// Skoleår (start year, 1990-2100).
    school_year: i32,
}

/// The agreed level of an egenvurdering and its reflections.
#[derive(InputObject)]
pub struct AssessCriterionInput {
    /// Which assessment.
    assessment: AssessmentRefInput,
    /// The revision the change was made from (`Assessment.revision`; 0 for a new assessment);
    /// another means someone saved it meanwhile (`CONFLICT`, nothing written).
    expected_revision: i64,
    /// Nivå 1-4 where the unit most often is.
    level: i64,
    /// Hva vi gjør bra (at most 4000 characters).
    #[graphql(default)]
    strengths: String,
    /// Hva vi kan gjøre for å stabilisere oss på et høyere nivå (at most 4000 characters).
    #[graphql(default)]
    next_steps: String,
}

/// A staff member's own level for an egenvurdering.
#[derive(InputObject)]
pub struct VoteOnCriterionInput {
    /// Which assessment.
    assessment: AssessmentRefInput,
    /// Nivå 1-4.
    level: i64,
    /// Show the vote to the group by name; otherwise it counts only in the spread.
    #[graphql(default)]
    show_name: bool,
}

/// What a caller must log in to do here.
const TO_CHANGE: &str = "change quality frameworks or assessments";

/// A framework the caller may edit; `FORBIDDEN` otherwise.
async fn editable_framework(
    ctx: &Context<'_>,
    framework: &QualityFrameworkRef,
) -> ApiResult<domain::Framework> {
    let caller = logged_in(ctx, TO_CHANGE)?;
    let framework = framework.resolve(ctx).await?;
    if !caller.grants.may_edit_framework(framework.owner) {
        return Err(ApiError::Forbidden(format!(
            "your roles do not allow editing {}: national admins edit national frameworks, \
             owner admins their own owner's",
            framework.code
        )));
    }
    Ok(framework)
}

/// Moves a framework from one status to the next, answering it as it is then.
async fn change_status(
    ctx: &Context<'_>,
    framework: &QualityFrameworkRef,
    from: FrameworkStatus,
    to: FrameworkStatus,
) -> ApiResult<QualityFramework> {
    let framework = editable_framework(ctx, framework).await?;
    match store(ctx)
        .change_framework_status(framework.id, from, to)
        .await?
    {
        Written::Done => reloaded_framework(ctx, framework.id).await,
        Written::Stale => Err(ApiError::BadUserInput(format!(
            "{} is {}; only a {} framework can become {}",
            framework.code,
            framework.status.as_str(),
            from.as_str(),
            to.as_str()
        ))),
    }
}

/// A framework read again after a write (the request's loader may hold it as it was).
async fn reloaded_framework(
    ctx: &Context<'_>,
    id: domain::FrameworkId,
) -> ApiResult<QualityFramework> {
    store(ctx)
        .frameworks_by_ids(&[id])
        .await?
        .pop()
        .map(QualityFramework)
        .ok_or_else(|| crate::store::StoreError::BrokenReference(format!("{id:?}")).into())
}

/// What an assessment or vote is about, checked: the caller's role on the unit by `allowed`,
/// then a published framework that applies to the unit (and is the unit owner's, if an owner's),
/// one of its criteria, and a school year in range. Answers the key and the version assessed
/// against.
pub(super) async fn checked_assessment(
    ctx: &Context<'_>,
    input: &AssessmentRefInput,
    allowed: impl Fn(&domain::Grants, &domain::Unit) -> bool,
    what: &str,
) -> ApiResult<(AssessmentKey, domain::FrameworkVersion)> {
    let caller = logged_in(ctx, TO_CHANGE)?;
    let unit = input.unit.resolve(ctx).await?;
    if !allowed(&caller.grants, &unit) {
        return Err(ApiError::Forbidden(format!(
            "your roles do not allow {what} for {}",
            unit.name
        )));
    }
    let framework = input.framework.resolve(ctx).await?;
    if framework.status != FrameworkStatus::Published {
        return Err(ApiError::BadUserInput(format!(
            "{} is {}; units assess themselves against published frameworks only",
            framework.code,
            framework.status.as_str()
        )));
    }
    if framework.owner.is_some_and(|owner| owner != unit.owner_id) {
        return Err(ApiError::BadUserInput(format!(
            "{} belongs to another skoleeier than {}",
            framework.code, unit.name
        )));
    }
    let version: domain::FrameworkVersion =
        load_reference(ctx, VersionNumber(framework.id, framework.version)).await?;
    if !version.content.applies_to(unit.kind) {
        return Err(ApiError::BadUserInput(format!(
            "{} does not apply to a {}",
            framework.code,
            unit.kind.as_str()
        )));
    }
    let criterion = version.content.criterion(&input.criterion)?.number.clone();
    let key = AssessmentKey {
        unit: unit.id,
        framework: framework.id,
        criterion,
        school_year: SchoolYear::new(input.school_year)?,
    };
    Ok((key, version))
}

/// The assessment just written.
async fn written_assessment(ctx: &Context<'_>, key: &AssessmentKey) -> ApiResult<Assessment> {
    store(ctx)
        .assessment(key)
        .await?
        .map(Assessment)
        .ok_or_else(|| crate::store::StoreError::BrokenReference(format!("{key:?}")).into())
}

/// Changes to kvalitetsbeskrivelser and egenvurderinger.
#[derive(Default)]
pub struct QualityMutation;

#[Object]
impl QualityMutation {
    /// Creates a kvalitetsbeskrivelse as a draft (national admins: national ones; owner admins:
    /// their owner's). `CONFLICT` when the code is taken.
    async fn create_quality_framework(
        &self,
        ctx: &Context<'_>,
        input: CreateQualityFrameworkInput,
    ) -> ApiResult<QualityFramework> {
        let caller = logged_in(ctx, TO_CHANGE)?;
        let owner = match &input.owner {
            Some(owner) => Some(owner.resolve(ctx, None).await?.id),
            None => None,
        };
        if !caller.grants.may_edit_framework(owner) {
            return Err(ApiError::Forbidden(
                "your roles do not allow creating this framework: national admins create \
                 national frameworks, owner admins their own owner's"
                    .into(),
            ));
        }
        let code = input.code.trim().to_owned();
        if code.is_empty() {
            return Err(ApiError::BadUserInput("the code is empty".into()));
        }
        let content = input.content.checked(ctx).await?;
        let written = store(ctx)
            .create_framework(&code, owner, &content, &caller.audit_name(), Utc::now())
            .await?;
        if written == Written::Stale {
            return Err(ApiError::Conflict(format!(
                "a framework with code {code:?} exists already"
            )));
        }
        let created = store(ctx)
            .frameworks_by_codes(std::slice::from_ref(&code))
            .await?;
        created
            .into_iter()
            .next()
            .map(QualityFramework)
            .ok_or_else(|| crate::store::StoreError::BrokenReference(code).into())
    }

    /// Makes new texts the next version of a kvalitetsbeskrivelse; earlier versions, and every
    /// assessment made against them, stay as they were. `CONFLICT` when `expectedVersion` is not
    /// the current version (nothing written).
    async fn edit_quality_framework(
        &self,
        ctx: &Context<'_>,
        input: EditQualityFrameworkInput,
    ) -> ApiResult<QualityFramework> {
        let framework = editable_framework(ctx, &input.framework).await?;
        if framework.status == FrameworkStatus::Retired {
            return Err(ApiError::BadUserInput(format!(
                "{} is retired; its texts are kept as they were",
                framework.code
            )));
        }
        let content = input.content.checked(ctx).await?;
        let by = principal(ctx).audit_name();
        match store(ctx)
            .edit_framework(
                framework.id,
                input.expected_version,
                &content,
                &by,
                Utc::now(),
            )
            .await?
        {
            Written::Done => reloaded_framework(ctx, framework.id).await,
            Written::Stale => Err(ApiError::Conflict(format!(
                "{} is at version {}, not {}: someone edited it meanwhile; read it again and \
                 redo your change",
                framework.code, framework.version, input.expected_version
            ))),
        }
    }

    /// Publishes a draft kvalitetsbeskrivelse: units may assess themselves against it.
    async fn publish_quality_framework(
        &self,
        ctx: &Context<'_>,
        framework: QualityFrameworkRef,
    ) -> ApiResult<QualityFramework> {
        change_status(
            ctx,
            &framework,
            FrameworkStatus::Draft,
            FrameworkStatus::Published,
        )
        .await
    }

    /// Retires a published kvalitetsbeskrivelse: kept with every assessment made against it, but
    /// no new ones.
    async fn retire_quality_framework(
        &self,
        ctx: &Context<'_>,
        framework: QualityFrameworkRef,
    ) -> ApiResult<QualityFramework> {
        change_status(
            ctx,
            &framework,
            FrameworkStatus::Published,
            FrameworkStatus::Retired,
        )
        .await
    }

    /// Saves the agreed level and reflections of an egenvurdering as its next revision (unit
    /// leaders, for their unit), against the framework's current version. The earlier revisions
    /// stay in its history. `CONFLICT` when `expectedRevision` is not the current revision
    /// (nothing written).
    async fn assess_criterion(
        &self,
        ctx: &Context<'_>,
        input: AssessCriterionInput,
    ) -> ApiResult<Assessment> {
        let (key, version) = checked_assessment(
            ctx,
            &input.assessment,
            |grants, unit| grants.may_assess(unit.id),
            "assessing",
        )
        .await?;
        let write = AssessmentWrite {
            key,
            expected_revision: input.expected_revision,
            version: version.id,
            level: Level::new(input.level)?,
            strengths: checked_text("strengths", &input.strengths)?,
            next_steps: checked_text("nextSteps", &input.next_steps)?,
            assessed_by: principal(ctx).audit_name(),
        };
        match store(ctx).write_assessment(&write, Utc::now()).await? {
            Written::Done => written_assessment(ctx, &write.key).await,
            Written::Stale => {
                let current = store(ctx)
                    .assessment(&write.key)
                    .await?
                    .map_or(0, |assessment| assessment.revision);
                Err(ApiError::Conflict(format!(
                    "the assessment is at revision {current}, not {}: someone saved it \
                     meanwhile; read it again and redo your change",
                    input.expected_revision
                )))
            }
        }
    }

    /// Casts (or changes) the caller's own vote on an egenvurdering (unit staff and leaders, for
    /// their unit). The group sees the votes as counts per level, and the caller's name only with
    /// `showName`.
    async fn vote_on_criterion(
        &self,
        ctx: &Context<'_>,
        input: VoteOnCriterionInput,
    ) -> ApiResult<Assessment> {
        let (key, _) = checked_assessment(
            ctx,
            &input.assessment,
            |grants, unit| grants.may_vote(unit.id),
            "voting",
        )
        .await?;
        let level = Level::new(input.level)?;
        let voter = principal(ctx).audit_name();
        store(ctx)
            .write_vote(&key, &voter, level, input.show_name, Utc::now())
            .await?;
        written_assessment(ctx, &key).await
    }
}

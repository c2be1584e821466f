//! Kvalitetsbeskrivelser (quality frameworks) with their versions and texts, and egenvurderinger
//! (assessments) with their history and staff votes.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    Indicator, IndicatorValue, Owner, SchoolYear, Unit, child_connection, linked_indicators,
    load_reference,
};
use crate::{
    domain::{self, LEVELS},
    graphql::{
        enums::{Change, FrameworkStatus, UnitKind},
        error::{ApiError, ApiResult},
        ids::{NodeKind, global_id},
        loaders::{VersionNumber, VotesOf},
        objects::{loader, principal},
        paging::{self, Connection},
    },
    store::{AssessmentFilter, Page, ValueFilter},
};

/// The `first`/`after`/`last`/`before` arguments of a connection field.
type PageArguments = (Option<String>, Option<String>, Option<i32>, Option<i32>);

fn page_of((after, before, first, last): PageArguments) -> ApiResult<Page> {
    paging::page(after, before, first, last)
}

/// A level as GraphQL shows it (1-4).
fn level_number(level: domain::Level) -> i32 {
    i32::from(level.get())
}

pub struct QualityFramework(pub domain::Framework);

/// Kvalitetsbeskrivelse (quality framework): areas of quality with kvalitetskjennetegn
/// (criteria) described on four levels, owned nationally (Rammeplan for kulturskolen) or by one
/// skoleeier. Every edit makes a new version; assessments keep pointing at the version they were
/// made against.
#[Object]
impl QualityFramework {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::QualityFramework, self.0.id.0)
    }

    /// Code, e.g. `kulturskole`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The skoleeier that owns it; null for a national framework.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Owner>> {
        match self.0.owner {
            Some(owner) => Ok(Some(Owner(load_reference(ctx, owner).await?))),
            None => Ok(None),
        }
    }

    /// Utkast, publisert or trukket tilbake.
    async fn status(&self) -> FrameworkStatus {
        self.0.status.into()
    }

    /// The number of the current (latest) version; give it as `expectedVersion` to edit.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// The texts of the current version.
    async fn current(&self, ctx: &Context<'_>) -> ApiResult<QualityFrameworkVersion> {
        let key = VersionNumber(self.0.id, self.0.version);
        Ok(QualityFrameworkVersion(load_reference(ctx, key).await?))
    }

    /// The texts of one version (1 is the first); null when it has no such version.
    async fn version_texts(
        &self,
        ctx: &Context<'_>,
        version: i64,
    ) -> ApiResult<Option<QualityFrameworkVersion>> {
        Ok(super::load_one(ctx, VersionNumber(self.0.id, version))
            .await?
            .map(QualityFrameworkVersion))
    }

    /// Every version, oldest first.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<QualityFrameworkVersion>> {
        let page = page_of((after, before, first, last))?;
        child_connection(
            ctx,
            self.0.id,
            (),
            page,
            |version: &domain::FrameworkVersion| version.id.0,
            QualityFrameworkVersion,
        )
        .await
    }

    /// What changed from version `from` to version `to`: the shared texts first, then each
    /// kvalitetskjennetegn added, changed or removed.
    async fn differences(
        &self,
        ctx: &Context<'_>,
        from: i64,
        to: i64,
    ) -> ApiResult<Vec<QualityFrameworkDifference>> {
        let versions = loader(ctx)
            .load_many([VersionNumber(self.0.id, from), VersionNumber(self.0.id, to)])
            .await
            .map_err(ApiError::from)?;
        let text = |number: i64| {
            versions
                .get(&VersionNumber(self.0.id, number))
                .map(|version| &version.content)
                .ok_or_else(|| {
                    ApiError::NotFound(format!("{} has no version {number}", self.0.code))
                })
        };
        Ok(domain::differences(text(from)?, text(to)?)
            .into_iter()
            .map(|difference| QualityFrameworkDifference {
                criterion: difference.criterion,
                change: difference.change.into(),
                parts: difference.parts.into_iter().map(str::to_owned).collect(),
            })
            .collect())
    }
}

/// One difference between two versions of a kvalitetsbeskrivelse.
#[derive(SimpleObject)]
pub struct QualityFrameworkDifference {
    /// The kvalitetskjennetegn (criterion number); null for the texts every criterion shares
    /// (name, level definitions, reflection questions, areas).
    criterion: Option<String>,
    /// Added, removed or changed.
    change: Change,
    /// What changed, as field names (`levels`, `indicators`, `levelDefinitions`, ...).
    parts: Vec<String>,
}

pub struct QualityFrameworkVersion(pub domain::FrameworkVersion);

/// One version of a kvalitetsbeskrivelse's texts, never changed once written.
#[Object]
impl QualityFrameworkVersion {
    /// Version number, 1 first.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When this version was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Navn (name).
    async fn name(&self) -> &str {
        &self.0.content.name
    }

    /// Beskrivelse: what the framework is and where its texts come from.
    async fn description(&self) -> &str {
        &self.0.content.description
    }

    /// Enhetstyper (unit kinds) that assess themselves against it.
    async fn unit_kinds(&self) -> ApiResult<Vec<UnitKind>> {
        self.0
            .content
            .unit_kinds
            .iter()
            .map(|kind| Ok(domain::UnitKind::parse(kind)?.into()))
            .collect()
    }

    /// What Nivå 1, 2, 3 and 4 mean in general (Kjennetegn på kvalitet), Nivå 1 first.
    async fn level_definitions(&self) -> &[String] {
        &self.0.content.level_definitions
    }

    /// Refleksjonsspørsmål for every criterion ("På hvilke av nivåene 1, 2, 3, 4 er vi oftest
    /// på?").
    async fn reflection_questions(&self) -> &[String] {
        &self.0.content.reflection_questions
    }

    /// Områder (areas of quality), each with its kvalitetskjennetegn.
    async fn areas(&self) -> Vec<QualityArea> {
        self.0
            .content
            .areas
            .iter()
            .cloned()
            .map(QualityArea)
            .collect()
    }

    /// One kvalitetskjennetegn by number (e.g. "2.1"); null when this version has none.
    async fn criterion(&self, number: String) -> Option<QualityCriterion> {
        self.0
            .content
            .criterion(&number)
            .ok()
            .cloned()
            .map(QualityCriterion)
    }
}

pub struct QualityArea(domain::QualityArea);

/// Område: an area of quality (1. Kulturskolens virksomhetskvalitet).
#[Object]
impl QualityArea {
    /// Number of the area (1, 2, ...).
    async fn number(&self) -> u32 {
        self.0.number
    }

    /// Navn (name).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Kvalitetskjennetegn (criteria) of the area, in order; an area may have none yet.
    async fn criteria(&self) -> Vec<QualityCriterion> {
        self.0
            .criteria
            .iter()
            .cloned()
            .map(QualityCriterion)
            .collect()
    }
}

pub struct QualityCriterion(pub domain::QualityCriterion);

/// Kvalitetskjennetegn: one criterion described on four levels, with the indicators that inform
/// it.
#[Object]
impl QualityCriterion {
    /// Number, e.g. "2.1".
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// Navn (name), e.g. "Lærende relasjoner".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Nivå 1 to 4, each with its statements (kriterier for å oppnå nivå).
    async fn levels(&self) -> Vec<QualityLevel> {
        self.0
            .levels
            .iter()
            .zip(1..)
            .map(|(statements, level)| QualityLevel {
                level,
                statements: statements.clone(),
            })
            .collect()
    }

    /// Indikatorer that inform the criterion: the data beside the dialogue.
    async fn indicators(&self, ctx: &Context<'_>) -> ApiResult<Vec<Indicator>> {
        linked_indicators(ctx, &self.0.indicators).await
    }
}

/// Nivå: one level of a criterion with its statements.
#[derive(SimpleObject)]
pub struct QualityLevel {
    /// 1 (lowest) to 4.
    level: i32,
    /// Kriterier for å oppnå nivå: what a unit on this level does.
    statements: Vec<String>,
}

pub struct Assessment(pub domain::Assessment);

impl Assessment {
    pub(crate) fn id_of(assessment: &domain::Assessment) -> i64 {
        assessment.id.0
    }
}

/// Egenvurdering: an enhet's assessment of one kvalitetskjennetegn in one skoleår, with its
/// current revision, its history and the staff's votes.
#[Object]
impl Assessment {
    /// The enhet (unit) that assessed itself.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Unit> {
        Ok(Unit(load_reference(ctx, self.0.unit_id).await?))
    }

    /// The kvalitetsbeskrivelse assessed against.
    async fn framework(&self, ctx: &Context<'_>) -> ApiResult<QualityFramework> {
        Ok(QualityFramework(
            load_reference(ctx, self.0.framework_id).await?,
        ))
    }

    /// The kvalitetskjennetegn (criterion number), e.g. "2.1".
    async fn criterion(&self) -> &str {
        &self.0.criterion
    }

    /// Skoleår.
    async fn school_year(&self) -> SchoolYear {
        SchoolYear(self.0.school_year)
    }

    /// The current revision: give it as `expectedRevision` to change the assessment. 0 while
    /// staff have voted but no level is agreed.
    async fn revision(&self) -> i64 {
        self.0.revision
    }

    /// The agreed level and reflections now; null while none is agreed.
    async fn current(&self) -> Option<AssessmentRevision> {
        self.0.current.clone().map(|revision| AssessmentRevision {
            revision,
            criterion: self.0.criterion.clone(),
        })
    }

    /// Every revision, oldest first (historikk).
    async fn history(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<AssessmentRevision>> {
        let page = page_of((after, before, first, last))?;
        let criterion = self.0.criterion.clone();
        child_connection(
            ctx,
            self.0.id,
            (),
            page,
            |revision: &domain::AssessmentRevision| revision.revision,
            move |revision| AssessmentRevision {
                revision,
                criterion: criterion.clone(),
            },
        )
        .await
    }

    /// The staff's own levels as the group sees them: counts per level, and names only of those
    /// who chose to show their vote.
    async fn votes(&self, ctx: &Context<'_>) -> ApiResult<AssessmentVotes> {
        let votes = super::load_one(ctx, VotesOf(self.0.id))
            .await?
            .unwrap_or_default();
        let viewer = match &principal(ctx).caller {
            crate::auth::Caller::User(user) => Some(user.feide_user_id.as_str()),
            _ => None,
        };
        Ok(AssessmentVotes(domain::vote_spread(&votes, viewer)))
    }
}

pub struct AssessmentRevision {
    revision: domain::AssessmentRevision,
    criterion: String,
}

/// One revision of an egenvurdering: the agreed level and reflections, against one version of
/// the framework's text, by whom and when.
#[Object]
impl AssessmentRevision {
    /// Revision number, 1 first.
    async fn revision(&self) -> i64 {
        self.revision.revision
    }

    /// Nivå agreed, 1-4: where the unit most often is.
    async fn level(&self) -> i32 {
        level_number(self.revision.level)
    }

    /// Hva vi gjør bra (what we do well).
    async fn strengths(&self) -> &str {
        &self.revision.strengths
    }

    /// Hva vi kan gjøre for å stabilisere oss på et høyere nivå.
    async fn next_steps(&self) -> &str {
        &self.revision.next_steps
    }

    /// Feide user id of the unit leader who saved it.
    async fn assessed_by(&self) -> &str {
        &self.revision.assessed_by
    }

    /// When it was saved.
    async fn assessed_at(&self) -> DateTime<Utc> {
        self.revision.assessed_at
    }

    /// The version of the framework's text it was made against.
    async fn framework_version(&self, ctx: &Context<'_>) -> ApiResult<QualityFrameworkVersion> {
        Ok(QualityFrameworkVersion(
            load_reference(ctx, self.revision.version_id).await?,
        ))
    }

    /// The exact text of the criterion it was made against.
    async fn criterion_text(&self, ctx: &Context<'_>) -> ApiResult<QualityCriterion> {
        let version: domain::FrameworkVersion =
            load_reference(ctx, self.revision.version_id).await?;
        Ok(QualityCriterion(
            version.content.criterion(&self.criterion)?.clone(),
        ))
    }
}

pub struct AssessmentVotes(pub domain::VoteSpread);

/// How the staff voted (each member's own level): the spread as counts, never who voted what,
/// unless a member chose to show it.
#[Object]
impl AssessmentVotes {
    /// Votes per level, Nivå 1 first (always four entries).
    async fn counts(&self) -> Vec<LevelCount> {
        level_counts(self.0.counts)
    }

    /// The votes their members chose to show by name.
    async fn shown(&self) -> Vec<ShownVote> {
        self.0
            .shown
            .iter()
            .map(|(voter, level)| ShownVote {
                voter: voter.clone(),
                level: level_number(*level),
            })
            .collect()
    }

    /// The caller's own vote; null when they have not voted.
    async fn mine(&self) -> Option<i32> {
        self.0.own.map(level_number)
    }
}

/// A vote shown by name.
#[derive(SimpleObject)]
pub struct ShownVote {
    /// Feide user id of the staff member.
    voter: String,
    /// Their level, 1-4.
    level: i32,
}

/// How many (units or votes) are on one level.
#[derive(SimpleObject)]
pub struct LevelCount {
    /// Nivå, 1-4.
    level: i32,
    /// How many.
    count: i32,
}

fn level_counts(counts: domain::LevelCounts) -> Vec<LevelCount> {
    debug_assert_eq!(counts.len(), LEVELS);
    counts
        .iter()
        .zip(1..)
        .map(|(count, level)| LevelCount {
            level,
            count: i32::try_from(*count).unwrap_or(i32::MAX),
        })
        .collect()
}

/// One school year of a level distribution.
pub struct LevelDistributionPoint {
    pub school_year: domain::SchoolYear,
    pub distribution: domain::LevelDistribution,
}

/// Fordeling av nivåer: how many units agreed on each level of a criterion in one skoleår. An
/// aggregate of restricted data: withheld (with the reason) where the disclosure rules say so.
#[Object]
impl LevelDistributionPoint {
    /// Skoleår.
    async fn school_year(&self) -> SchoolYear {
        SchoolYear(self.school_year)
    }

    /// Units with an agreed level; null when withheld.
    async fn assessed_units(&self) -> Option<i32> {
        self.distribution
            .assessed_units
            .map(|units| i32::try_from(units).unwrap_or(i32::MAX))
    }

    /// Units per level, Nivå 1 first; null when withheld.
    async fn counts(&self) -> Option<Vec<LevelCount>> {
        self.distribution.counts.map(level_counts)
    }

    /// Whether the distribution is withheld.
    async fn suppressed(&self) -> bool {
        self.distribution.reason.is_some()
    }

    /// Why it is withheld: `NOT_PERMITTED`, `TOO_FEW_MEMBERS` (fewer than 3 assessed units) or
    /// `COMPLEMENTARY`.
    async fn suppression_reason(&self) -> Option<crate::graphql::enums::SuppressionReason> {
        self.distribution.reason.map(Into::into)
    }
}

pub struct CriterionOverview {
    pub unit: domain::UnitId,
    pub framework: domain::FrameworkId,
    pub criterion: domain::QualityCriterion,
}

/// One criterion of one unit across data sources: its agreed level over the years beside the
/// values of the indicators linked to it ("se sammenhenger på tvers av datakilder").
#[Object]
impl CriterionOverview {
    /// The criterion's text in the framework's current version.
    async fn criterion(&self) -> QualityCriterion {
        QualityCriterion(self.criterion.clone())
    }

    /// The unit's egenvurderinger of the criterion, one per skoleår, oldest first.
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Assessment>> {
        let filter = AssessmentFilter {
            framework: Some(self.framework),
            criterion: Some(self.criterion.number.clone()),
            school_year: None,
        };
        let page = page_of((after, before, first, last))?;
        child_connection(ctx, self.unit, filter, page, Assessment::id_of, Assessment).await
    }

    /// The unit's values of the linked indicators (everyone's group), every skoleår; restricted
    /// sources only as the caller may read them.
    async fn values(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<IndicatorValue>> {
        if self.criterion.indicators.is_empty() {
            return Ok(paging::connection(
                Vec::new(),
                &page_of((after, before, first, last))?,
                IndicatorValue::id_of,
                IndicatorValue::from,
            ));
        }
        let filter = ValueFilter {
            indicator_codes: self.criterion.indicators.clone(),
            school_years: Vec::new(),
            group: Some(domain::ValueGroup::ALL),
        };
        let page = page_of((after, before, first, last))?;
        child_connection(
            ctx,
            self.unit,
            filter,
            page,
            IndicatorValue::id_of,
            IndicatorValue::from,
        )
        .await
    }
}

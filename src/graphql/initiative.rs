//! Tiltak (initiatives) at the root: one initiative by id, and the mutations that create, edit,
//! move on and evaluate them.
//!
//! Default deny: every mutation checks `Grants::may_plan_initiative` on the initiative's enhet or
//! skoleeier before it checks or writes anything else, and every write is all or nothing.

use async_graphql::{Context, ID, InputObject, Object, OneofObject};
use chrono::{NaiveDate, Utc};

use super::{
    enums::{InitiativeStatus, Judgement},
    error::{ApiError, ApiResult},
    ids::{NodeKind, parse_id_of},
    inputs::{OwnerRef, QualityFrameworkRef, UnitRef},
    loaders::VersionNumber,
    objects::{
        Initiative, indicators_by_code, load_one, load_reference, logged_in, principal, reader,
        store,
    },
};
use crate::{
    domain::{
        self, CriterionLink, InitiativeContent, InitiativeId, InitiativeSubject, Reading, Target,
        checked_text, latest_value,
    },
    store::{NewInitiative, StoreError, Written},
};

/// What a caller must log in to do here.
const TO_PLAN: &str = "plan or evaluate initiatives";

/// Queries of tiltak (initiatives) by id; lists are under `Unit` and `Owner`.
#[derive(Default)]
pub struct InitiativeQuery;

#[Object]
impl InitiativeQuery {
    /// One tiltak (initiative) by global id; null when none has it or the caller may not read it
    /// (the enhet's and its skoleeier's roles read it).
    async fn initiative(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Initiative>> {
        let id = InitiativeId(parse_id_of(NodeKind::Initiative, &id)?);
        Ok(load_one(ctx, id).await?.map(Initiative))
    }
}

/// Whose initiative: an enhet's or a skoleeier's.
#[derive(OneofObject)]
pub enum InitiativeSubjectRef {
    /// Enhet (unit).
    Unit(UnitRef),
    /// Skoleeier (owner).
    Owner(OwnerRef),
}

/// A link to a kvalitetskjennetegn.
#[derive(InputObject)]
pub struct CriterionLinkInput {
    /// The kvalitetsbeskrivelse.
    framework: QualityFrameworkRef,
    /// Criterion number, e.g. "2.1".
    criterion: String,
}

/// Mål: a target value for one of the linked indicators.
#[derive(InputObject)]
pub struct TargetInput {
    /// Code of the indikator; it must be among `indicators`.
    indicator: String,
    /// Målverdi: the value to reach.
    value: f64,
    /// Skoleår (start year) by which it should be reached.
    by_school_year: i32,
}

/// What an initiative says: its texts (each at most 4000 characters), dates, links and targets.
/// At most 20 indicators, criteria and school years.
#[derive(InputObject)]
pub struct InitiativeContentInput {
    /// Tittel (title), not empty.
    title: String,
    /// Beskrivelse (description).
    #[graphql(default)]
    description: String,
    /// Situasjonen i dag, in words.
    #[graphql(default)]
    situation_today: String,
    /// Ønsket situasjon, in words.
    #[graphql(default)]
    wished_situation: String,
    /// Tiltak: what is done.
    #[graphql(default)]
    actions: String,
    /// Suksesskriterier: how we find out that we are on the right track.
    #[graphql(default)]
    success_criteria: String,
    /// Ansvarlig: who is responsible.
    #[graphql(default)]
    responsible: String,
    /// Startdato.
    start_date: NaiveDate,
    /// Sluttdato, not before the start; none while open.
    end_date: Option<NaiveDate>,
    /// Linked kvalitetskjennetegn.
    #[graphql(default)]
    criteria: Vec<CriterionLinkInput>,
    /// Codes of the linked indikatorer; for an enhet's initiative, indicators of its kind.
    #[graphql(default)]
    indicators: Vec<String>,
    /// Mål: at most one per linked indicator.
    #[graphql(default)]
    targets: Vec<TargetInput>,
    /// Skoleår (start years) it runs in.
    #[graphql(default)]
    school_years: Vec<i32>,
}

impl InitiativeContentInput {
    /// The content, checked: the domain's rules (`InitiativeContent::checked`), criteria of
    /// frameworks the caller may see, and indicators that exist and, for an enhet of `kind`,
    /// apply to it. Answers the linked indicators too.
    pub(super) async fn checked(
        self,
        ctx: &Context<'_>,
        kind: Option<domain::UnitKind>,
    ) -> ApiResult<(InitiativeContent, Vec<domain::Indicator>)> {
        let mut criteria = Vec::with_capacity(self.criteria.len());
        for link in &self.criteria {
            let framework = link.framework.resolve(ctx).await?;
            let version: domain::FrameworkVersion =
                load_reference(ctx, VersionNumber(framework.id, framework.version)).await?;
            criteria.push(CriterionLink {
                criterion: version.content.criterion(&link.criterion)?.number.clone(),
                framework: framework.code,
            });
        }
        let content = InitiativeContent {
            title: self.title,
            description: self.description,
            situation_today: self.situation_today,
            wished_situation: self.wished_situation,
            actions: self.actions,
            success_criteria: self.success_criteria,
            responsible: self.responsible,
            start_date: self.start_date,
            end_date: self.end_date,
            criteria,
            indicators: self.indicators,
            targets: self
                .targets
                .into_iter()
                .map(|target| Target {
                    indicator: target.indicator,
                    value: target.value,
                    by_school_year: target.by_school_year,
                })
                .collect(),
            school_years: self.school_years,
        }
        .checked()?;
        let mut found = indicators_by_code(ctx, &content.indicators).await?;
        let mut indicators = Vec::with_capacity(content.indicators.len());
        for code in &content.indicators {
            let indicator = found.remove(code).ok_or_else(|| {
                ApiError::BadUserInput(format!(
                    "unknown indikator {code:?}; the `indicators` query lists them"
                ))
            })?;
            if let Some(kind) = kind
                && !indicator.applies_to.contains(&kind)
            {
                return Err(ApiError::BadUserInput(format!(
                    "indikator {:?} does not apply to a {}; `indicators(filter: {{unitKind}})` \
                     lists those that do",
                    indicator.code,
                    kind.as_str()
                )));
            }
            indicators.push(indicator);
        }
        Ok((content, indicators))
    }
}

/// A new tiltak, planned at revision 1.
#[derive(InputObject)]
pub struct CreateInitiativeInput {
    /// Whose initiative it is.
    of: InitiativeSubjectRef,
    /// For an enhet's initiative: the skoleeier's initiative (global id) it is part of.
    parent: Option<ID>,
    /// What it says.
    content: InitiativeContentInput,
}

/// New content for a tiltak: it becomes its next revision.
#[derive(InputObject)]
pub struct EditInitiativeInput {
    /// The initiative (global id).
    initiative: ID,
    /// The revision the edit was made from (`Initiative.revision`); another means someone
    /// changed it meanwhile (`CONFLICT`, nothing written).
    expected_revision: i64,
    /// Its new content, whole.
    content: InitiativeContentInput,
}

/// A move of a tiltak to its next status.
#[derive(InputObject)]
pub struct ChangeInitiativeStatusInput {
    /// The initiative (global id).
    initiative: ID,
    /// The revision the change was made from (`CONFLICT` when stale, nothing written).
    expected_revision: i64,
    /// The new status: from planned to active, from active to completed or cancelled.
    status: InitiativeStatus,
}

/// Framdrift: an evaluation of an active or completed tiltak's progress.
#[derive(InputObject)]
pub struct EvaluateInitiativeInput {
    /// The initiative (global id).
    initiative: ID,
    /// The date it describes, not before the initiative's start.
    date: NaiveDate,
    /// How it is going.
    judgement: Judgement,
    /// What was seen and why (at most 4000 characters).
    #[graphql(default)]
    text: String,
}

/// An existing initiative the caller may plan, by global id: `NOT_FOUND` when none has it,
/// `FORBIDDEN` when the caller's roles do not allow it.
async fn plannable(ctx: &Context<'_>, id: &ID) -> ApiResult<domain::Initiative> {
    let caller = logged_in(ctx, TO_PLAN)?;
    let id = InitiativeId(parse_id_of(NodeKind::Initiative, id)?);
    let initiative = store(ctx)
        .initiative(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no tiltak (initiative) has id {id:?}")))?;
    allowed(
        caller
            .grants
            .may_plan_initiative(initiative.subject(), initiative.owner),
    )?;
    Ok(initiative)
}

/// `FORBIDDEN` unless `may` (the role rule) allows it.
fn allowed(may: bool) -> ApiResult<()> {
    if may {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "your roles do not allow this: unit leaders plan their unit's initiatives, owner \
             admins their owner's and its units'"
                .into(),
        ))
    }
}

/// The initiative as stored now (the request's loader may hold it as it was).
async fn reloaded(ctx: &Context<'_>, id: InitiativeId) -> ApiResult<Initiative> {
    store(ctx)
        .initiative(id)
        .await?
        .map(Initiative)
        .ok_or_else(|| StoreError::BrokenReference(format!("{id:?}")).into())
}

/// The refusal of a write whose expected revision is stale (perhaps only since it was checked).
fn conflict(expected: i64) -> ApiError {
    ApiError::Conflict(format!(
        "the initiative is no longer at revision {expected}: someone changed it meanwhile; read \
         it again and redo your change"
    ))
}

/// A new tiltak of `subject` (of skoleeier `owner`; `kind` for an enhet's), checked and ready to
/// store: the caller's right to plan it, its `parent`, its content, and its situation snapshot
/// (the linked indicators' latest values as the caller can see them now). Writes nothing.
pub(super) async fn new_initiative(
    ctx: &Context<'_>,
    subject: InitiativeSubject,
    owner: domain::OwnerId,
    kind: Option<domain::UnitKind>,
    parent: Option<&ID>,
    content: InitiativeContentInput,
) -> ApiResult<NewInitiative> {
    let caller = logged_in(ctx, TO_PLAN)?;
    allowed(caller.grants.may_plan_initiative(subject, owner))?;
    let parent = match parent {
        Some(id) => {
            let parent_id = InitiativeId(parse_id_of(NodeKind::Initiative, id)?);
            let parent = store(ctx).initiative(parent_id).await?;
            if !parent.is_some_and(|parent| {
                parent.unit.is_none() && parent.owner == owner && kind.is_some()
            }) {
                return Err(ApiError::BadUserInput(format!(
                    "{:?} is not an initiative of this enhet's skoleeier; a parent is the \
                         skoleeier's own initiative, for an enhet's",
                    id.as_str()
                )));
            }
            Some(parent_id)
        }
        None => None,
    };
    let (content, indicators) = content.checked(ctx, kind).await?;
    let (units, owners) = match subject {
        InitiativeSubject::Unit(unit) => (vec![unit], Vec::new()),
        InitiativeSubject::Owner(owner) => (Vec::new(), vec![owner]),
    };
    let ids: Vec<domain::IndicatorId> = indicators.iter().map(|i| i.id).collect();
    let values = reader(ctx)
        .values_of_subjects(&units, &owners, &ids)
        .await?;
    let snapshot = indicators
        .iter()
        .map(|indicator| {
            let latest = latest_value(&values, &subject.value_subject(), indicator.id);
            Reading::of(&indicator.code, latest)
        })
        .collect();
    let new = NewInitiative {
        owner,
        unit: units.first().copied(),
        parent,
        content,
        snapshot,
        created_by: caller.audit_name(),
    };
    Ok(new)
}

/// Changes to tiltak (initiatives) and their framdrift.
#[derive(Default)]
pub struct InitiativeMutation;

#[Object]
impl InitiativeMutation {
    /// Creates a tiltak, planned (unit leaders for their enhet, owner admins for their
    /// skoleeier and its enheter). Its situation snapshot holds the linked indicators' latest
    /// values as the caller can see them now.
    async fn create_initiative(
        &self,
        ctx: &Context<'_>,
        input: CreateInitiativeInput,
    ) -> ApiResult<Initiative> {
        logged_in(ctx, TO_PLAN)?;
        let (subject, owner, kind) = match &input.of {
            InitiativeSubjectRef::Unit(unit) => {
                let unit = unit.resolve(ctx).await?;
                (
                    InitiativeSubject::Unit(unit.id),
                    unit.owner_id,
                    Some(unit.kind),
                )
            }
            InitiativeSubjectRef::Owner(owner) => {
                let owner = owner.resolve(ctx, None).await?;
                (InitiativeSubject::Owner(owner.id), owner.id, None)
            }
        };
        let new = new_initiative(
            ctx,
            subject,
            owner,
            kind,
            input.parent.as_ref(),
            input.content,
        )
        .await?;
        let id = store(ctx).create_initiative(&new, Utc::now()).await?;
        reloaded(ctx, id).await
    }

    /// Replaces a tiltak's content as its next revision; its history records what changed.
    /// Completed and cancelled initiatives are kept as they were. `CONFLICT` when
    /// `expectedRevision` is not the current revision (nothing written).
    async fn edit_initiative(
        &self,
        ctx: &Context<'_>,
        input: EditInitiativeInput,
    ) -> ApiResult<Initiative> {
        let initiative = plannable(ctx, &input.initiative).await?;
        if matches!(
            initiative.status,
            domain::InitiativeStatus::Completed | domain::InitiativeStatus::Cancelled
        ) {
            return Err(ApiError::BadUserInput(format!(
                "the initiative is {}; it is kept as it was",
                initiative.status.as_str()
            )));
        }
        let kind = match initiative.unit {
            Some(unit) => Some(load_reference::<_, domain::Unit>(ctx, unit).await?.kind),
            None => None,
        };
        let (content, _) = input.content.checked(ctx, kind).await?;
        let fields = initiative.content.changed_fields(&content);
        let by = principal(ctx).audit_name();
        match store(ctx)
            .edit_initiative(
                initiative.id,
                input.expected_revision,
                &content,
                &fields,
                &by,
                Utc::now(),
            )
            .await?
        {
            Written::Done => reloaded(ctx, initiative.id).await,
            Written::Stale => Err(conflict(input.expected_revision)),
        }
    }

    /// Moves a tiltak to its next status: planned to active, active to completed or cancelled
    /// (`BAD_USER_INPUT` for any other move). `CONFLICT` when `expectedRevision` is stale.
    async fn change_initiative_status(
        &self,
        ctx: &Context<'_>,
        input: ChangeInitiativeStatusInput,
    ) -> ApiResult<Initiative> {
        let initiative = plannable(ctx, &input.initiative).await?;
        let to = initiative.status.transition(input.status.into())?;
        let by = principal(ctx).audit_name();
        match store(ctx)
            .change_initiative_status(
                initiative.id,
                input.expected_revision,
                initiative.status,
                to,
                &by,
                Utc::now(),
            )
            .await?
        {
            Written::Done => reloaded(ctx, initiative.id).await,
            Written::Stale => Err(conflict(input.expected_revision)),
        }
    }

    /// Records a progress evaluation (framdrift) of an active or completed tiltak, by whoever
    /// may plan it. Answers the initiative with it.
    async fn evaluate_initiative(
        &self,
        ctx: &Context<'_>,
        input: EvaluateInitiativeInput,
    ) -> ApiResult<Initiative> {
        let initiative = plannable(ctx, &input.initiative).await?;
        if !matches!(
            initiative.status,
            domain::InitiativeStatus::Active | domain::InitiativeStatus::Completed
        ) {
            return Err(ApiError::BadUserInput(format!(
                "the initiative is {}; only active or completed initiatives are evaluated",
                initiative.status.as_str()
            )));
        }
        if input.date < initiative.content.start_date {
            return Err(ApiError::BadUserInput(format!(
                "the date {} is before the initiative's start {}",
                input.date, initiative.content.start_date
            )));
        }
        let text = checked_text("text", &input.text)?;
        let by = principal(ctx).audit_name();
        store(ctx)
            .add_evaluation(
                initiative.id,
                input.date,
                input.judgement.into(),
                &text,
                &by,
                Utc::now(),
            )
            .await?;
        reloaded(ctx, initiative.id).await
    }
}

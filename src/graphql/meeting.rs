//! Prosessdesigner and lærende møter (learning meetings): processes of meetings, their agendas
//! with data by reference (live through the reader's access path, frozen when the invitation is
//! sent), criteria to assess, images, minutes, and invitations as iCalendar files and e-mail.
//!
//! Default deny, in one place per relation: lists and lookups go through
//! [`MeetingReader`] (in SQL for lists, [`MeetingReader::may_read`] for one meeting); every
//! write checks [`may_plan`] before it checks or writes anything else, and is all or nothing.

use async_graphql::{Context, Enum, ID, InputObject, Object, OneofObject, SimpleObject};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};

use super::{
    enums::{Colour, SuppressionReason},
    error::{ApiError, ApiResult},
    ids::{NodeKind, global_id, parse_id_of},
    initiative::{InitiativeContentInput, new_initiative},
    inputs::{OwnerRef, QualityFrameworkRef, UnitRef},
    loaders::{FrameworkCode, ImagesOf, InvitationAddress, StaffOf, VersionNumber},
    objects::{
        Assessment, Initiative, Owner, QualityFramework, SchoolYear, Unit, child_connection,
        indicators_by_code, load_one, load_reference, loader, logged_in, principal, store,
    },
    paging::{self, Connection},
};
use crate::{
    auth::Caller,
    domain::{
        self, DataRef, Grants, MeetingContent, MeetingId, MeetingStatus, OwnerId, Participant,
        ProcessId, Role, UnitId,
    },
    mail::{self, Mailer},
    store::{
        AssessmentKey, MeetingReader, NewInitiative, Page, ProcessFilter, StoreError, Written,
    },
};

/// What a caller must log in to do here.
const TO_PLAN: &str = "plan meetings";

/// The mail relay, when one is configured (installed by [`super::GraphqlService::new`]).
#[derive(Clone, Default)]
pub struct Invitations {
    pub mailer: Option<Mailer>,
}

/// The caller as a reader of meetings.
fn meeting_reader(ctx: &Context<'_>) -> MeetingReader {
    let caller = principal(ctx);
    let person = match &caller.caller {
        Caller::User(user) => Some(user.feide_user_id.clone()),
        _ => None,
    };
    MeetingReader::new(person, &caller.grants)
}

/// Whether `grants` plan processes of `owner` (and its `unit`), or national examples (`None`):
/// national admins the examples, owner admins their owner's and its units', unit leaders their
/// unit's.
pub fn may_plan(grants: &Grants, owner: Option<OwnerId>, unit: Option<UnitId>) -> bool {
    grants.roles.iter().any(|role| match (*role, owner) {
        (Role::NationalAdmin, None) => true,
        (Role::OwnerAdmin(admin), Some(owner)) => admin == owner,
        (Role::UnitLeader(leader), Some(_)) => unit == Some(leader),
        _ => false,
    })
}

impl MeetingReader {
    /// Whether this reader may read `meeting` of `process` (the rule the SQL lists apply).
    pub fn may_read(&self, process: &domain::Process, meeting: &domain::Meeting) -> bool {
        process.is_example()
            || process
                .owner
                .is_some_and(|owner| self.planner_owners.contains(&owner))
            || process
                .unit
                .is_some_and(|unit| self.planner_units.contains(&unit))
            || meeting.content.participants.iter().any(|p| match p {
                Participant::Person(person) => self.feide_user_id.as_ref() == Some(person),
                Participant::StaffOf(unit) => self.staff_units.contains(&UnitId(*unit)),
            })
    }
}

/// `FORBIDDEN` unless `may` (the role rule) allows it.
fn allowed(may: bool) -> ApiResult<()> {
    if may {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "your roles do not allow this: unit leaders plan their unit's meetings, owner admins \
             their owner's and its units', national admins the example processes"
                .into(),
        ))
    }
}

fn conflict(expected: i64) -> ApiError {
    ApiError::Conflict(format!(
        "the meeting is no longer at revision {expected} (someone changed it meanwhile, or it is \
         cancelled); read it again and redo your change"
    ))
}

/// Prosess: a sequence of lærende møter (learning meetings) for a skoleeier or enhet in one
/// skoleår, or a national example process (eksempel på god prosess) owners copy.
pub struct MeetingProcess(pub domain::Process);

/// Prosess: a sequence of lærende møter for a skoleeier or enhet in one skoleår, or a national
/// example process.
#[Object]
impl MeetingProcess {
    /// Global id.
    async fn id(&self) -> ID {
        global_id(NodeKind::MeetingProcess, self.0.id.0)
    }

    /// Tittel, e.g. "PULS-prosesser Kongsberg kommune (24-25)".
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Beskrivelse.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Eksempel: a national example process any skoleeier may copy.
    async fn is_example(&self) -> bool {
        self.0.is_example()
    }

    /// Skoleeier (owner) whose process it is; null for an example.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Owner>> {
        match self.0.owner {
            Some(owner) => Ok(Some(Owner(load_reference(ctx, owner).await?))),
            None => Ok(None),
        }
    }

    /// Enhet (unit) whose process it is; null for a skoleeier's own or an example.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        match self.0.unit {
            Some(unit) => Ok(Some(Unit(load_reference(ctx, unit).await?))),
            None => Ok(None),
        }
    }

    /// Skoleår; null for an example.
    async fn school_year(&self) -> Option<SchoolYear> {
        self.0.school_year.map(SchoolYear)
    }

    /// The example process this one was copied from (global id), if any.
    async fn copied_from(&self) -> Option<ID> {
        self.0
            .copied_from
            .map(|id| global_id(NodeKind::MeetingProcess, id.0))
    }

    /// Møtene (meetings) of the process the caller may read, in the order they were planned:
    /// planners read all, participants those they are invited to.
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Meeting>> {
        let page = paging::page(after, before, first, last)?;
        let process = self.0.clone();
        child_connection(
            ctx,
            self.0.id,
            meeting_reader(ctx),
            page,
            |meeting: &domain::Meeting| meeting.id.0,
            move |meeting| Meeting {
                meeting,
                process: process.clone(),
            },
        )
        .await
    }
}

/// Status of a møte.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::MeetingStatus")]
pub enum MeetingStatusKind {
    /// Planlagt: not sent yet.
    Planned,
    /// Sendt: the invitation went out.
    Sent,
    /// Avlyst: cancelled; the calendar entry is withdrawn.
    Cancelled,
}

/// Lærende møte (learning meeting): time, place, participants and agenda, with its invitation
/// and minutes (referat).
pub struct Meeting {
    meeting: domain::Meeting,
    process: domain::Process,
}

/// Deltaker: one person by Feide user id, or all staff of an enhet.
#[derive(SimpleObject)]
pub struct MeetingParticipant {
    /// Feide user id (eduPersonPrincipalName) of an invited person; null for a whole staff.
    feide_user_id: Option<String>,
    /// Enhet whose staff (unit staff and leaders) are invited; null for a person.
    staff_of: Option<Unit>,
}

/// Bilde (image) uploaded to a meeting, stored in the database.
#[derive(SimpleObject)]
pub struct MeetingImage {
    /// Number within the meeting; agenda items name images by it.
    number: i64,
    /// Media type, found from the file's first bytes: image/png, image/jpeg, image/gif or
    /// image/webp.
    content_type: String,
    /// Size in bytes.
    size: i64,
    /// The image, base64.
    base64: String,
}

impl MeetingImage {
    fn of(image: crate::store::MeetingImage) -> Self {
        Self {
            number: image.number,
            content_type: image.content_type,
            size: i64::try_from(image.bytes.len()).unwrap_or(i64::MAX),
            base64: STANDARD.encode(&image.bytes),
        }
    }
}

/// Invitasjon: the meeting's iCalendar file (RFC 5545).
#[derive(SimpleObject)]
pub struct MeetingInvitation {
    /// The calendar entry's UID, the same for the meeting's whole life.
    uid: String,
    /// SEQUENCE: 0 for the first invitation, one more for each update and the cancellation.
    sequence: i64,
    /// METHOD: REQUEST, or CANCEL once cancelled.
    method: String,
    /// The .ics file's text (text/calendar).
    ics: String,
}

/// Vedtak (decision) in a meeting's referat, with the tiltak (initiative) made of it.
pub struct MeetingDecision(domain::Decision);

/// Vedtak (decision) in a meeting's referat, with the tiltak made of it.
#[Object]
impl MeetingDecision {
    /// What was decided.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// The tiltak (initiative) made of the decision; null when none, or when the caller may not
    /// read it (its enhet's and skoleeier's roles do).
    async fn initiative(&self, ctx: &Context<'_>) -> ApiResult<Option<Initiative>> {
        match self.0.initiative {
            Some(id) => Ok(load_one(ctx, domain::InitiativeId(id))
                .await?
                .map(Initiative)),
            None => Ok(None),
        }
    }
}

/// Referat (minutes) of a meeting.
#[derive(SimpleObject)]
pub struct MeetingMinutes {
    /// What was said.
    text: String,
    /// Vedtak (decisions).
    decisions: Vec<MeetingDecision>,
}

/// One cell of a table of figures.
#[derive(SimpleObject)]
pub struct FigureCell {
    /// Verdi: null when prikket (suppressed), not permitted or missing.
    value: Option<f64>,
    /// Antall (n); null when prikket.
    n: Option<i64>,
    /// Prikket: true when the value is hidden.
    suppressed: bool,
    /// Why it is hidden; null when shown.
    suppression_reason: Option<SuppressionReason>,
    /// Farge, for a fargetabell's cells; null elsewhere.
    colour: Option<Colour>,
}

/// One row of a table of figures: an enhet, the skoleeier, the nation or a skoleår.
#[derive(SimpleObject)]
pub struct FigureRow {
    /// What the row is: "unit:ID", "owner:ID", "nation" or "year:2024".
    key: String,
    /// Its name or label.
    label: String,
    /// One cell per column.
    cells: Vec<FigureCell>,
}

/// A table of figures: a fargetabell (rows: enheter, the skoleeier, the nation; columns:
/// indikatorer), nøkkeltall (rows: skoleeier and nation) or a trendgraf (rows: skoleår; columns:
/// the subject, its skoleeier, the nation).
#[derive(SimpleObject)]
pub struct FigureTable {
    /// Column headings: indicator codes, or the trend's series.
    columns: Vec<String>,
    /// Rows.
    rows: Vec<FigureRow>,
}

impl From<domain::FrozenTable> for FigureTable {
    fn from(table: domain::FrozenTable) -> Self {
        Self {
            columns: table.columns,
            rows: table
                .rows
                .into_iter()
                .map(|row| FigureRow {
                    key: row.key,
                    label: row.label,
                    cells: row
                        .cells
                        .into_iter()
                        .map(|cell| FigureCell {
                            value: cell.value,
                            n: cell.n,
                            suppressed: cell.reason.is_some(),
                            suppression_reason: cell.reason.map(Into::into),
                            colour: cell.colour.as_deref().map(|colour| match colour {
                                "green" => Colour::Green,
                                "yellow" => Colour::Yellow,
                                "red" => Colour::Red,
                                _ => Colour::None,
                            }),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// What kind of data an agenda item shows.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgendaDataKind {
    /// Fargetabell of a skoleeier's enheter.
    ColourTable,
    /// Nøkkeltall of a skoleeier beside the nation.
    KeyFigures,
    /// Trendgraf of one indikator for an enhet or skoleeier.
    Trend,
}

/// Data on an agenda item, by reference: `live` through the reader's own access path, `snapshot`
/// as it was frozen when the invitation was sent.
pub struct AgendaData {
    data: DataRef,
    frozen: Option<domain::FrozenTable>,
}

/// Data on an agenda item (fargetabell, nøkkeltall or trend), by reference: live and as frozen.
#[Object]
impl AgendaData {
    /// Which kind of data.
    async fn kind(&self) -> AgendaDataKind {
        match self.data {
            DataRef::ColourTable { .. } => AgendaDataKind::ColourTable,
            DataRef::KeyFigures { .. } => AgendaDataKind::KeyFigures,
            DataRef::Trend { .. } => AgendaDataKind::Trend,
        }
    }

    /// Skoleeier the data describes.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Owner> {
        let owner = match &self.data {
            DataRef::ColourTable { owner, .. }
            | DataRef::KeyFigures { owner, .. }
            | DataRef::Trend { owner, .. } => *owner,
        };
        Ok(Owner(load_reference(ctx, OwnerId(owner)).await?))
    }

    /// Enhet of a trend; null for the skoleeier's.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        match &self.data {
            DataRef::Trend {
                unit: Some(unit), ..
            } => Ok(Some(Unit(load_reference(ctx, UnitId(*unit)).await?))),
            _ => Ok(None),
        }
    }

    /// Codes of the indikatorer.
    async fn indicators(&self) -> Vec<String> {
        match &self.data {
            DataRef::ColourTable { indicators, .. } | DataRef::KeyFigures { indicators, .. } => {
                indicators.clone()
            }
            DataRef::Trend { indicator, .. } => vec![indicator.clone()],
        }
    }

    /// Skoleår; null for a trend (every year).
    async fn school_year(&self) -> ApiResult<Option<SchoolYear>> {
        match &self.data {
            DataRef::ColourTable { school_year, .. } | DataRef::KeyFigures { school_year, .. } => {
                Ok(Some(SchoolYear(domain::SchoolYear::new(*school_year)?)))
            }
            DataRef::Trend { .. } => Ok(None),
        }
    }

    /// The figures now, as the reader may see them (the analysis queries' suppression and
    /// access rules).
    async fn live(&self, ctx: &Context<'_>) -> ApiResult<FigureTable> {
        Ok(live_figures(ctx, &self.data).await?.into())
    }

    /// The figures frozen when the invitation was (last) sent, made by the sender's suppression
    /// and access rules; null before sending, and null (with `snapshotWithheld`) for a reader
    /// who could not see every figure in it live. Later imports do not change it.
    async fn snapshot(&self, ctx: &Context<'_>) -> ApiResult<Option<FigureTable>> {
        Ok(self.visible_snapshot(ctx).await?.map(Into::into))
    }

    /// True when a snapshot exists but the reader may not see it: it shows a figure the reader
    /// cannot read live.
    async fn snapshot_withheld(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.frozen.is_some() && self.visible_snapshot(ctx).await?.is_none())
    }
}

impl AgendaData {
    /// The snapshot, when the reader sees every figure in it live.
    async fn visible_snapshot(&self, ctx: &Context<'_>) -> ApiResult<Option<domain::FrozenTable>> {
        let Some(frozen) = &self.frozen else {
            return Ok(None);
        };
        let live = live_figures(ctx, &self.data).await?;
        Ok(frozen.shown_within(&live).then(|| frozen.clone()))
    }
}

/// The figures of `data` as the reader may see them now, through the request's loader: one
/// analysis for the data of every agenda item the request shows, each reference once (`live`,
/// `snapshot` and `snapshotWithheld` share it).
async fn live_figures(ctx: &Context<'_>, data: &DataRef) -> ApiResult<domain::FrozenTable> {
    load_reference(ctx, data.clone()).await?
}

/// A kvalitetskjennetegn to assess in the meeting: the enhet's egenvurdering (self-assessment)
/// of it in one skoleår, where staff cast their votes (`voteOnCriterion`).
pub struct AgendaCriterion(domain::CriterionToAssess);

/// A kvalitetskjennetegn to assess in a meeting: an enhet's egenvurdering in one skoleår.
#[Object]
impl AgendaCriterion {
    /// Enhet whose egenvurdering it is.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Unit> {
        Ok(Unit(load_reference(ctx, UnitId(self.0.unit)).await?))
    }

    /// Kvalitetsbeskrivelse (quality framework).
    async fn framework(&self, ctx: &Context<'_>) -> ApiResult<Option<QualityFramework>> {
        Ok(load_one(ctx, FrameworkCode(self.0.framework.clone()))
            .await?
            .map(QualityFramework))
    }

    /// Kvalitetskjennetegn (criterion number), e.g. "2.1".
    async fn criterion(&self) -> &str {
        &self.0.criterion
    }

    /// Skoleår of the egenvurdering.
    async fn school_year(&self) -> ApiResult<SchoolYear> {
        Ok(SchoolYear(domain::SchoolYear::new(self.0.school_year)?))
    }

    /// The egenvurdering (agreed level, reflections and staff votes) as it stands; null when
    /// none is written yet or the caller may not read it (the enhet's and its skoleeier's roles
    /// do).
    async fn assessment(&self, ctx: &Context<'_>) -> ApiResult<Option<Assessment>> {
        let Some(framework) = load_one(ctx, FrameworkCode(self.0.framework.clone())).await? else {
            return Ok(None);
        };
        let key = AssessmentKey {
            unit: UnitId(self.0.unit),
            framework: framework.id,
            criterion: self.0.criterion.clone(),
            school_year: domain::SchoolYear::new(self.0.school_year)?,
        };
        Ok(load_one(ctx, key).await?.map(Assessment))
    }
}

/// Sak (agenda item): a title, a comment, reflection questions, and optionally data, a
/// kvalitetskjennetegn to assess and images.
pub struct AgendaItem {
    item: domain::AgendaItem,
    frozen: Option<domain::FrozenTable>,
    meeting: MeetingId,
}

/// Sak (agenda item) of a lærende møte.
#[Object]
impl AgendaItem {
    /// Tittel.
    async fn title(&self) -> &str {
        &self.item.title
    }

    /// Kommentar.
    async fn comment(&self) -> &str {
        &self.item.comment
    }

    /// Refleksjonsspørsmål.
    async fn reflection_questions(&self) -> &[String] {
        &self.item.reflection_questions
    }

    /// Data (fargetabell, nøkkeltall or trend), live and as frozen; null when none.
    async fn data(&self) -> Option<AgendaData> {
        self.item.data.clone().map(|data| AgendaData {
            data,
            frozen: self.frozen.clone(),
        })
    }

    /// Kvalitetskjennetegn to assess; null when none.
    async fn criterion(&self) -> Option<AgendaCriterion> {
        self.item.criterion.clone().map(AgendaCriterion)
    }

    /// Bilder (images) shown with the item.
    async fn images(&self, ctx: &Context<'_>) -> ApiResult<Vec<MeetingImage>> {
        let mut images = load_one(ctx, ImagesOf(self.meeting))
            .await?
            .unwrap_or_default();
        images.retain(|image| self.item.images.contains(&image.number));
        Ok(images.into_iter().map(MeetingImage::of).collect())
    }
}

/// Lærende møte (learning meeting): time, place, participants, agenda, invitation and referat.
#[Object]
impl Meeting {
    /// Global id.
    async fn id(&self) -> ID {
        global_id(NodeKind::Meeting, self.meeting.id.0)
    }

    /// The prosess the meeting belongs to.
    async fn process(&self) -> MeetingProcess {
        MeetingProcess(self.process.clone())
    }

    /// Tittel.
    async fn title(&self) -> &str {
        &self.meeting.content.title
    }

    /// Status.
    async fn status(&self) -> MeetingStatusKind {
        self.meeting.status.into()
    }

    /// Revisjon: one more for each edit, minutes or cancellation; writes name it
    /// (`expectedRevision`).
    async fn revision(&self) -> i64 {
        self.meeting.revision
    }

    /// Starts (UTC); null while not yet set (a copied example's meetings).
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.meeting.content.starts_at
    }

    /// Ends (UTC).
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.meeting.content.ends_at
    }

    /// Sted (place).
    async fn place(&self) -> &str {
        &self.meeting.content.place
    }

    /// Deltakere (participants), as planned.
    async fn participants(&self, ctx: &Context<'_>) -> ApiResult<Vec<MeetingParticipant>> {
        let participants = &self.meeting.content.participants;
        let mut units = loader(ctx)
            .load_many(participants.iter().filter_map(|p| match p {
                Participant::StaffOf(unit) => Some(UnitId(*unit)),
                Participant::Person(_) => None,
            }))
            .await
            .map_err(ApiError::from)?;
        participants
            .iter()
            .map(|participant| {
                Ok(match participant {
                    Participant::Person(person) => MeetingParticipant {
                        feide_user_id: Some(person.clone()),
                        staff_of: None,
                    },
                    Participant::StaffOf(unit) => MeetingParticipant {
                        feide_user_id: None,
                        staff_of: Some(Unit(units.remove(&UnitId(*unit)).ok_or_else(|| {
                            StoreError::BrokenReference(format!("{:?}", UnitId(*unit)))
                        })?)),
                    },
                })
            })
            .collect()
    }

    /// Saksliste (agenda).
    async fn agenda(&self) -> Vec<AgendaItem> {
        self.meeting
            .content
            .agenda
            .iter()
            .enumerate()
            .map(|(index, item)| AgendaItem {
                item: item.clone(),
                frozen: self
                    .meeting
                    .snapshot
                    .as_ref()
                    .and_then(|snapshot| snapshot.get(index).cloned().flatten()),
                meeting: self.meeting.id,
            })
            .collect()
    }

    /// Bilder (images) uploaded to the meeting.
    async fn images(&self, ctx: &Context<'_>) -> ApiResult<Vec<MeetingImage>> {
        Ok(load_one(ctx, ImagesOf(self.meeting.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(MeetingImage::of)
            .collect())
    }

    /// When the invitation was last sent; null before.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.meeting.sent_at
    }

    /// Referat (minutes); null before any are recorded.
    async fn minutes(&self) -> Option<MeetingMinutes> {
        self.meeting.minutes.clone().map(|minutes| MeetingMinutes {
            text: minutes.text,
            decisions: minutes.decisions.into_iter().map(MeetingDecision).collect(),
        })
    }

    /// The invitation as an iCalendar file (.ics), to download when no mail relay is configured
    /// or to add by hand; null while the meeting has no time.
    async fn invitation(&self, ctx: &Context<'_>) -> ApiResult<Option<MeetingInvitation>> {
        let recipients = recipients(ctx, &self.meeting.content).await?;
        Ok(invitation(ctx, &self.meeting, &recipients.addresses))
    }
}

/// Who an invitation reaches: addresses, and the invited people without one.
struct Recipients {
    addresses: Vec<String>,
    without_address: Vec<String>,
}

/// The invited people (named, and the staff of invited units) and their invitation addresses.
async fn recipients(ctx: &Context<'_>, content: &MeetingContent) -> ApiResult<Recipients> {
    let mut people: Vec<String> = Vec::new();
    let mut units = Vec::new();
    for participant in &content.participants {
        match participant {
            Participant::Person(person) => people.push(person.clone()),
            Participant::StaffOf(unit) => units.push(UnitId(*unit)),
        }
    }
    let staff = loader(ctx)
        .load_many(units.into_iter().map(StaffOf))
        .await
        .map_err(ApiError::from)?;
    people.extend(staff.into_values().flatten());
    people.sort();
    people.dedup();
    let found = loader(ctx)
        .load_many(people.iter().cloned().map(InvitationAddress))
        .await
        .map_err(ApiError::from)?;
    let mut addresses: Vec<String> = found.values().cloned().collect();
    addresses.sort();
    addresses.dedup();
    Ok(Recipients {
        without_address: people
            .into_iter()
            .filter(|person| !found.contains_key(&InvitationAddress(person.clone())))
            .collect(),
        addresses,
    })
}

/// The sender address: the relay's, or a placeholder when invitations are only downloaded.
fn organizer(ctx: &Context<'_>) -> String {
    ctx.data_unchecked::<Invitations>()
        .mailer
        .as_ref()
        .map_or_else(|| "noreply@varde.invalid".into(), Mailer::from_address)
}

fn invitation(
    ctx: &Context<'_>,
    meeting: &domain::Meeting,
    addresses: &[String],
) -> Option<MeetingInvitation> {
    let organizer = organizer(ctx);
    let parts = domain::InvitationParts {
        organizer: &organizer,
        attendees: addresses,
        agenda: domain::agenda_text(&meeting.content),
    };
    let ics = domain::invitation_ics(meeting, &parts)?;
    Some(MeetingInvitation {
        uid: meeting.uid.clone(),
        sequence: meeting.sequence,
        method: if meeting.status == MeetingStatus::Cancelled {
            "CANCEL"
        } else {
            "REQUEST"
        }
        .into(),
        ics,
    })
}

/// What happened to the invitation's e-mail.
#[derive(SimpleObject)]
pub struct InvitationMail {
    /// True when the mail went to the relay.
    sent: bool,
    /// Addresses it went to.
    recipients: Vec<String>,
    /// Invited people (Feide user ids) without an invitation address (`setInvitationAddress`):
    /// they get the .ics only by download.
    without_address: Vec<String>,
    /// Why no mail went out: no relay configured, nobody to mail, or the relay's refusal.
    problem: Option<String>,
}

/// The meeting after sending or cancelling, with its invitation and what became of the mail.
#[derive(SimpleObject)]
pub struct MeetingSent {
    /// The meeting as it is now.
    meeting: Meeting,
    /// The invitation (or cancellation) sent.
    invitation: Option<MeetingInvitation>,
    /// The e-mail.
    mail: InvitationMail,
}

/// Mails `meeting`'s invitation (or cancellation) to its participants, when a relay is
/// configured.
async fn mail_invitation(ctx: &Context<'_>, meeting: Meeting) -> ApiResult<MeetingSent> {
    let recipients = recipients(ctx, &meeting.meeting.content).await?;
    let invitation = invitation(ctx, &meeting.meeting, &recipients.addresses);
    let mailer = ctx.data_unchecked::<Invitations>().mailer.as_ref();
    let problem = match (mailer, &invitation) {
        (None, _) => Some("no SMTP relay is configured: download the invitation (.ics)".into()),
        (_, None) => Some("the meeting has no time".into()),
        (Some(_), Some(_)) if recipients.addresses.is_empty() => {
            Some("none of the participants has an invitation address".into())
        }
        (Some(mailer), Some(invitation)) => {
            let subject = match meeting.meeting.status {
                MeetingStatus::Cancelled => format!("Avlyst: {}", meeting.meeting.content.title),
                _ => format!("Invitasjon: {}", meeting.meeting.content.title),
            };
            let body = format!(
                "{}\n{}\n\n{}",
                meeting.meeting.content.title,
                meeting.meeting.content.place,
                domain::agenda_text(&meeting.meeting.content)
            );
            match mailer
                .send_invitation(
                    &recipients.addresses,
                    &subject,
                    &body,
                    &invitation.ics,
                    &invitation.method,
                )
                .await
            {
                Ok(()) => None,
                Err(error) => {
                    tracing::warn!(%error, "an invitation could not be mailed");
                    Some(error.to_string())
                }
            }
        }
    };
    Ok(MeetingSent {
        meeting,
        invitation,
        mail: InvitationMail {
            sent: problem.is_none(),
            recipients: if problem.is_none() {
                recipients.addresses
            } else {
                Vec::new()
            },
            without_address: recipients.without_address,
            problem,
        },
    })
}

/// Queries of processes and meetings.
#[derive(Default)]
pub struct MeetingQuery;

/// Which processes to list.
#[derive(InputObject, Default)]
pub struct MeetingProcessFilterInput {
    /// Only this skoleeier's (and its enheters') processes.
    owner: Option<OwnerRef>,
    /// Only processes of this skoleår.
    school_year: Option<i32>,
    /// Only the national examples (true), or only owners' own (false).
    examples: Option<bool>,
}

#[Object]
impl MeetingQuery {
    /// Prosesser (processes) the caller may read: the national examples for everyone, a
    /// skoleeier's or enhet's for its planners (owner admins, unit leaders) and for those
    /// invited to one of its meetings.
    async fn meeting_processes(
        &self,
        ctx: &Context<'_>,
        filter: Option<MeetingProcessFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<MeetingProcess>> {
        let filter = filter.unwrap_or_default();
        let filter = ProcessFilter {
            owner: match &filter.owner {
                Some(owner) => Some(owner.resolve(ctx, None).await?.id),
                None => None,
            },
            school_year: filter
                .school_year
                .map(domain::SchoolYear::new)
                .transpose()?,
            examples: filter.examples,
        };
        let page = paging::page(after, before, first, last)?;
        let processes = store(ctx)
            .processes(&meeting_reader(ctx), &filter, &page)
            .await?;
        Ok(paging::connection(
            processes,
            &page,
            |process| process.id.0,
            MeetingProcess,
        ))
    }

    /// One lærende møte by global id; null when none has it or the caller may not read it
    /// (its planners and participants do).
    async fn meeting(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Meeting>> {
        let id = MeetingId(parse_id_of(NodeKind::Meeting, &id)?);
        let Some((meeting, process)) = meeting_and_process(ctx, id).await? else {
            return Ok(None);
        };
        Ok(meeting_reader(ctx)
            .may_read(&process, &meeting)
            .then_some(Meeting { meeting, process }))
    }
}

async fn meeting_and_process(
    ctx: &Context<'_>,
    id: MeetingId,
) -> ApiResult<Option<(domain::Meeting, domain::Process)>> {
    let Some(meeting) = store(ctx).meeting(id).await? else {
        return Ok(None);
    };
    let process = store(ctx)
        .process(meeting.process)
        .await?
        .ok_or_else(|| StoreError::BrokenReference(format!("{:?}", meeting.process)))?;
    Ok(Some((meeting, process)))
}

/// An existing meeting the caller may plan: `NOT_FOUND` when none has the id, `FORBIDDEN` when
/// the caller's roles do not allow it.
async fn plannable(ctx: &Context<'_>, id: &ID) -> ApiResult<Meeting> {
    let caller = logged_in(ctx, TO_PLAN)?;
    let id = MeetingId(parse_id_of(NodeKind::Meeting, id)?);
    let (meeting, process) = meeting_and_process(ctx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no møte (meeting) has id {id:?}")))?;
    allowed(may_plan(&caller.grants, process.owner, process.unit))?;
    Ok(Meeting { meeting, process })
}

/// The meeting as stored now.
async fn reloaded(ctx: &Context<'_>, id: MeetingId) -> ApiResult<Meeting> {
    meeting_and_process(ctx, id)
        .await?
        .map(|(meeting, process)| Meeting { meeting, process })
        .ok_or_else(|| StoreError::BrokenReference(format!("{id:?}")).into())
}

/// The meeting as a guarded write left it, or the conflict of a write made against a revision
/// that is no longer the meeting's (`expected`).
async fn after_write(
    ctx: &Context<'_>,
    written: Written,
    id: MeetingId,
    expected: i64,
) -> ApiResult<Meeting> {
    match written {
        Written::Done => reloaded(ctx, id).await,
        Written::Stale => Err(conflict(expected)),
    }
}

/// The id of an existing tiltak (`id`) a decision links: one of `process`'s skoleeier (and its
/// enhet, for an enhet's process) that the caller may read.
async fn linked_initiative(
    ctx: &Context<'_>,
    process: &domain::Process,
    id: &ID,
) -> ApiResult<i64> {
    let initiative_id = domain::InitiativeId(parse_id_of(NodeKind::Initiative, id)?);
    let initiative: Option<domain::Initiative> = load_one(ctx, initiative_id).await?;
    let fits = initiative.is_some_and(|initiative| {
        Some(initiative.owner) == process.owner
            && (process.unit.is_none() || initiative.unit == process.unit)
    });
    if !fits {
        return Err(ApiError::BadUserInput(format!(
            "{:?} is not a tiltak (initiative) of the process's skoleeier or enhet that you may \
             read",
            id.as_str()
        )));
    }
    Ok(initiative_id.0)
}

/// A new tiltak a decision creates, checked (by `createInitiative`'s rules) but not written: the
/// process's enhet's, or its skoleeier's for a skoleeier's own process. An example process has
/// neither, so its decisions create none.
async fn initiative_of(
    ctx: &Context<'_>,
    process: &domain::Process,
    content: InitiativeContentInput,
) -> ApiResult<NewInitiative> {
    let Some(owner) = process.owner else {
        return Err(ApiError::BadUserInput(
            "an example process belongs to no skoleeier: its decisions create no initiatives"
                .into(),
        ));
    };
    let (subject, kind) = match process.unit {
        Some(unit) => (
            domain::InitiativeSubject::Unit(unit),
            Some(load_reference::<_, domain::Unit>(ctx, unit).await?.kind),
        ),
        None => (domain::InitiativeSubject::Owner(owner), None),
    };
    new_initiative(ctx, subject, owner, kind, None, content).await
}

/// Whose process: a skoleeier's own or one of its enheters'.
#[derive(OneofObject)]
pub enum ProcessSubjectRef {
    /// Enhet (unit).
    Unit(UnitRef),
    /// Skoleeier (owner).
    Owner(OwnerRef),
}

impl ProcessSubjectRef {
    async fn resolve(&self, ctx: &Context<'_>) -> ApiResult<(OwnerId, Option<UnitId>)> {
        Ok(match self {
            Self::Unit(unit) => {
                let unit = unit.resolve(ctx).await?;
                (unit.owner_id, Some(unit.id))
            }
            Self::Owner(owner) => (owner.resolve(ctx, None).await?.id, None),
        })
    }
}

/// A new process: a skoleeier's or enhet's for a skoleår, or (national admins) an example.
#[derive(InputObject)]
pub struct CreateMeetingProcessInput {
    /// Whose process; leave out (with `schoolYear`) for a national example.
    of: Option<ProcessSubjectRef>,
    /// Skoleår (2024 for 2024-25); required for an owner's or unit's process.
    school_year: Option<i32>,
    /// Tittel.
    title: String,
    /// Beskrivelse.
    #[graphql(default)]
    description: String,
}

/// A copy of a national example process into a skoleeier's or enhet's own.
#[derive(InputObject)]
pub struct CopyMeetingProcessInput {
    /// The example process (global id).
    example: ID,
    /// Whose the copy is.
    of: ProcessSubjectRef,
    /// Skoleår of the copy.
    school_year: i32,
}

/// A participant: exactly one of a Feide user id or an enhet whose staff is invited.
#[derive(OneofObject)]
pub enum ParticipantInput {
    /// Feide user id (eduPersonPrincipalName) of someone Varde knows (logged in, or holding a
    /// role).
    Person(String),
    /// Every staff member (unit staff and leaders) of the enhet.
    StaffOf(UnitRef),
}

/// Which data an agenda item shows, by reference.
#[derive(OneofObject)]
pub enum AgendaDataInput {
    /// Fargetabell of a skoleeier's enheter.
    ColourTable(OwnerTableInput),
    /// Nøkkeltall of a skoleeier beside the nation.
    KeyFigures(OwnerTableInput),
    /// Trendgraf of one indikator.
    Trend(TrendInput),
}

/// A skoleeier's indikatorer in one skoleår.
#[derive(InputObject)]
pub struct OwnerTableInput {
    /// Skoleeier.
    owner: OwnerRef,
    /// Indicator codes, in order (1 to 10).
    indicators: Vec<String>,
    /// Skoleår.
    school_year: i32,
}

/// One indikator of an enhet or skoleeier over every skoleår.
#[derive(InputObject)]
pub struct TrendInput {
    /// Indicator code.
    indicator: String,
    /// The enhet (or give `owner`).
    unit: Option<UnitRef>,
    /// The skoleeier (when no enhet is given).
    owner: Option<OwnerRef>,
}

/// A kvalitetskjennetegn to assess: an enhet's egenvurdering in one skoleår.
#[derive(InputObject)]
pub struct AgendaCriterionInput {
    /// Enhet whose egenvurdering it is.
    unit: UnitRef,
    /// Kvalitetsbeskrivelse.
    framework: QualityFrameworkRef,
    /// Criterion number, e.g. "2.1".
    criterion: String,
    /// Skoleår.
    school_year: i32,
}

/// One agenda item.
#[derive(InputObject)]
pub struct AgendaItemInput {
    /// Tittel (not empty).
    title: String,
    /// Kommentar.
    #[graphql(default)]
    comment: String,
    /// Refleksjonsspørsmål (at most 20).
    #[graphql(default)]
    reflection_questions: Vec<String>,
    /// Data, by reference.
    data: Option<AgendaDataInput>,
    /// Kvalitetskjennetegn to assess.
    criterion: Option<AgendaCriterionInput>,
    /// Numbers of the meeting's images (`uploadMeetingImage`) to show.
    #[graphql(default)]
    images: Vec<i64>,
}

/// What a meeting says, whole.
#[derive(InputObject)]
pub struct MeetingContentInput {
    /// Tittel (not empty).
    title: String,
    /// Starts (UTC); give both times or neither.
    starts_at: Option<DateTime<Utc>>,
    /// Ends (UTC), after the start.
    ends_at: Option<DateTime<Utc>>,
    /// Sted (place).
    #[graphql(default)]
    place: String,
    /// Deltakere (at most 500).
    #[graphql(default)]
    participants: Vec<ParticipantInput>,
    /// Saksliste (at most 12 items).
    #[graphql(default)]
    agenda: Vec<AgendaItemInput>,
}

impl MeetingContentInput {
    /// The content, checked: the domain's rules, participants who exist, data and criteria that
    /// exist, and images the meeting has (`images`: its numbers).
    async fn checked(self, ctx: &Context<'_>, images: &[i64]) -> ApiResult<MeetingContent> {
        let mut participants = Vec::with_capacity(self.participants.len());
        let mut people = Vec::new();
        for participant in &self.participants {
            participants.push(match participant {
                ParticipantInput::Person(person) => {
                    let person = person.trim().to_owned();
                    people.push(person.clone());
                    Participant::Person(person)
                }
                ParticipantInput::StaffOf(unit) => {
                    Participant::StaffOf(unit.resolve(ctx).await?.id.0)
                }
            });
        }
        people.sort();
        people.dedup();
        if !people.is_empty() {
            let known = store(ctx).known_people(&people).await?;
            let unknown: Vec<&String> = people.iter().filter(|p| !known.contains(p)).collect();
            if !unknown.is_empty() {
                return Err(ApiError::BadUserInput(format!(
                    "no user with Feide user id {unknown:?} is known to Varde (they must have \
                     logged in or hold a role)"
                )));
            }
        }
        let mut agenda = Vec::with_capacity(self.agenda.len());
        for item in self.agenda {
            if let Some(missing) = item.images.iter().find(|n| !images.contains(n)) {
                return Err(ApiError::BadUserInput(format!(
                    "the meeting has no image number {missing}; upload it first \
                     (uploadMeetingImage)"
                )));
            }
            let data = match &item.data {
                None => None,
                Some(data) => Some(data_ref(ctx, data).await?),
            };
            let criterion = match &item.criterion {
                None => None,
                Some(link) => {
                    let unit = link.unit.resolve(ctx).await?;
                    let framework = link.framework.resolve(ctx).await?;
                    let version: domain::FrameworkVersion =
                        load_reference(ctx, VersionNumber(framework.id, framework.version)).await?;
                    Some(domain::CriterionToAssess {
                        unit: unit.id.0,
                        criterion: version.content.criterion(&link.criterion)?.number.clone(),
                        framework: framework.code,
                        school_year: domain::SchoolYear::new(link.school_year)?.start_year(),
                    })
                }
            };
            agenda.push(domain::AgendaItem {
                title: item.title,
                comment: item.comment,
                reflection_questions: item.reflection_questions,
                data,
                criterion,
                images: item.images,
            });
        }
        Ok(MeetingContent {
            title: self.title,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            place: self.place,
            participants,
            agenda,
        }
        .checked()?)
    }
}

/// The data reference, checked: an owner that exists, indicator codes that exist.
async fn data_ref(ctx: &Context<'_>, data: &AgendaDataInput) -> ApiResult<DataRef> {
    let known = |codes: Vec<String>| async move {
        let found = indicators_by_code(ctx, &codes).await?;
        if let Some(code) = codes.iter().find(|code| !found.contains_key(*code)) {
            return Err(ApiError::BadUserInput(format!(
                "unknown indicator code {code:?}; the `indicators` query lists them"
            )));
        }
        Ok(codes)
    };
    Ok(match data {
        AgendaDataInput::ColourTable(table) | AgendaDataInput::KeyFigures(table) => {
            let owner = table.owner.resolve(ctx, None).await?.id.0;
            let indicators = known(table.indicators.clone()).await?;
            let school_year = domain::SchoolYear::new(table.school_year)?.start_year();
            if matches!(data, AgendaDataInput::ColourTable(_)) {
                DataRef::ColourTable {
                    owner,
                    indicators,
                    school_year,
                }
            } else {
                DataRef::KeyFigures {
                    owner,
                    indicators,
                    school_year,
                }
            }
        }
        AgendaDataInput::Trend(trend) => {
            let (owner, unit) = match (&trend.unit, &trend.owner) {
                (Some(unit), None) => {
                    let unit = unit.resolve(ctx).await?;
                    (unit.owner_id.0, Some(unit.id.0))
                }
                (None, Some(owner)) => (owner.resolve(ctx, None).await?.id.0, None),
                _ => {
                    return Err(ApiError::BadUserInput(
                        "a trend names exactly one of `unit` and `owner`".into(),
                    ));
                }
            };
            let indicator = known(vec![trend.indicator.clone()]).await?.remove(0);
            DataRef::Trend {
                indicator,
                owner,
                unit,
            }
        }
    })
}

/// A new meeting in a process.
#[derive(InputObject)]
pub struct PlanMeetingInput {
    /// The process (global id).
    process: ID,
    /// What the meeting says.
    content: MeetingContentInput,
}

/// New content for a meeting (not cancelled): it becomes its next revision. A sent meeting is
/// sent again (`sendMeeting`) to update the calendar entries.
#[derive(InputObject)]
pub struct EditMeetingInput {
    /// The meeting (global id).
    meeting: ID,
    /// The revision the edit was made from (`CONFLICT` when stale, nothing written).
    expected_revision: i64,
    /// Its new content, whole.
    content: MeetingContentInput,
}

/// A meeting and the revision the caller read.
#[derive(InputObject)]
pub struct MeetingRevisionInput {
    /// The meeting (global id).
    meeting: ID,
    /// The revision the caller read (`CONFLICT` when stale, nothing written).
    expected_revision: i64,
}

/// An image for a meeting, base64 in the request (at most 160 KiB decoded).
#[derive(InputObject)]
pub struct UploadMeetingImageInput {
    /// The meeting (global id).
    meeting: ID,
    /// The file's bytes, base64 (standard alphabet, with padding).
    base64: String,
}

/// A decision for the minutes: it may link an existing tiltak (`initiative`) or create one
/// (`newInitiative`), not both.
#[derive(InputObject)]
pub struct DecisionInput {
    /// What was decided (not empty).
    text: String,
    /// A tiltak (initiative, global id) made of it, of the process's skoleeier or enhet.
    initiative: Option<ID>,
    /// A new tiltak (initiative) made of it, created with the minutes (in the same write) for
    /// the process's enhet, or its skoleeier when the process is the skoleeier's own; by the
    /// rules of `createInitiative` (the caller must be allowed to plan initiatives there).
    new_initiative: Option<InitiativeContentInput>,
}

/// Referat (minutes) of a meeting.
#[derive(InputObject)]
pub struct RecordMinutesInput {
    /// The meeting (global id).
    meeting: ID,
    /// The revision the caller read.
    expected_revision: i64,
    /// What was said.
    #[graphql(default)]
    text: String,
    /// Vedtak (decisions), at most 12.
    #[graphql(default)]
    decisions: Vec<DecisionInput>,
}

/// Changes to processes and meetings.
#[derive(Default)]
pub struct MeetingMutation;

#[Object]
impl MeetingMutation {
    /// Creates a prosess (process): an owner admin's for the skoleeier or one of its enheter, a
    /// unit leader's for the enhet, a national admin's example (without `of` and `schoolYear`).
    async fn create_meeting_process(
        &self,
        ctx: &Context<'_>,
        input: CreateMeetingProcessInput,
    ) -> ApiResult<MeetingProcess> {
        let caller = logged_in(ctx, TO_PLAN)?;
        let (owner, unit) = match &input.of {
            Some(of) => {
                let (owner, unit) = of.resolve(ctx).await?;
                (Some(owner), unit)
            }
            None => (None, None),
        };
        allowed(may_plan(&caller.grants, owner, unit))?;
        let school_year = match (owner, input.school_year) {
            (Some(_), Some(year)) => Some(domain::SchoolYear::new(year)?),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ApiError::BadUserInput(
                    "a skoleeier's or enhet's process needs a schoolYear".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(ApiError::BadUserInput(
                    "an example process has no schoolYear".into(),
                ));
            }
        };
        let content = MeetingContent {
            title: input.title,
            starts_at: None,
            ends_at: None,
            place: input.description,
            participants: Vec::new(),
            agenda: Vec::new(),
        }
        .checked()?;
        let description = domain::checked_text("description", &content.place)?;
        let id = store(ctx)
            .create_process(
                (owner, unit, school_year),
                &content.title,
                &description,
                &caller.audit_name(),
                Utc::now(),
            )
            .await?;
        let process = store(ctx)
            .process(id)
            .await?
            .ok_or_else(|| StoreError::BrokenReference(format!("{id:?}")))?;
        Ok(MeetingProcess(process))
    }

    /// Copies a national example process into the skoleeier's or enhet's own for a skoleår:
    /// every meeting with its agenda and images, planned anew, without times or participants.
    async fn copy_meeting_process(
        &self,
        ctx: &Context<'_>,
        input: CopyMeetingProcessInput,
    ) -> ApiResult<MeetingProcess> {
        let caller = logged_in(ctx, TO_PLAN)?;
        let (owner, unit) = input.of.resolve(ctx).await?;
        allowed(may_plan(&caller.grants, Some(owner), unit))?;
        let year = domain::SchoolYear::new(input.school_year)?;
        let example_id = ProcessId(parse_id_of(NodeKind::MeetingProcess, &input.example)?);
        let example = store(ctx)
            .process(example_id)
            .await?
            .filter(domain::Process::is_example)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no example process has id {:?}",
                    input.example.as_str()
                ))
            })?;
        let everyone = MeetingReader::default();
        let page = Page {
            after: None,
            before: None,
            limit: crate::graphql::MAX_PAGE_SIZE,
            from_end: false,
        };
        let meetings = store(ctx)
            .meetings_of_processes(&[example_id], &everyone, &page)
            .await?
            .remove(&example_id)
            .unwrap_or_default();
        let id = store(ctx)
            .copy_process(
                &example,
                &meetings,
                (owner, unit, year),
                &caller.audit_name(),
                Utc::now(),
            )
            .await?;
        let process = store(ctx)
            .process(id)
            .await?
            .ok_or_else(|| StoreError::BrokenReference(format!("{id:?}")))?;
        Ok(MeetingProcess(process))
    }

    /// Plans a meeting in a process (its planners). Participants must be known to Varde; data
    /// and criteria must exist.
    async fn plan_meeting(&self, ctx: &Context<'_>, input: PlanMeetingInput) -> ApiResult<Meeting> {
        let caller = logged_in(ctx, TO_PLAN)?;
        let process_id = ProcessId(parse_id_of(NodeKind::MeetingProcess, &input.process)?);
        let process = store(ctx).process(process_id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("no process has id {:?}", input.process.as_str()))
        })?;
        allowed(may_plan(&caller.grants, process.owner, process.unit))?;
        let content = input.content.checked(ctx, &[]).await?;
        let id = store(ctx)
            .create_meeting(process.id, &content, &caller.audit_name(), Utc::now())
            .await?;
        reloaded(ctx, id).await
    }

    /// Replaces a meeting's content as its next revision. `CONFLICT` when `expectedRevision`
    /// is stale or the meeting is cancelled.
    async fn edit_meeting(&self, ctx: &Context<'_>, input: EditMeetingInput) -> ApiResult<Meeting> {
        let meeting = plannable(ctx, &input.meeting).await?;
        let id = meeting.meeting.id;
        let images: Vec<i64> = store(ctx)
            .images_of_meetings(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default()
            .iter()
            .map(|image| image.number)
            .collect();
        let content = input.content.checked(ctx, &images).await?;
        let written = store(ctx)
            .edit_meeting(id, input.expected_revision, &content)
            .await?;
        after_write(ctx, written, id, input.expected_revision).await
    }

    /// Uploads an image to a meeting (its planners): PNG, JPEG, GIF or WebP, recognised by the
    /// file's first bytes, at most 160 KiB. Agenda items show it by its number.
    async fn upload_meeting_image(
        &self,
        ctx: &Context<'_>,
        input: UploadMeetingImageInput,
    ) -> ApiResult<MeetingImage> {
        let meeting = plannable(ctx, &input.meeting).await?;
        let bytes = STANDARD.decode(input.base64.trim()).map_err(|_| {
            ApiError::BadUserInput("base64 is not valid base64 (standard alphabet)".into())
        })?;
        let content_type = domain::sniff_image(&bytes)?;
        let id = meeting.meeting.id;
        let number = store(ctx)
            .add_meeting_image(
                id,
                content_type,
                bytes,
                &principal(ctx).audit_name(),
                Utc::now(),
            )
            .await?;
        store(ctx)
            .images_of_meetings(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .find(|image| image.number == number)
            .map(MeetingImage::of)
            .ok_or_else(|| StoreError::BrokenReference(format!("image {number}")).into())
    }

    /// Sends the meeting's invitation (its planners): freezes the agenda's data as the sender
    /// sees it now, and mails the iCalendar invitation through the SMTP relay when one is
    /// configured. Sending again after an edit updates the same calendar entry (same UID, next
    /// SEQUENCE). The meeting needs a time.
    async fn send_meeting(
        &self,
        ctx: &Context<'_>,
        input: MeetingRevisionInput,
    ) -> ApiResult<MeetingSent> {
        let meeting = plannable(ctx, &input.meeting).await?;
        if meeting.meeting.content.starts_at.is_none() {
            return Err(ApiError::BadUserInput(
                "the meeting has no time yet: set startsAt and endsAt (editMeeting) first".into(),
            ));
        }
        if meeting.meeting.status == MeetingStatus::Cancelled {
            return Err(ApiError::BadUserInput("the meeting is cancelled".into()));
        }
        // Every item's data in one analysis, as the sender sees it now.
        let agenda = &meeting.meeting.content.agenda;
        let tables = loader(ctx)
            .load_many(agenda.iter().filter_map(|item| item.data.clone()))
            .await
            .map_err(ApiError::from)?;
        let snapshot = agenda
            .iter()
            .map(|item| match &item.data {
                Some(data) => tables
                    .get(data)
                    .cloned()
                    .ok_or_else(|| StoreError::BrokenReference(format!("{data:?}")))?
                    .map(Some),
                None => Ok(None),
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let snapshot = serde_json::to_string(&snapshot).map_err(StoreError::from)?;
        let id = meeting.meeting.id;
        let written = store(ctx)
            .mark_sent(
                id,
                input.expected_revision,
                &snapshot,
                &principal(ctx).audit_name(),
                Utc::now(),
            )
            .await?;
        let meeting = after_write(ctx, written, id, input.expected_revision).await?;
        mail_invitation(ctx, meeting).await
    }

    /// Cancels a meeting (its planners): a sent one's calendar entries are withdrawn by a
    /// METHOD:CANCEL invitation with the same UID, mailed like the invitation was.
    async fn cancel_meeting(
        &self,
        ctx: &Context<'_>,
        input: MeetingRevisionInput,
    ) -> ApiResult<MeetingSent> {
        let meeting = plannable(ctx, &input.meeting).await?;
        let id = meeting.meeting.id;
        let was_sent = meeting.meeting.sent_at.is_some();
        let written = store(ctx)
            .cancel_meeting(id, input.expected_revision)
            .await?;
        let meeting = after_write(ctx, written, id, input.expected_revision).await?;
        if was_sent {
            mail_invitation(ctx, meeting).await
        } else {
            Ok(MeetingSent {
                invitation: None,
                meeting,
                mail: InvitationMail {
                    sent: false,
                    recipients: Vec::new(),
                    without_address: Vec::new(),
                    problem: Some("the meeting was never sent".into()),
                },
            })
        }
    }

    /// Records the referat (minutes) of a meeting with its decisions (its planners), replacing
    /// earlier minutes. A decision links a tiltak (initiative) made of it: an existing one of the
    /// process's skoleeier (or enhet) that the caller may read, or a new one it creates, planned,
    /// for the process's enhet (or skoleeier) by the rules of `createInitiative`. All or
    /// nothing: when anything is refused, neither the minutes nor any initiative is written.
    async fn record_minutes(
        &self,
        ctx: &Context<'_>,
        input: RecordMinutesInput,
    ) -> ApiResult<Meeting> {
        let meeting = plannable(ctx, &input.meeting).await?;
        let mut decisions = Vec::with_capacity(input.decisions.len());
        let mut created = Vec::new();
        for (index, decision) in input.decisions.into_iter().enumerate() {
            let initiative = match (&decision.initiative, decision.new_initiative) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::BadUserInput(
                        "a decision links an existing initiative or creates a new one \
                         (`newInitiative`), not both"
                            .into(),
                    ));
                }
                (None, None) => None,
                (Some(id), None) => Some(linked_initiative(ctx, &meeting.process, id).await?),
                (None, Some(content)) => {
                    created.push((index, initiative_of(ctx, &meeting.process, content).await?));
                    None
                }
            };
            decisions.push(domain::Decision {
                text: decision.text,
                initiative,
            });
        }
        let minutes = domain::Minutes {
            text: input.text,
            decisions,
        }
        .checked()?;
        let id = meeting.meeting.id;
        let written = store(ctx)
            .record_minutes(id, input.expected_revision, &minutes, &created, Utc::now())
            .await?;
        after_write(ctx, written, id, input.expected_revision).await
    }

    /// Sets where the caller (a person) wants meeting invitations mailed. The address only
    /// receives mail; it never identifies anyone (Feide does not verify e-mail addresses).
    async fn set_invitation_address(&self, ctx: &Context<'_>, email: String) -> ApiResult<bool> {
        let caller = logged_in(ctx, "set your invitation address")?;
        let Caller::User(user) = &caller.caller else {
            return Err(ApiError::Forbidden(
                "only people (not services) have invitation addresses".into(),
            ));
        };
        let address = mail::mailbox(&email)
            .map_err(|error| ApiError::BadUserInput(error.to_string()))?
            .email
            .to_string();
        store(ctx)
            .set_invitation_address(&user.feide_user_id, &address, Utc::now())
            .await?;
        Ok(true)
    }
}

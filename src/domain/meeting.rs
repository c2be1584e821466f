//! Prosessdesigner and lærende møter (learning meetings): processes of meetings per owner or unit
//! and school year, the meetings' agendas and minutes, the frozen snapshot of an agenda's data, the
//! image check by magic bytes, and the iCalendar invitation (RFC 5545). Pure: no I/O.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use serde::{Deserialize, Serialize};

use super::{Colour, DomainError, SuppressionReason, checked_text};

/// Database id of a process (prosess).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessId(pub i64);

/// Database id of a meeting (møte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeetingId(pub i64);

/// Most agenda items in one meeting.
pub const MAX_AGENDA_ITEMS: usize = 12;
/// Most indicators in one agenda item's data.
pub const MAX_DATA_INDICATORS: usize = 10;
/// Most reflection questions, images or participants of one item or meeting.
pub const MAX_QUESTIONS: usize = 20;
pub const MAX_PARTICIPANTS: usize = 500;
/// Largest image accepted, in bytes (before base64).
pub const MAX_IMAGE_BYTES: usize = 160 * 1024;
/// Most images per meeting.
pub const MAX_IMAGES: usize = 20;
/// Longest title or place, in characters.
const MAX_SHORT_TEXT: usize = 200;

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::InvalidMeeting(message.into())
}

fn short_text(field: &'static str, text: &str, required: bool) -> Result<String, DomainError> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > MAX_SHORT_TEXT {
        return Err(DomainError::TextTooLong {
            field,
            chars,
            max: MAX_SHORT_TEXT,
        });
    }
    if required && text.is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    Ok(text.to_owned())
}

/// A process (prosess): a planned sequence of meetings for one owner (or one of its units) and
/// school year, or a national example with neither.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    pub id: ProcessId,
    /// `None`: a national example process (eksempel på god prosess).
    pub owner: Option<super::OwnerId>,
    pub unit: Option<super::UnitId>,
    pub school_year: Option<super::SchoolYear>,
    pub title: String,
    pub description: String,
    pub copied_from: Option<ProcessId>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Process {
    pub fn is_example(&self) -> bool {
        self.owner.is_none()
    }
}

/// Who is invited: one person by Feide user id, or every staff member (unit_staff and
/// unit_leader roles) of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    Person(String),
    StaffOf(i64),
}

/// Data on the agenda, by reference: shown live through the reader's access path, frozen when
/// the invitation is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DataRef {
    /// Fargetabell: an owner's units against indicators in one school year.
    ColourTable {
        owner: i64,
        indicators: Vec<String>,
        school_year: i32,
    },
    /// Nøkkeltall: an owner's aggregates beside the nation's.
    KeyFigures {
        owner: i64,
        indicators: Vec<String>,
        school_year: i32,
    },
    /// Trendgraf: one indicator of a unit (or, without one, of the owner) over every school year.
    Trend {
        indicator: String,
        owner: i64,
        unit: Option<i64>,
    },
}

/// A kvalitetskjennetegn to assess in the meeting: the unit's egenvurdering (self-assessment) of
/// it in a school year, where staff votes are cast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionToAssess {
    pub unit: i64,
    pub framework: String,
    pub criterion: String,
    pub school_year: i32,
}

/// One point on the agenda (sak).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub title: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub reflection_questions: Vec<String>,
    pub data: Option<DataRef>,
    pub criterion: Option<CriterionToAssess>,
    /// Numbers of the meeting's images shown with the item.
    #[serde(default)]
    pub images: Vec<i64>,
}

/// What a meeting says: everything a planner edits at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingContent {
    pub title: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub agenda: Vec<AgendaItem>,
}

impl MeetingContent {
    /// The content with its texts trimmed, checked: a title, a time given whole and ending after
    /// it starts, bounded lists.
    pub fn checked(mut self) -> Result<Self, DomainError> {
        self.title = short_text("title", &self.title, true)?;
        self.place = short_text("place", &self.place, false)?;
        match (self.starts_at, self.ends_at) {
            (Some(start), Some(end)) if end <= start => {
                return Err(invalid(format!(
                    "the meeting ends ({end}) before or when it starts ({start})"
                )));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(invalid("give both startsAt and endsAt, or neither"));
            }
            _ => {}
        }
        if self.participants.len() > MAX_PARTICIPANTS {
            return Err(invalid(format!(
                "at most {MAX_PARTICIPANTS} participants are allowed"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        self.participants.retain(|p| seen.insert(p.clone()));
        if self.agenda.len() > MAX_AGENDA_ITEMS {
            return Err(invalid(format!(
                "at most {MAX_AGENDA_ITEMS} agenda items are allowed"
            )));
        }
        for item in &mut self.agenda {
            item.title = short_text("agenda item title", &item.title, true)?;
            item.comment = checked_text("comment", &item.comment)?;
            if item.reflection_questions.len() > MAX_QUESTIONS {
                return Err(invalid(format!(
                    "at most {MAX_QUESTIONS} reflection questions per item are allowed"
                )));
            }
            for question in &mut item.reflection_questions {
                *question = checked_text("reflection question", question)?;
            }
            item.reflection_questions.retain(|q| !q.is_empty());
            if item.images.len() > MAX_IMAGES {
                return Err(invalid(format!(
                    "at most {MAX_IMAGES} images per item are allowed"
                )));
            }
            if let Some(
                DataRef::ColourTable { indicators, .. } | DataRef::KeyFigures { indicators, .. },
            ) = &item.data
                && (indicators.is_empty() || indicators.len() > MAX_DATA_INDICATORS)
            {
                return Err(invalid(format!(
                    "an agenda item's data names 1 to {MAX_DATA_INDICATORS} indicators"
                )));
            }
        }
        Ok(self)
    }
}

/// A decision (vedtak) in the minutes, with the tiltak (initiative) made of it, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub text: String,
    pub initiative: Option<i64>,
}

/// Referat (minutes) of a held meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    pub text: String,
    pub decisions: Vec<Decision>,
}

impl Minutes {
    pub fn checked(mut self) -> Result<Self, DomainError> {
        self.text = checked_text("minutes", &self.text)?;
        if self.decisions.len() > MAX_AGENDA_ITEMS {
            return Err(invalid(format!(
                "at most {MAX_AGENDA_ITEMS} decisions are allowed"
            )));
        }
        for decision in &mut self.decisions {
            decision.text = checked_text("decision", &decision.text)?;
            if decision.text.is_empty() {
                return Err(invalid("a decision must say what was decided"));
            }
        }
        Ok(self)
    }
}

/// Where a meeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingStatus {
    /// Not sent yet.
    Planned,
    /// The invitation went out (and perhaps an update since).
    Sent,
    /// Cancelled: the calendar entry was withdrawn.
    Cancelled,
}

impl MeetingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Sent => "sent",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        match input {
            "planned" => Ok(Self::Planned),
            "sent" => Ok(Self::Sent),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err(DomainError::UnknownVariant {
                kind: "meeting status",
                value: input.to_owned(),
                allowed: "planned sent cancelled",
            }),
        }
    }
}

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub id: MeetingId,
    pub process: ProcessId,
    pub uid: String,
    pub status: MeetingStatus,
    pub revision: i64,
    /// The iCalendar SEQUENCE of the last invitation sent (0 before the first).
    pub sequence: i64,
    pub content: MeetingContent,
    /// The agenda's data as it was frozen when the invitation was last sent: one entry per agenda
    /// item (`None` for an item without data).
    pub snapshot: Option<Vec<Option<FrozenTable>>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<String>,
    pub minutes: Option<Minutes>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One cell of a frozen (or live) table of figures: what the reader was shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenCell {
    pub value: Option<f64>,
    pub n: Option<i64>,
    pub reason: Option<SuppressionReason>,
    /// "green", "yellow", "red", "none"; absent where the table has no colours.
    pub colour: Option<String>,
}

impl FrozenCell {
    pub fn new(value: Option<f64>, n: Option<i64>, reason: Option<SuppressionReason>) -> Self {
        Self {
            value,
            n,
            reason,
            colour: None,
        }
    }

    pub fn coloured(mut self, colour: Colour) -> Self {
        self.colour = Some(
            match colour {
                Colour::Green => "green",
                Colour::Yellow => "yellow",
                Colour::Red => "red",
                Colour::None => "none",
            }
            .to_owned(),
        );
        self
    }

    /// Whether the cell shows a number (or an `n`).
    pub fn shows_anything(&self) -> bool {
        self.reason.is_none() && (self.value.is_some() || self.n.is_some())
    }
}

/// One row of a figure table: a unit, an owner, the nation or a school year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenRow {
    /// Stable key of the row ("unit:12", "owner:3", "nation", "year:2024").
    pub key: String,
    pub label: String,
    pub cells: Vec<FrozenCell>,
}

/// The figures of an agenda item's data as one table: columns are indicator codes (or, for a
/// trend, the series), rows units, owners, the nation or school years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenTable {
    pub columns: Vec<String>,
    pub rows: Vec<FrozenRow>,
}

impl FrozenTable {
    /// Whether every cell this table shows is also shown in `live` (the same data as a reader may
    /// read it now). A snapshot is shown to a reader whole or not at all: only when this holds,
    /// so that nothing in it is more than the reader could read live, and the snapshot's own
    /// complementary suppression (made for the sender) still protects every cell it hides.
    pub fn shown_within(&self, live: &FrozenTable) -> bool {
        self.rows.iter().all(|row| {
            row.cells.iter().enumerate().all(|(index, cell)| {
                !cell.shows_anything()
                    || live
                        .rows
                        .iter()
                        .find(|live_row| live_row.key == row.key)
                        .and_then(|live_row| {
                            let column = self.columns.get(index)?;
                            let at = live.columns.iter().position(|c| c == column)?;
                            live_row.cells.get(at)
                        })
                        .is_some_and(FrozenCell::shows_anything)
            })
        })
    }
}

/// The image types accepted, recognised by their first bytes (never by a name or a declared
/// type), and the size limit. Answers the media type.
pub fn sniff_image(bytes: &[u8]) -> Result<&'static str, DomainError> {
    if bytes.is_empty() {
        return Err(invalid("the image is empty"));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(invalid(format!(
            "the image has {} bytes; at most {MAX_IMAGE_BYTES} are allowed",
            bytes.len()
        )));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Ok("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(invalid(
            "the file is not a PNG, JPEG, GIF or WebP image (checked by its first bytes)",
        ))
    }
}

/// What an invitation needs beyond the meeting: who sends it and to whom.
pub struct InvitationParts<'a> {
    pub organizer: &'a str,
    pub attendees: &'a [String],
    /// Text of the agenda for the description.
    pub agenda: String,
}

/// The iCalendar invitation of `meeting` (RFC 5545): METHOD:REQUEST with the meeting's stable UID
/// and SEQUENCE, or METHOD:CANCEL once it is cancelled. `None` while it has no time.
pub fn invitation_ics(meeting: &Meeting, parts: &InvitationParts<'_>) -> Option<String> {
    let (starts, ends) = meeting.content.starts_at.zip(meeting.content.ends_at)?;
    let cancelled = meeting.status == MeetingStatus::Cancelled;
    let mut event = Event::new();
    event
        .uid(&meeting.uid)
        .sequence(u32::try_from(meeting.sequence).unwrap_or(u32::MAX))
        .summary(&meeting.content.title)
        .starts(starts)
        .ends(ends)
        .timestamp(meeting.sent_at.unwrap_or(meeting.created_at))
        .description(&parts.agenda)
        .status(if cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .add_property("ORGANIZER", format!("mailto:{}", parts.organizer));
    if !meeting.content.place.is_empty() {
        event.location(&meeting.content.place);
    }
    for attendee in parts.attendees {
        event.append_multi_property(
            icalendar::Property::new("ATTENDEE", format!("mailto:{attendee}"))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("RSVP", "TRUE")
                .done(),
        );
    }
    let mut calendar = Calendar::new();
    calendar
        .append_property(("METHOD", if cancelled { "CANCEL" } else { "REQUEST" }))
        .push(event.done());
    Some(calendar.done().to_string())
}

/// The agenda as plain text (the invitation's description and the mail's body).
pub fn agenda_text(content: &MeetingContent) -> String {
    let mut text = String::new();
    for (index, item) in content.agenda.iter().enumerate() {
        text.push_str(&format!("{}. {}\n", index + 1, item.title));
        if !item.comment.is_empty() {
            text.push_str(&format!("   {}\n", item.comment));
        }
        for question in &item.reflection_questions {
            text.push_str(&format!("   - {question}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> MeetingContent {
        MeetingContent {
            title: " Lærende møte 1 ".into(),
            starts_at: "2024-09-10T12:00:00Z".parse().ok(),
            ends_at: "2024-09-10T14:00:00Z".parse().ok(),
            place: "Personalrommet".into(),
            participants: vec![
                Participant::StaffOf(1),
                Participant::StaffOf(1),
                Participant::Person("a@b.no".into()),
            ],
            agenda: vec![],
        }
    }

    #[test]
    fn a_meeting_that_ends_before_it_starts_is_refused() {
        let mut bad = content();
        bad.ends_at = "2024-09-10T11:00:00Z".parse().ok();
        assert!(bad.checked().is_err());
        let mut half = content();
        half.ends_at = None;
        assert!(half.checked().is_err());
    }

    #[test]
    fn checking_trims_texts_and_names_each_participant_once() {
        let checked = content().checked().unwrap();
        assert_eq!(checked.title, "Lærende møte 1");
        assert_eq!(checked.participants.len(), 2);
    }

    #[test]
    fn images_are_recognised_by_their_first_bytes_only() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest").unwrap(), "image/png");
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            "image/jpeg"
        );
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), "image/webp");
        assert!(sniff_image(b"<svg xmlns=...>").is_err());
        assert!(sniff_image(&vec![0xFF; MAX_IMAGE_BYTES + 1]).is_err());
    }

    fn table(cells: &[(&str, Option<f64>)]) -> FrozenTable {
        FrozenTable {
            columns: vec!["x".into()],
            rows: cells
                .iter()
                .map(|(key, value)| FrozenRow {
                    key: (*key).into(),
                    label: (*key).into(),
                    cells: vec![match value {
                        Some(v) => FrozenCell::new(Some(*v), Some(20), None),
                        None => FrozenCell::new(None, None, Some(SuppressionReason::NotPermitted)),
                    }],
                })
                .collect(),
        }
    }

    #[test]
    fn a_snapshot_is_shown_only_where_the_reader_sees_every_shown_cell_live() {
        let snapshot = table(&[("unit:1", Some(4.0)), ("owner:1", Some(3.9))]);
        assert!(snapshot.shown_within(&table(&[("unit:1", Some(4.2)), ("owner:1", Some(4.0))])));
        assert!(!snapshot.shown_within(&table(&[("unit:1", None), ("owner:1", Some(4.0))])));
        assert!(!snapshot.shown_within(&table(&[("owner:1", Some(4.0))])));
    }

    #[test]
    fn the_invitation_keeps_its_uid_and_cancels_by_method() {
        let mut meeting = Meeting {
            id: MeetingId(1),
            process: ProcessId(1),
            uid: "m-1@varde".into(),
            status: MeetingStatus::Sent,
            revision: 1,
            sequence: 0,
            content: content().checked().unwrap(),
            snapshot: None,
            sent_at: None,
            sent_by: None,
            minutes: None,
            created_by: "x".into(),
            created_at: Utc::now(),
        };
        let parts = InvitationParts {
            organizer: "varde@example.no",
            attendees: &["a@b.no".to_owned()],
            agenda: String::new(),
        };
        let ics = invitation_ics(&meeting, &parts).unwrap();
        assert!(ics.contains("METHOD:REQUEST"));
        assert!(ics.contains("UID:m-1@varde"));
        meeting.status = MeetingStatus::Cancelled;
        meeting.sequence = 1;
        let ics = invitation_ics(&meeting, &parts).unwrap();
        assert!(ics.contains("METHOD:CANCEL") && ics.contains("SEQUENCE:1"));
    }
}

//! Tiltak (initiatives): what a unit or an owner does to get from the situation today to the
//! wished situation, with targets per indicator, the rules on its status, the checks on what a
//! caller writes, and whether a target is met by the latest value a caller may see.
//!
//! An initiative's texts, dates, links and targets are one document ([`InitiativeContent`]),
//! replaced whole by each edit; [`InitiativeContent::changed_fields`] names what an edit changed,
//! for the history.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{
    DomainError, EvaluationId, IndicatorId, IndicatorValue, InitiativeId, InitiativeStatus,
    Judgement, OwnerId, SchoolYear, Subject, SuppressionReason, UnitId, ValueAccess, ValueGroup,
    Visibility, checked_text,
};

/// The most indicators, targets, criteria or school years one initiative links: a bound on what
/// one write stores and on the lists a read answers.
pub const MAX_LINKS: usize = 20;

impl InitiativeStatus {
    /// Whether an initiative may move from this status to `to`: planned to active, and active to
    /// completed or cancelled. Nothing else, and nothing back.
    pub fn may_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Planned, Self::Active)
                | (Self::Active, Self::Completed)
                | (Self::Active, Self::Cancelled)
        )
    }

    /// The move from this status to `to`, refused unless [`Self::may_become`] allows it.
    pub fn transition(self, to: Self) -> Result<Self, DomainError> {
        if self.may_become(to) {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition {
                from: self.as_str(),
                to: to.as_str(),
            })
        }
    }
}

/// Whose initiative it is: a unit's or an owner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InitiativeSubject {
    Unit(UnitId),
    Owner(OwnerId),
}

impl InitiativeSubject {
    /// The subject of the values that show its situation.
    pub fn value_subject(self) -> Subject {
        match self {
            Self::Unit(unit) => Subject::Unit(unit),
            Self::Owner(owner) => Subject::Owner(owner),
        }
    }
}

/// Ønsket situasjon for one indicator: the value to reach by a school year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Indicator code, one of the initiative's linked indicators.
    pub indicator: String,
    pub value: f64,
    /// Start year of the school year by which it should be reached.
    pub by_school_year: i32,
}

/// A link to a kvalitetskjennetegn: the framework's code and the criterion's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionLink {
    pub framework: String,
    pub criterion: String,
}

/// What a caller writes of an initiative, stored and replaced whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeContent {
    pub title: String,
    pub description: String,
    /// Situasjonen i dag, in words.
    pub situation_today: String,
    /// Ønsket situasjon, in words.
    pub wished_situation: String,
    /// Tiltak: what is done.
    pub actions: String,
    /// Suksesskriterier: how we find out that we are on the right track.
    pub success_criteria: String,
    /// Ansvarlig: who is responsible.
    pub responsible: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub criteria: Vec<CriterionLink>,
    /// Codes of the linked indicators, each once.
    pub indicators: Vec<String>,
    pub targets: Vec<Target>,
    /// Start years of the school years it runs in, ascending, each once.
    pub school_years: Vec<i32>,
}

impl InitiativeContent {
    /// The content with its texts trimmed and its lists in order, or why it cannot be stored: an
    /// empty title, a text too long, an end before the start, a bad school year, a target on an
    /// indicator not linked (or twice, or not a finite number), or more than [`MAX_LINKS`] links.
    pub fn checked(self) -> Result<Self, DomainError> {
        let invalid = |message: String| Err(DomainError::InvalidInitiative(message));
        let title = checked_text("title", &self.title)?;
        if title.is_empty() {
            return invalid("the title is empty".into());
        }
        if let Some(end) = self.end_date
            && end < self.start_date
        {
            return invalid(format!(
                "the end date {end} is before the start date {}",
                self.start_date
            ));
        }
        let mut indicators: Vec<String> = Vec::new();
        for code in &self.indicators {
            let code = code.trim().to_owned();
            if !indicators.contains(&code) {
                indicators.push(code);
            }
        }
        let mut school_years = self
            .school_years
            .iter()
            .map(|year| SchoolYear::new(*year).map(SchoolYear::start_year))
            .collect::<Result<Vec<_>, _>>()?;
        school_years.sort_unstable();
        school_years.dedup();
        let mut targets: Vec<Target> = Vec::new();
        for target in self.targets {
            let indicator = target.indicator.trim().to_owned();
            if !indicators.contains(&indicator) {
                return invalid(format!(
                    "the target on {indicator:?} needs the indicator among the linked indicators"
                ));
            }
            if targets.iter().any(|known| known.indicator == indicator) {
                return invalid(format!("{indicator:?} has two targets"));
            }
            if !target.value.is_finite() {
                return invalid(format!("the target on {indicator:?} is not a number"));
            }
            SchoolYear::new(target.by_school_year)?;
            targets.push(Target {
                indicator,
                ..target
            });
        }
        let counts = [
            ("indicators", indicators.len()),
            ("criteria", self.criteria.len()),
            ("schoolYears", school_years.len()),
        ];
        if let Some((what, count)) = counts.into_iter().find(|(_, count)| *count > MAX_LINKS) {
            return invalid(format!("{what} has {count} entries; at most {MAX_LINKS}"));
        }
        let mut criteria: Vec<CriterionLink> = Vec::new();
        for link in self.criteria {
            let link = CriterionLink {
                framework: link.framework.trim().to_owned(),
                criterion: link.criterion.trim().to_owned(),
            };
            if !criteria.contains(&link) {
                criteria.push(link);
            }
        }
        Ok(Self {
            title,
            description: checked_text("description", &self.description)?,
            situation_today: checked_text("situationToday", &self.situation_today)?,
            wished_situation: checked_text("wishedSituation", &self.wished_situation)?,
            actions: checked_text("actions", &self.actions)?,
            success_criteria: checked_text("successCriteria", &self.success_criteria)?,
            responsible: checked_text("responsible", &self.responsible)?,
            start_date: self.start_date,
            end_date: self.end_date,
            criteria,
            indicators,
            targets,
            school_years,
        })
    }

    /// The names (as the API spells them) of what differs from `self` to `new`, in field order.
    pub fn changed_fields(&self, new: &Self) -> Vec<&'static str> {
        [
            ("title", self.title != new.title),
            ("description", self.description != new.description),
            (
                "situationToday",
                self.situation_today != new.situation_today,
            ),
            (
                "wishedSituation",
                self.wished_situation != new.wished_situation,
            ),
            ("actions", self.actions != new.actions),
            (
                "successCriteria",
                self.success_criteria != new.success_criteria,
            ),
            ("responsible", self.responsible != new.responsible),
            ("startDate", self.start_date != new.start_date),
            ("endDate", self.end_date != new.end_date),
            ("criteria", self.criteria != new.criteria),
            ("indicators", self.indicators != new.indicators),
            ("targets", self.targets != new.targets),
            ("schoolYears", self.school_years != new.school_years),
        ]
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
    }
}

/// One linked indicator's latest value as someone could see it at one moment: the school year
/// and the value shown, or why it was hidden; neither when there was no value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    pub indicator: String,
    pub school_year: Option<i32>,
    pub value: Option<f64>,
    pub respondents: Option<i64>,
    pub suppression: Option<SuppressionReason>,
}

impl Reading {
    /// The reading of `indicator` (code) from what of its latest value, of `school_year`, may be
    /// shown; neither when it has none.
    pub fn new(indicator: &str, latest: Option<(SchoolYear, Visibility)>) -> Self {
        let shown = latest.map(|(_, shown)| shown);
        Self {
            indicator: indicator.to_owned(),
            school_year: latest.map(|(year, _)| year.start_year()),
            value: shown.and_then(Visibility::value),
            respondents: shown.and_then(Visibility::respondents),
            suppression: match shown {
                Some(Visibility::Suppressed(reason)) => Some(reason),
                _ => None,
            },
        }
    }

    /// The reading of `indicator` (code) from its latest value, if any, as a caller with
    /// `access` to it sees it: through the suppression rule every value passes
    /// ([`IndicatorValue::shown`]) when it may read the value, `NOT_PERMITTED` otherwise.
    pub fn of(indicator: &str, latest: Option<&(IndicatorValue, ValueAccess)>) -> Self {
        Self::new(
            indicator,
            latest.map(|(value, access)| {
                let shown = match access {
                    ValueAccess::Read => value.shown(),
                    ValueAccess::AggregateOnly | ValueAccess::Denied => {
                        Visibility::Suppressed(SuppressionReason::NotPermitted)
                    }
                };
                (value.school_year, shown)
            }),
        )
    }
}

/// The latest (by school year) of `values` (each with the caller's access to it) for `subject`
/// and `indicator`, in the group of everyone: the actual value an initiative's targets are
/// compared with.
pub fn latest_value<'a>(
    values: &'a [(IndicatorValue, ValueAccess)],
    subject: &Subject,
    indicator: IndicatorId,
) -> Option<&'a (IndicatorValue, ValueAccess)> {
    values
        .iter()
        .filter(|(value, _)| {
            value.indicator_id == indicator
                && &value.subject == subject
                && value.group == ValueGroup::ALL
        })
        .max_by_key(|(value, _)| value.school_year)
}

/// Whether `actual` (the value shown to the caller, none when it is prikket, not permitted or
/// missing) reaches `target` for an indicator of `direction`: at or above it when higher is
/// better, at or below it when lower is better (Mobbing). A hidden or missing actual is never
/// met. `None` for a neutral indicator, where better has no direction (as it has no colour).
pub fn target_met(target: f64, actual: Option<f64>, direction: super::Direction) -> Option<bool> {
    let sign = direction.sign()?;
    Some(actual.is_some_and(|actual| sign * actual >= sign * target))
}

/// Tiltak: a unit's initiative (`unit` set) or an owner's, at its current revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Initiative {
    pub id: InitiativeId,
    /// The owner: of the unit, for a unit's initiative.
    pub owner: OwnerId,
    pub unit: Option<UnitId>,
    /// The owner's initiative this unit initiative is part of.
    pub parent: Option<InitiativeId>,
    pub status: InitiativeStatus,
    /// 1 when created; each edit or status change adds one.
    pub revision: i64,
    pub content: InitiativeContent,
    /// The linked indicators' values as the creator saw them when it was made.
    pub snapshot: Vec<Reading>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Initiative {
    pub fn subject(&self) -> InitiativeSubject {
        match self.unit {
            Some(unit) => InitiativeSubject::Unit(unit),
            None => InitiativeSubject::Owner(self.owner),
        }
    }
}

/// Framdrift: one evaluation of an initiative's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub id: EvaluationId,
    pub initiative_id: InitiativeId,
    pub date: NaiveDate,
    pub judgement: Judgement,
    pub text: String,
    pub evaluated_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// One entry of an initiative's history: who made a revision, when, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiativeChange {
    pub initiative_id: InitiativeId,
    pub revision: i64,
    pub fields: Vec<String>,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Direction, ValueId};

    fn content() -> InitiativeContent {
        InitiativeContent {
            title: "  Trygt skolemiljø ".into(),
            description: String::new(),
            situation_today: String::new(),
            wished_situation: String::new(),
            actions: String::new(),
            success_criteria: String::new(),
            responsible: String::new(),
            start_date: NaiveDate::from_ymd_opt(2025, 8, 15).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 6, 20),
            criteria: Vec::new(),
            indicators: vec!["eu_mobbing".into(), "eu_mobbing".into()],
            targets: vec![Target {
                indicator: "eu_mobbing".into(),
                value: 1.2,
                by_school_year: 2026,
            }],
            school_years: vec![2026, 2025, 2025],
        }
    }

    fn value(value: Option<f64>, respondents: Option<i64>, suppressed: bool) -> IndicatorValue {
        IndicatorValue {
            id: ValueId(1),
            indicator_id: IndicatorId(1),
            subject: Subject::Unit(UnitId(1)),
            school_year: SchoolYear::new(2025).unwrap(),
            group: ValueGroup::ALL,
            value,
            respondents,
            suppressed_at_source: suppressed,
            complementary: false,
            threshold: 10,
        }
    }

    #[test]
    fn status_moves_only_forward_from_planned_to_active_to_an_end() {
        use InitiativeStatus::{Active, Cancelled, Completed, Planned};
        let allowed = [(Planned, Active), (Active, Completed), (Active, Cancelled)];
        for from in InitiativeStatus::ALL {
            for to in InitiativeStatus::ALL {
                assert_eq!(
                    from.may_become(*to),
                    allowed.contains(&(*from, *to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        let error = Planned.transition(Completed).unwrap_err();
        assert!(error.to_string().contains("planned"), "{error}");
    }

    #[test]
    fn content_is_trimmed_and_its_sets_kept_once() {
        let checked = content().checked().unwrap();
        assert_eq!(checked.title, "Trygt skolemiljø");
        assert_eq!(checked.indicators, ["eu_mobbing"]);
        assert_eq!(checked.school_years, [2025, 2026]);
    }

    #[test]
    fn an_end_before_the_start_a_target_off_the_links_or_an_empty_title_is_refused() {
        let early_end = InitiativeContent {
            end_date: NaiveDate::from_ymd_opt(2025, 8, 1),
            ..content()
        };
        let unlinked = InitiativeContent {
            indicators: vec!["eu_trivsel".into()],
            ..content()
        };
        let untitled = InitiativeContent {
            title: " ".into(),
            ..content()
        };
        let many = InitiativeContent {
            school_years: (2000..2030).collect(),
            ..content()
        };
        for (bad, names) in [
            (early_end, "before the start"),
            (unlinked, "linked indicators"),
            (untitled, "title"),
            (many, "schoolYears"),
        ] {
            let error = bad.checked().unwrap_err();
            assert!(error.to_string().contains(names), "{error}");
        }
    }

    #[test]
    fn changed_fields_name_what_an_edit_changed() {
        let old = content().checked().unwrap();
        let new = InitiativeContent {
            actions: "Trivselsledere i friminuttene.".into(),
            end_date: None,
            ..old.clone()
        };
        assert_eq!(old.changed_fields(&new), ["actions", "endDate"]);
        assert!(old.changed_fields(&old).is_empty());
    }

    #[test]
    fn a_target_is_met_in_the_indicators_direction_and_never_by_a_hidden_value() {
        let higher = Direction::HigherIsBetter;
        let lower = Direction::LowerIsBetter;
        assert_eq!(target_met(4.2, Some(4.2), higher), Some(true));
        assert_eq!(target_met(4.2, Some(4.1), higher), Some(false));
        assert_eq!(target_met(1.3, Some(1.3), lower), Some(true));
        assert_eq!(target_met(1.3, Some(1.4), lower), Some(false));
        assert_eq!(target_met(1.3, Some(1.0), lower), Some(true));
        assert_eq!(target_met(1.0, None, higher), Some(false));
        assert_eq!(target_met(1.0, None, lower), Some(false));
        assert_eq!(target_met(1.0, Some(4.0), Direction::Neutral), None);
    }

    #[test]
    fn a_reading_of_a_hidden_value_carries_the_reason_and_no_number() {
        let read = |value| (value, ValueAccess::Read);
        let below = Reading::of(
            "kf_informasjon",
            Some(&read(value(Some(3.5), Some(6), false))),
        );
        assert_eq!((below.value, below.respondents), (None, None));
        assert_eq!(below.suppression, Some(SuppressionReason::BelowThreshold));
        assert_eq!(below.school_year, Some(2025));
        let at_source = Reading::of("np_lesing_5", Some(&read(value(None, None, true))));
        assert_eq!(
            at_source.suppression,
            Some(SuppressionReason::SuppressedAtSource)
        );
        let shown = Reading::of(
            "eu_mobbing",
            Some(&read(value(Some(1.3), Some(118), false))),
        );
        assert_eq!(
            (shown.value, shown.respondents, shown.suppression),
            (Some(1.3), Some(118), None)
        );
        for access in [ValueAccess::Denied, ValueAccess::AggregateOnly] {
            let other = Reading::of(
                "ke_trivsel",
                Some(&(value(Some(4.4), Some(55), false), access)),
            );
            assert_eq!((other.value, other.respondents), (None, None));
            assert_eq!(other.suppression, Some(SuppressionReason::NotPermitted));
        }
        assert_eq!(Reading::of("x", None).school_year, None);
    }
}

//! Kvalitetsbeskrivelser (quality frameworks) and egenvurdering (self-assessment): the texts a
//! unit assesses itself against on levels 1-4, the checks on what a caller writes, the differences
//! between two versions of a text, and the distribution of levels across units with the disclosure
//! rules of [`super::disclosure`] applied.
//!
//! A framework's texts (areas, criteria, their four levels of statements, the generic level
//! definitions and the reflection questions) are one document, versioned whole: an assessment
//! points at the exact version it was made against, so it is stored and compared as a whole too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    AssessmentId, DomainError, FrameworkVersionId, OwnerId, RestrictedScope, SchoolYear,
    SuppressionReason, UnitId, UnitKind,
    disclosure::{Part, protect_lump, too_few_members, unanimous},
};

/// The number of levels (nivåer) of every criterion.
pub const LEVELS: usize = 4;

/// The most characters a reflection text, a statement or a name may hold: room for a page of
/// reflection, and a bound on what one write stores.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Nivå: where a unit most often is on a criterion, 1 (lowest) to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level(u8);

impl Level {
    pub fn new(level: i64) -> Result<Self, DomainError> {
        match u8::try_from(level) {
            Ok(level @ 1..=4) => Ok(Self(level)),
            _ => Err(DomainError::InvalidLevel(level)),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

/// `text` trimmed, refused when longer than [`MAX_TEXT_CHARS`]; `field` names it in the error.
pub fn checked_text(field: &'static str, text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(DomainError::TextTooLong {
            field,
            chars,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(text.to_owned())
}

/// The texts of one version of a quality framework, as seeded (`seeds/quality/*.json`), stored
/// and compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkContent {
    pub name: String,
    pub description: String,
    /// The kinds of unit that assess themselves against it.
    pub unit_kinds: Vec<String>,
    /// The generic meaning of Nivå 1 to 4, in that order.
    pub level_definitions: Vec<String>,
    /// Refleksjonsspørsmål asked for every criterion.
    pub reflection_questions: Vec<String>,
    pub areas: Vec<QualityArea>,
}

/// Område: an area of quality (1. Kulturskolens virksomhetskvalitet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityArea {
    pub number: u32,
    pub name: String,
    pub criteria: Vec<QualityCriterion>,
}

/// Kvalitetskjennetegn: one criterion (1.1) with the statements of each level, Nivå 1 first, and
/// the codes of the indicators that inform it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityCriterion {
    pub number: String,
    pub name: String,
    pub levels: Vec<Vec<String>>,
    pub indicators: Vec<String>,
}

impl FrameworkContent {
    /// Checks the shape a framework must have: four level definitions, four levels of statements
    /// per criterion, criteria numbered `area.n` and each once, known unit kinds, bounded texts.
    pub fn check(&self) -> Result<(), DomainError> {
        let invalid = |message: String| Err(DomainError::InvalidFramework(message));
        if self.name.trim().is_empty() {
            return invalid("the name is empty".into());
        }
        if self.unit_kinds.is_empty() {
            return invalid("it applies to no kind of unit".into());
        }
        for kind in &self.unit_kinds {
            UnitKind::parse(kind)?;
        }
        if self.level_definitions.len() != LEVELS {
            return invalid(format!("it needs {LEVELS} level definitions (Nivå 1-4)"));
        }
        let mut numbers = Vec::new();
        for area in &self.areas {
            for criterion in &area.criteria {
                let prefix = format!("{}.", area.number);
                let numbered = criterion.number.strip_prefix(&prefix).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
                });
                if !numbered {
                    return invalid(format!(
                        "criterion {:?} in area {} must be numbered {prefix}1, {prefix}2, ...",
                        criterion.number, area.number
                    ));
                }
                if numbers.contains(&&criterion.number) {
                    return invalid(format!("criterion {:?} appears twice", criterion.number));
                }
                numbers.push(&criterion.number);
                if criterion.levels.len() != LEVELS
                    || criterion
                        .levels
                        .iter()
                        .any(|statements| statements.is_empty())
                {
                    return invalid(format!(
                        "criterion {:?} needs statements for each of the {LEVELS} levels",
                        criterion.number
                    ));
                }
            }
        }
        self.texts()
            .try_for_each(|text| checked_text("a framework text", text).map(drop))
    }

    /// Every text of the framework, for the length check.
    fn texts(&self) -> impl Iterator<Item = &String> {
        [&self.name, &self.description]
            .into_iter()
            .chain(&self.level_definitions)
            .chain(&self.reflection_questions)
            .chain(self.areas.iter().flat_map(|area| {
                std::iter::once(&area.name).chain(area.criteria.iter().flat_map(|criterion| {
                    std::iter::once(&criterion.name).chain(criterion.levels.iter().flatten())
                }))
            }))
    }

    /// Every criterion, in area order.
    pub fn criteria(&self) -> impl Iterator<Item = &QualityCriterion> {
        self.areas.iter().flat_map(|area| &area.criteria)
    }

    /// The criterion numbered `number` (e.g. "2.1"); unknown is an error naming the known ones.
    pub fn criterion(&self, number: &str) -> Result<&QualityCriterion, DomainError> {
        self.criteria()
            .find(|criterion| criterion.number == number.trim())
            .ok_or_else(|| DomainError::UnknownCriterion {
                criterion: number.to_owned(),
                known: self
                    .criteria()
                    .map(|criterion| criterion.number.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Whether units of `kind` assess themselves against this framework.
    pub fn applies_to(&self, kind: UnitKind) -> bool {
        self.unit_kinds
            .iter()
            .any(|applies| applies == kind.as_str())
    }
}

/// How a criterion changed between two versions of a framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// One difference between two versions: a criterion (by number) or, with `criterion: None`, the
/// texts shared by every criterion; `parts` names what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub criterion: Option<String>,
    pub change: Change,
    pub parts: Vec<&'static str>,
}

/// The differences from `old` to `new`: the framework's own texts first, then each criterion in
/// the order of `new`, then the removed ones.
pub fn differences(old: &FrameworkContent, new: &FrameworkContent) -> Vec<Difference> {
    let mut found = Vec::new();
    let shared: Vec<&'static str> = [
        ("name", old.name != new.name),
        ("description", old.description != new.description),
        ("unitKinds", old.unit_kinds != new.unit_kinds),
        (
            "levelDefinitions",
            old.level_definitions != new.level_definitions,
        ),
        (
            "reflectionQuestions",
            old.reflection_questions != new.reflection_questions,
        ),
        (
            "areas",
            old.areas
                .iter()
                .map(|a| (a.number, &a.name))
                .ne(new.areas.iter().map(|a| (a.number, &a.name))),
        ),
    ]
    .into_iter()
    .filter_map(|(part, changed)| changed.then_some(part))
    .collect();
    if !shared.is_empty() {
        found.push(Difference {
            criterion: None,
            change: Change::Changed,
            parts: shared,
        });
    }
    for criterion in new.criteria() {
        match old.criterion(&criterion.number) {
            Err(_) => found.push(Difference {
                criterion: Some(criterion.number.clone()),
                change: Change::Added,
                parts: Vec::new(),
            }),
            Ok(before) => {
                let parts: Vec<&'static str> = [
                    ("name", before.name != criterion.name),
                    ("levels", before.levels != criterion.levels),
                    ("indicators", before.indicators != criterion.indicators),
                ]
                .into_iter()
                .filter_map(|(part, changed)| changed.then_some(part))
                .collect();
                if !parts.is_empty() {
                    found.push(Difference {
                        criterion: Some(criterion.number.clone()),
                        change: Change::Changed,
                        parts,
                    });
                }
            }
        }
    }
    for criterion in old.criteria() {
        if new.criterion(&criterion.number).is_err() {
            found.push(Difference {
                criterion: Some(criterion.number.clone()),
                change: Change::Removed,
                parts: Vec::new(),
            });
        }
    }
    found
}

/// One version of a framework's texts.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkVersion {
    pub id: FrameworkVersionId,
    pub framework_id: super::FrameworkId,
    pub version: i64,
    pub content: FrameworkContent,
    pub created_at: DateTime<Utc>,
}

/// Kvalitetsbeskrivelse: a framework owned nationally (`owner: None`) or by one owner, with its
/// latest version number.
#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    pub id: super::FrameworkId,
    pub code: String,
    pub owner: Option<OwnerId>,
    pub status: super::FrameworkStatus,
    pub version: i64,
}

/// One state of an egenvurdering: the agreed level with its reflections, against one version of
/// the framework, by whom and when. Revision 1 is the first; the highest is the current one.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRevision {
    pub assessment_id: AssessmentId,
    pub revision: i64,
    pub version_id: FrameworkVersionId,
    pub level: Level,
    /// Hva vi gjør bra.
    pub strengths: String,
    /// Hva vi kan gjøre for å stabilisere oss på et høyere nivå.
    pub next_steps: String,
    pub assessed_by: String,
    pub assessed_at: DateTime<Utc>,
}

/// Egenvurdering: a unit's assessment of one criterion in one school year. `revision` is 0 while
/// staff have voted but no level is agreed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub id: AssessmentId,
    pub unit_id: UnitId,
    pub framework_id: super::FrameworkId,
    pub criterion: String,
    pub school_year: SchoolYear,
    pub revision: i64,
    pub current: Option<AssessmentRevision>,
}

/// A staff member's own level for an assessment. Only the member sees it with their name, unless
/// they chose to show it to the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub assessment_id: AssessmentId,
    pub voter: String,
    pub level: Level,
    pub shown: bool,
}

/// Units per level, Nivå 1 first.
pub type LevelCounts = [usize; LEVELS];

/// How the staff voted on an assessment, as the group sees it: counts per level, and the names
/// only of those who chose to show their vote (`viewer`'s own vote is always theirs to see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteSpread {
    pub counts: LevelCounts,
    pub shown: Vec<(String, Level)>,
    pub own: Option<Level>,
}

/// The spread of `votes` as `viewer` (a Feide user id, if any) sees it.
pub fn vote_spread(votes: &[Vote], viewer: Option<&str>) -> VoteSpread {
    let mut counts = [0; LEVELS];
    for vote in votes {
        counts[vote.level.index()] += 1;
    }
    VoteSpread {
        counts,
        shown: votes
            .iter()
            .filter(|vote| vote.shown)
            .map(|vote| (vote.voter.clone(), vote.level))
            .collect(),
        own: votes
            .iter()
            .find(|vote| Some(vote.voter.as_str()) == viewer)
            .map(|vote| vote.level),
    }
}

/// A unit's agreed level on one criterion in one school year, with the owner it counts under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssessedUnit {
    pub unit: UnitId,
    pub owner: OwnerId,
    pub level: Level,
}

/// Whose level distribution is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributionSubject {
    Owner(OwnerId),
    Nation,
}

/// A level distribution as a caller may see it: units assessed and counts per level, or neither
/// with the reason they are withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelDistribution {
    pub assessed_units: Option<usize>,
    pub counts: Option<LevelCounts>,
    pub reason: Option<SuppressionReason>,
}

impl LevelDistribution {
    fn shown(units: &[&AssessedUnit]) -> Self {
        Self {
            assessed_units: Some(units.len()),
            counts: Some(level_counts(units)),
            reason: None,
        }
    }

    fn withheld(reason: SuppressionReason) -> Self {
        Self {
            assessed_units: None,
            counts: None,
            reason: Some(reason),
        }
    }
}

/// How many of `units` are on each level.
fn level_counts(units: &[&AssessedUnit]) -> LevelCounts {
    let mut counts = [0; LEVELS];
    for unit in units {
        counts[unit.level.index()] += 1;
    }
    counts
}

/// The distribution of levels of `subject` over `assessed` (every assessed unit of the nation
/// for one criterion of one framework and one school year), as a caller with `scope` may see it.
///
/// Assessments are restricted unit data, so this passes the rules of `domain::disclosure` like
/// every aggregate of such data (see `Dataset::aggregate`): only owner roles (their own owner) and
/// national roles read distributions at all. A caller who may not read every assessed unit of a
/// distribution on its own gets none over fewer than `min_group_size` units (`TOO_FEW_MEMBERS`)
/// and none where every unit is on one level, which would tell each unit's level (`UNANIMOUS`);
/// complementary suppression over the nation's owners (`COMPLEMENTARY`) makes sure the hidden
/// owners, worked out together as the nation minus the owners shown, are safe by the same rules.
/// Decided over the whole partition, so every caller of the same scope gets the same answer.
pub fn level_distribution(
    assessed: &[AssessedUnit],
    subject: DistributionSubject,
    scope: &RestrictedScope,
    min_group_size: usize,
) -> LevelDistribution {
    let mut owners: Vec<OwnerId> = assessed.iter().map(|unit| unit.owner).collect();
    owners.sort();
    owners.dedup();
    // Every owner with assessed units, then the nation: its subject, members and counts.
    let rows: Vec<(DistributionSubject, Vec<&AssessedUnit>)> = owners
        .iter()
        .map(|&owner| DistributionSubject::Owner(owner))
        .chain([DistributionSubject::Nation])
        .map(|row| {
            let members = assessed
                .iter()
                .filter(|unit| match row {
                    DistributionSubject::Owner(owner) => unit.owner == owner,
                    DistributionSubject::Nation => true,
                })
                .collect();
            (row, members)
        })
        .collect();
    let known = |members: &[&AssessedUnit]| {
        scope.may_read_members(members.iter().map(|unit| (unit.unit, unit.owner)))
    };
    // Why a row is hidden before complementary suppression, if it is.
    let primary_reason = |row: DistributionSubject, members: &[&AssessedUnit]| {
        let permitted = match row {
            DistributionSubject::Owner(owner) => scope.may_read_aggregate(Some(owner)),
            DistributionSubject::Nation => scope.may_read_aggregate(None),
        };
        if !permitted {
            Some(SuppressionReason::NotPermitted)
        } else if known(members) {
            None
        } else if too_few_members(members.len(), min_group_size) {
            Some(SuppressionReason::TooFewMembers)
        } else if unanimous(&level_counts(members)) {
            Some(SuppressionReason::Unanimous)
        } else {
            None
        }
    };

    let (nation, owner_rows) = rows.split_last().expect("the nation is a row");
    let parts: Vec<Part> = owner_rows
        .iter()
        .map(|(row, members)| {
            let units = i64::try_from(members.len()).unwrap_or(i64::MAX);
            let hidden = primary_reason(*row, members).is_some();
            Part::seen_by(known(members), members.len(), units, hidden)
        })
        .collect();
    let nation_reason = primary_reason(nation.0, &nation.1);
    // The hidden owners follow together as the nation minus the owners shown (less those the
    // caller knows itself): that lump must not be unanimous either.
    let lump_discloses = |hidden: &[bool]| {
        let lump: Vec<&AssessedUnit> = owner_rows
            .iter()
            .zip(hidden)
            .filter(|((_, members), hidden)| **hidden && !known(members))
            .flat_map(|((_, members), _)| members.iter().copied())
            .collect();
        unanimous(&level_counts(&lump))
    };
    let protection = protect_lump(
        nation_reason.is_none(),
        &parts,
        min_group_size,
        lump_discloses,
    );
    let Some(row) = rows.iter().position(|(row, _)| *row == subject) else {
        // An owner with no assessed unit: an empty distribution, if the caller may ask for it.
        return match primary_reason(subject, &[]) {
            Some(reason) => LevelDistribution::withheld(reason),
            None => LevelDistribution::shown(&[]),
        };
    };
    let members = &rows[row].1;
    if let Some(reason) = primary_reason(subject, members) {
        return LevelDistribution::withheld(reason);
    }
    let hidden = match subject {
        DistributionSubject::Owner(_) => protection.newly_hidden(&parts, row),
        DistributionSubject::Nation => !protection.parent_visible,
    };
    if hidden {
        LevelDistribution::withheld(SuppressionReason::Complementary)
    } else {
        LevelDistribution::shown(members)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::{DEFAULT_MIN_GROUP_SIZE, Grants, Role};

    /// Assessed units given as (owner, level), numbered in order.
    fn assessed(owners_and_levels: &[(i64, i64)]) -> Vec<AssessedUnit> {
        (0..)
            .zip(owners_and_levels)
            .map(|(unit, &(owner, level))| AssessedUnit {
                unit: UnitId(unit),
                owner: OwnerId(owner),
                level: Level::new(level).unwrap(),
            })
            .collect()
    }

    fn scope(roles: Vec<Role>) -> RestrictedScope {
        Grants { roles }.restricted_scope()
    }

    fn content() -> FrameworkContent {
        serde_json::from_str(include_str!("../../seeds/quality/kulturskole.json")).unwrap()
    }

    #[test]
    fn levels_are_one_to_four() {
        assert!(Level::new(1).is_ok() && Level::new(4).is_ok());
        assert_eq!(Level::new(5), Err(DomainError::InvalidLevel(5)));
        assert_eq!(Level::new(0), Err(DomainError::InvalidLevel(0)));
        assert_eq!(Level::new(-300), Err(DomainError::InvalidLevel(-300)));
    }

    #[test]
    fn texts_beyond_the_limit_are_refused_by_characters_not_bytes() {
        let limit = "ø".repeat(MAX_TEXT_CHARS);
        assert_eq!(
            checked_text("strengths", &limit).unwrap().chars().count(),
            MAX_TEXT_CHARS
        );
        let error = checked_text("strengths", &format!("{limit}ø")).unwrap_err();
        assert!(error.to_string().contains("strengths"), "{error}");
    }

    #[test]
    fn the_seeded_arts_school_framework_is_well_formed() {
        let content = content();
        content.check().unwrap();
        let numbers: Vec<&str> = content.criteria().map(|c| c.number.as_str()).collect();
        assert_eq!(numbers, ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2"]);
        assert!(content.applies_to(UnitKind::ArtsSchool) && !content.applies_to(UnitKind::School));
        let error = content.criterion("9.9").unwrap_err();
        assert!(error.to_string().contains("1.1, 1.2"), "{error}");
    }

    #[test]
    fn a_criterion_without_four_levels_or_out_of_its_area_is_refused() {
        let mut three_levels = content();
        three_levels.areas[0].criteria[0].levels.pop();
        assert!(three_levels.check().is_err());
        let mut misnumbered = content();
        misnumbered.areas[0].criteria[0].number = "2.7".into();
        assert!(misnumbered.check().is_err());
        let mut twice = content();
        twice.areas[0].criteria[1].number = "1.1".into();
        assert!(twice.check().is_err());
    }

    #[test]
    fn differences_name_added_removed_and_changed_criteria() {
        let old = content();
        let mut new = old.clone();
        new.areas[1].criteria[0].levels[3].push("Elevene får vise fram arbeidet sitt.".into());
        new.areas[0].criteria.remove(3);
        new.areas[2].criteria.push(QualityCriterion {
            number: "3.1".into(),
            name: "Utstyr og lokaliteter".into(),
            levels: vec![vec!["a".into()]; LEVELS],
            indicators: Vec::new(),
        });
        new.reflection_questions.pop();

        let found = differences(&old, &new);

        let summary: Vec<(Option<&str>, Change, Vec<&str>)> = found
            .iter()
            .map(|d| (d.criterion.as_deref(), d.change, d.parts.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (None, Change::Changed, vec!["reflectionQuestions"]),
                (Some("2.1"), Change::Changed, vec!["levels"]),
                (Some("3.1"), Change::Added, vec![]),
                (Some("1.4"), Change::Removed, vec![]),
            ]
        );
        assert!(differences(&old, &old).is_empty());
    }

    #[test]
    fn the_group_sees_counts_and_only_the_names_shown() {
        let vote = |voter: &str, level, shown| Vote {
            assessment_id: AssessmentId(1),
            voter: voter.into(),
            level: Level::new(level).unwrap(),
            shown,
        };
        let votes = [vote("a", 2, false), vote("b", 3, true), vote("c", 2, false)];

        let spread = vote_spread(&votes, Some("c"));

        assert_eq!(spread.counts, [0, 2, 1, 0]);
        assert_eq!(spread.shown, [("b".to_owned(), Level::new(3).unwrap())]);
        assert_eq!(spread.own, Some(Level::new(2).unwrap()));
        assert_eq!(vote_spread(&votes, None).own, None);
    }

    #[test]
    fn a_national_reader_sees_owners_of_three_and_the_nation_but_no_small_owner() {
        // Owner 1 has three assessed units, owner 2 one and owner 3 two: hidden together, the
        // small ones rest on three units, so the nation may show.
        let units = assessed(&[(1, 3), (1, 2), (1, 3), (2, 1), (3, 4), (3, 4)]);
        let national = scope(vec![Role::NationalReader]);
        let k = DEFAULT_MIN_GROUP_SIZE;

        let big = level_distribution(&units, DistributionSubject::Owner(OwnerId(1)), &national, k);
        let small =
            level_distribution(&units, DistributionSubject::Owner(OwnerId(2)), &national, k);
        let nation = level_distribution(&units, DistributionSubject::Nation, &national, k);

        assert_eq!(big.counts, Some([0, 1, 2, 0]));
        assert_eq!(small.reason, Some(SuppressionReason::TooFewMembers));
        assert_eq!(nation.counts, Some([1, 1, 2, 2]));
        assert_eq!(nation.assessed_units, Some(6));
    }

    #[test]
    fn one_small_owner_under_the_nation_takes_the_next_owner_with_it() {
        let units = assessed(&[(1, 3), (1, 2), (1, 3), (2, 1)]);
        let national = scope(vec![Role::NationalReader]);

        let big = level_distribution(&units, DistributionSubject::Owner(OwnerId(1)), &national, 3);
        let nation = level_distribution(&units, DistributionSubject::Nation, &national, 3);

        assert_eq!(big.reason, Some(SuppressionReason::Complementary));
        assert_eq!(nation.counts, Some([1, 1, 2, 0]));
    }

    #[test]
    fn an_owners_own_roles_read_its_distribution_whatever_its_size_and_no_other() {
        let units = assessed(&[(1, 2), (2, 4)]);
        let own = scope(vec![Role::OwnerReader(OwnerId(1))]);

        let mine = level_distribution(&units, DistributionSubject::Owner(OwnerId(1)), &own, 3);
        let theirs = level_distribution(&units, DistributionSubject::Owner(OwnerId(2)), &own, 3);
        let nation = level_distribution(&units, DistributionSubject::Nation, &own, 3);
        let anonymous = level_distribution(
            &units,
            DistributionSubject::Owner(OwnerId(1)),
            &RestrictedScope::default(),
            3,
        );

        assert_eq!(mine.counts, Some([0, 1, 0, 0]));
        assert_eq!(theirs.reason, Some(SuppressionReason::NotPermitted));
        assert_eq!(nation.reason, Some(SuppressionReason::NotPermitted));
        assert_eq!(anonymous.reason, Some(SuppressionReason::NotPermitted));
    }

    #[test]
    fn a_distribution_on_one_level_is_hidden_unless_the_caller_reads_each_unit() {
        let units = assessed(&[(1, 2), (1, 2), (1, 2), (2, 1), (2, 3), (2, 4)]);
        let national = scope(vec![Role::NationalReader]);
        let own = scope(vec![Role::OwnerReader(OwnerId(1))]);
        let owner_1 = DistributionSubject::Owner(OwnerId(1));

        let hidden = level_distribution(&units, owner_1, &national, 3);
        let mine = level_distribution(&units, owner_1, &own, 3);
        let other =
            level_distribution(&units, DistributionSubject::Owner(OwnerId(2)), &national, 3);

        assert_eq!(hidden.reason, Some(SuppressionReason::Unanimous));
        assert_eq!(hidden.counts, None);
        assert_eq!(mine.counts, Some([0, 3, 0, 0]));
        // Owner 1 alone hidden under a shown nation would follow by subtraction.
        assert_eq!(other.reason, Some(SuppressionReason::Complementary));
    }

    #[test]
    fn hidden_owners_all_on_one_level_are_covered_by_the_next_owner() {
        // Owners 2 and 3 are too small and together on level 2 only: the nation minus owner 1
        // would tell each of their units' level, so owner 1 is hidden with them.
        let units = assessed(&[(1, 1), (1, 2), (1, 3), (2, 2), (2, 2), (3, 2)]);
        let national = scope(vec![Role::NationalReader]);

        let big = level_distribution(&units, DistributionSubject::Owner(OwnerId(1)), &national, 3);
        let nation = level_distribution(&units, DistributionSubject::Nation, &national, 3);

        assert_eq!(big.reason, Some(SuppressionReason::Complementary));
        assert_eq!(nation.counts, Some([1, 4, 1, 0]));
    }

    #[test]
    fn the_callers_own_owner_never_covers_another() {
        // Owner 2 alone is too small. For a national reader the smallest shown owner (1) covers
        // it; a national reader who also reads owner 1 knows it, so owner 3 must cover instead.
        let units = assessed(&[
            (1, 1),
            (1, 2),
            (1, 3),
            (2, 4),
            (3, 1),
            (3, 2),
            (3, 3),
            (3, 4),
        ]);
        let national = scope(vec![Role::NationalReader]);
        let both = scope(vec![Role::NationalReader, Role::OwnerReader(OwnerId(1))]);
        let of = |owner: i64, scope: &RestrictedScope| {
            level_distribution(&units, DistributionSubject::Owner(OwnerId(owner)), scope, 3)
        };

        assert_eq!(
            of(1, &national).reason,
            Some(SuppressionReason::Complementary)
        );
        assert_eq!(of(3, &national).counts, Some([1, 1, 1, 1]));
        assert_eq!(of(1, &both).counts, Some([1, 1, 1, 0]));
        assert_eq!(of(3, &both).reason, Some(SuppressionReason::Complementary));
    }

    proptest! {
        /// For a national reader, the owners shown and the nation never let a hidden owner's
        /// counts follow by subtraction: the hidden owners are none, or at least two resting on
        /// at least the minimum group size and not all on one level, or the nation is hidden too;
        /// and nothing shown has every unit on one level.
        #[test]
        fn no_hidden_owner_follows_from_the_shown_distributions(
            raw in prop::collection::vec((1i64..6, 1i64..5), 0..20),
            min_group_size in 1usize..5,
        ) {
            let units = assessed(&raw);
            let national = scope(vec![Role::NationalReader]);
            let nation = level_distribution(&units, DistributionSubject::Nation, &national, min_group_size);
            let mut hidden_owners = 0;
            let mut hidden_units = 0;
            let mut lump = [0; LEVELS];
            for owner in 1..6 {
                let count = units.iter().filter(|unit| unit.owner == OwnerId(owner)).count();
                if count == 0 {
                    continue;
                }
                let shown = level_distribution(&units, DistributionSubject::Owner(OwnerId(owner)), &national, min_group_size);
                match shown.counts {
                    Some(counts) => {
                        prop_assert!(count >= min_group_size);
                        prop_assert!(!unanimous(&counts));
                        prop_assert_eq!(counts.iter().sum::<usize>(), count);
                    }
                    None => {
                        hidden_owners += 1;
                        hidden_units += count;
                        for unit in units.iter().filter(|unit| unit.owner == OwnerId(owner)) {
                            lump[unit.level.index()] += 1;
                        }
                    }
                }
            }
            if let Some(counts) = nation.counts {
                prop_assert!(!unanimous(&counts));
                prop_assert!(hidden_owners != 1);
                prop_assert!(hidden_owners == 0 || !unanimous(&lump));
                prop_assert!(hidden_owners == 0 || hidden_units >= min_group_size);
            }
        }
    }
}

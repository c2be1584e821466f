//! How an imported kommunenummer finds its owner and an imported school name its unit: pure
//! functions over the owners' code history, SSB's change table of classification 131 (KLASS,
//! loaded as data) and a source's `split` and `name` import rules. Nothing is guessed: a code
//! that split, a name that matches no unit or several, is a problem the caller reports.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::{Kommunenummer, OrgNumber, OwnerCodePeriod, OwnerId, UnitId};

/// Svalbard's kommunenummer. Udir publishes figures under it, but Svalbard is no kommune
/// (Longyearbyen lokalstyre and the Sysselmester govern it) and no version of KLASS 131 has it.
pub const SVALBARD: &str = "2100";

/// How long a chain of changes is followed before the table is taken to loop.
const MAX_CHANGES: usize = 16;

/// The marker Udir puts after the name of a county or kommune that no longer exists.
const DISCONTINUED: &str = "(utgått)";

/// One change of KLASS 131 (kommuner), in the shape of KLASS's `changes` API: on `occurred` the
/// kommune `old_code` became, or became part of, `new_code`. A merger is several changes to one
/// new code, a split several changes from one old code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KommuneChange {
    pub old_code: Kommunenummer,
    pub old_name: String,
    pub new_code: Kommunenummer,
    pub new_name: String,
    pub occurred: NaiveDate,
}

/// Why an imported subject does not become a value: a problem (nothing is applied), or a record
/// that is passed over with its reason (counted as skipped, listed in the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    Problem(String),
    Skipped(String),
}

/// What a kommunenummer is looked up in.
#[derive(Debug, Clone, Copy)]
pub struct KommuneCodes<'a> {
    /// Every code each owner has had, with its years.
    pub periods: &'a [OwnerCodePeriod],
    /// The KLASS 131 change table.
    pub changes: &'a [KommuneChange],
    /// Split choices: an old code that split -> the code of the part its figures belong to
    /// (the source's `split` rules, then the import's options).
    pub splits: &'a HashMap<String, String>,
}

impl KommuneCodes<'_> {
    /// The owner a figure under kommunenummer `code` for `calendar_year` belongs to:
    /// 1. a code with a split choice goes to the chosen part;
    /// 2. a code that split (several new codes in KLASS) without one is a problem;
    /// 3. the owner that has the code in that year;
    /// 4. a code KLASS changed into one new code goes where the new code goes (a merged
    ///    kommune's figures belong to the kommune it became part of);
    /// 5. the one owner that ever had the code;
    /// 6. Svalbard (2100), which no owner has, is skipped; any other code is a problem.
    pub fn owner(&self, code: &str, calendar_year: i32) -> Result<OwnerId, Unresolved> {
        self.follow(code, calendar_year, 0)
    }

    fn follow(&self, code: &str, calendar_year: i32, depth: usize) -> Result<OwnerId, Unresolved> {
        if depth > MAX_CHANGES {
            return Err(Unresolved::Problem(format!(
                "the KLASS 131 change table leads from {code} through more than {MAX_CHANGES} \
                 changes"
            )));
        }
        let changes: Vec<&KommuneChange> = self
            .changes
            .iter()
            .filter(|change| change.old_code.as_str() == code && change.new_code.as_str() != code)
            .collect();
        let mut next: Vec<&str> = changes.iter().map(|c| c.new_code.as_str()).collect();
        next.sort_unstable();
        next.dedup();
        if let Some(target) = self.splits.get(code) {
            let reached = self.reachable(code);
            if !reached.contains(target.as_str()) {
                let mut reached: Vec<&str> = reached.into_iter().collect();
                reached.sort_unstable();
                return Err(Unresolved::Problem(format!(
                    "the split choice {code}={target} names a kommune {code} did not become \
                     (KLASS 131 leads it to: {})",
                    if reached.is_empty() {
                        "none".to_owned()
                    } else {
                        reached.join(", ")
                    }
                )));
            }
            let from = self
                .changes
                .iter()
                .filter(|change| change.new_code.as_str() == target)
                .map(|change| change.occurred.year())
                .max()
                .unwrap_or(calendar_year);
            return self.follow(target, from, depth + 1);
        }
        if next.len() > 1 {
            let (old_name, occurred) = (&changes[0].old_name, changes[0].occurred);
            let parts: Vec<String> = next
                .iter()
                .map(|new| {
                    let name = changes
                        .iter()
                        .find(|c| c.new_code.as_str() == *new)
                        .map_or("", |c| c.new_name.as_str());
                    format!("{new} {name}")
                })
                .collect();
            return Err(Unresolved::Problem(format!(
                "{code} {old_name} split into {} on {occurred}: choose with a split rule or \
                 --split {code}={}",
                parts.join(" and "),
                next[0]
            )));
        }
        let holders: Vec<&OwnerCodePeriod> = self
            .periods
            .iter()
            .filter(|period| period.code == code)
            .collect();
        if let Some(period) = holders.iter().find(|p| p.is_valid_in(calendar_year)) {
            return Ok(period.owner_id);
        }
        if let (Some(new), Some(change)) = (next.first(), changes.first()) {
            return self.follow(new, change.occurred.year(), depth + 1);
        }
        let mut owners: Vec<OwnerId> = holders.iter().map(|period| period.owner_id).collect();
        owners.sort();
        owners.dedup();
        match owners[..] {
            [owner] => Ok(owner),
            [] if code == SVALBARD => Err(Unresolved::Skipped(format!(
                "{SVALBARD} (Svalbard) is in no version of KLASS 131 and no owner has the code"
            ))),
            [] => Err(Unresolved::Problem(format!(
                "no owner has or had the code {code}, and KLASS 131 names no change of it"
            ))),
            _ => Err(Unresolved::Problem(format!(
                "the code {code} belonged to several owners, none of them in {calendar_year}"
            ))),
        }
    }

    /// Every code KLASS leads `code` to, through any number of changes.
    fn reachable(&self, code: &str) -> HashSet<&str> {
        let mut reached = HashSet::new();
        let mut pending = vec![code];
        while let Some(from) = pending.pop() {
            for change in self.changes.iter().filter(|c| c.old_code.as_str() == from) {
                if reached.insert(change.new_code.as_str()) {
                    pending.push(change.new_code.as_str());
                }
            }
        }
        reached
    }
}

/// The old kommunenummer each owner carries on, by KLASS 131: a code that became exactly one new
/// code (a merger or a renumbering, never a split), held by no owner itself, is the history of the
/// owner that holds the new code when the change occurred, until the year before it; followed back
/// through chains (Nedre Eiker 0625 -> 3005 in 2020 is Drammen's, valid to 2019). `held` is each
/// owner's codes with their first and last years; the result is the codes to add.
pub fn inherited_codes<K: Clone + PartialEq>(
    held: &[(K, String, Option<i32>, Option<i32>)],
    changes: &[KommuneChange],
) -> Vec<(K, String, i32)> {
    let mut added: Vec<(K, String, i32)> = Vec::new();
    loop {
        let before = added.len();
        for change in changes {
            let old = change.old_code.as_str();
            let year = change.occurred.year();
            let split = changes.iter().any(|other| {
                other.old_code == change.old_code && other.new_code != change.new_code
            });
            let known = held.iter().any(|(_, code, _, _)| code == old)
                || added.iter().any(|(_, code, _)| code == old);
            if split || known || old == change.new_code.as_str() {
                continue;
            }
            let heir = held
                .iter()
                .find(|(_, code, from, to)| {
                    code == change.new_code.as_str() && super::within_period(*from, *to, year)
                })
                .map(|(owner, ..)| owner.clone())
                .or_else(|| {
                    added
                        .iter()
                        .find(|(_, code, to)| code == change.new_code.as_str() && year <= *to)
                        .map(|(owner, ..)| owner.clone())
                });
            if let Some(owner) = heir {
                added.push((owner, old.to_owned(), year - 1));
            }
        }
        if added.len() == before {
            return added;
        }
    }
}

/// A name as it is compared: without the "(utgått)" marker of a county or kommune that no longer
/// exists, without leading, trailing or repeated spaces (also no-break spaces), in lower case.
/// "Sølvåsen skole " and "sølvåsen  skole" compare equal; "Buskerud (utgått)" is "buskerud".
pub fn normalise_name(name: &str) -> String {
    let mut words: Vec<&str> = name.split_whitespace().collect();
    if words
        .last()
        .is_some_and(|word| word.eq_ignore_ascii_case(DISCONTINUED))
    {
        words.pop();
    }
    words.join(" ").to_lowercase()
}

/// A unit as a school name is matched against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedUnit {
    pub id: UnitId,
    pub org_number: OrgNumber,
    pub name: String,
    pub owner: OwnerId,
}

/// Finds the unit a school named only by name is: a `name` rule of the source (source name ->
/// organisasjonsnummer, compared normalised) first; else the units whose name is the same after
/// [`normalise_name`], and, when the record names its kommune (`within`, the kommune's owner),
/// only those the kommune owns or whose owner is no kommune (`municipalities` holds the owners
/// that are). Exactly one must match.
pub fn unit_by_name(
    name: &str,
    within: Option<OwnerId>,
    rules: &HashMap<String, OrgNumber>,
    units: &[NamedUnit],
    municipalities: &HashSet<OwnerId>,
) -> Result<UnitId, String> {
    let wanted = normalise_name(name);
    if let Some((_, org)) = rules
        .iter()
        .find(|(rule, _)| normalise_name(rule) == wanted)
    {
        return units
            .iter()
            .find(|unit| unit.org_number == *org)
            .map(|unit| unit.id)
            .ok_or_else(|| {
                format!(
                    "the name rule maps {name:?} to organisasjonsnummer {org}, and no unit has it"
                )
            });
    }
    let matching: Vec<&NamedUnit> = units
        .iter()
        .filter(|unit| normalise_name(&unit.name) == wanted)
        .filter(|unit| {
            within.is_none_or(|owner| unit.owner == owner || !municipalities.contains(&unit.owner))
        })
        .collect();
    let place = if within.is_some() {
        " in the record's kommune"
    } else {
        ""
    };
    match matching[..] {
        [unit] => Ok(unit.id),
        [] => Err(format!(
            "no unit is named {name:?}{place}: map the name to an organisasjonsnummer with a \
             name rule"
        )),
        _ => {
            let found: Vec<String> = matching
                .iter()
                .map(|unit| format!("{} {}", unit.org_number, unit.name))
                .collect();
            Err(format!(
                "{} units are named {name:?}{place} ({}): choose one with a name rule",
                matching.len(),
                found.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kommune(code: &str) -> Kommunenummer {
        Kommunenummer::parse(code).unwrap()
    }

    fn change(old: &str, old_name: &str, new: &str, new_name: &str, year: i32) -> KommuneChange {
        KommuneChange {
            old_code: kommune(old),
            old_name: old_name.into(),
            new_code: kommune(new),
            new_name: new_name.into(),
            occurred: NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
        }
    }

    fn period(owner: i64, code: &str, from: Option<i32>, to: Option<i32>) -> OwnerCodePeriod {
        OwnerCodePeriod {
            owner_id: OwnerId(owner),
            code: code.into(),
            valid_from: from,
            valid_to: to,
        }
    }

    const DRAMMEN: OwnerId = OwnerId(1);
    const ALESUND: OwnerId = OwnerId(2);
    const HARAM: OwnerId = OwnerId(3);

    fn periods() -> Vec<OwnerCodePeriod> {
        vec![
            period(1, "0602", None, Some(2019)),
            period(1, "3005", Some(2020), Some(2023)),
            period(1, "3301", Some(2024), None),
            period(2, "1508", Some(2024), None),
            period(3, "1580", Some(2024), None),
        ]
    }

    fn changes() -> Vec<KommuneChange> {
        vec![
            change("0602", "Drammen", "3005", "Drammen", 2020),
            change("0625", "Nedre Eiker", "3005", "Drammen", 2020),
            change("3005", "Drammen", "3301", "Drammen", 2024),
            change("1504", "Ålesund", "1507", "Ålesund", 2020),
            change("1534", "Haram", "1507", "Ålesund", 2020),
            change("1507", "Ålesund", "1508", "Ålesund", 2024),
            change("1507", "Ålesund", "1580", "Haram", 2024),
        ]
    }

    fn owner(code: &str, year: i32, splits: &[(&str, &str)]) -> Result<OwnerId, Unresolved> {
        let splits: HashMap<String, String> = splits
            .iter()
            .map(|(from, to)| ((*from).to_owned(), (*to).to_owned()))
            .collect();
        let (periods, changes) = (periods(), changes());
        KommuneCodes {
            periods: &periods,
            changes: &changes,
            splits: &splits,
        }
        .owner(code, year)
    }

    #[test]
    fn a_merged_kommunes_old_number_goes_to_the_owner_it_became_part_of() {
        assert_eq!(owner("3301", 2026, &[]), Ok(DRAMMEN));
        assert_eq!(owner("0602", 2018, &[]), Ok(DRAMMEN), "its own old number");
        assert_eq!(
            owner("0625", 2018, &[]),
            Ok(DRAMMEN),
            "Nedre Eiker, through 3005 in 2020"
        );
        assert_eq!(owner("0625", 2026, &[]), Ok(DRAMMEN));
    }

    #[test]
    fn a_kommune_that_split_is_never_guessed_and_a_choice_decides() {
        let Err(Unresolved::Problem(problem)) = owner("1507", 2022, &[]) else {
            panic!("1507 was resolved")
        };
        assert_eq!(
            problem,
            "1507 Ålesund split into 1508 Ålesund and 1580 Haram on 2024-01-01: choose with a \
             split rule or --split 1507=1508"
        );
        assert!(
            matches!(owner("1534", 2018, &[]), Err(Unresolved::Problem(p)) if p.starts_with("1507 Ålesund split")),
            "old Haram reaches the split through 1507"
        );
        assert_eq!(owner("1507", 2022, &[("1507", "1508")]), Ok(ALESUND));
        assert_eq!(owner("1507", 2022, &[("1507", "1580")]), Ok(HARAM));
        assert_eq!(
            owner("1534", 2018, &[("1534", "1580")]),
            Ok(HARAM),
            "a choice for the old code itself"
        );
        let Err(Unresolved::Problem(problem)) = owner("1507", 2022, &[("1507", "3301")]) else {
            panic!("a choice outside the split was taken")
        };
        assert!(problem.contains("1508, 1580"), "{problem}");
    }

    #[test]
    fn svalbard_is_skipped_unless_an_owner_has_its_code_and_an_unknown_code_is_a_problem() {
        assert!(matches!(
            owner(SVALBARD, 2025, &[]),
            Err(Unresolved::Skipped(reason)) if reason.contains("Svalbard")
        ));
        let mut with_svalbard = periods();
        with_svalbard.push(period(9, SVALBARD, None, None));
        let (changes, splits) = (changes(), HashMap::new());
        let codes = KommuneCodes {
            periods: &with_svalbard,
            changes: &changes,
            splits: &splits,
        };
        assert_eq!(codes.owner(SVALBARD, 2025), Ok(OwnerId(9)));
        assert!(matches!(
            owner("4601", 2025, &[]),
            Err(Unresolved::Problem(p)) if p.contains("no owner has or had the code 4601")
        ));
    }

    #[test]
    fn an_owner_carries_on_the_old_numbers_of_what_merged_into_it_but_no_split() {
        let held: Vec<(&str, String, Option<i32>, Option<i32>)> = periods()
            .into_iter()
            .map(|p| {
                let owner = ["", "drammen", "alesund", "haram"][p.owner_id.0 as usize];
                (owner, p.code, p.valid_from, p.valid_to)
            })
            .collect();
        let mut changes = changes();
        changes.push(change("0711", "Svelvik", "3005", "Drammen", 2020));
        changes.push(change("0799", "Test", "0711", "Svelvik", 2010));
        let added = inherited_codes(&held, &changes);
        assert_eq!(
            added,
            [
                ("drammen", "0625".to_owned(), 2019),
                ("drammen", "0711".to_owned(), 2019),
                ("drammen", "0799".to_owned(), 2009),
            ],
            "1507 split, so neither Ålesund nor Haram carries it (nor 1504 or 1534)"
        );
    }

    #[test]
    fn names_compare_without_the_discontinued_marker_spaces_or_case() {
        assert_eq!(normalise_name("Buskerud (utgått)"), "buskerud");
        assert_eq!(normalise_name(" Sølvåsen  skole\u{a0}"), "sølvåsen skole");
        assert_eq!(normalise_name("Ålesund (Utgått) "), "ålesund");
        assert_eq!(normalise_name("(utgått) skole"), "(utgått) skole");
    }

    #[test]
    fn a_school_name_resolves_to_exactly_one_unit_or_says_why_not() {
        let org = |text: &str| OrgNumber::parse(text).unwrap();
        let unit = |id: i64, org_number: &str, name: &str, owner: OwnerId| NamedUnit {
            id: UnitId(id),
            org_number: org(org_number),
            name: name.into(),
            owner,
        };
        let units = vec![
            unit(1, "820819675", "Sølvåsen skole", DRAMMEN),
            unit(2, "948876639", "Fjell skole", DRAMMEN),
            unit(3, "873177845", "Fjell skole", ALESUND),
            unit(4, "940029783", "Montessoriskolen", OwnerId(7)),
        ];
        let municipalities = HashSet::from([DRAMMEN, ALESUND, HARAM]);
        let no_rules = HashMap::new();
        let find = |name: &str, within: Option<OwnerId>, rules: &HashMap<String, OrgNumber>| {
            unit_by_name(name, within, rules, &units, &municipalities)
        };
        assert_eq!(find("Sølvåsen skole ", None, &no_rules), Ok(UnitId(1)));
        assert_eq!(
            find("SØLVÅSEN SKOLE", Some(DRAMMEN), &no_rules),
            Ok(UnitId(1))
        );
        assert_eq!(find("Fjell skole", Some(ALESUND), &no_rules), Ok(UnitId(3)));
        assert_eq!(
            find("Montessoriskolen", Some(DRAMMEN), &no_rules),
            Ok(UnitId(4)),
            "a private school lies in a kommune it is not owned by"
        );
        let several = find("Fjell skole", None, &no_rules).unwrap_err();
        assert!(
            several
                .starts_with("2 units are named \"Fjell skole\" (948876639 Fjell skole, 873177845"),
            "{several}"
        );
        let none = find("Sølvåsen skole", Some(HARAM), &no_rules).unwrap_err();
        assert!(none.contains("in the record's kommune"), "{none}");
        let rules = HashMap::from([("Fjell  skole".to_owned(), org("948876639"))]);
        assert_eq!(find("fjell skole ", None, &rules), Ok(UnitId(2)));
        let rules = HashMap::from([("Fjell skole".to_owned(), org("974760673"))]);
        assert!(
            find("Fjell skole", None, &rules)
                .unwrap_err()
                .contains("no unit has it")
        );
    }
}

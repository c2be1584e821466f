//! Groups (trinn, kjønn) that a source breaks a value down by.

use std::fmt;

use super::DomainError;

/// Kjønn as the sources report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Girls,
    Boys,
}

impl Gender {
    fn code(self) -> &'static str {
        match self {
            Self::Girls => "jenter",
            Self::Boys => "gutter",
        }
    }
}

/// The group a value describes: everyone (`all`), one trinn, one kjønn, or both.
///
/// Its canonical text form is the key used in storage, seed files and API filters:
/// `all`, `trinn=7`, `kjonn=jenter`, `trinn=10;kjonn=gutter` (trinn first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ValueGroup {
    /// Trinn 1-13 (11-13 are Vg1-Vg3).
    pub grade: Option<u8>,
    pub gender: Option<Gender>,
}

impl ValueGroup {
    pub const ALL: Self = Self {
        grade: None,
        gender: None,
    };

    /// A group from its parts, as a typed argument gives them: a trinn must be 1-13.
    pub fn new(grade: Option<i32>, gender: Option<Gender>) -> Result<Self, DomainError> {
        let grade = grade
            .map(|grade| {
                u8::try_from(grade)
                    .ok()
                    .filter(|grade| (1..=13).contains(grade))
                    .ok_or_else(|| DomainError::InvalidGrade(grade.to_string()))
            })
            .transpose()?;
        Ok(Self { grade, gender })
    }

    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::InvalidGroup(input.to_owned());
        let input_trimmed = input.trim();
        if input_trimmed == "all" {
            return Ok(Self::ALL);
        }
        let mut group = Self::ALL;
        for part in input_trimmed.split(';') {
            match part.split_once('=').ok_or_else(invalid)? {
                ("trinn", grade) if group.grade.is_none() && group.gender.is_none() => {
                    let grade: u8 = grade.parse().map_err(|_| invalid())?;
                    if !(1..=13).contains(&grade) {
                        return Err(invalid());
                    }
                    group.grade = Some(grade);
                }
                ("kjonn", gender) if group.gender.is_none() => {
                    group.gender = Some(match gender {
                        "jenter" => Gender::Girls,
                        "gutter" => Gender::Boys,
                        _ => return Err(invalid()),
                    });
                }
                _ => return Err(invalid()),
            }
        }
        if group == Self::ALL {
            return Err(invalid());
        }
        Ok(group)
    }

    /// The canonical key, the inverse of [`ValueGroup::parse`].
    pub fn code(&self) -> String {
        self.to_string()
    }
}

/// The additive relations among `groups`: for each group and each of its open dimensions (trinn,
/// kjønn), the groups that split it along that dimension alone (`all` into `kjonn=jenter` and
/// `kjonn=gutter`; `trinn=7` into `trinn=7;kjonn=jenter` and `trinn=7;kjonn=gutter`). Given as
/// indexes into `groups`: (parent, parts), for every split with at least one part present.
///
/// A split's groups are taken to make up their parent together, as the sources report them.
pub fn group_relations(groups: &[ValueGroup]) -> Vec<(usize, Vec<usize>)> {
    let mut relations = Vec::new();
    for (parent, group) in groups.iter().enumerate() {
        let splits: [&dyn Fn(&ValueGroup) -> bool; 2] = [
            &|part| group.grade.is_none() && part.grade.is_some() && part.gender == group.gender,
            &|part| group.gender.is_none() && part.gender.is_some() && part.grade == group.grade,
        ];
        for splits_along in splits {
            let parts: Vec<usize> = groups
                .iter()
                .enumerate()
                .filter(|(_, part)| splits_along(part))
                .map(|(index, _)| index)
                .collect();
            if !parts.is_empty() {
                relations.push((parent, parts));
            }
        }
    }
    relations
}

impl fmt::Display for ValueGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.grade, self.gender) {
            (None, None) => f.write_str("all"),
            (Some(grade), None) => write!(f, "trinn={grade}"),
            (None, Some(gender)) => write!(f, "kjonn={}", gender.code()),
            (Some(grade), Some(gender)) => write!(f, "trinn={grade};kjonn={}", gender.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_split_along_one_dimension_at_a_time() {
        let groups: Vec<ValueGroup> = [
            "all",
            "kjonn=jenter",
            "kjonn=gutter",
            "trinn=7",
            "trinn=7;kjonn=jenter",
        ]
        .into_iter()
        .map(|code| ValueGroup::parse(code).unwrap())
        .collect();

        assert_eq!(
            group_relations(&groups),
            vec![(0, vec![3]), (0, vec![1, 2]), (1, vec![4]), (3, vec![4])]
        );
    }

    #[test]
    fn canonical_codes_round_trip() {
        for code in ["all", "trinn=7", "kjonn=jenter", "trinn=10;kjonn=gutter"] {
            assert_eq!(ValueGroup::parse(code).unwrap().code(), code);
        }
    }

    #[test]
    fn typed_groups_take_grades_1_to_13_and_empty_means_everyone() {
        assert_eq!(ValueGroup::new(None, None), Ok(ValueGroup::ALL));
        let group = ValueGroup::new(Some(7), Some(Gender::Girls)).unwrap();
        assert_eq!(group.code(), "trinn=7;kjonn=jenter");
        for grade in [0, 14, -1, 300] {
            assert!(ValueGroup::new(Some(grade), None).is_err(), "{grade}");
        }
    }

    #[test]
    fn unknown_or_non_canonical_groups_are_refused() {
        for code in [
            "",
            "trinn=0",
            "trinn=14",
            "kjonn=alle",
            "kjonn=gutter;trinn=7",
            "trinn=7;trinn=8",
            "fag=lesing",
        ] {
            assert!(ValueGroup::parse(code).is_err(), "{code} was accepted");
        }
    }
}

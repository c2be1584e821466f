//! Importregler (import rules): how one source's codes name Varde's indicators, subjects, school
//! years and groups. Rules are data (seeded, stored); reading a code through them is pure.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    CountyNumber, DomainError, ImportFormat, ImportSourceId, Kommunenummer, OrgNumber, SchoolYear,
    SchoolYearRule, ValueGroup,
};

/// Which kinds of subject codes a source gives: organisasjonsnummer (units, or owners named by
/// their own number), kommunenummer, fylkesnummer, and the code it uses for the nation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectForms {
    pub org_numbers: bool,
    pub kommunenummer: bool,
    pub fylkesnummer: bool,
    /// The source's code for the whole country (SSB's `EAK` or `0`), if it gives national values.
    pub nation_code: Option<String>,
}

impl SubjectForms {
    /// The forms accepted, for messages: "organisasjonsnummer, kommunenummer or \"EAK\" (the nation)".
    fn accepted(&self) -> String {
        let mut forms: Vec<String> = [
            (self.org_numbers, "organisasjonsnummer (9 digits)"),
            (self.kommunenummer, "kommunenummer (4 digits)"),
            (self.fylkesnummer, "fylkesnummer (2 digits)"),
        ]
        .into_iter()
        .filter(|(accepted, _)| *accepted)
        .map(|(_, form)| form.to_owned())
        .collect();
        if let Some(code) = &self.nation_code {
            forms.push(format!("{code:?} (the nation)"));
        }
        if forms.is_empty() {
            "no subject codes".to_owned()
        } else {
            forms.join(", ")
        }
    }
}

/// A subject code read through a source's rules, before it is looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubjectCode {
    OrgNumber(OrgNumber),
    Kommunenummer(Kommunenummer),
    County(CountyNumber),
    Nation,
}

/// An import source with its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSource {
    pub id: ImportSourceId,
    /// The name given on the command line, e.g. `kulturskole-lokal`.
    pub name: String,
    pub format: ImportFormat,
    pub description: String,
    pub school_year_rule: SchoolYearRule,
    pub subjects: SubjectForms,
    /// Source code -> Varde indicator code. Only indicators listed here can be imported.
    pub indicators: HashMap<String, String>,
    /// Source group label -> group. A label without a rule is read as Varde's own group code.
    pub groups: HashMap<String, ValueGroup>,
    /// `split` rules: a kommunenummer that split (KLASS 131) -> the kommunenummer of the part
    /// this source's figures under it belong to.
    pub splits: HashMap<String, Kommunenummer>,
    /// `name` rules: a school's name as this source writes it -> its organisasjonsnummer, for
    /// names that match no unit's, or several.
    pub names: HashMap<String, OrgNumber>,
}

impl ImportSource {
    /// The Varde indicator code for the source's `code`.
    pub fn indicator(&self, code: &str) -> Result<&str, DomainError> {
        self.indicators
            .get(code.trim())
            .map(String::as_str)
            .ok_or_else(|| DomainError::NoImportRule {
                kind: "indicator code",
                code: code.to_owned(),
                source_name: self.name.clone(),
            })
    }

    /// The group for the source's group label; an empty label is everyone (`all`).
    pub fn group(&self, label: &str) -> Result<ValueGroup, DomainError> {
        let label = label.trim();
        if let Some(group) = self.groups.get(label) {
            return Ok(*group);
        }
        if label.is_empty() {
            return Ok(ValueGroup::ALL);
        }
        ValueGroup::parse(label).map_err(|_| DomainError::NoImportRule {
            kind: "group",
            code: label.to_owned(),
            source_name: self.name.clone(),
        })
    }

    /// Reads a subject code by its form, as far as the source gives that form.
    pub fn subject(&self, code: &str) -> Result<SubjectCode, DomainError> {
        let code = code.trim();
        let forms = &self.subjects;
        if forms.nation_code.as_deref() == Some(code) {
            return Ok(SubjectCode::Nation);
        }
        let digits = code
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b' ');
        let length = code.bytes().filter(u8::is_ascii_digit).count();
        match (digits, length) {
            (true, 9) if forms.org_numbers => OrgNumber::parse(code).map(SubjectCode::OrgNumber),
            (true, 4) if forms.kommunenummer => {
                Kommunenummer::parse(code).map(SubjectCode::Kommunenummer)
            }
            (true, 2) if forms.fylkesnummer => CountyNumber::parse(code).map(SubjectCode::County),
            _ => Err(DomainError::UnknownSubjectForm {
                code: code.to_owned(),
                accepted: forms.accepted(),
            }),
        }
    }

    /// The school year the source's period code names.
    pub fn school_year(&self, period: &str) -> Result<SchoolYear, DomainError> {
        let period = period.trim();
        let invalid = || DomainError::InvalidPeriod {
            period: period.to_owned(),
            rule: self.school_year_rule.as_str(),
        };
        let year = |text: &str| -> Result<i32, DomainError> {
            if text.len() == 4 && text.bytes().all(|byte| byte.is_ascii_digit()) {
                text.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        let start = match self.school_year_rule {
            SchoolYearRule::SchoolYear => match period.split_once('-') {
                // 2025-26 or 2025-2026: the second year must follow the first.
                Some((first, second)) => {
                    let first = year(first)?;
                    let follows = match second.len() {
                        2 => second.parse::<i32>().ok() == Some((first + 1) % 100),
                        4 => second.parse::<i32>().ok() == Some(first + 1),
                        _ => false,
                    };
                    if !follows {
                        return Err(invalid());
                    }
                    first
                }
                None => year(period)?,
            },
            SchoolYearRule::AutumnYear => year(period)?,
            SchoolYearRule::SpringYear => year(period)? - 1,
            SchoolYearRule::UdirTid => {
                if period.len() != 6 {
                    return Err(invalid());
                }
                year(&period[..4])?
            }
        };
        SchoolYear::new(start)
    }
}

/// One import in the import log: applied, or refused with its rejected rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLogEntry {
    pub id: i64,
    /// The import source's name.
    pub source: String,
    pub file_name: String,
    /// SHA-256 of the file, in lowercase hex.
    pub checksum: String,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
    pub applied: bool,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(rule: SchoolYearRule) -> ImportSource {
        ImportSource {
            id: ImportSourceId(1),
            name: "test".into(),
            format: ImportFormat::JsonStat,
            description: String::new(),
            school_year_rule: rule,
            subjects: SubjectForms {
                org_numbers: false,
                kommunenummer: true,
                fylkesnummer: true,
                nation_code: Some("EAK".into()),
            },
            indicators: HashMap::from([("KOSTRA1".into(), "kostra_andel_elever_6_15".into())]),
            groups: HashMap::from([("2".into(), ValueGroup::parse("kjonn=jenter").unwrap())]),
            splits: HashMap::new(),
            names: HashMap::new(),
        }
    }

    #[test]
    fn periods_become_school_years_by_the_sources_rule() {
        let year = |rule, period| source(rule).school_year(period).map(SchoolYear::start_year);
        assert_eq!(year(SchoolYearRule::SchoolYear, "2025"), Ok(2025));
        assert_eq!(year(SchoolYearRule::SchoolYear, "2025-26"), Ok(2025));
        assert_eq!(year(SchoolYearRule::SchoolYear, "2025-2026"), Ok(2025));
        assert_eq!(year(SchoolYearRule::AutumnYear, "2025"), Ok(2025));
        assert_eq!(year(SchoolYearRule::SpringYear, "2026"), Ok(2025));
        assert_eq!(year(SchoolYearRule::UdirTid, "202510"), Ok(2025));
        for (rule, period) in [
            (SchoolYearRule::SchoolYear, "2025-27"),
            (SchoolYearRule::SchoolYear, "25"),
            (SchoolYearRule::UdirTid, "2025"),
            (SchoolYearRule::AutumnYear, "2025K1"),
        ] {
            let error = year(rule, period).unwrap_err().to_string();
            assert!(error.contains(rule.as_str()), "{error}");
        }
    }

    #[test]
    fn subject_codes_are_read_by_form_as_far_as_the_source_gives_it() {
        let rules = source(SchoolYearRule::AutumnYear);
        assert_eq!(rules.subject("EAK"), Ok(SubjectCode::Nation));
        assert!(matches!(
            rules.subject(" 3303 "),
            Ok(SubjectCode::Kommunenummer(_))
        ));
        assert!(matches!(rules.subject("33"), Ok(SubjectCode::County(_))));
        let error = rules.subject("974760673").unwrap_err().to_string();
        assert!(error.contains("kommunenummer (4 digits)"), "{error}");
        assert!(error.contains("\"EAK\" (the nation)"), "{error}");
    }

    #[test]
    fn codes_without_a_rule_are_refused_and_groups_fall_back_to_vardes_own() {
        let rules = source(SchoolYearRule::AutumnYear);
        assert_eq!(rules.indicator("KOSTRA1"), Ok("kostra_andel_elever_6_15"));
        let error = rules.indicator("KOSTRA9").unwrap_err().to_string();
        assert!(
            error.contains("KOSTRA9") && error.contains("test"),
            "{error}"
        );
        assert_eq!(rules.group("2").unwrap().code(), "kjonn=jenter");
        assert_eq!(rules.group(""), Ok(ValueGroup::ALL));
        assert_eq!(rules.group("trinn=7").unwrap().code(), "trinn=7");
        assert!(rules.group("Kjonn=1").is_err());
    }
}

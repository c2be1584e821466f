//! Udir's statistics bank (Statistikkbanken): its CSV export and its data API's JSON (an array of
//! flat records), the same fields in both. A record names its subject on Udir's unit levels
//! (`EnhetNivaa`): `Organisasjonsnummer` for a school, `Kommunekode` for a kommune, `Fylkekode`
//! for a fylke, and the nation as `Nasjonaltkode` `I` (the most specific code given wins, so
//! the numbering of levels, which differs between tables, does not matter). `TidID` names the
//! period (`202510` is 2025-26). Groups come from `TrinnKode` and `KjoennKode`, labelled
//! `TrinnKode=7;KjoennKode=J` for the import rules.
//!
//! Values: in the long shape (Elevundersøkelsen) `Spoersmaalkode` names the indicator, `Score`
//! holds the value and `AntallBesvart` the respondents; in the wide shape every field with an
//! indicator rule is a value, with `n` from `AntallElever` or `AntallBesvart`. Exports with
//! dotted multi-level headers flatten two header rows into one: `EUIndeks_1379.Score` (or
//! `.Verdi`, `.Andel`) is the value of the indicator with the rule `EUIndeks_1379`, and
//! `EUIndeks_1379.AntallBesvart` (or `.AntallElever`) its own `n`. Numbers come as
//! text with decimal commas and spaces between thousands; `*` is suppressed (its `n` is not kept).
//!
//! Some exports name schools only by name: a record without an organisasjonsnummer and with a
//! `Skolenavn` is a school's, named by that (trimmed) within its
//! `Kommunekode` when it gives one; the pipeline resolves the name to a unit. Names of counties
//! and kommuner (`Fylkenavn`, `Kommunenavn`, `EnhetNavn`, "Buskerud (utgått)" for one that no
//! longer exists) are not read: the code decides.
//!
//! Udir repeats a school's record under each owner type (`EierformNavn`: "Alle eierformer" and
//! "Offentlig" or "Privat eiet") with the same values: these are duplicates, counted once by
//! the pipeline. A kommune's, fylke's or the nation's record for one owner type only describes a
//! part of the subject that Varde does not store: it is skipped.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    io::{BufRead, BufReader, Read},
};

use super::{
    Cell, ImportError, Issue, Location, Problem, Record,
    delimited::Rows,
    text::{Decoded, Encoding, parse_count, parse_number},
};

/// The owner type that covers every owner.
const ALL_OWNER_TYPES: &str = "Alle eierformer";

/// The lowest level of a dotted multi-level header that holds an indicator's value.
const VALUE_MEASURES: [&str; 3] = ["Score", "Verdi", "Andel"];

/// Fields that hold `n`, in order of preference.
const COUNT_FIELDS: [&str; 2] = ["AntallBesvart", "AntallElever"];

/// The field that names a school in exports without its organisasjonsnummer.
const SCHOOL_NAME: &str = "Skolenavn";

/// Fields that make up a record's group label, in order.
const GROUP_FIELDS: [&str; 2] = ["TrinnKode", "KjoennKode"];

/// Where the records come from: the CSV export's rows or the data API's array.
enum Source<R> {
    Csv(Box<Rows<BufReader<Decoded<R>>>>),
    Json(std::iter::Enumerate<std::vec::IntoIter<HashMap<String, serde_json::Value>>>),
}

/// The records of a Statistikkbanken file, one [`Record`] (or why not) at a time.
pub struct UdirRecords<R> {
    source: Source<R>,
    /// The source codes with an indicator rule: the value fields of the wide shape.
    value_fields: HashSet<String>,
    /// Records of a row not yet handed out (a wide row holds several).
    pending: VecDeque<Result<Record, Issue>>,
}

impl<R: Read> UdirRecords<R> {
    /// Reads `input` as JSON when it begins with `[`, otherwise as the CSV export.
    pub fn new(
        input: R,
        encoding: Option<Encoding>,
        separator: Option<u8>,
        value_fields: HashSet<String>,
    ) -> Result<Self, ImportError> {
        let mut text = BufReader::new(Decoded::new(input, encoding)?);
        let json = text
            .fill_buf()?
            .iter()
            .find(|byte| !byte.is_ascii_whitespace())
            == Some(&b'[');
        let source = if json {
            let rows: Vec<HashMap<String, serde_json::Value>> = serde_json::from_reader(text)
                .map_err(|error| {
                    ImportError::Format(format!(
                        "not Statistikkbanken's JSON (an array of flat records): {error}"
                    ))
                })?;
            Source::Json(rows.into_iter().enumerate())
        } else {
            Source::Csv(Box::new(Rows::open(text, separator)?))
        };
        Ok(Self {
            source,
            value_fields,
            pending: VecDeque::new(),
        })
    }
}

/// The records of one Statistikkbanken row, given its fields by name.
fn row_records<'a>(
    field: impl Fn(&str) -> Option<&'a str>,
    names: impl Iterator<Item = &'a str>,
    value_fields: &HashSet<String>,
    location: &Location,
) -> Vec<Result<Record, Issue>> {
    let text = |name: &str| field(name).map(str::trim).filter(|text| !text.is_empty());
    let problem = |reason: String| {
        Err(Issue::Problem(Problem {
            location: location.clone(),
            reason,
        }))
    };
    let digits = |name: &str, count: usize| {
        text(name).filter(|code| code.len() == count && code.bytes().all(|b| b.is_ascii_digit()))
    };
    let school_name = text(SCHOOL_NAME).filter(|_| digits("Organisasjonsnummer", 9).is_none());
    let (subject, unit) = match (
        digits("Organisasjonsnummer", 9),
        digits("Kommunekode", 4),
        digits("Fylkekode", 2).filter(|code| *code != "00"),
    ) {
        (Some(org), _, _) => (org, true),
        (None, kommune, _) if school_name.is_some() => (kommune.unwrap_or_default(), true),
        (None, Some(kommune), _) => (kommune, false),
        (None, None, Some(fylke)) => (fylke, false),
        (None, None, None) => (text("Nasjonaltkode").unwrap_or("I"), false),
    };
    if !unit && text("EierformNavn").is_some_and(|owners| owners != ALL_OWNER_TYPES) {
        return vec![Err(Issue::Skipped)];
    }
    let Some(period) = text("TidID") else {
        return vec![problem("TidID is empty".into())];
    };
    let group: Vec<String> = GROUP_FIELDS
        .iter()
        .filter_map(|name| Some(format!("{name}={}", text(name)?)))
        .collect();
    let row_count = COUNT_FIELDS.iter().find_map(|name| text(name));
    let record =
        |indicator: &str, value: Option<&str>, count: Option<&str>| -> Result<Record, Issue> {
            let cell = match value {
                None => Cell::Missing,
                Some("*") => Cell::Suppressed,
                Some(value) => Cell::Value(parse_number(value).map_err(|reason| {
                    Issue::Problem(Problem {
                        location: location.clone(),
                        reason: format!("{indicator}: value {value:?} is malformed: {reason}"),
                    })
                })?),
            };
            let n = match (cell, count) {
                (Cell::Suppressed, _) | (_, None | Some("*")) => None,
                (_, Some(count)) => Some(parse_count(count).map_err(|reason| {
                    Issue::Problem(Problem {
                        location: location.clone(),
                        reason: format!("n {count:?} is malformed: {reason}"),
                    })
                })?),
            };
            Ok(Record {
                location: location.clone(),
                subject: subject.to_owned(),
                indicator: indicator.to_owned(),
                period: period.to_owned(),
                group: group.join(";"),
                school_name: school_name.map(str::to_owned),
                cell,
                n,
            })
        };
    if let Some(question) = text("Spoersmaalkode") {
        return vec![record(question, text("Score"), row_count)];
    }
    let records: Vec<Result<Record, Issue>> = names
        .filter_map(|name| {
            if value_fields.contains(name) {
                return Some(record(name, text(name), row_count));
            }
            // A dotted multi-level header: `EUIndeks_1379.Score` is the value of the indicator
            // `EUIndeks_1379`, `EUIndeks_1379.AntallBesvart` its n.
            let (indicator, measure) = name.rsplit_once('.')?;
            if !value_fields.contains(indicator) || !VALUE_MEASURES.contains(&measure) {
                return None;
            }
            let count = COUNT_FIELDS
                .iter()
                .find_map(|field| text(&format!("{indicator}.{field}")))
                .or(row_count);
            Some(record(indicator, text(name), count))
        })
        .collect();
    if records.is_empty() {
        return vec![problem(
            "no Spoersmaalkode and no field with an indicator rule".into(),
        )];
    }
    records
}

/// A JSON field as text: strings as they are, numbers written out.
fn json_text(value: &serde_json::Value) -> Option<std::borrow::Cow<'_, str>> {
    match value {
        serde_json::Value::String(text) => Some(text.as_str().into()),
        serde_json::Value::Number(number) => Some(number.to_string().into()),
        _ => None,
    }
}

impl<R: Read> Iterator for UdirRecords<R> {
    type Item = Result<Record, Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.pending.pop_front() {
                return Some(record);
            }
            let records = match &mut self.source {
                Source::Csv(rows) => {
                    let (row, line) = match rows.next()? {
                        Ok(row) => row,
                        Err(issue) => return Some(Err(issue)),
                    };
                    let header = &rows.header;
                    let field = |name: &str| {
                        header
                            .iter()
                            .position(|column| column == name)
                            .and_then(|index| row.get(index))
                    };
                    row_records(
                        field,
                        header.iter().map(String::as_str),
                        &self.value_fields,
                        &Location::Line(line),
                    )
                }
                Source::Json(rows) => {
                    let (index, row) = rows.next()?;
                    let texts: HashMap<&str, std::borrow::Cow<'_, str>> = row
                        .iter()
                        .filter_map(|(name, value)| Some((name.as_str(), json_text(value)?)))
                        .collect();
                    row_records(
                        |name| texts.get(name).map(|text| text.as_ref()),
                        row.keys().map(String::as_str),
                        &self.value_fields,
                        &Location::Record(index + 1),
                    )
                }
            };
            self.pending.extend(records);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, value_fields: &[&str]) -> Vec<Result<Record, String>> {
        let fields = value_fields
            .iter()
            .map(|field| (*field).to_owned())
            .collect();
        UdirRecords::new(text.as_bytes(), None, None, fields)
            .unwrap()
            .map(|item| item.map_err(|issue| issue.to_string()))
            .collect()
    }

    #[test]
    fn the_data_apis_records_name_their_subject_by_the_most_specific_code() {
        let json = r#"[
          {"Spoersmaalkode":"EUIndeks_1379","TidID":202510,"EnhetNivaa":1,"Nasjonaltkode":"I",
           "Fylkekode":"00","Organisasjonsnummer":"I","TrinnKode":"7","EierformNavn":"Alle eierformer",
           "Score":"4,2","AntallBesvart":"63 187"},
          {"Spoersmaalkode":"EUIndeks_1379","TidID":202510,"EnhetNivaa":1,"Nasjonaltkode":"I",
           "Fylkekode":"00","Organisasjonsnummer":"I","TrinnKode":"7","EierformNavn":"Offentlig",
           "Score":"4,1","AntallBesvart":"58 023"},
          {"Spoersmaalkode":"EUIndeks_1379","TidID":202510,"EnhetNivaa":2,"Fylkekode":"33",
           "Kommunekode":"","TrinnKode":"7","KjoennKode":"J","Score":4.25,"AntallBesvart":900},
          {"Spoersmaalkode":"EUIndeks_1379","TidID":202510,"EnhetNivaa":4,"Fylkekode":"33",
           "Kommunekode":"3303","Organisasjonsnummer":"948876639","EierformNavn":"Offentlig",
           "Score":"*","AntallBesvart":"*"},
          {"Spoersmaalkode":"EUIndeks_1379","TidID":202510,"Kommunekode":"3303","Score":"4,x"}
        ]"#;
        let records = read(json, &[]);
        assert_eq!(records.len(), 5);
        let nation = records[0].as_ref().unwrap();
        assert_eq!(
            (
                nation.subject.as_str(),
                nation.period.as_str(),
                nation.group.as_str()
            ),
            ("I", "202510", "TrinnKode=7")
        );
        assert_eq!((nation.cell, nation.n), (Cell::Value(4.2), Some(63_187)));
        assert_eq!(
            records[1],
            Err("skipped".into()),
            "a part of the nation by owner type"
        );
        let county = records[2].as_ref().unwrap();
        assert_eq!(
            (county.subject.as_str(), county.group.as_str(), county.cell),
            ("33", "TrinnKode=7;KjoennKode=J", Cell::Value(4.25))
        );
        let school = records[3].as_ref().unwrap();
        assert_eq!(school.subject, "948876639", "a school under any owner type");
        assert_eq!((school.cell, school.n), (Cell::Suppressed, None));
        assert_eq!(records[3].as_ref().unwrap().location, Location::Record(4));
        assert!(
            records[4]
                .as_ref()
                .unwrap_err()
                .contains("record 5: EUIndeks_1379: value \"4,x\"")
        );
    }

    #[test]
    fn the_wide_csv_export_gives_a_record_per_field_with_a_rule() {
        let csv = "Organisasjonsnummer;EnhetNavn;TidID;Grunnskolepoeng;Standpunkt;AntallElever\r\n\
                   820819675;Sølvåsen skole ;202510;41,5;*;56\r\n\
                   820819675;Sølvåsen skole ;;41,5;4,1;56\r\n";
        let records = read(csv, &["Grunnskolepoeng", "Standpunkt"]);
        assert_eq!(records.len(), 3);
        let points = records[0].as_ref().unwrap();
        assert_eq!(
            (points.indicator.as_str(), points.cell, points.n),
            ("Grunnskolepoeng", Cell::Value(41.5), Some(56))
        );
        assert_eq!(records[1].as_ref().unwrap().cell, Cell::Suppressed);
        assert_eq!(records[2], Err("line 3: TidID is empty".into()));
        let none = read(csv, &[]);
        assert!(
            none[0]
                .as_ref()
                .unwrap_err()
                .contains("no Spoersmaalkode and no field")
        );
    }

    #[test]
    fn dotted_two_level_headers_give_each_indicator_its_value_and_n() {
        let csv = "Organisasjonsnummer\tTidID\tAntallElever\tEUIndeks_1379.Score\tEUIndeks_1379.AntallBesvart\tEUIndeks_1398.Verdi\tAnnet.Score\r\n\
                   820819675\t202510\t60\t4,4\t45\t1,3\t9";
        let records: Vec<Record> = read(csv, &["EUIndeks_1379", "EUIndeks_1398"])
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let seen: Vec<(&str, Cell, Option<i64>)> = records
            .iter()
            .map(|r| (r.indicator.as_str(), r.cell, r.n))
            .collect();
        assert_eq!(
            seen,
            [
                ("EUIndeks_1379", Cell::Value(4.4), Some(45)),
                ("EUIndeks_1398", Cell::Value(1.3), Some(60)),
            ],
            "its own n, else the row's; a header without a rule is no value"
        );
    }

    #[test]
    fn a_school_named_only_by_name_keeps_its_name_and_kommune() {
        let csv = "Kommunekode;Kommunenavn;Organisasjonsnummer;Skolenavn;TidID;Spoersmaalkode;Score\n\
                   3303;Kongsberg;;Sølvåsen skole ;202510;EUIndeks_1379;4,4\n\
                   1507;Ålesund (utgått);;;202210;EUIndeks_1379;4,0\n\
                   ;;;Fjell skole;202510;EUIndeks_1379;4,1\n";
        let records: Vec<Record> = read(csv, &[]).into_iter().map(Result::unwrap).collect();
        let seen: Vec<(&str, Option<&str>)> = records
            .iter()
            .map(|r| (r.subject.as_str(), r.school_name.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("3303", Some("Sølvåsen skole")),
                ("1507", None),
                ("", Some("Fjell skole")),
            ]
        );
    }
}

//! Varde's own CSV template for local registrations (documented in the README): one value per
//! row, read as a stream. Columns, by header name in any order:
//! `subject,indicator,school_year,group,value,n,suppressed,name` (`group`, `n`, `suppressed` and
//! `name` may be left out; `name` is for people reading the file and is not imported).

use std::io::{BufReader, Read};

use super::{
    Cell, ImportError, Issue, Location, Problem, Record,
    delimited::Rows,
    text::{Decoded, Encoding, parse_count, parse_number},
};

/// The template's columns: the required ones, then the optional ones.
const REQUIRED: [&str; 4] = ["subject", "indicator", "school_year", "value"];
const OPTIONAL: [&str; 4] = ["group", "n", "suppressed", "name"];

/// Where each column is in a file.
struct Columns {
    subject: usize,
    indicator: usize,
    school_year: usize,
    value: usize,
    group: Option<usize>,
    n: Option<usize>,
    suppressed: Option<usize>,
}

fn columns(header: &[String]) -> Result<Columns, ImportError> {
    let names: Vec<String> = header.iter().map(|name| name.to_lowercase()).collect();
    let find = |wanted: &str| names.iter().position(|name| name == wanted);
    if let Some((index, twice)) = names
        .iter()
        .enumerate()
        .find(|(index, name)| names[..*index].contains(name))
    {
        return Err(ImportError::Header(format!(
            "the column {twice:?} is given twice (column {})",
            index + 1
        )));
    }
    if let Some(unknown) = names
        .iter()
        .find(|name| !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()))
    {
        return Err(ImportError::Header(format!(
            "unknown column {unknown:?}; the template's columns are {} and optionally {}",
            REQUIRED.join(", "),
            OPTIONAL.join(", ")
        )));
    }
    let required = |wanted: &str| {
        find(wanted).ok_or_else(|| {
            ImportError::Header(format!(
                "the column {wanted:?} is missing; the header has {}",
                names.join(", ")
            ))
        })
    };
    Ok(Columns {
        subject: required("subject")?,
        indicator: required("indicator")?,
        school_year: required("school_year")?,
        value: required("value")?,
        group: find("group"),
        n: find("n"),
        suppressed: find("suppressed"),
    })
}

/// The rows of a template file, one [`Record`] (or the problem with it) at a time.
pub struct TemplateRecords<R> {
    rows: Rows<BufReader<Decoded<R>>>,
    columns: Columns,
}

impl<R: Read> TemplateRecords<R> {
    /// Reads the header of `input`; the rows follow as the iterator is driven.
    pub fn new(
        input: R,
        encoding: Option<Encoding>,
        separator: Option<u8>,
    ) -> Result<Self, ImportError> {
        let rows = Rows::open(BufReader::new(Decoded::new(input, encoding)?), separator)?;
        let columns = columns(&rows.header)?;
        Ok(Self { rows, columns })
    }

    fn record(&self, row: &csv::StringRecord, line: u64) -> Result<Record, Problem> {
        let location = Location::Line(line);
        let problem = |reason: String| Problem {
            location: location.clone(),
            reason,
        };
        let field = |index: usize| row.get(index).unwrap_or_default().trim();
        let optional = |index: Option<usize>| index.map(field).unwrap_or_default();
        let required = |index: usize, name: &str| {
            let text = field(index);
            if text.is_empty() {
                Err(problem(format!("{name} is empty")))
            } else {
                Ok(text.to_owned())
            }
        };
        let suppressed = match optional(self.columns.suppressed).to_lowercase().as_str() {
            "" | "false" | "nei" | "0" => false,
            "true" | "ja" | "1" => true,
            other => {
                return Err(problem(format!(
                    "suppressed {other:?} is not true or false (ja or nei)"
                )));
            }
        };
        let value = field(self.columns.value);
        let n = optional(self.columns.n);
        let cell = match (suppressed, value.is_empty()) {
            (true, false) => {
                return Err(problem(format!(
                    "a value ({value}) is given for a suppressed cell"
                )));
            }
            (true, true) if !n.is_empty() => {
                return Err(problem(format!("n ({n}) is given for a suppressed cell")));
            }
            (true, true) => Cell::Suppressed,
            (false, true) => Cell::Missing,
            (false, false) => Cell::Value(
                parse_number(value)
                    .map_err(|reason| problem(format!("value {value:?} is malformed: {reason}")))?,
            ),
        };
        let n = if n.is_empty() {
            None
        } else {
            Some(
                parse_count(n)
                    .map_err(|reason| problem(format!("n {n:?} is malformed: {reason}")))?,
            )
        };
        Ok(Record {
            location: location.clone(),
            subject: required(self.columns.subject, "subject")?,
            indicator: required(self.columns.indicator, "indicator")?,
            period: required(self.columns.school_year, "school_year")?,
            group: optional(self.columns.group).to_owned(),
            school_name: None,
            cell,
            n,
        })
    }
}

impl<R: Read> Iterator for TemplateRecords<R> {
    type Item = Result<Record, Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.rows.next()? {
            Ok((row, line)) => self.record(&row, line).map_err(Issue::Problem),
            Err(issue) => Err(issue),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Result<Record, String>> {
        TemplateRecords::new(bytes, None, None)
            .unwrap()
            .map(|item| item.map_err(|issue| issue.to_string()))
            .collect()
    }

    #[test]
    fn rows_are_read_whatever_the_separator_line_ends_and_number_style() {
        let files = [
            "subject;indicator;school_year;group;value;n\r\n879819334;ke_trivsel;2025;all;4,25;1 024\r\n879819334;ke_trivsel;2025;kjonn=jenter;;\r\n",
            "indicator,subject,value,school_year,n,group\n ke_trivsel ,879819334,4.25,2025,1024,all\nke_trivsel,879819334,,2025,,kjonn=jenter",
            "subject\tindicator\tschool_year\tgroup\tvalue\tn\n879819334\tke_trivsel\t2025\tall\t\"4,25\"\t1024\n879819334\tke_trivsel\t2025\tkjonn=jenter\t\t\n\n",
            "subject|indicator|school_year|group|value|n\n879819334|ke_trivsel|2025|all|4,25|1024\n879819334|ke_trivsel|2025|kjonn=jenter||\n",
        ];
        for file in files {
            let records: Vec<Record> = read(file.as_bytes())
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap_or_else(|error| panic!("{file:?}: {error}"));
            assert_eq!(records.len(), 2, "{file:?}");
            assert_eq!(records[0].subject, "879819334");
            assert_eq!(records[0].indicator, "ke_trivsel");
            assert_eq!(records[0].period, "2025");
            assert_eq!(records[0].cell, Cell::Value(4.25), "{file:?}");
            assert_eq!(records[0].n, Some(1024));
            assert_eq!(records[1].group, "kjonn=jenter");
            assert_eq!(records[1].cell, Cell::Missing);
            assert_eq!(records[1].location, Location::Line(3));
        }
    }

    #[test]
    fn bad_rows_are_problems_with_their_line_and_the_rest_is_still_read() {
        let file = "subject;indicator;school_year;value;n;suppressed\n\
                    879819334;ke_trivsel;2025;4,2x;12;\n\
                    879819334;ke_trivsel;2025;4,2;12;ja\n\
                    879819334;ke_trivsel;2025;;;ja\n\
                    879819334;ke_trivsel;2025;4;\n\
                    ;ke_trivsel;2025;4;9;\n";
        let results = read(file.as_bytes());
        assert_eq!(results.len(), 5);
        let error = |index: usize| results[index].clone().unwrap_err();
        assert!(
            error(0).starts_with("line 2: value \"4,2x\" is malformed"),
            "{}",
            error(0)
        );
        assert!(error(1).contains("line 3: a value (4,2) is given for a suppressed cell"));
        assert_eq!(results[2].clone().unwrap().cell, Cell::Suppressed);
        assert!(error(3).starts_with("line 5:"), "{}", error(3));
        assert!(
            error(4).contains("line 6: subject is empty"),
            "{}",
            error(4)
        );
    }

    #[test]
    fn a_header_without_the_templates_columns_is_refused() {
        let error = |file: &str| match TemplateRecords::new(file.as_bytes(), None, None) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("{file:?} was accepted"),
        };
        assert!(error("subject indicator value\n").contains("tried ; , tab and |"));
        assert!(error("subject;indicator;value\n").contains("\"school_year\" is missing"));
        assert!(error("subject;indicator;school_year;value;kommune\n").contains("\"kommune\""));
        assert!(error("subject;indicator;school_year;value;Value\n").contains("given twice"));
    }
}

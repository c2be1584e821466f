//! Eksport: flat rows for BI tools (Power BI, Excel, Tableau), as CSV in two dialects and as JSON
//! lines, with one stable set of columns for every kind of export (values, aggregates, colour
//! tables). Pure: rows in, bytes out; what goes into a row is decided by the GraphQL answer it is
//! flattened from.

use serde::Serialize;

/// The columns of every export, in order. Stable: BI reports bind to these names.
pub const COLUMNS: [&str; 15] = [
    "subject_level",
    "subject_id",
    "subject_code",
    "subject_name",
    "indicator_code",
    "indicator_name",
    "school_year",
    "group",
    "value",
    "n",
    "suppressed",
    "reason",
    "colour",
    "source",
    "last_updated",
];

/// One row of an export: one figure of one indicator for one subject, school year and group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    /// `UNIT`, `OWNER`, `COUNTY` or `NATION` (as the API's `SubjectLevel`), or `SELECTION` /
    /// `UNITS` for an aggregate over an utvalg or a chosen set of enheter.
    pub subject_level: String,
    /// The subject's global id (Relay); empty for the nation, a fylke or a set of enheter.
    pub subject_id: Option<String>,
    /// Organisasjonsnummer of an enhet, kommunenummer or fylkesnummer of a skoleeier,
    /// fylkesnummer of a fylke; empty otherwise.
    pub subject_code: Option<String>,
    pub subject_name: Option<String>,
    pub indicator_code: String,
    pub indicator_name: String,
    /// Skoleår by its first calendar year (2024 for 2024-25).
    pub school_year: i32,
    /// Gruppe: `all`, `trinn=7`, `kjonn=jenter`, `trinn=10;kjonn=gutter`.
    pub group: String,
    /// Empty when prikket (suppressed), not permitted or missing.
    pub value: Option<f64>,
    pub n: Option<i64>,
    pub suppressed: bool,
    /// Why the value is prikket (the API's `SuppressionReason`); empty when shown.
    pub reason: Option<String>,
    /// Farge (`GREEN`, `YELLOW`, `RED`, `NONE`) in colour tables; empty in other exports.
    pub colour: Option<String>,
    /// The data source's code.
    pub source: String,
    /// The data source's `lastUpdated` (RFC 3339); empty when never updated.
    pub last_updated: Option<String>,
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv(CsvDialect),
    /// JSON lines: one JSON object per row, keyed by the column names.
    JsonLines,
}

/// How a CSV export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvDialect {
    /// What Excel with Norwegian settings opens on a double click: UTF-8 with a byte-order mark,
    /// semicolons between fields, decimal commas.
    #[default]
    ExcelNorwegian,
    /// RFC 4180: commas between fields, decimal points, no byte-order mark.
    Comma,
}

impl ExportFormat {
    /// The media type of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv(_) => "text/csv; charset=utf-8",
            Self::JsonLines => "application/jsonl; charset=utf-8",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv(_) => "csv",
            Self::JsonLines => "jsonl",
        }
    }

    /// What comes before the first row: the byte-order mark and header line of a CSV file;
    /// nothing for JSON lines.
    pub fn preamble(self) -> Vec<u8> {
        match self {
            Self::Csv(dialect) => {
                let mut bytes = Vec::new();
                if dialect == CsvDialect::ExcelNorwegian {
                    bytes.extend_from_slice("\u{feff}".as_bytes());
                }
                write_csv(&mut bytes, dialect, [COLUMNS.map(String::from)]);
                bytes
            }
            Self::JsonLines => Vec::new(),
        }
    }

    /// The rows, encoded.
    pub fn encode(self, rows: &[ExportRow]) -> Vec<u8> {
        match self {
            Self::Csv(dialect) => {
                let mut bytes = Vec::new();
                write_csv(
                    &mut bytes,
                    dialect,
                    rows.iter().map(|row| csv_fields(row, dialect)),
                );
                bytes
            }
            Self::JsonLines => {
                let mut bytes = Vec::new();
                for row in rows {
                    // A row of strings, numbers and booleans always serializes.
                    if serde_json::to_writer(&mut bytes, row).is_ok() {
                        bytes.push(b'\n');
                    }
                }
                bytes
            }
        }
    }
}

fn write_csv<I, R>(bytes: &mut Vec<u8>, dialect: CsvDialect, records: I)
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
    R::Item: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .delimiter(match dialect {
            CsvDialect::ExcelNorwegian => b';',
            CsvDialect::Comma => b',',
        })
        .terminator(csv::Terminator::CRLF)
        .from_writer(bytes);
    for record in records {
        // Writing to memory cannot fail.
        let _ = writer.write_record(record);
    }
    let _ = writer.flush();
}

/// A number as the dialect writes it: the shortest form that reads back as the same number, with
/// a decimal comma for Norwegian Excel.
pub fn format_number(number: f64, dialect: CsvDialect) -> String {
    let text = number.to_string();
    match dialect {
        CsvDialect::ExcelNorwegian => text.replace('.', ","),
        CsvDialect::Comma => text,
    }
}

fn csv_fields(row: &ExportRow, dialect: CsvDialect) -> [String; 15] {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    [
        row.subject_level.clone(),
        text(&row.subject_id),
        text(&row.subject_code),
        text(&row.subject_name),
        row.indicator_code.clone(),
        row.indicator_name.clone(),
        row.school_year.to_string(),
        row.group.clone(),
        row.value
            .map(|value| format_number(value, dialect))
            .unwrap_or_default(),
        row.n.map(|n| n.to_string()).unwrap_or_default(),
        row.suppressed.to_string(),
        text(&row.reason),
        text(&row.colour),
        row.source.clone(),
        text(&row.last_updated),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: Option<f64>, name: &str) -> ExportRow {
        ExportRow {
            subject_level: "UNIT".into(),
            subject_id: Some("VW5pdDox".into()),
            subject_code: Some("974543326".into()),
            subject_name: Some(name.into()),
            indicator_code: "eu_trivsel".into(),
            indicator_name: "Trivsel".into(),
            school_year: 2024,
            group: "trinn=7".into(),
            value,
            n: value.map(|_| 41),
            suppressed: value.is_none(),
            reason: value.is_none().then(|| "BELOW_THRESHOLD".into()),
            colour: None,
            source: "udir_elevundersokelsen".into(),
            last_updated: Some("2025-03-01T00:00:00Z".into()),
        }
    }

    #[test]
    fn norwegian_excel_gets_a_bom_semicolons_and_decimal_commas() {
        let format = ExportFormat::Csv(CsvDialect::ExcelNorwegian);
        let mut bytes = format.preamble();
        bytes.extend(format.encode(&[row(Some(4.25), "Skole; med \"semikolon\"")]));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("\u{feff}subject_level;subject_id;"));
        assert!(text.contains(";trinn=7;4,25;41;false;;;udir_elevundersokelsen;"));
        assert!(text.contains(";\"Skole; med \"\"semikolon\"\"\";"));
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn the_comma_dialect_has_decimal_points_and_no_bom() {
        let format = ExportFormat::Csv(CsvDialect::Comma);
        let mut bytes = format.preamble();
        bytes.extend(format.encode(&[row(Some(4.25), "Skole"), row(None, "Skole")]));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("subject_level,subject_id,"));
        assert!(text.contains(",trinn=7,4.25,41,false,,,"));
        assert!(text.contains(",trinn=7,,,true,BELOW_THRESHOLD,,"));
    }

    #[test]
    fn json_lines_hold_one_object_per_row_with_nulls() {
        let bytes = ExportFormat::JsonLines.encode(&[row(None, "Skole")]);
        let text = String::from_utf8(bytes).unwrap();
        let object: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(object["value"], serde_json::Value::Null);
        assert_eq!(object["reason"], "BELOW_THRESHOLD");
        let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
        assert_eq!(keys, COLUMNS);
    }
}

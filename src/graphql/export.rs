//! Eksport and utskrift: flat exports of indikatorverdier, aggregater and fargetabeller for BI
//! tools, and the printable fargetabell, all made by running an analysis query of this schema for
//! the caller and flattening its answer. So an export passes exactly the resolvers, the scoped
//! reader and the disclosure rules a GraphQL client passes, and can never hold a figure the same
//! caller would not get from GraphQL.
//!
//! An export is asked for by URL (`GET /export/values.csv?owner=3303&schoolYear=2024`, see
//! [`ExportRequest`]); `Query.exportUrl` gives such a URL signed for the caller, valid for a few
//! minutes, for clients that cannot send a bearer token. Values are read a page at a time, so a
//! large export is streamed with memory flat in its row count.

use async_graphql::{Context, Enum, ID, InputObject, Object, OneofObject, SimpleObject};
use serde_json::{Value, json};

use super::{
    ErrorCode, GraphqlService, MAX_PAGE_SIZE,
    error::{ApiError, ApiResult},
    objects::{primary, principal},
};
use crate::{
    auth::{self, Principal},
    domain::{self, CsvDialect, ExportFormat, ExportRow},
};

/// What an export holds.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// Indikatorverdier as published, of a skoleeier, an enhet or an utvalg's members (paged,
    /// streamed).
    Values,
    /// Aggregater of a skoleeier, an utvalg, a set of enheter or the nation.
    Aggregates,
    /// Fargetabell: each enhet's cell per indikator with its colour, and the reference rows.
    ColourTable,
}

impl ExportKind {
    fn path_name(self) -> &'static str {
        match self {
            Self::Values => "values",
            Self::Aggregates => "aggregates",
            Self::ColourTable => "colour-table",
        }
    }
}

/// The file an export link gives.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFileFormat {
    /// CSV in the chosen `dialect`.
    Csv,
    /// JSON lines: one JSON object per row.
    JsonLines,
    /// The printable page (fargetabell only): HTML with print CSS.
    Html,
    /// The printable page as PDF (fargetabell only), printed by headless Chromium on the server.
    Pdf,
}

/// How a CSV export is written.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportDialect {
    /// Norsk Excel: UTF-8 with BOM, semicolons, decimal commas.
    #[default]
    ExcelNorwegian,
    /// RFC 4180: commas and decimal points, no BOM.
    Comma,
}

/// Whose figures an export holds, named by the identifiers BI tools already have.
#[derive(OneofObject, Clone, Debug)]
pub enum ExportSubjectRef {
    /// Skoleeier by kommunenummer or fylkesnummer.
    OwnerCode(String),
    /// Enhet by organisasjonsnummer (values only).
    OrgNumber(String),
    /// Utvalg (selection) by global id.
    Selection(ID),
    /// A set of enheter by organisasjonsnummer (aggregates and colour tables).
    OrgNumbers(Vec<String>),
    /// Nasjonalt: `true` (aggregates only).
    Nation(bool),
}

/// An export or a printable fargetabell to link to: the same choices as the URL parameters of
/// `/export/...` and `/print/colour-table`.
#[derive(InputObject, Clone, Debug)]
pub struct ExportInput {
    /// What the export holds.
    kind: ExportKind,
    /// The file: CSV, JSON lines, or (fargetabell only) the printable HTML page or its PDF.
    format: ExportFileFormat,
    /// CSV dialect; Norwegian Excel when absent.
    #[graphql(default)]
    dialect: ExportDialect,
    /// Whose figures.
    subject: ExportSubjectRef,
    /// Codes of the indikatorer, in order; a set. Needed for aggregates and colour tables; empty
    /// for every indikator in a values export.
    #[graphql(default)]
    indicators: Vec<String>,
    /// Skoleår (2024 for 2024-25): exactly one for aggregates and colour tables; any number for
    /// values (none: every year, or an utvalg's own).
    #[graphql(default)]
    school_years: Vec<i32>,
    /// Gruppe; everyone when absent (values: every group when absent).
    group: Option<super::inputs::GroupInput>,
}

/// A signed, short-lived link to an export or a printable fargetabell.
#[derive(SimpleObject)]
pub struct ExportLink {
    /// Path and query of the link, relative to this server (prefix the address the API is
    /// reached at). Whoever has it acts as the caller who asked for it until `expiresAt`.
    url: String,
    /// When the link stops working.
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// The export root field.
#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// Eksportlenke: a signed download URL for an export (CSV or JSON lines) or a printable
    /// fargetabell (HTML or PDF), valid for a few minutes, for tools that cannot send a bearer
    /// token. The link acts as the caller, with the roles the caller holds when it is followed, so
    /// it holds exactly what the caller's own GraphQL query would.
    async fn export_url(&self, ctx: &Context<'_>, input: ExportInput) -> ApiResult<ExportLink> {
        let (path, request) = ExportRequest::from_input(&input)?;
        let (url, expires) = auth::sign_link(primary(ctx), principal(ctx), &path, &request.query())
            .await
            .map_err(|error| match error {
                auth::AuthError::Store(store) => ApiError::from(store),
                other => ApiError::BadUserInput(other.to_string()),
            })?;
        Ok(ExportLink {
            url,
            expires_at: chrono::DateTime::from_timestamp(expires, 0).unwrap_or_default(),
        })
    }
}

/// Whose figures, as the URL names them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    Owner(String),
    Unit(String),
    Selection(String),
    Units(Vec<String>),
    Nation,
}

/// One export or print asked for by URL parameters:
///
/// - whose: `owner=KOMMUNENUMMER`, `unit=ORGANISASJONSNUMMER` (values), `selection=GLOBAL_ID`,
///   `units=ORGNR,ORGNR` (aggregates, colour tables) or `nation=true` (aggregates);
/// - `indicators=CODE,CODE` (repeatable), `schoolYear=2024` (repeatable or comma-separated for
///   values), `grade=7`, `gender=girls|boys`;
/// - `dialect=excel-no|comma` for CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRequest {
    pub kind: ExportKind,
    /// The file format; the print page ignores it.
    pub format: ExportFormat,
    subject: Subject,
    indicators: Vec<String>,
    school_years: Vec<i32>,
    grade: Option<i32>,
    gender: Option<domain::Gender>,
}

/// A bad parameter: always the caller's to fix.
fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadUserInput(message.into())
}

fn list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
}

impl ExportRequest {
    /// Parses an export file name (`values.csv`, `colour-table.jsonl`) and its parameters.
    /// `sig`, `expires` and `as` belong to a signed link and are checked elsewhere.
    pub fn parse_export(file: &str, pairs: &[(String, String)]) -> ApiResult<Self> {
        let (kind, extension) = file.rsplit_once('.').ok_or_else(|| {
            bad("name the file: /export/values.csv, /export/aggregates.jsonl, ...")
        })?;
        let kind = match kind {
            "values" => ExportKind::Values,
            "aggregates" => ExportKind::Aggregates,
            "colour-table" => ExportKind::ColourTable,
            other => {
                return Err(bad(format!(
                    "unknown export {other:?}: values, aggregates or colour-table"
                )));
            }
        };
        let dialect = match pairs.iter().find(|(key, _)| key == "dialect") {
            None => CsvDialect::ExcelNorwegian,
            Some((_, value)) => match value.as_str() {
                "excel-no" => CsvDialect::ExcelNorwegian,
                "comma" => CsvDialect::Comma,
                other => {
                    return Err(bad(format!(
                        "unknown dialect {other:?}: excel-no (semicolons, decimal commas, BOM) or comma"
                    )));
                }
            },
        };
        let format = match extension {
            "csv" => ExportFormat::Csv(dialect),
            "jsonl" => ExportFormat::JsonLines,
            other => return Err(bad(format!("unknown format {other:?}: csv or jsonl"))),
        };
        Self::parse(kind, format, pairs)
    }

    /// Parses the parameters of the printable fargetabell.
    pub fn parse_print(pairs: &[(String, String)]) -> ApiResult<Self> {
        Self::parse(ExportKind::ColourTable, ExportFormat::JsonLines, pairs)
    }

    fn parse(
        kind: ExportKind,
        format: ExportFormat,
        pairs: &[(String, String)],
    ) -> ApiResult<Self> {
        let mut subjects = Vec::new();
        let mut indicators = Vec::new();
        let mut school_years = Vec::new();
        let (mut grade, mut gender) = (None, None);
        for (key, value) in pairs {
            match key.as_str() {
                "owner" => subjects.push(Subject::Owner(value.trim().to_owned())),
                "unit" => subjects.push(Subject::Unit(value.trim().to_owned())),
                "selection" => subjects.push(Subject::Selection(value.trim().to_owned())),
                "units" => subjects.push(Subject::Units(list(value).collect())),
                "nation" if value == "true" => subjects.push(Subject::Nation),
                "nation" => return Err(bad("give nation=true for the national aggregate")),
                "indicators" => indicators.extend(list(value)),
                "schoolYear" => {
                    for year in list(value) {
                        school_years.push(year.parse().map_err(|_| {
                            bad(format!("schoolYear {year:?} is not a year such as 2024"))
                        })?);
                    }
                }
                "grade" => {
                    grade = Some(
                        value
                            .trim()
                            .parse()
                            .map_err(|_| bad(format!("grade {value:?} is not a trinn 1-13")))?,
                    );
                }
                "gender" => {
                    gender = Some(match value.as_str() {
                        "girls" => domain::Gender::Girls,
                        "boys" => domain::Gender::Boys,
                        other => return Err(bad(format!("gender {other:?}: girls or boys"))),
                    });
                }
                "dialect" | "sig" | "expires" | "as" => {}
                other => {
                    return Err(bad(format!(
                        "unknown parameter {other:?}; the README lists an export's parameters"
                    )));
                }
            }
        }
        let [subject] = <[Subject; 1]>::try_from(subjects)
            .map_err(|_| bad("name exactly one of owner, unit, selection, units or nation"))?;
        let request = Self {
            kind,
            format,
            subject,
            indicators,
            school_years,
            grade,
            gender,
        };
        request.check()?;
        Ok(request)
    }

    /// The request a GraphQL `ExportInput` names, and the path of its link.
    fn from_input(input: &ExportInput) -> ApiResult<(String, Self)> {
        let dialect = match input.dialect {
            ExportDialect::ExcelNorwegian => CsvDialect::ExcelNorwegian,
            ExportDialect::Comma => CsvDialect::Comma,
        };
        let kind = input.kind.path_name();
        let (path, format) = match input.format {
            ExportFileFormat::Csv => (format!("/export/{kind}.csv"), ExportFormat::Csv(dialect)),
            ExportFileFormat::JsonLines => {
                (format!("/export/{kind}.jsonl"), ExportFormat::JsonLines)
            }
            ExportFileFormat::Html | ExportFileFormat::Pdf
                if input.kind != ExportKind::ColourTable =>
            {
                return Err(bad(
                    "only a fargetabell (COLOUR_TABLE) has a printable page",
                ));
            }
            ExportFileFormat::Html => ("/print/colour-table".into(), ExportFormat::JsonLines),
            ExportFileFormat::Pdf => ("/print/colour-table.pdf".into(), ExportFormat::JsonLines),
        };
        let subject = match &input.subject {
            ExportSubjectRef::OwnerCode(code) => Subject::Owner(code.clone()),
            ExportSubjectRef::OrgNumber(number) => Subject::Unit(number.clone()),
            ExportSubjectRef::Selection(id) => Subject::Selection(id.to_string()),
            ExportSubjectRef::OrgNumbers(numbers) => Subject::Units(numbers.clone()),
            ExportSubjectRef::Nation(true) => Subject::Nation,
            ExportSubjectRef::Nation(false) => {
                return Err(bad("`nation: false` names nothing; give `nation: true`"));
            }
        };
        let (grade, gender) = match &input.group {
            Some(group) => {
                let group = group.to_group()?;
                (group.grade.map(i32::from), group.gender)
            }
            None => (None, None),
        };
        let request = Self {
            kind: input.kind,
            format,
            subject,
            indicators: input.indicators.clone(),
            school_years: input.school_years.clone(),
            grade,
            gender,
        };
        request.check()?;
        Ok((path, request))
    }

    /// The combinations that make sense; the rest is checked by the GraphQL query itself.
    fn check(&self) -> ApiResult<()> {
        let subject_fits = match self.kind {
            ExportKind::Values => matches!(
                self.subject,
                Subject::Owner(_) | Subject::Unit(_) | Subject::Selection(_)
            ),
            ExportKind::Aggregates => !matches!(self.subject, Subject::Unit(_)),
            ExportKind::ColourTable => !matches!(self.subject, Subject::Unit(_) | Subject::Nation),
        };
        if !subject_fits {
            return Err(bad(match self.kind {
                ExportKind::Values => "a values export is of an owner, a unit or a selection",
                ExportKind::Aggregates => {
                    "an aggregates export is of an owner, a selection, units or the nation"
                }
                ExportKind::ColourTable => {
                    "a colour table's rows are an owner's, a selection's or a set of units"
                }
            }));
        }
        if self.kind != ExportKind::Values {
            if self.school_years.len() != 1 {
                return Err(bad("give exactly one schoolYear"));
            }
            if self.indicators.is_empty() {
                return Err(bad(
                    "give the indicators, e.g. indicators=eu_trivsel,np_lesing_5",
                ));
            }
        }
        Ok(())
    }

    /// The request as URL parameters, in a fixed order (the query string of a link).
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        match &self.subject {
            Subject::Owner(code) => pairs.push(("owner", code.clone())),
            Subject::Unit(number) => pairs.push(("unit", number.clone())),
            Subject::Selection(id) => pairs.push(("selection", id.clone())),
            Subject::Units(numbers) => pairs.push(("units", numbers.join(","))),
            Subject::Nation => pairs.push(("nation", "true".into())),
        }
        if !self.indicators.is_empty() {
            pairs.push(("indicators", self.indicators.join(",")));
        }
        if !self.school_years.is_empty() {
            let years: Vec<String> = self.school_years.iter().map(i32::to_string).collect();
            pairs.push(("schoolYear", years.join(",")));
        }
        if let Some(grade) = self.grade {
            pairs.push(("grade", grade.to_string()));
        }
        if let Some(gender) = self.gender {
            let gender = match gender {
                domain::Gender::Girls => "girls",
                domain::Gender::Boys => "boys",
            };
            pairs.push(("gender", gender.into()));
        }
        if let ExportFormat::Csv(CsvDialect::Comma) = self.format {
            pairs.push(("dialect", "comma".into()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The group as GraphQL's `GroupInput`, or null.
    fn group(&self) -> Value {
        if self.grade.is_none() && self.gender.is_none() {
            return Value::Null;
        }
        let gender = self.gender.map(|gender| match gender {
            domain::Gender::Girls => "GIRLS",
            domain::Gender::Boys => "BOYS",
        });
        json!({ "grade": self.grade, "gender": gender })
    }

    /// The group's canonical code (`all`, `trinn=7`), for rows whose answer does not carry it.
    fn group_code(&self) -> ApiResult<String> {
        Ok(domain::ValueGroup::new(self.grade, self.gender)?.code())
    }

    fn units(numbers: &[String]) -> Value {
        Value::Array(
            numbers
                .iter()
                .map(|number| json!({ "orgNumber": number }))
                .collect(),
        )
    }

    /// The document and variables of one page (values) or of the whole answer.
    fn document(&self, after: Option<&str>) -> ApiResult<(String, Value)> {
        let year = self.school_years.first().copied();
        Ok(match self.kind {
            ExportKind::Values => {
                let (root, by_type, by) = match &self.subject {
                    Subject::Owner(code) => {
                        ("owner(by: $by)", "OwnerRef!", json!({ "code": code }))
                    }
                    Subject::Unit(number) => {
                        ("unit(by: $by)", "UnitRef!", json!({ "orgNumber": number }))
                    }
                    Subject::Selection(id) => ("selection(id: $by)", "ID!", json!(id)),
                    Subject::Units(_) | Subject::Nation => {
                        return Err(bad("a values export is of an owner, a unit or a selection"));
                    }
                };
                let mut filter = json!({
                    "indicators": self.indicators,
                    "schoolYears": self.school_years,
                });
                if !self.group().is_null() {
                    filter["group"] = self.group();
                }
                (
                    format!(
                        "query ExportValues($by: {by_type}, $filter: ValueFilterInput, $first: Int!, $after: String) {{
                          subject: {root} {{ values(filter: $filter, first: $first, after: $after) {{
                            pageInfo {{ hasNextPage endCursor }}
                            edges {{ node {{ subjectLevel unit {{ id orgNumber name }} owner {{ id code name }} countyNumber
                              {INDICATOR} schoolYear {{ year }} group {{ code }} {FIGURE} }} }} }} }} }}"
                    ),
                    json!({ "by": by, "filter": filter, "first": MAX_PAGE_SIZE, "after": after }),
                )
            }
            ExportKind::Aggregates => {
                let (subject, about) = match &self.subject {
                    Subject::Owner(code) => (
                        json!({ "owner": { "code": code } }),
                        format!(
                            "about: owner(by: {{code: {}}}) {{ id code name }}",
                            json!(code)
                        ),
                    ),
                    Subject::Selection(id) => (
                        json!({ "selection": id }),
                        format!("about: selection(id: {}) {{ id name }}", json!(id)),
                    ),
                    Subject::Units(numbers) => {
                        (json!({ "units": Self::units(numbers) }), String::new())
                    }
                    Subject::Nation => (json!({ "nation": true }), String::new()),
                    Subject::Unit(_) => {
                        return Err(bad("an aggregate is not of one unit; give units="));
                    }
                };
                (
                    format!(
                        "query ExportAggregates($subject: SubjectRef!, $indicators: [String!]!, $schoolYear: Int!, $group: GroupInput) {{
                          aggregate(subject: $subject, indicators: $indicators, schoolYear: $schoolYear, group: $group) {{
                            {INDICATOR} schoolYear {{ year }} {FIGURE} }}
                          {about} }}"
                    ),
                    json!({ "subject": subject, "indicators": self.indicators, "schoolYear": year, "group": self.group() }),
                )
            }
            ExportKind::ColourTable => {
                let rows = match &self.subject {
                    Subject::Owner(code) => json!({ "owner": { "code": code } }),
                    Subject::Selection(id) => json!({ "selection": id }),
                    Subject::Units(numbers) => json!({ "units": Self::units(numbers) }),
                    Subject::Unit(_) | Subject::Nation => {
                        return Err(bad(
                            "a colour table's rows are an owner's, a selection's or a set of units",
                        ));
                    }
                };
                let cells = format!("cells {{ {INDICATOR} {FIGURE} colour }}");
                (
                    format!(
                        "query ExportColourTable($rows: UnitSetRef!, $schoolYear: Int!, $indicators: [String!]!, $group: GroupInput) {{
                          colourTable(rows: $rows, schoolYear: $schoolYear, indicators: $indicators, group: $group) {{
                            schoolYear {{ year }} group
                            rows {{ unit {{ id orgNumber name }} {cells} }}
                            ownerRow {{ label owner {{ id code name }} {cells} }}
                            nationRow {{ label {cells} }} }} }}"
                    ),
                    json!({ "rows": rows, "schoolYear": year, "indicators": self.indicators, "group": self.group() }),
                )
            }
        })
    }
}

const INDICATOR: &str = "indicator { code name source { code lastUpdated } }";
const FIGURE: &str = "value n suppressed suppressionReason";

/// An export the API refused: the code and message of its first error.
#[derive(Debug, Clone)]
pub struct ExportRefusal {
    pub code: ErrorCode,
    pub message: String,
}

impl From<ApiError> for ExportRefusal {
    fn from(error: ApiError) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

/// One page of an export's rows, and the cursor of the next page when there is one.
pub struct ExportPage {
    pub rows: Vec<ExportRow>,
    pub next: Option<String>,
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A row's indicator, figure and source columns from an answer object holding `indicator`,
/// `value`, `n`, `suppressed`, `suppressionReason` (and `colour`).
fn figure_row(subject: [Option<String>; 4], figure: &Value, year: i32, group: &str) -> ExportRow {
    let [level, id, code, name] = subject;
    let indicator = &figure["indicator"];
    ExportRow {
        subject_level: level.unwrap_or_default(),
        subject_id: id,
        subject_code: code,
        subject_name: name,
        indicator_code: text(&indicator["code"]).unwrap_or_default(),
        indicator_name: text(&indicator["name"]).unwrap_or_default(),
        school_year: year,
        group: group.to_owned(),
        value: figure["value"].as_f64(),
        n: figure["n"].as_i64(),
        suppressed: figure["suppressed"].as_bool().unwrap_or(false),
        reason: text(&figure["suppressionReason"]),
        colour: text(&figure["colour"]),
        source: text(&indicator["source"]["code"]).unwrap_or_default(),
        last_updated: text(&indicator["source"]["lastUpdated"]),
    }
}

fn year_of(value: &Value) -> i32 {
    value["year"]
        .as_i64()
        .and_then(|year| i32::try_from(year).ok())
        .unwrap_or_default()
}

fn subject_of(level: &str, object: &Value, code_field: &str) -> [Option<String>; 4] {
    [
        Some(level.to_owned()),
        text(&object["id"]),
        text(&object[code_field]),
        text(&object["name"]),
    ]
}

impl ExportRequest {
    /// Flattens an answer (its `data`) into rows.
    fn rows(&self, data: &Value) -> ApiResult<ExportPage> {
        match self.kind {
            ExportKind::Values => {
                let values = &data["subject"]["values"];
                if data["subject"].is_null() {
                    return Err(ApiError::NotFound(
                        "nothing has the owner code, organisation number or selection id given"
                            .into(),
                    ));
                }
                let rows = values["edges"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|edge| {
                        let node = &edge["node"];
                        let level = node["subjectLevel"].as_str().unwrap_or_default();
                        let subject = match level {
                            "UNIT" => subject_of(level, &node["unit"], "orgNumber"),
                            "OWNER" => subject_of(level, &node["owner"], "code"),
                            _ => [
                                Some(level.to_owned()),
                                None,
                                text(&node["countyNumber"]),
                                None,
                            ],
                        };
                        let group = node["group"]["code"].as_str().unwrap_or_default();
                        figure_row(subject, node, year_of(&node["schoolYear"]), group)
                    })
                    .collect();
                let more = values["pageInfo"]["hasNextPage"].as_bool() == Some(true);
                Ok(ExportPage {
                    rows,
                    next: more
                        .then(|| text(&values["pageInfo"]["endCursor"]))
                        .flatten(),
                })
            }
            ExportKind::Aggregates => {
                let group = self.group_code()?;
                let subject = match &self.subject {
                    Subject::Owner(_) if data["about"].is_null() => {
                        return Err(ApiError::NotFound("no owner has that code".into()));
                    }
                    Subject::Owner(_) => subject_of("OWNER", &data["about"], "code"),
                    Subject::Selection(_) => subject_of("SELECTION", &data["about"], "code"),
                    Subject::Units(numbers) => {
                        [Some("UNITS".into()), None, Some(numbers.join(" ")), None]
                    }
                    Subject::Nation | Subject::Unit(_) => {
                        [Some("NATION".into()), None, None, Some("Nasjonalt".into())]
                    }
                };
                let rows = data["aggregate"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|figure| {
                        figure_row(
                            subject.clone(),
                            figure,
                            year_of(&figure["schoolYear"]),
                            &group,
                        )
                    })
                    .collect();
                Ok(ExportPage { rows, next: None })
            }
            ExportKind::ColourTable => {
                let table = &data["colourTable"];
                let year = year_of(&table["schoolYear"]);
                let group = table["group"].as_str().unwrap_or_default();
                let mut rows = Vec::new();
                let mut push = |subject: [Option<String>; 4], row: &Value| {
                    for cell in row["cells"].as_array().into_iter().flatten() {
                        rows.push(figure_row(subject.clone(), cell, year, group));
                    }
                };
                for row in table["rows"].as_array().into_iter().flatten() {
                    push(subject_of("UNIT", &row["unit"], "orgNumber"), row);
                }
                let owner_row = &table["ownerRow"];
                if !owner_row.is_null() {
                    push(subject_of("OWNER", &owner_row["owner"], "code"), owner_row);
                }
                let nation_row = &table["nationRow"];
                push(
                    [
                        Some("NATION".into()),
                        None,
                        None,
                        text(&nation_row["label"]),
                    ],
                    nation_row,
                );
                Ok(ExportPage { rows, next: None })
            }
        }
    }
}

impl GraphqlService {
    /// Runs one page of `request` (the page after `after`; the whole answer for aggregates and
    /// colour tables) for `principal`, through the same schema, limits and resolvers as any
    /// GraphQL request, and flattens the answer. Any error in the answer refuses the export: an
    /// export is whole or nothing.
    pub async fn export_page(
        &self,
        principal: &Principal,
        request: &ExportRequest,
        after: Option<&str>,
    ) -> Result<ExportPage, ExportRefusal> {
        let (document, variables) = request.document(after)?;
        let outcome = self
            .execute(
                async_graphql::Request::new(document)
                    .variables(async_graphql::Variables::from_json(variables)),
                principal.clone(),
            )
            .await;
        if let Some(error) = outcome.response.errors.first() {
            let code = error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get("code"))
                .and_then(|code| match code {
                    async_graphql::Value::String(code) => ErrorCode::ALL
                        .into_iter()
                        .find(|known| known.as_str() == code),
                    _ => None,
                })
                .unwrap_or(ErrorCode::Internal);
            return Err(ExportRefusal {
                code,
                message: error.message.clone(),
            });
        }
        let data = outcome
            .response
            .data
            .into_json()
            .map_err(|_| ExportRefusal {
                code: ErrorCode::Internal,
                message: super::INTERNAL_MESSAGE.into(),
            })?;
        Ok(request.rows(&data)?)
    }
}

//! The printable fargetabell: an HTML page with print CSS, readable in black and white (each
//! colour class has its own symbol beside its tint), and its PDF, printed by headless Chromium.

use std::{path::Path, time::Duration};

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

use crate::domain::{CsvDialect, ExportRow, format_number};

/// One cell of the printed table.
#[derive(Debug, Clone)]
pub struct Cell {
    value: Option<f64>,
    n: Option<i64>,
    suppressed: bool,
    reason: Option<String>,
    colour: Option<String>,
}

/// One row: an enhet, the skoleeier or the nation.
#[derive(Debug, Clone)]
pub struct Row {
    level: String,
    code: Option<String>,
    name: String,
    cells: Vec<Cell>,
}

/// A fargetabell as printed: indikatorer across, rows down.
#[derive(Debug, Clone, Default)]
pub struct Table {
    school_year: i32,
    group: String,
    /// Code and name of each indikator, in order.
    columns: Vec<(String, String)>,
    rows: Vec<Row>,
}

impl Table {
    /// Regroups a colour-table export's rows (one per row and indikator, in table order).
    pub fn from_rows(rows: &[ExportRow]) -> Self {
        let mut table = Self::default();
        for row in rows {
            table.school_year = row.school_year;
            table.group.clone_from(&row.group);
            if !table
                .columns
                .iter()
                .any(|(code, _)| *code == row.indicator_code)
            {
                table
                    .columns
                    .push((row.indicator_code.clone(), row.indicator_name.clone()));
            }
            let name = row.subject_name.clone().unwrap_or_default();
            let same = table.rows.last().is_some_and(|last: &Row| {
                last.level == row.subject_level
                    && last.code == row.subject_code
                    && last.name == name
            });
            if !same {
                table.rows.push(Row {
                    level: row.subject_level.clone(),
                    code: row.subject_code.clone(),
                    name,
                    cells: Vec::new(),
                });
            }
            if let Some(last) = table.rows.last_mut() {
                last.cells.push(Cell {
                    value: row.value,
                    n: row.n,
                    suppressed: row.suppressed,
                    reason: row.reason.clone(),
                    colour: row.colour.clone(),
                });
            }
        }
        table
    }
}

/// The print style sheet; its hash is the page's only `style-src`.
const STYLE: &str = "
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 10pt; color: #000; margin: 0; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
p.meta { margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.3mm solid #444; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
td.cell { text-align: right; white-space: nowrap; }
tr.reference td { font-weight: bold; border-top: 0.6mm solid #000; }
.GREEN { background: #c8e6c9; }
.YELLOW { background: #fff3b0; }
.RED { background: #f8c4c4; }
.symbol { display: inline-block; width: 4mm; text-align: center; font-weight: bold; }
.legend { margin-top: 4mm; }
.legend span { margin-right: 6mm; padding: 0.6mm 1.6mm; border: 0.3mm solid #444; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
";

/// The symbol printed beside each colour class, so that a black-and-white copy keeps the colours.
fn symbol(colour: Option<&str>) -> &'static str {
    match colour {
        Some("GREEN") => "▲",
        Some("YELLOW") => "◆",
        Some("RED") => "▼",
        _ => "",
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The page's Content-Security-Policy: nothing but its own style sheet.
fn policy() -> String {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
}

fn cell_html(cell: &Cell) -> String {
    let colour = cell.colour.as_deref().filter(|colour| *colour != "NONE");
    let class = colour
        .map(|colour| format!(" {colour}"))
        .unwrap_or_default();
    let content = match (cell.value, cell.suppressed) {
        (Some(value), false) => {
            let n = cell
                .n
                .map(|n| format!(" <small>(n={n})</small>"))
                .unwrap_or_default();
            format!(
                "<span class=\"symbol\">{}</span>{}{n}",
                symbol(colour),
                format_number(value, CsvDialect::ExcelNorwegian)
            )
        }
        (_, true) if cell.reason.as_deref() == Some("NOT_PERMITTED") => "ingen tilgang".into(),
        (_, true) => "* prikket".into(),
        (None, false) => "–".into(),
    };
    format!("<td class=\"cell{class}\">{content}</td>")
}

/// The page as HTML.
pub fn html(table: &Table) -> String {
    let owner = table.rows.iter().find(|row| row.level == "OWNER");
    let title = match owner {
        Some(owner) => format!("Fargetabell: {}", owner.name),
        None => "Fargetabell".to_owned(),
    };
    let year = table.school_year;
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"nb\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <h1>{title}</h1><p class=\"meta\">Skoleår {year}-{next:02} · gruppe {group}</p>\
         <table><thead><tr><th>Enhet</th>",
        policy = escape(&policy()),
        title = escape(&title),
        next = (year + 1) % 100,
        group = escape(&table.group),
    );
    for (code, name) in &table.columns {
        html.push_str(&format!(
            "<th>{}<br><small>{}</small></th>",
            escape(name),
            escape(code)
        ));
    }
    html.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        let class = if row.level == "UNIT" {
            ""
        } else {
            " class=\"reference\""
        };
        let code = row
            .code
            .as_deref()
            .map(|code| format!(" <small>{}</small>", escape(code)))
            .unwrap_or_default();
        html.push_str(&format!("<tr{class}><td>{}{code}</td>", escape(&row.name)));
        for cell in &row.cells {
            html.push_str(&cell_html(cell));
        }
        html.push_str("</tr>");
    }
    html.push_str(
        "</tbody></table><p class=\"legend\"><span class=\"GREEN\">▲ grønn: godt</span>\
         <span class=\"YELLOW\">◆ gul: middels</span><span class=\"RED\">▼ rød: svakt</span>\
         <span>* prikket: for få svar</span><span>– ingen verdi</span></p></body></html>\n",
    );
    html
}

/// The page as an HTTP answer, under its Content-Security-Policy.
pub fn page(table: &Table) -> Response {
    let mut response = html(table).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(&policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Longest a print may take.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

/// Prints `html` to PDF with headless Chromium: the page is written to a fresh temporary folder
/// (with the browser's profile), printed with every host name unresolvable, and the folder removed.
/// The browser runs without its sandbox, which needs privileges containers seldom grant; the page
/// is Varde's own, without scripts, and may load nothing.
pub async fn to_pdf(chromium: &Path, html: &str) -> Result<Vec<u8>, String> {
    let dir = std::env::temp_dir().join(format!("varde-print-{}", crate::auth::random_token()));
    tokio::fs::create_dir(&dir)
        .await
        .map_err(|error| format!("temporary folder: {error}"))?;
    let result = print_in(chromium, html, &dir).await;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    result
}

async fn print_in(chromium: &Path, html: &str, dir: &Path) -> Result<Vec<u8>, String> {
    let page = dir.join("fargetabell.html");
    let pdf = dir.join("fargetabell.pdf");
    tokio::fs::write(&page, html)
        .await
        .map_err(|error| format!("writing the page: {error}"))?;
    let run = tokio::process::Command::new(chromium)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--no-first-run")
        .arg("--disable-background-networking")
        .arg("--disable-component-update")
        .arg("--disable-sync")
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PRINT_TIMEOUT, run)
        .await
        .map_err(|_| format!("Chromium took longer than {PRINT_TIMEOUT:?}"))?
        .map_err(|error| format!("starting {}: {error}", chromium.display()))?;
    if !output.status.success() {
        return Err(format!(
            "Chromium failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    tokio::fs::read(&pdf)
        .await
        .map_err(|error| format!("Chromium wrote no PDF: {error}"))
}

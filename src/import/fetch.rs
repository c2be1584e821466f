//! URL sources (issue 17): `varde import --source NAME URL` fetches the source's answer and
//! imports it in one step. SSB's statistics API takes a table's query POSTed as JSON
//! (`--query query.json`, to `https://data.ssb.no/api/v0/no/table/{table id}`); Udir's data API
//! answers a GET. The answer streams to a temporary file, and only an answer that is JSON with
//! a success status reaches the importer: an HTTP error or an HTML page is refused with its status,
//! content type and first words, and nothing is written.

use std::{
    fs::File,
    io::{self, Seek, SeekFrom, Write},
    time::Duration,
};

use super::ImportError;

/// How much of a refused answer a message quotes.
const QUOTED: usize = 200;

/// Longest a fetch may take, answer read.
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Whether `location` names a URL rather than a file.
pub fn is_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// A fetched answer in a temporary file (deleted when closed), rewound.
#[derive(Debug)]
pub struct Fetched {
    pub file: File,
    /// The answer's size in bytes.
    pub bytes: u64,
}

fn fetch_error(url: &str, what: impl std::fmt::Display) -> ImportError {
    ImportError::Fetch(format!("{url}: {what}; nothing was imported"))
}

/// The start of an answer, for a message.
fn quoted(start: &[u8]) -> String {
    let text = String::from_utf8_lossy(&start[..start.len().min(QUOTED)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an answer is JSON: by its content type, or, when that says nothing of JSON (some
/// servers answer `text/plain`), by its first character.
fn is_json(content_type: &str, start: &[u8]) -> bool {
    if content_type.contains("json") {
        return true;
    }
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    !content_type.contains("html")
        && matches!(
            start.iter().find(|byte| !byte.is_ascii_whitespace()),
            Some(b'{' | b'[')
        )
}

/// Fetches `url`: a POST of `query` (JSON) when given, else a GET.
pub async fn fetch(url: &str, query: Option<&serde_json::Value>) -> Result<Fetched, ImportError> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("varde/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| fetch_error(url, error))?;
    let request = match query {
        Some(query) => client.post(url).json(query),
        None => client.get(url),
    };
    let mut response = request
        .header(
            reqwest::header::ACCEPT,
            "application/json, application/json-stat+json;q=0.9, */*;q=0.1",
        )
        .send()
        .await
        .map_err(|error| fetch_error(url, format!("the request failed: {error}")))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("no content type")
        .to_ascii_lowercase();
    let mut file = tempfile::tempfile()?;
    let mut start: Vec<u8> = Vec::new();
    let mut bytes: u64 = 0;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| fetch_error(url, format!("the answer broke off: {error}")))?
    {
        if start.len() < QUOTED {
            start.extend_from_slice(&chunk[..chunk.len().min(QUOTED - start.len())]);
        }
        if !status.is_success() && start.len() >= QUOTED {
            break;
        }
        file.write_all(&chunk)?;
        bytes += chunk.len() as u64;
    }
    if !status.is_success() {
        return Err(fetch_error(
            url,
            format!("the server answered HTTP {status}: {}", quoted(&start)),
        ));
    }
    if !is_json(&content_type, &start) {
        return Err(fetch_error(
            url,
            format!(
                "the answer is not JSON ({content_type}): {}",
                quoted(&start)
            ),
        ));
    }
    file.flush()?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Fetched { file, bytes })
}

/// Reads the JSON query of `--query`.
pub fn read_query(path: &std::path::Path) -> Result<serde_json::Value, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ImportError::Io(io::Error::new(
            error.kind(),
            format!("reading the query {}: {error}", path.display()),
        ))
    })?;
    serde_json::from_str(&text).map_err(|error| {
        ImportError::Option(format!("the query {} is not JSON: {error}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_told_by_its_content_type_or_its_first_character() {
        assert!(is_json("application/json; charset=utf-8", b"x"));
        assert!(is_json("application/json-stat+json", b""));
        assert!(is_json("text/plain", b"\xEF\xBB\xBF  [{\"a\": 1}]"));
        assert!(!is_json("text/html; charset=utf-8", b"<!doctype html>"));
        assert!(!is_json("text/html", b"{"));
        assert!(!is_json("text/csv", b"a;b;c"));
    }

    #[test]
    fn a_quoted_answer_is_short_and_on_one_line() {
        let long = "<html>\n  <body>".repeat(100);
        let quoted = quoted(long.as_bytes());
        assert!(quoted.len() <= QUOTED && !quoted.contains('\n'), "{quoted}");
    }
}

//! Delimited text files as real ones come: the separator (`;` `,` tab `|`) detected from the
//! header unless given, CRLF or LF line ends, a missing final newline, blank lines; read a row at
//! a time, so that memory stays flat in the file's size.

use std::io::{self, BufRead, Read};

use super::{ImportError, Issue, Location, Problem};

/// The separators tried, in order of preference when the header holds as many of each.
const SEPARATORS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// The separator the header line uses most, outside quotes.
fn detect_separator(header: &str) -> Result<u8, ImportError> {
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(index) = SEPARATORS.iter().position(|&s| s == byte) {
            counts[index] += 1;
        }
    }
    let (index, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(index, count)| (**count, std::cmp::Reverse(*index)))
        .unwrap_or((0, &0));
    if *count == 0 {
        return Err(ImportError::Header(format!(
            "no separator in the header line {:?}: tried ; , tab and |",
            header.trim_end()
        )));
    }
    Ok(SEPARATORS[index])
}

/// The rows of a delimited text after its header, each with its line number.
pub struct Rows<T> {
    rows: csv::StringRecordsIntoIter<io::Chain<io::Cursor<Vec<u8>>, T>>,
    /// The header's column names, trimmed.
    pub header: Vec<String>,
    failed: bool,
}

impl<T: BufRead> Rows<T> {
    /// Reads the header of `text` (already decoded) with `separator`, or the one it uses most.
    pub fn open(mut text: T, separator: Option<u8>) -> Result<Self, ImportError> {
        let mut header = String::new();
        text.read_line(&mut header)?;
        let separator = match separator {
            Some(separator) => separator,
            None => detect_separator(&header)?,
        };
        // Rows end at `\n`; a `\r` before it is trimmed with the last field. (With the default
        // CRLF terminator the csv crate numbers the rows after a CRLF one line too low.)
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(false)
            .from_reader(io::Cursor::new(header.into_bytes()).chain(text));
        let header = reader
            .headers()
            .map_err(|error| ImportError::Header(format!("the header cannot be read: {error}")))?
            .iter()
            .map(|name| name.trim().to_owned())
            .collect();
        Ok(Self {
            rows: reader.into_records(),
            header,
            failed: false,
        })
    }

    /// What a row the csv reader cannot read means: a problem with that row, or, when the file
    /// itself cannot be read (or decoded), the end.
    fn issue(&mut self, error: csv::Error) -> Issue {
        let line = error.position().map_or(0, csv::Position::line);
        let reason = match error.into_kind() {
            csv::ErrorKind::Io(error) => {
                self.failed = true;
                return Issue::Fatal(ImportError::Io(error));
            }
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("the row has {len} fields, the header {expected_len}"),
            kind => format!("the row cannot be read: {kind:?}"),
        };
        Issue::Problem(Problem {
            location: Location::Line(line),
            reason,
        })
    }
}

impl<T: BufRead> Iterator for Rows<T> {
    /// A row with its line, or why it cannot be read.
    type Item = Result<(csv::StringRecord, u64), Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let row = match self.rows.next()? {
                Ok(row) => row,
                Err(error) => return Some(Err(self.issue(error))),
            };
            // A blank line (or one of separators only) is no row.
            if row.iter().any(|field| !field.trim().is_empty()) {
                let line = row.position().map_or(0, csv::Position::line);
                return Some(Ok((row, line)));
            }
        }
    }
}

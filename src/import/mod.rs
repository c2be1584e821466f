//! Import from the source formats (issue 17), in layers:
//!
//! 1. Parsers (`template`, `jsonstat`) read a byte stream into [`Record`]s, one shape for
//!    every format: the source's own subject, indicator, period and group codes, the cell (a
//!    value, or suppressed, or missing) and `n`. They are pure: no I/O beyond the stream.
//! 2. The source's import rules ([`ImportSource`], stored) and the stored units, owners and
//!    indicators ([`ImportTargets`]) resolve each record to an [`ImportValue`].
//! 3. Each value is staged as soon as it is resolved ([`crate::store::ImportStaging`]), inside the one
//!    transaction the import runs in, so memory stays flat in the file's size; repeats are found
//!    among the staged rows, and the values applied, or, with any problem in the file, nothing is
//!    applied and the [`Report`] lists each problem with its line or cell.

mod delimited;
mod fetch;
mod job;
mod jsonstat;
mod template;
mod text;
mod udir;

use std::{
    collections::{HashMap, HashSet},
    fmt,
    io::{self, Read},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::Utc;
use sha2::{Digest, Sha256};

pub use fetch::{Fetched, fetch, is_url, read_query};
pub use job::run_job;
pub use text::Encoding;

use crate::{
    domain::{
        DomainError, ImportFormat, ImportSource, KommuneCodes, Kommunenummer, OwnerId, SchoolYear,
        Subject, SubjectCode, Unresolved, unit_by_name,
    },
    store::{FilePlace, ImportCounts, ImportRun, ImportTargets, ImportValue, Store, StoreError},
};

/// At most this many problems are listed in a report; the rest are counted.
const LISTED_PROBLEMS: usize = 1000;

/// Why an import could not be read at all (as opposed to a [`Problem`] with one row).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("reading the file: {0}")]
    Io(#[from] io::Error),
    #[error("the header: {0}")]
    Header(String),
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Option(String),
    #[error("no import source is called {name:?}; the sources are: {known}")]
    UnknownSource { name: String, known: String },
    #[error(
        "no import source is called {0:?}, and none is set up: the demo seeds (`varde seed`) bring \
         the demo sources and their rules"
    )]
    NoSources(String),
    /// A URL source that could not be fetched, or answered an error or something not JSON.
    #[error("fetching {0}")]
    Fetch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where in a file a record comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A line of a CSV file (1 is the header).
    Line(u64),
    /// A cell of a JSON-stat dataset: its position and its categories.
    Cell { position: usize, labels: String },
    /// A record of a JSON array (1 is the first).
    Record(usize),
}

impl Location {
    /// The location without a cell's labels, to remember cheaply.
    fn brief(&self) -> Self {
        match self {
            Self::Line(line) => Self::Line(*line),
            Self::Record(index) => Self::Record(*index),
            Self::Cell { position, .. } => Self::Cell {
                position: *position,
                labels: String::new(),
            },
        }
    }
}

impl Location {
    /// Where the store keeps it, beside the staged value.
    fn place(&self) -> FilePlace {
        let (kind, number, labels) = match self {
            Self::Line(line) => ("line", i64::try_from(*line).unwrap_or(i64::MAX), ""),
            Self::Record(index) => ("record", i64::try_from(*index).unwrap_or(i64::MAX), ""),
            Self::Cell { position, labels } => (
                "cell",
                i64::try_from(*position).unwrap_or(i64::MAX),
                labels.as_str(),
            ),
        };
        FilePlace {
            kind: kind.to_owned(),
            number,
            labels: labels.to_owned(),
        }
    }

    /// The location the store kept.
    fn from_place(place: FilePlace) -> Self {
        let number = u64::try_from(place.number).unwrap_or(0);
        match place.kind.as_str() {
            "line" => Self::Line(number),
            "record" => Self::Record(usize::try_from(number).unwrap_or(usize::MAX)),
            _ => Self::Cell {
                position: usize::try_from(number).unwrap_or(usize::MAX),
                labels: place.labels,
            },
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(line) => write!(f, "line {line}"),
            Self::Record(index) => write!(f, "record {index}"),
            Self::Cell { position, labels } if labels.is_empty() => write!(f, "cell {position}"),
            Self::Cell { position, labels } => write!(f, "cell {position} ({labels})"),
        }
    }
}

/// What a source says about one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Value(f64),
    /// Suppressed (prikket) at the source: Udir's `*`, SSB's `:`.
    Suppressed,
    /// The source has no value: SSB's `..` and `...`, an empty cell.
    Missing,
}

/// One cell of a source file in the common shape, codes still the source's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub location: Location,
    pub subject: String,
    pub indicator: String,
    /// The period as the source names it (school year, calendar year, Udir's TidID).
    pub period: String,
    /// The source's group label; empty for everyone.
    pub group: String,
    /// A school named only by name (no organisasjonsnummer): its name as the source writes it.
    /// `subject` is then the kommunenummer the record gives, or empty.
    pub school_name: Option<String>,
    pub cell: Cell,
    pub n: Option<i64>,
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// What a parser yields besides records: a record that describes nothing Varde stores, a
/// problem with one row, or an error that ends reading.
#[derive(Debug, thiserror::Error)]
pub enum Issue {
    /// Nothing to store: a JSON-stat cell that cannot occur (`.`), a Udir aggregate for one owner
    /// type only.
    #[error("skipped")]
    Skipped,
    #[error("{0}")]
    Problem(Problem),
    #[error(transparent)]
    Fatal(ImportError),
}

/// How to read a file where detection is not wanted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The text encoding; detected when `None`.
    pub encoding: Option<Encoding>,
    /// The CSV separator; detected from the header when `None`.
    pub separator: Option<u8>,
}

impl ReadOptions {
    /// The options as given by name (the CLI's `--encoding` and `--separator`, the upload's
    /// `encoding` and `separator` parameters): an encoding such as `utf-8` or `windows-1252`, and
    /// a separator `;`, `,`, `|` or `tab`.
    pub fn parse(encoding: Option<&str>, separator: Option<&str>) -> Result<Self, ImportError> {
        let separator = separator
            .map(|name| match name {
                ";" => Ok(b';'),
                "," => Ok(b','),
                "|" => Ok(b'|'),
                "tab" | "\t" => Ok(b'\t'),
                _ => Err(ImportError::Option(format!(
                    "unknown separator {name:?}: use ; , tab or |"
                ))),
            })
            .transpose()?;
        Ok(Self {
            encoding: encoding.map(Encoding::parse).transpose()?,
            separator,
        })
    }
}

/// The records of `input` in the source's format.
fn records<'a>(
    source: &ImportSource,
    input: impl Read + Send + 'a,
    options: ReadOptions,
) -> Result<Box<dyn Iterator<Item = Result<Record, Issue>> + Send + 'a>, ImportError> {
    Ok(match source.format {
        ImportFormat::VardeCsv => Box::new(template::TemplateRecords::new(
            input,
            options.encoding,
            options.separator,
        )?),
        ImportFormat::JsonStat => Box::new(jsonstat::JsonStatRecords::new(text::Decoded::new(
            input,
            options.encoding,
        )?)?),
        ImportFormat::Udir => Box::new(udir::UdirRecords::new(
            input,
            options.encoding,
            options.separator,
            source.indicators.keys().cloned().collect(),
        )?),
    })
}

/// What a record's subject is looked up in, besides the targets: kommunenummer through the code
/// history, KLASS 131 and the split choices; school names among the units and the name rules.
struct Lookup<'a> {
    kommuner: KommuneCodes<'a>,
    municipalities: HashSet<OwnerId>,
}

/// Resolves a record through the source's rules to a value for the store, or says why it cannot.
fn resolve(
    record: &Record,
    source: &ImportSource,
    targets: &ImportTargets,
    lookup: &Lookup<'_>,
) -> Result<ImportValue, Unresolved> {
    let problem = |error: DomainError| Unresolved::Problem(error.to_string());
    let code = source.indicator(&record.indicator).map_err(problem)?;
    let indicator = *targets.indicators.get(code).ok_or_else(|| {
        Unresolved::Problem(format!(
            "the import rule names the indicator {code:?} for {:?}, and there is none",
            record.indicator
        ))
    })?;
    let school_year: SchoolYear = source.school_year(&record.period).map_err(problem)?;
    let calendar_year = school_year.reference_calendar_year();
    let subject = match (&record.school_name, record.subject.trim()) {
        (Some(name), kommune) => {
            let within = if kommune.is_empty() {
                None
            } else {
                let number = Kommunenummer::parse(kommune).map_err(problem)?;
                Some(lookup.kommuner.owner(number.as_str(), calendar_year)?)
            };
            Subject::Unit(
                unit_by_name(
                    name,
                    within,
                    &source.names,
                    &targets.named_units,
                    &lookup.municipalities,
                )
                .map_err(Unresolved::Problem)?,
            )
        }
        (None, code) => match source.subject(code).map_err(problem)? {
            SubjectCode::OrgNumber(org) => {
                match (targets.units.get(&org), targets.owners.get(&org)) {
                    (Some(unit), _) => Subject::Unit(*unit),
                    (None, Some(owner)) => Subject::Owner(*owner),
                    (None, None) => {
                        return Err(Unresolved::Problem(format!(
                            "no unit or owner has organisasjonsnummer {org}"
                        )));
                    }
                }
            }
            SubjectCode::Kommunenummer(number) => {
                Subject::Owner(lookup.kommuner.owner(number.as_str(), calendar_year)?)
            }
            SubjectCode::County(number) if targets.counties.contains(&number) => {
                Subject::County(number)
            }
            SubjectCode::County(number) => {
                return Err(Unresolved::Problem(format!(
                    "no county has fylkesnummer {}",
                    number.as_str()
                )));
            }
            SubjectCode::Nation => Subject::Nation,
        },
    };
    let group = source.group(&record.group).map_err(problem)?;
    let (value, suppressed) = match record.cell {
        Cell::Value(value) => (Some(value), false),
        Cell::Suppressed => (None, true),
        Cell::Missing => (None, false),
    };
    Ok(ImportValue {
        indicator,
        subject,
        school_year,
        group,
        value,
        respondents: record.n,
        suppressed,
    })
}

/// A reader that computes the SHA-256 of everything read through it, and counts the bytes.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    /// Bytes read so far, shared with the progress reports while a parser holds the reader.
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        self.bytes.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

/// Progress is reported after every this many records (and once when the file is read).
pub const PROGRESS_EVERY: u64 = 1000;

/// How far an import has read its file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file read so far.
    pub bytes: u64,
    /// Records read so far: values, skipped records and rejected ones.
    pub records: u64,
    /// Records rejected so far.
    pub rejected: u64,
}

/// One import to run: which source, which file, by whom, and whether only to report.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub source: String,
    /// The file's name, for the report and the import log.
    pub file_name: String,
    pub imported_by: String,
    pub options: ReadOptions,
    /// Report what the import would do and write nothing.
    pub dry_run: bool,
    /// Split choices (`--split 1507=1508`): a kommunenummer that split -> the part the file's
    /// figures under it belong to; they override the source's `split` rules.
    pub splits: Vec<(Kommunenummer, Kommunenummer)>,
}

/// What an import did, or would do (dry run), or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub source: String,
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    pub dry_run: bool,
    pub counts: ImportCounts,
    /// Records given again word for word (counted once).
    pub duplicates: u64,
    /// Records that describe nothing Varde stores (see [`Issue::Skipped`]), or that are passed
    /// over with a reason (Svalbard).
    pub skipped: u64,
    /// The records passed over with a reason, the first thousand of them.
    pub skipped_reasons: Vec<Problem>,
    /// Bytes of the file.
    pub bytes: u64,
    /// Records read: values, duplicates, skipped and rejected ones.
    pub records: u64,
    /// Records with a problem; with any, nothing is applied.
    pub rejected: u64,
    /// The problems, the first thousand of them.
    pub problems: Vec<Problem>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}), sha-256 {}",
            self.file_name, self.source, self.checksum
        )?;
        for skipped in &self.skipped_reasons {
            writeln!(f, "{} {skipped}: skipped", self.file_name)?;
        }
        for problem in &self.problems {
            writeln!(f, "{} {problem}", self.file_name)?;
        }
        if self.rejected > self.problems.len() as u64 {
            writeln!(
                f,
                "... and {} more problems",
                self.rejected - self.problems.len() as u64
            )?;
        }
        let ImportCounts {
            inserted,
            updated,
            unchanged,
        } = self.counts;
        let outcome = if self.rejected > 0 {
            "nothing applied"
        } else if self.dry_run {
            "dry run, nothing written"
        } else {
            "applied"
        };
        write!(
            f,
            "inserted {inserted}, updated {updated}, unchanged {unchanged}, duplicates {}, \
             skipped {}, rejected {}: {outcome}",
            self.duplicates, self.skipped, self.rejected
        )
    }
}

/// Reads `input` as the request's source, and applies it unless a row has a problem or it is a
/// dry run. A refused import (not a dry run) is recorded with its rejected rows.
pub async fn import(
    store: &Store,
    request: &ImportRequest,
    input: impl Read + Send,
) -> Result<Report, ImportError> {
    import_with_progress(store, request, input, |_| {}).await
}

/// [`import`], telling `progress` how far it has read every [`PROGRESS_EVERY`] records and once
/// the whole file is read (before the values are written).
pub async fn import_with_progress(
    store: &Store,
    request: &ImportRequest,
    input: impl Read + Send,
    mut progress: impl FnMut(Progress) + Send,
) -> Result<Report, ImportError> {
    let source = match store.import_source(&request.source).await? {
        Some(source) => source,
        None => {
            let known = store.import_source_names().await?;
            return Err(if known.is_empty() {
                ImportError::NoSources(request.source.clone())
            } else {
                ImportError::UnknownSource {
                    name: request.source.clone(),
                    known: known.join(", "),
                }
            });
        }
    };
    let targets = store.import_targets().await?;
    let bytes = Arc::new(AtomicU64::new(0));
    let mut input = Hashing {
        inner: input,
        hasher: Sha256::new(),
        bytes: bytes.clone(),
    };
    let mut records_read: u64 = 0;
    let mut report = Report {
        source: source.name.clone(),
        file_name: request.file_name.clone(),
        checksum: String::new(),
        dry_run: request.dry_run,
        counts: ImportCounts::default(),
        duplicates: 0,
        skipped: 0,
        skipped_reasons: Vec::new(),
        bytes: 0,
        records: 0,
        rejected: 0,
        problems: Vec::new(),
    };
    let mut splits: HashMap<String, String> = source
        .splits
        .iter()
        .map(|(code, part)| (code.clone(), part.as_str().to_owned()))
        .collect();
    splits.extend(
        request
            .splits
            .iter()
            .map(|(code, part)| (code.as_str().to_owned(), part.as_str().to_owned())),
    );
    let lookup = Lookup {
        kommuner: KommuneCodes {
            periods: &targets.owner_codes,
            changes: &targets.kommune_changes,
            splits: &splits,
        },
        municipalities: targets.municipalities(),
    };
    let mut staging = store.begin_import().await?;
    for item in records(&source, &mut input, request.options)? {
        records_read += 1;
        if records_read.is_multiple_of(PROGRESS_EVERY) {
            progress(Progress {
                bytes: bytes.load(Ordering::Relaxed),
                records: records_read,
                rejected: report.rejected,
            });
        }
        let record = match item {
            Ok(record) => record,
            Err(Issue::Fatal(error)) => return Err(error),
            Err(Issue::Skipped) => {
                report.skipped += 1;
                continue;
            }
            Err(Issue::Problem(problem)) => {
                report.reject(problem);
                continue;
            }
        };
        let value = match resolve(&record, &source, &targets, &lookup) {
            Ok(value) => value,
            Err(Unresolved::Problem(reason)) => {
                report.reject(Problem {
                    location: record.location,
                    reason,
                });
                continue;
            }
            Err(Unresolved::Skipped(reason)) => {
                report.skipped += 1;
                if report.skipped_reasons.len() < LISTED_PROBLEMS {
                    report.skipped_reasons.push(Problem {
                        location: record.location,
                        reason,
                    });
                }
                continue;
            }
        };
        staging.stage(&value, &record.location.place()).await?;
    }
    let repeats = staging
        .repeats(LISTED_PROBLEMS.saturating_sub(report.problems.len()))
        .await?;
    report.duplicates = repeats.duplicates;
    report.rejected += repeats.conflicts - repeats.listed.len() as u64;
    for conflict in repeats.listed {
        let first = Location::from_place(conflict.first).brief();
        report.reject(Problem {
            reason: format!("the same value is given at {first} with other content"),
            location: Location::from_place(conflict.place),
        });
    }
    io::copy(&mut input, &mut io::sink())?;
    progress(Progress {
        bytes: bytes.load(Ordering::Relaxed),
        records: records_read,
        rejected: report.rejected,
    });
    report.records = records_read;
    report.bytes = bytes.load(Ordering::Relaxed);
    report.checksum = format!("{:x}", input.hasher.finalize());
    let run = ImportRun {
        source: source.id,
        file_name: request.file_name.clone(),
        checksum: report.checksum.clone(),
        imported_by: request.imported_by.clone(),
        imported_at: Utc::now(),
    };
    if report.rejected > 0 {
        staging.abandon().await?;
        if !request.dry_run {
            store.record_refused_import(&run, report.rejected).await?;
        }
    } else {
        report.counts = staging.apply(&run, request.dry_run).await?;
    }
    Ok(report)
}

impl Report {
    fn reject(&mut self, problem: Problem) {
        self.rejected += 1;
        if self.problems.len() < LISTED_PROBLEMS {
            self.problems.push(problem);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An import holds its parser across the store's awaits (each staged batch); the future
    /// stays `Send`, so that a server can spawn imports (jobs, uploads) on its runtime.
    #[test]
    fn an_import_can_run_on_a_spawned_task() {
        fn spawnable<F: std::future::Future + Send>(_: F) {}
        let never = |store: &'static Store, request: &'static ImportRequest| {
            spawnable(import(store, request, io::empty()));
        };
        let _ = never;
    }
}

//! The import log and import jobs (issue 17), for national admins: every import that was not a
//! dry run, and every upload over HTTP with its state and counts as it runs.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    error::{ApiError, ApiResult},
    objects::{principal, store},
    paging::{self, Connection},
};
use crate::{
    auth::Caller,
    domain::{self, JobState},
};

/// Refuses everyone but national admins, who run imports.
fn national_admin(ctx: &Context<'_>, to: &str) -> ApiResult<()> {
    let caller = principal(ctx);
    if caller.caller == Caller::Anonymous {
        return Err(ApiError::Unauthenticated(format!(
            "log in as a national admin to {to}"
        )));
    }
    if !caller.grants.may_import() {
        return Err(ApiError::Forbidden(format!("only national admins {to}")));
    }
    Ok(())
}

/// Longest source code a rule takes.
const MAX_SOURCE_CODE: usize = 200;

/// Queries of the import log.
#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// Importloggen (the import log): every import that was not a dry run, oldest first, applied
    /// or refused. National admins only.
    async fn imports(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<ImportRecord>> {
        national_admin(ctx, "read the import log")?;
        let page = paging::page(after, before, first, last)?;
        let imports = store(ctx).imports_page(&page).await?;
        Ok(paging::connection(imports, &page, |i| i.id, ImportRecord))
    }

    /// Én importjobb (one import job): an upload over HTTP (`POST /import`) by its id, with its
    /// state and counts as it runs and its report when done; null when there is none. National
    /// admins only.
    async fn import_job(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<ImportJob>> {
        national_admin(ctx, "read import jobs")?;
        let Ok(id) = id.parse::<i64>() else {
            return Err(ApiError::BadUserInput(format!(
                "{:?} is not an import job's id (a number, as `POST /import` answers it)",
                id.as_str()
            )));
        };
        Ok(store(ctx).import_job(id).await?.map(ImportJob))
    }

    /// Importreglene (the import rules) of one source, in the order they were added: how its
    /// codes are read (`setImportRule` changes them). National admins only.
    async fn import_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Importkilde (import source) by name, e.g. `udir-statistikkbanken`.")]
        source: String,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<ImportRule>> {
        national_admin(ctx, "read import rules")?;
        let page = paging::page(after, before, first, last)?;
        let store = store(ctx);
        let rules = store.import_rules_page(&source, &page).await?;
        if rules.is_empty() && store.import_source(&source).await?.is_none() {
            return Err(no_source(&source));
        }
        let rules = rules
            .into_iter()
            .map(|(id, kind, source_code, target)| {
                let kind = ImportRuleKind::parse(&kind)?;
                Ok((
                    id,
                    ImportRule {
                        source: source.clone(),
                        kind,
                        source_code,
                        target,
                    },
                ))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(paging::connection(
            rules,
            &page,
            |(id, _)| *id,
            |(_, rule)| rule,
        ))
    }

    /// Importjobber (import jobs): every upload over HTTP, oldest first. National admins only.
    async fn import_jobs(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<ImportJob>> {
        national_admin(ctx, "read import jobs")?;
        let page = paging::page(after, before, first, last)?;
        let jobs = store(ctx).import_jobs_page(&page).await?;
        Ok(paging::connection(jobs, &page, |job| job.id, ImportJob))
    }
}

/// Where an import job stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ImportJobState")]
pub enum ImportJobStateValue {
    /// I kø (queued): uploaded, waiting for the server's import slot.
    Queued,
    /// Kjører (running): being read and applied; the counts grow.
    Running,
    /// Ferdig (done): applied, or (a dry run) reported; nothing was rejected.
    Done,
    /// Feilet (failed): rows were rejected and nothing was applied (see `problems`), the file
    /// could not be read, or the process running it stopped (see `error`).
    Failed,
}

impl From<JobState> for ImportJobStateValue {
    fn from(state: JobState) -> Self {
        match state {
            JobState::Queued => Self::Queued,
            JobState::Running => Self::Running,
            JobState::Done => Self::Done,
            JobState::Failed => Self::Failed,
        }
    }
}

/// Et problem (a problem) with one row of an imported file.
#[derive(SimpleObject)]
pub struct ImportProblem {
    /// Where: `line 4` (CSV), `cell 12 (...)` (JSON-stat) or `record 3` (a JSON array).
    location: String,
    /// Why the row cannot be imported.
    reason: String,
}

pub struct ImportJob(domain::ImportJob);

/// Én importjobb (one import job): a file uploaded over HTTP and imported in the background
/// through the same pipeline as `varde import`.
#[Object]
impl ImportJob {
    /// The job's id, as `POST /import` answered it.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Importkilde (import source), e.g. `varde-mal`.
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// Filnavn (file name) as the upload named it.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// Prøvekjøring (dry run): the report only, nothing written.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// Where the job stands. A queued or running job whose process stopped renewing it is
    /// shown `FAILED`.
    async fn state(&self) -> ImportJobStateValue {
        self.0.state.into()
    }

    /// The file's size in bytes.
    async fn bytes_total(&self) -> Option<i64> {
        self.0.bytes_total
    }

    /// Bytes read so far.
    async fn bytes_read(&self) -> i64 {
        self.0.bytes_read
    }

    /// Records read so far (values, skipped and rejected ones), updated as the job runs.
    async fn records_read(&self) -> i64 {
        self.0.records_read
    }

    /// Avviste rader (rows rejected) so far; with any, nothing is applied.
    async fn rejected(&self) -> i64 {
        self.0.rejected
    }

    /// Nye verdier (values inserted), when done.
    async fn inserted(&self) -> i64 {
        self.0.inserted
    }

    /// Endrede verdier (values updated), when done.
    async fn updated(&self) -> i64 {
        self.0.updated
    }

    /// Uendrede verdier (values given again as they were), when done.
    async fn unchanged(&self) -> i64 {
        self.0.unchanged
    }

    /// Records repeated word for word in the file (counted once), when done.
    async fn duplicates(&self) -> i64 {
        self.0.duplicates
    }

    /// Records that describe nothing Varde stores, when done.
    async fn skipped(&self) -> i64 {
        self.0.skipped
    }

    /// SHA-256 of the file, once read whole.
    async fn checksum(&self) -> Option<&str> {
        self.0.checksum.as_deref()
    }

    /// The rows that could not be imported, with where and why (the first 1000).
    async fn problems(&self) -> Vec<ImportProblem> {
        self.0
            .problems
            .iter()
            .map(|problem| ImportProblem {
                location: problem.location.clone(),
                reason: problem.reason.clone(),
            })
            .collect()
    }

    /// Why the job failed without a report: the file could not be read at all, or the process
    /// running it stopped.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// Lastet opp av (who uploaded it).
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// Lastet opp (when it was uploaded).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it began to run.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }

    /// When it ended.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

pub struct ImportRecord(domain::ImportLogEntry);

/// Én import (one import): which file of which source, who imported it and when, and what it did.
#[Object]
impl ImportRecord {
    /// Importkilde (import source), e.g. `varde-mal`.
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// Filnavn (file name) as given to `varde import`.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// SHA-256 of the file, in lowercase hex: the same file has the same checksum.
    async fn checksum(&self) -> &str {
        &self.0.checksum
    }

    /// Importert av (who imported it).
    async fn imported_by(&self) -> &str {
        &self.0.imported_by
    }

    /// Importert (when).
    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }

    /// Whether the values were written; false when rows were rejected and nothing was applied.
    async fn applied(&self) -> bool {
        self.0.applied
    }

    /// Nye verdier (values inserted).
    async fn inserted(&self) -> i64 {
        self.0.inserted
    }

    /// Endrede verdier (values updated); the values they replaced are kept as history.
    async fn updated(&self) -> i64 {
        self.0.updated
    }

    /// Uendrede verdier (values given again as they were).
    async fn unchanged(&self) -> i64 {
        self.0.unchanged
    }

    /// Avviste rader (rows rejected); with any, nothing is applied.
    async fn rejected(&self) -> i64 {
        self.0.rejected
    }
}

/// What an import rule (importregel) maps.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ImportRuleKind {
    /// A source's indicator code to a Varde indicator (its code).
    Indicator,
    /// A source's group label to a Varde group (`all`, `trinn=7`, `kjonn=jenter`, ...).
    Group,
    /// A kommunenummer that split (KLASS 131) to the kommunenummer of the part the source's
    /// figures under it belong to (e.g. `1507` to `1508`).
    Split,
    /// A school's name as the source writes it to the organisasjonsnummer of its enhet, for
    /// names that match no enhet's, or several.
    Name,
}

impl ImportRuleKind {
    const ALL: [Self; 4] = [Self::Indicator, Self::Group, Self::Split, Self::Name];

    /// The kind stored as `kind` (the table's CHECK allows no other).
    fn parse(kind: &str) -> Result<Self, domain::DomainError> {
        Self::ALL
            .into_iter()
            .find(|known| known.as_str() == kind)
            .ok_or_else(|| domain::DomainError::UnknownVariant {
                kind: "import rule kind",
                value: kind.to_owned(),
                allowed: "indicator group split name",
            })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Indicator => "indicator",
            Self::Group => "group",
            Self::Split => "split",
            Self::Name => "name",
        }
    }
}

/// En importregel (an import rule) to add or change: how one source code of a source is read.
#[derive(InputObject)]
pub struct ImportRuleInput {
    /// Importkilde (import source) by name, e.g. `ssb-kostra-kulturskole`.
    source: String,
    /// What the rule maps.
    kind: ImportRuleKind,
    /// The source's own code or label, e.g. `KOSTRAAndelKulturskole` or `TrinnKode=7`.
    source_code: String,
    /// The Varde indicator code (for `INDICATOR`, an existing indicator) or group code (for
    /// `GROUP`) it means.
    target: String,
}

/// En importregel (an import rule): a source's code and what it means in Varde.
#[derive(SimpleObject)]
pub struct ImportRule {
    /// Importkilde (import source) by name.
    source: String,
    /// What the rule maps.
    kind: ImportRuleKind,
    /// The source's own code or label.
    source_code: String,
    /// The Varde indicator or group code it means (a group in its canonical form).
    target: String,
}

/// The source code of a rule, trimmed (imports look codes up trimmed), or why it is refused.
fn rule_code(code: &str) -> ApiResult<String> {
    let code = code.trim();
    if code.is_empty() || code.chars().count() > MAX_SOURCE_CODE {
        return Err(ApiError::BadUserInput(format!(
            "a rule's sourceCode must hold 1 to {MAX_SOURCE_CODE} characters"
        )));
    }
    Ok(code.to_owned())
}

fn no_source(name: &str) -> ApiError {
    ApiError::NotFound(format!("no import source is called {name:?}"))
}

/// Changes to import rules (importregler), by national admins.
#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Adds an import rule to a source, or changes the target of the one it has for the same
    /// code. An indicator rule must name an existing indicator, a group rule a valid group
    /// (stored in its canonical form), a split rule two kommunenummer (whether KLASS leads the
    /// one to the other is checked by each import), a name rule an existing enhet's
    /// organisasjonsnummer. Takes effect for the next import. National admins only.
    async fn set_import_rule(
        &self,
        ctx: &Context<'_>,
        input: ImportRuleInput,
    ) -> ApiResult<ImportRule> {
        national_admin(ctx, "edit import rules")?;
        let source_code = rule_code(&input.source_code)?;
        let target = input.target.trim();
        let target = match input.kind {
            ImportRuleKind::Indicator => {
                let found = store(ctx).indicators_by_codes(&[target.to_owned()]).await?;
                if found.is_empty() {
                    return Err(ApiError::BadUserInput(format!(
                        "there is no indicator with the code {target:?}"
                    )));
                }
                target.to_owned()
            }
            ImportRuleKind::Group => domain::ValueGroup::parse(target)?.code(),
            ImportRuleKind::Split => {
                domain::Kommunenummer::parse(&source_code)?;
                domain::Kommunenummer::parse(target)?.as_str().to_owned()
            }
            ImportRuleKind::Name => {
                let org_number = domain::OrgNumber::parse(target)?;
                if store(ctx).unit_by_org_number(&org_number).await?.is_none() {
                    return Err(ApiError::BadUserInput(format!(
                        "there is no enhet with the organisasjonsnummer {target:?}"
                    )));
                }
                org_number.as_str().to_owned()
            }
        };
        store(ctx)
            .set_import_rule(&input.source, input.kind.as_str(), &source_code, &target)
            .await?
            .ok_or_else(|| no_source(&input.source))?;
        Ok(ImportRule {
            source: input.source,
            kind: input.kind,
            source_code,
            target,
        })
    }

    /// Removes an import rule of a source; answers whether it had one. Codes without a rule are
    /// then refused by imports (indicators), or read as Varde's own group codes (groups).
    /// National admins only.
    async fn remove_import_rule(
        &self,
        ctx: &Context<'_>,
        source: String,
        kind: ImportRuleKind,
        source_code: String,
    ) -> ApiResult<bool> {
        national_admin(ctx, "edit import rules")?;
        let source_code = rule_code(&source_code)?;
        store(ctx)
            .remove_import_rule(&source, kind.as_str(), &source_code)
            .await?
            .ok_or_else(|| no_source(&source))
    }
}

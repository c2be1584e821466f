//! Import jobs (issue 17): an import uploaded over HTTP runs here in the background, through the
//! same [`import_with_progress`] as `varde import`, with its state and counts written to the
//! `import_jobs` table as it goes so that any process can answer about it.
//!
//! While this process holds a job (queued or running) a keeper task renews its heartbeat every
//! [`JOB_HEARTBEAT_SECONDS`] and writes the counts each time they move; a job whose process died
//! stops being renewed and is shown failed ([`crate::domain::ImportJob::as_seen_at`]).

use std::{fs::File, io::BufReader, sync::Arc, time::Duration};

use tokio::sync::{Semaphore, watch};

use super::{ImportError, ImportRequest, Progress, Report, import_with_progress};
use crate::{
    domain::{JOB_HEARTBEAT_SECONDS, JobProblem, JobState},
    store::{JobCounts, JobEnd, Store},
};

/// Runs job `id`: waits for one of `slots` (so that a process runs as many imports at once as
/// it has slots, the rest queued), then imports `file` as `request` asks and records the outcome.
/// The file is read on a blocking thread, so that a long parse holds no async worker.
pub async fn run_job(
    store: Store,
    id: i64,
    request: ImportRequest,
    file: File,
    slots: Arc<Semaphore>,
) {
    let source = request.source.clone();
    let dry_run = request.dry_run;
    let (progress, seen) = watch::channel(None::<Progress>);
    let keeper = tokio::spawn(keep(store.clone(), id, seen));
    let outcome = match slots.acquire_owned().await {
        Ok(_slot) => run(&store, id, request, file, progress).await,
        Err(_) => {
            drop(progress);
            Err("the server is shutting down; upload the file again".to_owned())
        }
    };
    // The keeper ends when the progress sender is dropped with the import; wait for it, so that
    // no late progress write follows the end.
    let _ = keeper.await;
    let end = match outcome {
        Ok(report) => ended(&report),
        Err(error) => JobEnd {
            state: JobState::Failed,
            counts: JobCounts::default(),
            checksum: None,
            problems: Vec::new(),
            error: Some(error),
        },
    };
    count_job(&source, dry_run, &end);
    if let Err(error) = store.finish_import_job(id, &end).await {
        tracing::error!(%error, job = id, "recording the end of an import job failed");
    }
}

/// Counts a job this process ran for the metrics page: by source and outcome (`applied`,
/// `refused` for rejected rows, `dry_run`, `failed` for a file that could not be read), and its
/// rows by what became of them.
fn count_job(source: &str, dry_run: bool, end: &JobEnd) {
    let outcome = match (end.state, dry_run) {
        (JobState::Done, true) => "dry_run",
        (JobState::Done, false) => "applied",
        _ if end.counts.rejected > 0 => "refused",
        _ => "failed",
    };
    metrics::counter!(
        "varde_import_jobs_total",
        "source" => source.to_owned(),
        "outcome" => outcome,
    )
    .increment(1);
    let counts = end.counts;
    for (rows, count) in [
        ("inserted", counts.inserted),
        ("updated", counts.updated),
        ("unchanged", counts.unchanged),
        ("rejected", counts.rejected),
    ] {
        metrics::counter!(
            "varde_import_job_rows_total",
            "source" => source.to_owned(),
            "rows" => rows,
        )
        .increment(count);
    }
}

async fn run(
    store: &Store,
    id: i64,
    request: ImportRequest,
    file: File,
    progress: watch::Sender<Option<Progress>>,
) -> Result<Report, String> {
    store
        .start_import_job(id)
        .await
        .map_err(|error| error.to_string())?;
    let store = store.clone();
    let runtime = tokio::runtime::Handle::current();
    let imported = tokio::task::spawn_blocking(move || {
        runtime.block_on(import_with_progress(
            &store,
            &request,
            BufReader::new(file),
            move |seen| {
                progress.send_replace(Some(seen));
            },
        ))
    })
    .await;
    match imported {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(error)) => Err(failure(&error)),
        Err(error) => {
            tracing::error!(%error, job = id, "an import job's thread failed");
            Err("the import stopped on an internal error; the server log has the details".into())
        }
    }
}

/// What a job that could not be read says: the reason for the file's faults, never the
/// database's (those go to the log).
fn failure(error: &ImportError) -> String {
    match error {
        ImportError::Store(store) => {
            tracing::error!(error = %store, "an import job failed in the database");
            "the import failed in the database; nothing was applied, and the server log has the \
             details"
                .to_owned()
        }
        other => other.to_string(),
    }
}

/// A finished report as the job's end: done when nothing was rejected, else failed with the
/// problems (nothing applied).
fn ended(report: &Report) -> JobEnd {
    JobEnd {
        state: if report.rejected == 0 {
            JobState::Done
        } else {
            JobState::Failed
        },
        counts: JobCounts {
            bytes_read: report.bytes,
            records_read: report.records,
            rejected: report.rejected,
            inserted: report.counts.inserted,
            updated: report.counts.updated,
            unchanged: report.counts.unchanged,
            duplicates: report.duplicates,
            skipped: report.skipped,
        },
        checksum: Some(report.checksum.clone()),
        problems: report
            .problems
            .iter()
            .map(|problem| JobProblem {
                location: problem.location.to_string(),
                reason: problem.reason.clone(),
            })
            .collect(),
        error: None,
    }
}

/// Renews the job's heartbeat, and writes its counts whenever they move, until the import drops
/// its progress sender.
async fn keep(store: Store, id: i64, mut seen: watch::Receiver<Option<Progress>>) {
    let heartbeat = Duration::from_secs(JOB_HEARTBEAT_SECONDS.unsigned_abs());
    loop {
        let counts = tokio::select! {
            changed = seen.changed() => match changed {
                Ok(()) => (*seen.borrow_and_update()).map(|progress| JobCounts {
                    bytes_read: progress.bytes,
                    records_read: progress.records,
                    rejected: progress.rejected,
                    ..JobCounts::default()
                }),
                Err(_) => return,
            },
            () = tokio::time::sleep(heartbeat) => None,
        };
        if let Err(error) = store.beat_import_job(id, counts).await {
            tracing::warn!(%error, job = id, "renewing an import job's heartbeat failed");
        }
    }
}

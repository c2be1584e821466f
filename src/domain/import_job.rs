//! Import jobs (issue 17): an import uploaded over HTTP runs in the background, and its state is
//! kept in the database so that any process can answer about it. A job's process renews its
//! heartbeat while it holds the job; a queued or running job whose heartbeat has stopped belongs to
//! a process that died, and is shown failed: the import is one transaction, so nothing of it was
//! applied.

use chrono::{DateTime, Duration, Utc};

use super::DomainError;

/// How often the process holding a queued or running job renews its heartbeat.
pub const JOB_HEARTBEAT_SECONDS: i64 = 10;

/// A queued or running job whose heartbeat is older than this is shown failed.
pub const JOB_STALE_AFTER_SECONDS: i64 = 120;

/// Where an import job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Uploaded, waiting for the process's import slot.
    Queued,
    /// Being read and applied; the counts grow.
    Running,
    /// Finished without a problem: applied, or (a dry run) reported.
    Done,
    /// Rows were rejected (nothing applied), the file could not be read, or the process running
    /// it stopped.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "done" => Ok(Self::Done),
            "failed" => Ok(Self::Failed),
            other => Err(DomainError::UnknownVariant {
                kind: "import job state",
                value: other.to_owned(),
                allowed: "queued running done failed",
            }),
        }
    }

    /// Whether the job is still held by a process.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// A problem with one row of an import job's file, as its report gives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobProblem {
    /// Line, cell or record, e.g. `line 4`.
    pub location: String,
    pub reason: String,
}

/// An import job as stored, with its counts so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportJob {
    pub id: i64,
    /// The import source's name.
    pub source: String,
    pub file_name: String,
    pub dry_run: bool,
    pub state: JobState,
    /// The file's size, when known.
    pub bytes_total: Option<i64>,
    pub bytes_read: i64,
    /// Records read so far (values, skipped and rejected ones).
    pub records_read: i64,
    pub rejected: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub duplicates: i64,
    pub skipped: i64,
    /// SHA-256 of the file, once read whole.
    pub checksum: Option<String>,
    pub problems: Vec<JobProblem>,
    /// Why the job failed without a report (the file could not be read, the process stopped).
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub heartbeat_at: DateTime<Utc>,
}

impl ImportJob {
    /// The job as it stands at `now`: a queued or running job whose heartbeat stopped more than
    /// [`JOB_STALE_AFTER_SECONDS`] ago is failed, because the process that held it is gone.
    pub fn as_seen_at(mut self, now: DateTime<Utc>) -> Self {
        if self.state.is_open()
            && now - self.heartbeat_at > Duration::seconds(JOB_STALE_AFTER_SECONDS)
        {
            self.state = JobState::Failed;
            self.error = Some(format!(
                "the process running this import stopped (last sign of life {}); nothing was \
                 applied: upload the file again",
                self.heartbeat_at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: JobState, heartbeat_at: DateTime<Utc>) -> ImportJob {
        ImportJob {
            id: 1,
            source: "varde-mal".into(),
            file_name: "a.csv".into(),
            dry_run: false,
            state,
            bytes_total: Some(10),
            bytes_read: 5,
            records_read: 1,
            rejected: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            duplicates: 0,
            skipped: 0,
            checksum: None,
            problems: Vec::new(),
            error: None,
            created_by: "admin".into(),
            created_at: heartbeat_at,
            started_at: None,
            finished_at: None,
            heartbeat_at,
        }
    }

    #[test]
    fn a_running_job_whose_heartbeat_stopped_is_failed() {
        let beat = Utc::now();
        let later = beat + Duration::seconds(JOB_STALE_AFTER_SECONDS + 1);
        let seen = job(JobState::Running, beat).as_seen_at(later);
        assert_eq!(seen.state, JobState::Failed);
        assert!(seen.error.unwrap().contains("stopped"));
        let queued = job(JobState::Queued, beat).as_seen_at(later);
        assert_eq!(queued.state, JobState::Failed);
    }

    #[test]
    fn a_running_job_with_a_recent_heartbeat_stays_running() {
        let beat = Utc::now();
        let seen = job(JobState::Running, beat).as_seen_at(beat + Duration::seconds(5));
        assert_eq!(seen.state, JobState::Running);
        assert_eq!(seen.error, None);
    }

    #[test]
    fn a_finished_job_is_never_made_stale() {
        let beat = Utc::now();
        let later = beat + Duration::days(30);
        assert_eq!(
            job(JobState::Done, beat).as_seen_at(later).state,
            JobState::Done
        );
    }

    #[test]
    fn states_read_back_as_written() {
        for state in [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ] {
            assert_eq!(JobState::parse(state.as_str()), Ok(state));
        }
        assert!(JobState::parse("stale").is_err());
    }
}

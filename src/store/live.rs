//! Live notice of changed votes: which egenvurdering (assessment) got a new or changed staff
//! vote, for subscriptions that show the spread as it changes.
//!
//! One abstraction, two carriers. On PostgreSQL a vote's transaction sends `NOTIFY` on
//! [`CHANNEL`] (delivered at commit, to every Varde process on the database), and each process
//! keeps one listening connection that hands what arrives to its subscribers. On SQLite (one
//! process) the writer hands the notice to the subscribers itself, after the commit. Either way a
//! notice says only which assessment changed: every subscriber reads the spread again through its
//! own access path, so a notice gives nothing away.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions},
};
use tokio::{sync::broadcast, task::AbortHandle};

use super::{Sql, StoreResult};
use crate::domain::AssessmentId;

/// The PostgreSQL notification channel of vote changes; the payload is the assessment id.
pub const CHANNEL: &str = "varde_votes";

/// The `application_name` of the listening connection, so that it can be told apart in
/// `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "varde-vote-listener";

/// Notices a slow subscriber may fall behind by before it is told it missed some.
const BUFFER: usize = 256;

/// The longest wait between attempts to listen again after the connection dropped.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a subscriber hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteChange {
    /// A vote on this assessment was cast or changed.
    Changed(AssessmentId),
    /// Notices may have been lost (the listening connection dropped and is back, or the
    /// subscriber fell behind): read again whatever is watched.
    Missed,
}

/// The subscribers of one process, and the listening task that feeds them on PostgreSQL.
#[derive(Debug, Clone)]
pub(super) struct VoteChanges {
    sender: broadcast::Sender<VoteChange>,
    listener: Arc<Mutex<Option<AbortHandle>>>,
}

impl Default for VoteChanges {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
            listener: Arc::default(),
        }
    }
}

impl VoteChanges {
    /// A new subscriber: it hears every notice from now on.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<VoteChange> {
        self.sender.subscribe()
    }

    /// Hands a notice to this process's subscribers (none listening is no error).
    pub(super) fn publish(&self, change: VoteChange) {
        let _ = self.sender.send(change);
    }

    /// Listens on [`CHANNEL`] through a connection of its own (outside the pool, which it would
    /// otherwise hold a place of for good), and hands every notice to the subscribers. Answers
    /// once the first `LISTEN` is in place, so that no vote committed after it is missed. When
    /// the connection drops, it connects and listens again (waiting longer each time, up to
    /// [`MAX_BACKOFF`]), and tells the subscribers they may have missed notices.
    pub(super) async fn listen(&self, pool: &PgPool) -> StoreResult<()> {
        let options: PgConnectOptions = (*pool.connect_options())
            .clone()
            .application_name(LISTENER_APPLICATION_NAME);
        let own_pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(pool.options().get_acquire_timeout())
            .connect_lazy_with(options);
        let first = listening(&own_pool).await?;
        let sender = self.sender.clone();
        let task = tokio::spawn(async move {
            let mut listener = first;
            loop {
                relay(&mut listener, &sender).await;
                // Its connection goes back first: the pool holds one.
                drop(listener);
                listener = relisten(&own_pool).await;
                let _ = sender.send(VoteChange::Missed);
            }
        });
        let previous = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(task.abort_handle());
        if let Some(previous) = previous {
            previous.abort();
        }
        Ok(())
    }

    /// Stops listening (the store is closing).
    pub(super) fn stop(&self) {
        if let Some(task) = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

/// A listener with its `LISTEN` in place.
async fn listening(pool: &PgPool) -> StoreResult<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hands notices on until the connection fails in a way the listener does not mend by itself.
async fn relay(listener: &mut PgListener, sender: &broadcast::Sender<VoteChange>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match notification.payload().parse::<i64>() {
                Ok(id) => {
                    let _ = sender.send(VoteChange::Changed(AssessmentId(id)));
                }
                Err(_) => {
                    tracing::warn!(
                        payload = notification.payload(),
                        "a vote notice without an assessment id"
                    );
                }
            },
            // The connection dropped and the listener connected and listened again by itself.
            Ok(None) => {
                tracing::warn!("the vote listener's connection dropped; listening again");
                let _ = sender.send(VoteChange::Missed);
            }
            Err(error) => {
                tracing::warn!(%error, "the vote listener failed; connecting again");
                return;
            }
        }
    }
}

/// A new listener, tried again with a growing pause until the database answers.
async fn relisten(pool: &PgPool) -> PgListener {
    let mut pause = Duration::from_millis(100);
    loop {
        tokio::time::sleep(pause).await;
        match listening(pool).await {
            Ok(listener) => {
                tracing::info!("the vote listener is listening again");
                return listener;
            }
            Err(error) => {
                tracing::warn!(%error, "the vote listener cannot listen yet");
                pause = (pause * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// The statement that notifies every process of a changed vote, inside the vote's transaction
/// (PostgreSQL delivers it at commit, and never for a rolled-back write).
pub(super) fn notify_statement(assessment: AssessmentId) -> Sql {
    let mut sql = Sql::new("SELECT pg_notify(");
    sql.bind(CHANNEL)
        .push(", ")
        .bind(assessment.0.to_string())
        .push(")");
    sql
}

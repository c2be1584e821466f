//! The root subscription type: live voting in a meeting (lærende møte). While staff vote on a
//! criterion's level, the leader's screen follows the spread as it changes.
//!
//! A subscriber hears of changed votes through the store (`Store::vote_changes`: PostgreSQL
//! `NOTIFY` between processes, an in-process channel on SQLite), and reads the spread again through
//! its own access path each time, exactly as `Assessment.votes` shows it. The caller's right to
//! read the unit's assessments is checked before the stream starts: an anonymous or unauthorised
//! subscriber gets an error, never a stream. It is checked again (one statement) before each later
//! answer, against the credential the stream was opened with: when the session has ended (logged
//! out, expired) or the token expired, the stream ends with `UNAUTHENTICATED`; when the caller's
//! roles no longer let it read the unit's assessments, with `FORBIDDEN`.

use async_graphql::{Context, Subscription};
use chrono::Utc;
use futures_util::{Stream, stream};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::{
    error::{ApiError, ApiResult},
    objects::{AssessmentVotes, load_reference, logged_in, principal, reader, store},
    quality::{AssessmentRefInput, checked_assessment},
};
use crate::{
    auth::{Caller, Credential},
    domain::{self, AssessmentId, Grants, OwnerId, VoteSpread},
    store::{AssessmentFilter, AssessmentKey, Page, ScopedReader, Store, VoteChange},
};

#[derive(Default)]
pub struct Subscription;

/// Every subscription of Varde, served as GraphQL over server-sent events (`Accept:
/// text/event-stream`): live voting (avstemning) in a lærende møte.
#[Subscription]
impl Subscription {
    /// Live voting (avstemning i møtet): the staff's votes on one egenvurdering as the group sees
    /// them (counts per level, names only of those who chose to show their vote, the caller's
    /// own), first as they are now and then each time they change. The same readers as
    /// `Unit.assessments`: the enhet's own roles and its skoleeier's roles.
    async fn assessment_votes(
        &self,
        ctx: &Context<'_>,
        assessment: AssessmentRefInput,
    ) -> Result<impl Stream<Item = ApiResult<AssessmentVotes>> + use<>, ApiError> {
        logged_in(ctx, "follow the votes")?;
        let scope = reader(ctx).scope().clone();
        let (key, _) = checked_assessment(
            ctx,
            &assessment,
            |_, unit| scope.may_read_unit(unit.id, unit.owner_id),
            "following the votes",
        )
        .await?;
        let unit: domain::Unit = load_reference(ctx, key.unit).await?;
        let viewer = match &principal(ctx).caller {
            Caller::User(user) => Some(user.feide_user_id.clone()),
            _ => None,
        };
        let watch = Watch {
            // Subscribed before the first read: no vote falls between the two.
            changes: store(ctx).vote_changes(),
            store: store(ctx).clone(),
            reader: reader(ctx).clone(),
            key,
            owner: unit.owner_id,
            credential: ctx.data_opt::<Credential>().cloned(),
            viewer,
            assessment: None,
            shown: None,
            ended: false,
        };
        Ok(stream::unfold(watch, |mut watch| async move {
            let next = watch.next().await?;
            Some((next, watch))
        }))
    }
}

/// One subscriber's view of one assessment's votes.
struct Watch {
    changes: Receiver<VoteChange>,
    store: Store,
    reader: ScopedReader,
    key: AssessmentKey,
    /// The skoleeier of the assessment's enhet (whose roles read it too).
    owner: OwnerId,
    /// What the caller opened the stream with, checked again before each later answer; `None`
    /// (a caller not over HTTP) ends the stream at the first change, since nothing can be checked.
    credential: Option<Credential>,
    viewer: Option<String>,
    /// The assessment's id, once it exists (the first vote creates it).
    assessment: Option<AssessmentId>,
    /// The spread last sent; `None` before the first.
    shown: Option<VoteSpread>,
    /// The caller's access ended, and the error saying so was sent.
    ended: bool,
}

impl Watch {
    /// The spread as it is now, then the next one that differs from the last sent; `None` when
    /// the process stops carrying notices.
    async fn next(&mut self) -> Option<ApiResult<AssessmentVotes>> {
        if self.ended {
            return None;
        }
        loop {
            if self.shown.is_some() {
                match self.changes.recv().await {
                    Ok(VoteChange::Changed(id)) => {
                        if self.assessment.is_some_and(|watched| watched != id) {
                            continue;
                        }
                    }
                    Ok(VoteChange::Missed) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
                if let Err(error) = self.still_allowed().await {
                    self.ended = true;
                    return Some(Err(error));
                }
            }
            let spread = match self.read().await {
                Ok(spread) => spread,
                Err(error) => return Some(Err(error)),
            };
            if self.shown.as_ref() != Some(&spread) {
                self.shown = Some(spread.clone());
                return Some(Ok(AssessmentVotes(spread)));
            }
        }
    }

    /// Whether the caller may still follow the votes: its credential still speaks for it, and its
    /// roles now still let it read the enhet's assessments (the rule checked when the stream
    /// started). One statement.
    async fn still_allowed(&self) -> ApiResult<()> {
        let ended = || {
            ApiError::Unauthenticated(
                "your session ended (logged out or expired) or your token is no longer valid; \
                 log in and subscribe again"
                    .into(),
            )
        };
        let credential = self.credential.as_ref().ok_or_else(ended)?;
        let roles = self
            .store
            .roles_of_credential(credential, Utc::now().timestamp())
            .await?
            .ok_or_else(ended)?;
        let scope = Grants { roles }.restricted_scope();
        if scope.may_read_unit(self.key.unit, self.owner) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "your roles no longer allow following the votes of this enhet's egenvurdering"
                    .into(),
            ))
        }
    }

    /// The spread read again through the caller's scoped reader (no loader: a subscription's
    /// loaders would answer from their cache).
    async fn read(&mut self) -> ApiResult<VoteSpread> {
        let filter = AssessmentFilter {
            framework: Some(self.key.framework),
            criterion: Some(self.key.criterion.clone()),
            school_year: Some(self.key.school_year),
        };
        let page = Page {
            after: None,
            before: None,
            limit: 1,
            from_end: false,
        };
        let assessment = self
            .reader
            .assessments_of_units(&[self.key.unit], &filter, &page)
            .await?
            .remove(&self.key.unit)
            .and_then(|mut assessments| assessments.pop());
        let votes = match assessment {
            Some(assessment) => {
                self.assessment = Some(assessment.id);
                self.store
                    .votes_of_assessments(&[assessment.id])
                    .await?
                    .remove(&assessment.id)
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        Ok(domain::vote_spread(&votes, self.viewer.as_deref()))
    }
}

//! The root subscription type: live voting in a meeting (lærende møte). While staff vote on a
//! criterion's level, the leader's screen follows the spread as it changes.
//!
//! A subscriber hears of changed votes through the store (`Store::vote_changes`: PostgreSQL
//! `NOTIFY` between processes, an in-process channel on SQLite), and reads the spread again through
//! its own access path each time, exactly as `Assessment.votes` shows it. The caller's right to
//! read the unit's assessments is checked before the stream starts: an anonymous or unauthorised
//! subscriber gets an error, never a stream.

use async_graphql::{Context, Subscription};
use futures_util::{Stream, stream};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::{
    error::{ApiError, ApiResult},
    objects::{AssessmentVotes, logged_in, principal, reader, store},
    quality::{AssessmentRefInput, checked_assessment},
};
use crate::{
    auth::Caller,
    domain::{self, AssessmentId, VoteSpread},
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
            viewer,
            assessment: None,
            shown: None,
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
    viewer: Option<String>,
    /// The assessment's id, once it exists (the first vote creates it).
    assessment: Option<AssessmentId>,
    /// The spread last sent; `None` before the first.
    shown: Option<VoteSpread>,
}

impl Watch {
    /// The spread as it is now, then the next one that differs from the last sent; `None` when
    /// the process stops carrying notices.
    async fn next(&mut self) -> Option<ApiResult<AssessmentVotes>> {
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

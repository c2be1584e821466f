//! Per-client rate limiting: a client is its bearer token when it sends one, else its address.
//! Beyond its rate it gets 429 with `Retry-After` and a `RATE_LIMITED` error body. Every address
//! also has a ceiling of [`ADDRESS_CEILING`] client rates, so that inventing a new bearer token
//! for each request does not buy a new rate.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::graphql::{ErrorCode, error_body};

/// Who a rate applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Client {
    Token(String),
    Address(IpAddr),
}

/// Clients whose bucket is full again are forgotten every this many requests, so that the table
/// stays as small as the set of recent clients.
const FORGET_EVERY: u64 = 1024;

/// How many clients' rates one address may use together (tokens of several dashboards behind
/// one municipal NAT), whatever tokens it sends.
const ADDRESS_CEILING: NonZeroU32 = NonZeroU32::new(10).expect("ten is not zero");

/// The rates of every client and every address.
struct Limiters {
    clients: DefaultKeyedRateLimiter<Client>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

/// The rate of every client; `None` when rate limiting is off.
#[derive(Clone)]
pub struct Limiter {
    limiter: Option<Arc<Limiters>>,
    requests: Arc<AtomicU64>,
}

impl Limiter {
    /// `per_second` requests a second after a burst of `burst`; 0 turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            let ceiling = |value: NonZeroU32| value.saturating_mul(ADDRESS_CEILING);
            Arc::new(Limiters {
                clients: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
                addresses: RateLimiter::keyed(
                    Quota::per_second(ceiling(rate)).allow_burst(ceiling(burst)),
                ),
            })
        });
        Self {
            limiter,
            requests: Arc::default(),
        }
    }
}

/// The middleware: counts the request against its client, or answers 429.
pub async fn limit(State(state): State<Limiter>, request: Request, next: Next) -> Response {
    let Some(limiter) = &state.limiter else {
        return next.run(request).await;
    };
    if state.requests.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == 0 {
        limiter.clients.retain_recent();
        limiter.addresses.retain_recent();
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let client = match bearer {
        Some(token) => Client::Token(token.to_owned()),
        None => Client::Address(address),
    };
    let checked = limiter
        .addresses
        .check_key(&address)
        .and_then(|()| limiter.clients.check_key(&client));
    match checked {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(error_body(
                    ErrorCode::RateLimited,
                    &format!("too many requests; retry in {seconds} s"),
                )),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    }
}

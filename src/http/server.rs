//! The server loop: HTTP/1.1 connections held to a header-read (and idle keep-alive) timeout, a
//! limit on concurrent connections, and a graceful shutdown with a deadline.

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
    task::JoinSet,
};
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

use super::App;
use crate::graphql::{ErrorCode, error_body};

/// Connections beyond the limit that are still read, to answer health checks (and refuse the
/// rest with 503); beyond these a connection is closed unread.
const OVERFLOW_CONNECTIONS: usize = 64;

/// Paths answered on connections beyond the limit.
const HEALTH_PATHS: [&str; 2] = ["/healthz", "/readyz"];

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish
/// within the shutdown deadline and closes whatever is left.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = app.config.clone();
    let connections = Arc::new(Semaphore::new(config.max_connections));
    let overflow = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let (stop, stopping) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin, and keep serving.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Finished connections leave the set as new ones come.
        while tasks.try_join_next().is_some() {}
        let (permit, limited) = match connections.clone().try_acquire_owned() {
            Ok(permit) => (permit, false),
            Err(_) => match overflow.clone().try_acquire_owned() {
                Ok(permit) => (permit, true),
                Err(_) => {
                    tracing::warn!(%peer, "connection refused: too many connections");
                    continue;
                }
            },
        };
        let connection = Connection {
            router: app.router.clone(),
            peer,
            limited,
            header_read_timeout: config.header_read_timeout,
            write_timeout: config.write_timeout,
        };
        let stopping = stopping.clone();
        tasks.spawn(async move {
            connection.run(stream, stopping).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(config.shutdown_deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = tasks.len(),
            "shutdown deadline passed; closing the connections left"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

struct Connection {
    router: Router,
    peer: SocketAddr,
    /// Beyond the connection limit: health checks only, no keep-alive.
    limited: bool,
    header_read_timeout: Duration,
    write_timeout: Duration,
}

impl Connection {
    async fn run(self, stream: TcpStream, mut stopping: watch::Receiver<bool>) {
        let Self {
            router,
            peer,
            limited,
            header_read_timeout,
            write_timeout,
        } = self;
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let router = router.clone();
            async move {
                if limited && !HEALTH_PATHS.contains(&request.uri().path()) {
                    return Ok::<_, Infallible>(too_many_connections());
                }
                request.extensions_mut().insert(ConnectInfo(peer));
                router.oneshot(request.map(Body::new)).await
            }
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .keep_alive(!limited);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(write_timeout));
        let connection = builder.serve_connection(TokioIo::new(Box::pin(stream)), service);
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => log_end(result),
            _ = stopping.changed() => {
                connection.as_mut().graceful_shutdown();
                log_end(connection.await);
            }
        }
    }
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

fn too_many_connections() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(error_body(
            ErrorCode::TooManyConnections,
            "the server holds as many connections as it may; retry shortly",
        )),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

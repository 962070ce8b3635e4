//! The accept loop of the API and of the ADMS listener: HTTP/1.1
//! connections with a cap on how many are open and a time limit on request
//! headers.
//!
//! `axum::serve` sets neither, so a client that opens connections and sends
//! nothing, or sends its headers a byte at a time, would hold a task and a
//! file descriptor each for as long as it likes, and file descriptors are
//! shared with the journal. Here a connection waits for a free slot before
//! it is accepted, and one whose request headers do not arrive in time is
//! closed. Clocks and browsers on the hall's network speak HTTP/1.1.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, warn};

/// Limits on the listener's connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections open at once. A hall has a few clocks, each with
    /// one connection at a time, and a few people reading reports, so 64 is
    /// a wide margin (an estimate).
    pub max_connections: usize,
    /// Maximum time a connection may take to send a request's headers,
    /// including the wait for the next request on a kept-alive connection.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 64,
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

/// Pause after a failed `accept` (such as running out of file
/// descriptors), so the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `stop` turns true, then stops
/// accepting and lets every open connection finish its current request.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();

    loop {
        // Wait for a free slot before accepting, so the cap holds.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    warn!(error = %error, "failed to accept an HTTP connection; retrying");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        while connections.try_join_next().is_some() {}

        let service = TowerToHyperService::new(router.clone().layer(Extension(ConnectInfo(peer))));
        let mut stop = stop.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                debug!(peer = %peer, error = %error, "HTTP connection closed with an error");
            }
        });
    }

    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Resolves once `stop` is true, without holding its value across awaits.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

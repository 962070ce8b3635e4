//! The daemon-wide stop request, raised once on SIGTERM or Ctrl-C.
//!
//! Device sessions wait on [`requested`] beside their reads and, once it
//! resolves, finish the exchange in hand (commit, then acknowledge the
//! device) and return `SessionEnd::Shutdown`. The server gives them a
//! bounded time to do so before it aborts the rest.

use std::sync::LazyLock;

use tokio::sync::watch;

static STOP: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::channel(false).0);

/// Raises the stop request; later calls do nothing.
pub fn request() {
    STOP.send_replace(true);
}

/// Whether a stop has been requested.
pub fn is_requested() -> bool {
    *STOP.borrow()
}

/// Resolves once a stop has been requested, at once if it already was.
pub async fn requested() {
    let mut receiver = STOP.subscribe();
    // The sender lives in a static, so `wait_for` cannot fail on a closed
    // channel.
    let _ = receiver.wait_for(|stop| *stop).await;
}

/// Waits for SIGTERM or Ctrl-C, then raises the stop request.
pub async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; stopping"),
                _ = term.recv() => tracing::info!("SIGTERM received; stopping"),
            }
        }
        Err(error) => {
            tracing::warn!(error = %error, "failed to watch for SIGTERM; stop with Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("interrupted; stopping");
        }
    }
    request();
}

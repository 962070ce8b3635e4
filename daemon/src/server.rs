//! The running daemon: the journal writer, the device tasks and the HTTP
//! API, started in that order and stopped in reverse.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::api::{self, AppState};
use crate::commands::open_journal;
use crate::config::Config;
use crate::ingest;

/// Serves until Ctrl-C or SIGTERM. `listen` overrides the configured
/// address; `on_ready` runs once the listener is bound, with its address.
pub async fn run(
    config: Config,
    listen: Option<SocketAddr>,
    on_ready: impl FnOnce(SocketAddr) + Send,
) -> anyhow::Result<()> {
    // The journal writer for device events, then the API's own connection.
    let (ingest, writer) = ingest::start(open_journal(&config)?)
        .context("failed to start the journal writer thread")?;
    let api_journal = open_journal(&config)?;
    let journal_path = config.journal.path.clone();

    // Network clocks get a listener of their own once the journal writer
    // runs, so their first upload has somewhere to go.
    let adms = crate::adms::start(&config, ingest.clone())
        .await
        .context("failed to start the ADMS listener for network clocks")?;
    if let Some(adms) = &adms {
        // A plain line on stdout, as for the API below.
        println!("hallbox: adms listening on http://{}", adms.address());
    }

    let address = listen.unwrap_or(config.http.listen);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("failed to listen on {address} (is another program using the port?)")
        })?;
    let bound = listener.local_addr()?;

    let state = Arc::new(AppState {
        config,
        journal_path,
        writer: Mutex::new(api_journal),
        ingest: ingest.clone(),
    });

    // Devices start once the journal is open, so their first events have
    // somewhere to go.
    let mut devices = crate::devices::spawn_all(&state.config, &ingest);

    tracing::info!(address = %bound, journal = %state.journal_path.display(), "serving the API");
    // A plain line on stdout, so scripts and tests can find the port.
    println!("hallbox: serving on http://{bound}");
    on_ready(bound);

    axum::serve(listener, api::router(Arc::clone(&state)))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;

    // Stop the devices, then let the writer commit what they handed over.
    if let Some(adms) = adms {
        adms.stop().await;
    }
    devices.abort_all();
    drop(state);
    drop(ingest);
    let _journal = tokio::task::spawn_blocking(move || writer.join())
        .await
        .context("failed to wait for the journal writer")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(error) => {
            tracing::warn!(error = %error, "failed to watch for SIGTERM; stop with Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping");
}

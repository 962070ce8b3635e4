//! The running daemon: the journal writer, the device tasks and the HTTP
//! API, started in that order and stopped in reverse, with systemd
//! notified of each step.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

use crate::api::{self, AppState};
use crate::commands::open_journal;
use crate::config::Config;
use crate::{ingest, logging, shutdown, systemd};

/// Time device sessions get after a stop request to finish the exchange in
/// hand (commit, then acknowledge) before they are aborted.
const DEVICE_STOP_GRACE: Duration = Duration::from_secs(5);

/// Time HTTP requests in flight get after a stop request before their
/// connections are dropped. A handler still running then (a long import)
/// finishes on its blocking thread, because dropping the tokio runtime
/// waits for blocking tasks, but its client gets no response and sends
/// the export again.
const HTTP_STOP_GRACE: Duration = Duration::from_secs(20);

/// Serves until Ctrl-C or SIGTERM. `listen` overrides the configured
/// address; `on_ready` runs once the listener is bound, with its address.
///
/// On a stop request the daemon notifies systemd that it is stopping, stops taking
/// HTTP connections and lets requests in flight finish, lets the devices
/// finish their exchanges, and then lets the journal writer commit every
/// event it was handed, so each event acknowledged to a device or client
/// is in the journal.
pub async fn run(
    config: Config,
    listen: Option<SocketAddr>,
    on_ready: impl FnOnce(SocketAddr) + Send,
) -> anyhow::Result<()> {
    if let Err(error) = logging::apply_config_level(&config.log.level) {
        tracing::warn!(error = %error, "keeping the log level 'info'");
    }
    shutdown::spawn_signal_watch();

    let _serving = lock_journal(&config.journal.path)?;
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

    if config.tokens.is_empty() {
        tracing::warn!("no [[token]] in the configuration: every API route but /healthz returns 401; make one with `hallbox token new`");
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
    let status = systemd::device_status_line(&bound.to_string());
    systemd::notify_ready(&status);
    let supervisor = tokio::spawn(systemd::supervise(
        ingest.clone(),
        bound.to_string(),
        status,
    ));

    let (stop_http, stop_signal) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::requested().await;
        systemd::notify_stopping();
        let _ = stop_http.send(true);
    });
    let serve = crate::listener::serve(
        listener,
        api::router(Arc::clone(&state)),
        crate::listener::ConnectionLimits {
            max_connections: state.config.http.max_connections,
            header_read_timeout: state.config.http.header_timeout,
        },
        stop_signal,
    );
    let http_deadline = async {
        shutdown::requested().await;
        tokio::time::sleep(HTTP_STOP_GRACE).await;
    };
    tokio::select! {
        () = serve => {}
        () = http_deadline => tracing::warn!(
            grace_s = HTTP_STOP_GRACE.as_secs(),
            "HTTP requests still open after the grace time; dropping them"
        ),
    }
    supervisor.abort();

    // Network clocks get a grace time of their own for uploads in flight.
    if let Some(adms) = adms {
        adms.stop().await;
    }

    // Let the devices finish the exchange in hand, then stop the rest.
    let devices_done = async { while devices.join_next().await.is_some() {} };
    if tokio::time::timeout(DEVICE_STOP_GRACE, devices_done)
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = DEVICE_STOP_GRACE.as_secs(),
            "device sessions still running after the grace time; aborting them"
        );
        devices.abort_all();
    }

    // The writer commits every event still queued once the last handle is
    // gone, and only then stops.
    drop(state);
    drop(ingest);
    let _journal = tokio::task::spawn_blocking(move || writer.join())
        .await
        .context("failed to wait for the journal writer")?;
    tracing::info!("stopped");
    Ok(())
}

/// Takes an exclusive lock on `JOURNAL.serve.lock` beside the journal, held
/// while the returned file lives, so that a second daemon on the same
/// journal refuses to start. Two daemons would each check a correction or
/// a device's resend against what it alone had stored. `hallbox import`
/// and `hallbox verify` do not take the lock.
fn lock_journal(journal: &std::path::Path) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    if let Some(parent) = journal.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).with_context(|| {
                format!("failed to create the journal folder '{}'", parent.display())
            })?;
        }
    }
    // The real path, so that a symlink to the same journal takes the same
    // lock; a journal not created yet has its own path.
    let real = std::fs::canonicalize(journal)
        .or_else(|_| {
            let parent = journal.parent().filter(|p| !p.as_os_str().is_empty());
            let folder = std::fs::canonicalize(parent.unwrap_or(std::path::Path::new(".")))?;
            Ok::<_, std::io::Error>(folder.join(journal.file_name().unwrap_or_default()))
        })
        .unwrap_or_else(|_| journal.to_path_buf());
    let mut name = real.as_os_str().to_owned();
    name.push(".serve.lock");
    let lock_path = std::path::PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("failed to open the lock file '{}'", lock_path.display()))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(
        |(_, errno)| {
            if errno == nix::errno::Errno::EWOULDBLOCK {
                anyhow::anyhow!(
                    "another hallbox daemon is serving the journal '{}' (it has locked '{}'): stop \
                     it first, for example with `systemctl stop hallbox`, or give this one \
                     another [journal] path",
                    journal.display(),
                    lock_path.display()
                )
            } else {
                anyhow::anyhow!("failed to lock '{}': {errno}", lock_path.display())
            }
        },
    )
}

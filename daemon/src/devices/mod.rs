//! Device drivers of the daemon: serial links and the protocols on them,
//! and the GPIO devices of a Raspberry Pi.

pub mod gpio;
pub mod link;

use tokio::task::JoinSet;

use crate::config::Config;
use crate::ingest::IngestHandle;

/// Starts one task per configured device; each hands its events to
/// `ingest`. Aborting the set stops them.
pub fn spawn_all(config: &Config, ingest: &IngestHandle) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    gpio::spawn_all(
        config,
        ingest,
        std::sync::Arc::new(gpio::RppalBackend),
        &mut tasks,
    );
    tasks
}

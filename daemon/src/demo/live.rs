//! The demo's simulated devices on pseudo-terminals, and the replay of a
//! planned month through the daemon's real serial sessions.
//!
//! Each device is a pty pair whose slave the daemon opens by path, through a
//! by-id style link in the demo folder, exactly as it opens a USB adapter.
//! The replay pins the box's clock to each step's time, carries the step
//! out on the device side, and waits until the step is committed: the
//! keypad's ACK, the module's success LED, or the clock line's row in the
//! journal. So every event lands at its planned time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use chrono::NaiveDateTime;
use hallbox_drivers::fingerprint::{Command, Finger, SimulatedModule};
use hallbox_drivers::keypad::{
    self, Address, Button, Frame, Reception, ResetCause, SimulatedKeypad,
};
use hallbox_drivers::pty::PtyDevice;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::plan::{Planned, Step};
use crate::config::Config;
use crate::devices::{self, BoxClock};
use crate::import::punch_key;
use crate::ingest;
use crate::time::local_to_utc;

/// Device ids of the example configuration, which the demo's devices play.
pub const FINGERPRINT_ID: &str = "fingerprint-east";
/// Id of the example's clock line.
pub const CLOCK_ID: &str = "clock-east-1";
/// Id of the example's keypad bus.
pub const KEYPADS_ID: &str = "keypads-hall";

/// Maximum wait for one step to be committed.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Keypad resend interval: the protocol's ACK timeout.
const KEYPAD_RESEND: Duration = Duration::from_millis(keypad::ACK_TIMEOUT_MS as u64);
/// Heartbeat of the keypads once the replay is over: the protocol's 60 s.
const HEARTBEAT: Duration = Duration::from_millis(keypad::HEARTBEAT_INTERVAL_MS as u64);

/// Returns the by-id style link of a demo device in `dir`.
pub fn device_link(dir: &Path, id: &str) -> PathBuf {
    dir.join("dev").join(id)
}

/// The simulated devices of the demo hall.
pub struct Rig {
    module: Arc<Mutex<SimulatedModule>>,
    clock: PtyDevice,
    bus: PtyDevice,
    bus_decoder: keypad::Decoder,
    keypads: BTreeMap<u8, SimulatedKeypad>,
    /// Keypad uptime in ms is counted from this local time.
    boot: NaiveDateTime,
}

impl Rig {
    /// Creates the ptys and their links in `dir/dev`, and starts serving the
    /// fingerprint module. Must run inside the tokio runtime.
    pub fn plug(dir: &Path, addresses: &[u8], boot: NaiveDateTime) -> anyhow::Result<Rig> {
        let dev = dir.join("dev");
        std::fs::create_dir_all(&dev)
            .with_context(|| format!("failed to create '{}'", dev.display()))?;
        let open = |id: &str| -> anyhow::Result<PtyDevice> {
            let pty = PtyDevice::open().context("failed to create a pseudo-terminal")?;
            pty.link_at(&device_link(dir, id))
                .with_context(|| format!("failed to link the pseudo-terminal of {id}"))?;
            Ok(pty)
        };
        let module = Arc::new(Mutex::new(SimulatedModule::new()));
        tokio::spawn(serve_module(open(FINGERPRINT_ID)?, Arc::clone(&module)));
        let keypads = addresses
            .iter()
            .enumerate()
            .map(|(index, address)| {
                let address = Address::new(*address).map_err(|error| anyhow!("{error}"))?;
                let session = 0x5EED_0000 ^ (u32::from(address.get()) << 8) ^ index as u32;
                Ok((address.get(), SimulatedKeypad::new(address, session)))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Rig {
            module,
            clock: open(CLOCK_ID)?,
            bus: open(KEYPADS_ID)?,
            bus_decoder: keypad::Decoder::new(),
            keypads,
            boot,
        })
    }

    /// Keeps the keypads sending their heartbeat after the replay, so the
    /// daemon keeps them online while the demo serves.
    pub fn keep_alive(mut self) {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let addresses: Vec<u8> = self.keypads.keys().copied().collect();
                for address in addresses {
                    if self.hello(address).await.is_err() {
                        return;
                    }
                }
            }
        });
    }

    /// Sends HELLO from the keypad at `address` and waits for the ACK.
    async fn hello(&mut self, address: u8) -> anyhow::Result<()> {
        let uptime = self.uptime(chrono::Local::now().naive_local());
        let keypad = self
            .keypads
            .get_mut(&address)
            .ok_or_else(|| anyhow!("no keypad {address}"))?;
        let frame = keypad
            .hello(ResetCause::PowerOn, uptime)
            .map_err(|error| anyhow!("{error}"))?;
        self.exchange(address, frame, uptime).await.map(|_| ())
    }

    /// Presses `button` on the keypad at `address` at local time `at`.
    async fn press(&mut self, address: u8, button: u8, at: NaiveDateTime) -> anyhow::Result<()> {
        let uptime = self.uptime(at);
        let button = Button::new(button).map_err(|error| anyhow!("{error}"))?;
        let keypad = self
            .keypads
            .get_mut(&address)
            .ok_or_else(|| anyhow!("no keypad {address}"))?;
        let frame = keypad
            .press(button, uptime)
            .map_err(|error| anyhow!("{error}"))?;
        match self.exchange(address, frame, uptime).await? {
            Reception::Acknowledged { .. } => Ok(()),
            other => bail!("keypad {address}: the box did not store the press: {other:?}"),
        }
    }

    /// Sends `frame`, resending on the protocol's timer, until the box
    /// replies to it.
    async fn exchange(
        &mut self,
        address: u8,
        frame: Frame,
        uptime: u32,
    ) -> anyhow::Result<Reception> {
        for _ in 0..keypad::MAX_ATTEMPTS {
            self.bus
                .write_all(&keypad::encode(&frame))
                .await
                .context("failed to write to the keypad bus")?;
            let deadline = tokio::time::Instant::now() + KEYPAD_RESEND;
            while let Some(reply) = self.next_reply(deadline).await? {
                let Some(keypad) = self.keypads.get_mut(&reply.address().get()) else {
                    continue;
                };
                let reception = keypad.receive(&reply, uptime);
                if reply.address().get() == address && reception != Reception::Ignored {
                    return Ok(reception);
                }
            }
        }
        bail!(
            "keypad {address}: no reply from the box after {} attempts",
            keypad::MAX_ATTEMPTS
        )
    }

    async fn next_reply(
        &mut self,
        deadline: tokio::time::Instant,
    ) -> anyhow::Result<Option<Frame>> {
        let mut buffer = [0u8; 256];
        loop {
            if let Some(frame) = self.bus_decoder.next_frame() {
                return Ok(Some(frame));
            }
            match tokio::time::timeout_at(deadline, self.bus.read(&mut buffer)).await {
                Err(_) => return Ok(None),
                Ok(Ok(0)) => bail!("the keypad bus closed"),
                Ok(Ok(read)) => self.bus_decoder.push(&buffer[..read]),
                Ok(Err(error)) => return Err(error).context("failed to read the keypad bus"),
            }
        }
    }

    /// Places a finger enrolled on `page_id` on the module, waits for the
    /// LED signal that follows the commit, and lifts the finger.
    async fn touch(&mut self, page_id: u16) -> anyhow::Result<()> {
        let before = self.led_count();
        self.with_module(|module| {
            module.set_finger(Finger::Enrolled {
                page_id,
                score: 120,
            })
        });
        wait_until(STEP_TIMEOUT, || self.led_count() > before)
            .await
            .context("the fingerprint module got no LED signal for a touch")?;
        let signal = self.with_module(|module| module.led_commands()[before]);
        let success = hallbox_drivers::fingerprint::PollerConfig::default().aura_success;
        if signal != Command::AuraLedConfig(success) {
            bail!("the fingerprint module signalled failure for page {page_id}");
        }
        // The poller needs two empty reads before it counts the next touch.
        self.with_module(|module| module.set_finger(Finger::Absent));
        let seen = self.with_module(|module| module.received().len());
        wait_until(STEP_TIMEOUT, || {
            self.with_module(|module| module.received().len()) >= seen + 3
        })
        .await
        .context("the fingerprint module was not polled after a touch")
    }

    fn led_count(&self) -> usize {
        self.with_module(|module| module.led_commands().len())
    }

    fn with_module<T>(&self, f: impl FnOnce(&mut SimulatedModule) -> T) -> T {
        let mut module = self
            .module
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut module)
    }

    fn uptime(&self, at: NaiveDateTime) -> u32 {
        (at - self.boot)
            .num_milliseconds()
            .clamp(0, i64::from(u32::MAX)) as u32
    }
}

/// Replies to the daemon's commands as a fingerprint module would.
async fn serve_module(mut pty: PtyDevice, module: Arc<Mutex<SimulatedModule>>) {
    let mut buffer = [0u8; 512];
    loop {
        let read = match pty.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let reply = module
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .feed(&buffer[..read]);
        if pty.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Polls `condition` every 2 ms until it holds, or fails after `timeout`.
async fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition() {
        if tokio::time::Instant::now() > deadline {
            bail!("timed out after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Replays `plan` through the daemon's journal writer and device sessions
/// with the box's clock pinned to each step, and stops them at the end.
pub async fn replay(config: &Config, rig: &mut Rig, plan: &[Planned]) -> anyhow::Result<()> {
    let zone = config.site.time_zone;
    let clock = BoxClock::system();
    clock.pin(local_to_utc(zone, rig.boot).ok_or_else(|| anyhow!("no such local time"))?);
    let journal = crate::commands::open_journal(config)?;
    let (ingest, writer) =
        ingest::start(journal).context("failed to start the journal writer thread")?;
    let mut tasks = devices::spawn_all_with_clock(config, &ingest, clock.clone());
    let reader =
        Connection::open_with_flags(&config.journal.path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .context("failed to open the demo journal for reading")?;

    let result = async {
        wait_until(STEP_TIMEOUT, || {
            connected(&reader) >= config.devices.len() as i64
        })
        .await
        .context("the daemon did not open the demo's serial devices")?;
        let addresses: Vec<u8> = rig.keypads.keys().copied().collect();
        for address in addresses {
            rig.hello(address).await?;
        }
        for planned in plan {
            let at = local_to_utc(zone, planned.at)
                .ok_or_else(|| anyhow!("no such local time {}", planned.at))?;
            clock.pin(at);
            carry_out(rig, &reader, planned).await?;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;

    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    clock.release();
    drop(ingest);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .context("failed to wait for the journal writer")?;
    result
}

async fn carry_out(rig: &mut Rig, reader: &Connection, planned: &Planned) -> anyhow::Result<()> {
    match &planned.step {
        Step::ClockLine { line, pin } => {
            rig.clock
                .write_all(line.as_bytes())
                .await
                .context("failed to write to the clock line")?;
            if let Some(pin) = pin {
                let key = punch_key(CLOCK_ID, pin, planned.at);
                wait_until(STEP_TIMEOUT, || has_key(reader, &key))
                    .await
                    .with_context(|| format!("the clock punch {key} was not stored"))?;
            }
            Ok(())
        }
        Step::Touch { page_id } => rig.touch(*page_id).await,
        Step::Press {
            address, button, ..
        } => rig.press(*address, *button, planned.at).await,
    }
}

fn has_key(reader: &Connection, key: &str) -> bool {
    reader
        .query_row(
            "SELECT 1 FROM events WHERE idempotency_key = ?1",
            [key],
            |_| Ok(()),
        )
        .optional()
        .ok()
        .flatten()
        .is_some()
}

fn connected(reader: &Connection) -> i64 {
    reader
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'device_status' \
             AND json_extract(payload, '$.state') = 'connected'",
            [],
            |row| row.get(0),
        )
        .unwrap_or(0)
}

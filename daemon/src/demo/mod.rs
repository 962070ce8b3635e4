//! `hallbox demo`: the shipped example hall, running.
//!
//! The demo writes the example configuration and calendars into a folder,
//! with each serial device's port pointing at a pseudo-terminal. It
//! generates a realistic month (late, missing and repeated punches, quick
//! second presses, a misclicked rating) and replays it through the daemon's
//! real serial sessions: a simulated clock prints record lines, a simulated
//! fingerprint module replies to the poller, and one simulated keypad per
//! window presses buttons. It then imports the clock's USB export, which
//! adds nothing new, prints what the journal contains, and serves the API.

pub mod export;
pub mod live;
pub mod plan;
pub mod summary;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;

use crate::config::{self, Config, DeviceKind};
use crate::import;
use crate::journal::Journal;
use crate::time::Month;

/// The shipped example configuration.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../config/hallbox.toml");
/// The shipped calendar files, by file name.
pub const CALENDARS: [(&str, &str); 2] = [
    (
        "cn-2025.toml",
        include_str!("../../../config/calendar/cn-2025.toml"),
    ),
    (
        "cn-2026.toml",
        include_str!("../../../config/calendar/cn-2026.toml"),
    ),
];
/// The month the demo generates: a month without holidays in the shipped
/// calendar, so it shows 21 working days.
pub const DEMO_MONTH: Month = Month {
    year: 2026,
    month: 11,
};
/// Device id of the demo's clock.
pub const DEMO_DEVICE: &str = "clock-east-1";

/// Fingerprint poll interval of the demo, in ms: short, so a month of
/// touches replays in seconds.
const DEMO_POLL_INTERVAL_MS: u32 = 10;

/// Writes the example configuration and calendars into `dir` with the
/// journal at `dir/journal.sqlite` and each device's port at its link under
/// `dir/dev/`, and returns the configuration's path.
pub fn write_example(dir: &Path) -> anyhow::Result<PathBuf> {
    let calendar_dir = dir.join("calendar");
    std::fs::create_dir_all(&calendar_dir)
        .with_context(|| format!("failed to create '{}'", calendar_dir.display()))?;
    for (name, text) in CALENDARS {
        let path = calendar_dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write '{}'", path.display()))?;
    }
    let config_text = demo_config_text(dir);
    let config_path = dir.join("hallbox.toml");
    std::fs::write(&config_path, config_text)
        .with_context(|| format!("failed to write '{}'", config_path.display()))?;
    Ok(config_path)
}

/// Returns the example configuration with the demo's journal, ports and
/// polling.
fn demo_config_text(dir: &Path) -> String {
    let mut device_id = String::new();
    let mut lines = Vec::new();
    for line in EXAMPLE_CONFIG.lines() {
        let trimmed = line.trim_start();
        if let Some(id) = trimmed
            .strip_prefix("id = \"")
            .and_then(|rest| rest.strip_suffix('"'))
        {
            device_id = id.to_string();
        }
        let line = if trimmed.starts_with("[[") && trimmed != "[[device]]" {
            device_id.clear();
            line.to_string()
        } else if trimmed.starts_with("port = ") && !device_id.is_empty() {
            let link = live::device_link(dir, &device_id);
            format!("port = {:?}", link.display().to_string())
        } else if trimmed.starts_with("poll_interval_ms = ") {
            format!("poll_interval_ms = {DEMO_POLL_INTERVAL_MS}")
        } else if trimmed == "path = \"/var/lib/hallbox/journal.sqlite\"" {
            "path = \"journal.sqlite\"".to_string()
        } else {
            line.to_string()
        };
        lines.push(line);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Runs the demo; see the module documentation.
pub fn run(listen: SocketAddr, dir: Option<&Path>, no_serve: bool) -> anyhow::Result<ExitCode> {
    // A temporary folder is removed when the demo stops.
    let temporary;
    let dir = match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create '{}'", dir.display()))?;
            dir.to_path_buf()
        }
        None => {
            temporary = tempfile::Builder::new()
                .prefix("hallbox-demo-")
                .tempdir()
                .context("failed to create a temporary folder")?;
            temporary.path().to_path_buf()
        }
    };

    let config_path = write_example(&dir)?;
    let token = add_demo_token(&config_path)?;
    let config = config::load(&config_path).map_err(|error| anyhow::anyhow!("{error}"))?;
    remove_journal(&config.journal.path)?;
    let (plan, addresses) = plan_month(&config)?;

    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    runtime.block_on(async move {
        let boot = DEMO_MONTH.first_day().and_time(chrono::NaiveTime::MIN);
        let mut rig = live::Rig::plug(&dir, &addresses, boot)?;
        println!("hallbox demo: {}", config.site.name);
        println!("  folder:        {}", dir.display());
        println!("  configuration: {}", config_path.display());
        summary::print_plan(&plan);

        let started = std::time::Instant::now();
        live::replay(&config, &mut rig, &plan).await?;
        println!(
            "  replayed:      {DEMO_MONTH} through the serial sessions in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        import_clock_export(&config, &dir, &plan)?;
        summary::print_journal(&config)?;
        if no_serve {
            return Ok(ExitCode::SUCCESS);
        }

        rig.keep_alive();
        crate::server::run(config, Some(listen), |bound| {
            println!(
                "Bureau token of this demo (every API route but /healthz, /readyz and /metrics \
                 needs one; a browser asks for it once, on the sign-in page):"
            );
            println!("  {}", token.secret());
            println!("For example:");
            println!(
                "  curl -H 'Authorization: Bearer {}' 'http://{bound}/api/v1/attendance/monthly?month={DEMO_MONTH}'",
                token.secret()
            );
            println!("Pages for people in the hall:");
            println!("  http://{bound}/ui/attendance?month={DEMO_MONTH}");
            println!("  http://{bound}/ui/devices");
            println!("Reports for {DEMO_MONTH}:");
            println!("  http://{bound}/api/v1/attendance/monthly?month={DEMO_MONTH}");
            println!("  http://{bound}/api/v1/attendance/monthly?month={DEMO_MONTH}&format=csv");
            println!(
                "  http://{bound}/api/v1/attendance/monthly?month={DEMO_MONTH}&format=csv&table=days"
            );
            println!("  http://{bound}/api/v1/attendance/monthly?month={DEMO_MONTH}&format=xlsx");
            println!("Ratings for {DEMO_MONTH}:");
            println!("  http://{bound}/api/v1/ratings/monthly?month={DEMO_MONTH}");
            println!("  http://{bound}/api/v1/ratings/monthly?month={DEMO_MONTH}&format=csv");
            println!("Stop with Ctrl-C.");
        })
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Makes a bureau token for the demo and appends its `[[token]]` entry to
/// the configuration at `config_path`.
fn add_demo_token(config_path: &Path) -> anyhow::Result<crate::auth::NewToken> {
    let token = crate::auth::NewToken::generate()?;
    let entry = format!(
        "\n[[token]]\nid = \"demo-bureau\"\nrole = \"bureau\"\nsha256 = \"{}\"\n",
        token.sha256_hex
    );
    let mut text = std::fs::read_to_string(config_path)
        .with_context(|| format!("failed to read '{}'", config_path.display()))?;
    text.push_str(&entry);
    std::fs::write(config_path, text)
        .with_context(|| format!("failed to write '{}'", config_path.display()))?;
    Ok(token)
}

/// Removes a journal left in the demo folder by an earlier run, so the
/// replay starts from an empty journal.
fn remove_journal(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("failed to remove the old demo journal '{}'", path.display())
                })
            }
        }
    }
    Ok(())
}

/// Plans the demo month: the generated punches routed to the clock line
/// and the fingerprint module, and the keypad presses. Returns the plan
/// and the keypad addresses.
fn plan_month(config: &Config) -> anyhow::Result<(Vec<plan::Planned>, Vec<u8>)> {
    let pins: Vec<String> = config
        .staff
        .iter()
        .filter_map(|staff| staff.pins.first().cloned())
        .collect();
    let export = export::generate_month(
        &pins,
        DEMO_MONTH,
        &config.calendar,
        &config.attendance,
        export::Irregularities::REALISTIC,
        2026,
    )?;

    let mut routing = None;
    let mut addresses = Vec::new();
    for device in &config.devices {
        match &device.kind {
            DeviceKind::Fingerprint(fingerprint) => {
                // The staff member on the module's first page uses it.
                routing = fingerprint
                    .pages
                    .iter()
                    .next()
                    .and_then(|(page, staff_id)| {
                        let staff = config.staff.iter().find(|s| &s.id == staff_id)?;
                        Some(plan::Routing {
                            fingerprint_pin: staff.pins.first()?.clone(),
                            fingerprint_page: *page,
                        })
                    });
            }
            DeviceKind::Keypad(keypad) => addresses = keypad.keypads.keys().copied().collect(),
            DeviceKind::ClockLine(_) => {}
        }
    }
    let routing = routing.context("the example configuration has no fingerprint page")?;
    let punches = plan::punches(&export, &routing, DEMO_MONTH);
    let presses = plan::presses(DEMO_MONTH, &config.calendar, &addresses, 2026)?;
    Ok((plan::merge(vec![punches, presses]), addresses))
}

/// Writes what the clock printed as its USB export and imports it: every
/// punch is already stored from the clock line under the same key, so the
/// import stores nothing new.
fn import_clock_export(config: &Config, dir: &Path, plan: &[plan::Planned]) -> anyhow::Result<()> {
    let text: String = plan
        .iter()
        .filter_map(|planned| match &planned.step {
            plan::Step::ClockLine { line, .. } => Some(line.as_str()),
            _ => None,
        })
        .collect();
    let export_path = dir.join("1_attlog.dat");
    std::fs::write(&export_path, &text)
        .with_context(|| format!("failed to write '{}'", export_path.display()))?;

    let mut journal = Journal::open(&config.journal.path)?;
    let now = Utc::now();
    let limits = import::time_limits(&config.import, config.site.time_zone, now);
    let summary = import::import_attlog(
        &mut journal,
        text.as_bytes(),
        DEMO_DEVICE,
        &limits,
        config.site.time_zone,
        now,
    )?;
    println!("  export:        {}", export_path.display());
    println!(
        "  import:        imported {} / duplicate {} / rejected {} (the clock's own export: \
         its punches were already stored live)",
        summary.imported, summary.duplicate, summary.rejected
    );
    for rejection in &summary.rejections {
        println!("    line {}: {}", rejection.line, rejection.reason);
    }
    Ok(())
}

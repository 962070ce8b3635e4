//! `hallbox demo`: the shipped example hall, running.
//!
//! The demo writes the example configuration and calendars into a folder,
//! generates a month of punches for the example staff as a USB export in
//! the real `attlog.dat` layout, imports it into a fresh journal, and serves
//! the API.

pub mod export;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;

use crate::config;
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

/// Writes the example configuration and calendars into `dir` with the
/// journal at `dir/journal.sqlite`, and returns the configuration's path.
pub fn write_example(dir: &Path) -> anyhow::Result<PathBuf> {
    let calendar_dir = dir.join("calendar");
    std::fs::create_dir_all(&calendar_dir)
        .with_context(|| format!("failed to create '{}'", calendar_dir.display()))?;
    for (name, text) in CALENDARS {
        let path = calendar_dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write '{}'", path.display()))?;
    }
    let config_text = EXAMPLE_CONFIG.replace(
        "path = \"/var/lib/hallbox/journal.sqlite\"",
        "path = \"journal.sqlite\"",
    );
    let config_path = dir.join("hallbox.toml");
    std::fs::write(&config_path, config_text)
        .with_context(|| format!("failed to write '{}'", config_path.display()))?;
    Ok(config_path)
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
    let config = config::load(&config_path).map_err(|error| anyhow::anyhow!("{error}"))?;

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
    let export_path = dir.join("1_attlog.dat");
    std::fs::write(&export_path, &export)
        .with_context(|| format!("failed to write '{}'", export_path.display()))?;

    let mut journal = Journal::open(&config.journal.path)?;
    let now = Utc::now();
    // The demo month is fixed, so a machine whose clock is before it still
    // accepts its punches.
    let mut limits = import::time_limits(&config.import, config.site.time_zone, now);
    let month_end = DEMO_MONTH
        .next_first_day()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    limits.latest = limits.latest.max(month_end);
    let summary = import::import_attlog(
        &mut journal,
        export.as_bytes(),
        DEMO_DEVICE,
        &limits,
        config.site.time_zone,
        now,
    )?;
    drop(journal);

    println!("hallbox demo: {}", config.site.name);
    println!("  folder:        {}", dir.display());
    println!("  configuration: {}", config_path.display());
    println!("  export:        {}", export_path.display());
    println!(
        "  import:        imported {} / duplicate {} / rejected {}",
        summary.imported, summary.duplicate, summary.rejected
    );
    for rejection in &summary.rejections {
        println!("    line {}: {}", rejection.line, rejection.reason);
    }
    if no_serve {
        return Ok(ExitCode::SUCCESS);
    }

    crate::commands::run_server(config, Some(listen), |bound| {
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
        println!("Stop with Ctrl-C.");
    })
}

//! The commands of the `hallbox` binary, one function each.
//!
//! Each returns the process exit code, or an error whose whole chain `main`
//! prints once.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{NaiveDateTime, Utc};

use crate::auth::{random_hex, NewToken, Role};
use crate::cli::{CsvTable, ReportFormat};
use crate::config::{self, Config};
use crate::import;
use crate::journal::{ChainProblem, Journal, JournalReader, VerifyReport};
use crate::report::attendance as report;
use crate::time::{utc_to_local, Month};

/// `hallbox check-config FILE`.
pub fn check_config(file: &Path) -> anyhow::Result<ExitCode> {
    match config::load(file) {
        Ok(config) => {
            let units = config.units.len();
            println!(
                "{}: valid ({units} {}, {} staff, journal {})",
                file.display(),
                if units == 1 { "unit" } else { "units" },
                config.staff.len(),
                config.journal.path.display()
            );
            if config.units.is_empty() || config.staff.is_empty() {
                println!(
                    "note: no [[unit]] or no [[staff]]: the reports will list nobody; start from \
                     the example configuration"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn load_config(file: &Path) -> anyhow::Result<Config> {
    config::load(file).map_err(|error| anyhow::anyhow!("{error}"))
}

pub fn open_journal(config: &Config) -> anyhow::Result<Journal> {
    let path = &config.journal.path;
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).with_context(|| {
                format!("failed to create the journal folder '{}'", parent.display())
            })?;
        }
    }
    Journal::open(path).with_context(|| format!("failed to open the journal '{}'", path.display()))
}

/// `hallbox import attlog FILE --device ID [--new-device]`.
pub fn import_attlog(
    file: &Path,
    device: &str,
    new_device: bool,
    config_file: &Path,
) -> anyhow::Result<ExitCode> {
    let config = load_config(config_file)?;
    let bytes = std::fs::read(file)
        .with_context(|| format!("failed to read the export '{}'", file.display()))?;
    let mut journal = open_journal(&config)?;
    if let Err(error) = import::check_known_device(&config, &journal, device, new_device) {
        if matches!(error, import::ImportError::UnknownDevice { .. }) {
            bail!("{error} (--new-device)");
        }
        return Err(error.into());
    }
    let now = Utc::now();
    let limits = import::time_limits(&config.import, config.site.time_zone, now);
    let summary = import::import_attlog(
        &mut journal,
        &bytes,
        device,
        &limits,
        config.site.time_zone,
        now,
    )
    .with_context(|| format!("failed to import '{}'", file.display()))?;

    for rejection in &summary.rejections {
        eprintln!(
            "{}:{}: rejected: {}",
            file.display(),
            rejection.line,
            rejection.reason
        );
    }
    if summary.rejected > summary.rejections.len() as u64 {
        eprintln!(
            "{}: {} more rejected lines not listed",
            file.display(),
            summary.rejected - summary.rejections.len() as u64
        );
    }
    println!(
        "imported {} / duplicate {} / rejected {}",
        summary.imported, summary.duplicate, summary.rejected
    );
    // A file of which no line was a punch is most likely not an export
    // (a wrong file, or one cut or garbled): a script must notice.
    if summary.imported == 0 && summary.duplicate == 0 && summary.rejected > 0 {
        eprintln!(
            "{}: no line is a punch record: check that this is the clock's attlog export",
            file.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `hallbox report --month YYYY-MM`.
pub fn report(
    config_file: &Path,
    month: &str,
    format: ReportFormat,
    table: CsvTable,
    as_of: Option<&str>,
) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal as _;
    if format == ReportFormat::Xlsx && std::io::stdout().is_terminal() {
        bail!("an Excel workbook is binary: redirect standard output to a file, such as > {month}.xlsx");
    }
    let config = load_config(config_file)?;
    let month = Month::parse(month)?;
    config
        .calendar
        .check_month_covered(month.year, month.month)
        .with_context(|| format!("cannot report {month}"))?;
    let now = Utc::now();
    let as_of = match as_of {
        Some(text) => {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").with_context(|| {
                format!("invalid --as-of '{text}': expected local time YYYY-MM-DDTHH:MM:SS")
            })?
        }
        None => utc_to_local(config.site.time_zone, now),
    };

    if !config.journal.path.exists() {
        bail!(
            "journal '{}' does not exist: import an export with `hallbox import attlog` or start the daemon with `hallbox serve` first",
            config.journal.path.display()
        );
    }
    let reader = JournalReader::open(&config.journal.path)?;
    let data = report::load(&config, &reader, month, true)?;
    let result = report::evaluate(&config, &data, month, as_of, now)?;

    let bytes = match (format, table) {
        (ReportFormat::Json, _) => {
            let mut text = serde_json::to_vec_pretty(&result)?;
            text.push(b'\n');
            text
        }
        (ReportFormat::Csv, CsvTable::Summary) => report::summary_csv(&result),
        (ReportFormat::Csv, CsvTable::Days) => report::days_csv(&result),
        (ReportFormat::Xlsx, _) => {
            crate::report::xlsx::attendance_workbook(&result, config.site.time_zone)
                .context("failed to write the Excel workbook")?
        }
        (ReportFormat::Csv, CsvTable::Outages) => crate::report::records::outages_csv(&result),
        (ReportFormat::Csv, CsvTable::Writeoffs) => crate::report::records::write_offs_csv(&result),
    };
    use std::io::Write as _;
    std::io::stdout()
        .write_all(&bytes)
        .context("failed to write the report to standard output")?;
    Ok(ExitCode::SUCCESS)
}

/// `hallbox verify`.
pub fn verify(config_file: &Path, journal: Option<&Path>) -> anyhow::Result<ExitCode> {
    let path = match journal {
        Some(path) => path.to_path_buf(),
        None => load_config(config_file)?.journal.path,
    };
    if !path.exists() {
        bail!("journal '{}' does not exist", path.display());
    }
    let reader = JournalReader::open(&path)
        .with_context(|| format!("failed to open the journal '{}'", path.display()))?;
    match reader.verify()? {
        VerifyReport::Ok { events, tip } => {
            println!("{}: ok, {events} events, chain tip {tip}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        VerifyReport::Broken { seq, problem } => {
            let what = match problem {
                ChainProblem::Gap { expected } => {
                    format!("event {expected} is missing (rows were deleted)")
                }
                ChainProblem::PrevHashMismatch => {
                    "its previous-hash does not match the event before it".to_string()
                }
                ChainProblem::HashMismatch => {
                    "its hash does not match its contents (the row was edited)".to_string()
                }
                ChainProblem::TipMismatch { expected_seq, .. } => {
                    format!("the chain does not end at event {expected_seq}")
                }
            };
            eprintln!("{}: broken at event {seq}: {what}", path.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `hallbox serve`.
pub fn serve(config_file: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(config_file)?;
    run_server(config, None, |_| {})
}

/// Runs the daemon until Ctrl-C or SIGTERM; see [`crate::server::run`].
pub fn run_server(
    config: Config,
    listen: Option<SocketAddr>,
    on_ready: impl FnOnce(SocketAddr) + Send,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    runtime.block_on(crate::server::run(config, listen, on_ready))?;
    Ok(ExitCode::SUCCESS)
}

/// `hallbox token new --role ROLE [--unit UNIT] [--id ID] [--config FILE]`.
pub fn token_new(
    role: &str,
    unit: Option<&str>,
    id: Option<&str>,
    config_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let role: Role = role.parse()?;
    match (role, unit) {
        (Role::Chief, None) => bail!("a chief token is bound to one window unit: add --unit UNIT"),
        (Role::Chief, Some(_)) | (_, None) => {}
        (other, Some(_)) => {
            bail!("only chief tokens are bound to a unit: remove --unit from the {other} token")
        }
    }
    let id = match id {
        Some(id) => id.to_string(),
        None => {
            let suffix = random_hex(2)?;
            match unit {
                Some(unit) => format!("{role}-{unit}-{suffix}"),
                None => format!("{role}-{suffix}"),
            }
        }
    };
    if let Some(file) = config_file {
        let config = load_config(file)?;
        if let Some(unit) = unit {
            if !config.units.iter().any(|u| u.id == unit) {
                bail!(
                    "unknown unit '{unit}': {} declares no [[unit]] with this id",
                    file.display()
                );
            }
        }
        if config.tokens.iter().any(|token| token.id == id) {
            bail!(
                "token id '{id}' is already in {}: choose another with --id",
                file.display()
            );
        }
    }

    let token = NewToken::generate()?;
    let unit_line = unit
        .map(|unit| format!("unit = \"{unit}\"\n"))
        .unwrap_or_default();
    let bound = unit
        .map(|unit| format!(" for unit {unit}"))
        .unwrap_or_default();
    println!("New {role} token{bound}. It is shown only this once: hand it to its user now.");
    println!();
    println!("{}", token.secret());
    println!();
    println!("Add these lines to the configuration file and restart hallbox:");
    println!();
    print!(
        "[[token]]\nid = \"{id}\"\nrole = \"{role}\"\n{unit_line}sha256 = \"{}\"\n",
        token.sha256_hex
    );
    Ok(ExitCode::SUCCESS)
}

/// `hallbox demo`.
pub fn demo(listen: SocketAddr, dir: Option<&Path>, no_serve: bool) -> anyhow::Result<ExitCode> {
    crate::demo::run(listen, dir, no_serve)
}

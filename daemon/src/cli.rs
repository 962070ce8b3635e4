//! Command-line interface of the `hallbox` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Default configuration file of an installed site box.
pub const DEFAULT_CONFIG: &str = "/etc/hallbox/hallbox.toml";

/// Site-box daemon of a government service hall: punches, ratings, rules and reports.
#[derive(Debug, Parser)]
#[command(name = "hallbox", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API on the configured address, with the journal open.
    Serve {
        /// Configuration file.
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Validate a configuration file and exit non-zero on any error.
    CheckConfig {
        /// Configuration file to check.
        file: PathBuf,
    },
    /// Import records into the journal.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the monthly attendance report.
    Report {
        /// Configuration file.
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Month to report, as YYYY-MM.
        #[arg(long)]
        month: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
        format: ReportFormat,
        /// CSV table: one row per person with month totals, or one row per
        /// person and working day.
        #[arg(long, value_enum, default_value_t = CsvTable::Summary)]
        table: CsvTable,
        /// Evaluate as of this local time (YYYY-MM-DDTHH:MM:SS) instead of now.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Walk the journal's hash chain and report the first event that does not match.
    Verify {
        /// Configuration file naming the journal.
        #[arg(long, default_value = DEFAULT_CONFIG, conflicts_with = "journal")]
        config: PathBuf,
        /// Journal file to verify instead of the configured one.
        #[arg(long)]
        journal: Option<PathBuf>,
    },
    /// Manage the bearer tokens of the API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run the shipped example: a generated month of punches for the example
    /// hall, imported into a temporary journal and served over HTTP.
    Demo {
        /// Address to serve on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Folder for the example's files; a temporary folder by default.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Prepare the files and the journal, print what was imported, and
        /// exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a ZKTeco USB attendance export (`<n>_attlog.dat`).
    Attlog {
        /// The export file.
        file: PathBuf,
        /// Id of the clock the export came from, e.g. `clock-east-1`: a
        /// configured clock, or one imported before.
        #[arg(long)]
        device: String,
        /// Accept a device id that is neither configured nor in the journal
        /// yet, for a clock that is not in the configuration.
        #[arg(long)]
        new_device: bool,
        /// Configuration file naming the journal.
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a new token: prints the token once, and the [[token]] entry with
    /// its hash to add to the configuration file.
    New {
        /// What the token may do: hr, bureau, chief (one window unit) or
        /// central.
        #[arg(long, value_parser = ["hr", "bureau", "chief", "central"])]
        role: String,
        /// The window unit of a chief token, such as `tax`.
        #[arg(long)]
        unit: Option<String>,
        /// Name of the token in logs and the audit trail; by default the
        /// role, the unit and four random hex digits.
        #[arg(long)]
        id: Option<String>,
        /// Configuration file to check the unit and the id against.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
    Csv,
    /// Excel workbook with every table and the notes; write it to a file.
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvTable {
    Summary,
    Days,
    /// The month's clock outages with their times and notes.
    Outages,
    /// The month's write-offs with their status and reasons.
    Writeoffs,
}

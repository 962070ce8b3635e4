//! The monthly attendance report for 1,000 people over a 31-day month.
//!
//! Run with `cargo bench --bench report`. December 2026 has 31 days, 23 of
//! them working days. Every person punches with the demo's realistic
//! irregularities (late, early, missing and repeated punches), which gives
//! about 100,000 punches. The bench times each step of a report request:
//! reading the punches from the journal, applying the rules, and writing
//! the JSON body; and the three together.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use hallbox::config;
use hallbox::demo::export::{generate_month, Irregularities};
use hallbox::import::{import_attlog, time_limits};
use hallbox::journal::{Journal, JournalReader};
use hallbox::report::attendance as report;
use hallbox::time::Month;

const PEOPLE: u32 = 1_000;
const RUNS: usize = 15;
const MONTH: Month = Month {
    year: 2026,
    month: 12,
};

fn config_text(journal: &Path) -> String {
    let calendar = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
    let mut text = format!(
        "[journal]\npath = \"{}\"\n[calendar]\nfiles = [\"{}/cn-2025.toml\", \"{}/cn-2026.toml\"]\n\
         [[unit]]\nid = \"hall\"\nname = \"大厅\"\nwindows = [{{ id = \"W01\", name = \"1号窗口\" }}]\n",
        journal.display(),
        calendar.display(),
        calendar.display()
    );
    for person in 1..=PEOPLE {
        text.push_str(&format!(
            "[[staff]]\nid = \"S{person:04}\"\nname = \"员工{person}\"\nunit = \"hall\"\npins = [\"{}\"]\n",
            1000 + person
        ));
    }
    text
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("journal.sqlite");
    let config = config::parse(
        &dir.path().join("bench.toml"),
        &config_text(&journal_path),
        dir.path(),
    )
    .expect("bench configuration");

    let pins: Vec<String> = (1..=PEOPLE).map(|p| (1000 + p).to_string()).collect();
    let export = generate_month(
        &pins,
        MONTH,
        &config.calendar,
        &config.attendance,
        Irregularities::REALISTIC,
        11,
    )
    .unwrap();
    let mut journal = Journal::open(&journal_path).unwrap();
    let now = Utc::now();
    // December 2026 is partly in the future of the machine's clock: accept
    // punches up to the end of the month.
    let mut limits = time_limits(&config.import, config.site.time_zone, now);
    limits.latest = NaiveDate::from_ymd_opt(2027, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let summary = import_attlog(
        &mut journal,
        export.as_bytes(),
        "clock-1",
        &limits,
        config.site.time_zone,
        now,
    )
    .unwrap();
    drop(journal);
    println!(
        "{} people, {} working days in {MONTH}, {} punches",
        PEOPLE,
        config
            .calendar
            .working_days_in_month(MONTH.year, MONTH.month)
            .unwrap()
            .len(),
        summary.imported
    );

    let as_of = NaiveDate::from_ymd_opt(2027, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let (mut loads, mut rules, mut json, mut totals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut body_len = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let reader = JournalReader::open(&journal_path).unwrap();
        let data = report::load(&config, &reader, MONTH, false).unwrap();
        let loaded = Instant::now();
        let result = report::evaluate(&config, &data, MONTH, as_of, now).unwrap();
        let evaluated = Instant::now();
        let body = serde_json::to_vec(&result).unwrap();
        let written = Instant::now();
        body_len = body.len();

        loads.push(loaded - started);
        rules.push(evaluated - loaded);
        json.push(written - evaluated);
        totals.push(written - started);
    }
    println!(
        "median of {RUNS}: journal read {:.1} ms, rules {:.1} ms, JSON {:.1} ms ({:.1} MB), total {:.1} ms (goal: under 100 ms)",
        ms(median(loads)),
        ms(median(rules)),
        ms(median(json)),
        body_len as f64 / 1e6,
        ms(median(totals))
    );
}

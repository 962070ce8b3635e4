//! Output of the demo: the planned month, and what the journal contains
//! after the replay, with the ratings of each window.

use std::collections::BTreeMap;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use super::plan::{Planned, Step};
use crate::config::Config;
use crate::rules::ratings::Level;

/// Prints how many steps of each kind the month has, and the misclick.
pub fn print_plan(plan: &[Planned]) {
    let mut lines = 0;
    let mut touches = 0;
    let mut presses = 0;
    for planned in plan {
        match &planned.step {
            Step::ClockLine { .. } => lines += 1,
            Step::Touch { .. } => touches += 1,
            Step::Press {
                misclick, address, ..
            } => {
                presses += 1;
                if *misclick {
                    println!(
                        "  misclick:      keypad {address} at {}: 非常不满意 pressed by mistake, \
                         非常满意 2 s later (stored as a repeat)",
                        planned.at
                    );
                }
            }
        }
    }
    println!(
        "  month:         {lines} clock lines, {touches} fingerprint touches, {presses} keypad presses"
    );
}

/// Prints the punches by source and the ratings by window from the journal.
pub fn print_journal(config: &Config) -> anyhow::Result<()> {
    let conn = Connection::open_with_flags(&config.journal.path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .context("failed to open the demo journal for reading")?;

    let mut statement = conn.prepare(
        "SELECT json_extract(payload, '$.source'), count(*) FROM events \
         WHERE kind = 'punch' GROUP BY 1 ORDER BY 1",
    )?;
    let sources: Vec<(String, i64)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let sources: Vec<String> = sources
        .iter()
        .map(|(source, count)| format!("{count} {source}"))
        .collect();
    println!("  punches:       {}", sources.join(", "));

    // window -> (level -> counted presses, repeats)
    let mut windows: BTreeMap<String, (BTreeMap<String, i64>, i64)> = BTreeMap::new();
    let mut statement = conn.prepare(
        "SELECT subject, json_extract(payload, '$.level'), json_extract(payload, '$.repeat'), \
         count(*) FROM events WHERE kind = 'rating' GROUP BY 1, 2, 3",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, bool>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (window, level, repeat, count) = row?;
        let entry = windows.entry(window).or_default();
        if repeat {
            entry.1 += count;
        } else {
            *entry.0.entry(level).or_default() += count;
        }
    }
    println!("  ratings:       presses stored per window; repeats are kept but not counted");
    for (window, (levels, repeats)) in &windows {
        let name = config
            .units
            .iter()
            .flat_map(|unit| unit.windows.iter())
            .find(|w| &w.id == window)
            .map_or("", |w| w.name.as_str());
        let counts: Vec<String> = Level::ALL
            .iter()
            .map(|level| {
                let count = levels.get(level.as_str()).copied().unwrap_or(0);
                format!("{} {count}", level.label_zh())
            })
            .collect();
        println!("    {window} {name}: {}, 重复 {repeats}", counts.join(", "));
    }
    Ok(())
}

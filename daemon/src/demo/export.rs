//! Generated ZKTeco USB exports for the demo and the benchmarks.
//!
//! The lines follow the real `attlog.dat` layout: right-aligned PIN, local
//! time, device id, status (0 in, 1 out), verify mode and work code,
//! tab-separated, LF line ends, in time order. The month is realistic rather
//! than perfect: people arrive late now and then, forget a punch, press
//! twice, and stay away a whole day once in a while. A fixed seed gives the
//! same file every time.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime};

use crate::calendar::{Calendar, CalendarError};
use crate::rules::{AttendanceSettings, Checkpoint};
use crate::time::Month;

/// Chances, in percent, of each irregularity per person and working day.
#[derive(Debug, Clone, Copy)]
pub struct Irregularities {
    /// The person punches nothing all day.
    pub absent_day: u32,
    /// A sign-in punch comes after the checkpoint.
    pub late: u32,
    /// A sign-out punch comes before the checkpoint.
    pub early: u32,
    /// A punch is forgotten.
    pub missing: u32,
    /// A punch is followed by a second one a few seconds later.
    pub repeat: u32,
    /// The export also carries the faults that real files have: a PIN not on
    /// the roster, a clock reset to the year 2000, and a garbled line.
    pub faults: bool,
}

impl Irregularities {
    /// A hall month with a few of every kind.
    pub const REALISTIC: Irregularities = Irregularities {
        absent_day: 1,
        late: 6,
        early: 3,
        missing: 2,
        repeat: 10,
        faults: true,
    };

    /// Everyone punches all four checkpoints on time, once.
    pub const NONE: Irregularities = Irregularities {
        absent_day: 0,
        late: 0,
        early: 0,
        missing: 0,
        repeat: 0,
        faults: false,
    };
}

/// Small deterministic generator (SplitMix64), enough for test data.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: u32) -> u32 {
        (self.next() % u64::from(bound.max(1))) as u32
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

/// One line of an export in the 6-column layout.
pub fn attlog_line(pin: &str, time: NaiveDateTime, device: &str, status: u8, verify: u8) -> String {
    format!(
        "{pin:>9}\t{}\t{device}\t{status}\t{verify}\t0\n",
        time.format("%Y-%m-%d %H:%M:%S")
    )
}

/// Writes a month of punches for `pins` on every working day of `month`.
pub fn generate_month(
    pins: &[String],
    month: Month,
    calendar: &Calendar,
    settings: &AttendanceSettings,
    irregularities: Irregularities,
    seed: u64,
) -> Result<String, CalendarError> {
    let mut rng = SplitMix(seed ^ (u64::from(month.month) << 32) ^ month.year as u64);
    let mut punches: Vec<(NaiveDateTime, usize, u8, u8)> = Vec::new();
    let days = calendar.working_days_in_month(month.year, month.month)?;

    for day in &days {
        for (index, _) in pins.iter().enumerate() {
            if rng.chance(irregularities.absent_day) {
                continue;
            }
            let verify = if index % 3 == 0 { 15 } else { 1 };
            for checkpoint in Checkpoint::ALL {
                if rng.chance(irregularities.missing) {
                    continue;
                }
                let at = punch_time(*day, checkpoint, settings, irregularities, &mut rng);
                let status = if checkpoint.is_sign_in() { 0 } else { 1 };
                punches.push((at, index, status, verify));
                if rng.chance(irregularities.repeat) {
                    let again = at + chrono::Duration::seconds(i64::from(3 + rng.below(30)));
                    punches.push((again, index, status, verify));
                }
            }
        }
    }
    punches.sort();

    let mut text = String::with_capacity(punches.len() * 40);
    for (at, index, status, verify) in &punches {
        text.push_str(&attlog_line(&pins[*index], *at, "1", *status, *verify));
    }
    if irregularities.faults {
        if let Some(day) = days.first() {
            let stranger = day.and_hms_opt(9, 12, 5).expect("valid time");
            text.push_str(&attlog_line("99999", stranger, "1", 0, 1));
        }
        let reset = NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 3, 12))
            .expect("valid time");
        if let Some(pin) = pins.first() {
            text.push_str(&attlog_line(pin, reset, "1", 0, 1));
        }
        let _ = writeln!(text, "\u{fffd}\u{fffd}\t20#6-11-0? 25:61:00\t1");
    }
    Ok(text)
}

/// A punch near a checkpoint: usually on time, sometimes late or early.
fn punch_time(
    day: NaiveDate,
    checkpoint: Checkpoint,
    settings: &AttendanceSettings,
    irregularities: Irregularities,
    rng: &mut SplitMix,
) -> NaiveDateTime {
    let at = day.and_time(settings.spec(checkpoint).at);
    let seconds = |s: u32| chrono::Duration::seconds(i64::from(s));
    // Offsets stay inside the default punch windows, which reach at least
    // 75 minutes either side of every checkpoint.
    if checkpoint.is_sign_in() {
        if rng.chance(irregularities.late) {
            at + seconds(60 + rng.below(40 * 60))
        } else {
            at - seconds(1 + rng.below(30 * 60))
        }
    } else if rng.chance(irregularities.early) {
        at - seconds(1 + rng.below(30 * 60))
    } else {
        at + seconds(rng.below(20 * 60))
    }
}

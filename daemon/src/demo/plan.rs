//! The demo month as a time-ordered list of device actions: clock lines,
//! fingerprint touches and keypad presses.
//!
//! Punches come from [`super::export::generate_month`], so they are late,
//! missing and repeated now and then, and end with the faults real clocks
//! print. The staff member on fingerprint page 0 punches on the fingerprint
//! module; everyone else on the clock. Each window's keypad gets 8 to 15
//! presses per working day between 09:00 and 17:30, mostly satisfied, with
//! an occasional quick second press (a repeat) and one misclick: 非常不满意
//! pressed by mistake and 非常满意 two seconds later.

use chrono::{Duration, NaiveDateTime, NaiveTime};
use hallbox_drivers::attlog::{self, Layout, TimeLimits};

use crate::calendar::{Calendar, CalendarError};
use crate::time::Month;

/// One device action of the demo month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The clock prints `line`. `pin` is `None` for a line the box rejects.
    ClockLine { line: String, pin: Option<String> },
    /// A finger enrolled on `page_id` touches the fingerprint module.
    Touch { page_id: u16 },
    /// Button `button` is pressed on the keypad at `address`.
    Press {
        address: u8,
        button: u8,
        /// The press is the mistaken first half of the misclick.
        misclick: bool,
    },
}

/// A step at a local time of the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub at: NaiveDateTime,
    pub step: Step,
}

/// Routing of punches to the fingerprint module.
#[derive(Debug, Clone)]
pub struct Routing {
    /// PIN of the staff member who punches on the fingerprint module.
    pub fingerprint_pin: String,
    /// Library page of that staff member.
    pub fingerprint_page: u16,
}

/// Share, in percent, of presses on each button 1 to 5.
const BUTTON_SHARES: [u32; 5] = [55, 30, 10, 4, 1];
/// Chance, in percent, that an applicant presses twice within 3 s.
const REPEAT_PERCENT: u32 = 6;
/// Working day (counted from 0) and keypad index of the misclick.
const MISCLICK: (usize, usize) = (7, 1);

/// Small deterministic generator (SplitMix64), as the export generator uses.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, bound: u32) -> u32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % u64::from(bound.max(1))) as u32
    }
}

/// Turns the export text of `month` into clock lines and touches.
///
/// A line that is not a punch of the month is garbled or comes from a clock
/// reset to the year 2000. It keeps the time of the line before it, so it
/// is printed within the month and the box rejects it as it would a real one.
pub fn punches(export: &str, routing: &Routing, month: Month) -> Vec<Planned> {
    let limits = TimeLimits {
        earliest: month.first_day().and_time(NaiveTime::MIN),
        latest: month.next_first_day().and_time(NaiveTime::MIN),
    };
    let mut steps = Vec::new();
    let mut last = None;
    for line in export.lines() {
        let printed = format!("{line}\r\n");
        match attlog::parse_line(line.as_bytes(), Layout::UsbExport, &limits) {
            Ok(record) => {
                last = Some(record.time);
                let step = if record.pin == routing.fingerprint_pin {
                    Step::Touch {
                        page_id: routing.fingerprint_page,
                    }
                } else {
                    Step::ClockLine {
                        line: printed,
                        pin: Some(record.pin),
                    }
                };
                steps.push(Planned {
                    at: record.time,
                    step,
                });
            }
            Err(_) => {
                if let Some(at) = last {
                    steps.push(Planned {
                        at: at + Duration::seconds(1),
                        step: Step::ClockLine {
                            line: printed,
                            pin: None,
                        },
                    });
                }
            }
        }
    }
    steps
}

/// Plans the keypad presses of `month` for the keypads at `addresses`.
pub fn presses(
    month: Month,
    calendar: &Calendar,
    addresses: &[u8],
    seed: u64,
) -> Result<Vec<Planned>, CalendarError> {
    let mut rng = SplitMix(seed);
    let mut steps = Vec::new();
    let open = NaiveTime::from_hms_opt(9, 0, 0).expect("valid time");
    let open_seconds = 8 * 3600 + 30 * 60;
    let days = calendar.working_days_in_month(month.year, month.month)?;
    for (day_index, day) in days.iter().enumerate() {
        for (keypad_index, address) in addresses.iter().enumerate() {
            let count = 8 + rng.below(8);
            let mut times: Vec<u32> = (0..count).map(|_| rng.below(open_seconds)).collect();
            times.sort_unstable();
            for offset in times {
                let at = day.and_time(open) + Duration::seconds(i64::from(offset));
                let button = pick_button(&mut rng);
                steps.push(press(at, *address, button, false));
                if rng.below(100) < REPEAT_PERCENT {
                    let again = at + Duration::milliseconds(1_000 + i64::from(rng.below(1_500)));
                    steps.push(press(again, *address, button, false));
                }
            }
            if (day_index, keypad_index) == MISCLICK {
                let at = day.and_time(NaiveTime::from_hms_opt(10, 17, 0).expect("valid time"));
                steps.push(press(at, *address, 5, true));
                steps.push(press(at + Duration::seconds(2), *address, 1, false));
            }
        }
    }
    Ok(steps)
}

fn press(at: NaiveDateTime, address: u8, button: u8, misclick: bool) -> Planned {
    Planned {
        at,
        step: Step::Press {
            address,
            button,
            misclick,
        },
    }
}

fn pick_button(rng: &mut SplitMix) -> u8 {
    let mut roll = rng.below(100);
    for (index, share) in BUTTON_SHARES.iter().enumerate() {
        if roll < *share {
            return index as u8 + 1;
        }
        roll -= share;
    }
    1
}

/// Merges step lists into one in time order; steps at the same time keep
/// their order.
pub fn merge(mut lists: Vec<Vec<Planned>>) -> Vec<Planned> {
    let mut all: Vec<Planned> = lists.drain(..).flatten().collect();
    all.sort_by_key(|planned| planned.at);
    all
}

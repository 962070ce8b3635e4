//! Commands for clocks: the per-clock queue that each `getrequest` poll
//! empties, and setting a clock's time from the box.
//!
//! A command is sent once, in the reply to the clock's next poll, as
//! `C:<id>:<command>`. The clock reports the result with the same id on
//! `POST /iclock/devicecmd`. Queues live in memory only: a command queued
//! but not yet sent is lost when the daemon stops.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hallbox_drivers::adms::{command_lines, ok, Command, CommandKind, DeviceCmdResult};
use tracing::{info, warn};

use super::clock::{Clock, QueuedAction, QueuedCommand, MAX_QUEUED_COMMANDS};
use super::{AdmsError, AdmsState};
use crate::time::utc_to_local;

/// Unix time of 2020-01-01 00:00:00 UTC, in seconds. Command ids start at
/// the seconds since then, so ids of a restarted daemon do not repeat the
/// ids of the run before unless it sent more than one command a second.
const COMMAND_ID_EPOCH: i64 = 1_577_836_800;

/// Shortest time between two automatic time-setting commands for one
/// clock, so a clock that ignores the command is not sent one per batch.
const SET_TIME_INTERVAL: Duration = Duration::from_secs(3600);

/// Returns the first command id of a daemon started at `now`.
pub(super) fn first_command_id(now: DateTime<Utc>) -> u32 {
    u32::try_from(now.timestamp() - COMMAND_ID_EPOCH)
        .unwrap_or(1)
        .max(1)
}

impl AdmsState {
    /// Queues a command for the clock with device id `clock_id` and returns
    /// its id. The command goes out with the clock's next poll.
    pub fn queue_command(&self, clock_id: &str, action: QueuedAction) -> Result<u32, AdmsError> {
        let clock = self
            .clock_by_id(clock_id)
            .ok_or_else(|| AdmsError::UnknownClock(clock_id.to_string()))?;
        self.queue_on(clock, action)
    }

    /// Queues a command that sets the clock to the box's local time when
    /// it is sent, and returns its id.
    pub fn queue_set_time(&self, clock_id: &str) -> Result<u32, AdmsError> {
        self.queue_command(clock_id, QueuedAction::SetTimeNow)
    }

    fn queue_on(&self, clock: &Clock, action: QueuedAction) -> Result<u32, AdmsError> {
        let mut state = clock.state();
        if state.queue.len() >= MAX_QUEUED_COMMANDS {
            return Err(AdmsError::QueueFull {
                id: clock.config.id.clone(),
                max: MAX_QUEUED_COMMANDS,
            });
        }
        let id = self.next_command_id.fetch_add(1, Ordering::Relaxed);
        if action == QueuedAction::SetTimeNow {
            state.set_time_queued_at = Some(Instant::now());
        }
        state.queue.push_back(QueuedCommand { id, action });
        Ok(id)
    }

    /// Queues a time-setting command for a clock whose time is off, when
    /// `[adms] set_clock_time` allows it, the box's own date is plausible,
    /// and no such command was queued for this clock in the last hour.
    pub(super) fn set_time_if_due(&self, clock: &Clock) {
        if !self.settings.set_clock_time {
            return;
        }
        let box_local = utc_to_local(self.zone, Utc::now());
        if box_local.date() < self.import.earliest {
            if let Some(suppressed) = self.throttle("box-time") {
                warn!(
                    box_time = %box_local,
                    earliest = %self.import.earliest,
                    suppressed,
                    "the box's own date is before import.earliest, so no clock is set from it (check the box's time)"
                );
            }
            return;
        }

        let due = {
            let state = clock.state();
            let recent = state
                .set_time_queued_at
                .is_some_and(|at| at.elapsed() < SET_TIME_INTERVAL);
            let waiting = state
                .queue
                .iter()
                .any(|command| command.action == QueuedAction::SetTimeNow);
            !recent && !waiting
        };
        if !due {
            return;
        }
        match self.queue_on(clock, QueuedAction::SetTimeNow) {
            Ok(id) => info!(
                command_id = id,
                "queued a command to set the clock's time from the box"
            ),
            Err(error) => {
                warn!(error = %error, "failed to queue a command to set the clock's time")
            }
        }
    }

    /// Empties the clock's queue and returns the reply to its poll: one
    /// `C:<id>:<command>` line per command, or `OK` when none is waiting.
    pub(super) fn take_commands(&self, clock: &Clock) -> String {
        let mut state = clock.state();
        if state.queue.is_empty() {
            return ok();
        }

        let box_local = utc_to_local(self.zone, Utc::now());
        let mut reply = String::new();
        while let Some(queued) = state.queue.pop_front() {
            let kind = match queued.action {
                QueuedAction::SetTimeNow => CommandKind::SetDateTime(box_local),
                QueuedAction::Command(kind) => kind,
            };
            let command = Command {
                id: queued.id,
                kind,
            };
            // One command at a time, so a command that cannot be sent does
            // not hold back the others.
            match command_lines(std::slice::from_ref(&command)) {
                Ok(line) => {
                    info!(command_id = command.id, command = %line.trim_end(), "sent a command to the clock");
                    state.remember_sent(command.id, line.trim_end().to_string());
                    reply.push_str(&line);
                }
                Err(error) => {
                    warn!(command_id = command.id, error = %error, "dropped a command that cannot be sent");
                }
            }
        }
        if reply.is_empty() {
            ok()
        } else {
            reply
        }
    }

    /// Logs the results a clock reported and removes their commands from the
    /// list of sent commands.
    pub(super) fn note_results(&self, clock: &Clock, results: &[DeviceCmdResult]) {
        let mut state = clock.state();
        for result in results {
            let sent = state.sent.remove(&result.id);
            let command = sent.as_deref().unwrap_or("(not sent by this run)");
            if result.return_code < 0 {
                warn!(
                    command_id = result.id,
                    return_code = result.return_code,
                    cmd = %result.cmd,
                    command,
                    "the clock reported that a command failed"
                );
            } else {
                info!(
                    command_id = result.id,
                    return_code = result.return_code,
                    cmd = %result.cmd,
                    command,
                    "the clock reported a command result"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_ids_from_2020() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(first_command_id(at("2020-01-01T00:00:10Z")), 10);
        // 2026-11-02T00:00:00Z is 1_793_577_600 s after the Unix epoch.
        assert_eq!(
            first_command_id(at("2026-11-02T00:00:00Z")),
            1_793_577_600 - 1_577_836_800
        );
        // A box whose clock is before 2020 still starts at a valid id.
        assert_eq!(first_command_id(at("1970-01-01T00:00:00Z")), 1);
    }
}

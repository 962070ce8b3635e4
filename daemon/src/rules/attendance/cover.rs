//! What excuses a checkpoint: approved write-offs and clock outages.
//!
//! A covered checkpoint is neither late, early nor missing, whatever its
//! punches, and the report shows the write-off or the outage in its
//! place. The rules receive the covers as plain data in [`Covers`]; the
//! records module decides which write-offs are in force (approval chains,
//! emergency-leave paperwork, revocations) before they get here.
//!
//! - A write-off covers a person's checkpoints from its first slot to its
//!   last, inclusive, in the order of the day: whole days, half-day
//!   sessions or single checkpoints.
//! - An outage covers every person's checkpoint whose time (08:30, 12:00,
//!   14:30 or 18:00 on the date) falls in `[start, end)`; an outage without
//!   an end covers every later checkpoint. Patrol punches (巡查考勤登记) of a
//!   person stand in for the clock's punches there and are shown with the
//!   outage.
//!
//! Where both a write-off and an outage cover a checkpoint, the write-off
//! is shown, because it names the reason. Among write-offs, the one
//! registered first (lowest id) is shown.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize, Serializer};

use crate::rules::settings::{AttendanceSettings, Checkpoint};

/// Kind of write-off (核销登记): the reason a checkpoint is cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOffKind {
    /// 病假. Reported as personal leave without a doctor's certificate.
    SickLeave,
    /// 事假.
    PersonalLeave,
    /// 婚假.
    MarriageLeave,
    /// 产假.
    MaternityLeave,
    /// 丧假.
    BereavementLeave,
    /// 年休假 or 公休假.
    AnnualLeave,
    /// 探亲假.
    HomeVisitLeave,
    /// 公假: public duty, such as taking papers back to one's department.
    PublicDutyLeave,
    /// 续假: leave extended beyond what was first approved.
    ExtendedLeave,
    /// 因公出差.
    BusinessTrip,
    /// Went straight to a meeting or an errand before work
    /// (上班前直接外出开会、办事).
    MeetingBeforeWork,
    /// Out on business and not back at sign-out time
    /// (上班后外出办事、下班时不能按时返回).
    OutAtSignOut,
    /// The clock refused to confirm repeated punches, reported to the
    /// bureau (多次打卡不予确认).
    ClockRefused,
    /// A forgotten punch, investigated and approved by the bureau (更正).
    ForgottenPunch,
}

impl WriteOffKind {
    /// Number of kinds.
    pub const COUNT: usize = 14;

    /// Every kind, in the order of the enum.
    pub const ALL: [WriteOffKind; WriteOffKind::COUNT] = [
        WriteOffKind::SickLeave,
        WriteOffKind::PersonalLeave,
        WriteOffKind::MarriageLeave,
        WriteOffKind::MaternityLeave,
        WriteOffKind::BereavementLeave,
        WriteOffKind::AnnualLeave,
        WriteOffKind::HomeVisitLeave,
        WriteOffKind::PublicDutyLeave,
        WriteOffKind::ExtendedLeave,
        WriteOffKind::BusinessTrip,
        WriteOffKind::MeetingBeforeWork,
        WriteOffKind::OutAtSignOut,
        WriteOffKind::ClockRefused,
        WriteOffKind::ForgottenPunch,
    ];

    /// Position in [`WriteOffKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Returns the name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOffKind::SickLeave => "sick_leave",
            WriteOffKind::PersonalLeave => "personal_leave",
            WriteOffKind::MarriageLeave => "marriage_leave",
            WriteOffKind::MaternityLeave => "maternity_leave",
            WriteOffKind::BereavementLeave => "bereavement_leave",
            WriteOffKind::AnnualLeave => "annual_leave",
            WriteOffKind::HomeVisitLeave => "home_visit_leave",
            WriteOffKind::PublicDutyLeave => "public_duty_leave",
            WriteOffKind::ExtendedLeave => "extended_leave",
            WriteOffKind::BusinessTrip => "business_trip",
            WriteOffKind::MeetingBeforeWork => "meeting_before_work",
            WriteOffKind::OutAtSignOut => "out_at_sign_out",
            WriteOffKind::ClockRefused => "clock_refused",
            WriteOffKind::ForgottenPunch => "forgotten_punch",
        }
    }

    /// Returns the Chinese name used in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            WriteOffKind::SickLeave => "病假",
            WriteOffKind::PersonalLeave => "事假",
            WriteOffKind::MarriageLeave => "婚假",
            WriteOffKind::MaternityLeave => "产假",
            WriteOffKind::BereavementLeave => "丧假",
            WriteOffKind::AnnualLeave => "年休假",
            WriteOffKind::HomeVisitLeave => "探亲假",
            WriteOffKind::PublicDutyLeave => "公假",
            WriteOffKind::ExtendedLeave => "续假",
            WriteOffKind::BusinessTrip => "因公出差",
            WriteOffKind::MeetingBeforeWork => "上班前外出开会办事",
            WriteOffKind::OutAtSignOut => "外出办事未按时返回",
            WriteOffKind::ClockRefused => "多次打卡不予确认",
            WriteOffKind::ForgottenPunch => "忘记打卡更正",
        }
    }

    /// Returns whether the kind is leave, which needs the approval chain of
    /// its length.
    pub fn is_leave(self) -> bool {
        matches!(
            self,
            WriteOffKind::SickLeave
                | WriteOffKind::PersonalLeave
                | WriteOffKind::MarriageLeave
                | WriteOffKind::MaternityLeave
                | WriteOffKind::BereavementLeave
                | WriteOffKind::AnnualLeave
                | WriteOffKind::HomeVisitLeave
                | WriteOffKind::PublicDutyLeave
                | WriteOffKind::ExtendedLeave
        )
    }
}

/// A checkpoint of one date; slots order by date, then by checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Slot {
    pub date: NaiveDate,
    pub checkpoint: Checkpoint,
}

/// A write-off in force: it covers `person`'s checkpoints from `first` to
/// `last`, both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOffSpan {
    /// Id of the write-off: the journal sequence of its registration.
    pub id: i64,
    /// Staff id of the person.
    pub person: String,
    /// The kind reported, after sick leave without a certificate has become
    /// personal leave.
    pub kind: WriteOffKind,
    pub first: Slot,
    pub last: Slot,
}

/// A time in which the clocks could not take punches, in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageSpan {
    /// Id of the outage: the journal sequence of the event that opened it.
    pub id: i64,
    pub start: NaiveDateTime,
    /// End, excluded; `None` while the outage is open.
    pub end: Option<NaiveDateTime>,
}

/// A person seen at the post by the bureau's patrol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatrolPunch {
    /// Journal sequence of the patrol record.
    pub seq: i64,
    /// Staff id of the person.
    pub person: String,
    pub local: NaiveDateTime,
}

/// Everything that may excuse checkpoints in an evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Covers {
    pub write_offs: Vec<WriteOffSpan>,
    pub outages: Vec<OutageSpan>,
    pub patrols: Vec<PatrolPunch>,
}

/// A patrol punch standing in for a clock punch under an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PatrolStamp {
    pub at: NaiveTime,
    pub seq: i64,
}

/// Something that excuses one checkpoint of one day, so it is neither
/// late, early nor missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cover {
    /// An approved write-off of the person.
    WrittenOff {
        write_off: i64,
        reason: WriteOffKind,
    },
    /// A clock outage, with the person's patrol punch in the checkpoint's
    /// window if there is one.
    Outage {
        outage: i64,
        patrol: Option<PatrolStamp>,
    },
}

/// The covers of one day's four checkpoints, in the order of
/// [`Checkpoint::ALL`].
pub type DayCovers = [Option<Cover>; 4];

/// Covers of a day with nothing excused.
pub(super) const NO_COVERS: DayCovers = [None; 4];

/// The covers of one person, looked up day by day.
pub(super) struct PersonCovers<'c> {
    /// The person's write-offs, lowest id first.
    write_offs: Vec<&'c WriteOffSpan>,
    /// The person's patrol punches in time order.
    patrols: Vec<&'c PatrolPunch>,
    /// Every outage, lowest id first.
    outages: &'c [OutageSpan],
}

/// [`Covers`] sorted out by person.
pub(super) struct CoverIndex<'c> {
    write_offs: HashMap<&'c str, Vec<&'c WriteOffSpan>>,
    patrols: HashMap<&'c str, Vec<&'c PatrolPunch>>,
    outages: Vec<OutageSpan>,
}

impl<'c> CoverIndex<'c> {
    pub fn new(covers: &'c Covers) -> CoverIndex<'c> {
        let mut write_offs: HashMap<&str, Vec<&WriteOffSpan>> = HashMap::new();
        for span in &covers.write_offs {
            write_offs.entry(&span.person).or_default().push(span);
        }
        for spans in write_offs.values_mut() {
            spans.sort_by_key(|span| span.id);
        }
        let mut patrols: HashMap<&str, Vec<&PatrolPunch>> = HashMap::new();
        for patrol in &covers.patrols {
            patrols.entry(&patrol.person).or_default().push(patrol);
        }
        for list in patrols.values_mut() {
            list.sort_by_key(|patrol| (patrol.local, patrol.seq));
        }
        let mut outages = covers.outages.clone();
        outages.sort_by_key(|outage| outage.id);
        CoverIndex {
            write_offs,
            patrols,
            outages,
        }
    }

    /// Returns the covers of the person with staff id `person`.
    pub fn of_person(&self, person: &str) -> PersonCovers<'_> {
        PersonCovers {
            write_offs: self.write_offs.get(person).cloned().unwrap_or_default(),
            patrols: self.patrols.get(person).cloned().unwrap_or_default(),
            outages: &self.outages,
        }
    }
}

impl PersonCovers<'_> {
    /// Returns the covers of the four checkpoints of `date`.
    pub fn day(&self, settings: &AttendanceSettings, date: NaiveDate) -> DayCovers {
        if self.write_offs.is_empty() && self.outages.is_empty() {
            return NO_COVERS;
        }
        Checkpoint::ALL.map(|checkpoint| {
            let slot = Slot { date, checkpoint };
            if let Some(span) = self
                .write_offs
                .iter()
                .find(|span| span.first <= slot && slot <= span.last)
            {
                return Some(Cover::WrittenOff {
                    write_off: span.id,
                    reason: span.kind,
                });
            }
            let moment = date.and_time(settings.spec(checkpoint).at);
            let outage = self.outages.iter().find(|outage| {
                outage.start <= moment && outage.end.is_none_or(|end| moment < end)
            })?;
            Some(Cover::Outage {
                outage: outage.id,
                patrol: self.patrol_for(settings, date, checkpoint),
            })
        })
    }

    /// Finds the patrol punch that counts for a checkpoint: the earliest in
    /// a sign-in window, the latest in a sign-out window.
    fn patrol_for(
        &self,
        settings: &AttendanceSettings,
        date: NaiveDate,
        checkpoint: Checkpoint,
    ) -> Option<PatrolStamp> {
        let spec = settings.spec(checkpoint);
        let mut in_window = self.patrols.iter().filter(|patrol| {
            let seconds = crate::rules::settings::seconds_of_day(patrol.local.time());
            patrol.local.date() == date && spec.window_start <= seconds && seconds < spec.window_end
        });
        let patrol = if checkpoint.is_sign_in() {
            in_window.next()
        } else {
            in_window.next_back()
        }?;
        Some(PatrolStamp {
            at: patrol.local.time(),
            seq: patrol.seq,
        })
    }
}

/// Written-off checkpoints and half-days of a month, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WrittenOffTotals {
    checkpoints: [u32; WriteOffKind::COUNT],
    half_days: [u32; WriteOffKind::COUNT],
}

impl WrittenOffTotals {
    /// Counts one written-off checkpoint of `kind`.
    pub(super) fn add_checkpoint(&mut self, kind: WriteOffKind) {
        self.checkpoints[kind.index()] += 1;
    }

    /// Counts one half-day session whose two checkpoints are both written
    /// off as `kind`.
    pub(super) fn add_half_day(&mut self, kind: WriteOffKind) {
        self.half_days[kind.index()] += 1;
    }

    /// Written-off checkpoints of `kind`.
    pub fn checkpoints(&self, kind: WriteOffKind) -> u32 {
        self.checkpoints[kind.index()]
    }

    /// Half-day sessions written off whole as `kind`.
    pub fn half_days(&self, kind: WriteOffKind) -> u32 {
        self.half_days[kind.index()]
    }

    /// Written-off checkpoints of every kind.
    pub fn total_checkpoints(&self) -> u32 {
        self.checkpoints.iter().sum()
    }

    /// Returns the kinds with at least one written-off checkpoint, in the
    /// order of [`WriteOffKind::ALL`], with their checkpoints and half-days.
    pub fn by_kind(&self) -> impl Iterator<Item = (WriteOffKind, u32, u32)> + '_ {
        WriteOffKind::ALL
            .into_iter()
            .map(|kind| (kind, self.checkpoints(kind), self.half_days(kind)))
            .filter(|(_, checkpoints, _)| *checkpoints > 0)
    }
}

impl Serialize for WrittenOffTotals {
    /// Serializes as a map from kind to `{checkpoints, half_days}`, with
    /// the kinds that have none left out.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        #[derive(Serialize)]
        struct Count {
            checkpoints: u32,
            half_days: u32,
        }

        let mut map = serializer.serialize_map(None)?;
        for (kind, checkpoints, half_days) in self.by_kind() {
            map.serialize_entry(
                kind.as_str(),
                &Count {
                    checkpoints,
                    half_days,
                },
            )?;
        }
        map.end()
    }
}

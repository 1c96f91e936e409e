//! UTC time windows AWS schedules work in: daily (`03:00-04:00`, RDS
//! backups, ElastiCache snapshots) and weekly (`sun:03:30-sun:04:30`,
//! maintenance). Checked at plan: the format, the minimum length, and that a
//! daily window does not overlap the weekly one (AWS refuses that at apply).

use tfplugin::diag::Diagnostics;
use tfplugin::validate::Validator;
use tfplugin::value::{AttributePath, Value};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY: u32 = 24 * 60;
const WEEK: u32 = 7 * DAY;

/// A window as minutes of the week: `start` inclusive, `len` minutes long
/// (a window may wrap past Sunday midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

fn minute(t: &str) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn point(p: &str, with_day: bool) -> Option<u32> {
    if with_day {
        let (d, t) = p.split_once(':')?;
        let day = DAYS.iter().position(|x| *x == d)? as u32;
        Some(day * DAY + minute(t)?)
    } else {
        minute(p)
    }
}

/// Parses a daily (`with_day = false`) or weekly window.
pub fn parse(s: &str, with_day: bool) -> Option<Span> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (point(a, with_day)?, point(b, with_day)?);
    let period = if with_day { WEEK } else { DAY };
    let len = (b + period - a) % period;
    (len > 0).then_some(Span { start: a, len })
}

/// Whether a daily window meets a weekly one on any day.
pub fn overlaps(daily: Span, weekly: Span) -> bool {
    (0..7).any(|d| {
        let start = d * DAY + daily.start;
        // Minutes of the week each covers, wrapping at the week's end.
        let inside = |w: Span, m: u32| (m + WEEK - w.start) % WEEK < w.len;
        (0..daily.len).any(|i| inside(weekly, (start + i) % WEEK))
    })
}

/// The format validator: `hh:mm-hh:mm`, or `ddd:hh:mm-ddd:hh:mm` with a
/// lowercase day, at least `min_minutes` long.
pub struct Window {
    pub with_day: bool,
    pub min_minutes: u32,
}

impl Validator for Window {
    fn description(&self) -> String {
        if self.with_day {
            "a weekly UTC window like `sun:03:00-sun:04:00` (lowercase day)".into()
        } else {
            "a daily UTC window like `01:00-02:00`".into()
        }
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        match parse(s, self.with_day) {
            None => diags.error_at(
                path.clone(),
                "Invalid window",
                format!("{s:?} is not {}.", self.description()),
            ),
            Some(w) if w.len < self.min_minutes => diags.error_at(
                path.clone(),
                "Window too short",
                format!(
                    "{s:?} lasts {} minutes; AWS needs at least {}.",
                    w.len, self.min_minutes
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Refuses a daily window (attribute `daily`) that overlaps the weekly
/// maintenance window, at the daily window's path.
pub fn check_apart(config: &Value, daily: &str, weekly: &str, diags: &mut Diagnostics) {
    let (Some(d), Some(w)) = (config.get(daily).as_str(), config.get(weekly).as_str()) else {
        return;
    };
    let (Some(ds), Some(ws)) = (parse(d, false), parse(w, true)) else {
        return;
    };
    if overlaps(ds, ws) {
        diags.error_at(
            AttributePath::attr(daily),
            "Overlapping windows",
            format!("{daily} {d:?} overlaps {weekly} {w:?}; AWS refuses windows that overlap. Move one of them."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_overlap_on_any_day() {
        let backup = parse("03:00-04:00", false).unwrap();
        assert_eq!(
            backup,
            Span {
                start: 180,
                len: 60
            }
        );
        let sunday = parse("sun:03:30-sun:04:30", true).unwrap();
        assert!(overlaps(backup, sunday));
        assert!(!overlaps(
            backup,
            parse("sun:04:00-sun:05:00", true).unwrap()
        ));
        // Across midnight and across the week's end.
        let late = parse("23:30-00:30", false).unwrap();
        assert_eq!(late.len, 60);
        assert!(overlaps(late, parse("sun:23:45-mon:00:15", true).unwrap()));
        assert!(parse("sun:03:00-sun:03:00", true).is_none());
        assert!(parse("Sun:03:00-sun:04:00", true).is_none());
    }
}

//! Recovery objectives of a DR setup: how much data a failover would lose
//! (RPO) and how long it would take (RTO), estimated from live state with
//! a documented model, and checked against targets.
//!
//! The model:
//! - **replica** mode: RPO is the replica's lag (CloudWatch `ReplicaLag`,
//!   the maximum over the last 5 minutes; a replica with no datapoints yet
//!   counts as [`NOMINAL_REPLICA_LAG`]). RTO is the promotion
//!   ([`PROMOTION`]) plus repointing clients ([`REPOINT`]).
//! - **backups** mode: RPO is the age of the latest restorable time of the
//!   backups replicated to the DR region (before the first measurement,
//!   [`NOMINAL_BACKUP_LAG`]). RTO is a restore: [`RESTORE_BASE`] plus
//!   [`RESTORE_PER_GIB`] per GiB of storage, plus repointing.

use std::time::Duration;

pub const NOMINAL_REPLICA_LAG: Duration = Duration::from_secs(60);
pub const NOMINAL_BACKUP_LAG: Duration = Duration::from_secs(15 * 60);
pub const PROMOTION: Duration = Duration::from_secs(5 * 60);
pub const REPOINT: Duration = Duration::from_secs(60);
pub const RESTORE_BASE: Duration = Duration::from_secs(20 * 60);
pub const RESTORE_PER_GIB: Duration = Duration::from_secs(6);

/// How the database reaches the DR region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Replica,
    Backups,
}

/// What was measured (absent: not measured yet).
#[derive(Clone, Copy, Debug, Default)]
pub struct Observed {
    /// Replica lag samples' maximum (replica mode).
    pub replica_lag: Option<Duration>,
    /// Now minus the latest restorable time in the DR region (backups mode).
    pub backup_age: Option<Duration>,
    /// The primary's allocated storage.
    pub storage_gib: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub rpo: Duration,
    pub rto: Duration,
}

pub fn estimate(mode: Mode, seen: &Observed) -> Estimate {
    match mode {
        Mode::Replica => Estimate {
            rpo: seen.replica_lag.unwrap_or(NOMINAL_REPLICA_LAG),
            rto: PROMOTION + REPOINT,
        },
        Mode::Backups => Estimate {
            rpo: seen.backup_age.unwrap_or(NOMINAL_BACKUP_LAG),
            rto: RESTORE_BASE + RESTORE_PER_GIB * seen.storage_gib.unwrap_or(20) + REPOINT,
        },
    }
}

/// Why an estimate misses its targets, and what to change; `None` when both are met.
pub fn shortfall(
    mode: Mode,
    e: &Estimate,
    rto_target: Duration,
    rpo_target: Duration,
) -> Option<String> {
    let mut why = Vec::new();
    if e.rto > rto_target {
        why.push(match mode {
            Mode::Backups => format!(
                "estimated RTO {} exceeds rto_target {}: a restore from replicated backups takes {} plus {}s per GiB. Use db_mode = \"replica\" (a promotion, about {}), or raise rto_target.",
                human(e.rto), human(rto_target), human(RESTORE_BASE), RESTORE_PER_GIB.as_secs(), human(PROMOTION + REPOINT)
            ),
            Mode::Replica => format!(
                "estimated RTO {} exceeds rto_target {}: promoting a replica and repointing clients takes about {}. Raise rto_target.",
                human(e.rto), human(rto_target), human(PROMOTION + REPOINT)
            ),
        });
    }
    if e.rpo > rpo_target {
        why.push(match mode {
            Mode::Backups => format!(
                "estimated RPO {} exceeds rpo_target {}: replicated backups trail the primary. Use db_mode = \"replica\" (seconds of lag), or raise rpo_target.",
                human(e.rpo), human(rpo_target)
            ),
            Mode::Replica => format!(
                "estimated RPO {} exceeds rpo_target {}: the replica lags behind. Give it a larger instance class, reduce write load, or raise rpo_target.",
                human(e.rpo), human(rpo_target)
            ),
        });
    }
    (!why.is_empty()).then(|| why.join("\n"))
}

/// `1h2m3s`-style, the same syntax the targets are written in.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn replica_lag_timeline() {
        // No datapoints yet, then a quiet replica, then one falling behind.
        let fresh = estimate(Mode::Replica, &Observed::default());
        assert_eq!(
            fresh,
            Estimate {
                rpo: MIN,
                rto: 6 * MIN
            }
        );
        let quiet = estimate(
            Mode::Replica,
            &Observed {
                replica_lag: Some(Duration::from_secs(2)),
                ..Default::default()
            },
        );
        assert_eq!(quiet.rpo, Duration::from_secs(2));
        assert!(shortfall(Mode::Replica, &quiet, 15 * MIN, 60 * MIN).is_none());
        let behind = estimate(
            Mode::Replica,
            &Observed {
                replica_lag: Some(90 * MIN),
                ..Default::default()
            },
        );
        let why = shortfall(Mode::Replica, &behind, 15 * MIN, 60 * MIN).unwrap();
        assert!(
            why.contains("estimated RPO 1h30m exceeds rpo_target 1h"),
            "{why}"
        );
    }

    #[test]
    fn backup_timeline_and_restore_model() {
        // Latest restorable time 7 minutes ago; 100 GiB to restore.
        let e = estimate(
            Mode::Backups,
            &Observed {
                backup_age: Some(7 * MIN),
                storage_gib: Some(100),
                ..Default::default()
            },
        );
        assert_eq!(e.rpo, 7 * MIN);
        assert_eq!(e.rto, 20 * MIN + Duration::from_secs(600) + MIN);
        let why = shortfall(Mode::Backups, &e, 15 * MIN, 60 * MIN).unwrap();
        assert!(
            why.contains("estimated RTO 31m exceeds rto_target 15m")
                && why.contains("db_mode = \"replica\""),
            "{why}"
        );
        assert!(shortfall(Mode::Backups, &e, 45 * MIN, 60 * MIN).is_none());
        // Backups stopped replicating three hours ago.
        let stale = estimate(
            Mode::Backups,
            &Observed {
                backup_age: Some(180 * MIN),
                storage_gib: Some(20),
                ..Default::default()
            },
        );
        assert!(shortfall(Mode::Backups, &stale, 60 * MIN, 60 * MIN)
            .unwrap()
            .contains("RPO 3h"));
    }

    #[test]
    fn durations_read_like_targets() {
        assert_eq!(human(Duration::from_secs(0)), "0s");
        assert_eq!(human(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(human(Duration::from_secs(900)), "15m");
    }
}

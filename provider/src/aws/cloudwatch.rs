//! CloudWatch metrics: a read replica's lag.

use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, Statistic};

use super::code;

/// What is known of a replica's lag.
#[derive(Clone, Debug, PartialEq)]
pub enum Lag {
    /// The worst lag over the last five minutes.
    Measured(Duration),
    /// CloudWatch has no datapoints yet (a new replica).
    NoData,
    /// CloudWatch could not be read (permissions, endpoint); the reason.
    Unavailable(String),
}

impl Lag {
    pub fn duration(&self) -> Option<Duration> {
        match self {
            Lag::Measured(d) => Some(*d),
            _ => None,
        }
    }

    /// Where an RPO estimate from this lag comes from.
    pub fn source(&self) -> String {
        match self {
            Lag::Measured(_) => "replica lag (CloudWatch ReplicaLag, worst of 5 minutes)".into(),
            Lag::NoData => "nominal replica lag (no ReplicaLag datapoints yet)".into(),
            Lag::Unavailable(why) => format!("nominal replica lag (CloudWatch unavailable: {why})"),
        }
    }
}

/// The replica's lag from CloudWatch (`AWS/RDS ReplicaLag`). The lag only
/// informs estimates, so a CloudWatch the caller cannot read is reported as
/// [`Lag::Unavailable`] rather than as an error.
pub async fn replica_lag(cw: &aws_sdk_cloudwatch::Client, id: &str) -> Lag {
    let now = std::time::SystemTime::now();
    let out = cw
        .get_metric_statistics()
        .namespace("AWS/RDS")
        .metric_name("ReplicaLag")
        .dimensions(
            Dimension::builder()
                .name("DBInstanceIdentifier")
                .value(id)
                .build(),
        )
        .start_time(aws_smithy_types::DateTime::from(
            now - Duration::from_secs(300),
        ))
        .end_time(aws_smithy_types::DateTime::from(now))
        .period(60)
        .statistics(Statistic::Maximum)
        .send()
        .await;
    match out {
        Ok(out) => out
            .datapoints()
            .iter()
            .filter_map(|d| d.maximum())
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.max(x)))
            })
            .map_or(Lag::NoData, |s| {
                Lag::Measured(Duration::from_secs_f64(s.max(0.0)))
            }),
        Err(e) => {
            let why = code(&e).unwrap_or("unexpected response").to_owned();
            tracing::warn!(replica = %id, %why, "CloudWatch ReplicaLag unavailable; using the nominal lag");
            Lag::Unavailable(why)
        }
    }
}

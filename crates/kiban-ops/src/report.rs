//! The monthly operations report (月次運用報告), contract `ops-v1`.

use serde::Serialize;

use crate::histogram::Histogram;
use crate::month::Month;

/// The availability the service promises (the national standard's 99.5 %).
pub const AVAILABILITY_TARGET: &str = "0.9950";

/// What was recorded in the month, as the report needs it.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Minutes for which at least one server recorded its probe.
    pub probed_minutes: u64,
    /// Of those, minutes in which no server answered (or reached the
    /// database).
    pub down_minutes: u64,
    /// Latency of every request of the month, all instances and routes.
    pub latency: Histogram,
    /// Requests of the month.
    pub requests: u64,
    /// Of those, answered within 3 seconds.
    pub within_3s: u64,
    /// Backups finished in the month that succeeded and that failed.
    pub backups_succeeded: u64,
    /// See `backups_succeeded`.
    pub backups_failed: u64,
    /// The last restore drill finished in the month: when and its status.
    pub last_restore_drill: Option<Drill>,
    /// Incidents opened in the month or still open during it.
    pub incidents: Vec<Incident>,
    /// Job runs finished in the month that succeeded and that failed.
    pub jobs_succeeded: u64,
    /// See `jobs_succeeded`.
    pub jobs_failed: u64,
    /// Usage per municipality.
    pub usage: Vec<Usage>,
}

/// A restore drill's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drill {
    /// When it finished (RFC 3339).
    pub at: String,
    /// `passed` or `failed`.
    pub status: String,
}

/// An incident (障害・問い合わせ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// Its number.
    pub id: i64,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
    /// When it was closed; `None` while open.
    pub closed_at: Option<String>,
    /// 1 (most severe) to 4.
    pub severity: i64,
    /// What happened.
    pub summary: String,
}

/// One municipality's usage of the service in the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// 全国地方公共団体コード.
    pub municipality_code: String,
    /// Requests answered for its staff and systems.
    pub requests: u64,
    /// CPU time of those requests and of its jobs, in seconds.
    pub cpu_seconds: f64,
    /// Its share of the database's storage, in bytes.
    pub storage_bytes: u64,
}

/// The report, in the contract's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaReport {
    /// `YYYY-MM` (Japan time).
    pub month: String,
    /// Availability: target, measured share of probed minutes, minutes down.
    pub availability: Availability,
    /// Response-time percentiles in milliseconds.
    pub response_ms: ResponseMs,
    /// Share of requests answered within 3 s.
    pub online_within_3s: Option<String>,
    /// Backups and the last restore drill.
    pub backups: Backups,
    /// Incidents.
    pub incidents: Vec<Incident>,
    /// Job runs.
    pub jobs: Jobs,
    /// Usage per municipality.
    pub usage: Vec<Usage>,
}

/// See [`SlaReport::availability`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Availability {
    /// The promised share, `0.9950`.
    pub target: String,
    /// The measured share of the minutes probed; `None` when none were.
    pub measured: Option<String>,
    /// Minutes probed in which the service did not answer.
    pub minutes_down: u64,
}

/// See [`SlaReport::response_ms`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseMs {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

/// See [`SlaReport::backups`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backups {
    /// Backups that succeeded.
    pub succeeded: u64,
    /// Backups that failed.
    pub failed: u64,
    /// The last drill of the month.
    pub last_restore_drill: Option<Drill>,
}

/// See [`SlaReport::jobs`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jobs {
    /// Runs that succeeded.
    pub succeeded: u64,
    /// Runs that failed.
    pub failed: u64,
}

/// `part / whole` as a decimal string with four decimals, truncated (a
/// report never rounds availability up); `None` when `whole` is 0.
pub fn ratio(part: u64, whole: u64) -> Option<String> {
    if whole == 0 {
        return None;
    }
    let part = part.min(whole) as u128;
    let ten_thousandths = part * 10_000 / whole as u128;
    Some(format!(
        "{}.{:04}",
        ten_thousandths / 10_000,
        ten_thousandths % 10_000
    ))
}

fn one_decimal(ms: Option<f64>) -> Option<f64> {
    ms.map(|v| (v * 10.0).round() / 10.0)
}

impl SlaReport {
    /// The report of `month` from what was recorded in it.
    pub fn compute(month: Month, inputs: Inputs) -> SlaReport {
        let up = inputs.probed_minutes.saturating_sub(inputs.down_minutes);
        SlaReport {
            month: month.label(),
            availability: Availability {
                target: AVAILABILITY_TARGET.to_owned(),
                measured: ratio(up, inputs.probed_minutes),
                minutes_down: inputs.down_minutes,
            },
            response_ms: ResponseMs {
                p50: one_decimal(inputs.latency.quantile(0.50)),
                p90: one_decimal(inputs.latency.quantile(0.90)),
                p99: one_decimal(inputs.latency.quantile(0.99)),
            },
            online_within_3s: ratio(inputs.within_3s, inputs.requests),
            backups: Backups {
                succeeded: inputs.backups_succeeded,
                failed: inputs.backups_failed,
                last_restore_drill: inputs.last_restore_drill,
            },
            incidents: inputs.incidents,
            jobs: Jobs {
                succeeded: inputs.jobs_succeeded,
                failed: inputs.jobs_failed,
            },
            usage: inputs.usage,
        }
    }

    /// Whether the month met the availability target (`None` when nothing
    /// was probed).
    pub fn met_target(&self) -> Option<bool> {
        let measured = self.availability.measured.as_deref()?;
        Some(measured >= AVAILABILITY_TARGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_have_four_decimals_and_never_round_up() {
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(1, 1).as_deref(), Some("1.0000"));
        assert_eq!(ratio(9993, 10000).as_deref(), Some("0.9993"));
        // 43,199 of 43,200 minutes is 0.99997…: shown as 0.9999, not 1.0000.
        assert_eq!(ratio(43_199, 43_200).as_deref(), Some("0.9999"));
        assert_eq!(ratio(0, 5).as_deref(), Some("0.0000"));
    }

    #[test]
    fn the_report_has_the_contract_s_shape() {
        let month = Month::parse("2026-11").unwrap();
        let mut latency = Histogram::default();
        for ms in [3.0, 4.0, 5.0, 20.0, 4000.0] {
            latency.record(ms);
        }
        let report = SlaReport::compute(
            month,
            Inputs {
                probed_minutes: 43_200,
                down_minutes: 30,
                latency,
                requests: 5,
                within_3s: 4,
                backups_succeeded: 30,
                backups_failed: 1,
                last_restore_drill: Some(Drill {
                    at: "2026-11-02T01:00:00Z".into(),
                    status: "passed".into(),
                }),
                incidents: vec![],
                jobs_succeeded: 12,
                jobs_failed: 0,
                usage: vec![Usage {
                    municipality_code: "990019".into(),
                    requests: 5,
                    cpu_seconds: 0.25,
                    storage_bytes: 4096,
                }],
            },
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["month"], "2026-11");
        assert_eq!(json["availability"]["target"], "0.9950");
        assert_eq!(json["availability"]["measured"], "0.9993");
        assert_eq!(json["availability"]["minutes_down"], 30);
        assert_eq!(json["online_within_3s"], "0.8000");
        assert!(json["response_ms"]["p50"].is_number());
        assert_eq!(json["backups"]["last_restore_drill"]["status"], "passed");
        assert_eq!(json["usage"][0]["cpu_seconds"], 0.25);
        assert_eq!(report.met_target(), Some(true));
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "availability",
                "backups",
                "incidents",
                "jobs",
                "month",
                "online_within_3s",
                "response_ms",
                "usage"
            ]
        );
    }

    #[test]
    fn an_empty_month_reports_nulls_not_made_up_figures() {
        let report = SlaReport::compute(Month::parse("2026-01").unwrap(), Inputs::default());
        assert_eq!(report.availability.measured, None);
        assert_eq!(report.response_ms.p99, None);
        assert_eq!(report.online_within_3s, None);
        assert_eq!(report.met_target(), None);
    }
}

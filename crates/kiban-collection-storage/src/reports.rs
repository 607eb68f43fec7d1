//! The jobs `collection-daily-report` (収納日報, contract collection-v1,
//! "Checks and reports") and `collection-monthly-report` (収納月報): what
//! was collected on a day or in a month, by business and fiscal year of the
//! charges, 現年 (the fiscal year of the day or month, or later) and 滞繰
//! (earlier years) apart, in `daily.csv` / `monthly.csv`:
//! `business,fiscal_year,year_kind,count,amount`.
//!
//! Collected means put to charges: the payments received in the period (their
//! `paid_on`), with what they paid directly (消込) and what their
//! overpayments were applied to (充当); `count` is the number of payments,
//! `amount` the yen. What went to suspense or stays refundable is not
//! collected (it is in the suspense queue and the overpayments). A payment
//! assigned from suspense later counts on its own `paid_on`, so a report
//! run again after the assignment shows it. Totals only: no access-log
//! entry, nothing personal.

use std::collections::{BTreeMap, BTreeSet};

use kiban_core::{Date, FiscalYear, YearMonth};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Output, ParamError, ParamSpec, ParamType, Params,
    Parts, PlannedChunk, concatenate,
};
use kiban_store::{Arg, StoreError, TenantTx};

/// The collection reports, one job kind each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionReport {
    /// `collection-daily-report` (param `date`) → `daily.csv`.
    Daily,
    /// `collection-monthly-report` (param `month`) → `monthly.csv`.
    Monthly,
}

/// The daily report's job name.
pub const DAILY_REPORT_JOB: &str = "collection-daily-report";

/// Its output.
pub const DAILY_FILE: &str = "daily.csv";

/// The monthly report's job name.
pub const MONTHLY_REPORT_JOB: &str = "collection-monthly-report";

/// Its output.
pub const MONTHLY_FILE: &str = "monthly.csv";

/// The header of [`DAILY_FILE`] and [`MONTHLY_FILE`].
pub const REPORT_HEADER: &str = "business,fiscal_year,year_kind,count,amount";

const DAILY_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "date",
    kind: ParamType::Date,
    required: true,
    description: "収納日（この日に納付された収納を集計する）",
}];

const MONTHLY_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "month",
    kind: ParamType::Month,
    required: true,
    description: "収納月（YYYY-MM。この月に納付された収納を集計する）",
}];

impl CollectionReport {
    fn file(self) -> &'static str {
        match self {
            CollectionReport::Daily => DAILY_FILE,
            CollectionReport::Monthly => MONTHLY_FILE,
        }
    }

    /// The first and last day of payment the parameters name.
    fn period(self, params: &Params) -> Result<(Date, Date), ParamError> {
        match self {
            CollectionReport::Daily => params.date("date").map(|day| (day, day)),
            CollectionReport::Monthly => params
                .month("month")
                .map(|m: YearMonth| (m.first_day(), m.last_day())),
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The charges' business (`resident_tax`, …).
    pub business: String,
    /// Their fiscal year.
    pub fiscal_year: i64,
    /// `current` (現年) or `arrears` (滞繰).
    pub year_kind: &'static str,
    /// Payments.
    pub count: u64,
    /// Yen.
    pub amount: i64,
}

/// A line's business, whether it is 滞繰, and its fiscal year (newest
/// first).
type GroupKey = (String, bool, std::cmp::Reverse<i64>);

/// The collection of the payments received `from` to `until` (both
/// included; see the module), in business, 現年 then 滞繰, fiscal year
/// order (newest first); 現年 is the fiscal year of `from` or later.
pub async fn collected(
    tx: &mut TenantTx,
    from: Date,
    until: Date,
) -> Result<Vec<ReportLine>, StoreError> {
    let period = [Arg::from(from.to_string()), Arg::from(until.to_string())];
    let direct = tx
        .fetch_all(
            "SELECT c.business, c.fiscal_year, a.payment_id, a.amount FROM collection_allocations a \
             JOIN collection_payments p ON p.municipality_code = a.municipality_code \
               AND p.payment_id = a.payment_id \
             JOIN collection_charges c ON c.municipality_code = a.municipality_code \
               AND c.charge_id = a.target_id \
             WHERE a.municipality_code = $1 AND a.target_kind = 'charge' \
             AND p.paid_on >= $2 AND p.paid_on <= $3",
            &period,
        )
        .await?;
    let applied = tx
        .fetch_all(
            "SELECT c.business, c.fiscal_year, o.payment_id, ap.amount \
             FROM collection_appropriations ap \
             JOIN collection_overpayments o ON o.municipality_code = ap.municipality_code \
               AND o.overpayment_id = ap.overpayment_id \
             JOIN collection_payments p ON p.municipality_code = ap.municipality_code \
               AND p.payment_id = o.payment_id \
             JOIN collection_charges c ON c.municipality_code = ap.municipality_code \
               AND c.charge_id = ap.charge_id \
             WHERE ap.municipality_code = $1 AND p.paid_on >= $2 AND p.paid_on <= $3",
            &period,
        )
        .await?;
    let current = i64::from(FiscalYear::containing(from).start_year());
    let mut groups: BTreeMap<GroupKey, (BTreeSet<i64>, i64)> = BTreeMap::new();
    for row in direct.iter().chain(&applied) {
        let fiscal_year = row.int(1)?;
        // 現年 sorts first (false < true).
        let key = (
            row.text(0)?,
            fiscal_year < current,
            std::cmp::Reverse(fiscal_year),
        );
        let group = groups.entry(key).or_default();
        group.0.insert(row.int(2)?);
        group.1 += row.int(3)?;
    }
    Ok(groups
        .into_iter()
        .filter(|(_, (_, amount))| *amount != 0)
        .map(
            |((business, arrears, std::cmp::Reverse(fiscal_year)), (payments, amount))| {
                ReportLine {
                    business,
                    fiscal_year,
                    year_kind: if arrears { "arrears" } else { "current" },
                    count: payments.len() as u64,
                    amount,
                }
            },
        )
        .collect())
}

/// The CSV of the lines.
pub fn report_csv(lines: &[ReportLine]) -> String {
    let mut out = format!("{REPORT_HEADER}\n");
    for l in lines {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            l.business, l.fiscal_year, l.year_kind, l.count, l.amount
        ));
    }
    out
}

impl JobKind for CollectionReport {
    fn name(&self) -> &'static str {
        match self {
            CollectionReport::Daily => DAILY_REPORT_JOB,
            CollectionReport::Monthly => MONTHLY_REPORT_JOB,
        }
    }

    fn business(&self) -> &'static str {
        "collection"
    }

    fn description(&self) -> &'static str {
        match self {
            CollectionReport::Daily => {
                "収納日報（daily.csv）: 収納日の収納額を業務・年度・現年／滞繰別に集計する"
            }
            CollectionReport::Monthly => {
                "収納月報（monthly.csv）: 収納月の収納額を業務・年度・現年／滞繰別に集計する"
            }
        }
    }

    fn params(&self) -> &'static [ParamSpec] {
        match self {
            CollectionReport::Daily => DAILY_PARAMS,
            CollectionReport::Monthly => MONTHLY_PARAMS,
        }
    }

    fn personal_data(&self) -> bool {
        false
    }

    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        self.period(params).map(|_| ())
    }

    fn plan<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        _params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        // A report is one chunk.
        Box::pin(async move {
            Ok(vec![PlannedChunk {
                key: "report".to_owned(),
                subjects: 1,
            }])
        })
    }

    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        _chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            let (from, until) = self.period(params)?;
            let lines = collected(tx, from, until).await?;
            Ok(ChunkResult {
                parts: vec![(self.file().to_owned(), report_csv(&lines).into_bytes())],
                errors: Vec::new(),
                done: 1,
            })
        })
    }

    fn finish<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        _params: &'a Params,
        parts: Parts,
    ) -> BoxFuture<'a, Result<Vec<Output>, JobError>> {
        Box::pin(async move {
            let mut outputs = concatenate(parts);
            for output in &mut outputs {
                let lines = output.content.iter().filter(|b| **b == b'\n').count();
                output.rows = Some(lines.saturating_sub(1) as u64);
            }
            Ok(outputs)
        })
    }
}

//! The resident-tax business's jobs (contract jobs-v1):
//! `resident-tax-assessment` (個人住民税 当初課税).
//!
//! The run is split into ranges of 宛名番号 (the registry's and the
//! addressee master's one number space), each assessed set-based by
//! [`crate::storage::assessment::assess_range`] in the chunk's transaction,
//! and one last chunk that finds dependents claimed by two taxpayers
//! across the whole year ([`crate::storage::assessment::flag_double_claims`]).
//! A person who cannot be assessed is a subject error of the run (which
//! still succeeds). Re-running changes nothing already assessed unless
//! `reassess=true`, which makes a new version for every person whose
//! calculation changed.

use kiban_audit::Actor;
use kiban_core::{FiscalYear, Message};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, ParamError, ParamSpec, ParamType, Params,
    PlannedChunk, SubjectError, number_ranges, parse_number_range,
};
use kiban_store::TenantTx;

use crate::domain::settings::check_rules;
use crate::storage::assessment::{AssessmentError, RunOptions, assess_range, flag_double_claims};

/// The job `resident-tax-assessment`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResidentTaxAssessment;

/// Its name.
pub const ASSESSMENT_JOB: &str = "resident-tax-assessment";

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "fiscal_year",
        kind: ParamType::FiscalYear,
        required: true,
        description: "課税年度（例: 2026）",
    },
    ParamSpec {
        name: "reassess",
        kind: ParamType::Text,
        required: false,
        description: "true: 課税済みの人も計算し直し、変わった人に新しい版（更正）を作る（既定 false）",
    },
    ParamSpec {
        name: "assessed_on",
        kind: ParamType::Date,
        required: false,
        description: "課税日（既定: 実行した日）",
    },
];

/// The key of the last chunk.
const REVIEW_CHUNK: &str = "review";

/// The person numbers of a chunk made by [`number_ranges`].
fn parse_range(key: &str) -> Option<(i64, i64)> {
    let (from, to) = parse_number_range(key)?;
    Some((i64::try_from(from).ok()?, i64::try_from(to).ok()?))
}

fn fiscal_year(params: &Params) -> Result<FiscalYear, ParamError> {
    let year = params.int("fiscal_year")?;
    FiscalYear::new(i32::try_from(year).unwrap_or(0))
        .map_err(|e| ParamError::new("fiscal_year", e.message()))
}

fn reassess(params: &Params) -> Result<bool, ParamError> {
    match params.get("reassess") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ParamError::new(
            "reassess",
            Message::InvalidParam {
                field: "reassess".into(),
                detail: format!("「{other}」ではなく true か false を指定してください"),
            },
        )),
    }
}

fn job_error(e: AssessmentError, year: FiscalYear) -> JobError {
    match e {
        AssessmentError::Store(e) => JobError::Store(e),
        other => JobError::Failed(other.message(year).text()),
    }
}

impl JobKind for ResidentTaxAssessment {
    fn name(&self) -> &'static str {
        ASSESSMENT_JOB
    }

    fn business(&self) -> &'static str {
        "resident_tax"
    }

    fn description(&self) -> &'static str {
        "個人住民税の当初課税: 1月1日の住民と所得情報のある住登外者を、所得情報と課税設定により課税し、普通徴収の期別・特別徴収の月割を決める（課税済みの人は reassess=true のときだけ計算し直す）"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn personal_data(&self) -> bool {
        false
    }

    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        let year = fiscal_year(params)?;
        reassess(params)?;
        check_rules(year).map_err(|e| ParamError::new("fiscal_year", e.message))?;
        Ok(())
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        _params: &'a Params,
        chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let next = tx
                .peek_next_number(kiban_registry::storage::PERSON_SEQUENCE)
                .await?
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(1);
            let mut chunks = number_ranges(next, chunk_size.clamp(5_000, 25_000));
            chunks.push(PlannedChunk {
                key: REVIEW_CHUNK.to_owned(),
                subjects: 0,
            });
            Ok(chunks)
        })
    }

    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            let year = fiscal_year(params)?;
            if chunk == REVIEW_CHUNK {
                flag_double_claims(tx, year, None).await?;
                return Ok(ChunkResult::default());
            }
            let (from, to) = parse_range(chunk).ok_or_else(|| {
                JobError::Failed(
                    Message::JobChunkUnknown {
                        chunk: chunk.to_owned(),
                    }
                    .text(),
                )
            })?;
            let options = RunOptions {
                reassess: reassess(params)?,
                assessed_on: match params.get("assessed_on") {
                    Some(_) => params.date("assessed_on")?,
                    None => kiban_core::today_in_japan(),
                },
                job_id: None,
                actor: Actor::new(format!("batch:{ASSESSMENT_JOB}"), "batch"),
            };
            let outcome = assess_range(tx, year, from, to, &options)
                .await
                .map_err(|e| job_error(e, year))?;
            Ok(ChunkResult {
                parts: Vec::new(),
                errors: outcome
                    .errors
                    .into_iter()
                    .map(|(id, code, message)| SubjectError {
                        subject: id.to_string(),
                        code,
                        message,
                    })
                    .collect(),
                done: u64::try_from(to - from).unwrap_or(0),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<Params, ParamError> {
        let raw: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Params::parse(PARAMS, &raw)
    }

    #[test]
    fn parameters_are_checked() {
        let job = ResidentTaxAssessment;
        let ok = params(&[("fiscal_year", "2026")]).unwrap();
        assert!(job.validate(&ok).is_ok());
        let no_rules = params(&[("fiscal_year", "2019")]).unwrap();
        assert_eq!(job.validate(&no_rules).unwrap_err().field, "fiscal_year");
        let bad = params(&[("fiscal_year", "2026"), ("reassess", "yes")]).unwrap();
        assert_eq!(job.validate(&bad).unwrap_err().field, "reassess");
        assert_eq!(params(&[]).unwrap_err().field, "fiscal_year");
        assert_eq!(parse_range(&number_ranges(41, 38)[0].key), Some((1, 39)));
        assert_eq!(parse_range(REVIEW_CHUNK), None);
    }
}

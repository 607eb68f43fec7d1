//! The resident-tax business's jobs (contract jobs-v1):
//! `resident-tax-assessment` (個人住民税 当初課税) and
//! `resident-tax-notices` (納税通知書, see [`ResidentTaxNotices`]) and
//! `resident-tax-special-notices` (特別徴収税額決定通知書, see
//! [`ResidentTaxSpecialNotices`]).
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

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

use jiff::civil::Date;
use kiban_addressee::domain::AddresseeId;
use kiban_audit::Actor;
use kiban_core::{FiscalYear, Message};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Output, ParamError, ParamSpec, ParamType, Params,
    Parts, PlannedChunk, SubjectError, number_ranges, parse_number_range,
};
use kiban_print::{Document, PrintConfig, PrintEngine};
use kiban_store::TenantTx;

use crate::domain::settings::check_rules;
use crate::storage::assessment::{AssessmentError, RunOptions, assess_range, flag_double_claims};
use crate::storage::notices::{NoticesError, issuer, notices, recipients};
use crate::storage::special_notices::{employers, special_notices};

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

/// The job `resident-tax-notices`: the 納税通知書 (with 課税明細 and one
/// 納付書 per period) of everyone whose assessment in force has an ordinary
/// part, in the order of the mail (区分郵便, by postal code of the mailing
/// address for the resident tax), into PDF print files `notices-0001.pdf`,
/// … and `index.csv` (`addressee_id,file,first_page,pages`).
///
/// The plan fixes the order, the day printed on the notices and the
/// persons of each file in the chunk keys, so that a run interrupted and
/// resumed (even on another day) gives the same files, byte for byte. A
/// chunk is [`FILES_PER_CHUNK`] files of about [`PAGES_PER_FILE`] pages,
/// each printed by one compilation of the print engine, at once. A person
/// who cannot get a notice (no mailing address, …) is a subject error of
/// the run; the others are printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResidentTaxNotices;

/// Its name.
pub const NOTICES_JOB: &str = "resident-tax-notices";

/// The pages a file is planned for: one compilation of the print engine,
/// whose memory grows with the pages it lays out (a 1,000-page file took
/// the process to 4.9 GB, a 400-page one to 1.9 GB).
pub const PAGES_PER_FILE: usize = 250;
const PAGES_PER_FILE_NONZERO: NonZeroUsize = match NonZeroUsize::new(PAGES_PER_FILE) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};
/// The files of one chunk, compiled at once on the print engine's threads.
pub const FILES_PER_CHUNK: usize = 2;
/// The most notices in one chunk.
pub const NOTICES_PER_CHUNK: usize = FILES_PER_CHUNK * 100;

const NOTICE_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "fiscal_year",
        kind: ParamType::FiscalYear,
        required: true,
        description: "課税年度（例: 2026）",
    },
    ParamSpec {
        name: "addressee_ids",
        kind: ParamType::Text,
        required: false,
        description: "この宛名番号の人だけ（カンマ区切り。既定: 普通徴収の税額があるすべての人）",
    },
    ParamSpec {
        name: "issued_on",
        kind: ParamType::Date,
        required: false,
        description: "通知日（既定: 計画した日）",
    },
];

fn addressee_ids(params: &Params) -> Result<Option<Vec<AddresseeId>>, ParamError> {
    let Some(text) = params.get("addressee_ids") else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<u64>() {
            Ok(n) if n > 0 => ids.push(AddresseeId::new(n)),
            _ => {
                return Err(ParamError::new(
                    "addressee_ids",
                    Message::InvalidParam {
                        field: "addressee_ids".into(),
                        detail: format!("「{part}」は宛名番号ではありません"),
                    },
                ));
            }
        }
    }
    if ids.is_empty() {
        return Err(ParamError::new(
            "addressee_ids",
            Message::InvalidParam {
                field: "addressee_ids".into(),
                detail: "宛名番号を1つ以上指定してください".into(),
            },
        ));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

/// A chunk's key: `NNNNNN YYYY-MM-DD id,id,…` (chunk number, day printed,
/// persons in the order of the mail). Six digits keep the chunks' parts
/// in order by name ([`notice_outputs`]) for any run the service prints.
fn notice_key(chunk: usize, issued_on: Date, ids: &[AddresseeId]) -> String {
    let list: Vec<String> = ids.iter().map(|i| i.get().to_string()).collect();
    format!("{chunk:06} {issued_on} {}", list.join(","))
}

fn parse_notice_key(key: &str) -> Option<(String, Date, Vec<AddresseeId>)> {
    let mut parts = key.splitn(3, ' ');
    let file = parts.next()?.to_owned();
    let day: Date = parts.next()?.parse().ok()?;
    let ids = parts
        .next()?
        .split(',')
        .map(|n| n.parse::<u64>().ok().map(AddresseeId::new))
        .collect::<Option<Vec<_>>>()?;
    (file.len() == 6 && file.bytes().all(|b| b.is_ascii_digit())).then_some((file, day, ids))
}

/// The print engine of the process (fonts loaded once, at the first chunk).
fn print_engine() -> Result<PrintEngine, JobError> {
    static ENGINE: OnceLock<Result<PrintEngine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| PrintEngine::new(&PrintConfig::default()).map_err(|e| e.to_string()))
        .clone()
        .map_err(JobError::Failed)
}

const INDEX: &str = "index.csv";

fn notices_error(e: NoticesError) -> JobError {
    match e {
        NoticesError::Store(e) => JobError::Store(e),
        other => JobError::Failed(other.to_string()),
    }
}

impl JobKind for ResidentTaxNotices {
    fn name(&self) -> &'static str {
        NOTICES_JOB
    }

    fn business(&self) -> &'static str {
        "resident_tax"
    }

    fn description(&self) -> &'static str {
        "個人住民税の納税通知書（課税明細と期別の納付書つき）を郵便番号順に印刷する（PDFの印刷ファイル notices-0001.pdf … と index.csv）"
    }

    fn params(&self) -> &'static [ParamSpec] {
        NOTICE_PARAMS
    }

    fn personal_data(&self) -> bool {
        true
    }

    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        let year = fiscal_year(params)?;
        check_rules(year).map_err(|e| ParamError::new("fiscal_year", e.message))?;
        addressee_ids(params)?;
        Ok(())
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let year = fiscal_year(params)?;
            let issued_on = match params.get("issued_on") {
                Some(_) => params.date("issued_on")?,
                None => kiban_core::today_in_japan(),
            };
            // Refuse a run that cannot print anything before planning it.
            issuer(tx, year).await.map_err(notices_error)?;
            let only = addressee_ids(params)?;
            let all = recipients(tx, year, only.as_deref(), issued_on).await?;
            let mut chunks = Vec::new();
            let mut current: Vec<AddresseeId> = Vec::new();
            let mut pages = 0;
            for person in all {
                if !current.is_empty()
                    && (current.len() >= NOTICES_PER_CHUNK
                        || pages + person.expected_pages > FILES_PER_CHUNK * PAGES_PER_FILE)
                {
                    chunks.push(PlannedChunk {
                        key: notice_key(chunks.len() + 1, issued_on, &current),
                        subjects: current.len() as u64,
                    });
                    current.clear();
                    pages = 0;
                }
                pages += person.expected_pages;
                current.push(person.addressee_id);
            }
            if !current.is_empty() {
                chunks.push(PlannedChunk {
                    key: notice_key(chunks.len() + 1, issued_on, &current),
                    subjects: current.len() as u64,
                });
            }
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
            let (file, issued_on, ids) = parse_notice_key(chunk).ok_or_else(|| {
                JobError::Failed(
                    Message::JobChunkUnknown {
                        chunk: chunk.chars().take(40).collect(),
                    }
                    .text(),
                )
            })?;
            let issuer = issuer(tx, year).await.map_err(notices_error)?;
            let actor = Actor::new(format!("batch:{NOTICES_JOB}"), "batch");
            let (made, problems) = notices(tx, year, &issuer, &ids, issued_on, &actor).await?;
            let errors: Vec<SubjectError> = problems
                .into_iter()
                .map(|(id, p)| SubjectError {
                    subject: id.get().to_string(),
                    code: p.code.to_owned(),
                    message: p.text,
                })
                .collect();
            let done = ids.len() as u64;
            if made.is_empty() {
                return Ok(ChunkResult {
                    parts: Vec::new(),
                    errors,
                    done,
                });
            }
            let (persons, documents): (Vec<AddresseeId>, Vec<Document>) = made
                .into_iter()
                .map(|(id, n)| (id, Document::TaxNotice(n)))
                .unzip();
            let engine = print_engine()?;
            let files = tokio::task::spawn_blocking(move || {
                engine.render_batch(&documents, PAGES_PER_FILE_NONZERO)
            })
            .await
            .map_err(|e| JobError::Failed(e.to_string()))?
            .map_err(|e| JobError::Failed(e.to_string()))?;
            let mut parts = Vec::with_capacity(files.len() + 1);
            let mut index = String::new();
            for (n, pdf) in files.into_iter().enumerate() {
                let name = format!("notices-{file}-{:02}.pdf", n + 1);
                for placement in &pdf.placements {
                    index.push_str(&format!(
                        "{},{name},{},{}\n",
                        persons[placement.document].get(),
                        placement.first_page,
                        placement.page_count
                    ));
                }
                parts.push((name, pdf.pdf));
            }
            parts.push((INDEX.to_owned(), index.into_bytes()));
            Ok(ChunkResult {
                parts,
                errors,
                done,
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
            Ok(notice_outputs(
                &parts,
                "notices",
                crate::storage::notices::INDEX_HEADER,
            ))
        })
    }
}

/// The job `resident-tax-special-notices`: the 特別徴収税額決定通知書 of
/// every employer (特別徴収義務者) with employees whose assessment in force
/// has a special part — the employer's summary and one page per employee
/// (納税義務者用) with the monthly amounts June to May — in the order of
/// the mail by the postal code of the employer's address, into PDF print
/// files `special-notices-0001.pdf`, … and `index.csv`
/// (`payer_number,file,first_page,pages`; a large employer's notice, cut
/// into documents of at most [`EMPLOYEES_PER_DOCUMENT`] employees, has a
/// row per document).
///
/// The plan fixes the order, the day printed and the employers of each
/// chunk in the chunk keys (`NNNNNN YYYY-MM-DD payer,payer,…`), so that a
/// resumed run gives the same files. An employer that cannot get a notice
/// (no address reported, an employee's calculation that no longer gives
/// the stored total) is a subject error of the run, named by its number.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResidentTaxSpecialNotices;

/// Its name.
pub const SPECIAL_NOTICES_JOB: &str = "resident-tax-special-notices";

/// The employees' pages of one document of an employer's notice (with the
/// summary, one compilation's worth of pages).
pub const EMPLOYEES_PER_DOCUMENT: usize = PAGES_PER_FILE - 1;
/// The most employers in one chunk.
pub const EMPLOYERS_PER_CHUNK: usize = 200;

const SPECIAL_NOTICE_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "fiscal_year",
        kind: ParamType::FiscalYear,
        required: true,
        description: "課税年度（例: 2026）",
    },
    ParamSpec {
        name: "payer_numbers",
        kind: ParamType::Text,
        required: false,
        description: "この指定番号の特別徴収義務者だけ（カンマ区切り。既定: 特別徴収の税額がある従業員のいるすべての特別徴収義務者）",
    },
    ParamSpec {
        name: "issued_on",
        kind: ParamType::Date,
        required: false,
        description: "通知日（既定: 計画した日）",
    },
];

/// Whether `text` can be a payer number in a chunk key (as income-csv-v1
/// takes them: letters, digits and hyphens).
fn is_payer_number(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 20
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn payer_numbers(params: &Params) -> Result<Option<Vec<String>>, ParamError> {
    let Some(text) = params.get("payer_numbers") else {
        return Ok(None);
    };
    let mut payers = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !is_payer_number(part) {
            return Err(ParamError::new(
                "payer_numbers",
                Message::InvalidParam {
                    field: "payer_numbers".into(),
                    detail: format!(
                        "「{}」は指定番号ではありません（英数字とハイフン20文字以内）",
                        part.chars().take(40).collect::<String>()
                    ),
                },
            ));
        }
        payers.push(part.to_owned());
    }
    if payers.is_empty() {
        return Err(ParamError::new(
            "payer_numbers",
            Message::InvalidParam {
                field: "payer_numbers".into(),
                detail: "指定番号を1つ以上指定してください".into(),
            },
        ));
    }
    payers.sort_unstable();
    payers.dedup();
    Ok(Some(payers))
}

fn special_key(chunk: usize, issued_on: Date, payers: &[String]) -> String {
    format!("{chunk:06} {issued_on} {}", payers.join(","))
}

fn parse_special_key(key: &str) -> Option<(String, Date, Vec<String>)> {
    let mut parts = key.splitn(3, ' ');
    let file = parts.next()?.to_owned();
    let day: Date = parts.next()?.parse().ok()?;
    let payers: Vec<String> = parts.next()?.split(',').map(str::to_owned).collect();
    (file.len() == 6
        && file.bytes().all(|b| b.is_ascii_digit())
        && payers.iter().all(|p| is_payer_number(p)))
    .then_some((file, day, payers))
}

impl JobKind for ResidentTaxSpecialNotices {
    fn name(&self) -> &'static str {
        SPECIAL_NOTICES_JOB
    }

    fn business(&self) -> &'static str {
        "resident_tax"
    }

    fn description(&self) -> &'static str {
        "特別徴収税額決定通知書（特別徴収義務者用と納税義務者用）を特別徴収義務者ごとに、所在地の郵便番号順に印刷する（PDFの印刷ファイル special-notices-0001.pdf … と index.csv）"
    }

    fn params(&self) -> &'static [ParamSpec] {
        SPECIAL_NOTICE_PARAMS
    }

    fn personal_data(&self) -> bool {
        true
    }

    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        let year = fiscal_year(params)?;
        check_rules(year).map_err(|e| ParamError::new("fiscal_year", e.message))?;
        payer_numbers(params)?;
        Ok(())
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let year = fiscal_year(params)?;
            let issued_on = match params.get("issued_on") {
                Some(_) => params.date("issued_on")?,
                None => kiban_core::today_in_japan(),
            };
            issuer(tx, year).await.map_err(notices_error)?;
            let only = payer_numbers(params)?;
            let all = employers(tx, year, only.as_deref()).await?;
            let mut chunks = Vec::new();
            let mut current: Vec<String> = Vec::new();
            let mut pages = 0;
            let push = |chunks: &mut Vec<PlannedChunk>, current: &mut Vec<String>| {
                chunks.push(PlannedChunk {
                    key: special_key(chunks.len() + 1, issued_on, current),
                    subjects: current.len() as u64,
                });
                current.clear();
            };
            for employer in all {
                let expected = 1 + employer.employees;
                if !current.is_empty()
                    && (current.len() >= EMPLOYERS_PER_CHUNK
                        || pages + expected > FILES_PER_CHUNK * PAGES_PER_FILE)
                {
                    push(&mut chunks, &mut current);
                    pages = 0;
                }
                pages += expected;
                current.push(employer.payer_number);
            }
            if !current.is_empty() {
                push(&mut chunks, &mut current);
            }
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
            let (file, issued_on, payers) = parse_special_key(chunk).ok_or_else(|| {
                JobError::Failed(
                    Message::JobChunkUnknown {
                        chunk: chunk.chars().take(40).collect(),
                    }
                    .text(),
                )
            })?;
            let issuer = issuer(tx, year).await.map_err(notices_error)?;
            let actor = Actor::new(format!("batch:{SPECIAL_NOTICES_JOB}"), "batch");
            let (made, problems) = special_notices(
                tx,
                year,
                &issuer,
                &payers,
                issued_on,
                EMPLOYEES_PER_DOCUMENT,
                &actor,
            )
            .await?;
            let errors: Vec<SubjectError> = problems
                .into_iter()
                .map(|(payer, p)| SubjectError {
                    subject: payer,
                    code: p.code.to_owned(),
                    message: p.text,
                })
                .collect();
            let done = payers.len() as u64;
            let mut owners = Vec::new();
            let mut documents = Vec::new();
            for (payer, notices) in made {
                for notice in notices {
                    owners.push(payer.clone());
                    documents.push(Document::SpecialCollectionNotice(notice));
                }
            }
            if documents.is_empty() {
                return Ok(ChunkResult {
                    parts: Vec::new(),
                    errors,
                    done,
                });
            }
            let engine = print_engine()?;
            let files = tokio::task::spawn_blocking(move || {
                engine.render_batch(&documents, PAGES_PER_FILE_NONZERO)
            })
            .await
            .map_err(|e| JobError::Failed(e.to_string()))?
            .map_err(|e| JobError::Failed(e.to_string()))?;
            let mut parts = Vec::with_capacity(files.len() + 1);
            let mut index = String::new();
            for (n, pdf) in files.into_iter().enumerate() {
                let name = format!("special-notices-{file}-{:02}.pdf", n + 1);
                for placement in &pdf.placements {
                    index.push_str(&format!(
                        "{},{name},{},{}\n",
                        owners[placement.document], placement.first_page, placement.page_count
                    ));
                }
                parts.push((name, pdf.pdf));
            }
            parts.push((INDEX.to_owned(), index.into_bytes()));
            Ok(ChunkResult {
                parts,
                errors,
                done,
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
            Ok(notice_outputs(
                &parts,
                "special-notices",
                crate::storage::special_notices::SPECIAL_INDEX_HEADER,
            ))
        })
    }
}

/// The outputs of a notices run from its parts: the files renumbered
/// `{prefix}-0001.pdf`, … in the order of the mail (a chunk whose
/// subjects all failed has no file), each with its pages, and the index
/// with its `header` and the new names.
fn notice_outputs(parts: &Parts, prefix: &str, header: &str) -> Vec<Output> {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for name in parts.0.keys().filter(|n| n.ends_with(".pdf")) {
        let next = format!("{prefix}-{:04}.pdf", renamed.len() + 1);
        renamed.insert(name.clone(), next);
    }
    let mut index = String::from(header);
    let mut pages: BTreeMap<String, u64> = BTreeMap::new();
    let mut rows = 0;
    for part in parts.of(INDEX) {
        for line in String::from_utf8_lossy(part).lines() {
            let fields: Vec<&str> = line.split(',').collect();
            let [id, file, first, count] = fields[..] else {
                continue;
            };
            let file = renamed.get(file).map_or(file, String::as_str);
            *pages.entry(file.to_owned()).or_default() += count.parse::<u64>().unwrap_or(0);
            index.push_str(&format!("{id},{file},{first},{count}\n"));
            rows += 1;
        }
    }
    let mut outputs: Vec<Output> = renamed
        .iter()
        .filter_map(|(old, new)| {
            let content = parts.of(old).first()?.clone();
            Some(Output {
                name: new.clone(),
                content_type: "application/pdf".into(),
                content,
                rows: None,
                pages: pages.get(new).copied(),
            })
        })
        .collect();
    outputs.push(Output::csv(INDEX, index.into_bytes(), rows));
    outputs
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

    #[test]
    fn notice_chunk_keys_round_trip() {
        let day = jiff::civil::date(2026, 6, 10);
        let ids = [AddresseeId::new(42), AddresseeId::new(7)];
        let key = notice_key(12, day, &ids);
        assert_eq!(key, "000012 2026-06-10 42,7");
        assert_eq!(
            parse_notice_key(&key),
            Some(("000012".to_owned(), day, ids.to_vec()))
        );
        assert_eq!(parse_notice_key("12 2026-06-10 42"), None);
        assert_eq!(parse_notice_key("000012 2026-02-30 42"), None);
        assert_eq!(parse_notice_key("000012 2026-06-10 42,x"), None);
    }

    #[test]
    fn special_notice_chunk_keys_round_trip() {
        let day = jiff::civil::date(2026, 5, 15);
        let payers = ["1234560001".to_owned(), "A-12".to_owned()];
        let key = special_key(3, day, &payers);
        assert_eq!(key, "000003 2026-05-15 1234560001,A-12");
        assert_eq!(
            parse_special_key(&key),
            Some(("000003".to_owned(), day, payers.to_vec()))
        );
        assert_eq!(parse_special_key("000003 2026-05-15 12 34"), None);
        assert_eq!(parse_special_key("000003 2026-05-15 "), None);
        let raw: BTreeMap<String, String> = [
            ("fiscal_year".to_owned(), "2026".to_owned()),
            ("payer_numbers".to_owned(), "12,a b".to_owned()),
        ]
        .into();
        let parsed = Params::parse(SPECIAL_NOTICE_PARAMS, &raw).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            ResidentTaxSpecialNotices
                .validate(&parsed)
                .map_err(|e| e.field),
            Err("payer_numbers".to_owned())
        );
    }
}

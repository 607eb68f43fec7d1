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

use crate::domain::notice::NoticeProblem;
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
            let (from, to) = parse_range(chunk).ok_or_else(|| JobError::unknown_chunk(chunk))?;
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

/// A comma-separated list parameter `name` of values `parse` accepts
/// (`what` names them in the error), sorted and without repeats; `None`
/// when absent.
fn list_param<T: Ord>(
    params: &Params,
    name: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<T>>, ParamError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    let refuse = |detail: String| {
        ParamError::new(
            name,
            Message::InvalidParam {
                field: name.into(),
                detail,
            },
        )
    };
    let mut items = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let item = parse(part).ok_or_else(|| {
            refuse(format!(
                "「{}」は{what}ではありません",
                part.chars().take(40).collect::<String>()
            ))
        })?;
        items.push(item);
    }
    if items.is_empty() {
        return Err(refuse(format!("{what}を1つ以上指定してください")));
    }
    items.sort_unstable();
    items.dedup();
    Ok(Some(items))
}

fn addressee_ids(params: &Params) -> Result<Option<Vec<AddresseeId>>, ParamError> {
    list_param(params, "addressee_ids", "宛名番号", |part| {
        part.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(AddresseeId::new)
    })
}

/// The day printed on a run's notices: `issued_on`, else the day planned.
fn issued_on(params: &Params) -> Result<Date, ParamError> {
    match params.get("issued_on") {
        Some(_) => params.date("issued_on"),
        None => Ok(kiban_core::today_in_japan()),
    }
}

/// A chunk's key: `NNNNNN YYYY-MM-DD item,item,…` (chunk number, day
/// printed, the subjects in the order of the mail). Six digits keep the
/// chunks' parts in order by name ([`notice_outputs`]) for any run the
/// service prints.
fn chunk_key(chunk: usize, issued_on: Date, items: &[String]) -> String {
    format!("{chunk:06} {issued_on} {}", items.join(","))
}

/// A chunk key's number, day and subjects, each read by `parse`.
fn parse_chunk_key<T>(
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<(String, Date, Vec<T>)> {
    let mut parts = key.splitn(3, ' ');
    let file = parts.next()?.to_owned();
    let day: Date = parts.next()?.parse().ok()?;
    let items = parts
        .next()?
        .split(',')
        .map(parse)
        .collect::<Option<Vec<_>>>()?;
    (file.len() == 6 && file.bytes().all(|b| b.is_ascii_digit())).then_some((file, day, items))
}

/// The chunks of a print run: the subjects (each with its expected pages)
/// in the order of the mail, packed into chunks of at most
/// [`FILES_PER_CHUNK`] files' pages and `max_subjects` subjects (a subject
/// longer than that has a chunk of its own).
fn pack(
    subjects: impl IntoIterator<Item = (String, usize)>,
    max_subjects: usize,
    issued_on: Date,
) -> Vec<PlannedChunk> {
    let mut chunks = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut pages = 0;
    let push = |chunks: &mut Vec<PlannedChunk>, current: &mut Vec<String>| {
        chunks.push(PlannedChunk {
            key: chunk_key(chunks.len() + 1, issued_on, current),
            subjects: current.len() as u64,
        });
        current.clear();
    };
    for (subject, expected) in subjects {
        if !current.is_empty()
            && (current.len() >= max_subjects
                || pages + expected > FILES_PER_CHUNK * PAGES_PER_FILE)
        {
            push(&mut chunks, &mut current);
            pages = 0;
        }
        pages += expected;
        current.push(subject);
    }
    if !current.is_empty() {
        push(&mut chunks, &mut current);
    }
    chunks
}

/// A chunk's key that cannot be read.
/// Prints a chunk's documents (each of the subject `owners[i]`) into the
/// chunk's files `{prefix}-NNNNNN-NN.pdf` and its part of the index
/// (`subject,file,first_page,pages`), on the print engine's threads.
async fn print_chunk(
    file: &str,
    prefix: &str,
    owners: Vec<String>,
    documents: Vec<Document>,
    errors: Vec<SubjectError>,
    done: u64,
) -> Result<ChunkResult, JobError> {
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
        let name = format!("{prefix}-{file}-{:02}.pdf", n + 1);
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

/// A notice's problems as the run's subject errors.
fn subject_errors<S: ToString>(problems: Vec<(S, NoticeProblem)>) -> Vec<SubjectError> {
    problems
        .into_iter()
        .map(|(subject, p)| SubjectError {
            subject: subject.to_string(),
            code: p.code.to_owned(),
            message: p.text,
        })
        .collect()
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
            let issued_on = issued_on(params)?;
            // Refuse a run that cannot print anything before planning it.
            issuer(tx, year).await.map_err(notices_error)?;
            let only = addressee_ids(params)?;
            let all = recipients(tx, year, only.as_deref(), issued_on).await?;
            Ok(pack(
                all.into_iter()
                    .map(|p| (p.addressee_id.get().to_string(), p.expected_pages)),
                NOTICES_PER_CHUNK,
                issued_on,
            ))
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
            let (file, issued_on, ids) =
                parse_chunk_key(chunk, |n| n.parse::<u64>().ok().map(AddresseeId::new))
                    .ok_or_else(|| JobError::unknown_chunk(chunk))?;
            let issuer = issuer(tx, year).await.map_err(notices_error)?;
            let actor = Actor::new(format!("batch:{NOTICES_JOB}"), "batch");
            let (made, problems) = notices(tx, year, &issuer, &ids, issued_on, &actor).await?;
            let (owners, documents): (Vec<String>, Vec<Document>) = made
                .into_iter()
                .map(|(id, n)| (id.get().to_string(), Document::TaxNotice(n)))
                .unzip();
            print_chunk(
                &file,
                "notices",
                owners,
                documents,
                subject_errors(problems),
                ids.len() as u64,
            )
            .await
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

/// `text` as a payer number, if it can be one in a chunk key (as
/// income-csv-v1 takes them: letters, digits and hyphens).
fn payer_number(text: &str) -> Option<String> {
    (!text.is_empty()
        && text.len() <= 20
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    .then(|| text.to_owned())
}

fn payer_numbers(params: &Params) -> Result<Option<Vec<String>>, ParamError> {
    list_param(
        params,
        "payer_numbers",
        "指定番号（英数字とハイフン20文字以内）",
        payer_number,
    )
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
            let issued_on = issued_on(params)?;
            issuer(tx, year).await.map_err(notices_error)?;
            let only = payer_numbers(params)?;
            let all = employers(tx, year, only.as_deref()).await?;
            Ok(pack(
                all.into_iter().map(|e| (e.payer_number, 1 + e.employees)),
                EMPLOYERS_PER_CHUNK,
                issued_on,
            ))
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
            let (file, issued_on, payers) = parse_chunk_key(chunk, payer_number)
                .ok_or_else(|| JobError::unknown_chunk(chunk))?;
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
            let mut owners = Vec::new();
            let mut documents = Vec::new();
            for (payer, notices) in made {
                for notice in notices {
                    owners.push(payer.clone());
                    documents.push(Document::SpecialCollectionNotice(notice));
                }
            }
            print_chunk(
                &file,
                "special-notices",
                owners,
                documents,
                subject_errors(problems),
                payers.len() as u64,
            )
            .await
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
        let chunks = pack([("42".to_owned(), 3), ("7".to_owned(), 2)], 10, day);
        assert_eq!(chunks.len(), 1);
        let key = &chunks[0].key;
        assert_eq!(key, "000001 2026-06-10 42,7");
        let id = |n: &str| n.parse::<u64>().ok().map(AddresseeId::new);
        assert_eq!(
            parse_chunk_key(key, id),
            Some((
                "000001".to_owned(),
                day,
                vec![AddresseeId::new(42), AddresseeId::new(7)]
            ))
        );
        assert_eq!(parse_chunk_key("12 2026-06-10 42", id), None);
        assert_eq!(parse_chunk_key("000012 2026-02-30 42", id), None);
        assert_eq!(parse_chunk_key("000012 2026-06-10 42,x", id), None);
        // Chunks close at the most subjects, or before a subject that
        // would overflow the files' pages (which then has a chunk alone).
        let many = pack((1..=5).map(|n| (n.to_string(), 1)), 2, day);
        assert_eq!(
            many.iter().map(|c| c.subjects).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(many[2].key, "000003 2026-06-10 5");
        let large = pack(
            [
                ("a".to_owned(), 10),
                ("b".to_owned(), 900),
                ("c".to_owned(), 1),
            ],
            200,
            day,
        );
        assert_eq!(
            large.iter().map(|c| c.subjects).collect::<Vec<_>>(),
            [1, 1, 1]
        );
    }

    #[test]
    fn special_notice_chunk_keys_round_trip() {
        let day = jiff::civil::date(2026, 5, 15);
        let payers = ["1234560001".to_owned(), "A-12".to_owned()];
        let key = chunk_key(3, day, &payers);
        assert_eq!(key, "000003 2026-05-15 1234560001,A-12");
        assert_eq!(
            parse_chunk_key(&key, payer_number),
            Some(("000003".to_owned(), day, payers.to_vec()))
        );
        assert_eq!(
            parse_chunk_key("000003 2026-05-15 12 34", payer_number),
            None
        );
        assert_eq!(parse_chunk_key("000003 2026-05-15 ", payer_number), None);
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

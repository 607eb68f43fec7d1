//! The job `collection-demands` (督促, contract `collection-v1`): every
//! charge with a balance whose due date is before `as_of` and that has no
//! demand yet gets one, dated `as_of` with the demand fee of the settings
//! in force (0 without settings), recorded in `collection_demands` (the
//! charge's `demanded_on`); each addressee gets one 督促状 listing them,
//! printed into `demands-NNNNNN-NN.pdf` files with `index.csv`
//! (`addressee_id,file,first_page,pages`).
//!
//! The plan fixes the addressees (those with a charge due before `as_of`
//! not demanded yet) in number order. A chunk records its demands, logs a
//! `print` entry per addressee and prints its files in the same
//! transaction, so a chunk done again after a failure finds its demands
//! not yet recorded and prints the same. An addressee without a mailing
//! address (or whose address is withheld) is a subject error and gets no
//! demand.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

use kiban_addressee::domain::{AddresseeId, Business as MailBusiness};
use kiban_audit::{Actor, AuditAction};
use kiban_collection::barcode::Business;
use kiban_collection::ledger::ChargeStatus;
use kiban_core::{Date, Yen};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Output, ParamError, ParamSpec, ParamType, Params,
    Parts, PlannedChunk, SubjectError, concatenate,
};
use kiban_print::{DemandLine, DemandNotice, Document, MailingBlock, PrintConfig, PrintEngine};
use kiban_store::{Arg, TenantTx, now_text};

use crate::direct_debit::settings_in_force;
use crate::rows::{self, int, yen};

/// The job `collection-demands`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Demands;

/// Its name.
pub const DEMANDS_JOB: &str = "collection-demands";

/// The index of the printed demands.
pub const INDEX: &str = "index.csv";

/// The index's header.
pub const INDEX_HEADER: &str = "addressee_id,file,first_page,pages\n";

const ADDRESSEES_PER_CHUNK: usize = 200;
const PAGES_PER_FILE: NonZeroUsize = match NonZeroUsize::new(250) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Days from the demand to the day by which to pay (指定期限).
const DAYS_TO_PAY: i64 = 10;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "as_of",
    kind: ParamType::Date,
    required: true,
    description: "督促日（この日より前が納期限で未納の、督促していない調定に督促状を発付する）",
}];

fn as_of(params: &Params) -> Result<Date, ParamError> {
    params.date("as_of")
}

/// The business as printed.
fn business_label(business: Business) -> &'static str {
    match business {
        Business::ResidentTax => "個人住民税",
        Business::FixedAssetTax => "固定資産税",
        Business::LightVehicleTax => "軽自動車税",
        Business::NhiTax => "国民健康保険税",
        Business::LateFee => "延滞金",
    }
}

fn print_engine() -> Result<PrintEngine, JobError> {
    static ENGINE: OnceLock<Result<PrintEngine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| PrintEngine::new(&PrintConfig::default()).map_err(|e| e.to_string()))
        .clone()
        .map_err(JobError::Failed)
}

/// The issuer: municipality name, mayor's title and name (the certifier).
async fn issuer(tx: &mut TenantTx) -> Result<(String, String, String), JobError> {
    let name = tx
        .fetch_optional(
            "SELECT name FROM municipalities WHERE municipality_code = $1",
            &[],
        )
        .await?
        .map(|r| r.text(0))
        .transpose()?
        .unwrap_or_default();
    let certifier = tx
        .fetch_optional(
            "SELECT mayor_title, mayor_name FROM certifier_settings WHERE municipality_code = $1 \
             ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?
        .ok_or_else(|| {
            JobError::Failed(
                "認証者（市区町村長の職名と氏名）が設定されていません（kiban certificate certifier で設定してください）"
                    .into(),
            )
        })?;
    Ok((name, certifier.text(0)?, certifier.text(1)?))
}

impl JobKind for Demands {
    fn name(&self) -> &'static str {
        DEMANDS_JOB
    }

    fn business(&self) -> &'static str {
        "collection"
    }

    fn description(&self) -> &'static str {
        "督促状を発付する: as_of より前が納期限で未納の、まだ督促していない調定に督促日（as_of）を記録し、宛名ごとに督促状を印刷する（demands-….pdf と index.csv）"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn personal_data(&self) -> bool {
        true
    }

    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        as_of(params).map(|_| ())
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let day = as_of(params)?;
            issuer(tx).await?;
            let rows = tx
                .fetch_all(
                    "SELECT DISTINCT c.addressee_id FROM collection_charges c \
                     WHERE c.municipality_code = $1 AND c.due_date < $2 \
                     AND NOT EXISTS (SELECT 1 FROM collection_demands d \
                       WHERE d.municipality_code = c.municipality_code AND d.charge_id = c.charge_id) \
                     ORDER BY c.addressee_id",
                    &[Arg::from(day)],
                )
                .await?;
            let ids = rows
                .iter()
                .map(|r| r.int(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(PlannedChunk::numbered(&ids, ADDRESSEES_PER_CHUNK))
        })
    }

    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            let day = as_of(params)?;
            let (file, ids) = PlannedChunk::parse_numbered(chunk)
                .ok_or_else(|| JobError::unknown_chunk(chunk))?;
            let (municipality, mayor_title, mayor_name) = issuer(tx).await?;
            let fee = settings_in_force(tx)
                .await?
                .map_or(Yen::ZERO, |s| s.settings.demand_fee);
            let addressees: Vec<AddresseeId> = ids
                .iter()
                .map(|id| AddresseeId::new(u64::try_from(*id).unwrap_or(0)))
                .collect();
            let letters = kiban_addressee::storage::letters_for(
                tx,
                &addressees,
                MailBusiness::Collection,
                day,
            )
            .await?;
            let actor = Actor::new(format!("batch:{DEMANDS_JOB}"), "batch");
            let pay_by = day
                .checked_add(jiff::Span::new().days(DAYS_TO_PAY))
                .map_err(|e| JobError::Failed(e.to_string()))?;
            let (mut owners, mut documents, mut errors) = (Vec::new(), Vec::new(), Vec::new());
            let mut demand_rows = Vec::new();
            let mut entries = Vec::new();
            let at = now_text();
            for (id, addressee) in ids.iter().zip(&addressees) {
                let ledger = rows::load(tx, *id).await?;
                let due: Vec<_> = ledger
                    .charges()
                    .iter()
                    .filter(|c| c.due_date < day && c.demanded_on.is_none())
                    .filter_map(|c| {
                        let state = ledger.state(c);
                        (state.status == ChargeStatus::Open && state.balance > Yen::ZERO)
                            .then_some((c, state.balance))
                    })
                    .collect();
                if due.is_empty() {
                    continue;
                }
                let Some((letter, address)) = letters
                    .get(addressee)
                    .and_then(|l| l.address.as_ref().map(|a| (l, a)))
                else {
                    errors.push(SubjectError {
                        subject: id.to_string(),
                        code: "no_mailing_address".into(),
                        message: "送付先の住所がありません（宛名の住所または収納・滞納の送付先を登録してください）".into(),
                    });
                    continue;
                };
                for (charge, balance) in &due {
                    demand_rows.push(vec![
                        int(charge.charge_id.0),
                        Arg::from(day),
                        yen(fee),
                        yen(*balance),
                        Arg::from(at.as_str()),
                        Arg::from(actor.login.as_str()),
                    ]);
                }
                entries.push(actor.entry(
                    AuditAction::Print,
                    Some(*id),
                    format!("collection demand {day} charges {}", due.len()),
                ));
                owners.push(id.to_string());
                documents.push(Document::DemandNotice(DemandNotice {
                    municipality_name: municipality.clone(),
                    mayor_title: mayor_title.clone(),
                    mayor_name: mayor_name.clone(),
                    issued_on: kiban_core::wareki::format_ja(day),
                    addressee_id: id.to_string(),
                    mailing: MailingBlock {
                        postal_code: address.postal_code.clone(),
                        address: address.address_line.clone(),
                        address_line2: address.katagaki.clone().unwrap_or_default(),
                        name: letter.name.clone(),
                    },
                    charges: due
                        .iter()
                        .map(|(c, balance)| DemandLine {
                            business: business_label(c.key.business).to_owned(),
                            fiscal_year: kiban_core::wareki::format_fiscal_year_ja(
                                c.key.fiscal_year,
                            ),
                            period: format!("第{}期", c.key.period),
                            notice_number: c.key.notice_number.as_str().to_owned(),
                            due_date: kiban_core::wareki::format_ja(c.due_date),
                            balance: *balance,
                        })
                        .collect(),
                    demand_fee: fee,
                    pay_by: kiban_core::wareki::format_ja(pay_by),
                    contact: format!("{municipality} 収納担当"),
                }));
            }
            tx.insert_rows(
                "collection_demands",
                &[
                    "charge_id",
                    "demanded_on",
                    "demand_fee",
                    "balance",
                    "recorded_at",
                    "recorded_by",
                ],
                &demand_rows,
            )
            .await?;
            kiban_audit::append_many(tx, &entries).await?;
            let done = ids.len() as u64;
            if documents.is_empty() {
                return Ok(ChunkResult {
                    parts: Vec::new(),
                    errors,
                    done,
                });
            }
            let engine = print_engine()?;
            let files = tokio::task::spawn_blocking(move || {
                engine.render_batch(&documents, PAGES_PER_FILE)
            })
            .await
            .map_err(|e| JobError::Failed(e.to_string()))?
            .map_err(|e| JobError::Failed(e.to_string()))?;
            let mut parts = Vec::with_capacity(files.len() + 1);
            let mut index = String::new();
            for (n, pdf) in files.into_iter().enumerate() {
                let name = format!("demands-{file}-{:02}.pdf", n + 1);
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
            let mut index = INDEX_HEADER.as_bytes().to_vec();
            for part in parts.of(INDEX) {
                index.extend_from_slice(part);
            }
            let rows = index.iter().filter(|b| **b == b'\n').count() as u64 - 1;
            let mut outputs: Vec<Output> = concatenate(parts)
                .into_iter()
                .filter(|o| o.name != INDEX)
                .map(|mut o| {
                    if o.name.ends_with(".pdf") {
                        o.content_type = "application/pdf".into();
                    }
                    o
                })
                .collect();
            outputs.push(Output::csv(INDEX, index, rows));
            Ok(outputs)
        })
    }
}

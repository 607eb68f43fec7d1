//! What the notices job reads (contract resident-tax-v1, "Notices and
//! certificates"): who gets a 納税通知書, in the order of the mail, and
//! each one's notice built from the assessment in force, the settings of
//! the year, the municipality and the mailing address for the resident
//! tax (addressee-v1). Set-based: a few statements per 1,000 persons.

use jiff::civil::Date;
use kiban_addressee::domain::{AddresseeId, Business as MailBusiness};
use kiban_audit::{Actor, AuditAction, AuditEntry};
use kiban_core::FiscalYear;
use kiban_print::{MailingBlock, TaxLabels, TaxNotice};
use kiban_store::{Arg, StoreError, TenantTx};

use crate::domain::notice::{self, NoticeProblem};
use crate::storage::assessment::{AssessmentVersion, decode_installments, in_literal, latest_of};
use crate::storage::settings::{SettingsStoreError, in_force};

/// One person to send a notice to, in the order of the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressed {
    /// 宛名番号.
    pub addressee_id: AddresseeId,
    /// The pages the notice is expected to take (one, and one per three
    /// slips).
    pub expected_pages: usize,
}

/// Everyone whose assessment in force for `fiscal_year` has an ordinary
/// (slip) part above zero — only `only` when given — sorted for the postal
/// discount by the postal code of the mailing address for the resident tax
/// on `on` (see [`notice::mail_order_key`]). Persons without a mailing
/// address are still listed (last): the run reports them.
pub async fn recipients(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    only: Option<&[AddresseeId]>,
    on: Date,
) -> Result<Vec<Addressed>, StoreError> {
    let year = Arg::Int(i64::from(fiscal_year.start_year()));
    // The latest version of each person by a scalar subquery (one
    // primary-key lookup per row, whatever the statistics).
    let latest = "SELECT a.addressee_id, a.installments FROM resident_tax_assessments a \
         WHERE a.municipality_code = $1 AND a.fiscal_year = $2 AND a.version_no = \
         (SELECT MAX(b.version_no) FROM resident_tax_assessments b WHERE b.municipality_code = $1 \
          AND b.fiscal_year = $2 AND b.addressee_id = a.addressee_id) AND a.ordinary_total > 0";
    let mut found: Vec<(AddresseeId, usize)> = Vec::new();
    let mut read = |rows: Vec<kiban_store::Row>| -> Result<(), StoreError> {
        for row in rows {
            let id = AddresseeId::new(u64::try_from(row.int(0)?).unwrap_or(0));
            let slips = decode_installments(&row.text(1)?)?
                .iter()
                .filter(|i| i.amount.get() > 0)
                .count();
            found.push((id, 1 + slips.div_ceil(3)));
        }
        Ok(())
    };
    match only {
        None => {
            let rows = tx
                .fetch_all(
                    &format!("{latest} ORDER BY a.addressee_id"),
                    std::slice::from_ref(&year),
                )
                .await?;
            read(rows)?;
        }
        Some(ids) => {
            let ints: Vec<i64> = ids
                .iter()
                .filter_map(|i| i64::try_from(i.get()).ok())
                .collect();
            for chunk in ints.chunks(kiban_store::IN_LIST_CHUNK) {
                let rows = tx
                    .fetch_all(
                        &format!(
                            "{latest} AND a.addressee_id IN ({}) ORDER BY a.addressee_id",
                            in_literal(chunk)
                        ),
                        std::slice::from_ref(&year),
                    )
                    .await?;
                read(rows)?;
            }
        }
    }
    let ids: Vec<AddresseeId> = found.iter().map(|(id, _)| *id).collect();
    let letters =
        kiban_addressee::storage::letters_for(tx, &ids, MailBusiness::ResidentTax, on).await?;
    let mut keyed: Vec<((String, String, u64), Addressed)> = found
        .into_iter()
        .map(|(id, pages)| {
            let address = letters.get(&id).and_then(|l| l.address.as_ref());
            let key = match address {
                Some(a) => {
                    notice::mail_order_key(a.postal_code.as_ref(), &a.address_line, id.get())
                }
                None => ("~~".to_owned(), String::new(), id.get()),
            };
            (
                key,
                Addressed {
                    addressee_id: id,
                    expected_pages: pages,
                },
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, a)| a).collect())
}

/// What every notice of a run shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// The municipality's name, e.g. `デモ市`.
    pub municipality_name: String,
    /// The names of the tax's two parts.
    pub labels: TaxLabels,
    /// e.g. `デモ市長`.
    pub mayor_title: String,
    /// The mayor's name.
    pub mayor_name: String,
    /// 収納機関番号 of the barcodes.
    pub agency_code: String,
}

/// Why the notices of a run cannot be made at all.
#[derive(Debug, thiserror::Error)]
pub enum NoticesError {
    /// The municipality has no certifier (市区町村長) on record.
    #[error(
        "認証者（市区町村長の職名と氏名）が設定されていません（kiban certificate certifier で設定してください）"
    )]
    NoCertifier,
    /// The year's settings cannot be read.
    #[error("{0}")]
    Settings(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The name of the handle's municipality and the names of the tax's two
/// parts it prints ([`notice::tax_labels`]).
pub async fn municipality_labels(tx: &mut TenantTx) -> Result<(String, TaxLabels), StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT name, prefecture FROM municipalities WHERE municipality_code = $1",
            &[],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            column: "municipalities".into(),
            reason: "the municipality of the handle is not on record".into(),
        })?;
    let name = row.text(0)?;
    let labels = notice::tax_labels(&name, &row.text(1)?);
    Ok((name, labels))
}

/// The issuer of the notices of `fiscal_year`: the municipality, its
/// certifier in force, and the year's collection agency code.
pub async fn issuer(tx: &mut TenantTx, fiscal_year: FiscalYear) -> Result<Issuer, NoticesError> {
    let (name, labels) = municipality_labels(tx).await?;
    let certifier = tx
        .fetch_optional(
            "SELECT mayor_title, mayor_name FROM certifier_settings WHERE municipality_code = $1 \
             ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?
        .ok_or(NoticesError::NoCertifier)?;
    let settings = in_force(tx, fiscal_year).await.map_err(|e| match e {
        SettingsStoreError::Store(e) => NoticesError::Store(e),
        SettingsStoreError::Invalid(e) => NoticesError::Settings(e.to_string()),
    })?;
    Ok(Issuer {
        labels,
        municipality_name: name,
        mayor_title: certifier.text(0)?,
        mayor_name: certifier.text(1)?,
        agency_code: settings.collection_agency_code,
    })
}

/// The notices of `ids` (in that order) as of `issued_on`, each with its
/// person, and the persons that cannot get one with the reason. Writes one
/// `print` access-log entry per notice made, in `tx`.
pub async fn notices(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    issuer: &Issuer,
    ids: &[AddresseeId],
    issued_on: Date,
    actor: &Actor,
) -> Result<
    (
        Vec<(AddresseeId, TaxNotice)>,
        Vec<(AddresseeId, NoticeProblem)>,
    ),
    StoreError,
> {
    let versions = latest_of(tx, fiscal_year, ids).await?;
    let letters =
        kiban_addressee::storage::letters_for(tx, ids, MailBusiness::ResidentTax, issued_on)
            .await?;
    let views = kiban_addressee::storage::views_of(tx, ids).await?;
    let mut made = Vec::with_capacity(ids.len());
    let mut problems = Vec::new();
    for id in ids {
        match notice_of(
            fiscal_year,
            issuer,
            versions.get(id),
            letters.get(id),
            views.get(id),
            issued_on,
        ) {
            Ok(n) => made.push((*id, n)),
            Err(p) => problems.push((*id, p)),
        }
    }
    let detail = format!(
        "resident_tax notice {} issued {issued_on}",
        fiscal_year.start_year()
    );
    log_prints(tx, actor, made.iter().map(|(id, _)| *id), &detail).await?;
    Ok((made, problems))
}

/// Writes one `print` access-log entry per person printed for, in `tx`.
pub(crate) async fn log_prints(
    tx: &mut TenantTx,
    actor: &Actor,
    ids: impl Iterator<Item = AddresseeId>,
    detail: &str,
) -> Result<(), StoreError> {
    let entries: Vec<AuditEntry> = ids
        .map(|id| actor.entry(AuditAction::Print, i64::try_from(id.get()).ok(), detail))
        .collect();
    kiban_audit::append_many(tx, &entries).await?;
    Ok(())
}

fn notice_of(
    fiscal_year: FiscalYear,
    issuer: &Issuer,
    version: Option<&AssessmentVersion>,
    letter: Option<&kiban_addressee::storage::MailingAnswer>,
    view: Option<&kiban_addressee::storage::AddresseeView>,
    issued_on: Date,
) -> Result<TaxNotice, NoticeProblem> {
    let version = version.ok_or_else(|| NoticeProblem {
        code: "not_assessed",
        text: "この年度の課税がありません".into(),
    })?;
    let (letter, address) = match letter.and_then(|l| l.address.as_ref().map(|a| (l, a))) {
        Some(found) => found,
        None => {
            return Err(NoticeProblem {
                code: "no_mailing_address",
                text:
                    "送付先の住所がありません（宛名の住所または住民税の送付先を登録してください）"
                        .into(),
            });
        }
    };
    let (input, tax, _) = version.calculation().map_err(|e| NoticeProblem {
        code: "calculation_failed",
        text: e.to_string(),
    })?;
    let installments = notice::slips(
        fiscal_year,
        &issuer.agency_code,
        version.notice_number.as_deref(),
        &version.schedule.installments,
    )?;
    if installments.is_empty() {
        return Err(NoticeProblem {
            code: "no_ordinary_amount",
            text: "普通徴収の税額がありません".into(),
        });
    }
    let special = version.schedule.special_total();
    let (taxpayer_name, taxpayer_address) = match view {
        Some(v) => (
            v.name.clone(),
            v.address
                .as_ref()
                .map(|a| a.address_line.clone())
                .unwrap_or_default(),
        ),
        None => (letter.name.clone(), address.address_line.clone()),
    };
    Ok(TaxNotice {
        municipality_name: issuer.municipality_name.clone(),
        mayor_title: issuer.mayor_title.clone(),
        mayor_name: issuer.mayor_name.clone(),
        issued_on: kiban_core::wareki::format_ja(issued_on),
        fiscal_year: kiban_core::wareki::format_fiscal_year_ja(fiscal_year),
        tax_labels: issuer.labels.clone(),
        notice_number: version.notice_number.clone().unwrap_or_default(),
        addressee_id: version.addressee_id.get().to_string(),
        mailing: MailingBlock {
            postal_code: address.postal_code.clone(),
            address: address.address_line.clone(),
            address_line2: address.katagaki.clone().unwrap_or_default(),
            name: letter.name.clone(),
        },
        taxpayer_name,
        taxpayer_address,
        details: notice::details(&input, &tax),
        special_collection_amount: (special.get() > 0).then_some(special),
        installments,
        contact: format!("{} 税務担当（個人住民税）", issuer.municipality_name),
    })
}

/// The index of a run's notices: `addressee_id,file,first_page,pages`.
pub const INDEX_HEADER: &str = "addressee_id,file,first_page,pages\n";

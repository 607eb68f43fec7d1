//! Issuing certificates: reads the registry (and seal registration) as of
//! the issue date, prints through `kiban-print`, and records the issuance
//! (交付履歴) with one `print` access-log entry per person.
//!
//! An issuance runs in three steps so that printing (about 10 ms of CPU)
//! never holds the database's write lock:
//! 1. In one transaction: read the records as of the issue date, check the
//!    request (items, residence, 支援措置) and take the certificate number
//!    from the municipality's sequence of the year. It writes nothing else.
//! 2. Print, on a blocking thread.
//! 3. In one transaction: the `certificates` row, its persons and the
//!    `print` entries.
//!
//! A refusal at step 1 writes one `refused` entry per person known (and
//! takes no number). A failure at step 2 (a character no font has) leaves
//! its number unused (欠番) and writes one `refused` entry per person naming
//! the number, so that the read of step 1 is still in the access log.

use kiban_audit::{Actor, AuditAction, AuditEntry};
use kiban_core::{Date, MunicipalityCode};
use kiban_print::{Document, PngImage, PrintEngine, PrintError, Verification};
use kiban_registry::domain::{HouseholdId, PersonId, PersonRecord, ResidentStatus};
use kiban_registry::port::RegistryReads;
use kiban_store::{Arg, Database, StoreError, TenantDb, TenantTx, now_text};
use rand::RngCore;

use crate::domain::{
    self, CertificateKind, CertificateNumber, IssuanceFacts, Item, Refusal, VerificationCode,
};

/// Whom a certificate is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Every member of a household on the issue date (`household_id`).
    Household(HouseholdId),
    /// Chosen persons, in the order printed (`person_ids`).
    Persons(Vec<PersonId>),
    /// The holder of a seal card (`seal_card_number`).
    SealCard(String),
    /// A taxpayer of a fiscal year (`addressee_id`, `fiscal_year`): a
    /// resident or a non-resident of the addressee master.
    Taxpayer {
        /// 宛名番号.
        addressee_id: u64,
        /// 年度.
        fiscal_year: kiban_core::FiscalYear,
    },
}

/// A request to issue one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// The kind.
    pub kind: CertificateKind,
    /// Whom it is about.
    pub subject: Subject,
    /// The items chosen (already checked with [`domain::parse_items`]).
    pub items: Vec<Item>,
    /// 利用目的 / 使用目的, as the applicant stated it.
    pub purpose: Option<String>,
    /// Whether the actor's role may override 支援措置 and confirmed it on
    /// this request (both needed to certify a protected person).
    pub support_measure: SupportMeasureOverride,
}

/// An actor's standing before 支援措置 (see `kiban-protection`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupportMeasureOverride {
    /// The role holds the permission to override support measures.
    pub may_override: bool,
    /// The actor confirmed explicitly on this request.
    pub confirmed: bool,
}

/// What the printing needs from the outside.
#[derive(Clone)]
pub struct Printing {
    /// The engine.
    pub engine: PrintEngine,
    /// The origin printed in the QR code's address (empty: the path only).
    pub origin: String,
    /// The municipality's name as printed.
    pub municipality_name: String,
}

/// An issued certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Its number in the municipality (交付番号).
    pub certificate_id: i64,
    /// 証明書番号.
    pub number: CertificateNumber,
    /// The verification code printed on it.
    pub verification_code: VerificationCode,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Its SHA-256.
    pub sha256: String,
    /// Its pages.
    pub page_count: usize,
}

/// Why an issuance failed.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// Refused by the rules (logged).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// A seal card that certifies nothing (logged).
    #[error("{0}")]
    SealRefused(#[from] kiban_seal::domain::Refusal),
    /// The record cannot be printed, e.g. a character no font has (logged).
    #[error("{0}")]
    Print(#[from] PrintError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The certifier of the municipality (認証者) in force.
#[derive(Debug, Clone)]
pub struct Certifier {
    /// e.g. `デモ市長`.
    pub mayor_title: String,
    /// The mayor's name.
    pub mayor_name: String,
    /// The official seal (公印) image, if set.
    pub official_seal: Option<PngImage>,
}

/// Records a new certifier (the old one stays in history).
pub async fn set_certifier(
    tenant: &TenantDb,
    recorded_by: &str,
    certifier: &Certifier,
) -> Result<(), StoreError> {
    let mut tx = tenant.begin().await?;
    let version = tx
        .fetch_optional(
            "SELECT MAX(version) FROM certifier_settings WHERE municipality_code = $1",
            &[],
        )
        .await?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0)
        + 1;
    tx.insert_rows(
        "certifier_settings",
        &[
            "version",
            "mayor_title",
            "mayor_name",
            "official_seal_png",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            Arg::Int(version),
            Arg::from(certifier.mayor_title.as_str()),
            Arg::from(certifier.mayor_name.as_str()),
            certifier
                .official_seal
                .as_ref()
                .map_or(Arg::NullBytes, |s| Arg::Bytes(s.as_bytes().to_vec())),
            Arg::Text(now_text()),
            Arg::from(recorded_by),
        ]],
    )
    .await?;
    tx.commit().await
}

/// The certifier in force, if one was set.
pub async fn current_certifier(tenant: &TenantDb) -> Result<Option<Certifier>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let found = certifier(&mut tx).await?;
    tx.commit().await?;
    Ok(found)
}

async fn certifier(tx: &mut TenantTx) -> Result<Option<Certifier>, StoreError> {
    let Some(row) = tx
        .fetch_optional(
            "SELECT mayor_title, mayor_name, official_seal_png FROM certifier_settings \
             WHERE municipality_code = $1 ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?
    else {
        return Ok(None);
    };
    let official_seal = row
        .opt_bytes(2)?
        .map(PngImage::parse)
        .transpose()
        .map_err(|e| StoreError::Corrupt {
            column: "official_seal_png".into(),
            reason: e.to_string(),
        })?;
    Ok(Some(Certifier {
        mayor_title: row.text(0)?,
        mayor_name: row.text(1)?,
        official_seal,
    }))
}

fn number_of(person: PersonId) -> Option<i64> {
    i64::try_from(person.get()).ok()
}

/// What step 1 found: the document to print, less its issuance facts.
enum Content {
    Resident {
        household: kiban_registry::domain::HouseholdRecord,
        persons: Vec<PersonRecord>,
    },
    Removed {
        head_name: String,
        persons: Vec<PersonRecord>,
    },
    Items {
        head_name: String,
        persons: Vec<PersonRecord>,
    },
    Seal {
        holder: PersonRecord,
        impression: PngImage,
        registration_id: i64,
    },
    Taxation {
        person: PersonId,
        taxation: Box<domain::Taxation>,
    },
}

impl Content {
    fn person_ids(&self) -> Vec<PersonId> {
        match self {
            Content::Resident { persons, .. }
            | Content::Removed { persons, .. }
            | Content::Items { persons, .. } => persons.iter().map(|p| p.person_id).collect(),
            Content::Seal { holder, .. } => vec![holder.person_id],
            Content::Taxation { person, .. } => vec![*person],
        }
    }

    /// Opens the 個人番号 of every person printed (the item was asked for
    /// and permitted; the `reveal` entries are written with the print).
    async fn fill_individual_numbers(&mut self, tx: &mut TenantTx) -> Result<(), StoreError> {
        let persons = match self {
            Content::Resident { persons, .. }
            | Content::Removed { persons, .. }
            | Content::Items { persons, .. } => persons,
            Content::Seal { .. } | Content::Taxation { .. } => return Ok(()),
        };
        for person in persons.iter_mut() {
            person.individual_number = RegistryReads::within(tx)
                .individual_number(person.person_id)
                .await?;
        }
        Ok(())
    }

    fn household_id(&self) -> Option<HouseholdId> {
        match self {
            Content::Resident { household, .. } => Some(household.household_id),
            Content::Removed { persons, .. } | Content::Items { persons, .. } => {
                persons.first().map(|p| p.household_id)
            }
            Content::Seal { holder, .. } => Some(holder.household_id),
            Content::Taxation { .. } => None,
        }
    }

    fn document(&self, facts: &IssuanceFacts, items: &[Item]) -> Document {
        match self {
            Content::Resident { household, persons } => {
                let refs: Vec<&PersonRecord> = persons.iter().collect();
                Document::ResidentRecordCopy(domain::resident_record_copy(
                    facts, household, &refs, items,
                ))
            }
            Content::Removed { head_name, persons } => {
                let refs: Vec<&PersonRecord> = persons.iter().collect();
                Document::RemovedRecordCopy(domain::removed_record_copy(
                    facts, head_name, &refs, items,
                ))
            }
            Content::Items { head_name, persons } => {
                let refs: Vec<&PersonRecord> = persons.iter().collect();
                Document::RecordItemCertificate(domain::record_item_certificate(
                    facts, head_name, &refs, items,
                ))
            }
            Content::Seal {
                holder,
                impression,
                registration_id,
            } => Document::SealCertificate(domain::seal_certificate(
                facts,
                holder,
                impression,
                *registration_id,
            )),
            Content::Taxation { taxation, .. } => {
                Document::TaxationCertificate(domain::taxation_certificate(facts, taxation))
            }
        }
    }
}

/// Step 1's reads of a 課税（所得）証明書: the assessment in force of the
/// year, its calculation made again from the stored input, and the person
/// as on 1 January (the registry's record of that day for a resident, the
/// addressee master's entry otherwise).
async fn taxation(
    tx: &mut TenantTx,
    addressee_id: u64,
    fiscal_year: kiban_core::FiscalYear,
) -> Result<Content, CertificateError> {
    use kiban_resident_tax::storage::{assessment, notices};
    let addressee = kiban_addressee::domain::AddresseeId::new(addressee_id);
    let versions = assessment::latest_of(tx, fiscal_year, &[addressee]).await?;
    let Some(version) = versions.get(&addressee) else {
        return Err(not_certifiable(
            "fiscal_year".into(),
            "この年度の課税の記録がありません（1月1日に住民でなく所得の申告もないか、まだ課税していません）",
        ));
    };
    let (input, tax, _) = version.calculation()?;
    let person = PersonId::new(addressee_id);
    let jan1 = fiscal_year.assessment_date();
    let (name, birth_date, address) =
        match RegistryReads::within(tx).person_as_of(person, jan1).await? {
            Some(record) => (
                record.name.as_str().to_string(),
                record.birth_date,
                domain::address_line(&record),
            ),
            None => {
                let views = kiban_addressee::storage::views_of(tx, &[addressee]).await?;
                let Some(view) = views.get(&addressee) else {
                    return Err(not_certifiable(
                        "addressee_id".into(),
                        "宛名が見つかりません",
                    ));
                };
                (
                    view.name.clone(),
                    view.birth_date,
                    view.address
                        .as_ref()
                        .map(|a| a.address_line.clone())
                        .unwrap_or_default(),
                )
            }
        };
    let (_, labels) = notices::municipality_labels(tx).await?;
    let status = if version.non_taxable == "all" {
        kiban_print::TaxationStatus::NonTaxable
    } else {
        kiban_print::TaxationStatus::Taxable
    };
    Ok(Content::Taxation {
        person,
        taxation: Box::new(domain::Taxation {
            fiscal_year,
            labels,
            status,
            name,
            birth_date,
            address,
            details: kiban_resident_tax::domain::notice::details(&input, &tax),
        }),
    })
}

fn not_certifiable(field: String, message: &'static str) -> CertificateError {
    CertificateError::Refused(Refusal::PersonNotCertifiable { field, message })
}

/// The head's name of a household on a day, if it had one.
async fn head_name(
    tx: &mut TenantTx,
    household: HouseholdId,
    on: Date,
) -> Result<String, StoreError> {
    let record = RegistryReads::within(tx)
        .household_as_of(household, on)
        .await?;
    Ok(record
        .and_then(|h| {
            let head = h.head_person_id?;
            h.members
                .into_iter()
                .find(|m| m.person_id == head)
                .map(|m| m.name.as_str().to_string())
        })
        .unwrap_or_default())
}

/// Persons as of `on`, each required to exist; `resident` says whether they
/// must be residents (or removed).
async fn chosen_persons(
    tx: &mut TenantTx,
    ids: &[PersonId],
    on: Date,
    resident: bool,
) -> Result<Vec<PersonRecord>, CertificateError> {
    if ids.is_empty() {
        return Err(not_certifiable(
            "person_ids".into(),
            "1人以上を指定してください",
        ));
    }
    let records = RegistryReads::within(tx).persons_as_of(ids, on).await?;
    let mut persons = Vec::with_capacity(ids.len());
    for (index, record) in records.into_iter().enumerate() {
        let field = format!("person_ids[{index}]");
        let Some(record) = record else {
            return Err(not_certifiable(field, "住民記録が見つかりません"));
        };
        let is_resident = record.status == ResidentStatus::Resident;
        if resident && !is_resident {
            return Err(not_certifiable(
                field,
                "交付日に住民ではありません（除票の写しを請求してください）",
            ));
        }
        if !resident && is_resident {
            return Err(not_certifiable(
                field,
                "交付日に住民です（住民票の写しを請求してください）",
            ));
        }
        if persons
            .iter()
            .any(|p: &PersonRecord| p.person_id == record.person_id)
        {
            return Err(not_certifiable(field, "同じ方が重複しています"));
        }
        persons.push(record);
    }
    if persons
        .iter()
        .any(|p| p.household_id != persons[0].household_id)
    {
        return Err(CertificateError::Refused(Refusal::DifferentHouseholds));
    }
    Ok(persons)
}

/// Step 1's reads.
async fn content(
    tx: &mut TenantTx,
    request: &IssueRequest,
    today: Date,
) -> Result<Content, CertificateError> {
    use CertificateKind as K;
    match (&request.subject, request.kind) {
        (Subject::Household(household_id), K::ResidentRecordCopy | K::RecordItemCertificate) => {
            let Some(household) = RegistryReads::within(tx)
                .household_as_of(*household_id, today)
                .await?
            else {
                return Err(not_certifiable(
                    "household_id".into(),
                    "世帯が見つかりません",
                ));
            };
            if household.members.is_empty() {
                return Err(not_certifiable(
                    "household_id".into(),
                    "交付日に世帯員がいません",
                ));
            }
            let persons = household.members.clone();
            if request.kind == K::ResidentRecordCopy {
                Ok(Content::Resident { household, persons })
            } else {
                let head_name = head_name(tx, *household_id, today).await?;
                Ok(Content::Items { head_name, persons })
            }
        }
        (Subject::Persons(ids), K::ResidentRecordCopy | K::RecordItemCertificate) => {
            let persons = chosen_persons(tx, ids, today, true).await?;
            let household_id = persons[0].household_id;
            let Some(household) = RegistryReads::within(tx)
                .household_as_of(household_id, today)
                .await?
            else {
                return Err(StoreError::Corrupt {
                    column: "household".into(),
                    reason: format!("household {household_id} of a resident not found"),
                }
                .into());
            };
            if request.kind == K::ResidentRecordCopy {
                Ok(Content::Resident { household, persons })
            } else {
                let head_name = head_name(tx, household_id, today).await?;
                Ok(Content::Items { head_name, persons })
            }
        }
        (Subject::Persons(ids), K::RemovedRecordCopy) => {
            let persons = chosen_persons(tx, ids, today, false).await?;
            let last_day = persons[0]
                .removed_on
                .and_then(|d| d.yesterday().ok())
                .unwrap_or(today);
            let head_name = head_name(tx, persons[0].household_id, last_day).await?;
            Ok(Content::Removed { head_name, persons })
        }
        (Subject::SealCard(card), K::SealCertificate) => {
            let seal = match kiban_seal::storage::certifiable_seal(tx, card, today).await? {
                Ok(seal) => seal,
                Err(refusal) => return Err(refusal.into()),
            };
            let holder = RegistryReads::within(tx)
                .person_as_of(seal.person_id, today)
                .await?
                .filter(|p| p.status == ResidentStatus::Resident)
                .ok_or(kiban_seal::domain::Refusal::CardNoLongerValid)?;
            Ok(Content::Seal {
                holder,
                impression: seal.impression.image().clone(),
                registration_id: seal.registration_id,
            })
        }
        (
            Subject::Taxpayer {
                addressee_id,
                fiscal_year,
            },
            K::TaxCertificate,
        ) => taxation(tx, *addressee_id, *fiscal_year).await,
        (Subject::Taxpayer { .. }, _) => Err(not_certifiable(
            "addressee_id".into(),
            "宛名番号と年度は課税証明書（tax_certificate）にのみ指定できます",
        )),
        (_, K::TaxCertificate) => Err(not_certifiable(
            "addressee_id".into(),
            "課税証明書は宛名番号（addressee_id）と年度（fiscal_year）で請求してください",
        )),
        (Subject::Household(_), K::RemovedRecordCopy) => Err(not_certifiable(
            "household_id".into(),
            "除票の写しは person_ids で請求してください",
        )),
        (Subject::SealCard(_), _) => Err(not_certifiable(
            "seal_card_number".into(),
            "印鑑登録証の番号は印鑑登録証明書（seal_certificate）にのみ指定できます",
        )),
        (_, K::SealCertificate) => Err(not_certifiable(
            "seal_card_number".into(),
            "印鑑登録証明書は印鑑登録証の番号（seal_card_number）でのみ請求できます",
        )),
    }
}

/// The persons a request names, for the log of a refusal (only those on
/// record here).
async fn known_persons(tx: &mut TenantTx, request: &IssueRequest, today: Date) -> Vec<i64> {
    let ids = match &request.subject {
        Subject::Persons(ids) => ids.clone(),
        Subject::Household(h) => match RegistryReads::within(tx).household_as_of(*h, today).await {
            Ok(Some(household)) => household.members.iter().map(|m| m.person_id).collect(),
            _ => Vec::new(),
        },
        Subject::SealCard(_) => Vec::new(),
        Subject::Taxpayer { addressee_id, .. } => vec![PersonId::new(*addressee_id)],
    };
    match RegistryReads::within(tx).persons_as_of(&ids, today).await {
        Ok(records) => records
            .into_iter()
            .flatten()
            .filter_map(|r| number_of(r.person_id))
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn log_refusal(
    tenant: &TenantDb,
    actor: &Actor,
    persons: &[i64],
    detail: &str,
    guard_entries: &[AuditEntry],
) -> Result<(), StoreError> {
    let mut tx = tenant.begin().await?;
    let mut entries: Vec<AuditEntry> = guard_entries.to_vec();
    entries.extend(if persons.is_empty() {
        vec![actor.entry(AuditAction::Refused, None, detail)]
    } else {
        persons
            .iter()
            .map(|p| actor.entry(AuditAction::Refused, Some(*p), detail))
            .collect()
    });
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await
}

/// Issues one certificate as of `today` (see the module's steps). The
/// caller has checked the actor's permission.
pub async fn issue(
    tenant: &TenantDb,
    actor: &Actor,
    printing: &Printing,
    request: &IssueRequest,
    today: Date,
) -> Result<Issued, CertificateError> {
    // Step 1.
    let mut tx = tenant.begin().await?;
    let mut guard_entries: Vec<AuditEntry> = Vec::new();
    let checked: Result<(Content, Certifier), CertificateError> = async {
        let mut content = content(&mut tx, request, today).await?;
        if request.items.contains(&Item::IndividualNumber) {
            content.fill_individual_numbers(&mut tx).await?;
        }
        // 支援措置: every person is checked; a refusal refuses the whole
        // certificate, an override is logged with the print.
        for (index, person) in content.person_ids().into_iter().enumerate() {
            let Some(person_id) = number_of(person) else {
                continue;
            };
            let guarded = kiban_protection::check(
                &mut tx,
                actor,
                request.support_measure.may_override,
                request.support_measure.confirmed,
                person_id,
                today,
                kiban_protection::Exposure::Certificate,
            )
            .await?;
            if let Some(entry) = guarded.entry {
                guard_entries.push(entry);
            }
            if !guarded.decision.allows() {
                let field = match &request.subject {
                    Subject::Persons(_) => format!("person_ids[{index}]"),
                    Subject::Household(_) => "household_id".to_string(),
                    Subject::SealCard(_) => "seal_card_number".to_string(),
                    Subject::Taxpayer { .. } => "addressee_id".to_string(),
                };
                return Err(Refusal::Protected { field }.into());
            }
        }
        let certifier = certifier(&mut tx)
            .await?
            .ok_or(Refusal::CertifierNotConfigured)?;
        Ok((content, certifier))
    }
    .await;
    let (content, certifier) = match checked {
        Ok(found) => found,
        Err(CertificateError::Store(e)) => return Err(e.into()),
        Err(refusal) => {
            let persons = known_persons(&mut tx, request, today).await;
            tx.rollback().await?;
            let code = match &refusal {
                CertificateError::Refused(r) => r.code(),
                CertificateError::SealRefused(r) => r.code(),
                _ => "refused",
            };
            let detail = format!("certificate {} refused {code}", request.kind.code());
            log_refusal(tenant, actor, &persons, &detail, &guard_entries).await?;
            return Err(refusal);
        }
    };
    let year = today.year();
    let serial = tx
        .next_numbers(&CertificateNumber::sequence_name(year), 1)
        .await?;
    tx.commit().await?;
    let number = CertificateNumber { year, serial };

    // Step 2.
    let mut random = [0u8; 13];
    rand::rng().fill_bytes(&mut random);
    let code = VerificationCode::from_random(tenant.municipality(), random);
    let verification =
        Verification::new(code.as_str(), &printing.origin).map_err(|e| StoreError::Corrupt {
            column: "origin".into(),
            reason: e.to_string(),
        })?;
    let facts = IssuanceFacts {
        municipality_name: printing.municipality_name.clone(),
        number,
        issued_on: today,
        mayor_title: certifier.mayor_title,
        mayor_name: certifier.mayor_name,
        official_seal: certifier.official_seal,
        verification,
    };
    let document = content.document(&facts, &request.items);
    let engine = printing.engine.clone();
    let rendered = tokio::task::spawn_blocking(move || engine.render_certificate(&document))
        .await
        .map_err(|e| StoreError::Corrupt {
            column: "print".into(),
            reason: e.to_string(),
        })?;
    let persons: Vec<i64> = content
        .person_ids()
        .into_iter()
        .filter_map(number_of)
        .collect();
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(error) => {
            let detail = format!("certificate {} {number} print_failed", request.kind.code());
            log_refusal(tenant, actor, &persons, &detail, &guard_entries).await?;
            return Err(error.into());
        }
    };

    // Step 3.
    let mut tx = tenant.begin().await?;
    let certificate_id = tx.next_numbers("certificate_id", 1).await?;
    let items: Vec<&str> = request.items.iter().map(|i| i.code()).collect();
    let seal_registration_id = match &content {
        Content::Seal {
            registration_id, ..
        } => Arg::Int(*registration_id),
        _ => Arg::NullInt,
    };
    tx.insert_rows(
        "certificates",
        &[
            "certificate_id",
            "number_year",
            "number_serial",
            "certificate_number",
            "kind",
            "issued_on",
            "issued_at",
            "issued_by",
            "issued_by_role",
            "household_id",
            "seal_registration_id",
            "items",
            "purpose",
            "verification_code",
            "sha256",
            "page_count",
        ],
        &[vec![
            Arg::Int(certificate_id),
            Arg::Int(i64::from(year)),
            Arg::Int(serial),
            Arg::Text(number.to_string()),
            Arg::from(request.kind.code()),
            Arg::Text(today.to_string()),
            Arg::Text(now_text()),
            Arg::from(actor.login.as_str()),
            Arg::from(actor.role.as_str()),
            content
                .household_id()
                .and_then(|h| i64::try_from(h.get()).ok())
                .map_or(Arg::NullInt, Arg::Int),
            seal_registration_id,
            Arg::Text(serde_json::to_string(&items).unwrap_or_else(|_| "[]".into())),
            request.purpose.as_deref().map_or(Arg::NullText, Arg::from),
            Arg::from(code.as_str()),
            Arg::from(rendered.sha256.as_str()),
            Arg::Int(i64::try_from(rendered.page_count).unwrap_or(i64::MAX)),
        ]],
    )
    .await?;
    let person_rows: Vec<Vec<Arg>> = persons
        .iter()
        .enumerate()
        .map(|(position, person)| {
            vec![
                Arg::Int(certificate_id),
                Arg::Int(i64::try_from(position).unwrap_or(i64::MAX)),
                Arg::Int(*person),
            ]
        })
        .collect();
    tx.insert_rows(
        "certificate_persons",
        &["certificate_id", "position", "person_id"],
        &person_rows,
    )
    .await?;
    let detail = format!(
        "certificate {certificate_id} {} {number}",
        request.kind.code()
    );
    let mut entries: Vec<AuditEntry> = guard_entries;
    entries.extend(
        persons
            .iter()
            .map(|p| actor.entry(AuditAction::Print, Some(*p), detail.as_str())),
    );
    if request.items.contains(&Item::IndividualNumber) {
        let reveal = format!("{detail} individual_number");
        entries.extend(
            persons
                .iter()
                .map(|p| actor.entry(AuditAction::Reveal, Some(*p), reveal.as_str())),
        );
    }
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(Issued {
        certificate_id,
        number,
        verification_code: code,
        sha256: rendered.sha256,
        page_count: rendered.page_count,
        pdf: rendered.pdf,
    })
}

/// What `GET /api/v1/certificates/verify/{code}` confirms: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The kind.
    pub kind: CertificateKind,
    /// The issuing municipality.
    pub municipality: MunicipalityCode,
    /// 交付年月日.
    pub issued_on: Date,
    /// The SHA-256 of the PDF as issued.
    pub sha256: String,
}

/// Confirms a verification code: `None` when its form or check part is
/// wrong (without touching the database), or when no certificate of the
/// municipality it names carries it.
pub async fn verify(db: &Database, code: &str) -> Result<Option<Verified>, StoreError> {
    let Some(code) = VerificationCode::parse(code) else {
        return Ok(None);
    };
    let tenant = match db.tenant(code.municipality()).await {
        Ok(tenant) => tenant,
        Err(StoreError::UnknownMunicipality(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            "SELECT kind, issued_on, sha256 FROM certificates \
             WHERE municipality_code = $1 AND verification_code = $2",
            &[Arg::from(code.as_str())],
        )
        .await?;
    tx.commit().await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let kind = row.text(0)?;
    Ok(Some(Verified {
        kind: CertificateKind::from_code(&kind).ok_or_else(|| StoreError::Corrupt {
            column: "kind".into(),
            reason: kind.clone(),
        })?,
        municipality: code.municipality(),
        issued_on: row.date(1)?,
        sha256: row.text(2)?,
    }))
}

/// One row of the 交付履歴, for the clerks' list (no names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSummary {
    /// 交付番号.
    pub certificate_id: i64,
    /// 証明書番号.
    pub certificate_number: String,
    /// The kind.
    pub kind: CertificateKind,
    /// 交付年月日.
    pub issued_on: Date,
    /// Who issued it.
    pub issued_by: String,
    /// The persons, by 宛名番号.
    pub person_ids: Vec<i64>,
    /// The items chosen.
    pub items: Vec<String>,
    /// The purpose stated.
    pub purpose: Option<String>,
    /// Pages.
    pub page_count: i64,
}

/// The certificates issued about a person (交付履歴), newest first, at most
/// `limit`, with one `read` entry when there are any.
pub async fn issued_for_person(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: i64,
    limit: i64,
) -> Result<Vec<IssuedSummary>, StoreError> {
    let mut tx = tenant.begin().await?;
    let rows = tx
        .fetch_all(
            "SELECT c.certificate_id, c.certificate_number, c.kind, c.issued_on, c.issued_by, \
             c.items, c.purpose, c.page_count FROM certificates c JOIN certificate_persons p \
             ON p.municipality_code = c.municipality_code AND p.certificate_id = c.certificate_id \
             WHERE c.municipality_code = $1 AND p.person_id = $2 \
             ORDER BY c.certificate_id DESC LIMIT $3",
            &[Arg::Int(person_id), Arg::Int(limit)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = row.text(2)?;
        out.push(IssuedSummary {
            certificate_id: row.int(0)?,
            certificate_number: row.text(1)?,
            kind: CertificateKind::from_code(&kind).ok_or_else(|| StoreError::Corrupt {
                column: "kind".into(),
                reason: kind.clone(),
            })?,
            issued_on: row.date(3)?,
            issued_by: row.text(4)?,
            person_ids: vec![person_id],
            items: serde_json::from_str(&row.text(5)?).unwrap_or_default(),
            purpose: row.opt_text(6)?,
            page_count: row.int(7)?,
        });
    }
    if !out.is_empty() {
        kiban_audit::append(
            &mut tx,
            &actor.entry(AuditAction::Read, Some(person_id), "certificates_issued"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// The latest issuances, newest first (a list of numbers and dates, not of
/// personal data).
pub async fn recent(tenant: &TenantDb, limit: i64) -> Result<Vec<IssuedSummary>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let rows = tx
        .fetch_all(
            "SELECT certificate_id, certificate_number, kind, issued_on, issued_by, items, \
             purpose, page_count FROM certificates WHERE municipality_code = $1 \
             ORDER BY certificate_id DESC LIMIT $2",
            &[Arg::Int(limit)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let certificate_id = row.int(0)?;
        let kind = row.text(2)?;
        let persons = tx
            .fetch_all(
                "SELECT person_id FROM certificate_persons \
                 WHERE municipality_code = $1 AND certificate_id = $2 ORDER BY position",
                &[Arg::Int(certificate_id)],
            )
            .await?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(IssuedSummary {
            certificate_id,
            certificate_number: row.text(1)?,
            kind: CertificateKind::from_code(&kind).ok_or_else(|| StoreError::Corrupt {
                column: "kind".into(),
                reason: kind.clone(),
            })?,
            issued_on: row.date(3)?,
            issued_by: row.text(4)?,
            person_ids: persons,
            items: serde_json::from_str(&row.text(5)?).unwrap_or_default(),
            purpose: row.opt_text(6)?,
            page_count: row.int(7)?,
        });
    }
    tx.commit().await?;
    Ok(out)
}

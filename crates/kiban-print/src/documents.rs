//! The documents the engine prints, as plain Rust structs, and their
//! conversion into the JSON the templates read.
//!
//! Dates arrive already formatted (e.g. 和暦 `令和7年4月1日`): the engine
//! prints them as given.

use std::collections::HashMap;

use kiban_core::{IndividualNumber, ResidentRecordCode};
use serde::Serialize;
use typst::foundations::Bytes;

use crate::error::PrintError;
use crate::fonts::{FontRole, FontSet};
use crate::image::PngImage;
use crate::resident_tax::{
    SpecialCollectionNotice, SpecialNoticeSummary, TaxNotice, TaxationCertificate,
    WireSpecialCollectionNotice, WireTaxNotice, WireTaxationCertificate,
};
use crate::text::{UnsupportedVariation, check_field};
use crate::verification::Verification;
use crate::world::asset_path;

/// The wording usually printed on certificates issued on security paper
/// (偽造防止用紙). The latent 「複写」 pattern that appears on photocopies is
/// a property of the paper, not something the engine prints.
pub const SECURITY_PAPER_NOTICE: &str =
    "この証明書は偽造防止用紙を使用しています。複写すると「複写」の文字が浮き出ます。";

/// 性別, as printed on registry certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

impl Sex {
    fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// 交付: what every certificate carries besides its content: who certifies,
/// when, its number, the mayor's seal (公印) and the verification code.
#[derive(Debug, Clone)]
pub struct Issuance {
    /// The municipality's name as printed, e.g. `札幌市`.
    pub municipality_name: String,
    /// 証明書番号, e.g. `R7-000123`.
    pub certificate_number: String,
    /// 交付年月日, already formatted, e.g. `令和7年4月1日`.
    pub issued_on: String,
    /// The certifier's title, e.g. `札幌市長`.
    pub mayor_title: String,
    /// The certifier's name.
    pub mayor_name: String,
    /// The image of the official seal (公印), printed in the seal box beside
    /// the certifier's name; `None` leaves the box for a stamp.
    pub official_seal: Option<PngImage>,
    /// The verification code, printed with its QR code.
    pub verification: Verification,
    /// The anti-copy wording printed at the foot of each page (usually
    /// [`SECURITY_PAPER_NOTICE`]); `None` prints none, e.g. on plain paper.
    pub security_notice: Option<String>,
}

/// One person on a 住民票の写し (and, within [`RemovedResident`], on a 除票の写し).
///
/// Optional items (`None`) were not requested and print as 省略.
#[derive(Debug, Clone)]
pub struct ResidentEntry {
    /// 氏名, with any ideographic variation sequence of the record.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日, already formatted.
    pub birth_date: String,
    /// 性別.
    pub sex: Sex,
    /// 続柄 (relationship to the head of household), when requested.
    pub relationship: Option<String>,
    /// 住民となった日, already formatted.
    pub became_resident_on: String,
    /// 住民票コード, when requested.
    pub resident_record_code: Option<ResidentRecordCode>,
    /// 個人番号, only when requested and permitted.
    pub individual_number: Option<IndividualNumber>,
    /// 前住所; `None` when there is none (e.g. born here).
    pub previous_address: Option<String>,
}

/// 住民票の写し (`resident_record_copy`): a copy of the resident records of
/// one household, or of some of its members.
#[derive(Debug, Clone)]
pub struct ResidentRecordCopy {
    /// Number, date, certifier, seal, verification.
    pub issuance: Issuance,
    /// 住所.
    pub address: String,
    /// 世帯主.
    pub head_of_household: String,
    /// The persons, in the order printed.
    pub residents: Vec<ResidentEntry>,
}

/// One person on a 除票の写し.
#[derive(Debug, Clone)]
pub struct RemovedResident {
    /// What the record held when it was removed.
    pub resident: ResidentEntry,
    /// The date the record was removed (消除日), already formatted.
    pub removed_on: String,
    /// The reason of the removal, e.g. `転出`, `死亡`, `職権消除`.
    pub removal_reason: String,
    /// 転出先, for a move-out.
    pub destination_address: Option<String>,
}

/// 除票の写し (`removed_record_copy`): a copy of removed resident records.
#[derive(Debug, Clone)]
pub struct RemovedRecordCopy {
    /// Number, date, certifier, seal, verification.
    pub issuance: Issuance,
    /// The last 住所 in the municipality.
    pub address: String,
    /// 世帯主 at the time of removal.
    pub head_of_household: String,
    /// The persons, in the order printed.
    pub residents: Vec<RemovedResident>,
}

/// One certified item of a 住民票記載事項証明書, e.g. `生年月日`.
#[derive(Debug, Clone)]
pub struct RecordItem {
    /// The item's name as printed, e.g. `生年月日`.
    pub label: String,
    /// The value as recorded.
    pub value: String,
}

/// One person of a 住民票記載事項証明書 with the items certified for them.
#[derive(Debug, Clone)]
pub struct CertifiedPerson {
    /// 氏名.
    pub name: String,
    /// The items, in the order printed.
    pub items: Vec<RecordItem>,
}

/// 住民票記載事項証明書 (`record_item_certificate`): certifies chosen items of
/// the resident records (e.g. for an employer or a pension claim).
#[derive(Debug, Clone)]
pub struct RecordItemCertificate {
    /// Number, date, certifier, seal, verification.
    pub issuance: Issuance,
    /// 住所.
    pub address: String,
    /// The persons, in the order printed.
    pub persons: Vec<CertifiedPerson>,
}

/// 印鑑登録証明書 (`seal_certificate`).
#[derive(Debug, Clone)]
pub struct SealCertificate {
    /// Number, date, certifier, seal, verification.
    pub issuance: Issuance,
    /// The registered seal impression (印影).
    pub impression: PngImage,
    /// 氏名.
    pub name: String,
    /// 生年月日, already formatted.
    pub birth_date: String,
    /// 住所.
    pub address: String,
    /// 登録番号 of the seal registration.
    pub registration_number: String,
}

/// One document of a batch.
#[derive(Debug, Clone)]
pub enum Document {
    /// 住民票の写し.
    ResidentRecordCopy(ResidentRecordCopy),
    /// 除票の写し.
    RemovedRecordCopy(RemovedRecordCopy),
    /// 住民票記載事項証明書.
    RecordItemCertificate(RecordItemCertificate),
    /// 印鑑登録証明書.
    SealCertificate(SealCertificate),
    /// 課税（所得）証明書 or 非課税証明書.
    TaxationCertificate(TaxationCertificate),
    /// 納税通知書 with its 納付書 (個人住民税・普通徴収).
    TaxNotice(TaxNotice),
    /// 特別徴収税額決定通知書 of one employer.
    SpecialCollectionNotice(SpecialCollectionNotice),
    /// 月次運用報告書 (the service operator's monthly report).
    OperationsReport(crate::operations::OperationsReport),
    /// 督促状 (collection).
    DemandNotice(crate::collection::DemandNotice),
}

impl Document {
    /// The pages the document is expected to take, for cutting a batch into
    /// compilations of bounded size: one for a certificate (a long one may
    /// take more), the notice page and a page for every three slips of a
    /// 納税通知書, the summary and a page per employee of a
    /// 特別徴収税額決定通知書.
    pub fn expected_pages(&self) -> usize {
        match self {
            Document::TaxNotice(notice) => 1 + notice.installments.len().div_ceil(3),
            Document::DemandNotice(notice) => notice.expected_pages(),
            Document::SpecialCollectionNotice(notice) => {
                usize::from(notice.summary != SpecialNoticeSummary::Continuation)
                    + notice.employees.len()
            }
            Document::ResidentRecordCopy(_)
            | Document::RemovedRecordCopy(_)
            | Document::RecordItemCertificate(_)
            | Document::SealCertificate(_)
            | Document::TaxationCertificate(_) => 1,
            Document::OperationsReport(report) => 1 + report.sections.len() / 4,
        }
    }
}

/// The images of one compilation, each stored once, numbered in order of
/// first use.
#[derive(Default)]
pub(crate) struct Assets {
    images: Vec<Bytes>,
    index: HashMap<Bytes, usize>,
}

impl Assets {
    fn add(&mut self, image: &PngImage) -> String {
        let next = self.images.len();
        let index = *self.index.entry(image.data().clone()).or_insert(next);
        if index == next {
            self.images.push(image.data().clone());
        }
        asset_path(index)
    }

    pub(crate) fn images(&self) -> &[Bytes] {
        &self.images
    }
}

/// Turns documents into the templates' JSON, checking every character of
/// the data against the fonts on the way.
pub(crate) struct Preparer<'a> {
    fonts: &'a FontSet,
    unsupported: UnsupportedVariation,
    assets: Assets,
    prefix: String,
}

impl<'a> Preparer<'a> {
    pub(crate) fn new(fonts: &'a FontSet, unsupported: UnsupportedVariation) -> Self {
        Self {
            fonts,
            unsupported,
            assets: Assets::default(),
            prefix: String::new(),
        }
    }

    /// Field paths of the next documents start with `prefix` (e.g.
    /// `documents[3].` in a batch).
    pub(crate) fn set_prefix(&mut self, prefix: String) {
        self.prefix = prefix;
    }

    pub(crate) fn into_assets(self) -> Assets {
        self.assets
    }

    pub(crate) fn field(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// A text that may be empty.
    pub(crate) fn text(
        &self,
        field: &str,
        role: FontRole,
        value: &str,
    ) -> Result<String, PrintError> {
        check_field(
            self.fonts,
            self.unsupported,
            &self.field(field),
            role,
            value,
        )
    }

    /// A text that must not be empty.
    pub(crate) fn required(
        &self,
        field: &str,
        role: FontRole,
        value: &str,
    ) -> Result<String, PrintError> {
        if value.trim().is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field(field),
            });
        }
        self.text(field, role, value)
    }

    pub(crate) fn optional(
        &self,
        field: &str,
        role: FontRole,
        value: Option<&str>,
    ) -> Result<Option<String>, PrintError> {
        value.map(|value| self.text(field, role, value)).transpose()
    }

    pub(crate) fn document(&mut self, document: &Document) -> Result<WireDocument, PrintError> {
        match document {
            Document::ResidentRecordCopy(copy) => self.resident_record_copy(copy),
            Document::RemovedRecordCopy(copy) => self.removed_record_copy(copy),
            Document::RecordItemCertificate(certificate) => {
                self.record_item_certificate(certificate)
            }
            Document::SealCertificate(certificate) => self.seal_certificate(certificate),
            Document::TaxationCertificate(certificate) => self.taxation_certificate(certificate),
            Document::TaxNotice(notice) => self.tax_notice(notice),
            Document::SpecialCollectionNotice(notice) => self.special_collection_notice(notice),
            Document::OperationsReport(report) => self.operations_report(report),
            Document::DemandNotice(notice) => self.demand_notice(notice),
        }
    }

    pub(crate) fn issuance(&mut self, issuance: &Issuance) -> Result<WireIssuance, PrintError> {
        use FontRole::Text;
        let qr = issuance
            .verification
            .qr_svg()
            .map_err(|error| PrintError::QrCode {
                message: error.to_string(),
            })?;
        Ok(WireIssuance {
            municipality: self.required(
                "issuance.municipality_name",
                Text,
                &issuance.municipality_name,
            )?,
            number: self.required(
                "issuance.certificate_number",
                Text,
                &issuance.certificate_number,
            )?,
            issued_on: self.required("issuance.issued_on", Text, &issuance.issued_on)?,
            mayor_title: self.required("issuance.mayor_title", Text, &issuance.mayor_title)?,
            mayor_name: self.required(
                "issuance.mayor_name",
                FontRole::NameOrAddress,
                &issuance.mayor_name,
            )?,
            seal: issuance
                .official_seal
                .as_ref()
                .map(|seal| self.assets.add(seal)),
            verification_code: issuance.verification.code().to_string(),
            verification_url: issuance.verification.url().to_string(),
            qr,
            notice: self.optional(
                "issuance.security_notice",
                Text,
                issuance.security_notice.as_deref(),
            )?,
        })
    }

    fn resident(&self, at: &str, entry: &ResidentEntry) -> Result<WireResident, PrintError> {
        use FontRole::{NameOrAddress, Text};
        let field = |name: &str| format!("{at}.{name}");
        Ok(WireResident {
            name: self.required(&field("name"), NameOrAddress, &entry.name)?,
            kana: self.text(&field("name_kana"), Text, &entry.name_kana)?,
            birth_date: self.required(&field("birth_date"), Text, &entry.birth_date)?,
            sex: entry.sex.label(),
            relationship: self.optional(
                &field("relationship"),
                Text,
                entry.relationship.as_deref(),
            )?,
            became_resident_on: self.text(
                &field("became_resident_on"),
                Text,
                &entry.became_resident_on,
            )?,
            resident_record_code: entry
                .resident_record_code
                .as_ref()
                .map(|code| code.as_str().to_string()),
            individual_number: entry
                .individual_number
                .as_ref()
                .map(|number| number.as_str().to_string()),
            previous_address: self.optional(
                &field("previous_address"),
                NameOrAddress,
                entry.previous_address.as_deref(),
            )?,
            removed_on: None,
            removal_reason: None,
            destination_address: None,
        })
    }

    pub(crate) fn resident_record_copy(
        &mut self,
        copy: &ResidentRecordCopy,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::NameOrAddress;
        let issuance = self.issuance(&copy.issuance)?;
        let residents = copy
            .residents
            .iter()
            .enumerate()
            .map(|(index, entry)| self.resident(&format!("residents[{index}]"), entry))
            .collect::<Result<Vec<_>, _>>()?;
        if residents.is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field("residents"),
            });
        }
        Ok(WireDocument::Certificate(WireCertificate {
            municipality: issuance.municipality.clone(),
            kind: "resident_record_copy",
            issuance,
            address: self.required("address", NameOrAddress, &copy.address)?,
            head_of_household: Some(self.required(
                "head_of_household",
                NameOrAddress,
                &copy.head_of_household,
            )?),
            residents,
            persons: Vec::new(),
            seal: None,
        }))
    }

    pub(crate) fn removed_record_copy(
        &mut self,
        copy: &RemovedRecordCopy,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        let issuance = self.issuance(&copy.issuance)?;
        let mut residents = Vec::with_capacity(copy.residents.len());
        for (index, removed) in copy.residents.iter().enumerate() {
            let at = format!("residents[{index}]");
            let mut wire = self.resident(&format!("{at}.resident"), &removed.resident)?;
            wire.removed_on =
                Some(self.required(&format!("{at}.removed_on"), Text, &removed.removed_on)?);
            wire.removal_reason = Some(self.required(
                &format!("{at}.removal_reason"),
                Text,
                &removed.removal_reason,
            )?);
            wire.destination_address = self.optional(
                &format!("{at}.destination_address"),
                NameOrAddress,
                removed.destination_address.as_deref(),
            )?;
            residents.push(wire);
        }
        if residents.is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field("residents"),
            });
        }
        Ok(WireDocument::Certificate(WireCertificate {
            municipality: issuance.municipality.clone(),
            kind: "removed_record_copy",
            issuance,
            address: self.required("address", NameOrAddress, &copy.address)?,
            head_of_household: Some(self.required(
                "head_of_household",
                NameOrAddress,
                &copy.head_of_household,
            )?),
            residents,
            persons: Vec::new(),
            seal: None,
        }))
    }

    pub(crate) fn record_item_certificate(
        &mut self,
        certificate: &RecordItemCertificate,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        let issuance = self.issuance(&certificate.issuance)?;
        let mut persons = Vec::with_capacity(certificate.persons.len());
        for (index, person) in certificate.persons.iter().enumerate() {
            let at = format!("persons[{index}]");
            let items = person
                .items
                .iter()
                .enumerate()
                .map(|(item_index, item)| {
                    let item_at = format!("{at}.items[{item_index}]");
                    Ok(WireItem {
                        label: self.required(&format!("{item_at}.label"), Text, &item.label)?,
                        // Item values may be names or addresses: set them in IPAmj明朝.
                        value: self.text(
                            &format!("{item_at}.value"),
                            NameOrAddress,
                            &item.value,
                        )?,
                    })
                })
                .collect::<Result<Vec<_>, PrintError>>()?;
            persons.push(WirePerson {
                name: self.required(&format!("{at}.name"), NameOrAddress, &person.name)?,
                items,
            });
        }
        if persons.is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field("persons"),
            });
        }
        Ok(WireDocument::Certificate(WireCertificate {
            municipality: issuance.municipality.clone(),
            kind: "record_item_certificate",
            issuance,
            address: self.required("address", NameOrAddress, &certificate.address)?,
            head_of_household: None,
            residents: Vec::new(),
            persons,
            seal: None,
        }))
    }

    pub(crate) fn seal_certificate(
        &mut self,
        certificate: &SealCertificate,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        let issuance = self.issuance(&certificate.issuance)?;
        let seal = WireSeal {
            impression: self.assets.add(&certificate.impression),
            name: self.required("name", NameOrAddress, &certificate.name)?,
            birth_date: self.required("birth_date", Text, &certificate.birth_date)?,
            registration_number: self.required(
                "registration_number",
                Text,
                &certificate.registration_number,
            )?,
        };
        Ok(WireDocument::Certificate(WireCertificate {
            municipality: issuance.municipality.clone(),
            kind: "seal_certificate",
            issuance,
            address: self.required("address", NameOrAddress, &certificate.address)?,
            head_of_household: None,
            residents: Vec::new(),
            persons: Vec::new(),
            seal: Some(seal),
        }))
    }
}

/// The data of a compilation: `data.json`.
#[derive(Serialize)]
pub(crate) struct WireBatch<'a> {
    pub(crate) documents: &'a [WireDocument],
}

/// One document as the templates read it: its `kind` tells the templates
/// which layout prints it, `municipality` is the PDF's author.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum WireDocument {
    /// A registry or seal certificate.
    Certificate(WireCertificate),
    /// 課税（所得）証明書 / 非課税証明書.
    TaxationCertificate(WireTaxationCertificate),
    /// 納税通知書.
    TaxNotice(WireTaxNotice),
    /// 特別徴収税額決定通知書.
    SpecialCollectionNotice(WireSpecialCollectionNotice),
    /// 月次運用報告書.
    OperationsReport(crate::operations::WireOperationsReport),
    /// 督促状.
    DemandNotice(crate::collection::WireDemandNotice),
}

/// A registry or seal certificate as the templates read it. One shape for
/// these kinds keeps the templates' dispatch simple; each kind fills its own
/// parts.
#[derive(Serialize)]
pub(crate) struct WireCertificate {
    kind: &'static str,
    municipality: String,
    issuance: WireIssuance,
    address: String,
    head_of_household: Option<String>,
    residents: Vec<WireResident>,
    persons: Vec<WirePerson>,
    seal: Option<WireSeal>,
}

#[derive(Serialize)]
pub(crate) struct WireIssuance {
    pub(crate) municipality: String,
    number: String,
    issued_on: String,
    mayor_title: String,
    mayor_name: String,
    seal: Option<String>,
    verification_code: String,
    verification_url: String,
    qr: String,
    notice: Option<String>,
}

#[derive(Serialize)]
struct WireResident {
    name: String,
    kana: String,
    birth_date: String,
    sex: &'static str,
    relationship: Option<String>,
    became_resident_on: String,
    resident_record_code: Option<String>,
    individual_number: Option<String>,
    previous_address: Option<String>,
    removed_on: Option<String>,
    removal_reason: Option<String>,
    destination_address: Option<String>,
}

#[derive(Serialize)]
struct WirePerson {
    name: String,
    items: Vec<WireItem>,
}

#[derive(Serialize)]
struct WireItem {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct WireSeal {
    impression: String,
    name: String,
    birth_date: String,
    registration_number: String,
}

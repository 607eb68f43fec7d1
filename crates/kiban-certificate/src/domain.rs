//! The pure rules of certificate issuance: kinds, items, numbers,
//! verification codes, and the printed content built from registry
//! records. No IO, no SQL, no async.

use kiban_core::{Date, MunicipalityCode, Relationship, Sex};
use kiban_registry::domain::{HouseholdRecord, PersonRecord, ResidentStatus};
use sha2::{Digest, Sha256};

/// The kinds of certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateKind {
    /// `resident_record_copy`: 住民票の写し.
    ResidentRecordCopy,
    /// `removed_record_copy`: 除票の写し.
    RemovedRecordCopy,
    /// `record_item_certificate`: 住民票記載事項証明書.
    RecordItemCertificate,
    /// `seal_certificate`: 印鑑登録証明書.
    SealCertificate,
    /// `tax_certificate`: 課税（所得）証明書, or 非課税証明書 for a person
    /// not taxed (contract resident-tax-v1).
    TaxCertificate,
}

impl CertificateKind {
    /// Every kind.
    pub const ALL: [CertificateKind; 5] = [
        CertificateKind::ResidentRecordCopy,
        CertificateKind::RemovedRecordCopy,
        CertificateKind::RecordItemCertificate,
        CertificateKind::SealCertificate,
        CertificateKind::TaxCertificate,
    ];

    /// The stable code of the API.
    pub fn code(self) -> &'static str {
        match self {
            CertificateKind::ResidentRecordCopy => "resident_record_copy",
            CertificateKind::RemovedRecordCopy => "removed_record_copy",
            CertificateKind::RecordItemCertificate => "record_item_certificate",
            CertificateKind::SealCertificate => "seal_certificate",
            CertificateKind::TaxCertificate => "tax_certificate",
        }
    }

    /// The kind of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            CertificateKind::ResidentRecordCopy => "住民票の写し",
            CertificateKind::RemovedRecordCopy => "除票の写し",
            CertificateKind::RecordItemCertificate => "住民票記載事項証明書",
            CertificateKind::SealCertificate => "印鑑登録証明書",
            CertificateKind::TaxCertificate => "課税（所得）証明書",
        }
    }
}

/// An item a certificate may show on request (記載事項の選択).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    /// `relationship`: 続柄 (and, on a 記載事項証明書, the head of household).
    Relationship,
    /// `resident_record_code`: 住民票コード.
    ResidentRecordCode,
    /// `individual_number`: 個人番号.
    IndividualNumber,
    /// `permanent_domicile`: 本籍・筆頭者 (the registry does not hold it yet).
    PermanentDomicile,
    /// `previous_address`: 前住所 (記載事項証明書; 住民票の写し always shows it).
    PreviousAddress,
    /// `name`: 氏名 (記載事項証明書).
    Name,
    /// `birth_date`: 生年月日 (記載事項証明書).
    BirthDate,
    /// `sex`: 性別 (記載事項証明書).
    Sex,
    /// `address`: 住所 (記載事項証明書).
    Address,
    /// `resident_from`: 住民となった年月日 (記載事項証明書).
    ResidentFrom,
}

impl Item {
    /// Every item.
    pub const ALL: [Item; 10] = [
        Item::Relationship,
        Item::ResidentRecordCode,
        Item::IndividualNumber,
        Item::PermanentDomicile,
        Item::PreviousAddress,
        Item::Name,
        Item::BirthDate,
        Item::Sex,
        Item::Address,
        Item::ResidentFrom,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Item::Relationship => "relationship",
            Item::ResidentRecordCode => "resident_record_code",
            Item::IndividualNumber => "individual_number",
            Item::PermanentDomicile => "permanent_domicile",
            Item::PreviousAddress => "previous_address",
            Item::Name => "name",
            Item::BirthDate => "birth_date",
            Item::Sex => "sex",
            Item::Address => "address",
            Item::ResidentFrom => "resident_from",
        }
    }

    /// The item of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.code() == code)
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            Item::Relationship => "続柄",
            Item::ResidentRecordCode => "住民票コード",
            Item::IndividualNumber => "個人番号",
            Item::PermanentDomicile => "本籍・筆頭者",
            Item::PreviousAddress => "前住所",
            Item::Name => "氏名",
            Item::BirthDate => "生年月日",
            Item::Sex => "性別",
            Item::Address => "住所",
            Item::ResidentFrom => "住民となった年月日",
        }
    }

    /// Whether `kind` can show the item.
    fn allowed_on(self, kind: CertificateKind) -> bool {
        match kind {
            CertificateKind::ResidentRecordCopy | CertificateKind::RemovedRecordCopy => matches!(
                self,
                Item::Relationship
                    | Item::ResidentRecordCode
                    | Item::IndividualNumber
                    | Item::PermanentDomicile
            ),
            CertificateKind::RecordItemCertificate => matches!(
                self,
                Item::Relationship
                    | Item::ResidentRecordCode
                    | Item::Name
                    | Item::BirthDate
                    | Item::Sex
                    | Item::Address
                    | Item::ResidentFrom
                    | Item::PreviousAddress
            ),
            CertificateKind::SealCertificate | CertificateKind::TaxCertificate => false,
        }
    }
}

/// Why a request cannot be issued (nothing is written but the refusal's
/// access-log entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An item code that does not exist, or that this kind cannot show.
    #[error("{field}: {code:?} is not an item of this certificate")]
    UnknownItem {
        /// `items[i]`.
        field: String,
        /// The code given.
        code: String,
    },
    /// 個人番号 was asked for but may not be printed (not permitted).
    #[error("{field}: the individual number may not be printed")]
    IndividualNumberNotPermitted {
        /// `items[i]`.
        field: String,
    },
    /// 本籍・筆頭者 was asked for, but the registry does not hold it.
    #[error("{field}: the permanent domicile is not held")]
    PermanentDomicileNotHeld {
        /// `items[i]`.
        field: String,
    },
    /// A person is not in the registry as the certificate needs (not found
    /// on the issue date, or not a resident for a 住民票の写し, or not
    /// removed for a 除票の写し).
    #[error("{field}: the person cannot be certified")]
    PersonNotCertifiable {
        /// `person_ids[i]` or `household_id`.
        field: String,
        /// Why.
        message: &'static str,
    },
    /// The persons asked for do not belong to one household.
    #[error("person_ids: persons of different households")]
    DifferentHouseholds,
    /// The municipality has not set who certifies (市区町村長名).
    #[error("no certifier configured")]
    CertifierNotConfigured,
    /// The person is protected (支援措置) and the caller may not override.
    #[error("{field}: the person is protected by a support measure")]
    Protected {
        /// The field naming the person.
        field: String,
    },
}

impl Refusal {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Refusal::UnknownItem { field, code } => M::CertificateUnknownItem {
                field: field.clone(),
                code: code.clone(),
            },
            Refusal::IndividualNumberNotPermitted { .. } => M::IndividualNumberNotPermitted {},
            Refusal::PermanentDomicileNotHeld { .. } => M::PermanentDomicileNotHeld {},
            Refusal::PersonNotCertifiable { field, message } => M::NotCertifiable {
                field: field.clone(),
                detail: (*message).to_owned(),
            },
            Refusal::DifferentHouseholds => M::CertificateDifferentHouseholds {},
            Refusal::CertifierNotConfigured => M::CertifierNotConfigured {},
            Refusal::Protected { .. } => M::ProtectedPerson {},
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownItem { .. } => "invalid_item",
            Refusal::IndividualNumberNotPermitted { .. } => "individual_number_not_permitted",
            Refusal::PermanentDomicileNotHeld { .. } => "item_not_held",
            Refusal::PersonNotCertifiable { .. } => "not_certifiable",
            Refusal::DifferentHouseholds => "different_households",
            Refusal::CertifierNotConfigured => "certifier_not_configured",
            Refusal::Protected { .. } => "protected_person",
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            Refusal::UnknownItem { field, .. }
            | Refusal::IndividualNumberNotPermitted { field }
            | Refusal::PermanentDomicileNotHeld { field }
            | Refusal::PersonNotCertifiable { field, .. }
            | Refusal::Protected { field } => Some(field),
            Refusal::DifferentHouseholds => Some("person_ids"),
            Refusal::CertifierNotConfigured => None,
        }
    }

    /// The HTTP status the API contract gives it: 403 for 支援措置, 409 for a
    /// missing setting, 422 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Protected { .. } => 403,
            Refusal::CertifierNotConfigured => 409,
            _ => 422,
        }
    }
}

/// Parses the requested items of `kind`: unknown ones, ones the kind cannot
/// show, 本籍 (not held) and 個人番号 unless `individual_number_permitted`
/// (the actor's role may see it) are refused, naming `items[i]`. Duplicates
/// count once; the order does not matter.
pub fn parse_items(
    kind: CertificateKind,
    codes: &[String],
    individual_number_permitted: bool,
) -> Result<Vec<Item>, Refusal> {
    let mut items = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        let field = format!("items[{index}]");
        let item = Item::from_code(code)
            .filter(|i| i.allowed_on(kind))
            .ok_or_else(|| Refusal::UnknownItem {
                field: field.clone(),
                code: code.chars().take(40).collect(),
            })?;
        match item {
            Item::IndividualNumber if !individual_number_permitted => {
                return Err(Refusal::IndividualNumberNotPermitted { field });
            }
            Item::PermanentDomicile => return Err(Refusal::PermanentDomicileNotHeld { field }),
            _ => {}
        }
        if !items.contains(&item) {
            items.push(item);
        }
    }
    items.sort();
    Ok(items)
}

/// 証明書番号: the year of issue and a serial that restarts every year, per
/// municipality, e.g. `2026-000123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateNumber {
    /// The calendar year of issue.
    pub year: i16,
    /// The serial within the year, from 1.
    pub serial: i64,
}

impl CertificateNumber {
    /// The name of the municipality's sequence for a year.
    pub fn sequence_name(year: i16) -> String {
        format!("certificate_number_{year}")
    }
}

impl std::fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:06}", self.year, self.serial)
    }
}

/// Crockford's base-32 alphabet (no I, L, O, U: nothing to misread).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The random part: 20 characters of 5 bits = 100 bits.
const RANDOM_CHARS: usize = 20;
/// The check part: 4 characters = 20 bits of a SHA-256 of the rest.
const CHECK_CHARS: usize = 4;

/// The verification code (検証コード) printed with its QR code on each
/// certificate: `MMMMMM-XXXXX-XXXXX-XXXXX-XXXXX-CCCC`, the municipality code,
/// 100 random bits in Crockford base 32, and a check part (20 bits of the
/// SHA-256 of the rest). The random part makes it unguessable; the check
/// part makes an altered or mistyped code fail before any lookup; the
/// municipality part lets `GET /api/v1/certificates/verify/{code}` find the
/// tenant without a table spanning tenants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode {
    municipality: MunicipalityCode,
    text: String,
}

fn check_part(municipality: &str, random: &str) -> String {
    let digest = Sha256::digest(format!("kiban-verification-v1|{municipality}|{random}"));
    let bits = (u32::from(digest[0]) << 16) | (u32::from(digest[1]) << 8) | u32::from(digest[2]);
    (0..CHECK_CHARS)
        .map(|i| {
            let shift = 19 - 5 * i;
            char::from(ALPHABET[((bits >> shift) & 31) as usize])
        })
        .collect()
}

impl VerificationCode {
    /// A code of `municipality` from 13 random bytes (the first 100 bits are used).
    pub fn from_random(municipality: MunicipalityCode, random: [u8; 13]) -> Self {
        let mut value: u128 = 0;
        for byte in random {
            value = (value << 8) | u128::from(byte);
        }
        let random: String = (0..RANDOM_CHARS)
            .map(|i| char::from(ALPHABET[((value >> (5 * i)) & 31) as usize]))
            .collect();
        let check = check_part(municipality.as_str(), &random);
        let groups: Vec<&str> = (0..4).map(|g| &random[g * 5..g * 5 + 5]).collect();
        Self {
            municipality,
            text: format!("{}-{}-{check}", municipality.as_str(), groups.join("-")),
        }
    }

    /// Parses a code as printed (lower case accepted); `None` when its form
    /// or its check part is wrong.
    pub fn parse(input: &str) -> Option<Self> {
        let upper = input.trim().to_ascii_uppercase();
        let parts: Vec<&str> = upper.split('-').collect();
        if parts.len() != 6 {
            return None;
        }
        let municipality = MunicipalityCode::parse(parts[0]).ok()?;
        let random: String = parts[1..5].concat();
        let valid_chars =
            |s: &str, n: usize| s.len() == n && s.bytes().all(|b| ALPHABET.contains(&b));
        if !parts[1..5].iter().all(|p| valid_chars(p, 5)) || !valid_chars(parts[5], CHECK_CHARS) {
            return None;
        }
        if check_part(municipality.as_str(), &random) != parts[5] {
            return None;
        }
        Some(Self {
            municipality,
            text: upper,
        })
    }

    /// The municipality that issued it.
    pub fn municipality(&self) -> MunicipalityCode {
        self.municipality
    }

    /// The code as printed.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The 交付 facts printed on every certificate, besides the content.
#[derive(Debug, Clone)]
pub struct IssuanceFacts {
    /// The municipality's name.
    pub municipality_name: String,
    /// 証明書番号.
    pub number: CertificateNumber,
    /// 交付年月日.
    pub issued_on: Date,
    /// 認証者の職名 (e.g. `デモ市長`).
    pub mayor_title: String,
    /// 認証者の氏名.
    pub mayor_name: String,
    /// 公印の画像.
    pub official_seal: Option<kiban_print::PngImage>,
    /// The verification code.
    pub verification: kiban_print::Verification,
}

impl IssuanceFacts {
    fn to_print(&self) -> kiban_print::Issuance {
        kiban_print::Issuance {
            municipality_name: self.municipality_name.clone(),
            certificate_number: format!("第{}号", self.number),
            issued_on: kiban_core::wareki::format_ja(self.issued_on),
            mayor_title: self.mayor_title.clone(),
            mayor_name: self.mayor_name.clone(),
            official_seal: self.official_seal.clone(),
            verification: self.verification.clone(),
            security_notice: Some(kiban_print::SECURITY_PAPER_NOTICE.to_string()),
        }
    }
}

/// What a 課税（所得）証明書 states, read before the issuance is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxation {
    /// 年度.
    pub fiscal_year: kiban_core::FiscalYear,
    /// The names of the tax's two parts.
    pub labels: kiban_print::TaxLabels,
    /// Taxed, or 非課税 (neither levy).
    pub status: kiban_print::TaxationStatus,
    /// 氏名.
    pub name: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 住所 on 1 January of the fiscal year.
    pub address: String,
    /// 課税明細.
    pub details: kiban_print::TaxDetails,
}

/// The year of the income of a fiscal year, as printed: `令和7年分` for
/// 2026年度 (元年 for the first year of an era).
pub fn income_year_ja(fiscal_year: kiban_core::FiscalYear) -> String {
    let year = fiscal_year.start_year() - 1;
    match jiff::civil::Date::new(i16::try_from(year).unwrap_or(0), 12, 31)
        .ok()
        .and_then(|d| kiban_core::wareki::to_wareki(d).ok())
    {
        Some(w) if w.year() == 1 => format!("{}元年分", w.era().name_ja()),
        Some(w) => format!("{}{}年分", w.era().name_ja(), w.year()),
        None => format!("{year}年分"),
    }
}

/// 課税（所得）証明書 / 非課税証明書.
pub fn taxation_certificate(
    facts: &IssuanceFacts,
    taxation: &Taxation,
) -> kiban_print::TaxationCertificate {
    kiban_print::TaxationCertificate {
        issuance: facts.to_print(),
        fiscal_year: kiban_core::wareki::format_fiscal_year_ja(taxation.fiscal_year),
        income_year: income_year_ja(taxation.fiscal_year),
        tax_labels: taxation.labels.clone(),
        status: taxation.status,
        name: taxation.name.clone(),
        birth_date: kiban_core::wareki::format_ja(taxation.birth_date),
        address: taxation.address.clone(),
        details: taxation.details.clone(),
    }
}

fn sex(sex: Sex) -> kiban_print::Sex {
    match sex {
        Sex::Male => kiban_print::Sex::Male,
        Sex::Female => kiban_print::Sex::Female,
    }
}

/// 続柄 as printed on a 住民票.
pub fn relationship_ja(relationship: Relationship) -> &'static str {
    match relationship {
        Relationship::Head => "世帯主",
        Relationship::Spouse => "妻・夫",
        Relationship::Child => "子",
        Relationship::Parent => "父・母",
        Relationship::OtherRelative => "親族",
        Relationship::Cohabitant => "同居人",
    }
}

/// 住所 with 方書, as printed.
pub fn address_line(record: &PersonRecord) -> String {
    match &record.address.katagaki {
        Some(k) if !k.as_str().is_empty() => {
            format!("{}　{}", record.address.address_line.as_str(), k.as_str())
        }
        _ => record.address.address_line.as_str().to_string(),
    }
}

fn entry(record: &PersonRecord, items: &[Item]) -> kiban_print::ResidentEntry {
    kiban_print::ResidentEntry {
        name: record.name.as_str().to_string(),
        name_kana: record.name_kana.as_str().to_string(),
        birth_date: kiban_core::wareki::format_ja(record.birth_date),
        sex: sex(record.sex),
        relationship: items
            .contains(&Item::Relationship)
            .then(|| relationship_ja(record.relationship).to_string()),
        became_resident_on: kiban_core::wareki::format_ja(record.resident_from),
        resident_record_code: items
            .contains(&Item::ResidentRecordCode)
            .then(|| record.resident_record_code.clone()),
        individual_number: items
            .contains(&Item::IndividualNumber)
            .then(|| record.individual_number.clone())
            .flatten(),
        previous_address: record
            .previous_address
            .as_ref()
            .map(|a| a.as_str().to_string()),
    }
}

/// Checks that every record is a resident on the issue date (for a 住民票の
/// 写し) and builds it: the household's address and head, the persons in
/// the order given.
pub fn resident_record_copy(
    facts: &IssuanceFacts,
    household: &HouseholdRecord,
    persons: &[&PersonRecord],
    items: &[Item],
) -> kiban_print::ResidentRecordCopy {
    let head = household
        .head_person_id
        .and_then(|h| household.members.iter().find(|m| m.person_id == h))
        .map(|m| m.name.as_str().to_string())
        .unwrap_or_default();
    let address = persons.first().map(|p| address_line(p)).unwrap_or_default();
    kiban_print::ResidentRecordCopy {
        issuance: facts.to_print(),
        address,
        head_of_household: head,
        residents: persons.iter().map(|p| entry(p, items)).collect(),
    }
}

/// A 除票の写し of removed records; `head_name` is the head of the household
/// they were last in, on the day before their removal.
pub fn removed_record_copy(
    facts: &IssuanceFacts,
    head_name: &str,
    persons: &[&PersonRecord],
    items: &[Item],
) -> kiban_print::RemovedRecordCopy {
    let address = persons.first().map(|p| address_line(p)).unwrap_or_default();
    kiban_print::RemovedRecordCopy {
        issuance: facts.to_print(),
        address,
        head_of_household: head_name.to_string(),
        residents: persons
            .iter()
            .map(|p| kiban_print::RemovedResident {
                resident: entry(p, items),
                removed_on: p
                    .removed_on
                    .map(kiban_core::wareki::format_ja)
                    .unwrap_or_default(),
                removal_reason: match p.status {
                    ResidentStatus::MovedOut => "転出",
                    ResidentStatus::Deceased => "死亡",
                    ResidentStatus::Resident => "",
                }
                .to_string(),
                destination_address: p
                    .destination_address
                    .as_ref()
                    .map(|a| a.as_str().to_string()),
            })
            .collect(),
    }
}

/// A 住民票記載事項証明書 of the chosen items (氏名 is always printed).
pub fn record_item_certificate(
    facts: &IssuanceFacts,
    head_name: &str,
    persons: &[&PersonRecord],
    items: &[Item],
) -> kiban_print::RecordItemCertificate {
    let address = persons.first().map(|p| address_line(p)).unwrap_or_default();
    let persons = persons
        .iter()
        .map(|p| {
            let mut printed = Vec::new();
            for item in items {
                let value = match item {
                    Item::Name => continue,
                    Item::BirthDate => kiban_core::wareki::format_ja(p.birth_date),
                    Item::Sex => match p.sex {
                        Sex::Male => "男".to_string(),
                        Sex::Female => "女".to_string(),
                    },
                    Item::Address => address_line(p),
                    Item::ResidentFrom => kiban_core::wareki::format_ja(p.resident_from),
                    Item::Relationship => {
                        format!("{}（世帯主 {head_name}）", relationship_ja(p.relationship))
                    }
                    Item::ResidentRecordCode => p.resident_record_code.as_str().to_string(),
                    Item::PreviousAddress => p
                        .previous_address
                        .as_ref()
                        .map_or_else(|| "なし".to_string(), |a| a.as_str().to_string()),
                    Item::IndividualNumber | Item::PermanentDomicile => continue,
                };
                printed.push(kiban_print::RecordItem {
                    label: item.label_ja().to_string(),
                    value,
                });
            }
            kiban_print::CertifiedPerson {
                name: p.name.as_str().to_string(),
                items: printed,
            }
        })
        .collect();
    kiban_print::RecordItemCertificate {
        issuance: facts.to_print(),
        address,
        persons,
    }
}

/// A 印鑑登録証明書: the impression, name, birth date and address as of the
/// issue date.
pub fn seal_certificate(
    facts: &IssuanceFacts,
    holder: &PersonRecord,
    impression: &kiban_print::PngImage,
    registration_id: i64,
) -> kiban_print::SealCertificate {
    kiban_print::SealCertificate {
        issuance: facts.to_print(),
        impression: impression.clone(),
        name: holder.name.as_str().to_string(),
        birth_date: kiban_core::wareki::format_ja(holder.birth_date),
        address: address_line(holder),
        registration_number: registration_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> MunicipalityCode {
        MunicipalityCode::parse("990019").unwrap()
    }

    #[test]
    fn codes_verify_and_altered_codes_fail() {
        let code = VerificationCode::from_random(m(), [7; 13]);
        assert_eq!(code.as_str().len(), 6 + 1 + 4 * 6 + 4);
        assert_eq!(VerificationCode::parse(code.as_str()), Some(code.clone()));
        assert_eq!(
            VerificationCode::parse(&code.as_str().to_lowercase()),
            Some(code.clone())
        );
        // Every single-character change of the random or check part fails.
        let text = code.as_str().to_string();
        for (i, c) in text.char_indices().skip(7) {
            if c == '-' {
                continue;
            }
            for replacement in ALPHABET.iter().map(|b| char::from(*b)) {
                if replacement == c {
                    continue;
                }
                let mut altered = text.clone();
                altered.replace_range(i..i + 1, &replacement.to_string());
                assert_eq!(VerificationCode::parse(&altered), None, "{altered}");
            }
        }
        assert_eq!(VerificationCode::parse("990019-AAAAA"), None);
        assert_eq!(VerificationCode::parse(""), None);
    }

    #[test]
    fn different_random_bytes_give_different_codes() {
        let a = VerificationCode::from_random(m(), [1; 13]);
        let b = VerificationCode::from_random(m(), [2; 13]);
        assert_ne!(a, b);
    }

    #[test]
    fn items_are_checked_per_kind() {
        let kind = CertificateKind::ResidentRecordCopy;
        assert_eq!(
            parse_items(
                kind,
                &["resident_record_code".into(), "relationship".into()],
                false
            ),
            Ok(vec![Item::Relationship, Item::ResidentRecordCode])
        );
        assert_eq!(
            parse_items(
                kind,
                &["relationship".into(), "individual_number".into()],
                false
            )
            .unwrap_err()
            .field(),
            Some("items[1]")
        );
        assert_eq!(
            parse_items(kind, &["individual_number".into()], true),
            Ok(vec![Item::IndividualNumber])
        );
        assert_eq!(
            parse_items(kind, &["birth_date".into()], false)
                .unwrap_err()
                .code(),
            "invalid_item"
        );
        assert!(
            parse_items(
                CertificateKind::RecordItemCertificate,
                &["birth_date".into()],
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn numbers_restart_every_year() {
        let n = CertificateNumber {
            year: 2026,
            serial: 12,
        };
        assert_eq!(n.to_string(), "2026-000012");
        assert_eq!(
            CertificateNumber::sequence_name(2026),
            "certificate_number_2026"
        );
    }
}

//! コンビニ収納用バーコード: the 44 digits a payment slip (納付書) carries as a
//! GS1-128 barcode, for payment at convenience stores (contract
//! `collection-v1`, "Convenience-store barcode").
//!
//! | positions | digits | content |
//! |---|---|---|
//! | 1–2 | 2 | AI `91` |
//! | 3 | 1 | `9` |
//! | 4–8 | 5 | collection agency code |
//! | 9–12 | 4 | fiscal year |
//! | 13–14 | 2 | business ([`Business::code`]) |
//! | 15–26 | 12 | notice number |
//! | 27–28 | 2 | period |
//! | 29 | 1 | `0` |
//! | 30 | 1 | reissue count |
//! | 31–36 | 6 | due date `YYMMDD` |
//! | 37 | 1 | `0` (stamp flag) |
//! | 38–43 | 6 | amount in yen |
//! | 44 | 1 | check digit ([`check_digit`]) |
//!
//! An amount above [`MAX_AMOUNT`] (300,000 yen) cannot be paid at a
//! convenience store: such a slip carries no barcode, and
//! [`ConvenienceStoreBarcode::new`] answers `Ok(None)`.
//!
//! Pure: the digits are made and read here; drawing them is the printing
//! engine's business (`kiban-print`).

use std::fmt;

use kiban_core::{Date, FiscalYear, Yen};

/// The number of digits of the barcode.
pub const LENGTH: usize = 44;

/// The largest amount a convenience store accepts on one slip: 300,000 yen.
pub const MAX_AMOUNT: Yen = Yen::new(300_000);

/// The GS1 application identifier the barcode starts with (`91`, "company
/// internal information"), which makes the symbol a GS1-128 one.
pub const APPLICATION_IDENTIFIER: &str = "91";

/// The business a charge belongs to, as coded in positions 13–14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Business {
    /// 個人住民税: `01`.
    ResidentTax,
    /// 固定資産税: `02`.
    FixedAssetTax,
    /// 軽自動車税: `03`.
    LightVehicleTax,
    /// 国民健康保険税: `04`.
    NhiTax,
    /// 延滞金: `09`.
    LateFee,
}

impl Business {
    /// Every business, in the order of their codes.
    pub const ALL: [Business; 5] = [
        Business::ResidentTax,
        Business::FixedAssetTax,
        Business::LightVehicleTax,
        Business::NhiTax,
        Business::LateFee,
    ];

    /// The two digits of the barcode, e.g. `01`.
    pub fn code(self) -> &'static str {
        match self {
            Business::ResidentTax => "01",
            Business::FixedAssetTax => "02",
            Business::LightVehicleTax => "03",
            Business::NhiTax => "04",
            Business::LateFee => "09",
        }
    }

    /// The business of two barcode digits.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|business| business.code() == code)
    }

    /// The name of the business in collection-v1's charges, e.g. `resident_tax`.
    pub fn wire_name(self) -> &'static str {
        match self {
            Business::ResidentTax => "resident_tax",
            Business::FixedAssetTax => "fixed_asset_tax",
            Business::LightVehicleTax => "light_vehicle_tax",
            Business::NhiTax => "nhi_tax",
            Business::LateFee => "late_fee",
        }
    }

    /// The business of a wire name, e.g. `resident_tax`.
    pub fn from_wire_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|business| business.wire_name() == name)
    }
}

/// What a barcode says: every field of the table but the fixed digits and
/// the check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarcodeFields {
    /// 収納機関コード: five digits, the resident-tax settings'
    /// `collection_agency_code` of the fiscal year.
    pub agency_code: String,
    /// 年度 of the charge.
    pub fiscal_year: FiscalYear,
    /// The business of the charge.
    pub business: Business,
    /// 通知書番号: twelve digits.
    pub notice_number: String,
    /// 期別: 1 to 99.
    pub period: u8,
    /// 再発行回数: 0 for the original slip, up to 9.
    pub reissue_count: u8,
    /// 納期限 (the last day of payment); printed `YYMMDD`, so in 2000–2099.
    pub due_date: Date,
    /// The amount in yen: 1 to [`MAX_AMOUNT`].
    pub amount: Yen,
}

/// Why the digits of a barcode cannot be made or read. Each names the field
/// (or the positions) at fault: [`BarcodeError::field`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// `agency_code` is not five ASCII digits.
    #[error("agency_code: the collection agency code must be 5 digits, not {0:?}")]
    AgencyCode(String),
    /// `fiscal_year` is before 2000 (or, read back, not a fiscal year).
    #[error("fiscal_year: {0} is not a fiscal year from 2000 on")]
    FiscalYear(i32),
    /// `notice_number` is not twelve ASCII digits.
    #[error("notice_number: the notice number must be 12 digits, not {0:?}")]
    NoticeNumber(String),
    /// `period` is 0 or above 99.
    #[error("period: {0} is outside 1–99")]
    Period(u8),
    /// `reissue_count` is above 9.
    #[error("reissue_count: {0} is outside 0–9")]
    ReissueCount(u8),
    /// `due_date` is outside 2000–2099 (the barcode holds two digits of the year).
    #[error("due_date: {0} is outside 2000-01-01–2099-12-31")]
    DueDate(Date),
    /// `amount` is zero or negative.
    #[error("amount: {0} yen is not a positive amount")]
    Amount(i64),
    /// A barcode read back does not have 44 characters.
    #[error("barcode: {0} characters, 44 digits expected")]
    Length(usize),
    /// A barcode read back has a character other than an ASCII digit.
    #[error("barcode: position {position} is not a digit")]
    NotDigit {
        /// The position (1-based).
        position: usize,
    },
    /// A barcode read back does not start with `919`.
    #[error("barcode: positions 1–3 are {0:?}, not the AI 91 and 9")]
    Prefix(String),
    /// A barcode read back whose check digit does not match positions 1–43.
    #[error("barcode: check digit {found}, {expected} expected")]
    CheckDigit {
        /// The digit in position 44.
        found: u8,
        /// The digit positions 1–43 give.
        expected: u8,
    },
    /// A barcode read back with an unknown business code (positions 13–14).
    #[error("business: unknown business code {0:?}")]
    Business(String),
    /// A barcode read back with a digit other than 0 where the table fixes
    /// `0` (position 29, and the stamp flag in position 37).
    #[error("barcode: position {position} must be 0")]
    FixedZero {
        /// The position (1-based).
        position: usize,
    },
    /// A barcode read back whose positions 31–36 are not a date.
    #[error("due_date: {0:?} is not a date YYMMDD")]
    DueDateDigits(String),
}

impl BarcodeError {
    /// The field at fault, as named in [`BarcodeFields`] (`barcode` for the
    /// digits as a whole).
    pub fn field(&self) -> &'static str {
        match self {
            BarcodeError::AgencyCode(_) => "agency_code",
            BarcodeError::FiscalYear(_) => "fiscal_year",
            BarcodeError::NoticeNumber(_) => "notice_number",
            BarcodeError::Period(_) => "period",
            BarcodeError::ReissueCount(_) => "reissue_count",
            BarcodeError::DueDate(_) | BarcodeError::DueDateDigits(_) => "due_date",
            BarcodeError::Amount(_) => "amount",
            BarcodeError::Business(_) => "business",
            BarcodeError::Length(_)
            | BarcodeError::NotDigit { .. }
            | BarcodeError::Prefix(_)
            | BarcodeError::CheckDigit { .. }
            | BarcodeError::FixedZero { .. } => "barcode",
        }
    }

    /// The catalogue's message for clerks, in Japanese, naming the field.
    pub fn message(&self) -> kiban_core::Message {
        let field = self.field();
        let detail = match self {
            BarcodeError::AgencyCode(value) => {
                format!("収納機関コードは5桁の数字です（{value}）")
            }
            BarcodeError::FiscalYear(year) => format!("年度 {year} は2000年度以降ではありません"),
            BarcodeError::NoticeNumber(value) => {
                format!("通知書番号は12桁の数字です（{value}）")
            }
            BarcodeError::Period(period) => format!("期別 {period} は1から99までです"),
            BarcodeError::ReissueCount(count) => {
                format!("再発行回数 {count} は0から9までです")
            }
            BarcodeError::DueDate(date) => {
                format!("納期限 {date} は2000年から2099年までの日付です")
            }
            BarcodeError::Amount(amount) => format!("金額 {amount}円 は1円以上です"),
            BarcodeError::Length(length) => {
                format!("バーコードは44桁です（{length}文字あります）")
            }
            BarcodeError::NotDigit { position } => {
                format!("バーコードの{position}桁目が数字ではありません")
            }
            BarcodeError::Prefix(prefix) => {
                format!("バーコードの先頭3桁が 919 ではありません（{prefix}）")
            }
            BarcodeError::CheckDigit { found, expected } => {
                format!(
                    "バーコードのチェックデジットが正しくありません（{found}、正しくは {expected}）"
                )
            }
            BarcodeError::Business(code) => format!("業務コード {code} は使われていません"),
            BarcodeError::FixedZero { position } => {
                format!("バーコードの{position}桁目は0です")
            }
            BarcodeError::DueDateDigits(digits) => {
                format!("納期限 {digits} は日付（YYMMDD）ではありません")
            }
        };
        kiban_core::Message::ValueText {
            text: format!("{field}: {detail}"),
        }
    }
}

/// The check digit of positions 1–43 (given as digit values 0–9): modulus
/// 10 with weights 3 and 1, weight 3 on position 43 and alternating
/// leftwards; the digit is (10 − sum mod 10) mod 10.
pub fn check_digit(digits: &[u8; LENGTH - 1]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(from_right, &digit)| {
            let weight = if from_right % 2 == 0 { 3 } else { 1 };
            u32::from(digit) * weight
        })
        .sum();
    // The result is below 10.
    ((10 - sum % 10) % 10) as u8
}

/// The 44 digits of a コンビニ収納用バーコード, valid by construction: made
/// from [`BarcodeFields`] by [`ConvenienceStoreBarcode::new`] or read back by
/// [`ConvenienceStoreBarcode::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct ConvenienceStoreBarcode {
    digits: String,
    fields: BarcodeFields,
}

fn all_digits(value: &str, length: usize) -> bool {
    value.len() == length && value.bytes().all(|byte| byte.is_ascii_digit())
}

/// The digit values of positions 1–43 of ASCII digits.
fn values(body: &[u8]) -> [u8; LENGTH - 1] {
    let mut values = [0u8; LENGTH - 1];
    for (value, byte) in values.iter_mut().zip(body) {
        *value = byte - b'0';
    }
    values
}

/// The number written by ASCII digits.
fn number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |total, byte| total * 10 + u32::from(byte - b'0'))
}

impl ConvenienceStoreBarcode {
    /// Makes the digits of a slip, validating every field. `Ok(None)` when
    /// the amount is above [`MAX_AMOUNT`]: such a slip carries no barcode.
    pub fn new(fields: &BarcodeFields) -> Result<Option<Self>, BarcodeError> {
        if !all_digits(&fields.agency_code, 5) {
            return Err(BarcodeError::AgencyCode(fields.agency_code.clone()));
        }
        let year = fields.fiscal_year.start_year();
        if year < 2000 {
            return Err(BarcodeError::FiscalYear(year));
        }
        if !all_digits(&fields.notice_number, 12) {
            return Err(BarcodeError::NoticeNumber(fields.notice_number.clone()));
        }
        if !(1..=99).contains(&fields.period) {
            return Err(BarcodeError::Period(fields.period));
        }
        if fields.reissue_count > 9 {
            return Err(BarcodeError::ReissueCount(fields.reissue_count));
        }
        let due = fields.due_date;
        if !(2000..=2099).contains(&due.year()) {
            return Err(BarcodeError::DueDate(due));
        }
        if fields.amount <= Yen::ZERO {
            return Err(BarcodeError::Amount(fields.amount.get()));
        }
        if fields.amount > MAX_AMOUNT {
            return Ok(None);
        }
        let mut digits = format!(
            "{APPLICATION_IDENTIFIER}9{agency}{year:04}{business}{notice}{period:02}0{reissue}{yy:02}{mm:02}{dd:02}0{amount:06}",
            agency = fields.agency_code,
            business = fields.business.code(),
            notice = fields.notice_number,
            period = fields.period,
            reissue = fields.reissue_count,
            yy = due.year() - 2000,
            mm = due.month(),
            dd = due.day(),
            amount = fields.amount.get(),
        );
        let check = check_digit(&values(digits.as_bytes()));
        digits.push(char::from(b'0' + check));
        Ok(Some(Self {
            digits,
            fields: fields.clone(),
        }))
    }

    /// Reads 44 digits back (e.g. from a convenience store's payment file):
    /// checks the length, that every character is a digit, the check digit,
    /// the AI `91` and `9`, the fiscal year (2000 or later), the business
    /// code, the fixed zeros and the date.
    pub fn parse(text: &str) -> Result<Self, BarcodeError> {
        let length = text.chars().count();
        if length != LENGTH {
            return Err(BarcodeError::Length(length));
        }
        if let Some(index) = text.bytes().position(|byte| !byte.is_ascii_digit()) {
            return Err(BarcodeError::NotDigit {
                position: index + 1,
            });
        }
        let bytes = text.as_bytes();
        let found = bytes[LENGTH - 1] - b'0';
        let expected = check_digit(&values(bytes));
        if found != expected {
            return Err(BarcodeError::CheckDigit { found, expected });
        }
        if &text[0..3] != "919" {
            return Err(BarcodeError::Prefix(text[0..3].to_string()));
        }
        // Four digits: the cast cannot overflow.
        let year = number(&bytes[8..12]) as i32;
        let fiscal_year = match FiscalYear::new(year) {
            Ok(fiscal_year) if year >= 2000 => fiscal_year,
            _ => return Err(BarcodeError::FiscalYear(year)),
        };
        let business = Business::from_code(&text[12..14])
            .ok_or_else(|| BarcodeError::Business(text[12..14].to_string()))?;
        for position in [29, 37] {
            if bytes[position - 1] != b'0' {
                return Err(BarcodeError::FixedZero { position });
            }
        }
        // Two-digit numbers: the casts cannot overflow.
        let due_date = Date::new(
            2000 + number(&bytes[30..32]) as i16,
            number(&bytes[32..34]) as i8,
            number(&bytes[34..36]) as i8,
        )
        .map_err(|_| BarcodeError::DueDateDigits(text[30..36].to_string()))?;
        let fields = BarcodeFields {
            agency_code: text[3..8].to_string(),
            fiscal_year,
            business,
            notice_number: text[14..26].to_string(),
            period: number(&bytes[26..28]) as u8,
            reissue_count: number(&bytes[29..30]) as u8,
            due_date,
            amount: Yen::new(i64::from(number(&bytes[37..43]))),
        };
        Ok(Self {
            digits: text.to_string(),
            fields,
        })
    }

    /// The 44 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The digits in groups for people to read under the bars:
    /// `91 9 12345 2026 01 000000012345 01 0 0 260630 0 050500 4`, i.e. the
    /// table's fields separated by spaces.
    pub fn human_readable(&self) -> String {
        const GROUPS: [usize; 13] = [2, 1, 5, 4, 2, 12, 2, 1, 1, 6, 1, 6, 1];
        let mut out = String::with_capacity(LENGTH + GROUPS.len());
        let mut start = 0;
        for length in GROUPS {
            if start > 0 {
                out.push(' ');
            }
            out.push_str(&self.digits[start..start + length]);
            start += length;
        }
        out
    }

    /// The fields the digits hold.
    pub fn fields(&self) -> &BarcodeFields {
        &self.fields
    }
}

impl std::hash::Hash for ConvenienceStoreBarcode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.digits.hash(state);
    }
}

impl fmt::Display for ConvenienceStoreBarcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

impl fmt::Debug for ConvenienceStoreBarcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConvenienceStoreBarcode({})", self.digits)
    }
}

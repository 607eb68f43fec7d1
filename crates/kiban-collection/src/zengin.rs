//! 口座振替 (direct debit) in the 全銀協 format (contract `collection-v1`,
//! "Direct debit"): the request file a municipality sends to its bank and
//! the result file the bank sends back, both records of 120 bytes in
//! Shift_JIS half-width characters, each followed by CR LF:
//!
//! - header (ヘッダー・レコード, `1`): kind `91`, code `0`, 委託者コード 10,
//!   委託者名 40, 引落日 MMDD, bank 4, bank name 15, branch 3, branch name 15,
//!   account type 1, account 7, 17 spaces;
//! - data (データ・レコード, `2`), one per debit: bank 4, bank name 15,
//!   branch 3, branch name 15, 4 spaces (手形交換所番号), account type 1,
//!   account 7, holder 30, amount 10, new code 1, 顧客番号 20, result 1,
//!   8 spaces;
//! - trailer (トレーラ・レコード, `8`): count 6, total 12, debited count 6,
//!   debited total 12, failed count 6, failed total 12, 65 spaces;
//! - end (エンド・レコード, `9`): 119 spaces.
//!
//! Text fields are left-aligned and padded with spaces, numbers are
//! right-aligned and padded with zeros. Only the characters of the 全銀協
//! set are written (half-width katakana, upper-case letters, digits,
//! space and `\ , . ｢ ｣ ( ) - /`): each is one byte in Shift_JIS. [`write`]
//! refuses anything else naming the record and field, [`parse`] reads a
//! file back (every problem named), and writing what was parsed gives the
//! same bytes. Pure: values in, bytes out.

use kiban_core::{Date, Yen};

use crate::ledger::NoticeNumber;
use crate::payment_file::RecordError;

/// The length of a record, without its CR LF.
pub const RECORD_LEN: usize = 120;

/// The 種別コード of 口座振替.
pub const KIND_CODE: &str = "91";

/// The largest amount a data record holds (10 digits).
pub const MAX_AMOUNT: i64 = 9_999_999_999;

/// Whether `c` is a character of the 全銀協 set.
pub fn is_zengin_char(c: char) -> bool {
    matches!(c,
        '0'..='9' | 'A'..='Z' | ' '
        | '\\' | ',' | '.' | '(' | ')' | '-' | '/'
        | '\u{FF62}' | '\u{FF63}' // ｢ ｣
        | '\u{FF66}' // ｦ
        | '\u{FF71}'..='\u{FF9F}' // ｱ … ﾝ ﾞ ﾟ
    )
}

/// A value of a field that cannot be written: the field and what is wrong
/// (Japanese, for the clerk).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldProblem {
    /// The field (`holder_kana`, `bank_code`, …).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn field_problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Checks that `value` is exactly `len` ASCII digits.
pub fn digits(field: &str, value: &str, len: usize) -> Result<String, FieldProblem> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(field_problem(
            field,
            format!("{len}桁の数字で指定してください（{value}）"),
        ))
    }
}

/// Checks that `value` is text of the 全銀協 set (半角カナ・英大文字・数字・
/// 空白・記号 `\ , . ｢ ｣ ( ) - /`) of at most `max` characters, without
/// leading or trailing spaces; `required` refuses an empty one.
pub fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String, FieldProblem> {
    if let Some(bad) = value.chars().find(|c| !is_zengin_char(*c)) {
        return Err(field_problem(
            field,
            format!(
                "全銀協の半角文字（半角カナ・英大文字・数字・空白・\\,.｢｣()-/）で指定してください（「{bad}」は使えません）"
            ),
        ));
    }
    let count = value.chars().count();
    if count > max {
        return Err(field_problem(
            field,
            format!("{max}文字以内で指定してください（{count}文字）"),
        ));
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(field_problem(field, "先頭と末尾に空白は使えません"));
    }
    if required && value.is_empty() {
        return Err(field_problem(field, "必須です"));
    }
    Ok(value.to_owned())
}

/// 預金種目: `1` 普通, `2` 当座, `3` 納税準備, `9` その他.
pub fn account_type(field: &str, value: &str) -> Result<String, FieldProblem> {
    if matches!(value, "1" | "2" | "3" | "9") {
        Ok(value.to_owned())
    } else {
        Err(field_problem(
            field,
            format!("1（普通）・2（当座）・3（納税準備）・9（その他）のいずれかです（{value}）"),
        ))
    }
}

/// The result of one debit (振替結果コード, position 112 of a data record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `0`: debited (振替済).
    Debited,
    /// `1`: insufficient funds (資金不足).
    InsufficientFunds,
    /// `2`: no such account (取引なし).
    NoAccount,
    /// `3`: stopped by the depositor (預金者の都合による振替停止).
    StoppedByDepositor,
    /// `4`: no authorisation (振替依頼書なし).
    NoAuthorisation,
    /// `8`: stopped by the municipality (委託者の都合による振替停止).
    StoppedByMunicipality,
    /// `9`: other (その他).
    Other,
}

impl ResultCode {
    /// Every code, in the order of the contract.
    pub const ALL: [ResultCode; 7] = [
        ResultCode::Debited,
        ResultCode::InsufficientFunds,
        ResultCode::NoAccount,
        ResultCode::StoppedByDepositor,
        ResultCode::NoAuthorisation,
        ResultCode::StoppedByMunicipality,
        ResultCode::Other,
    ];

    /// The digit in the file.
    pub fn digit(self) -> char {
        match self {
            ResultCode::Debited => '0',
            ResultCode::InsufficientFunds => '1',
            ResultCode::NoAccount => '2',
            ResultCode::StoppedByDepositor => '3',
            ResultCode::NoAuthorisation => '4',
            ResultCode::StoppedByMunicipality => '8',
            ResultCode::Other => '9',
        }
    }

    /// The code of a digit.
    pub fn from_digit(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.digit() == c)
    }

    /// The stable code of the import report's issue for a debit that
    /// failed (`transfer_failed_insufficient_funds`, …); `transfer_debited`
    /// for `0`.
    pub fn issue_code(self) -> &'static str {
        match self {
            ResultCode::Debited => "transfer_debited",
            ResultCode::InsufficientFunds => "transfer_failed_insufficient_funds",
            ResultCode::NoAccount => "transfer_failed_no_account",
            ResultCode::StoppedByDepositor => "transfer_failed_stopped_by_depositor",
            ResultCode::NoAuthorisation => "transfer_failed_no_authorisation",
            ResultCode::StoppedByMunicipality => "transfer_failed_stopped_by_municipality",
            ResultCode::Other => "transfer_failed_other",
        }
    }

    /// The result in words.
    pub fn label_ja(self) -> &'static str {
        match self {
            ResultCode::Debited => "振替済",
            ResultCode::InsufficientFunds => "資金不足",
            ResultCode::NoAccount => "取引なし",
            ResultCode::StoppedByDepositor => "預金者の都合による振替停止",
            ResultCode::NoAuthorisation => "振替依頼書なし",
            ResultCode::StoppedByMunicipality => "委託者の都合による振替停止",
            ResultCode::Other => "その他",
        }
    }
}

/// The header record: the consignor (委託者, the municipality) and its
/// account, and the debit date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// 委託者コード (10 digits).
    pub consignor_code: String,
    /// 委託者名 (up to 40).
    pub consignor_name: String,
    /// 引落日: month (1–12).
    pub debit_month: u8,
    /// 引落日: day (1–31).
    pub debit_day: u8,
    /// 取引銀行番号 (4 digits).
    pub bank_code: String,
    /// 取引銀行名 (up to 15).
    pub bank_name: String,
    /// 取引支店番号 (3 digits).
    pub branch_code: String,
    /// 取引支店名 (up to 15).
    pub branch_name: String,
    /// 預金種目 (1).
    pub account_type: String,
    /// 口座番号 (7 digits).
    pub account_number: String,
}

/// One data record: one debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRecord {
    /// 引落銀行番号 (4 digits).
    pub bank_code: String,
    /// 引落銀行名 (up to 15).
    pub bank_name: String,
    /// 引落支店番号 (3 digits).
    pub branch_code: String,
    /// 引落支店名 (up to 15).
    pub branch_name: String,
    /// 手形交換所番号: 4 digits, or empty (written as spaces).
    pub clearing_house: String,
    /// 預金種目 (1).
    pub account_type: String,
    /// 口座番号 (7 digits).
    pub account_number: String,
    /// 預金者名 (up to 30).
    pub holder: String,
    /// 引落金額 (up to 10 digits).
    pub amount: Yen,
    /// 新規コード: `0`, `1` (first debit) or `2` (changed).
    pub new_code: char,
    /// 顧客番号 (20 characters; Kiban writes notice number, period and six `0`).
    pub customer_number: String,
    /// 振替結果コード (`0` in a request).
    pub result: ResultCode,
}

/// The trailer record: counts and totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trailer {
    /// 合計件数.
    pub count: u64,
    /// 合計金額.
    pub total: u64,
    /// 振替済件数.
    pub debited_count: u64,
    /// 振替済金額.
    pub debited_total: u64,
    /// 振替不能件数.
    pub failed_count: u64,
    /// 振替不能金額.
    pub failed_total: u64,
}

/// A whole file: header, data records, trailer (the end record has no
/// content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferFile {
    /// The header.
    pub header: Header,
    /// The debits, in file order.
    pub records: Vec<DataRecord>,
    /// The trailer.
    pub trailer: Trailer,
}

fn amount_u64(amount: Yen) -> u64 {
    u64::try_from(amount.get()).unwrap_or(0)
}

impl TransferFile {
    /// A request file (依頼データ): the trailer's count and total from the
    /// records, its debited and failed counts and totals zero.
    pub fn request(header: Header, records: Vec<DataRecord>) -> Self {
        let trailer = Trailer {
            count: records.len() as u64,
            total: records.iter().map(|r| amount_u64(r.amount)).sum(),
            ..Trailer::default()
        };
        Self {
            header,
            records,
            trailer,
        }
    }

    /// Whether this is a result file (結果データ): the trailer's debited and
    /// failed counts add up to its count (a request's are zero).
    pub fn is_result(&self) -> bool {
        self.trailer.count > 0
            && self.trailer.debited_count + self.trailer.failed_count == self.trailer.count
    }

    /// The trailer of a result file (結果データ) with these records: count
    /// and total, and the debited and failed ones.
    pub fn result_trailer(records: &[DataRecord]) -> Trailer {
        let mut t = Trailer {
            count: records.len() as u64,
            ..Trailer::default()
        };
        for r in records {
            let a = amount_u64(r.amount);
            t.total += a;
            if r.result == ResultCode::Debited {
                t.debited_count += 1;
                t.debited_total += a;
            } else {
                t.failed_count += 1;
                t.failed_total += a;
            }
        }
        t
    }
}

/// 顧客番号: the notice number (12), the period (2) and six `0`.
pub fn customer_number(notice_number: &NoticeNumber, period: u8) -> String {
    format!("{}{period:02}000000", notice_number.as_str())
}

/// The notice number and period of a 顧客番号 written by
/// [`customer_number`] (`None` for any other).
pub fn parse_customer_number(text: &str) -> Option<(NoticeNumber, u8)> {
    if text.len() != 20 || !text.bytes().all(|b| b.is_ascii_digit()) || &text[14..] != "000000" {
        return None;
    }
    let notice = NoticeNumber::parse(&text[..12]).ok()?;
    let period: u8 = text[12..14].parse().ok()?;
    (period > 0).then_some((notice, period))
}

/// The debit date of a header's MMDD: of the dates with that month and day
/// in the year of `near`, the year before and the year after, the one
/// nearest to `near` (a debit is requested for a charge's due date, and
/// moved at most a few days by the bank's holidays, so the nearest date to
/// the due date is the debit date, across a new year too).
pub fn debit_date(month: u8, day: u8, near: Date) -> Option<Date> {
    let year = near.year();
    [year - 1, year, year + 1]
        .into_iter()
        .filter_map(|y| Date::new(y, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok())
        .min_by_key(|d| near.since(*d).ok().map_or(i32::MAX, |s| s.get_days().abs()))
}

/// The latest date with that month and day on or before `day` (for a
/// debit whose charge is unknown: a result comes back after the debit).
pub fn latest_on_or_before(month: u8, day_of_month: u8, day: Date) -> Option<Date> {
    let year = day.year();
    [year, year - 1, year - 2, year - 3, year - 4]
        .into_iter()
        .filter_map(|y| {
            Date::new(
                y,
                i8::try_from(month).ok()?,
                i8::try_from(day_of_month).ok()?,
            )
            .ok()
        })
        .find(|d| *d <= day)
}

// --- writing ---------------------------------------------------------------

/// One record being written: fields appended with their exact widths.
struct Writer {
    record: usize,
    bytes: Vec<u8>,
}

impl Writer {
    fn new(record: usize, kind: u8) -> Self {
        let mut bytes = Vec::with_capacity(RECORD_LEN + 2);
        bytes.push(kind);
        Self { record, bytes }
    }

    fn problem(&self, field: &str, message: impl Into<String>) -> RecordError {
        RecordError {
            record: self.record,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Exactly `width` digits (the value as given).
    fn digits(&mut self, field: &str, value: &str, width: usize) -> Result<(), RecordError> {
        if value.len() != width || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.problem(field, format!("{width}桁の数字ではありません（{value}）")));
        }
        self.bytes.extend_from_slice(value.as_bytes());
        Ok(())
    }

    /// A number, right-aligned and zero-padded to `width`.
    fn number(&mut self, field: &str, value: u64, width: usize) -> Result<(), RecordError> {
        let text = format!("{value:0width$}");
        if text.len() != width {
            return Err(self.problem(field, format!("{width}桁を超えます（{value}）")));
        }
        self.bytes.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Text of the 全銀協 set, left-aligned and padded with spaces.
    fn text(&mut self, field: &str, value: &str, width: usize) -> Result<(), RecordError> {
        if let Some(bad) = value.chars().find(|c| !is_zengin_char(*c)) {
            return Err(self.problem(
                field,
                format!("全銀協の半角文字ではありません（「{bad}」）"),
            ));
        }
        let (encoded, _, unmappable) = encoding_rs::SHIFT_JIS.encode(value);
        if unmappable || encoded.len() != value.chars().count() {
            return Err(self.problem(field, "Shift_JIS の半角文字で表せません"));
        }
        if encoded.len() > width {
            return Err(self.problem(
                field,
                format!("{width}文字を超えます（{}文字）", encoded.len()),
            ));
        }
        self.bytes.extend_from_slice(&encoded);
        self.spaces(width - encoded.len());
        Ok(())
    }

    fn spaces(&mut self, n: usize) {
        self.bytes.extend(std::iter::repeat_n(b' ', n));
    }

    fn finish(mut self, out: &mut Vec<u8>) -> Result<(), RecordError> {
        if self.bytes.len() != RECORD_LEN {
            return Err(self.problem(
                "record",
                format!("レコード長が {} バイトです", self.bytes.len()),
            ));
        }
        self.bytes.extend_from_slice(b"\r\n");
        out.append(&mut self.bytes);
        Ok(())
    }
}

/// Writes a file: every record 120 bytes and CR LF. A value that does not
/// fit its field is refused naming the record (the header is 1) and field.
pub fn write(file: &TransferFile) -> Result<Vec<u8>, RecordError> {
    let mut out = Vec::with_capacity((file.records.len() + 3) * (RECORD_LEN + 2));
    let h = &file.header;
    let mut w = Writer::new(1, b'1');
    w.digits("kind_code", KIND_CODE, 2)?;
    w.digits("code_division", "0", 1)?;
    w.digits("consignor_code", &h.consignor_code, 10)?;
    w.text("consignor_name", &h.consignor_name, 40)?;
    if !(1..=12).contains(&h.debit_month) || !(1..=31).contains(&h.debit_day) {
        return Err(w.problem(
            "debit_date",
            format!(
                "引落日が正しくありません（{}月{}日）",
                h.debit_month, h.debit_day
            ),
        ));
    }
    w.number("debit_date", u64::from(h.debit_month), 2)?;
    w.number("debit_date", u64::from(h.debit_day), 2)?;
    w.digits("bank_code", &h.bank_code, 4)?;
    w.text("bank_name", &h.bank_name, 15)?;
    w.digits("branch_code", &h.branch_code, 3)?;
    w.text("branch_name", &h.branch_name, 15)?;
    w.digits("account_type", &h.account_type, 1)?;
    w.digits("account_number", &h.account_number, 7)?;
    w.spaces(17);
    w.finish(&mut out)?;
    for (i, r) in file.records.iter().enumerate() {
        let mut w = Writer::new(i + 2, b'2');
        w.digits("bank_code", &r.bank_code, 4)?;
        w.text("bank_name", &r.bank_name, 15)?;
        w.digits("branch_code", &r.branch_code, 3)?;
        w.text("branch_name", &r.branch_name, 15)?;
        if r.clearing_house.is_empty() {
            w.spaces(4);
        } else {
            w.digits("clearing_house", &r.clearing_house, 4)?;
        }
        w.digits("account_type", &r.account_type, 1)?;
        w.digits("account_number", &r.account_number, 7)?;
        w.text("holder", &r.holder, 30)?;
        let amount = u64::try_from(r.amount.get())
            .map_err(|_| w.problem("amount", format!("負の金額です（{}）", r.amount.get())))?;
        w.number("amount", amount, 10)?;
        if !matches!(r.new_code, '0' | '1' | '2') {
            return Err(w.problem(
                "new_code",
                format!("新規コードは 0・1・2 です（{}）", r.new_code),
            ));
        }
        w.bytes.push(r.new_code as u8);
        w.text("customer_number", &r.customer_number, 20)?;
        if r.customer_number.chars().count() != 20 {
            return Err(w.problem("customer_number", "顧客番号は20文字です"));
        }
        w.bytes.push(r.result.digit() as u8);
        w.spaces(8);
        w.finish(&mut out)?;
    }
    let t = &file.trailer;
    let mut w = Writer::new(file.records.len() + 2, b'8');
    w.number("count", t.count, 6)?;
    w.number("total", t.total, 12)?;
    w.number("debited_count", t.debited_count, 6)?;
    w.number("debited_total", t.debited_total, 12)?;
    w.number("failed_count", t.failed_count, 6)?;
    w.number("failed_total", t.failed_total, 12)?;
    w.spaces(65);
    w.finish(&mut out)?;
    let mut w = Writer::new(file.records.len() + 3, b'9');
    w.spaces(119);
    w.finish(&mut out)?;
    Ok(out)
}

// --- parsing ---------------------------------------------------------------

/// One record being read: fields taken in order with their widths.
struct Reader<'a> {
    record: usize,
    bytes: &'a [u8],
    at: usize,
    errors: &'a mut Vec<RecordError>,
}

impl Reader<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(RecordError {
            record: self.record,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn take(&mut self, width: usize) -> &[u8] {
        let from = self.at.min(self.bytes.len());
        let to = (self.at + width).min(self.bytes.len());
        self.at += width;
        &self.bytes[from..to]
    }

    fn digits(&mut self, field: &str, width: usize) -> String {
        let raw = self.take(width).to_vec();
        if raw.iter().all(u8::is_ascii_digit) {
            String::from_utf8(raw).unwrap_or_default()
        } else {
            let shown = String::from_utf8_lossy(&raw).into_owned();
            self.problem(field, format!("{width}桁の数字ではありません（{shown}）"));
            String::new()
        }
    }

    fn number(&mut self, field: &str, width: usize) -> u64 {
        let text = self.digits(field, width);
        text.parse().unwrap_or(0)
    }

    fn text(&mut self, field: &str, width: usize) -> String {
        let raw = self.take(width).to_vec();
        let (decoded, malformed) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&raw);
        if malformed || decoded.chars().count() != raw.len() {
            self.problem(field, "Shift_JIS の半角文字ではありません");
            return String::new();
        }
        if let Some(bad) = decoded.chars().find(|c| !is_zengin_char(*c)) {
            self.problem(
                field,
                format!("全銀協の半角文字ではありません（「{bad}」）"),
            );
            return String::new();
        }
        decoded.trim_end_matches(' ').to_owned()
    }

    fn spaces(&mut self, field: &str, width: usize) {
        if !self.take(width).iter().all(|b| *b == b' ') {
            self.problem(field, format!("{width}桁の空白ではありません"));
        }
    }

    fn char(&mut self) -> char {
        self.take(1).first().map_or(' ', |b| char::from(*b))
    }
}

fn read_header(r: &mut Reader<'_>) -> Header {
    let kind = r.digits("kind_code", 2);
    if !kind.is_empty() && kind != KIND_CODE {
        r.problem(
            "kind_code",
            format!("種別コードが 91（口座振替）ではありません（{kind}）"),
        );
    }
    let division = r.digits("code_division", 1);
    if !division.is_empty() && division != "0" {
        r.problem("code_division", "コード区分が 0（JIS）ではありません");
    }
    let consignor_code = r.digits("consignor_code", 10);
    let consignor_name = r.text("consignor_name", 40);
    let month = r.number("debit_date", 2);
    let day = r.number("debit_date", 2);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        r.problem(
            "debit_date",
            format!("引落日が正しくありません（{month:02}{day:02}）"),
        );
    }
    let header = Header {
        consignor_code,
        consignor_name,
        debit_month: u8::try_from(month).unwrap_or(0),
        debit_day: u8::try_from(day).unwrap_or(0),
        bank_code: r.digits("bank_code", 4),
        bank_name: r.text("bank_name", 15),
        branch_code: r.digits("branch_code", 3),
        branch_name: r.text("branch_name", 15),
        account_type: r.digits("account_type", 1),
        account_number: r.digits("account_number", 7),
    };
    r.spaces("filler", 17);
    header
}

fn read_data(r: &mut Reader<'_>) -> DataRecord {
    let bank_code = r.digits("bank_code", 4);
    let bank_name = r.text("bank_name", 15);
    let branch_code = r.digits("branch_code", 3);
    let branch_name = r.text("branch_name", 15);
    let clearing_house = if r.bytes.get(r.at..r.at + 4) == Some(b"    ") {
        r.take(4);
        String::new()
    } else {
        r.digits("clearing_house", 4)
    };
    let account_type = r.digits("account_type", 1);
    let account_number = r.digits("account_number", 7);
    let holder = r.text("holder", 30);
    let amount = r.number("amount", 10);
    let new_code = r.char();
    if !matches!(new_code, '0' | '1' | '2') {
        r.problem(
            "new_code",
            format!("新規コードは 0・1・2 です（{new_code}）"),
        );
    }
    let customer_number = r.take(20).to_vec();
    let customer_number = match String::from_utf8(customer_number) {
        Ok(text) if text.chars().all(is_zengin_char) => text,
        _ => {
            r.problem("customer_number", "全銀協の半角文字ではありません");
            String::new()
        }
    };
    let result_digit = r.char();
    let result = ResultCode::from_digit(result_digit).unwrap_or_else(|| {
        r.problem(
            "result_code",
            format!("振替結果コードは 0・1・2・3・4・8・9 のいずれかです（{result_digit}）"),
        );
        ResultCode::Other
    });
    r.spaces("filler", 8);
    DataRecord {
        bank_code,
        bank_name,
        branch_code,
        branch_name,
        clearing_house,
        account_type,
        account_number,
        holder,
        amount: Yen::new(i64::try_from(amount).unwrap_or(0)),
        new_code,
        customer_number,
        result,
    }
}

fn read_trailer(r: &mut Reader<'_>) -> Trailer {
    let trailer = Trailer {
        count: r.number("count", 6),
        total: r.number("total", 12),
        debited_count: r.number("debited_count", 6),
        debited_total: r.number("debited_total", 12),
        failed_count: r.number("failed_count", 6),
        failed_total: r.number("failed_total", 12),
    };
    r.spaces("filler", 65);
    trailer
}

/// Reads a file: header, data records, trailer and end record, each 120
/// bytes and CR LF, nothing after the end record. The trailer's count and
/// total must be those of the data records; its debited and failed counts
/// and totals either all zero (a request) or those of the records' results
/// (a result). Every problem is named by record (the header is 1) and
/// field; a file with any gives no file.
pub fn parse(bytes: &[u8]) -> Result<TransferFile, Vec<RecordError>> {
    let mut errors = Vec::new();
    let mut header = None;
    let mut records = Vec::new();
    let mut trailer = None;
    let mut ended = false;
    let mut rest = bytes;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let problem = |errors: &mut Vec<RecordError>, field: &str, message: String| {
            errors.push(RecordError {
                record: number,
                field: field.to_owned(),
                message,
            });
        };
        let (record, terminated, next) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(end) => (&rest[..end], true, &rest[end + 2..]),
            None => (rest, false, &[][..]),
        };
        rest = next;
        if record.len() != RECORD_LEN {
            problem(
                &mut errors,
                "record",
                format!(
                    "レコード長が {} バイトです（120バイトと CR LF）",
                    record.len()
                ),
            );
            continue;
        }
        if !terminated {
            problem(&mut errors, "record", "CR LF で終わっていません".into());
        }
        if ended {
            problem(
                &mut errors,
                "record",
                "エンド・レコードの後にレコードがあります".into(),
            );
            continue;
        }
        let kind = record[0];
        let mut r = Reader {
            record: number,
            bytes: &record[1..],
            at: 0,
            errors: &mut errors,
        };
        let expected = match (&header, &trailer) {
            (None, _) => b'1',
            (Some(_), None) => {
                if kind == b'8' {
                    b'8'
                } else {
                    b'2'
                }
            }
            (Some(_), Some(_)) => b'9',
        };
        if kind != expected {
            r.problem(
                "record_type",
                format!(
                    "データ区分が {} ではありません（{}）",
                    char::from(expected),
                    char::from(kind)
                ),
            );
            if header.is_none() {
                // Without a header nothing after it can be read.
                break;
            }
            continue;
        }
        match kind {
            b'1' => header = Some(read_header(&mut r)),
            b'2' => records.push(read_data(&mut r)),
            b'8' => trailer = Some(read_trailer(&mut r)),
            _ => {
                r.spaces("filler", 119);
                ended = true;
            }
        }
    }
    let last = number;
    let missing = |errors: &mut Vec<RecordError>, what: &str| {
        errors.push(RecordError {
            record: last + 1,
            field: "record".into(),
            message: format!("{what}がありません"),
        });
    };
    if header.is_none() && errors.is_empty() {
        missing(&mut errors, "ヘッダー・レコード");
    }
    if header.is_some() && trailer.is_none() {
        missing(&mut errors, "トレーラ・レコード");
    }
    if trailer.is_some() && !ended {
        missing(&mut errors, "エンド・レコード");
    }
    if let (Some(t), true) = (&trailer, errors.is_empty()) {
        let record = records.len() + 2;
        let mut check = |field: &str, found: u64, computed: u64| {
            if found != computed {
                errors.push(RecordError {
                    record,
                    field: field.to_owned(),
                    message: format!("データ・レコードの計（{computed}）と合いません（{found}）"),
                });
            }
        };
        let result = TransferFile::result_trailer(&records);
        check("count", t.count, result.count);
        check("total", t.total, result.total);
        let request = t.debited_count == 0
            && t.debited_total == 0
            && t.failed_count == 0
            && t.failed_total == 0;
        if !request {
            check("debited_count", t.debited_count, result.debited_count);
            check("debited_total", t.debited_total, result.debited_total);
            check("failed_count", t.failed_count, result.failed_count);
            check("failed_total", t.failed_total, result.failed_total);
        }
    }
    match (header, trailer) {
        (Some(header), Some(trailer)) if errors.is_empty() => Ok(TransferFile {
            header,
            records,
            trailer,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests;

//! Payments files (収納ファイル, contract `collection-v1`, "Payments"): the
//! convenience stores' file (`convenience-store-v1`) and the general one
//! (`payments-csv-v1`), read into [`PaymentRecord`]s.
//!
//! A file is read whole: every malformed record is reported with its
//! number (the first record after the header is 1) and field, and a file
//! with any gives no record ([`read`]). What is well formed but names no
//! charge that can be read (a barcode whose check digit is wrong) is a
//! record all the same, for suspense ([`RecordTarget::Unreadable`]).
//! Pure: bytes in, records out.

use kiban_core::{Date, FiscalYear, Yen};

use crate::barcode::{Business, ConvenienceStoreBarcode};
use crate::ledger::{ChargeKey, NoticeNumber};

/// The formats of payments files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentFormat {
    /// `convenience-store-v1`: `barcode,paid_on,store_code,kind`.
    ConvenienceStore,
    /// `payments-csv-v1`: `notice_number,period,business,fiscal_year,paid_on,amount,channel`.
    PaymentsCsv,
    /// `zengin-transfer-result`: the bank's 全銀協 口座振替 result file
    /// ([`crate::zengin`]); its records become payments only once their
    /// charges are found (the debit date's year comes from the charge's
    /// due date), so [`read`] does not read it.
    ZenginTransferResult,
}

impl PaymentFormat {
    /// The format's name, e.g. `convenience-store-v1`.
    pub fn name(self) -> &'static str {
        match self {
            PaymentFormat::ConvenienceStore => "convenience-store-v1",
            PaymentFormat::PaymentsCsv => "payments-csv-v1",
            PaymentFormat::ZenginTransferResult => "zengin-transfer-result",
        }
    }

    /// The format of a name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            PaymentFormat::ConvenienceStore,
            PaymentFormat::PaymentsCsv,
            PaymentFormat::ZenginTransferResult,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }

    /// The columns of the header (none for the fixed-length result file).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            PaymentFormat::ZenginTransferResult => &[],
            PaymentFormat::ConvenienceStore => &["barcode", "paid_on", "store_code", "kind"],
            PaymentFormat::PaymentsCsv => &[
                "notice_number",
                "period",
                "business",
                "fiscal_year",
                "paid_on",
                "amount",
                "channel",
            ],
        }
    }
}

/// The channels of `payments-csv-v1`.
pub const CHANNELS: [&str; 4] = ["counter", "bank", "eltax", "other"];

/// The channel of a convenience-store payment.
pub const CONVENIENCE_STORE_CHANNEL: &str = "convenience_store";

/// What a record pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordTarget {
    /// The charge of this key.
    Charge(ChargeKey),
    /// No charge can be read from the record (a barcode with a wrong check
    /// digit, …): the payment goes to suspense with this reason.
    Unreadable {
        /// A stable code (`check_digit`, `barcode`, …).
        reason: &'static str,
        /// What was wrong, for the clerk.
        message: String,
    },
}

/// One record of a payments file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Its number in the file (the first after the header is 1).
    pub record: usize,
    /// What it pays.
    pub target: RecordTarget,
    /// The day of payment.
    pub paid_on: Date,
    /// The amount.
    pub amount: Yen,
    /// `convenience_store`, or the channel of `payments-csv-v1`.
    pub channel: String,
    /// The store (convenience-store files).
    pub store_code: Option<String>,
    /// A preliminary record (速報): shown, not posted.
    pub preliminary: bool,
    /// What identifies the payment for the duplicate check: the barcode or
    /// notice number and period, the day, the store or channel, the amount.
    pub fingerprint: String,
    /// The record as received (its fields joined by commas).
    pub raw: String,
    /// A direct-debit result that is not `0` (not debited): reported, not
    /// posted; the charge stays open for a payment slip.
    pub failed_transfer: Option<crate::zengin::ResultCode>,
}

/// A malformed record or header: which, which field, what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}, {field}: {message}")]
pub struct RecordError {
    /// The record (0 for the header).
    pub record: usize,
    /// The field (the column's name).
    pub field: String,
    /// What is wrong (Japanese, for the clerk).
    pub message: String,
}

/// Reads a payments file of a CSV format: every record, or every problem.
pub fn read(format: PaymentFormat, bytes: &[u8]) -> Result<Vec<PaymentRecord>, Vec<RecordError>> {
    if format == PaymentFormat::ZenginTransferResult {
        return Err(vec![RecordError {
            record: 0,
            field: "format".into(),
            message: "口座振替結果ファイルは crate::zengin で読みます".into(),
        }]);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![RecordError {
            record: 0,
            field: "file".into(),
            message: "UTF-8 ではありません".into(),
        }]);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RecordError {
                record: 0,
                field: "header".into(),
                message: format!("見出し行が読めません（{e}）"),
            }]);
        }
    };
    let mut positions = Vec::new();
    let mut errors = Vec::new();
    for column in header.iter() {
        if !format.columns().contains(&column) {
            errors.push(RecordError {
                record: 0,
                field: column.to_owned(),
                message: format!("{} にない列です", format.name()),
            });
        }
    }
    for column in format.columns() {
        match header.iter().position(|h| h == *column) {
            Some(p) => positions.push(p),
            None => errors.push(RecordError {
                record: 0,
                field: (*column).to_owned(),
                message: "必要な列がありません".into(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut records = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let record = index + 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(RecordError {
                    record,
                    field: "record".into(),
                    message: format!("レコードが読めません（{e}）"),
                });
                continue;
            }
        };
        let values: Vec<&str> = positions
            .iter()
            .map(|&p| row.get(p).unwrap_or("").trim())
            .collect();
        let raw = row.iter().collect::<Vec<_>>().join(",");
        let parsed = match format {
            PaymentFormat::ConvenienceStore => store_record(record, &values, raw),
            PaymentFormat::PaymentsCsv | PaymentFormat::ZenginTransferResult => {
                csv_record(record, &values, raw)
            }
        };
        match parsed {
            Ok(r) => records.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

fn problem(record: usize, field: &str, message: impl Into<String>) -> RecordError {
    RecordError {
        record,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn date_field(
    record: usize,
    field: &str,
    value: &str,
    errors: &mut Vec<RecordError>,
) -> Option<Date> {
    match kiban_core::date::parse_iso(value) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(problem(
                record,
                field,
                format!("日付（YYYY-MM-DD）ではありません（{value}）"),
            ));
            None
        }
    }
}

fn store_record(record: usize, v: &[&str], raw: String) -> Result<PaymentRecord, Vec<RecordError>> {
    let mut errors = Vec::new();
    let (barcode, paid_on, store_code, kind) = (v[0], v[1], v[2], v[3]);
    if barcode.len() != crate::barcode::LENGTH || !barcode.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(problem(
            record,
            "barcode",
            format!(
                "バーコードは44桁の数字です（{} 文字）",
                barcode.chars().count()
            ),
        ));
    }
    let paid_on = date_field(record, "paid_on", paid_on, &mut errors);
    if store_code.is_empty() || store_code.chars().count() > 20 {
        errors.push(problem(
            record,
            "store_code",
            "店舗コードは1文字以上20文字以内です",
        ));
    }
    let preliminary = match kind {
        "preliminary" => true,
        "final" => false,
        other => {
            errors.push(problem(
                record,
                "kind",
                format!("preliminary（速報）か final（確報）です（{other}）"),
            ));
            false
        }
    };
    let (Some(paid_on), true) = (paid_on, errors.is_empty()) else {
        return Err(errors);
    };
    // Positions 38–43: the amount, readable whatever else is wrong.
    let amount = Yen::new(barcode[37..43].parse::<i64>().unwrap_or(0));
    let target = match ConvenienceStoreBarcode::parse(barcode) {
        Ok(parsed) => {
            let fields = parsed.fields();
            match NoticeNumber::parse(&fields.notice_number) {
                Ok(notice_number) => RecordTarget::Charge(ChargeKey {
                    business: fields.business,
                    fiscal_year: fields.fiscal_year,
                    notice_number,
                    period: fields.period,
                }),
                Err(e) => RecordTarget::Unreadable {
                    reason: "notice_number",
                    message: e.to_string(),
                },
            }
        }
        Err(e) => RecordTarget::Unreadable {
            reason: match e {
                crate::barcode::BarcodeError::CheckDigit { .. } => "check_digit",
                _ => "barcode",
            },
            message: e.message().text(),
        },
    };
    if amount <= Yen::ZERO {
        return Err(vec![problem(
            record,
            "barcode",
            "バーコードの金額が0円です",
        )]);
    }
    Ok(PaymentRecord {
        record,
        fingerprint: format!(
            "barcode|{barcode}|{paid_on}|store|{store_code}|{}",
            amount.get()
        ),
        target,
        paid_on,
        amount,
        channel: CONVENIENCE_STORE_CHANNEL.to_owned(),
        store_code: Some(store_code.to_owned()),
        preliminary,
        raw,
        failed_transfer: None,
    })
}

fn csv_record(record: usize, v: &[&str], raw: String) -> Result<PaymentRecord, Vec<RecordError>> {
    let mut errors = Vec::new();
    let (notice, period, business, fiscal_year, paid_on, amount, channel) =
        (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    let notice_number = NoticeNumber::parse(notice)
        .map_err(|_| {
            errors.push(problem(
                record,
                "notice_number",
                format!("通知書番号は12桁の数字です（{notice}）"),
            ))
        })
        .ok();
    let period = match period.parse::<u8>() {
        Ok(p) if (1..=99).contains(&p) => Some(p),
        _ => {
            errors.push(problem(
                record,
                "period",
                format!("期別は1から99までの整数です（{period}）"),
            ));
            None
        }
    };
    let business = Business::from_wire_name(business).or_else(|| {
        errors.push(problem(
            record,
            "business",
            format!("業務が正しくありません（{business}）"),
        ));
        None
    });
    let fiscal_year = match fiscal_year
        .parse::<i32>()
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
    {
        Some(y) => Some(y),
        None => {
            errors.push(problem(
                record,
                "fiscal_year",
                format!("年度が正しくありません（{fiscal_year}）"),
            ));
            None
        }
    };
    let paid_on = date_field(record, "paid_on", paid_on, &mut errors);
    let amount = match amount.parse::<i64>() {
        Ok(a) if a > 0 => Some(Yen::new(a)),
        _ => {
            errors.push(problem(
                record,
                "amount",
                format!("金額は1円以上の整数です（{amount}）"),
            ));
            None
        }
    };
    if !CHANNELS.contains(&channel) {
        errors.push(problem(
            record,
            "channel",
            format!("counter・bank・eltax・other のいずれかです（{channel}）"),
        ));
    }
    match (
        notice_number,
        period,
        business,
        fiscal_year,
        paid_on,
        amount,
    ) {
        (
            Some(notice_number),
            Some(period),
            Some(business),
            Some(fiscal_year),
            Some(paid_on),
            Some(amount),
        ) if errors.is_empty() => Ok(PaymentRecord {
            record,
            fingerprint: format!(
                "notice|{notice_number}|{period}|{paid_on}|channel|{channel}|{}",
                amount.get()
            ),
            target: RecordTarget::Charge(ChargeKey {
                business,
                fiscal_year,
                notice_number,
                period,
            }),
            paid_on,
            amount,
            channel: channel.to_owned(),
            store_code: None,
            preliminary: false,
            raw,
            failed_transfer: None,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::BarcodeFields;

    fn barcode(amount: i64) -> String {
        ConvenienceStoreBarcode::new(&BarcodeFields {
            agency_code: "12345".into(),
            fiscal_year: FiscalYear::new(2026).unwrap(),
            business: Business::ResidentTax,
            notice_number: "000000000101".into(),
            period: 1,
            reissue_count: 0,
            due_date: kiban_core::date::parse_iso("2026-06-30").unwrap(),
            amount: Yen::new(amount),
        })
        .unwrap()
        .unwrap()
        .as_str()
        .to_owned()
    }

    #[test]
    fn a_convenience_store_file_gives_its_records() {
        let good = barcode(50_500);
        let mut wrong = good.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        let file = format!(
            "barcode,paid_on,store_code,kind\n{good},2026-06-29,S001,final\n{good},2026-06-29,S001,preliminary\n{wrong},2026-06-29,S002,final\n"
        );
        let records = read(PaymentFormat::ConvenienceStore, file.as_bytes()).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].amount, Yen::new(50_500));
        assert!(matches!(records[0].target, RecordTarget::Charge(ref k) if k.period == 1));
        assert!(records[1].preliminary);
        assert!(matches!(
            records[2].target,
            RecordTarget::Unreadable {
                reason: "check_digit",
                ..
            }
        ));
    }

    #[test]
    fn a_malformed_file_names_record_and_field() {
        let file = "notice_number,period,business,fiscal_year,paid_on,amount,channel\n\
                    000000000101,1,resident_tax,2026,2026-06-30,50500,counter\n\
                    000000000101,1,resident_tax,2026,2026-06-31,50500,counter\n\
                    000000000101,1,resident_tax,2026,2026-06-30,0,post\n";
        let errors = read(PaymentFormat::PaymentsCsv, file.as_bytes()).unwrap_err();
        let named: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.record, e.field.as_str()))
            .collect();
        assert_eq!(named, vec![(2, "paid_on"), (3, "amount"), (3, "channel")]);
        let header = read(PaymentFormat::PaymentsCsv, b"notice_number,period\n").unwrap_err();
        assert_eq!(header[0].record, 0);
        assert_eq!(header[0].field, "business");
        let extra = read(
            PaymentFormat::ConvenienceStore,
            b"barcode,paid_on,store_code,kind,note\n",
        )
        .unwrap_err();
        assert_eq!(extra[0].field, "note");
    }
}

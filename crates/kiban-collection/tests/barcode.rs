//! The convenience-store barcode (コンビニ収納用バーコード) of collection-v1:
//! the table's digits, the check digit computed by hand, validation of
//! every field, reading back, and round trips.

#![expect(clippy::unwrap_used, reason = "tests of fixed, valid values")]

use kiban_collection::barcode::{
    BarcodeError, BarcodeFields, Business, ConvenienceStoreBarcode, LENGTH, check_digit,
};
use kiban_core::{Date, FiscalYear, Yen};
use proptest::prelude::*;

fn fields() -> BarcodeFields {
    BarcodeFields {
        agency_code: "12345".to_string(),
        fiscal_year: FiscalYear::new(2026).unwrap(),
        business: Business::ResidentTax,
        notice_number: "000000012345".to_string(),
        period: 1,
        reissue_count: 0,
        due_date: Date::new(2026, 6, 30).unwrap(),
        amount: Yen::new(50_500),
    }
}

#[test]
fn the_digits_follow_the_table_with_a_hand_computed_check_digit() {
    let barcode = ConvenienceStoreBarcode::new(&fields()).unwrap().unwrap();
    // Positions 1–43: 91 9 12345 2026 01 000000012345 01 0 0 260630 0 050500.
    // Odd positions (weight 3, since position 43 is odd):
    //   9+9+2+4+2+2+0+0+0+0+0+2+4+0+0+2+0+3+0+5+5+0 = 49 → 147.
    // Even positions (weight 1):
    //   1+1+3+5+0+6+1+0+0+0+1+3+5+1+0+6+6+0+0+0+0 = 39.
    // 147 + 39 = 186; (10 − 6) mod 10 = 4.
    assert_eq!(
        barcode.as_str(),
        "91912345202601000000012345010026063000505004"
    );
    assert_eq!(barcode.as_str().len(), LENGTH);
    assert_eq!(
        barcode.human_readable(),
        "91 9 12345 2026 01 000000012345 01 0 0 260630 0 050500 4"
    );
    assert_eq!(barcode.fields(), &fields());
}

#[test]
fn a_sum_that_is_a_multiple_of_ten_gives_zero() {
    // Position 43 (weight 3) holds 9: 27; position 42 (weight 1) holds 3: 30.
    let mut digits = [0u8; LENGTH - 1];
    digits[42] = 9;
    digits[41] = 3;
    assert_eq!(check_digit(&digits), 0);
    // 31 → 9.
    digits[41] = 4;
    assert_eq!(check_digit(&digits), 9);
    // Position 41 has weight 3 again: 27 + 3 + 3 = 33 → 7.
    digits[41] = 3;
    digits[40] = 1;
    assert_eq!(check_digit(&digits), 7);
}

#[test]
fn each_business_has_its_code() {
    let codes: Vec<&str> = Business::ALL.iter().map(|b| b.code()).collect();
    assert_eq!(codes, ["01", "02", "03", "04", "09"]);
    for business in Business::ALL {
        assert_eq!(Business::from_code(business.code()), Some(business));
        assert_eq!(
            Business::from_wire_name(business.wire_name()),
            Some(business)
        );
    }
    assert_eq!(Business::from_code("05"), None);
    assert_eq!(
        Business::from_wire_name("resident_tax"),
        Some(Business::ResidentTax)
    );
}

#[test]
fn an_amount_above_300000_has_no_barcode() {
    let mut at_limit = fields();
    at_limit.amount = Yen::new(300_000);
    let barcode = ConvenienceStoreBarcode::new(&at_limit).unwrap().unwrap();
    assert_eq!(barcode.fields().amount, Yen::new(300_000));
    assert!(barcode.as_str().contains("0300000"));
    let mut above = fields();
    above.amount = Yen::new(300_001);
    assert_eq!(ConvenienceStoreBarcode::new(&above), Ok(None));
}

#[test]
fn every_field_is_validated_and_named() {
    let check = |change: fn(&mut BarcodeFields), field: &str| {
        let mut bad = fields();
        change(&mut bad);
        let error = ConvenienceStoreBarcode::new(&bad).unwrap_err();
        assert_eq!(error.field(), field, "{error}");
        assert!(error.to_string().starts_with(field), "{error}");
        let text = error.message().text();
        assert!(text.starts_with(field), "{text}");
    };
    check(|f| f.agency_code = "1234".to_string(), "agency_code");
    check(|f| f.agency_code = "１２３４５".to_string(), "agency_code");
    check(|f| f.agency_code = "1234a".to_string(), "agency_code");
    check(
        |f| f.fiscal_year = FiscalYear::new(1999).unwrap(),
        "fiscal_year",
    );
    check(|f| f.notice_number = "12345".to_string(), "notice_number");
    check(
        |f| f.notice_number = "00000001234X".to_string(),
        "notice_number",
    );
    check(|f| f.period = 0, "period");
    check(|f| f.period = 100, "period");
    check(|f| f.reissue_count = 10, "reissue_count");
    check(
        |f| f.due_date = Date::new(1999, 12, 31).unwrap(),
        "due_date",
    );
    check(|f| f.due_date = Date::new(2100, 1, 1).unwrap(), "due_date");
    check(|f| f.amount = Yen::ZERO, "amount");
    check(|f| f.amount = Yen::new(-1), "amount");
}

#[test]
fn parse_checks_length_digits_and_check_digit() {
    let good = "91912345202601000000012345010026063000505004";
    assert_eq!(
        ConvenienceStoreBarcode::parse(good).unwrap().fields(),
        &fields()
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&good[..43]),
        Err(BarcodeError::Length(43))
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&format!("{good}0")),
        Err(BarcodeError::Length(45))
    );
    let with = |position: usize, digit: &str| {
        let mut text = good.to_string();
        text.replace_range(position - 1..position, digit);
        text
    };
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(20, "a")),
        Err(BarcodeError::NotDigit { position: 20 })
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(44, "5")),
        Err(BarcodeError::CheckDigit {
            found: 5,
            expected: 4
        })
    );
    // A changed digit changes the check digit: the error names both.
    // Position 43 (weight 3) from 0 to 1: 186 + 3 = 189 → 1.
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(43, "1")),
        Err(BarcodeError::CheckDigit {
            found: 4,
            expected: 1
        })
    );
    // Full-width digits are not digits.
    let full_width: String = good
        .chars()
        .map(|c| char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap())
        .collect();
    assert_eq!(
        ConvenienceStoreBarcode::parse(&full_width),
        Err(BarcodeError::NotDigit { position: 1 })
    );
}

/// Positions 1–43 of a barcode with their check digit.
fn with_valid_check(body: &str) -> String {
    let mut values = [0u8; LENGTH - 1];
    for (value, byte) in values.iter_mut().zip(body.bytes()) {
        *value = byte - b'0';
    }
    format!("{body}{}", check_digit(&values))
}

#[test]
fn parse_checks_the_fixed_digits_year_business_and_date() {
    let good = "9191234520260100000001234501002606300050500";
    let with = |position: usize, digits: &str| {
        let mut text = good.to_string();
        text.replace_range(position - 1..position - 1 + digits.len(), digits);
        with_valid_check(&text)
    };
    assert!(ConvenienceStoreBarcode::parse(&with_valid_check(good)).is_ok());
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(1, "90")),
        Err(BarcodeError::Prefix("909".to_string()))
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(3, "8")),
        Err(BarcodeError::Prefix("918".to_string()))
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(9, "1999")),
        Err(BarcodeError::FiscalYear(1999))
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(13, "05")),
        Err(BarcodeError::Business("05".to_string()))
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(29, "1")),
        Err(BarcodeError::FixedZero { position: 29 })
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(37, "1")),
        Err(BarcodeError::FixedZero { position: 37 })
    );
    assert_eq!(
        ConvenienceStoreBarcode::parse(&with(31, "270230")),
        Err(BarcodeError::DueDateDigits("270230".to_string()))
    );
    for error in [
        BarcodeError::Length(43),
        BarcodeError::FixedZero { position: 29 },
    ] {
        assert_eq!(error.field(), "barcode");
        assert!(error.message().text().starts_with("barcode: "));
    }
}

fn any_fields() -> impl Strategy<Value = BarcodeFields> {
    (
        "[0-9]{5}",
        2000i32..=2200,
        proptest::sample::select(Business::ALL.to_vec()),
        "[0-9]{12}",
        1u8..=99,
        0u8..=9,
        (2000i16..=2099, 1i8..=12, 1i8..=31),
        1i64..=300_000,
    )
        .prop_map(
            |(agency, year, business, notice, period, reissue, (y, m, d), amount)| {
                // A day beyond the month's end becomes its last day.
                let first = Date::new(y, m, 1).unwrap();
                let due_date = Date::new(y, m, d.min(first.days_in_month())).unwrap();
                BarcodeFields {
                    agency_code: agency,
                    fiscal_year: FiscalYear::new(year).unwrap(),
                    business,
                    notice_number: notice,
                    period,
                    reissue_count: reissue,
                    due_date,
                    amount: Yen::new(amount),
                }
            },
        )
}

proptest! {
    #[test]
    fn fields_round_trip_through_the_digits(fields in any_fields()) {
        let barcode = ConvenienceStoreBarcode::new(&fields).unwrap().unwrap();
        prop_assert_eq!(barcode.as_str().len(), LENGTH);
        prop_assert_eq!(barcode.fields(), &fields);
        let parsed = ConvenienceStoreBarcode::parse(barcode.as_str()).unwrap();
        prop_assert_eq!(parsed.fields(), &fields);
        prop_assert_eq!(parsed, barcode);
    }

    #[test]
    fn any_single_changed_digit_is_caught(
        fields in any_fields(),
        position in 0usize..LENGTH,
        delta in 1u8..=9,
    ) {
        let barcode = ConvenienceStoreBarcode::new(&fields).unwrap().unwrap();
        let mut bytes = barcode.as_str().as_bytes().to_vec();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(ConvenienceStoreBarcode::parse(&changed).is_err());
    }
}

use proptest::prelude::*;

use super::*;

fn header() -> Header {
    Header {
        consignor_code: "1234567890".into(),
        consignor_name: "ﾃﾞﾓｼ".into(),
        debit_month: 6,
        debit_day: 30,
        bank_code: "0001".into(),
        bank_name: "ﾐｽﾞﾎ".into(),
        branch_code: "001".into(),
        branch_name: "ﾎﾝﾃﾝ".into(),
        account_type: "1".into(),
        account_number: "7654321".into(),
    }
}

fn debit(holder: &str, amount: i64, result: ResultCode) -> DataRecord {
    DataRecord {
        bank_code: "0005".into(),
        bank_name: String::new(),
        branch_code: "123".into(),
        branch_name: String::new(),
        clearing_house: String::new(),
        account_type: "1".into(),
        account_number: "1234567".into(),
        holder: holder.into(),
        amount: Yen::new(amount),
        new_code: '0',
        customer_number: customer_number(&NoticeNumber::parse("260100000017").unwrap(), 1),
        result,
    }
}

#[test]
fn a_request_is_written_in_the_exact_layout_and_read_back() {
    let file = TransferFile::request(
        header(),
        vec![
            debit("ﾔﾏﾀﾞ ﾀﾛｳ", 50_500, ResultCode::Debited),
            debit("ｽｽﾞｷ ﾊﾅｺ", 1_000, ResultCode::Debited),
        ],
    );
    let bytes = write(&file).unwrap();
    assert_eq!(bytes.len(), 5 * 122);
    for record in bytes.chunks(122) {
        assert_eq!(&record[120..], b"\r\n");
    }
    let h = &bytes[..120];
    assert_eq!(&h[..4], b"1910");
    assert_eq!(&h[4..14], b"1234567890");
    assert_eq!(&h[14..18], &[0xC3, 0xDE, 0xD3, 0xBC], "ﾃﾞﾓｼ in Shift_JIS");
    assert!(h[18..54].iter().all(|b| *b == b' '));
    assert_eq!(&h[54..58], b"0630");
    assert_eq!(&h[58..62], b"0001");
    assert_eq!(&h[77..80], b"001");
    assert_eq!(&h[95..96], b"1");
    assert_eq!(&h[96..103], b"7654321");
    let d = &bytes[122..242];
    assert_eq!(&d[..5], b"20005");
    assert_eq!(&d[20..23], b"123");
    assert_eq!(&d[38..42], b"    ");
    assert_eq!(&d[42..43], b"1");
    assert_eq!(&d[43..50], b"1234567");
    assert_eq!(&d[80..90], b"0000050500");
    assert_eq!(&d[90..91], b"0");
    assert_eq!(&d[91..111], b"26010000001701000000");
    assert_eq!(&d[111..112], b"0", "position 112: the result");
    let t = &bytes[366..486];
    assert_eq!(&t[..19], b"8000002000000051500");
    assert!(t[19..55].iter().all(|b| *b == b'0'));
    assert_eq!(&bytes[488..489], b"9");
    let parsed = parse(&bytes).unwrap();
    assert_eq!(parsed, file);
    assert!(!parsed.is_result());
    assert_eq!(write(&parsed).unwrap(), bytes);
}

#[test]
fn characters_outside_the_zengin_set_are_refused_by_field() {
    let mut file = TransferFile::request(header(), vec![debit("やまだ", 1, ResultCode::Debited)]);
    let e = write(&file).unwrap_err();
    assert_eq!((e.record, e.field.as_str()), (2, "holder"));
    file.records[0].holder = "ﾔﾏﾀﾞ".repeat(8);
    assert_eq!(write(&file).unwrap_err().field, "holder");
    file.records[0].holder = "ﾔﾏﾀﾞ".into();
    file.header.consignor_name = "ﾃﾞﾓｼ①".into();
    let e = write(&file).unwrap_err();
    assert_eq!((e.record, e.field.as_str()), (1, "consignor_name"));
    assert_eq!(text("holder_kana", "ﾔﾏﾀﾞ ﾀﾛｳ", 30, true).unwrap(), "ﾔﾏﾀﾞ ﾀﾛｳ");
    for bad in ["ヤマダ", "yamada", "ﾔﾏﾀﾞ　ﾀﾛｳ", "ｬﾏﾀﾞ", " ﾔﾏﾀﾞ", ""]
    {
        assert_eq!(
            text("holder_kana", bad, 30, true).unwrap_err().field,
            "holder_kana",
            "{bad}"
        );
    }
    assert!(digits("bank_code", "001", 4).is_err());
    assert!(digits("bank_code", "０００１", 4).is_err());
    assert!(account_type("account_type", "5").is_err());
}

#[test]
fn a_result_is_checked_against_its_trailer() {
    let records = vec![
        debit("ﾔﾏﾀﾞ ﾀﾛｳ", 50_500, ResultCode::Debited),
        debit("ｽｽﾞｷ ﾊﾅｺ", 1_000, ResultCode::InsufficientFunds),
    ];
    let file = TransferFile {
        header: header(),
        trailer: TransferFile::result_trailer(&records),
        records,
    };
    assert_eq!(file.trailer.debited_total, 50_500);
    assert_eq!(file.trailer.failed_count, 1);
    let bytes = write(&file).unwrap();
    let parsed = parse(&bytes).unwrap();
    assert!(parsed.is_result());
    assert_eq!(parsed.records[1].result, ResultCode::InsufficientFunds);

    // A debited total that does not add up, a result code that does not
    // exist, a short record: each named.
    let mut wrong = bytes.clone();
    wrong[366 + 19 + 6 + 11] = b'1';
    let e = parse(&wrong).unwrap_err();
    assert_eq!((e[0].record, e[0].field.as_str()), (4, "debited_total"));
    let mut wrong = bytes.clone();
    wrong[122 + 111] = b'5';
    let e = parse(&wrong).unwrap_err();
    assert_eq!((e[0].record, e[0].field.as_str()), (2, "result_code"));
    let mut short = bytes[..244].to_vec();
    short.extend_from_slice(&bytes[245..]);
    let e = parse(&short).unwrap_err();
    assert_eq!((e[0].record, e[0].field.as_str()), (3, "record"));
    let e = parse(&bytes[..bytes.len() - 122]).unwrap_err();
    assert_eq!(e[0].field, "record", "no end record");
}

#[test]
fn customer_numbers_and_debit_dates() {
    let notice = NoticeNumber::parse("260100000017").unwrap();
    let number = customer_number(&notice, 4);
    assert_eq!(number, "26010000001704000000");
    assert_eq!(parse_customer_number(&number), Some((notice, 4)));
    assert_eq!(parse_customer_number("26010000001704000001"), None);
    let d = |s: &str| kiban_core::date::parse_iso(s).unwrap();
    assert_eq!(debit_date(6, 30, d("2027-06-30")), Some(d("2027-06-30")));
    assert_eq!(debit_date(1, 4, d("2027-12-31")), Some(d("2028-01-04")));
    assert_eq!(debit_date(12, 30, d("2028-01-04")), Some(d("2027-12-30")));
    assert_eq!(debit_date(2, 29, d("2027-03-01")), Some(d("2028-02-29")));
    assert_eq!(
        latest_on_or_before(6, 30, d("2027-07-10")),
        Some(d("2027-06-30"))
    );
    assert_eq!(
        latest_on_or_before(12, 30, d("2027-01-05")),
        Some(d("2026-12-30"))
    );
}

fn zengin_text(max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = "0123456789ABCZ \\,.()-/\u{FF62}\u{FF63}ｦｱｲｶﾞﾊﾟﾝﾞﾟ"
        .chars()
        .collect();
    proptest::collection::vec(proptest::sample::select(chars), 0..=max)
        .prop_map(|cs| cs.into_iter().collect::<String>())
}

fn digit_text(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, len)
        .prop_map(|ds| ds.into_iter().map(|d| char::from(b'0' + d)).collect())
}

fn data_record() -> impl Strategy<Value = DataRecord> {
    (
        (
            digit_text(4),
            zengin_text(15),
            digit_text(3),
            zengin_text(15),
        ),
        (
            prop_oneof![Just(String::new()), digit_text(4)],
            digit_text(1),
            digit_text(7),
            zengin_text(30),
        ),
        (
            0i64..=MAX_AMOUNT,
            proptest::sample::select(vec!['0', '1', '2']),
            digit_text(20),
            proptest::sample::select(ResultCode::ALL.to_vec()),
        ),
    )
        .prop_map(
            |(
                (bank_code, bank_name, branch_code, branch_name),
                (clearing_house, account_type, account_number, holder),
                (amount, new_code, customer_number, result),
            )| DataRecord {
                bank_code,
                bank_name,
                branch_code,
                branch_name,
                clearing_house,
                account_type,
                account_number,
                holder,
                amount: Yen::new(amount),
                new_code,
                customer_number,
                result,
            },
        )
}

proptest! {
    /// Any file of valid values: written, parsed and written again gives
    /// the same bytes, and parsing gives the values back but for the
    /// spaces that end a text field.
    #[test]
    fn write_parse_write_gives_the_same_bytes(
        name in zengin_text(40),
        (month, day) in (1u8..=12, 1u8..=28),
        bank_name in zengin_text(15),
        records in proptest::collection::vec(data_record(), 0..6),
        result in any::<bool>(),
    ) {
        let mut h = header();
        h.consignor_name = name;
        h.debit_month = month;
        h.debit_day = day;
        h.bank_name = bank_name;
        let file = if result {
            TransferFile { header: h, trailer: TransferFile::result_trailer(&records), records }
        } else {
            TransferFile::request(h, records)
        };
        let bytes = write(&file).unwrap();
        prop_assert_eq!(bytes.len(), (file.records.len() + 3) * 122);
        let parsed = parse(&bytes).unwrap();
        prop_assert_eq!(parsed.records.len(), file.records.len());
        prop_assert_eq!(parsed.trailer, file.trailer);
        prop_assert_eq!(&parsed.header.consignor_name, file.header.consignor_name.trim_end_matches(' '));
        prop_assert_eq!(write(&parsed).unwrap(), bytes);
    }
}

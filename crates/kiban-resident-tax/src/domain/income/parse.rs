//! The parser of `income-csv-v1`: UTF-8 CSV, a header naming the columns in
//! any order, one income record per row. Every problem of the file is
//! collected (row and column named); a file with any problem gives no
//! records at all.

use std::collections::BTreeMap;

use kiban_core::{IndividualNumber, KanaName, PersonName, PostalCode, Sex, ValueError};

use super::{
    CollectionMethod, DependentRecord, DependentRelation, DisabilityClass, IncomeRecord,
    IncomeSource, MAX_DEPENDENTS, SpouseRecord,
};

/// The columns every file must have.
pub const REQUIRED_COLUMNS: [&str; 6] = [
    "source",
    "collection",
    "name",
    "name_kana",
    "birth_date",
    "address_on_jan1",
];

/// Every column `income-csv-v1` knows, in the contract's order.
pub const ALL_COLUMNS: [&str; 58] = kiban_income::record_format::INCOME_CSV_COLUMNS;

/// The largest amount a column takes (one trillion yen less one): far above
/// any person's income, and summing any number of them cannot overflow.
pub const MAX_AMOUNT: i64 = 999_999_999_999;
/// The longest payer number (特別徴収義務者指定番号).
pub const MAX_PAYER_NUMBER_CHARS: usize = 20;
/// The longest payer name.
pub const MAX_PAYER_NAME_CHARS: usize = 100;
/// The longest address.
pub const MAX_ADDRESS_CHARS: usize = kiban_addressee::domain::MAX_ADDRESS_CHARS;
/// How many problems a refused file reports in detail (all are counted).
pub const MAX_REPORTED_ISSUES: usize = 10_000;

/// What is wrong at one place of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseProblem {
    /// The file has no header line.
    NoHeader,
    /// The bytes of this row (in this column) are not UTF-8 (e.g. Shift_JIS).
    NotUtf8,
    /// A header names a column `income-csv-v1` does not know.
    UnknownColumn,
    /// A header names a column twice.
    DuplicateColumn,
    /// A required column is missing from the header.
    MissingColumn,
    /// The row is not CSV, or has another number of fields than the header.
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// The row cannot be read as CSV.
    Malformed(String),
    /// A required value is empty.
    Required,
    /// Not a date that exists, as `YYYY-MM-DD`.
    InvalidDate(String),
    /// An amount below zero.
    NegativeAmount,
    /// Not a whole number of yen.
    NotAnInteger,
    /// An amount above [`MAX_AMOUNT`].
    AmountTooLarge,
    /// A value outside the column's list.
    UnknownValue {
        /// The values allowed.
        allowed: Vec<&'static str>,
    },
    /// `special` collection without `payer_number`.
    PayerNumberRequired,
    /// A spouse or dependent given in part (this column is missing).
    Incomplete,
    /// A value the column does not accept (the reason, in Japanese).
    InvalidValue(String),
}

impl ParseProblem {
    /// The stable code of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            ParseProblem::NoHeader => "no_header",
            ParseProblem::NotUtf8 => "not_utf8",
            ParseProblem::UnknownColumn => "unknown_column",
            ParseProblem::DuplicateColumn => "duplicate_column",
            ParseProblem::MissingColumn => "missing_column",
            ParseProblem::FieldCount { .. } => "field_count",
            ParseProblem::Malformed(_) => "malformed_csv",
            ParseProblem::Required => "required",
            ParseProblem::InvalidDate(_) => "invalid_date",
            ParseProblem::NegativeAmount => "negative_amount",
            ParseProblem::NotAnInteger => "not_an_integer",
            ParseProblem::AmountTooLarge => "amount_too_large",
            ParseProblem::UnknownValue { .. } => "unknown_value",
            ParseProblem::PayerNumberRequired => "payer_number_required",
            ParseProblem::Incomplete => "incomplete",
            ParseProblem::InvalidValue(_) => "invalid_value",
        }
    }

    /// What is wrong, for clerks.
    pub fn message_ja(&self) -> String {
        match self {
            ParseProblem::NoHeader => "見出し行がありません".into(),
            ParseProblem::NotUtf8 => {
                "文字コードが UTF-8 ではありません（Shift_JIS などは UTF-8 に変換してください）"
                    .into()
            }
            ParseProblem::UnknownColumn => "この列名は income-csv-v1 にありません".into(),
            ParseProblem::DuplicateColumn => "同じ列名が二度あります".into(),
            ParseProblem::MissingColumn => "必須の列がありません".into(),
            ParseProblem::FieldCount { expected, found } => {
                format!("項目の数が見出し行と違います（見出し {expected}、この行 {found}）")
            }
            ParseProblem::Malformed(detail) => format!("CSV として読めません（{detail}）"),
            ParseProblem::Required => "必須の項目が空です".into(),
            ParseProblem::InvalidDate(detail) => {
                format!("日付が正しくありません（YYYY-MM-DD、実在する日付: {detail}）")
            }
            ParseProblem::NegativeAmount => "金額に負の値は指定できません".into(),
            ParseProblem::NotAnInteger => "金額は円単位の整数で指定してください".into(),
            ParseProblem::AmountTooLarge => {
                format!("金額が大きすぎます（上限 {MAX_AMOUNT} 円）")
            }
            ParseProblem::UnknownValue { allowed } => {
                format!("指定できない値です（{} のいずれか）", allowed.join(", "))
            }
            ParseProblem::PayerNumberRequired => {
                "特別徴収（special）には payer_number（特別徴収義務者指定番号）が必要です".into()
            }
            ParseProblem::Incomplete => {
                "配偶者・扶養親族の項目が揃っていません（この項目が必要です）".into()
            }
            ParseProblem::InvalidValue(detail) => detail.clone(),
        }
    }
}

/// One problem of a file: its row (data rows count from 1; 0 is the
/// header) and column, when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIssue {
    /// The row: 0 for the header, 1 for the first data row.
    pub row: usize,
    /// The column at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub problem: ParseProblem,
}

impl std::fmt::Display for ParseIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "見出し行")?;
        } else {
            write!(f, "{}行目", self.row)?;
        }
        if let Some(column) = &self.column {
            write!(f, " {column}")?;
        }
        write!(f, ": {}", self.problem.message_ja())
    }
}

/// A refused file: every problem found (the first
/// [`MAX_REPORTED_ISSUES`] in detail) and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("income file refused: {total} problems")]
pub struct IncomeFileError {
    /// The problems, in the order of the file.
    pub issues: Vec<ParseIssue>,
    /// How many problems the file has (more than `issues` holds when over
    /// [`MAX_REPORTED_ISSUES`]).
    pub total: usize,
}

/// The problems found so far.
#[derive(Default)]
struct Issues {
    list: Vec<ParseIssue>,
    total: usize,
}

impl Issues {
    fn push(&mut self, row: usize, column: Option<&str>, problem: ParseProblem) {
        self.total += 1;
        if self.list.len() < MAX_REPORTED_ISSUES {
            self.list.push(ParseIssue {
                row,
                column: column.map(str::to_owned),
                problem,
            });
        }
    }
}

/// Parses an `income-csv-v1` file: every record, or every problem (the
/// file then gives nothing). A UTF-8 byte order mark is skipped; blank
/// lines are ignored; values are trimmed of spaces at both ends.
pub fn parse_income_csv(bytes: &[u8]) -> Result<Vec<IncomeRecord>, IncomeFileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut issues = Issues::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => {
            issues.push(0, None, ParseProblem::NoHeader);
            return Err(finish(issues));
        }
        Some(Err(e)) => {
            issues.push(0, None, ParseProblem::Malformed(e.to_string()));
            return Err(finish(issues));
        }
        Some(Ok(header)) => header,
    };
    let Some(columns) = read_header(&header, &mut issues) else {
        return Err(finish(issues));
    };
    let mut out = Vec::new();
    let mut row = 0usize;
    for record in records {
        row += 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                issues.push(row, None, ParseProblem::Malformed(e.to_string()));
                continue;
            }
        };
        if record.len() != columns.names.len() {
            issues.push(
                row,
                None,
                ParseProblem::FieldCount {
                    expected: columns.names.len(),
                    found: record.len(),
                },
            );
            continue;
        }
        let mut values: BTreeMap<&'static str, &str> = BTreeMap::new();
        let mut utf8 = true;
        for (name, field) in columns.names.iter().zip(record.iter()) {
            match std::str::from_utf8(field) {
                Ok(text) => {
                    values.insert(*name, text.trim_matches(is_space));
                }
                Err(_) => {
                    issues.push(row, Some(*name), ParseProblem::NotUtf8);
                    utf8 = false;
                }
            }
        }
        if !utf8 {
            continue;
        }
        let mut cells = Cells {
            row,
            values,
            issues: &mut issues,
        };
        if let Some(record) = cells.record() {
            out.push(record);
        }
    }
    if issues.total > 0 {
        return Err(finish(issues));
    }
    Ok(out)
}

fn finish(issues: Issues) -> IncomeFileError {
    IncomeFileError {
        issues: issues.list,
        total: issues.total,
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{3000}' || c == '\t'
}

/// The header's columns, in the file's order.
struct Columns {
    names: Vec<&'static str>,
}

fn read_header(header: &csv::ByteRecord, issues: &mut Issues) -> Option<Columns> {
    let before = issues.total;
    let mut names = Vec::with_capacity(header.len());
    for field in header.iter() {
        let Ok(text) = std::str::from_utf8(field) else {
            issues.push(0, None, ParseProblem::NotUtf8);
            continue;
        };
        let text = text.trim_matches(is_space);
        match ALL_COLUMNS.iter().find(|c| **c == text) {
            None => issues.push(0, Some(text), ParseProblem::UnknownColumn),
            Some(known) if names.contains(known) => {
                issues.push(0, Some(text), ParseProblem::DuplicateColumn);
            }
            Some(known) => names.push(*known),
        }
    }
    for required in REQUIRED_COLUMNS {
        if !names.contains(&required) {
            issues.push(0, Some(required), ParseProblem::MissingColumn);
        }
    }
    (issues.total == before).then_some(Columns { names })
}

/// The values of one row, and where its problems go.
struct Cells<'a, 'b> {
    row: usize,
    values: BTreeMap<&'static str, &'a str>,
    issues: &'b mut Issues,
}

impl<'a> Cells<'a, '_> {
    fn get(&self, column: &str) -> &'a str {
        self.values.get(column).copied().unwrap_or("")
    }

    fn problem(&mut self, column: &str, problem: ParseProblem) {
        self.issues.push(self.row, Some(column), problem);
    }

    /// The value, or a `required` problem when it is empty.
    fn required(&mut self, column: &str) -> Option<&'a str> {
        let value = self.get(column);
        if value.is_empty() {
            self.problem(column, ParseProblem::Required);
            None
        } else {
            Some(value)
        }
    }

    fn code<T: Copy>(
        &mut self,
        column: &str,
        all: &[T],
        code: fn(T) -> &'static str,
    ) -> Option<Option<T>> {
        let value = self.get(column);
        if value.is_empty() {
            return Some(None);
        }
        match all.iter().copied().find(|v| code(*v) == value) {
            Some(v) => Some(Some(v)),
            None => {
                let allowed = all.iter().map(|v| code(*v)).collect();
                self.problem(column, ParseProblem::UnknownValue { allowed });
                None
            }
        }
    }

    fn amount(&mut self, column: &str) -> Option<i64> {
        let value = self.get(column);
        if value.is_empty() {
            return Some(0);
        }
        let (negative, digits) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value.strip_prefix('+').unwrap_or(value)),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.problem(column, ParseProblem::NotAnInteger);
            return None;
        }
        if negative && digits.bytes().any(|b| b != b'0') {
            self.problem(column, ParseProblem::NegativeAmount);
            return None;
        }
        match digits.parse::<i64>() {
            Ok(n) if n <= MAX_AMOUNT => Some(n),
            _ => {
                self.problem(column, ParseProblem::AmountTooLarge);
                None
            }
        }
    }

    fn boolean(&mut self, column: &str, default: bool) -> Option<bool> {
        match self.get(column) {
            "" => Some(default),
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.problem(
                    column,
                    ParseProblem::UnknownValue {
                        allowed: vec!["true", "false"],
                    },
                );
                None
            }
        }
    }

    fn date(&mut self, column: &str) -> Option<Option<kiban_core::Date>> {
        let value = self.get(column);
        if value.is_empty() {
            return Some(None);
        }
        match kiban_core::date::parse_iso(value) {
            Ok(date) => Some(Some(date)),
            Err(e) => {
                let detail = format!("{value}: {}", e.message().text());
                self.problem(column, ParseProblem::InvalidDate(detail));
                None
            }
        }
    }

    fn value_error(&mut self, column: &str, error: &ValueError) {
        self.problem(column, ParseProblem::InvalidValue(error.message().text()));
    }

    fn name(&mut self, column: &str) -> Option<Option<String>> {
        let value = self.get(column);
        if value.is_empty() {
            return Some(None);
        }
        match PersonName::parse(value) {
            Ok(name) => Some(Some(name.as_str().to_owned())),
            Err(e) => {
                self.value_error(column, &e);
                None
            }
        }
    }

    fn text(&mut self, column: &str, max_chars: usize) -> Option<Option<String>> {
        let value = self.get(column);
        if value.is_empty() {
            return Some(None);
        }
        if value.chars().any(char::is_control) {
            self.problem(
                column,
                ParseProblem::InvalidValue("制御文字は使えません".into()),
            );
            return None;
        }
        if value.chars().count() > max_chars {
            self.problem(
                column,
                ParseProblem::InvalidValue(format!("{max_chars} 文字以内で指定してください")),
            );
            return None;
        }
        Some(Some(value.to_owned()))
    }

    fn payer_number(&mut self) -> Option<Option<String>> {
        let column = "payer_number";
        let value = self.get(column);
        if value.is_empty() {
            return Some(None);
        }
        let ok = value.chars().count() <= MAX_PAYER_NUMBER_CHARS
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            self.problem(
                column,
                ParseProblem::InvalidValue(format!(
                    "英数字とハイフン {MAX_PAYER_NUMBER_CHARS} 文字以内で指定してください"
                )),
            );
            return None;
        }
        Some(Some(value.to_owned()))
    }

    /// The whole record, or `None` after recording its problems.
    fn record(&mut self) -> Option<IncomeRecord> {
        let source = self.code("source", &IncomeSource::ALL, IncomeSource::code);
        let source = match source {
            Some(None) => {
                self.problem("source", ParseProblem::Required);
                None
            }
            other => other.flatten(),
        };
        let collection = match self.code(
            "collection",
            &[CollectionMethod::Special, CollectionMethod::Ordinary],
            CollectionMethod::code,
        ) {
            Some(None) => {
                self.problem("collection", ParseProblem::Required);
                None
            }
            other => other.flatten(),
        };
        let payer_number = self.payer_number();
        if collection == Some(CollectionMethod::Special) && payer_number == Some(None) {
            self.problem("payer_number", ParseProblem::PayerNumberRequired);
        }
        let payer_name = self.text("payer_name", MAX_PAYER_NAME_CHARS);
        let payer_postal_code = match self.get("payer_postal_code") {
            "" => Some(None),
            code => match PostalCode::parse(code) {
                Ok(code) => Some(Some(code.as_str().to_owned())),
                Err(e) => {
                    self.value_error("payer_postal_code", &e);
                    None
                }
            },
        };
        let payer_address = self.text("payer_address", MAX_ADDRESS_CHARS);
        let name = match self.name("name") {
            Some(None) => {
                self.problem("name", ParseProblem::Required);
                None
            }
            other => other.flatten(),
        };
        let name_kana = self
            .required("name_kana")
            .and_then(|kana| match KanaName::parse(kana) {
                Ok(k) => Some(k.as_str().to_owned()),
                Err(e) => {
                    self.value_error("name_kana", &e);
                    None
                }
            });
        let birth_date = match self.date("birth_date") {
            Some(None) => {
                self.problem("birth_date", ParseProblem::Required);
                None
            }
            other => other.flatten(),
        };
        let sex = match self.get("sex") {
            "" => Some(None),
            code => match Sex::parse(code) {
                Ok(sex) => Some(Some(sex)),
                Err(_) => {
                    self.problem(
                        "sex",
                        ParseProblem::UnknownValue {
                            allowed: vec!["male", "female"],
                        },
                    );
                    None
                }
            },
        };
        let address = match self.text("address_on_jan1", MAX_ADDRESS_CHARS) {
            Some(None) => {
                self.problem("address_on_jan1", ParseProblem::Required);
                None
            }
            other => other.flatten(),
        };
        let individual_number = match self.get("individual_number") {
            "" => Some(None),
            digits => match IndividualNumber::parse(digits) {
                Ok(n) => Some(Some(n)),
                Err(e) => {
                    self.value_error("individual_number", &e);
                    None
                }
            },
        };
        let mut amounts = [0i64; 14];
        let mut amounts_ok = true;
        for (slot, column) in amounts.iter_mut().zip(AMOUNT_COLUMNS) {
            match self.amount(column) {
                Some(n) => *slot = n,
                None => amounts_ok = false,
            }
        }
        let disability = match self.code("disability", &DisabilityClass::ALL, DisabilityClass::code)
        {
            Some(Some(DisabilityClass::SpecialCohabiting)) => {
                self.problem(
                    "disability",
                    ParseProblem::InvalidValue(
                        "本人には none, general, special のいずれかを指定してください（同居特別障害者は配偶者・扶養親族の区分です）"
                            .into(),
                    ),
                );
                None
            }
            other => other.map(Option::unwrap_or_default),
        };
        let widow = self.boolean("widow", false);
        let single_parent = self.boolean("single_parent", false);
        if widow == Some(true) && single_parent == Some(true) {
            self.problem(
                "single_parent",
                ParseProblem::InvalidValue("寡婦とひとり親は同時に指定できません".into()),
            );
        }
        let working_student = self.boolean("working_student", false);
        let spouse = self.spouse();
        let mut dependents = Some(Vec::new());
        for n in 1..=MAX_DEPENDENTS {
            match self.dependent(n) {
                Some(Some(d)) => {
                    if let Some(list) = dependents.as_mut() {
                        list.push(d);
                    }
                }
                Some(None) => {}
                None => dependents = None,
            }
        }
        if !amounts_ok {
            return None;
        }
        let [
            salary_revenue,
            public_pension_revenue,
            business_income,
            real_estate_income,
            misc_income,
            social_insurance,
            small_business_mutual_aid,
            life_insurance_new_general,
            life_insurance_new_pension,
            life_insurance_care_medical,
            life_insurance_old_general,
            life_insurance_old_pension,
            earthquake_insurance,
            medical_expenses,
        ] = amounts;
        let collection = collection?;
        let payer_number = payer_number?;
        if collection == CollectionMethod::Special && payer_number.is_none() {
            return None;
        }
        if widow? && single_parent? {
            return None;
        }
        Some(IncomeRecord {
            source: source?,
            payer_number,
            payer_name: payer_name?,
            payer_postal_code: payer_postal_code?,
            payer_address: payer_address?,
            collection,
            name: name?,
            name_kana: name_kana?,
            birth_date: birth_date?,
            sex: sex?,
            address_on_jan1: address?,
            individual_number: individual_number?,
            salary_revenue,
            public_pension_revenue,
            business_income,
            real_estate_income,
            misc_income,
            social_insurance,
            small_business_mutual_aid,
            life_insurance_new_general,
            life_insurance_new_pension,
            life_insurance_care_medical,
            life_insurance_old_general,
            life_insurance_old_pension,
            earthquake_insurance,
            medical_expenses,
            disability: disability?,
            widow: widow?,
            single_parent: single_parent?,
            working_student: working_student?,
            spouse: spouse?,
            dependents: dependents?,
        })
    }

    fn spouse(&mut self) -> Option<Option<SpouseRecord>> {
        let columns = [
            "spouse_name",
            "spouse_birth_date",
            "spouse_total_income",
            "spouse_disability",
        ];
        if columns.iter().all(|c| self.get(c).is_empty()) {
            return Some(None);
        }
        let name = self.name("spouse_name");
        let birth_date = self.date("spouse_birth_date");
        let total_income = self.amount("spouse_total_income");
        let disability = self.code(
            "spouse_disability",
            &DisabilityClass::ALL,
            DisabilityClass::code,
        );
        if name == Some(None) {
            self.problem("spouse_name", ParseProblem::Incomplete);
        }
        if birth_date == Some(None) {
            self.problem("spouse_birth_date", ParseProblem::Incomplete);
        }
        Some(Some(SpouseRecord {
            name: name??,
            birth_date: birth_date??,
            total_income: total_income?,
            disability: disability?.unwrap_or_default(),
        }))
    }

    fn dependent(&mut self, n: usize) -> Option<Option<DependentRecord>> {
        let column = |field: &str| format!("dependent{n}_{field}");
        let fields = [
            "name",
            "birth_date",
            "relation",
            "total_income",
            "disability",
            "lives_with",
        ];
        if fields.iter().all(|f| self.get(&column(f)).is_empty()) {
            return Some(None);
        }
        let name = self.name(&column("name"));
        let birth_date = self.date(&column("birth_date"));
        let relation = self.code(
            &column("relation"),
            &DependentRelation::ALL,
            DependentRelation::code,
        );
        let total_income = self.amount(&column("total_income"));
        let disability = self.code(
            &column("disability"),
            &DisabilityClass::ALL,
            DisabilityClass::code,
        );
        let lives_with = self.boolean(&column("lives_with"), true);
        for (field, missing) in [
            ("name", name == Some(None)),
            ("birth_date", birth_date == Some(None)),
            ("relation", relation == Some(None)),
        ] {
            if missing {
                self.problem(&column(field), ParseProblem::Incomplete);
            }
        }
        Some(Some(DependentRecord {
            name: name??,
            birth_date: birth_date??,
            relation: relation??,
            total_income: total_income?,
            disability: disability?.unwrap_or_default(),
            lives_with: lives_with?,
        }))
    }
}

/// The amount columns, in the order [`Cells::record`] reads them.
const AMOUNT_COLUMNS: [&str; 14] = [
    "salary_revenue",
    "public_pension_revenue",
    "business_income",
    "real_estate_income",
    "misc_income",
    "social_insurance",
    "small_business_mutual_aid",
    "life_insurance_new_general",
    "life_insurance_new_pension",
    "life_insurance_care_medical",
    "life_insurance_old_general",
    "life_insurance_old_pension",
    "earthquake_insurance",
    "medical_expenses",
];

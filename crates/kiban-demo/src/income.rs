//! Demo income records (所得情報のデモデータ) in the format `income-csv-v1` of
//! the resident-tax contract: what the employers (給与支払報告書), the pension
//! payers (公的年金等支払報告書) and the taxpayers themselves (住民税申告) send
//! the demo municipality for one fiscal year, for the population the demo
//! generator made.
//!
//! The records are a pure function of the seed, the fiscal year and the
//! population, written household by household to any [`std::io::Write`], so
//! a population of any size is written in constant memory. What the file
//! holds:
//! - Employers with a 特別徴収義務者指定番号 and a name; most salaries are
//!   collected by the employer (`special`), part-timers' and second jobs'
//!   often not (`ordinary`).
//! - Salaries by age and sex (full-time pay rising to the fifties, part-time
//!   work under the 103万円 and 130万円 thresholds), social insurance
//!   proportional to pay, life and earthquake insurance premiums for some.
//! - Public pensions for nearly everyone aged 65 and over, a corporate
//!   pension for some, with the 介護保険料 withheld as social insurance.
//! - Declarations: business income of the self-employed (with 国民年金 and
//!   国民健康保険 as social insurance, 小規模企業共済 for some), rent
//!   (real estate), miscellaneous income, medical expenses, and a few
//!   declarations of no income at all (to show 非課税).
//! - The spouse and dependents of each taxpayer taken from the household on
//!   1 January: the spouse of a married couple claimed by the partner with
//!   the larger income when the spouse's total income allows it, children
//!   and parents living together as dependents, with their birth dates and
//!   their total incomes as computed from their own records.
//! - Corrected reports (same person, source and payer) after the original,
//!   a few rows whose reading or address is written slightly differently
//!   (some still match after the width and spaces are normalised, some do
//!   not) or without the 個人番号, and salaries of non-residents working in
//!   the town.
//!
//! Names, readings, birth dates and addresses are those of the generated
//! persons on 1 January of the fiscal year; persons who became residents
//! after that day get no record.

use std::collections::HashMap;
use std::io::{self, Write};

use kiban_core::working::Working;
use kiban_core::{Date, FiscalYear, IndividualNumber, PostalCode, Relationship, Sex, Yen, age_on};
use kiban_income::{ChildCareAdjustment, IncomeRules, Revenues};

use crate::random::{DemoRng, mix};
use crate::{
    DemoHousehold, DemoNonResident, DemoPerson, DemoProfile, NON_RESIDENT_CHUNK,
    generate_non_residents,
};

/// The columns of `income-csv-v1`, in the order this generator writes them
/// (the contract's order; the contract allows any).
pub use kiban_income::record_format::INCOME_CSV_COLUMNS;

/// The header line of `income-csv-v1` (without the line end).
pub fn income_csv_header() -> String {
    INCOME_CSV_COLUMNS.join(",")
}

/// Why the income file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum IncomeFileError {
    /// The fiscal year has no income or resident-tax rule data.
    #[error("{fiscal_year}年度の所得計算の規則データがありません")]
    NoRules {
        /// The year asked for.
        fiscal_year: i32,
    },
    /// Writing failed.
    #[error("書き込みに失敗しました: {0}")]
    Io(#[from] io::Error),
}

/// Where an income record comes from (`source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// 給与支払報告書.
    SalaryReport,
    /// 公的年金等支払報告書.
    PensionReport,
    /// 住民税申告・確定申告.
    Declaration,
}

impl Source {
    /// The contract's code.
    pub fn code(self) -> &'static str {
        match self {
            Source::SalaryReport => "salary_report",
            Source::PensionReport => "pension_report",
            Source::Declaration => "declaration",
        }
    }
}

/// 障害者の区分 as calc-v1 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisabilityCode {
    /// Not disabled.
    #[default]
    None,
    /// 障害者.
    General,
    /// 特別障害者.
    Special,
    /// 同居特別障害者.
    SpecialCohabiting,
}

impl DisabilityCode {
    /// The calc-v1 code.
    pub fn code(self) -> &'static str {
        match self {
            DisabilityCode::None => "none",
            DisabilityCode::General => "general",
            DisabilityCode::Special => "special",
            DisabilityCode::SpecialCohabiting => "special_cohabiting",
        }
    }
}

/// A dependent's relation as calc-v1 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationCode {
    /// 子.
    Child,
    /// 父母等.
    Parent,
    /// その他の親族.
    Other,
}

impl RelationCode {
    /// The calc-v1 code.
    pub fn code(self) -> &'static str {
        match self {
            RelationCode::Child => "child",
            RelationCode::Parent => "parent",
            RelationCode::Other => "other",
        }
    }
}

/// The spouse on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpouseEntry {
    /// 氏名.
    pub name: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 合計所得金額.
    pub total_income: i64,
    /// 障害者の区分.
    pub disability: DisabilityCode,
}

/// A dependent on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentEntry {
    /// 氏名.
    pub name: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 続柄.
    pub relation: RelationCode,
    /// 合計所得金額.
    pub total_income: i64,
    /// 障害者の区分.
    pub disability: DisabilityCode,
    /// 同居.
    pub lives_with: bool,
}

/// One row of `income-csv-v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeRow {
    /// `source`.
    pub source: Source,
    /// 特別徴収義務者指定番号 or the pension payer's number; empty for a declaration.
    pub payer_number: String,
    /// The payer's name; empty for a declaration.
    pub payer_name: String,
    /// The payer's postal code (seven digits); empty when not reported.
    pub payer_postal_code: String,
    /// The payer's address (where the 特別徴収税額決定通知書 goes); empty
    /// when not reported.
    pub payer_address: String,
    /// `special` (特別徴収) when true, else `ordinary`.
    pub special_collection: bool,
    /// 氏名 as the payer wrote it.
    pub name: String,
    /// フリガナ as the payer wrote it.
    pub name_kana: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 1月1日現在の住所 as the payer wrote it.
    pub address_on_jan1: String,
    /// 個人番号 when the payer gave it.
    pub individual_number: Option<IndividualNumber>,
    /// 給与収入.
    pub salary_revenue: i64,
    /// 公的年金等収入.
    pub public_pension_revenue: i64,
    /// 事業所得.
    pub business_income: i64,
    /// 不動産所得.
    pub real_estate_income: i64,
    /// 雑所得 (公的年金等以外).
    pub misc_income: i64,
    /// 社会保険料.
    pub social_insurance: i64,
    /// 小規模企業共済等掛金.
    pub small_business_mutual_aid: i64,
    /// 生命保険料: new general, new pension, care/medical, old general, old pension.
    pub life_insurance: [i64; 5],
    /// 地震保険料.
    pub earthquake_insurance: i64,
    /// 医療費.
    pub medical_expenses: i64,
    /// The taxpayer's disability.
    pub disability: DisabilityCode,
    /// 寡婦.
    pub widow: bool,
    /// ひとり親.
    pub single_parent: bool,
    /// 勤労学生.
    pub working_student: bool,
    /// 控除対象配偶者等.
    pub spouse: Option<SpouseEntry>,
    /// 扶養親族 (at most four).
    pub dependents: Vec<DependentEntry>,
    /// Whether the reading or the address is written differently from the
    /// registry (not a column: for the counts and the tests).
    pub varied: bool,
}

impl IncomeRow {
    /// Writes the row as one CSV line, in the order of [`INCOME_CSV_COLUMNS`].
    /// Zero amounts are written empty (the contract reads empty as 0).
    pub fn write_csv(&self, line: &mut String) {
        use std::fmt::Write as _;
        fn text(line: &mut String, value: &str) {
            if value.contains([',', '"', '\n', '\r']) {
                line.push('"');
                line.push_str(&value.replace('"', "\"\""));
                line.push('"');
            } else {
                line.push_str(value);
            }
            line.push(',');
        }
        fn amount(line: &mut String, value: i64) {
            if value != 0 {
                let _ = write!(line, "{value}");
            }
            line.push(',');
        }
        fn flag(line: &mut String, value: bool) {
            line.push_str(if value { "true," } else { "false," });
        }
        fn date(line: &mut String, value: Date) {
            let _ = write!(line, "{value},");
        }
        line.clear();
        text(line, self.source.code());
        text(line, &self.payer_number);
        text(line, &self.payer_name);
        text(line, &self.payer_postal_code);
        text(line, &self.payer_address);
        text(
            line,
            if self.special_collection {
                "special"
            } else {
                "ordinary"
            },
        );
        text(line, &self.name);
        text(line, &self.name_kana);
        date(line, self.birth_date);
        text(line, self.sex.code());
        text(line, &self.address_on_jan1);
        text(
            line,
            self.individual_number
                .as_ref()
                .map(|n| n.as_str())
                .unwrap_or(""),
        );
        for value in [
            self.salary_revenue,
            self.public_pension_revenue,
            self.business_income,
            self.real_estate_income,
            self.misc_income,
            self.social_insurance,
            self.small_business_mutual_aid,
        ] {
            amount(line, value);
        }
        for value in self.life_insurance {
            amount(line, value);
        }
        amount(line, self.earthquake_insurance);
        amount(line, self.medical_expenses);
        text(line, self.disability.code());
        flag(line, self.widow);
        flag(line, self.single_parent);
        flag(line, self.working_student);
        match &self.spouse {
            Some(spouse) => {
                text(line, &spouse.name);
                date(line, spouse.birth_date);
                let _ = write!(line, "{},", spouse.total_income);
                text(line, spouse.disability.code());
            }
            None => line.push_str(",,,,"),
        }
        for slot in 0..4 {
            match self.dependents.get(slot) {
                Some(d) => {
                    text(line, &d.name);
                    date(line, d.birth_date);
                    text(line, d.relation.code());
                    let _ = write!(line, "{},", d.total_income);
                    text(line, d.disability.code());
                    flag(line, d.lives_with);
                }
                None => line.push_str(",,,,,,"),
            }
        }
        // The last field has no comma after it.
        line.pop();
        line.push('\n');
    }
}

/// Whether the rows carry the 個人番号 of the persons they are about. A
/// payer that writes a number the addressee master does not know sends the
/// row to the matching queue, so a caller gives the numbers only where the
/// master holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndividualNumbers {
    /// The residents' numbers (those the generator gave them).
    pub residents: bool,
    /// The non-residents' numbers.
    pub non_residents: bool,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IncomeCounts {
    /// Rows written (without the header).
    pub rows: u64,
    /// 給与支払報告書 rows (corrections included).
    pub salary_reports: u64,
    /// 公的年金等支払報告書 rows.
    pub pension_reports: u64,
    /// Declarations.
    pub declarations: u64,
    /// Corrected reports (rows that replace an earlier one).
    pub corrections: u64,
    /// Rows whose reading or address differs from the registry's.
    pub variants: u64,
    /// Rows without a 個人番号.
    pub without_number: u64,
    /// Rows of non-residents.
    pub non_resident_rows: u64,
    /// Residents on 1 January looked at.
    pub residents: u64,
    /// Non-residents looked at.
    pub non_residents: u64,
}

impl IncomeCounts {
    fn add(&mut self, other: &IncomeCounts) {
        self.rows += other.rows;
        self.salary_reports += other.salary_reports;
        self.pension_reports += other.pension_reports;
        self.declarations += other.declarations;
        self.corrections += other.corrections;
        self.variants += other.variants;
        self.without_number += other.without_number;
        self.non_resident_rows += other.non_resident_rows;
        self.residents += other.residents;
        self.non_residents += other.non_residents;
    }
}

/// An employer of the demo town (特別徴収義務者).
#[derive(Debug, Clone, PartialEq)]
pub struct Employer {
    /// 特別徴収義務者指定番号 (ten digits).
    pub payer_number: String,
    /// 名称.
    pub name: String,
    /// The postal code of its address.
    pub postal_code: PostalCode,
    /// 所在地 (in the town), e.g. `デモ市中央一丁目2番3号`.
    pub address: String,
    /// The level of its pay (1.0 is the average).
    pay_level: f64,
}

const EMPLOYER_COUNT: usize = 600;
const EMPLOYER_STEMS: &[&str] = &[
    "中央",
    "桜台",
    "緑町",
    "東",
    "西",
    "北",
    "南",
    "朝日",
    "大和",
    "富士",
    "三和",
    "協和",
    "昭和",
    "平和",
    "光",
    "青葉",
    "若葉",
    "港",
    "丸",
    "新",
    "東洋",
    "山田",
    "鈴木",
    "高橋",
    "田中",
    "みどり",
    "さくら",
    "ひかり",
    "あおば",
    "旭",
    "栄",
    "本町",
    "幸",
    "松葉",
    "千代田",
];
const EMPLOYER_TRADES: &[(&str, f64)] = &[
    ("精機", 1.1),
    ("工業", 1.05),
    ("建設", 1.05),
    ("運輸", 0.95),
    ("商事", 1.0),
    ("電機", 1.1),
    ("食品", 0.9),
    ("印刷", 0.95),
    ("物流", 0.95),
    ("不動産", 1.05),
    ("製作所", 1.0),
    ("技研", 1.15),
    ("薬品", 1.1),
    ("自動車", 1.0),
    ("設計", 1.1),
    ("電設", 1.0),
    ("興業", 0.95),
    ("産業", 1.0),
    ("情報システム", 1.2),
    ("ホーム", 1.0),
    ("商店", 0.8),
    ("製菓", 0.85),
    ("ストア", 0.75),
    ("フーズ", 0.8),
];

/// The employers of a seed: a few large ones first (the town hall, the
/// prefecture, a hospital, a factory, a supermarket), then firms of every
/// size; earlier ones employ more people.
fn employers(seed: u64, profile: &DemoProfile) -> Vec<Employer> {
    let municipality_name = profile.municipality_name();
    let towns = profile.towns();
    let mut rng = DemoRng::for_chunk(seed ^ 0xe4b1_0e7e, 0);
    let mut list = vec![
        (municipality_name.to_owned(), 1.05),
        ("デモ県".to_owned(), 1.15),
        (format!("医療法人社団{municipality_name}中央会"), 1.0),
        ("デモ精機株式会社".to_owned(), 1.15),
        ("株式会社デモマート".to_owned(), 0.7),
        (format!("社会福祉法人{municipality_name}福祉会"), 0.85),
        ("学校法人デモ学園".to_owned(), 1.05),
    ];
    let mut seen: std::collections::HashSet<String> = list.iter().map(|e| e.0.clone()).collect();
    while list.len() < EMPLOYER_COUNT {
        let stem = EMPLOYER_STEMS[rng.index(EMPLOYER_STEMS.len())];
        let (trade, level) = EMPLOYER_TRADES[rng.index(EMPLOYER_TRADES.len())];
        let name = match rng.below(10) {
            0..=4 => format!("株式会社{stem}{trade}"),
            5..=7 => format!("{stem}{trade}株式会社"),
            8 => format!("有限会社{stem}{trade}"),
            _ => format!("合同会社{stem}{trade}"),
        };
        if seen.insert(name.clone()) {
            list.push((name, level * (0.85 + 0.3 * rng.unit())));
        }
    }
    let mut addresses = DemoRng::for_chunk(seed ^ 0xad0_e55e, 0);
    list.into_iter()
        .enumerate()
        .map(|(rank, (name, pay_level))| {
            let (town, postal_code) = towns[addresses.index(towns.len())].clone();
            let block = addresses.between(1, 12);
            let house = addresses.between(1, 28);
            Employer {
                payer_number: format!(
                    "{:06}{:04}",
                    100_000 + mix(seed ^ rank as u64) % 900_000,
                    rank + 1
                ),
                name,
                postal_code,
                address: format!("{municipality_name}{town}{block}番{house}号"),
                pay_level,
            }
        })
        .collect()
}

/// The pension payers: (number, name).
const PUBLIC_PENSION: (&str, &str) = ("001", "厚生労働大臣");
const MUTUAL_AID_PENSION: (&str, &str) = ("003", "地方職員共済組合");
const CORPORATE_PENSION: (&str, &str) = ("802", "デモ企業年金基金");

/// The limits of the year's deductions that decide who is claimed, from
/// the resident-tax rule data.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// The spouse's total income up to which 配偶者(特別)控除 applies.
    spouse: i64,
    /// The taxpayer's total income above which no spouse is claimed.
    claimer: i64,
    /// A dependent's total income limit (扶養親族).
    dependent: i64,
    /// The total income up to which 寡婦・ひとり親 apply.
    widow: i64,
    /// The total income up to which 勤労学生 applies.
    working_student: i64,
}

impl Limits {
    fn of(rules: &kiban_tax_resident::ResidentTaxRules) -> Self {
        let d = &rules.deductions;
        Limits {
            spouse: d
                .spouse
                .special
                .iter()
                .filter_map(|row| row.up_to)
                .max()
                .unwrap_or(d.dependents.income_limit),
            claimer: d.spouse.taxpayer_income_tiers.last().copied().unwrap_or(0),
            dependent: d.dependents.income_limit,
            widow: d.widow_single_parent.income_limit,
            working_student: d.working_student.income_limit,
        }
    }
}

/// The share of rows written slightly differently from the registry.
const VARIANT_SHARE: f64 = 0.02;
/// The share of rows without the 個人番号 although the person has one.
const MISSING_NUMBER_SHARE: f64 = 0.03;
/// The share of salary reports corrected later.
const CORRECTION_SHARE: f64 = 0.012;

/// The generator of one fiscal year's income records.
pub struct IncomeGenerator {
    seed: u64,
    jan1: Date,
    year_end: Date,
    rules: &'static IncomeRules,
    limits: Limits,
    employers: Vec<Employer>,
    employer_weights: Vec<u32>,
    numbers: IndividualNumbers,
    municipality_name: String,
}

/// A person's draws for the income year.
#[derive(Debug, Clone, Default)]
struct Draft {
    /// (employer index, revenue, special collection).
    salaries: Vec<(usize, i64, bool)>,
    /// (payer, revenue).
    pensions: Vec<((&'static str, &'static str), i64)>,
    business: i64,
    real_estate: i64,
    misc: i64,
    medical: i64,
    mutual_aid: i64,
    /// Files a declaration (declared income, medical expenses, or none).
    declares: bool,
    disability: DisabilityCode,
    student: bool,
    total_income: i64,
    /// Married partner (index in the household).
    partner: Option<usize>,
}

impl Draft {
    fn has_rows(&self) -> bool {
        !self.salaries.is_empty() || !self.pensions.is_empty() || self.declares
    }
}

/// The claims of one taxpayer.
#[derive(Debug, Clone, Default)]
struct Claims {
    spouse: Option<usize>,
    dependents: Vec<(usize, RelationCode)>,
    widow: bool,
    single_parent: bool,
}

impl IncomeGenerator {
    /// The generator for `fiscal_year` (income of the calendar year before)
    /// of the population of `seed` in `profile`'s municipality. Refused when
    /// the fiscal year has no rule data.
    pub fn new(
        seed: u64,
        profile: &DemoProfile,
        fiscal_year: FiscalYear,
        numbers: IndividualNumbers,
    ) -> Result<Self, IncomeFileError> {
        let year = fiscal_year.start_year();
        let no_rules = || IncomeFileError::NoRules { fiscal_year: year };
        let rules = kiban_income::rules_for(fiscal_year).map_err(|_| no_rules())?;
        let tax = kiban_tax_resident::RESIDENT_TAX_RULES
            .for_year(year)
            .map_err(|_| no_rules())?;
        let jan1 = Date::new(year as i16, 1, 1).map_err(|_| no_rules())?;
        let employers = employers(seed, profile);
        let employer_weights = (0..employers.len())
            .scan(0u32, |total, rank| {
                *total += (6_000 / (rank + 6)) as u32;
                Some(*total)
            })
            .collect();
        Ok(Self {
            seed: seed ^ mix(0x1c0e ^ year as u64),
            jan1,
            year_end: kiban_income::income_year_end(fiscal_year),
            rules,
            limits: Limits::of(tax),
            employers,
            employer_weights,
            numbers,
            municipality_name: profile.municipality_name().to_owned(),
        })
    }

    /// The employers the records name.
    pub fn employers(&self) -> &[Employer] {
        &self.employers
    }

    /// 1 January of the fiscal year: the day names and addresses are taken on.
    pub fn jan1(&self) -> Date {
        self.jan1
    }

    /// The records of chunk `chunk_index` of the residents, household by
    /// household; corrected reports come at the end of the chunk. Persons
    /// who became residents after 1 January are left out.
    pub fn resident_rows(
        &self,
        chunk_index: u64,
        households: &[DemoHousehold],
        emit: &mut dyn FnMut(&IncomeRow) -> io::Result<()>,
    ) -> io::Result<IncomeCounts> {
        let mut rng = DemoRng::for_chunk(self.seed, chunk_index);
        let mut counts = IncomeCounts::default();
        let mut corrections = Vec::new();
        for household in households {
            let members: Vec<&DemoPerson> = household
                .members
                .iter()
                .filter(|p| p.resident_from <= self.jan1 && p.birth_date <= self.jan1)
                .collect();
            counts.residents += members.len() as u64;
            if members.is_empty() {
                continue;
            }
            let mut drafts: Vec<Draft> = members.iter().map(|p| self.draft(&mut rng, p)).collect();
            pair_couples(&members, &mut drafts);
            for (draft, person) in drafts.iter_mut().zip(&members) {
                draft.total_income = self.total_income(draft, person);
            }
            let claims = self.claims(&mut rng, &members, &drafts);
            for (i, person) in members.iter().enumerate() {
                let rows = self.rows_of(
                    &mut rng,
                    person,
                    &household.address.address_line,
                    &drafts[i],
                    &claims[i],
                    &members,
                    &drafts,
                    self.numbers.residents,
                );
                self.emit_rows(&mut rng, rows, &mut corrections, &mut counts, emit)?;
            }
        }
        for row in corrections {
            counts.corrections += 1;
            count_row(&row, &mut counts);
            emit(&row)?;
        }
        Ok(counts)
    }

    /// The records of chunk `chunk_index` of the non-residents: salaries
    /// paid by the town's employers to about a quarter of those of working
    /// age. Most rows give the address the addressee master holds; some give
    /// an address in the town (a company dormitory), where the person lived
    /// on 1 January without being registered, and go to the matching queue.
    pub fn non_resident_rows(
        &self,
        chunk_index: u64,
        persons: &[DemoNonResident],
        emit: &mut dyn FnMut(&IncomeRow) -> io::Result<()>,
    ) -> io::Result<IncomeCounts> {
        let mut rng = DemoRng::for_chunk(self.seed ^ 0x0070_7e51, chunk_index);
        let mut counts = IncomeCounts::default();
        let mut corrections = Vec::new();
        for non_resident in persons {
            let person = &non_resident.person;
            counts.non_residents += 1;
            let age = age_on(person.birth_date, self.year_end);
            if !(18..=69).contains(&age) || !rng.chance(0.25) {
                continue;
            }
            let mut draft = Draft::default();
            let revenue = self.full_time_salary(&mut rng, age, person.sex);
            let employer = self.employer(&mut rng);
            draft.salaries.push((employer, revenue, true));
            draft.total_income = self.total_income(&draft, person);
            let address = if rng.chance(0.3) {
                format!(
                    "{}{}",
                    self.municipality_name,
                    dormitory(&mut rng, &self.employers[employer].name)
                )
            } else {
                non_resident.address_line.clone()
            };
            let rows = self.rows_of(
                &mut rng,
                person,
                &address,
                &draft,
                &Claims::default(),
                &[],
                &[],
                self.numbers.non_residents,
            );
            let before = counts.rows;
            self.emit_rows(&mut rng, rows, &mut corrections, &mut counts, emit)?;
            counts.non_resident_rows += counts.rows - before;
        }
        for row in corrections {
            counts.corrections += 1;
            counts.non_resident_rows += 1;
            count_row(&row, &mut counts);
            emit(&row)?;
        }
        Ok(counts)
    }

    fn emit_rows(
        &self,
        rng: &mut DemoRng,
        rows: Vec<IncomeRow>,
        corrections: &mut Vec<IncomeRow>,
        counts: &mut IncomeCounts,
        emit: &mut dyn FnMut(&IncomeRow) -> io::Result<()>,
    ) -> io::Result<()> {
        for row in rows {
            if row.source == Source::SalaryReport && rng.chance(CORRECTION_SHARE) {
                // The first report was wrong; the right one (the values the
                // household's claims were computed from) comes later.
                let first = erroneous(rng, &row);
                corrections.push(row);
                count_row(&first, counts);
                emit(&first)?;
                continue;
            }
            count_row(&row, counts);
            emit(&row)?;
        }
        Ok(())
    }

    fn employer(&self, rng: &mut DemoRng) -> usize {
        rng.cumulative(&self.employer_weights)
            .min(self.employers.len() - 1)
    }

    /// A full-time salary for the age (on 31 December) and sex: the median
    /// pay of the age band (賃金構造基本統計調査, rounded), spread
    /// log-normally.
    fn full_time_salary(&self, rng: &mut DemoRng, age: u32, sex: Sex) -> i64 {
        let median: f64 = match (sex, age) {
            (_, 0..=19) => 1_900_000.0,
            (Sex::Male, 20..=24) => 3_000_000.0,
            (Sex::Male, 25..=29) => 3_900_000.0,
            (Sex::Male, 30..=34) => 4_500_000.0,
            (Sex::Male, 35..=39) => 5_100_000.0,
            (Sex::Male, 40..=44) => 5_600_000.0,
            (Sex::Male, 45..=49) => 6_000_000.0,
            (Sex::Male, 50..=54) => 6_400_000.0,
            (Sex::Male, 55..=59) => 6_300_000.0,
            (Sex::Male, 60..=64) => 4_400_000.0,
            (Sex::Male, _) => 3_200_000.0,
            (Sex::Female, 20..=24) => 2_800_000.0,
            (Sex::Female, 25..=29) => 3_400_000.0,
            (Sex::Female, 30..=54) => 3_700_000.0,
            (Sex::Female, 55..=59) => 3_500_000.0,
            (Sex::Female, _) => 2_700_000.0,
        };
        let revenue = median * (0.33 * rng.normal()).exp();
        (revenue as i64).clamp(1_300_000, 30_000_000)
    }

    /// Part-time pay, gathered under the 103万円 and 130万円 thresholds.
    fn part_time_salary(rng: &mut DemoRng) -> i64 {
        match rng.below(10) {
            0..=3 => rng.amount(900_000, 1_030_000),
            4..=5 => rng.amount(1_100_000, 1_299_000),
            6..=7 => rng.amount(300_000, 899_000),
            _ => rng.amount(1_300_000, 2_000_000),
        }
    }

    /// The draws of one person.
    fn draft(&self, rng: &mut DemoRng, person: &DemoPerson) -> Draft {
        let age = age_on(person.birth_date, self.year_end);
        let mut draft = Draft::default();
        let married_woman = person.sex == Sex::Female
            && matches!(
                person.relationship,
                Relationship::Spouse | Relationship::OtherRelative
            )
            && age >= 20;
        draft.disability = if age >= 18 && rng.chance(0.035 + f64::from(age) / 4_000.0) {
            if rng.chance(0.3) {
                DisabilityCode::Special
            } else {
                DisabilityCode::General
            }
        } else {
            DisabilityCode::None
        };
        draft.student = person.relationship != Relationship::Head
            && (18..=22).contains(&age)
            && rng.chance(0.6);
        // Work.
        let works = match (person.sex, age) {
            (_, 0..=15) => 0.0,
            (_, 16..=17) => 0.15,
            _ if draft.student => 0.55,
            (Sex::Male, 18..=24) => 0.72,
            (Sex::Male, 25..=59) => 0.93,
            (Sex::Male, 60..=64) => 0.84,
            (Sex::Male, 65..=69) => 0.61,
            (Sex::Male, 70..=74) => 0.42,
            (Sex::Male, _) => 0.12,
            (Sex::Female, 18..=24) => 0.72,
            (Sex::Female, 25..=34) => 0.82,
            (Sex::Female, 35..=59) => 0.79,
            (Sex::Female, 60..=64) => 0.63,
            (Sex::Female, 65..=69) => 0.43,
            (Sex::Female, 70..=74) => 0.26,
            (Sex::Female, _) => 0.06,
        };
        if rng.chance(works) {
            let self_employed = match age {
                0..=24 => 0.02,
                25..=49 => 0.08,
                50..=64 => 0.13,
                _ => 0.3,
            };
            if !draft.student && rng.chance(self_employed) {
                let income = 2_600_000.0 * (0.7 * rng.normal()).exp();
                draft.business = (income as i64).clamp(80_000, 40_000_000);
                draft.declares = true;
                if rng.chance(0.2) {
                    draft.mutual_aid = 12_000 * i64::from(rng.between(7, 70));
                }
            } else {
                let part_time = if draft.student || age < 18 {
                    1.0
                } else if age >= 65 {
                    0.6
                } else if married_woman {
                    0.55
                } else if person.sex == Sex::Female {
                    0.3
                } else if age >= 60 {
                    0.35
                } else {
                    0.08
                };
                let employer = self.employer(rng);
                let part = rng.chance(part_time);
                let revenue = if part {
                    if draft.student || age < 18 {
                        rng.amount(150_000, 1_000_000)
                    } else {
                        Self::part_time_salary(rng)
                    }
                } else {
                    let level = self.employers[employer].pay_level;
                    ((self.full_time_salary(rng, age, person.sex) as f64) * level) as i64
                };
                // Employers must collect specially; small ones and those of
                // part-timers below the threshold often do not.
                let special = if part && revenue < 1_000_000 {
                    rng.chance(0.4)
                } else {
                    rng.chance(0.93)
                };
                draft.salaries.push((employer, revenue, special));
                if !part && rng.chance(0.05) {
                    // A second job (乙欄), paid ordinarily.
                    draft
                        .salaries
                        .push((self.employer(rng), rng.amount(200_000, 900_000), false));
                }
            }
        }
        // Pensions.
        let pension = if age >= 65 {
            0.97
        } else if age >= 60 {
            0.12
        } else {
            0.0
        };
        if rng.chance(pension) {
            let revenue = match person.sex {
                Sex::Male if rng.chance(0.75) => rng.amount(1_300_000, 2_700_000),
                Sex::Male => rng.amount(600_000, 820_000),
                Sex::Female if rng.chance(0.55) => rng.amount(620_000, 900_000),
                Sex::Female => rng.amount(900_000, 1_700_000),
            };
            let revenue = if age < 65 { revenue / 2 } else { revenue };
            let payer = if rng.chance(0.08) {
                MUTUAL_AID_PENSION
            } else {
                PUBLIC_PENSION
            };
            draft.pensions.push((payer, revenue));
            if rng.chance(0.15) {
                draft
                    .pensions
                    .push((CORPORATE_PENSION, rng.amount(150_000, 1_200_000)));
            }
        }
        // Declarations of other income and deductions.
        if age >= 30 && rng.chance(if age >= 65 { 0.06 } else { 0.025 }) {
            let income = 1_000_000.0 * (0.8 * rng.normal()).exp();
            draft.real_estate = (income as i64).clamp(0, 12_000_000);
            if rng.chance(0.08) {
                // Repairs ate the rent. income-csv-v1 has no negative
                // amounts (a loss is refused as malformed), so the
                // declaration shows no real-estate income.
                let _ = rng.amount(50_000, 600_000);
                draft.real_estate = 0;
            }
            draft.declares = true;
        }
        if age >= 20 && rng.chance(0.03) {
            draft.misc = rng.amount(50_000, 1_500_000);
            draft.declares = true;
        }
        if age >= 20 && rng.chance(if age >= 60 { 0.07 } else { 0.02 }) {
            draft.medical = rng.amount(110_000, 900_000);
            draft.declares = true;
        }
        if age >= 20 && !draft.has_rows() && rng.chance(0.05) {
            // A declaration of no income (for the 非課税証明書).
            draft.declares = true;
        }
        draft
    }

    /// 合計所得金額 of a draft, by the income rules of the year.
    fn total_income(&self, draft: &Draft, person: &DemoPerson) -> i64 {
        let revenues = Revenues {
            salary_revenue: Yen::new(draft.salaries.iter().map(|s| s.1).sum()),
            public_pension_revenue: Yen::new(draft.pensions.iter().map(|p| p.1).sum()),
            business_income: Yen::new(draft.business),
            real_estate_income: Yen::new(draft.real_estate),
            misc_income: Yen::new(draft.misc),
        };
        let age = age_on(person.birth_date, self.year_end);
        let mut working = Working::new();
        self.rules
            .compute(
                &revenues,
                age,
                ChildCareAdjustment::DoesNotApply,
                &mut working,
            )
            .total_income
            .get()
    }

    /// Who claims whom in a household.
    fn claims(&self, rng: &mut DemoRng, members: &[&DemoPerson], drafts: &[Draft]) -> Vec<Claims> {
        let mut claims = vec![Claims::default(); members.len()];
        let mut claimed = vec![false; members.len()];
        let age = |i: usize| age_on(members[i].birth_date, self.year_end);
        // The partner who claims: the larger income of a couple (the
        // first listed when equal).
        let claimer_of = |i: usize| -> usize {
            match drafts[i].partner {
                Some(p) if (drafts[p].total_income, i) > (drafts[i].total_income, p) => p,
                _ => i,
            }
        };
        // Spouses.
        for i in 0..members.len() {
            let Some(p) = drafts[i].partner else { continue };
            if claimer_of(i) != i || p == i {
                continue;
            }
            if drafts[i].has_rows()
                && drafts[i].total_income <= self.limits.claimer
                && drafts[p].total_income <= self.limits.spouse
                && drafts[i].total_income > 0
            {
                claims[i].spouse = Some(p);
                claimed[p] = true;
            }
        }
        // The parent generation of each member: who the dependents belong to.
        let head = 0;
        let head_partner = drafts[head].partner;
        let married_child = (0..members.len()).find(|&i| {
            members[i].relationship == Relationship::Child && drafts[i].partner.is_some()
        });
        for d in 0..members.len() {
            if claimed[d] || drafts[d].partner.is_some() || d == head {
                continue;
            }
            if drafts[d].total_income > self.limits.dependent {
                continue;
            }
            let person = members[d];
            let (parent, relation) = match person.relationship {
                Relationship::Child => (claimer_of(head), RelationCode::Child),
                Relationship::Parent => (claimer_of(head), RelationCode::Parent),
                // Grandchildren of a grandfather head belong to the married
                // son; a sibling of the head to the head.
                Relationship::OtherRelative => match married_child {
                    Some(son) if age(d) + 15 <= age(son) => (claimer_of(son), RelationCode::Child),
                    _ => (claimer_of(head), RelationCode::Other),
                },
                Relationship::Head | Relationship::Spouse | Relationship::Cohabitant => continue,
            };
            // The parent generation must be older than the dependent.
            let plausible = match relation {
                RelationCode::Child => age(parent) >= age(d) + 15,
                RelationCode::Parent => age(d) >= age(parent) + 15,
                RelationCode::Other => true,
            };
            if !plausible || !drafts[parent].has_rows() || drafts[parent].total_income == 0 {
                continue;
            }
            if claims[parent].dependents.len() < 4 {
                claims[parent].dependents.push((d, relation));
                claimed[d] = true;
            }
        }
        // 寡婦 and ひとり親.
        for i in 0..members.len() {
            if drafts[i].partner.is_some() || drafts[i].total_income > self.limits.widow {
                continue;
            }
            let has_child = claims[i]
                .dependents
                .iter()
                .any(|&(_, r)| r == RelationCode::Child);
            if has_child && i == head && head_partner.is_none() {
                claims[i].single_parent = true;
            } else if members[i].sex == Sex::Female && age(i) >= 60 && rng.chance(0.45) {
                claims[i].widow = drafts[i].has_rows();
            }
        }
        claims
    }

    /// The rows of one person: each salary report, each pension report, and
    /// the declaration. The spouse, the dependents and the personal
    /// deductions go on the first row only.
    #[allow(clippy::too_many_arguments)]
    fn rows_of(
        &self,
        rng: &mut DemoRng,
        person: &DemoPerson,
        address: &str,
        draft: &Draft,
        claims: &Claims,
        members: &[&DemoPerson],
        drafts: &[Draft],
        with_numbers: bool,
    ) -> Vec<IncomeRow> {
        let age = age_on(person.birth_date, self.year_end);
        let base = IncomeRow {
            source: Source::Declaration,
            payer_number: String::new(),
            payer_name: String::new(),
            payer_postal_code: String::new(),
            payer_address: String::new(),
            special_collection: false,
            name: person.name.as_str().to_owned(),
            name_kana: person.name_kana.as_str().to_owned(),
            birth_date: person.birth_date,
            sex: person.sex,
            address_on_jan1: address.to_owned(),
            individual_number: if with_numbers {
                person.individual_number.clone()
            } else {
                None
            },
            salary_revenue: 0,
            public_pension_revenue: 0,
            business_income: 0,
            real_estate_income: 0,
            misc_income: 0,
            social_insurance: 0,
            small_business_mutual_aid: 0,
            life_insurance: [0; 5],
            earthquake_insurance: 0,
            medical_expenses: 0,
            disability: DisabilityCode::None,
            widow: false,
            single_parent: false,
            working_student: false,
            spouse: None,
            dependents: Vec::new(),
            varied: false,
        };
        let mut rows = Vec::with_capacity(3);
        for &(employer, revenue, special) in &draft.salaries {
            let employer = &self.employers[employer];
            // A second job, and part-time work below the threshold, pay no
            // social insurance.
            let rate = if !rows.is_empty() || revenue < 1_060_000 {
                0.0
            } else if age >= 70 {
                0.055
            } else if (40..65).contains(&age) {
                0.155
            } else {
                0.147
            };
            let mut row = IncomeRow {
                source: Source::SalaryReport,
                payer_number: employer.payer_number.clone(),
                payer_name: employer.name.clone(),
                payer_postal_code: employer.postal_code.as_str().to_owned(),
                payer_address: employer.address.clone(),
                special_collection: special,
                salary_revenue: revenue,
                social_insurance: ((revenue.min(19_000_000) as f64) * rate) as i64,
                ..base.clone()
            };
            if rows.is_empty() {
                // 年末調整: premiums the employee declared.
                if revenue >= 1_500_000 && rng.chance(0.55) {
                    row.life_insurance[0] = rng.amount(24_000, 150_000);
                    if rng.chance(0.4) {
                        row.life_insurance[2] = rng.amount(20_000, 90_000);
                    }
                    if rng.chance(0.15) {
                        row.life_insurance[1] = rng.amount(60_000, 240_000);
                    }
                    if age >= 45 && rng.chance(0.25) {
                        row.life_insurance[3] = rng.amount(40_000, 200_000);
                    }
                    if age >= 50 && rng.chance(0.1) {
                        row.life_insurance[4] = rng.amount(60_000, 180_000);
                    }
                }
                if revenue >= 2_500_000 && rng.chance(0.3) {
                    row.earthquake_insurance = rng.amount(8_000, 52_000);
                }
            }
            rows.push(row);
        }
        for &((number, name), revenue) in &draft.pensions {
            rows.push(IncomeRow {
                source: Source::PensionReport,
                payer_number: number.to_owned(),
                payer_name: name.to_owned(),
                special_collection: false,
                public_pension_revenue: revenue,
                // 介護保険料 and 後期高齢者医療保険料 withheld from the pension.
                social_insurance: if number == CORPORATE_PENSION.0 {
                    0
                } else {
                    ((revenue as f64) * rng.amount(50, 95) as f64 / 1000.0) as i64
                },
                ..base.clone()
            });
        }
        if draft.declares {
            let social_insurance = if draft.business > 0 {
                // 国民年金 (under 60) and 国民健康保険税.
                let pension = if age < 60 { 203_760 } else { 0 };
                pension + ((draft.business as f64) * 0.095) as i64
            } else {
                0
            }
            .min(1_300_000);
            rows.push(IncomeRow {
                source: Source::Declaration,
                business_income: draft.business,
                real_estate_income: draft.real_estate,
                misc_income: draft.misc,
                social_insurance,
                small_business_mutual_aid: draft.mutual_aid,
                medical_expenses: draft.medical,
                earthquake_insurance: if draft.real_estate > 0 && rng.chance(0.5) {
                    rng.amount(10_000, 50_000)
                } else {
                    0
                },
                ..base.clone()
            });
        }
        if let Some(first) = rows.first_mut() {
            first.disability = draft.disability;
            first.widow = claims.widow;
            first.single_parent = claims.single_parent;
            first.working_student = draft.student
                && !draft.salaries.is_empty()
                && draft.total_income <= self.limits.working_student
                && rng.chance(0.3);
            first.spouse = claims.spouse.map(|s| SpouseEntry {
                name: members[s].name.as_str().to_owned(),
                birth_date: members[s].birth_date,
                total_income: drafts[s].total_income,
                disability: cohabiting(drafts[s].disability),
            });
            first.dependents = claims
                .dependents
                .iter()
                .map(|&(d, relation)| DependentEntry {
                    name: members[d].name.as_str().to_owned(),
                    birth_date: members[d].birth_date,
                    relation,
                    total_income: drafts[d].total_income,
                    disability: cohabiting(drafts[d].disability),
                    lives_with: true,
                })
                .collect();
        }
        for row in &mut rows {
            if row.individual_number.is_some() && rng.chance(MISSING_NUMBER_SHARE) {
                row.individual_number = None;
            }
            if rng.chance(VARIANT_SHARE) {
                vary(rng, row);
                row.varied = true;
            }
        }
        rows
    }
}

/// A special disability of a relative living with the taxpayer is 同居特別障害者.
fn cohabiting(disability: DisabilityCode) -> DisabilityCode {
    match disability {
        DisabilityCode::Special => DisabilityCode::SpecialCohabiting,
        other => other,
    }
}

/// Marks the married couples of a household: the head and the spouse, and a
/// married child of the head with the child's wife (recorded as その他の親族
/// when the grandfather is the head).
fn pair_couples(members: &[&DemoPerson], drafts: &mut [Draft]) {
    let find = |rel: Relationship| members.iter().position(|p| p.relationship == rel);
    if let (Some(h), Some(s)) = (find(Relationship::Head), find(Relationship::Spouse)) {
        drafts[h].partner = Some(s);
        drafts[s].partner = Some(h);
    }
    let year = |i: usize| i32::from(members[i].birth_date.year());
    let Some(head) = find(Relationship::Head) else {
        return;
    };
    // Only a grandfather-headed three-generation household has a grown-up
    // son and a woman of his generation recorded as その他の親族.
    let son = (0..members.len()).find(|&i| {
        members[i].relationship == Relationship::Child
            && members[i].sex == Sex::Male
            && year(i) >= year(head) + 15
    });
    if let Some(son) = son {
        let wife = (0..members.len()).find(|&i| {
            members[i].relationship == Relationship::OtherRelative
                && members[i].sex == Sex::Female
                && (year(i) - year(son)).abs() <= 12
        });
        if let Some(wife) = wife {
            drafts[son].partner = Some(wife);
            drafts[wife].partner = Some(son);
        }
    }
}

/// A company dormitory in the town.
fn dormitory(rng: &mut DemoRng, employer: &str) -> String {
    let stem = employer
        .trim_start_matches("株式会社")
        .trim_start_matches("有限会社")
        .trim_start_matches("合同会社")
        .trim_end_matches("株式会社");
    let tables = crate::tables::Tables::get();
    let town = tables.towns[rng.index(tables.towns.len())];
    format!(
        "{}{}番{}号　{}寮{}号室",
        town.name,
        rng.between(1, i32::from(town.blocks.max(1))),
        rng.between(1, 28),
        stem,
        rng.between(101, 312)
    )
}

/// The wrong first report that a corrected one (訂正分: the same person,
/// source and payer) later replaces: the salary or the social insurance
/// misstated.
fn erroneous(rng: &mut DemoRng, row: &IncomeRow) -> IncomeRow {
    let mut row = row.clone();
    if rng.chance(0.6) {
        let change = rng.amount(-200_000, 300_000);
        row.salary_revenue = (row.salary_revenue + change).max(100_000);
    } else {
        row.social_insurance = (row.social_insurance + rng.amount(-30_000, 60_000)).max(0);
    }
    row
}

/// Writes a row slightly differently from the registry: a reading with a
/// half-width space or without a voiced mark, or an address with
/// full-width digits, written with hyphens, or with the prefecture.
fn vary(rng: &mut DemoRng, row: &mut IncomeRow) {
    match rng.below(5) {
        0 => row.name_kana = row.name_kana.replace('\u{3000}', " "),
        1 => {
            if let Some(changed) = unvoice(&row.name_kana) {
                row.name_kana = changed;
            } else {
                row.name_kana = row.name_kana.replace('\u{3000}', "");
            }
        }
        2 => row.address_on_jan1 = full_width_digits(&row.address_on_jan1),
        3 => row.address_on_jan1 = hyphenated(&row.address_on_jan1),
        _ => {
            row.address_on_jan1 = format!("デモ県{}", row.address_on_jan1);
        }
    }
}

const VOICED: &[(char, char)] = &[
    ('ガ', 'カ'),
    ('ギ', 'キ'),
    ('グ', 'ク'),
    ('ゲ', 'ケ'),
    ('ゴ', 'コ'),
    ('ザ', 'サ'),
    ('ジ', 'シ'),
    ('ズ', 'ス'),
    ('ゼ', 'セ'),
    ('ゾ', 'ソ'),
    ('ダ', 'タ'),
    ('ヂ', 'チ'),
    ('ヅ', 'ツ'),
    ('デ', 'テ'),
    ('ド', 'ト'),
    ('バ', 'ハ'),
    ('ビ', 'ヒ'),
    ('ブ', 'フ'),
    ('ベ', 'ヘ'),
    ('ボ', 'ホ'),
    ('パ', 'ハ'),
    ('ピ', 'ヒ'),
    ('プ', 'フ'),
    ('ペ', 'ヘ'),
    ('ポ', 'ホ'),
];

/// The reading with its first voiced kana unvoiced (ザキ for サキ is a
/// common slip), if it has one.
fn unvoice(kana: &str) -> Option<String> {
    let map: HashMap<char, char> = VOICED.iter().copied().collect();
    let position = kana.chars().position(|c| map.contains_key(&c))?;
    Some(
        kana.chars()
            .enumerate()
            .map(|(i, c)| {
                if i == position {
                    map.get(&c).copied().unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
    )
}

fn full_width_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - 0x30 + 0xFF10).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// `…2番3号` written `…2-3`.
fn hyphenated(text: &str) -> String {
    match text.strip_suffix('号') {
        Some(rest) => rest.replacen('番', "-", 1),
        None => text.to_owned(),
    }
}

fn count_row(row: &IncomeRow, counts: &mut IncomeCounts) {
    counts.rows += 1;
    match row.source {
        Source::SalaryReport => counts.salary_reports += 1,
        Source::PensionReport => counts.pension_reports += 1,
        Source::Declaration => counts.declarations += 1,
    }
    if row.individual_number.is_none() {
        counts.without_number += 1;
    }
    if row.varied {
        counts.variants += 1;
    }
}

/// The population `kiban demo generate` made: its seed, its residents in
/// chunks of `chunk_residents` drawn for `profile` (whose base date is the
/// day of the run), and its non-residents (in chunks of
/// [`NON_RESIDENT_CHUNK`]) drawn for `non_resident_profile`.
#[derive(Debug, Clone)]
pub struct DemoPopulation {
    /// The seed.
    pub seed: u64,
    /// The profile the residents were drawn for.
    pub profile: DemoProfile,
    /// Residents.
    pub residents: u64,
    /// Residents per chunk.
    pub chunk_residents: u32,
    /// The profile the non-residents were drawn for.
    pub non_resident_profile: DemoProfile,
    /// Non-residents.
    pub non_residents: u64,
}

/// Writes the income file (`income-csv-v1`, header first) of `fiscal_year`
/// for the population, chunk by chunk in constant memory; `progress` is
/// called after each chunk with the number of persons looked at so far
/// (residents, then non-residents).
pub fn write_income_file(
    population: &DemoPopulation,
    fiscal_year: FiscalYear,
    numbers: IndividualNumbers,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<IncomeCounts, IncomeFileError> {
    let generator =
        IncomeGenerator::new(population.seed, &population.profile, fiscal_year, numbers)?;
    let mut line = income_csv_header();
    line.push('\n');
    out.write_all(line.as_bytes())?;
    let mut counts = IncomeCounts::default();
    let mut done = 0u64;
    let mut emit = |row: &IncomeRow| {
        row.write_csv(&mut line);
        out.write_all(line.as_bytes())
    };
    for chunk in crate::plan(population.residents, population.chunk_residents) {
        let households = crate::generate_chunk(
            population.seed,
            &population.profile,
            chunk.chunk_index,
            chunk.residents,
        );
        counts.add(&generator.resident_rows(chunk.chunk_index, &households, &mut emit)?);
        done += u64::from(chunk.residents);
        progress(done);
    }
    for chunk in crate::plan(population.non_residents, NON_RESIDENT_CHUNK) {
        let persons = generate_non_residents(
            population.seed,
            &population.non_resident_profile,
            chunk.chunk_index,
            chunk.residents,
        );
        counts.add(&generator.non_resident_rows(chunk.chunk_index, &persons, &mut emit)?);
        done += u64::from(chunk.residents);
        progress(done);
    }
    Ok(counts)
}

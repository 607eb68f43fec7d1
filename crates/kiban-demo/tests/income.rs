//! The demo income records: the header and value rules of `income-csv-v1`
//! (the resident-tax contract), determinism, and the spouse and dependents
//! taken from the households.

use std::collections::{HashMap, HashSet};

use kiban_core::working::Working;
use kiban_core::{Date, FiscalYear, IndividualNumber, PersonName, Relationship, Yen, age_on};
use kiban_demo::income::{
    DemoPopulation, IncomeCounts, IncomeGenerator, IncomeRow, IndividualNumbers, RelationCode,
    Source, income_csv_header, write_income_file,
};
use kiban_demo::{DemoHousehold, DemoPerson, DemoProfile, generate_chunk};
use kiban_income::{ChildCareAdjustment, Revenues};

/// The header of the contract (section "Income records"), with the columns
/// `dependent2_…` to `dependent4_…` written out.
const CONTRACT_HEADER: &str = "source,payer_number,payer_name,collection,name,name_kana,birth_date,sex,address_on_jan1,individual_number,salary_revenue,public_pension_revenue,business_income,real_estate_income,misc_income,social_insurance,small_business_mutual_aid,life_insurance_new_general,life_insurance_new_pension,life_insurance_care_medical,life_insurance_old_general,life_insurance_old_pension,earthquake_insurance,medical_expenses,disability,widow,single_parent,working_student,spouse_name,spouse_birth_date,spouse_total_income,spouse_disability,dependent1_name,dependent1_birth_date,dependent1_relation,dependent1_total_income,dependent1_disability,dependent1_lives_with,dependent2_name,dependent2_birth_date,dependent2_relation,dependent2_total_income,dependent2_disability,dependent2_lives_with,dependent3_name,dependent3_birth_date,dependent3_relation,dependent3_total_income,dependent3_disability,dependent3_lives_with,dependent4_name,dependent4_birth_date,dependent4_relation,dependent4_total_income,dependent4_disability,dependent4_lives_with";

fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).unwrap_or(Date::MIN)
}

fn profile() -> DemoProfile {
    match DemoProfile::demo_city(date(2026, 4, 1)) {
        Ok(p) => p,
        Err(e) => panic!("profile: {e}"),
    }
}

fn fiscal(year: i32) -> FiscalYear {
    match FiscalYear::new(year) {
        Ok(y) => y,
        Err(e) => panic!("fiscal year: {e:?}"),
    }
}

fn population(seed: u64, residents: u64, non_residents: u64) -> DemoPopulation {
    DemoPopulation {
        seed,
        profile: profile(),
        residents,
        chunk_residents: 5_000,
        non_resident_profile: profile(),
        non_residents,
    }
}

fn file(
    population: &DemoPopulation,
    year: i32,
    numbers: IndividualNumbers,
) -> (String, IncomeCounts) {
    let mut out = Vec::new();
    let mut seen = 0;
    let counts = match write_income_file(population, fiscal(year), numbers, &mut out, &mut |n| {
        seen = n
    }) {
        Ok(c) => c,
        Err(e) => panic!("write: {e}"),
    };
    assert_eq!(seen, population.residents + population.non_residents);
    (String::from_utf8(out).unwrap_or_default(), counts)
}

/// Splits one CSV line (RFC 4180 quoting).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The value rules of income-csv-v1, as the contract states them; returns
/// the first broken rule, naming the column.
fn check_row(header: &[String], values: &[String]) -> Result<(), String> {
    if values.len() != header.len() {
        return Err(format!(
            "{} fields for {} columns",
            values.len(),
            header.len()
        ));
    }
    let get = |name: &str| -> &str {
        header
            .iter()
            .position(|h| h == name)
            .map(|i| values[i].as_str())
            .unwrap_or("")
    };
    let is_date = |v: &str| kiban_core::date::parse_iso(v).is_ok();
    let is_amount = |v: &str, may_be_negative: bool| {
        v.is_empty() || v.parse::<i64>().is_ok_and(|n| n >= 0 || may_be_negative)
    };
    let is_bool = |v: &str| v == "true" || v == "false";
    let is_disability =
        |v: &str| matches!(v, "none" | "general" | "special" | "special_cohabiting");
    let source = get("source");
    if !matches!(source, "salary_report" | "pension_report" | "declaration") {
        return Err(format!("source: {source}"));
    }
    match get("collection") {
        "special" if get("payer_number").is_empty() => {
            return Err("payer_number: required for special collection".into());
        }
        "special" | "ordinary" => {}
        other => return Err(format!("collection: {other}")),
    }
    if source != "declaration" && (get("payer_number").is_empty() || get("payer_name").is_empty()) {
        return Err("payer_number/payer_name: a report names its payer".into());
    }
    // An employer's report gives its address, where the 特別徴収税額決定通知書
    // goes; other rows give none.
    let employer = source == "salary_report";
    if employer
        != (kiban_core::PostalCode::parse(get("payer_postal_code")).is_ok()
            && !get("payer_address").is_empty())
        || (!employer && !get("payer_postal_code").is_empty())
    {
        return Err(format!(
            "payer_postal_code/payer_address: {} {}",
            get("payer_postal_code"),
            get("payer_address")
        ));
    }
    if PersonName::parse(get("name")).is_err() {
        return Err(format!("name: {}", get("name")));
    }
    if get("name_kana").trim().is_empty() {
        return Err("name_kana: empty".into());
    }
    if !is_date(get("birth_date")) {
        return Err(format!("birth_date: {}", get("birth_date")));
    }
    if !matches!(get("sex"), "male" | "female") {
        return Err(format!("sex: {}", get("sex")));
    }
    if get("address_on_jan1").trim().is_empty() {
        return Err("address_on_jan1: empty".into());
    }
    let number = get("individual_number");
    if !number.is_empty() && IndividualNumber::parse(number).is_err() {
        return Err(format!("individual_number: {number}"));
    }
    for column in [
        "salary_revenue",
        "public_pension_revenue",
        "business_income",
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
    ] {
        if !is_amount(get(column), false) {
            return Err(format!("{column}: {}", get(column)));
        }
    }
    // An income (not an amount paid) may be a loss.
    if !is_amount(get("real_estate_income"), false) {
        return Err(format!("real_estate_income: {}", get("real_estate_income")));
    }
    if !is_disability(get("disability")) {
        return Err(format!("disability: {}", get("disability")));
    }
    for column in ["widow", "single_parent", "working_student"] {
        if !is_bool(get(column)) {
            return Err(format!("{column}: {}", get(column)));
        }
    }
    let spouse = [
        "spouse_name",
        "spouse_birth_date",
        "spouse_total_income",
        "spouse_disability",
    ];
    if spouse.iter().any(|c| !get(c).is_empty()) {
        if PersonName::parse(get("spouse_name")).is_err() || !is_date(get("spouse_birth_date")) {
            return Err("spouse_name/spouse_birth_date".into());
        }
        if !is_amount(get("spouse_total_income"), false) || !is_disability(get("spouse_disability"))
        {
            return Err("spouse_total_income/spouse_disability".into());
        }
    }
    for n in 1..=4 {
        let c = |field: &str| format!("dependent{n}_{field}");
        let group = [
            "name",
            "birth_date",
            "relation",
            "total_income",
            "disability",
            "lives_with",
        ];
        if group.iter().all(|f| get(&c(f)).is_empty()) {
            continue;
        }
        if PersonName::parse(get(&c("name"))).is_err() || !is_date(get(&c("birth_date"))) {
            return Err(c("name"));
        }
        if !matches!(get(&c("relation")), "child" | "parent" | "other") {
            return Err(c("relation"));
        }
        if !is_amount(get(&c("total_income")), false) || !is_disability(get(&c("disability"))) {
            return Err(c("total_income"));
        }
        let lives_with = get(&c("lives_with"));
        if !lives_with.is_empty() && !is_bool(lives_with) {
            return Err(c("lives_with"));
        }
    }
    Ok(())
}

/// The contract's header with Kiban's two optional additions after
/// `payer_name`: the employer's postal code and address.
#[test]
fn the_header_is_the_contracts() {
    let ours = CONTRACT_HEADER.replacen(
        "payer_name,",
        "payer_name,payer_postal_code,payer_address,",
        1,
    );
    assert_eq!(income_csv_header(), ours);
    let (text, _) = file(&population(1, 100, 0), 2026, IndividualNumbers::default());
    assert_eq!(text.lines().next(), Some(ours.as_str()));
}

#[test]
fn every_row_follows_the_value_rules() {
    let numbers = IndividualNumbers {
        residents: true,
        non_residents: true,
    };
    let (text, counts) = file(&population(3, 30_000, 3_000), 2026, numbers);
    let mut lines = text.lines();
    let header = fields(lines.next().unwrap_or_default());
    let mut rows = 0u64;
    let mut sources: HashMap<String, u64> = HashMap::new();
    let mut special = 0u64;
    let collection_at = header.iter().position(|h| h == "collection").unwrap_or(0);
    for (i, line) in lines.enumerate() {
        let values = fields(line);
        if let Err(e) = check_row(&header, &values) {
            panic!("row {}: {e}\n{line}", i + 1);
        }
        *sources.entry(values[0].clone()).or_default() += 1;
        special += u64::from(values[collection_at] == "special");
        rows += 1;
    }
    assert_eq!(rows, counts.rows);
    assert!(text.ends_with('\n'));
    // Every kind of row is there, in plausible shares.
    let salary = sources.get("salary_report").copied().unwrap_or(0);
    let pension = sources.get("pension_report").copied().unwrap_or(0);
    let declaration = sources.get("declaration").copied().unwrap_or(0);
    assert_eq!(salary, counts.salary_reports);
    assert_eq!(pension, counts.pension_reports);
    assert_eq!(declaration, counts.declarations);
    assert!(salary > 30_000 * 35 / 100, "{sources:?}");
    assert!(pension > 30_000 * 20 / 100, "{sources:?}");
    assert!(declaration > 30_000 * 3 / 100, "{sources:?}");
    assert!(
        special > salary * 70 / 100 && special < salary,
        "{special} of {salary}"
    );
    assert!(counts.corrections > 100, "{counts:?}");
    assert!(counts.variants > 200, "{counts:?}");
    assert!(counts.without_number > 0, "{counts:?}");
    assert!(counts.non_resident_rows > 100, "{counts:?}");
    // Residents on 1 January: those who moved in or were born between then
    // and the base date (1 April) are not.
    assert!((28_500..30_000).contains(&counts.residents), "{counts:?}");
    assert_eq!(counts.non_residents, 3_000);
}

#[test]
fn the_same_seed_gives_the_same_file() {
    let numbers = IndividualNumbers::default();
    let a = file(&population(5, 12_000, 1_000), 2026, numbers).0;
    let b = file(&population(5, 12_000, 1_000), 2026, numbers).0;
    assert_eq!(a, b);
    assert_ne!(a, file(&population(6, 12_000, 1_000), 2026, numbers).0);
    assert_ne!(a, file(&population(5, 12_000, 1_000), 2025, numbers).0);
    // Without numbers, no row carries one.
    let header = fields(a.lines().next().unwrap_or_default());
    let number_at = header
        .iter()
        .position(|h| h == "individual_number")
        .unwrap_or(0);
    assert!(
        a.lines()
            .skip(1)
            .all(|line| fields(line)[number_at].is_empty())
    );
}

#[test]
fn a_fiscal_year_without_rule_data_is_refused() {
    let mut out = Vec::new();
    let result = write_income_file(
        &population(1, 10, 0),
        fiscal(2019),
        IndividualNumbers::default(),
        &mut out,
        &mut |_| {},
    );
    assert!(result.is_err());
    assert!(out.is_empty());
}

/// The rows of one chunk, with the households they were made from.
fn chunk_rows(seed: u64, year: i32) -> (Vec<DemoHousehold>, Vec<IncomeRow>, IncomeGenerator) {
    let profile = profile();
    let households = generate_chunk(seed, &profile, 0, 40_000);
    let generator = match IncomeGenerator::new(
        seed,
        &profile,
        fiscal(year),
        IndividualNumbers {
            residents: true,
            non_residents: false,
        },
    ) {
        Ok(g) => g,
        Err(e) => panic!("generator: {e}"),
    };
    let mut rows = Vec::new();
    let result = generator.resident_rows(0, &households, &mut |row| {
        rows.push(row.clone());
        Ok(())
    });
    assert!(result.is_ok());
    (households, rows, generator)
}

type Key = (String, Date);

fn key_of(person: &DemoPerson) -> Key {
    (person.name.as_str().to_owned(), person.birth_date)
}

/// The effective rows of each person: a later row with the same source and
/// payer replaces an earlier one.
fn effective(rows: &[IncomeRow]) -> HashMap<Key, Vec<IncomeRow>> {
    let mut by_person: HashMap<Key, Vec<IncomeRow>> = HashMap::new();
    for row in rows {
        let list = by_person
            .entry((row.name.clone(), row.birth_date))
            .or_default();
        match list
            .iter_mut()
            .find(|r| r.source == row.source && r.payer_number == row.payer_number)
        {
            Some(earlier) => *earlier = row.clone(),
            None => list.push(row.clone()),
        }
    }
    by_person
}

fn total_income(rows: &[IncomeRow], birth: Date, year: i32) -> i64 {
    let rules = match kiban_income::rules_for(fiscal(year)) {
        Ok(r) => r,
        Err(e) => panic!("rules: {e}"),
    };
    let sum = |f: fn(&IncomeRow) -> i64| Yen::new(rows.iter().map(f).sum());
    let revenues = Revenues {
        salary_revenue: sum(|r| r.salary_revenue),
        public_pension_revenue: sum(|r| r.public_pension_revenue),
        business_income: sum(|r| r.business_income),
        real_estate_income: sum(|r| r.real_estate_income),
        misc_income: sum(|r| r.misc_income),
    };
    let age = age_on(birth, kiban_income::income_year_end(fiscal(year)));
    rules
        .compute(
            &revenues,
            age,
            ChildCareAdjustment::DoesNotApply,
            &mut Working::new(),
        )
        .total_income
        .get()
}

#[test]
fn spouses_and_dependents_are_the_households_own() {
    let year = 2026;
    let (households, rows, generator) = chunk_rows(11, year);
    let jan1 = generator.jan1();
    let year_end = kiban_income::income_year_end(fiscal(year));
    // Name and birth date identify a person here; the few pairs of persons
    // who share both (common names) are left out.
    let mut household_of: HashMap<Key, (usize, &DemoPerson)> = HashMap::new();
    let mut shared: HashSet<Key> = HashSet::new();
    for (i, h) in households.iter().enumerate() {
        for p in &h.members {
            if household_of.insert(key_of(p), (i, p)).is_some() {
                shared.insert(key_of(p));
            }
        }
    }
    for key in &shared {
        household_of.remove(key);
    }
    let by_person = effective(&rows);
    let mut claimed: HashMap<Key, Key> = HashMap::new();
    let mut spouses = 0;
    let mut dependents = 0;
    let mut parents = 0;
    for (taxpayer, rows) in &by_person {
        if shared.contains(taxpayer) {
            continue;
        }
        let Some(&(house, person)) = household_of.get(taxpayer) else {
            panic!("a row names nobody of the population: {taxpayer:?}");
        };
        // Only residents on 1 January have records, under the registry's
        // name, birth date and (but for the variants) reading and address.
        assert!(person.resident_from <= jan1, "{taxpayer:?}");
        for row in rows {
            assert_eq!(row.sex, person.sex);
            if !row.varied {
                assert_eq!(row.name_kana, person.name_kana.as_str());
                assert_eq!(row.address_on_jan1, households[house].address.address_line);
            }
            if let Some(number) = &row.individual_number {
                assert_eq!(Some(number), person.individual_number.as_ref());
            }
        }
        // The spouse and the dependents are on one row only.
        assert!(
            rows.iter()
                .filter(|r| r.spouse.is_some() || !r.dependents.is_empty())
                .count()
                <= 1
        );
        let claimer_age = age_on(person.birth_date, year_end);
        for row in rows {
            if let Some(spouse) = &row.spouse {
                let key = (spouse.name.clone(), spouse.birth_date);
                if shared.contains(&key) {
                    continue;
                }
                let Some(&(their_house, partner)) = household_of.get(&key) else {
                    panic!("spouse not in the population: {key:?}");
                };
                assert_eq!(their_house, house, "spouse of another household");
                assert_ne!(partner.sex, person.sex);
                let rels = [person.relationship, partner.relationship];
                assert!(
                    rels.contains(&Relationship::Head) && rels.contains(&Relationship::Spouse)
                        || rels.contains(&Relationship::Child)
                            && rels.contains(&Relationship::OtherRelative),
                    "{rels:?}"
                );
                let own = by_person.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                assert_eq!(
                    spouse.total_income,
                    total_income(own, spouse.birth_date, year)
                );
                assert!(spouse.total_income <= 1_330_000);
                assert!(
                    claimed.insert(key, taxpayer.clone()).is_none(),
                    "claimed twice"
                );
                spouses += 1;
            }
            assert!(row.dependents.len() <= 4);
            for d in &row.dependents {
                let key = (d.name.clone(), d.birth_date);
                if shared.contains(&key) {
                    continue;
                }
                let Some(&(their_house, relative)) = household_of.get(&key) else {
                    panic!("dependent not in the population: {key:?}");
                };
                assert_eq!(their_house, house, "dependent of another household");
                assert!(relative.resident_from <= jan1);
                assert!(d.lives_with);
                let own = by_person.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                assert_eq!(d.total_income, total_income(own, d.birth_date, year));
                assert!(d.total_income <= 580_000);
                let age = age_on(d.birth_date, year_end);
                match d.relation {
                    RelationCode::Child => assert!(age + 15 <= claimer_age, "{age} {claimer_age}"),
                    RelationCode::Parent => {
                        assert!(age >= claimer_age + 15);
                        parents += 1;
                    }
                    RelationCode::Other => {}
                }
                assert_ne!(relative.relationship, Relationship::Cohabitant);
                assert!(
                    claimed.insert(key, taxpayer.clone()).is_none(),
                    "claimed twice"
                );
                dependents += 1;
            }
        }
    }
    assert!(spouses > 1_000, "{spouses}");
    assert!(dependents > 1_000, "{dependents}");
    assert!(parents > 10, "{parents}");
    // Persons who became residents after 1 January have no record.
    let late: HashSet<Key> = households
        .iter()
        .flat_map(|h| &h.members)
        .filter(|p| p.resident_from > jan1)
        .map(key_of)
        .collect();
    assert!(!late.is_empty());
    assert!(
        rows.iter()
            .all(|r| !late.contains(&(r.name.clone(), r.birth_date)))
    );
}

#[test]
fn pensions_salaries_and_corrections_are_plausible() {
    let year = 2026;
    let (households, rows, _) = chunk_rows(13, year);
    let year_end = kiban_income::income_year_end(fiscal(year));
    let by_person = effective(&rows);
    let persons: Vec<&DemoPerson> = households.iter().flat_map(|h| &h.members).collect();
    let elderly: Vec<_> = persons
        .iter()
        .filter(|p| age_on(p.birth_date, year_end) >= 65 && p.resident_from <= date(2026, 1, 1))
        .collect();
    let with_pension = elderly
        .iter()
        .filter(|p| {
            by_person
                .get(&key_of(p))
                .is_some_and(|rows| rows.iter().any(|r| r.source == Source::PensionReport))
        })
        .count();
    assert!(
        with_pension * 100 > elderly.len() * 90,
        "{with_pension} of {}",
        elderly.len()
    );
    // Nobody under 60 has a pension; no child under 15 has a salary.
    for row in &rows {
        let age = age_on(row.birth_date, year_end);
        if row.public_pension_revenue > 0 {
            assert!(age >= 60);
        }
        if row.salary_revenue > 0 {
            assert!(age >= 16);
            // Social insurance is a share of pay, never more than a fifth.
            assert!(row.social_insurance * 5 <= row.salary_revenue + 1_000_000);
        }
    }
    // Men in their fifties earn more than men in their twenties.
    let median = |low: u32, high: u32| {
        let mut pay: Vec<i64> = rows
            .iter()
            .filter(|r| r.source == Source::SalaryReport && r.sex == kiban_core::Sex::Male)
            .filter(|r| (low..=high).contains(&age_on(r.birth_date, year_end)))
            .map(|r| r.salary_revenue)
            .collect();
        pay.sort_unstable();
        pay.get(pay.len() / 2).copied().unwrap_or(0)
    };
    assert!(median(50, 59) > median(20, 29) * 3 / 2);
    // A corrected report repeats the person, the source and the payer.
    let mut seen = HashSet::new();
    let mut corrections = 0;
    for row in &rows {
        if !seen.insert((
            row.name.clone(),
            row.birth_date,
            row.source,
            row.payer_number.clone(),
        )) {
            corrections += 1;
        }
    }
    assert!(corrections > 20, "{corrections}");
}

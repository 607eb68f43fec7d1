//! Resident-tax calculations per second, in process: the domain calculation
//! alone, and the whole `kiban_calc::run` path from JSON to JSON.
//!
//! Run with `cargo bench -p kiban-tax-resident -- --quick`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kiban_core::{FiscalYear, Rate, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_tax_resident::{
    CityKind, DeductionClaims, Dependent, DependentRelation, Disability, LocalRates,
    NonTaxableGrade, ResidentTaxInput, Spouse, Taxpayer, calculate,
};

fn niigata_input() -> Option<ResidentTaxInput> {
    let child = |age| Dependent {
        age: BirthOrAge::Age(age),
        total_income: Yen::ZERO,
        relation: DependentRelation::Child,
        lives_with_taxpayer: true,
        disability: Disability::None,
    };
    Some(ResidentTaxInput {
        fiscal_year: FiscalYear::new(2026).ok()?,
        rates: LocalRates {
            municipal_income_rate: Rate::parse("0.08").ok(),
            prefectural_income_rate: Rate::parse("0.02").ok(),
            municipal_per_capita: Some(Yen::new(3000)),
            prefectural_per_capita: Some(Yen::new(1000)),
            city_kind: Some(CityKind::Designated),
        },
        grade: NonTaxableGrade::First,
        taxpayer: Taxpayer {
            age: BirthOrAge::Age(42),
            revenues: Revenues {
                salary_revenue: Yen::new(5_000_000),
                ..Revenues::default()
            },
            claims: DeductionClaims {
                social_insurance: Yen::new(500_000),
                ..DeductionClaims::default()
            },
        },
        spouse: Some(Spouse {
            age: BirthOrAge::Age(40),
            total_income: Yen::ZERO,
            disability: Disability::None,
        }),
        dependents: vec![child(18), child(14)],
    })
}

const NIIGATA_JSON: &str = r#"{
  "fiscal_year": 2026,
  "rates": {"municipal_income_rate": "0.08", "prefectural_income_rate": "0.02",
            "municipal_per_capita": 3000, "prefectural_per_capita": 1000},
  "non_taxable_grade": 1,
  "taxpayer": {
    "birth_date": "1983-06-10",
    "income": {"salary_revenue": 5000000, "public_pension_revenue": 0, "business_income": 0,
               "real_estate_income": 0, "misc_income": 0},
    "deductions": {"social_insurance": 500000, "small_business_mutual_aid": 0,
      "life_insurance": {"new_general": 0, "new_pension": 0, "care_medical": 0,
                         "old_general": 0, "old_pension": 0},
      "earthquake_insurance": 0, "medical_expenses": 0,
      "disability": "none", "widow": false, "single_parent": false, "working_student": false}
  },
  "spouse": {"birth_date": "1985-04-01", "total_income": 0, "disability": "none"},
  "dependents": [
    {"birth_date": "2007-05-01", "total_income": 0, "relation": "child", "lives_with_taxpayer": true, "disability": "none"},
    {"birth_date": "2011-05-01", "total_income": 0, "relation": "child", "lives_with_taxpayer": true, "disability": "none"}
  ]
}"#;

fn bench(c: &mut Criterion) {
    let Some(input) = niigata_input() else {
        return;
    };
    let mut group = c.benchmark_group("resident_tax");
    group.throughput(Throughput::Elements(1));
    group.bench_function("calculate (domain)", |b| {
        b.iter(|| calculate(black_box(&input)))
    });
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(NIIGATA_JSON) {
        group.bench_function("kiban_calc::run from JSON value", |b| {
            b.iter(|| kiban_calc::run("resident-tax", black_box(&json)))
        });
        group.bench_function("kiban_calc::run from JSON text", |b| {
            b.iter(|| {
                serde_json::from_str::<serde_json::Value>(black_box(NIIGATA_JSON))
                    .map(|v| kiban_calc::run("resident-tax", &v))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! NHI-tax calculations per second, in process: the domain calculation alone
//! and the whole `kiban_calc::run` path from JSON.
//!
//! Run with `cargo bench -p kiban-nhi -- --quick`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kiban_core::{FiscalYear, Rate, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_nhi::{Member, MemberStatus, NhiInput, Part, PartRates, calculate};

fn family_input() -> Option<NhiInput> {
    let part = |rate: &str, per_capita, per_household| -> Option<PartRates> {
        Some(PartRates {
            income_rate: Rate::parse(rate).ok()?,
            asset_rate: Rate::ZERO,
            per_capita: Yen::new(per_capita),
            per_household: Yen::new(per_household),
            annual_cap: None,
        })
    };
    let member = |age, revenues| Member {
        age: BirthOrAge::Age(age),
        status: MemberStatus::Insured,
        revenues,
    };
    Some(NhiInput {
        fiscal_year: FiscalYear::new(2025).ok()?,
        rates: vec![
            (Part::Medical, part("0.0961", 26_663, 22_825)?),
            (Part::ElderlySupport, part("0.0314", 9_539, 7_355)?),
            (Part::CareSupport, part("0.025", 10_000, 7_000)?),
        ],
        fixed_asset_tax: Yen::ZERO,
        members: vec![
            member(
                45,
                Revenues {
                    salary_revenue: Yen::new(3_200_000),
                    ..Revenues::default()
                },
            ),
            member(
                43,
                Revenues {
                    salary_revenue: Yen::new(900_000),
                    ..Revenues::default()
                },
            ),
            member(10, Revenues::default()),
            member(4, Revenues::default()),
        ],
        local_reductions: Vec::new(),
    })
}

const SETOUCHI_JSON: &str = r#"{
  "fiscal_year": 2025,
  "rates": {
    "medical":         {"income_rate": "0.0961", "asset_rate": "0", "per_capita": 26663, "per_household": 22825, "annual_cap": 660000},
    "elderly_support": {"income_rate": "0.0314", "per_capita": 9539, "per_household": 7355, "annual_cap": 260000},
    "care_support":    {"income_rate": "0.0250", "per_capita": 10000, "per_household": 7000, "annual_cap": 170000}
  },
  "household": {
    "head_insured": true,
    "fixed_asset_tax": 0,
    "members": [{"birth_date": "1952-06-01", "insured": true,
                 "income": {"salary_revenue": 0, "public_pension_revenue": 1600000,
                            "business_income": 0, "real_estate_income": 0, "misc_income": 0}}]
  },
  "local_reductions": [
    {"kind": "per_capita_for_children", "parts": ["medical", "elderly_support"], "max_age": 18, "ratio": "0.8"}
  ]
}"#;

fn bench(c: &mut Criterion) {
    let Some(input) = family_input() else {
        return;
    };
    let mut group = c.benchmark_group("nhi_tax");
    group.throughput(Throughput::Elements(1));
    group.bench_function("calculate (domain, household of four)", |b| {
        b.iter(|| calculate(black_box(&input)))
    });
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(SETOUCHI_JSON) {
        group.bench_function("kiban_calc::run from JSON value", |b| {
            b.iter(|| kiban_calc::run("nhi-tax", black_box(&json)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

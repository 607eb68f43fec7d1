//! The annual assessment, reassessment and settings of the resident tax on
//! both engines, through the business path: registry persons → income
//! records → the job `resident-tax-assessment` → the assessment read.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use kiban_addressee::domain::AddresseeId;
use kiban_audit::Actor;
use kiban_core::{Date, FiscalYear, MunicipalityCode, Sex, Yen};
use kiban_jobs::engine::{self, EngineOptions, RunInfo, Status};
use kiban_jobs::kind::Kinds;
use kiban_registry::domain::{
    Action, AddressDraft, AddressText, Death, MoveInCommand, MoveInPerson, MoveOut,
    MovementCommand, PersonId, PersonInputDraft,
};
use kiban_registry::storage::record_movement;
use kiban_resident_tax::domain::income::{
    CollectionMethod, DependentRecord, DependentRelation, DisabilityClass, IncomeRecord,
    IncomeSource, SpouseRecord,
};
use kiban_resident_tax::domain::settings::SettingsInput;
use kiban_resident_tax::jobs::{
    ASSESSMENT_JOB, NOTICES_JOB, ResidentTaxAssessment, ResidentTaxNotices,
    ResidentTaxSpecialNotices, SPECIAL_NOTICES_JOB,
};
use kiban_resident_tax::storage::{assessment, income, settings};
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Backend, TenantDb};
use serde_json::{Value, json};

const DEMO: &str = "990019";
const OTHER: &str = "131016";
const TODAY: &str = "2026-12-01";

fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

fn fy() -> FiscalYear {
    FiscalYear::new(2026).unwrap()
}

fn clerk() -> Actor {
    Actor::new("tax", "tax_clerk")
}

async fn setup(backend: Backend) -> (TestDatabase, TenantDb, TenantDb) {
    let t = TestDatabase::new(backend).await.unwrap();
    for (code, name) in [(DEMO, "デモ市"), (OTHER, "千代田区")] {
        platform::create_municipality(
            &t.db,
            &Municipality {
                code: MunicipalityCode::parse(code).unwrap(),
                name: name.into(),
                prefecture: "新潟県".into(),
            },
        )
        .await
        .unwrap();
    }
    let demo =
        t.db.tenant(MunicipalityCode::parse(DEMO).unwrap())
            .await
            .unwrap();
    let other =
        t.db.tenant(MunicipalityCode::parse(OTHER).unwrap())
            .await
            .unwrap();
    (t, demo, other)
}

/// A person moving in alone on `date`; answers the number.
async fn arrive(tenant: &TenantDb, date: &str, birth: &str, kana: &str) -> PersonId {
    let input = PersonInputDraft {
        name: "新潟 太郎".into(),
        name_kana: kana.into(),
        birth_date: birth.into(),
        sex: "male".into(),
        relationship: "head".into(),
        ..PersonInputDraft::default()
    }
    .parse("person")
    .unwrap();
    let recorded = record_movement(
        tenant,
        &Actor::new("clerk", "registry_clerk"),
        MovementCommand {
            event_date: d(date),
            notified_on: d(date),
            action: Action::MoveIn(MoveInCommand {
                persons: vec![MoveInPerson {
                    returning_person_id: None,
                    input,
                }],
                address: AddressDraft {
                    postal_code: "9518501".into(),
                    address_line: "新潟県新潟市中央区学校町通1番町602番地1".into(),
                    katagaki: None,
                }
                .parse("address")
                .unwrap(),
                previous_address: AddressText::parse("東京都千代田区千代田1番1号").unwrap(),
                household_id: None,
            }),
        },
        d(TODAY),
    )
    .await
    .unwrap();
    recorded.persons[0].person_id
}

async fn leave(tenant: &TenantDb, date: &str, person: PersonId, died: bool) {
    let action = if died {
        Action::Death(Death {
            person_id: person,
            new_head_person_id: None,
        })
    } else {
        Action::MoveOut(MoveOut {
            person_ids: vec![person],
            destination_address: AddressText::parse("北海道札幌市中央区1番").unwrap(),
            new_head_person_id: None,
        })
    };
    record_movement(
        tenant,
        &Actor::new("clerk", "registry_clerk"),
        MovementCommand {
            event_date: d(date),
            notified_on: d(date),
            action,
        },
        d(TODAY),
    )
    .await
    .unwrap();
}

/// The salary report of calc-v1's worked example (新潟市, 令和8年度):
/// salary 5,000,000, social insurance 500,000, a spouse without income,
/// children aged 18 and 14.
fn niigata_record(collection: CollectionMethod) -> IncomeRecord {
    IncomeRecord {
        source: IncomeSource::SalaryReport,
        payer_number: Some("00012345".into()),
        payer_name: Some("株式会社デモ".into()),
        payer_postal_code: None,
        payer_address: None,
        collection,
        name: "新潟 太郎".into(),
        name_kana: "ニイガタ タロウ".into(),
        birth_date: d("1983-06-10"),
        sex: Some(Sex::Male),
        address_on_jan1: "新潟県新潟市中央区学校町通1番町602番地1".into(),
        individual_number: None,
        salary_revenue: 5_000_000,
        public_pension_revenue: 0,
        business_income: 0,
        real_estate_income: 0,
        misc_income: 0,
        social_insurance: 500_000,
        small_business_mutual_aid: 0,
        life_insurance_new_general: 0,
        life_insurance_new_pension: 0,
        life_insurance_care_medical: 0,
        life_insurance_old_general: 0,
        life_insurance_old_pension: 0,
        earthquake_insurance: 0,
        medical_expenses: 0,
        disability: DisabilityClass::None,
        widow: false,
        single_parent: false,
        working_student: false,
        spouse: Some(SpouseRecord {
            name: "新潟 花子".into(),
            birth_date: d("1985-04-01"),
            total_income: 0,
            disability: DisabilityClass::None,
        }),
        dependents: vec![
            DependentRecord {
                name: "新潟 一郎".into(),
                birth_date: d("2007-05-01"),
                relation: DependentRelation::Child,
                total_income: 0,
                disability: DisabilityClass::None,
                lives_with: true,
            },
            DependentRecord {
                name: "新潟 次郎".into(),
                birth_date: d("2011-05-01"),
                relation: DependentRelation::Child,
                total_income: 0,
                disability: DisabilityClass::None,
                lives_with: true,
            },
        ],
    }
}

async fn store(tenant: &TenantDb, rows: Vec<(PersonId, IncomeRecord)>) {
    let rows: Vec<(Option<AddresseeId>, IncomeRecord)> = rows
        .into_iter()
        .map(|(p, r)| (Some(AddresseeId::new(p.get())), r))
        .collect();
    let mut tx = tenant.begin().await.unwrap();
    income::store_records(&mut tx, fy(), None, &rows)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn designated_city(tenant: &TenantDb) {
    settings::put(
        tenant,
        &clerk(),
        fy(),
        &SettingsInput {
            municipal_income_rate: Some("0.08".into()),
            prefectural_income_rate: Some("0.02".into()),
            ..SettingsInput::default()
        },
    )
    .await
    .unwrap();
}

fn kinds() -> Kinds {
    Kinds::new(vec![
        Box::new(ResidentTaxAssessment),
        Box::new(ResidentTaxNotices),
        Box::new(ResidentTaxSpecialNotices),
    ])
}

/// Runs a job of the business to its end; answers the run.
async fn run_kind(tenant: &TenantDb, job: &str, params: &[(&str, &str)]) -> RunInfo {
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let id = engine::submit(tenant, &kinds(), job, &params, "tax")
        .await
        .unwrap();
    let options = EngineOptions {
        chunk_size: 5_000,
        backoff: Duration::ZERO,
        max_attempts: 1,
        ..EngineOptions::default()
    };
    engine::run_to_end(tenant, &kinds(), id, &options, Duration::ZERO, |_| {})
        .await
        .unwrap();
    engine::status(tenant, id).await.unwrap().unwrap()
}

/// Runs the assessment to its end; answers the run's subject errors.
async fn run_job(tenant: &TenantDb, extra: &[(&str, &str)]) -> Vec<String> {
    let mut params = vec![("fiscal_year", "2026"), ("assessed_on", "2026-05-20")];
    params.extend_from_slice(extra);
    let run = run_kind(tenant, ASSESSMENT_JOB, &params).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    run.errors
        .iter()
        .map(|e| format!("{}:{}", e.subject, e.code))
        .collect()
}

async fn read(tenant: &TenantDb, person: PersonId) -> Option<Value> {
    assessment::read(tenant, &clerk(), fy(), AddresseeId::new(person.get()))
        .await
        .unwrap()
        .map(|v| v.to_json().unwrap())
}

async fn count(tenant: &TenantDb, sql: &str) -> i64 {
    let mut tx = tenant.begin().await.unwrap();
    let n = tx
        .fetch_optional(sql, &[])
        .await
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap();
    tx.rollback().await.unwrap();
    n
}

fn amounts(v: &Value, list: &str) -> Vec<i64> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["amount"].as_i64().unwrap())
        .collect()
}

/// calc-v1's published example reproduces to the yen through the business
/// path, and the employer collects it month by month.
#[tokio::test]
async fn the_worked_example_through_the_business_path() {
    for backend in BACKENDS {
        let (_t, demo, _) = setup(backend).await;
        designated_city(&demo).await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        store(
            &demo,
            vec![(taro, niigata_record(CollectionMethod::Special))],
        )
        .await;
        assert!(run_job(&demo, &[]).await.is_empty());
        let a = read(&demo, taro).await.unwrap();
        assert_eq!(a["total"], json!(194_500), "{backend:?}");
        assert_eq!(a["version"], json!(1));
        assert_eq!(a["assessed_on"], json!("2026-05-20"));
        assert_eq!(a["collection"], json!("special"));
        let c = &a["calculation"];
        assert_eq!(c["employment_income"], json!(3_560_000));
        assert_eq!(c["deductions"]["total"], json!(1_590_000));
        assert_eq!(c["tax_base"], json!(1_970_000));
        assert_eq!(c["municipal"]["income_levy"], json!(151_600));
        assert_eq!(c["prefectural"]["income_levy"], json!(37_900));
        assert_eq!(c["forest_environment_tax"], json!(1_000));
        assert!(c["working"].as_array().unwrap().len() > 10);
        // Exactly calc-v1's output for the contract's input.
        let contract = kiban_calc::run(
            "resident-tax",
            &json!({
              "fiscal_year": 2026,
              "rates": {"municipal_income_rate": "0.08", "prefectural_income_rate": "0.02",
                        "municipal_per_capita": 3000, "prefectural_per_capita": 1000},
              "non_taxable_grade": 1,
              "taxpayer": {"birth_date": "1983-06-10",
                           "income": {"salary_revenue": 5000000},
                           "deductions": {"social_insurance": 500000}},
              "spouse": {"birth_date": "1985-04-01", "total_income": 0, "disability": "none"},
              "dependents": [
                {"birth_date": "2007-05-01", "total_income": 0, "relation": "child", "lives_with_taxpayer": true, "disability": "none"},
                {"birth_date": "2011-05-01", "total_income": 0, "relation": "child", "lives_with_taxpayer": true, "disability": "none"}
              ]
            }),
        )
        .unwrap();
        assert_eq!(c, &contract);
        assert_eq!(a["installments"], json!([]));
        let special = &a["special_collection"];
        assert_eq!(special["payer_number"], json!("00012345"));
        let monthly: Vec<(String, i64)> = special["monthly"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["month"].as_str().unwrap().to_owned(),
                    m["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(monthly.len(), 12);
        assert_eq!(monthly[0], ("2026-06".to_owned(), 16_300));
        assert_eq!(monthly[1], ("2026-07".to_owned(), 16_200));
        assert_eq!(monthly[11], ("2027-05".to_owned(), 16_200));
        // The event of the version, in the same transaction.
        let events = count(
            &demo,
            "SELECT COUNT(*) FROM outbox WHERE municipality_code = $1 AND event_kind = 'resident_tax_assessed'",
        )
        .await;
        assert_eq!(events, 1);
        let mut tx = demo.begin().await.unwrap();
        let payload = tx
            .fetch_optional(
                "SELECT payload FROM outbox WHERE municipality_code = $1 AND event_kind = 'resident_tax_assessed'",
                &[],
            )
            .await
            .unwrap()
            .unwrap()
            .text(0)
            .unwrap();
        tx.rollback().await.unwrap();
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(payload["fiscal_year"], json!(2026));
        assert_eq!(payload["addressee_id"], json!(taro.get()));
        assert_eq!(payload["version"], json!(1));
        assert_eq!(payload["installments"], json!([]));
        assert_eq!(
            payload["special_collection"]["monthly"][0]["amount"],
            json!(16_300)
        );
    }
}

/// Ordinary collection: four installments, one notice number for all.
#[tokio::test]
async fn ordinary_collection_in_four_installments() {
    for backend in BACKENDS {
        let (_t, demo, _) = setup(backend).await;
        designated_city(&demo).await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        store(
            &demo,
            vec![(taro, niigata_record(CollectionMethod::Ordinary))],
        )
        .await;
        run_job(&demo, &[]).await;
        let a = read(&demo, taro).await.unwrap();
        assert_eq!(a["collection"], json!("ordinary"));
        assert_eq!(
            amounts(&a, "installments"),
            vec![50_500, 48_000, 48_000, 48_000]
        );
        let dues: Vec<&str> = a["installments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["due_date"].as_str().unwrap())
            .collect();
        assert_eq!(
            dues,
            vec!["2026-06-30", "2026-08-31", "2026-11-02", "2027-02-01"]
        );
        let number = a["installments"][0]["notice_number"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(number.len(), 12);
        assert!(number.starts_with("2601"), "{number}");
        assert!(
            a["installments"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["notice_number"] == json!(number))
        );
        assert_eq!(a["special_collection"], Value::Null);
    }
}

/// Liable: residents on 1 January. Moved in on 2 January: not liable;
/// moved out or died on 2 January: liable; persons without any income
/// record are assessed with zero income.
#[tokio::test]
async fn liability_on_1_january() {
    for backend in BACKENDS {
        let (_t, demo, other) = setup(backend).await;
        let moved_in_jan2 = arrive(&demo, "2026-01-02", "1980-01-01", "イチ").await;
        let moved_in_dec31 = arrive(&demo, "2025-12-31", "1980-01-01", "ニ").await;
        let moved_out_jan2 = arrive(&demo, "2019-01-01", "1980-01-01", "サン").await;
        leave(&demo, "2026-01-02", moved_out_jan2, false).await;
        let died_jan2 = arrive(&demo, "2019-01-01", "1940-01-01", "ヨン").await;
        leave(&demo, "2026-01-02", died_jan2, true).await;
        let moved_out_jan1 = arrive(&demo, "2019-01-01", "1980-01-01", "ゴ").await;
        leave(&demo, "2026-01-01", moved_out_jan1, false).await;
        assert!(run_job(&demo, &[]).await.is_empty());
        assert!(read(&demo, moved_in_jan2).await.is_none(), "{backend:?}");
        assert!(read(&demo, moved_out_jan1).await.is_none());
        for liable in [moved_in_dec31, moved_out_jan2, died_jan2] {
            let a = read(&demo, liable).await.unwrap();
            assert_eq!(a["total"], json!(0), "{backend:?} {liable:?}");
            assert_eq!(a["calculation"]["non_taxable"], json!("all"));
            assert_eq!(a["installments"], json!([]));
        }
        // Another municipality sees none of them.
        assert!(read(&other, moved_in_dec31).await.is_none());
        assert!(
            assessment::versions(
                &other,
                &clerk(),
                fy(),
                AddresseeId::new(moved_in_dec31.get())
            )
            .await
            .unwrap()
            .is_empty()
        );
    }
}

/// Re-running changes nothing already assessed; `reassess=true` makes a
/// new version only where the calculation changed.
#[tokio::test]
async fn rerunning_changes_nothing_already_assessed() {
    for backend in BACKENDS {
        let (_t, demo, _) = setup(backend).await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        let jiro = arrive(&demo, "2020-04-01", "1990-01-01", "ジロウ").await;
        store(
            &demo,
            vec![(taro, niigata_record(CollectionMethod::Ordinary))],
        )
        .await;
        run_job(&demo, &[]).await;
        let rows = "SELECT COUNT(*) FROM resident_tax_assessments WHERE municipality_code = $1";
        assert_eq!(count(&demo, rows).await, 2);
        run_job(&demo, &[]).await;
        run_job(&demo, &[("reassess", "true")]).await;
        assert_eq!(count(&demo, rows).await, 2, "{backend:?}");
        // Jiro declares business income: only he gets a new version.
        let mut declared = niigata_record(CollectionMethod::Ordinary);
        declared.source = IncomeSource::Declaration;
        declared.payer_number = None;
        declared.salary_revenue = 0;
        declared.business_income = 3_000_000;
        declared.social_insurance = 0;
        declared.spouse = None;
        declared.dependents = Vec::new();
        declared.birth_date = d("1990-01-01");
        store(&demo, vec![(jiro, declared)]).await;
        run_job(
            &demo,
            &[("reassess", "true"), ("assessed_on", "2026-07-15")],
        )
        .await;
        assert_eq!(count(&demo, rows).await, 3);
        let j = read(&demo, jiro).await.unwrap();
        assert_eq!(j["version"], json!(2));
        assert!(j["total"].as_i64().unwrap() > 0);
        // Period 1 was due on 30 June: the whole tax is spread over 2–4.
        let periods: Vec<i64> = j["installments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["period"].as_i64().unwrap())
            .collect();
        assert_eq!(periods, vec![2, 3, 4]);
        assert_eq!(read(&demo, taro).await.unwrap()["version"], json!(1));
    }
}

/// 更正: a corrected report and a reassessment make version 2; the periods
/// already due keep their amounts; every version stays readable.
#[tokio::test]
async fn reassessment_keeps_versions_and_due_periods() {
    for backend in BACKENDS {
        let (_t, demo, _) = setup(backend).await;
        designated_city(&demo).await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        store(
            &demo,
            vec![(taro, niigata_record(CollectionMethod::Ordinary))],
        )
        .await;
        run_job(&demo, &[]).await;
        let mut corrected = niigata_record(CollectionMethod::Ordinary);
        corrected.salary_revenue = 5_500_000;
        store(&demo, vec![(taro, corrected)]).await;
        let id = AddresseeId::new(taro.get());
        let v2 = assessment::reassess(&demo, &clerk(), fy(), id, d("2026-09-10"))
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let a = v2.to_json().unwrap();
        assert!(a["total"].as_i64().unwrap() > 194_500, "{backend:?}");
        let inst = amounts(&a, "installments");
        assert_eq!(&inst[..2], &[50_500, 48_000]);
        assert_eq!(inst.iter().sum::<i64>(), a["total"].as_i64().unwrap());
        // A decrease later: from the last period backwards.
        let mut lower = niigata_record(CollectionMethod::Ordinary);
        lower.salary_revenue = 4_800_000;
        store(&demo, vec![(taro, lower)]).await;
        let v3 = assessment::reassess(&demo, &clerk(), fy(), id, d("2026-11-20"))
            .await
            .unwrap();
        let a3 = v3.to_json().unwrap();
        let inst3 = amounts(&a3, "installments");
        assert_eq!(&inst3[..3], &inst[..3]);
        assert_eq!(inst3.iter().sum::<i64>(), a3["total"].as_i64().unwrap());
        let versions = assessment::versions(&demo, &clerk(), fy(), id)
            .await
            .unwrap();
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(versions[0].total, Yen::new(194_500));
        assert_eq!(
            count(
                &demo,
                "SELECT COUNT(*) FROM outbox WHERE municipality_code = $1 AND event_kind = 'resident_tax_assessed'"
            )
            .await,
            3
        );
        // A person never assessed cannot be reassessed.
        let err = assessment::reassess(
            &demo,
            &clerk(),
            fy(),
            AddresseeId::new(999_999),
            d("2026-09-10"),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, assessment::AssessmentError::NotAssessed));
    }
}

/// A dependent claimed by two taxpayers is assessed for both and flagged.
#[tokio::test]
async fn a_dependent_claimed_twice_is_flagged() {
    for backend in BACKENDS {
        let (_t, demo, _) = setup(backend).await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        let hanako = arrive(&demo, "2020-04-01", "1985-04-01", "ニイガタ ハナコ").await;
        let mut hers = niigata_record(CollectionMethod::Ordinary);
        hers.birth_date = d("1985-04-01");
        hers.spouse = None;
        hers.salary_revenue = 3_000_000;
        hers.dependents.truncate(1);
        store(
            &demo,
            vec![
                (taro, niigata_record(CollectionMethod::Ordinary)),
                (hanako, hers),
            ],
        )
        .await;
        assert!(run_job(&demo, &[]).await.is_empty());
        for person in [taro, hanako] {
            let a = read(&demo, person).await.unwrap();
            assert_eq!(
                a["review"],
                json!(["dependent_claimed_twice"]),
                "{backend:?}"
            );
            assert!(a["total"].as_i64().unwrap() > 0);
        }
    }
}

/// Settings: defaults filled in, every PUT a new version, the latest in
/// force.
#[tokio::test]
async fn settings_are_versioned() {
    for backend in BACKENDS {
        let (_t, demo, other) = setup(backend).await;
        let s = settings::get(&demo, fy()).await.unwrap();
        assert_eq!(s.installment_unit, 1000);
        let input = SettingsInput {
            installment_unit: Some(100),
            collection_agency_code: Some("12345".into()),
            ..SettingsInput::default()
        };
        settings::put(&demo, &clerk(), fy(), &input).await.unwrap();
        designated_city(&demo).await;
        let s = settings::get(&demo, fy()).await.unwrap();
        // The second PUT left the unit out: the default again.
        assert_eq!(s.installment_unit, 1000, "{backend:?}");
        assert_eq!(s.rates.municipal_income_rate.to_string(), "0.08");
        assert_eq!(
            count(
                &demo,
                "SELECT COUNT(*) FROM resident_tax_settings WHERE municipality_code = $1"
            )
            .await,
            2
        );
        assert_eq!(
            settings::get(&other, fy())
                .await
                .unwrap()
                .rates
                .municipal_income_rate
                .to_string(),
            "0.06"
        );
        let bad = SettingsInput {
            non_taxable_grade: Some(7),
            ..SettingsInput::default()
        };
        let err = settings::put(&demo, &clerk(), fy(), &bad)
            .await
            .unwrap_err();
        assert!(
            matches!(err, settings::SettingsStoreError::Invalid(e) if e.field == "non_taxable_grade")
        );
    }
}

/// A fiscal year without rule data is refused by the job.
#[tokio::test]
async fn a_year_without_rules_is_refused() {
    for backend in BACKENDS {
        let (_t, demo, _) = setup(backend).await;
        let kinds = Kinds::new(vec![Box::new(ResidentTaxAssessment)]);
        let params: BTreeMap<String, String> =
            [("fiscal_year".to_owned(), "2019".to_owned())].into();
        let err = engine::submit(&demo, &kinds, ASSESSMENT_JOB, &params, "tax").await;
        assert!(err.is_err(), "{backend:?}");
    }
}

/// The certifier (市区町村長) the notices are issued by (the certificate
/// crate's table, written directly: this crate does not depend on it).
async fn set_certifier(tenant: &TenantDb, title: &str, name: &str) {
    let mut tx = tenant.begin().await.unwrap();
    tx.insert_rows(
        "certifier_settings",
        &[
            "version",
            "mayor_title",
            "mayor_name",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            kiban_store::Arg::Int(1),
            kiban_store::Arg::from(title),
            kiban_store::Arg::from(name),
            kiban_store::Arg::from("2026-06-01T00:00:00Z"),
            kiban_store::Arg::from("admin"),
        ]],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn output(tenant: &TenantDb, run: &RunInfo, name: &str) -> Vec<u8> {
    engine::read_output(tenant, &kinds(), &clerk(), run.job_id, name)
        .await
        .unwrap()
        .unwrap()
        .content
}

/// 納税通知書: one per person with an ordinary part (none for a person whose
/// employer collects everything), in the order of the mail by the postal
/// code of the mailing address for the resident tax, with the index, one
/// `print` entry per person, the same files for the same data, nothing of
/// another municipality's, and a clear failure while no certifier is set.
#[tokio::test]
async fn notices_in_postal_order_with_their_index() {
    for backend in BACKENDS {
        let (_t, demo, other) = setup(backend).await;
        designated_city(&demo).await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        let jiro = arrive(&demo, "2020-04-01", "1985-02-01", "ニイガタ ジロウ").await;
        let saburo = arrive(&demo, "2020-04-01", "1987-03-03", "ニイガタ サブロウ").await;
        store(
            &demo,
            vec![
                (taro, niigata_record(CollectionMethod::Ordinary)),
                (jiro, niigata_record(CollectionMethod::Ordinary)),
                (saburo, niigata_record(CollectionMethod::Special)),
            ],
        )
        .await;
        run_job(&demo, &[]).await;
        kiban_addressee::storage::index_all(&demo).await.unwrap();
        // Jiro's letters of the resident tax go to Tokyo (100-0001), ahead
        // of Niigata (951-8501) in the mail.
        kiban_addressee::storage::set_mailing_address(
            &demo,
            &clerk(),
            &kiban_addressee::domain::MailingAddress {
                record_no: 0,
                addressee: AddresseeId::new(jiro.get()),
                business: kiban_addressee::domain::Business::ResidentTax,
                kind: kiban_addressee::domain::MailingKind::Mailing,
                name: "新潟 次郎".into(),
                address: kiban_addressee::domain::PostalAddress {
                    postal_code: Some(kiban_core::PostalCode::parse("1000001").unwrap()),
                    address_line: "東京都千代田区千代田1番1号".into(),
                    katagaki: Some("新潟方".into()),
                },
                valid_from: d("2026-04-01"),
                valid_until: None,
                recorded_at: String::new(),
                recorded_by: String::new(),
            },
        )
        .await
        .unwrap();
        let params = [("fiscal_year", "2026"), ("issued_on", "2026-06-10")];
        let refused = run_kind(&demo, NOTICES_JOB, &params).await;
        assert_eq!(refused.status, Status::Failed);
        assert!(
            refused.error.as_deref().unwrap_or("").contains("認証者"),
            "{:?}",
            refused.error
        );
        set_certifier(&demo, "新潟市長", "基盤 太郎").await;

        let run = run_kind(&demo, NOTICES_JOB, &params).await;
        assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
        assert!(run.errors.is_empty(), "{:?}", run.errors);
        let names: Vec<&str> = run.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["index.csv", "notices-0001.pdf"], "{backend:?}");
        let pdf = &run.outputs[1];
        assert_eq!(pdf.content_type, "application/pdf");
        assert_eq!(pdf.pages, Some(6));
        assert_eq!(run.outputs[0].rows, Some(2));
        let index = String::from_utf8(output(&demo, &run, "index.csv").await).unwrap();
        assert_eq!(
            index,
            format!(
                "addressee_id,file,first_page,pages\n{jiro},notices-0001.pdf,1,3\n{taro},notices-0001.pdf,4,3\n",
                jiro = jiro.get(),
                taro = taro.get()
            )
        );
        assert!(
            output(&demo, &run, "notices-0001.pdf")
                .await
                .starts_with(b"%PDF")
        );
        let printed = count(
            &demo,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE municipality_code = $1 AND action = 'print' \
                 AND person_id IN ({}, {}, {})",
                taro.get(),
                jiro.get(),
                saburo.get()
            ),
        )
        .await;
        assert_eq!(printed, 2);

        // The same data, the same day: the same file, byte for byte.
        let again = run_kind(&demo, NOTICES_JOB, &params).await;
        assert_eq!(again.outputs[1].sha256, pdf.sha256);

        // Only some persons; an addressee list that is not numbers is
        // refused naming the parameter.
        let one = run_kind(
            &demo,
            NOTICES_JOB,
            &[
                ("fiscal_year", "2026"),
                ("issued_on", "2026-06-10"),
                ("addressee_ids", &taro.get().to_string()),
            ],
        )
        .await;
        assert_eq!(one.outputs[0].rows, Some(1));
        let bad: BTreeMap<String, String> = [
            ("fiscal_year".to_owned(), "2026".to_owned()),
            ("addressee_ids".to_owned(), "12,abc".to_owned()),
        ]
        .into();
        let refused = engine::submit(&demo, &kinds(), NOTICES_JOB, &bad, "tax").await;
        assert!(
            format!("{refused:?}").contains("addressee_ids"),
            "{refused:?}"
        );

        // Another municipality sees none of these persons.
        set_certifier(&other, "千代田区長", "千代田 花子").await;
        let theirs = run_kind(&other, NOTICES_JOB, &params).await;
        assert_eq!(theirs.status, Status::Succeeded, "{:?}", theirs.error);
        let names: Vec<&str> = theirs.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["index.csv"]);
        assert_eq!(theirs.outputs[0].rows, Some(0));
    }
}

/// The salary report of `payer`, with the employer's address when given.
fn employer_record(payer: &str, address: Option<(&str, &str)>) -> IncomeRecord {
    let mut record = niigata_record(CollectionMethod::Special);
    record.payer_number = Some(payer.into());
    record.payer_name = Some(format!("株式会社{payer}"));
    if let Some((postal, line)) = address {
        record.payer_postal_code = Some(postal.into());
        record.payer_address = Some(line.into());
    }
    record
}

/// 特別徴収税額決定通知書: one per employer with employees collected by it
/// (a page per employee after the summary), in the order of the mail by
/// the postal code of the employer's address, with the index, one `print`
/// entry per employee, an employer without an address reported by its
/// number, the same files for the same data, and nothing of another
/// municipality's.
#[tokio::test]
async fn special_notices_per_employer_with_their_index() {
    for backend in BACKENDS {
        let (_t, demo, other) = setup(backend).await;
        designated_city(&demo).await;
        set_certifier(&demo, "新潟市長", "基盤 太郎").await;
        let taro = arrive(&demo, "2020-04-01", "1983-06-10", "ニイガタ タロウ").await;
        let jiro = arrive(&demo, "2020-04-01", "1985-02-01", "ニイガタ ジロウ").await;
        let saburo = arrive(&demo, "2020-04-01", "1987-03-03", "ニイガタ サブロウ").await;
        let shiro = arrive(&demo, "2020-04-01", "1989-04-04", "ニイガタ シロウ").await;
        let goro = arrive(&demo, "2020-04-01", "1990-05-05", "ニイガタ ゴロウ").await;
        let niigata = Some(("9518501", "新潟市中央区学校町通1番町602番地1"));
        let tokyo = Some(("1000001", "東京都千代田区千代田1番1号"));
        // The first report of 00012345 has no address; the second gives it.
        store(
            &demo,
            vec![
                (taro, employer_record("00012345", None)),
                (jiro, employer_record("00012345", niigata)),
                (saburo, employer_record("00099999", tokyo)),
                (shiro, employer_record("00077777", None)),
                (goro, niigata_record(CollectionMethod::Ordinary)),
            ],
        )
        .await;
        run_job(&demo, &[]).await;
        kiban_addressee::storage::index_all(&demo).await.unwrap();

        let params = [("fiscal_year", "2026"), ("issued_on", "2026-05-15")];
        let run = run_kind(&demo, SPECIAL_NOTICES_JOB, &params).await;
        assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
        let errors: Vec<(String, String)> = run
            .errors
            .iter()
            .map(|e| (e.subject.clone(), e.code.clone()))
            .collect();
        assert_eq!(
            errors,
            [("00077777".to_owned(), "no_employer_address".to_owned())]
        );
        let names: Vec<&str> = run.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            ["index.csv", "special-notices-0001.pdf"],
            "{backend:?}"
        );
        assert_eq!(run.outputs[1].pages, Some(5));
        let index = String::from_utf8(output(&demo, &run, "index.csv").await).unwrap();
        assert_eq!(
            index,
            "payer_number,file,first_page,pages\n\
             00099999,special-notices-0001.pdf,1,2\n\
             00012345,special-notices-0001.pdf,3,3\n"
        );
        let pdf = output(&demo, &run, "special-notices-0001.pdf").await;
        assert!(pdf.starts_with(b"%PDF"));
        let printed = count(
            &demo,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE municipality_code = $1 AND action = 'print' \
                 AND person_id IN ({}, {}, {}, {}, {})",
                taro.get(),
                jiro.get(),
                saburo.get(),
                shiro.get(),
                goro.get()
            ),
        )
        .await;
        assert_eq!(printed, 3);

        // The same data, the same day: the same file, byte for byte.
        let again = run_kind(&demo, SPECIAL_NOTICES_JOB, &params).await;
        assert_eq!(again.outputs[1].sha256, run.outputs[1].sha256);

        // One employer only; a list that is not payer numbers is refused
        // naming the parameter.
        let one = run_kind(
            &demo,
            SPECIAL_NOTICES_JOB,
            &[
                ("fiscal_year", "2026"),
                ("issued_on", "2026-05-15"),
                ("payer_numbers", "00012345"),
            ],
        )
        .await;
        assert_eq!(one.outputs[0].rows, Some(1));
        assert_eq!(one.outputs[1].pages, Some(3));
        let bad: BTreeMap<String, String> = [
            ("fiscal_year".to_owned(), "2026".to_owned()),
            ("payer_numbers".to_owned(), "00012345,株式会社".to_owned()),
        ]
        .into();
        let refused = engine::submit(&demo, &kinds(), SPECIAL_NOTICES_JOB, &bad, "tax").await;
        assert!(
            format!("{refused:?}").contains("payer_numbers"),
            "{refused:?}"
        );

        // Another municipality sees none of these employers.
        set_certifier(&other, "千代田区長", "千代田 花子").await;
        let theirs = run_kind(&other, SPECIAL_NOTICES_JOB, &params).await;
        assert_eq!(theirs.status, Status::Succeeded, "{:?}", theirs.error);
        let names: Vec<&str> = theirs.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["index.csv"]);
        assert_eq!(theirs.outputs[0].rows, Some(0));
    }
}

/// A non-resident registered with 基本4情報 (as the addressee master does).
async fn non_resident(tenant: &TenantDb) -> AddresseeId {
    use kiban_addressee::domain::{AddressDraft as Draft, BasicInfoDraft};
    let info = BasicInfoDraft {
        name: "新潟 太郎".into(),
        name_kana: "ニイガタ タロウ".into(),
        birth_date: "1983-06-10".into(),
        sex: "male".into(),
        address: Draft {
            postal_code: "5300001".into(),
            address_line: "大阪府大阪市北区梅田1-2-3".into(),
            katagaki: None,
        },
    }
    .parse(kiban_core::today_in_japan())
    .unwrap();
    kiban_addressee::storage::register_non_resident(
        tenant,
        &clerk(),
        &kiban_addressee::storage::NewNonResident {
            info,
            individual_number: None,
            effective_date: d("2020-01-01"),
            confirm_new: true,
        },
    )
    .await
    .unwrap()
    .addressee_id
}

/// 名寄せ: the same person held under two numbers (a resident, and a
/// non-resident registered again for a second employer's report) is
/// assessed once, under the surviving number, on both incomes; the merged
/// number has no assessment of its own. The same data without the merge
/// (another municipality) assesses two people.
#[tokio::test]
async fn a_merged_number_is_assessed_under_its_survivor() {
    for backend in BACKENDS {
        let (_t, demo, other) = setup(backend).await;
        let mut totals = Vec::new();
        for (tenant, merged) in [(&demo, true), (&other, false)] {
            designated_city(tenant).await;
            let resident = arrive(tenant, "2019-01-01", "1983-06-10", "ニイガタ タロウ").await;
            let twin = non_resident(tenant).await;
            let mut side_job = employer_record("00099999", None);
            side_job.collection = CollectionMethod::Ordinary;
            side_job.salary_revenue = 1_200_000;
            side_job.social_insurance = 0;
            side_job.spouse = None;
            side_job.dependents = Vec::new();
            store(
                tenant,
                vec![
                    (resident, niigata_record(CollectionMethod::Ordinary)),
                    (PersonId::new(twin.get()), side_job),
                ],
            )
            .await;
            if merged {
                kiban_addressee::storage::merge(
                    tenant,
                    &clerk(),
                    twin,
                    AddresseeId::new(resident.get()),
                    "同一人（住登外で重複登録）",
                )
                .await
                .unwrap();
            }
            assert!(run_job(tenant, &[]).await.is_empty(), "{backend:?}");
            let survivor = read(tenant, resident).await.unwrap();
            let twin_assessed = read(tenant, PersonId::new(twin.get())).await;
            assert_eq!(
                twin_assessed.is_some(),
                !merged,
                "{backend:?} merged={merged}"
            );
            totals.push(survivor["total"].as_i64().unwrap());
        }
        // On both salaries, the survivor owes more than on one.
        assert!(totals[0] > totals[1], "{backend:?}: {totals:?}");
    }
}

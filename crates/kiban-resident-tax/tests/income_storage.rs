//! Income records in storage on both engines: the seam the assessment
//! reads (`store_records`, `effective_records`, `addressees_with_records`).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use kiban_addressee::domain::AddresseeId;
use kiban_core::{FiscalYear, IndividualNumber, MunicipalityCode};
use kiban_resident_tax::domain::income::{
    CollectionMethod, DisabilityClass, IncomeRecord, IncomeSource,
};
use kiban_resident_tax::storage::income;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};

fn record(source: IncomeSource, payer: Option<&str>, salary: i64) -> IncomeRecord {
    IncomeRecord {
        source,
        payer_number: payer.map(str::to_owned),
        payer_name: payer.map(|_| "株式会社デモ".to_owned()),
        payer_postal_code: None,
        payer_address: None,
        collection: if payer.is_some() {
            CollectionMethod::Special
        } else {
            CollectionMethod::Ordinary
        },
        name: "山田　太郎".into(),
        name_kana: "ヤマダ　タロウ".into(),
        birth_date: "1980-04-01".parse().unwrap(),
        sex: None,
        address_on_jan1: "東京都千代田区霞が関1-1".into(),
        individual_number: None,
        salary_revenue: salary,
        public_pension_revenue: 0,
        business_income: 0,
        real_estate_income: 0,
        misc_income: 0,
        social_insurance: 0,
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
        spouse: None,
        dependents: Vec::new(),
    }
}

fn id(n: u64) -> AddresseeId {
    AddresseeId::new(n)
}

#[tokio::test]
async fn effective_records_keep_the_latest_report_per_person_source_and_payer() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await.unwrap();
        let db = &database.db;
        let code = MunicipalityCode::parse("990019").unwrap();
        platform::create_municipality(
            db,
            &Municipality {
                code,
                name: "デモ市".into(),
                prefecture: "東京都".into(),
            },
        )
        .await
        .unwrap();
        let tenant = db.tenant(code).await.unwrap();
        let year = FiscalYear::new(2026).unwrap();
        let mut numbered = record(IncomeSource::PensionReport, Some("P1"), 0);
        numbered.public_pension_revenue = 2_000_000;
        numbered.individual_number = Some(IndividualNumber::parse("123456789018").unwrap());
        let mut tx = tenant.begin().await.unwrap();
        income::store_records(
            &mut tx,
            year,
            None,
            &[
                (
                    Some(id(10)),
                    record(IncomeSource::SalaryReport, Some("A"), 3_000_000),
                ),
                (
                    Some(id(10)),
                    record(IncomeSource::SalaryReport, Some("B"), 1_000_000),
                ),
                (None, record(IncomeSource::Declaration, None, 500_000)),
                (Some(id(20)), numbered.clone()),
                (Some(id(30)), record(IncomeSource::Declaration, None, 100)),
            ],
        )
        .await
        .unwrap();
        // A corrected report from employer A, and one of another year.
        income::store_records(
            &mut tx,
            year,
            None,
            &[(
                Some(id(10)),
                record(IncomeSource::SalaryReport, Some("A"), 3_500_000),
            )],
        )
        .await
        .unwrap();
        income::store_records(
            &mut tx,
            FiscalYear::new(2025).unwrap(),
            None,
            &[(Some(id(40)), record(IncomeSource::Declaration, None, 1))],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut tx = tenant.begin_read().await.unwrap();
        let effective = income::effective_records(&mut tx, year, id(10), id(30))
            .await
            .unwrap();
        let summary: Vec<(u64, Option<String>, i64)> = effective
            .iter()
            .map(|(a, r)| (a.get(), r.payer_number.clone(), r.salary_revenue))
            .collect();
        assert_eq!(
            summary,
            vec![
                (10, Some("B".into()), 1_000_000),
                (10, Some("A".into()), 3_500_000),
                (20, Some("P1".into()), 0),
            ],
            "{backend:?}"
        );
        assert_eq!(effective[2].1, numbered, "{backend:?}: the number is kept");
        let with_records = income::addressees_with_records(&mut tx, year)
            .await
            .unwrap();
        assert_eq!(with_records, vec![id(10), id(20), id(30)], "{backend:?}");
        tx.commit().await.unwrap();
    }
}

async fn non_resident(tenant: &kiban_store::TenantDb, kana: &str) -> AddresseeId {
    use kiban_addressee::domain::{AddressDraft, BasicInfoDraft};
    let info = BasicInfoDraft {
        name: "髙橋　一郎".into(),
        name_kana: kana.into(),
        birth_date: "1960-05-05".into(),
        sex: "male".into(),
        address: AddressDraft {
            postal_code: "5300001".into(),
            address_line: "大阪府大阪市北区梅田1-2-3".into(),
            katagaki: None,
        },
    }
    .parse(kiban_core::today_in_japan())
    .unwrap();
    kiban_addressee::storage::register_non_resident(
        tenant,
        &kiban_audit::Actor::new("tax", "tax_clerk"),
        &kiban_addressee::storage::NewNonResident {
            info,
            individual_number: None,
            effective_date: "2020-01-01".parse().unwrap(),
            confirm_new: true,
        },
    )
    .await
    .unwrap()
    .addressee_id
}

#[tokio::test]
async fn an_assignment_is_a_row_of_its_own_and_a_correction_still_wins() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await.unwrap();
        let db = &database.db;
        let code = MunicipalityCode::parse("990019").unwrap();
        platform::create_municipality(
            db,
            &Municipality {
                code,
                name: "デモ市".into(),
                prefecture: "東京都".into(),
            },
        )
        .await
        .unwrap();
        let tenant = db.tenant(code).await.unwrap();
        let actor = kiban_audit::Actor::new("tax", "tax_clerk");
        let a = non_resident(&tenant, "タカハシ　イチロウ").await;
        let b = non_resident(&tenant, "タカハシ　ジロウ").await;
        let year = FiscalYear::new(2026).unwrap();
        let mut numbered = record(IncomeSource::SalaryReport, Some("X"), 100);
        numbered.individual_number = Some(IndividualNumber::parse("123456789018").unwrap());
        let mut tx = tenant.begin().await.unwrap();
        // The original report (unmatched), then its correction (matched).
        income::store_records(&mut tx, year, None, &[(None, numbered.clone())])
            .await
            .unwrap();
        income::store_records(
            &mut tx,
            year,
            None,
            &[(Some(a), record(IncomeSource::SalaryReport, Some("X"), 200))],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let page = income::matching_queue(&tenant, &actor, year, None, 10)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "{backend:?}");
        assert_eq!(page.items[0].record, numbered, "{backend:?}: number opened");
        let original = page.items[0].record_id;

        // Not a row of the queue, nor an addressee here.
        assert!(matches!(
            income::assign_record(&tenant, &actor, year, original + 1, a).await,
            Err(income::AssignError::RecordNotFound)
        ));
        assert!(matches!(
            income::assign_record(&tenant, &actor, year, original, AddresseeId::new(999_999)).await,
            Err(income::AssignError::AddresseeNotFound)
        ));

        // Assigned to A: the later report (the correction) still wins.
        income::assign_record(&tenant, &actor, year, original, a)
            .await
            .unwrap();
        let effective = |tenant: kiban_store::TenantDb| async move {
            let mut tx = tenant.begin_read().await.unwrap();
            let rows = income::effective_records(
                &mut tx,
                year,
                AddresseeId::new(1),
                AddresseeId::new(u64::MAX >> 1),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            rows.into_iter()
                .map(|(id, r)| (id, r.salary_revenue))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            effective(tenant.clone()).await,
            vec![(a, 200)],
            "{backend:?}"
        );
        assert!(
            income::matching_queue(&tenant, &actor, year, None, 10)
                .await
                .unwrap()
                .items
                .is_empty()
        );

        // Assigned again, to B: the earlier assignment no longer counts.
        income::assign_record(&tenant, &actor, year, original, b)
            .await
            .unwrap();
        assert_eq!(
            effective(tenant.clone()).await,
            vec![(a, 200), (b, 100)],
            "{backend:?}"
        );
    }
}

//! The addressee master's storage on both engines.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use kiban_addressee::domain::keys::Criteria;
use kiban_addressee::domain::{AddressDraft, BasicInfoDraft};
use kiban_addressee::storage::{self, NewNonResident, SearchQuery};
use kiban_audit::Actor;
use kiban_core::MunicipalityCode;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};

fn code(c: &str) -> MunicipalityCode {
    MunicipalityCode::parse(c).unwrap()
}

/// デモ市 (990019), created in `db`, and its handle.
async fn demo_tenant(db: &kiban_store::Database) -> kiban_store::TenantDb {
    platform::create_municipality(
        db,
        &Municipality {
            code: code("990019"),
            name: "デモ市".into(),
            prefecture: "東京都".into(),
        },
    )
    .await
    .unwrap();
    db.tenant(code("990019")).await.unwrap()
}

#[tokio::test]
async fn a_registered_non_resident_is_found() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await.unwrap();
        let db = &database.db;
        let tenant = demo_tenant(db).await;
        let actor = Actor::new("tax", "tax_clerk");
        let info = BasicInfoDraft {
            name: "髙橋　一郎".into(),
            name_kana: "タカハシ　イチロウ".into(),
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
        let registered = storage::register_non_resident(
            &tenant,
            &actor,
            &NewNonResident {
                info,
                individual_number: None,
                effective_date: "2020-01-01".parse().unwrap(),
                confirm_new: false,
            },
        )
        .await
        .unwrap();
        let query = SearchQuery {
            criteria: Criteria::from_input(None, Some("たかはし"), None, None).unwrap(),
            kind: None,
            limit: 10,
        };
        let hits = storage::search(&tenant, &actor, &query, false)
            .await
            .unwrap();
        assert_eq!(hits.len(), 1, "{backend:?}");
        assert_eq!(hits[0].view.addressee_id, registered.addressee_id);
    }
}

#[tokio::test]
async fn letters_go_to_the_mailing_address_of_the_business_else_to_the_addressee() {
    use kiban_addressee::domain::{AddresseeId, Business, MailingAddress, MailingKind};
    use kiban_addressee::storage::MailingSource;

    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await.unwrap();
        let db = &database.db;
        let tenant = demo_tenant(db).await;
        let actor = Actor::new("tax", "tax_clerk");
        let mut ids = Vec::new();
        for (name, kana, line) in [
            ("山田　花子", "ヤマダ　ハナコ", "大阪府大阪市北区梅田1-2-3"),
            ("鈴木　一郎", "スズキ　イチロウ", "京都府京都市中京区1-1"),
        ] {
            let info = BasicInfoDraft {
                name: name.into(),
                name_kana: kana.into(),
                birth_date: "1970-01-01".into(),
                sex: "female".into(),
                address: AddressDraft {
                    postal_code: "5300001".into(),
                    address_line: line.into(),
                    katagaki: None,
                },
            }
            .parse(kiban_core::today_in_japan())
            .unwrap();
            let registered = storage::register_non_resident(
                &tenant,
                &actor,
                &NewNonResident {
                    info,
                    individual_number: None,
                    effective_date: "2020-01-01".parse().unwrap(),
                    confirm_new: false,
                },
            )
            .await
            .unwrap();
            ids.push(registered.addressee_id);
        }
        let agent = MailingAddress {
            record_no: 0,
            addressee: ids[0],
            business: Business::ResidentTax,
            kind: MailingKind::TaxAgent,
            name: "納税管理人　佐藤　次郎".into(),
            address: kiban_addressee::domain::PostalAddress {
                postal_code: Some(kiban_core::PostalCode::parse("1000001").unwrap()),
                address_line: "東京都千代田区千代田1-1".into(),
                katagaki: None,
            },
            valid_from: "2026-01-01".parse().unwrap(),
            valid_until: None,
            recorded_at: String::new(),
            recorded_by: String::new(),
        };
        storage::set_mailing_address(&tenant, &actor, &agent)
            .await
            .unwrap();
        let unknown = AddresseeId::new(999_999_999);
        let mut tx = tenant.begin().await.unwrap();
        let on = "2026-06-01".parse().unwrap();
        let letters = storage::letters_for(
            &mut tx,
            &[ids[0], ids[1], unknown],
            Business::ResidentTax,
            on,
        )
        .await
        .unwrap();
        assert_eq!(
            letters.len(),
            2,
            "{backend:?}: the unknown number is left out"
        );
        let first = &letters[&ids[0]];
        assert_eq!(first.source, MailingSource::MailingAddress);
        assert_eq!(first.name, "納税管理人　佐藤　次郎");
        let second = &letters[&ids[1]];
        assert_eq!(second.source, MailingSource::Addressee);
        assert_eq!(second.name, "鈴木　一郎");
        // Before the agent's record is in force, the addressee's own address.
        let earlier = storage::letters_for(
            &mut tx,
            &[ids[0]],
            Business::ResidentTax,
            "2025-12-31".parse().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(earlier[&ids[0]].source, MailingSource::Addressee);
        // Another business's letters do not go to the resident tax's agent.
        let other = storage::letters_for(&mut tx, &[ids[0]], Business::FixedAssetTax, on)
            .await
            .unwrap();
        assert_eq!(other[&ids[0]].source, MailingSource::Addressee);
        tx.commit().await.unwrap();
    }
}

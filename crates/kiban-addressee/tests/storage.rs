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

#[tokio::test]
async fn a_registered_non_resident_is_found() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await.unwrap();
        let db = &database.db;
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
        let tenant = db.tenant(code("990019")).await.unwrap();
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

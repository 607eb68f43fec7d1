//! 口座振替 (direct debit, contract `collection-v1`): the municipality's
//! collection settings (委託者 data for the 全銀協 header, 督促手数料) and an
//! addressee's bank account, each parsed whole from its text fields with
//! the first problem named by field; and which open charges of a due date
//! are debited. Pure: no IO.

use kiban_core::{Date, Yen};

use crate::barcode::Business;
use crate::zengin::{self, FieldProblem};

/// The municipality's collection settings (収納の設定).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSettings {
    /// 委託者コード: 10 digits.
    pub consignor_code: String,
    /// 委託者名: half-width kana of the 全銀協 set, up to 40.
    pub consignor_name_kana: String,
    /// 取引銀行番号: 4 digits.
    pub bank_code: String,
    /// 取引銀行名: up to 15 (may be empty; an addition to the contract).
    pub bank_name_kana: String,
    /// 取引支店番号: 3 digits.
    pub branch_code: String,
    /// 取引支店名: up to 15 (may be empty; an addition to the contract).
    pub branch_name_kana: String,
    /// 預金種目: `1`, `2`, `3` or `9`.
    pub account_type: String,
    /// 口座番号: 7 digits.
    pub account_number: String,
    /// 督促手数料 (0 or more).
    pub demand_fee: Yen,
}

/// The settings as given (text fields; `None` where absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// `consignor_code`.
    pub consignor_code: Option<String>,
    /// `consignor_name_kana`.
    pub consignor_name_kana: Option<String>,
    /// `bank_code`.
    pub bank_code: Option<String>,
    /// `bank_name_kana` (optional).
    pub bank_name_kana: Option<String>,
    /// `branch_code`.
    pub branch_code: Option<String>,
    /// `branch_name_kana` (optional).
    pub branch_name_kana: Option<String>,
    /// `account_type`.
    pub account_type: Option<String>,
    /// `account_number`.
    pub account_number: Option<String>,
    /// `demand_fee` (default 0).
    pub demand_fee: Option<i64>,
}

fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, FieldProblem> {
    value.as_deref().ok_or_else(|| FieldProblem {
        field: field.to_owned(),
        message: "必須です".into(),
    })
}

impl CollectionSettings {
    /// Parses the settings; the error names the first field at fault.
    pub fn parse(input: &SettingsInput) -> Result<Self, FieldProblem> {
        let demand_fee = input.demand_fee.unwrap_or(0);
        if !(0..=zengin::MAX_AMOUNT).contains(&demand_fee) {
            return Err(FieldProblem {
                field: "demand_fee".into(),
                message: format!("0以上の整数（円）で指定してください（{demand_fee}）"),
            });
        }
        Ok(Self {
            consignor_code: zengin::digits(
                "consignor_code",
                required("consignor_code", &input.consignor_code)?,
                10,
            )?,
            consignor_name_kana: zengin::text(
                "consignor_name_kana",
                required("consignor_name_kana", &input.consignor_name_kana)?,
                40,
                true,
            )?,
            bank_code: zengin::digits("bank_code", required("bank_code", &input.bank_code)?, 4)?,
            bank_name_kana: zengin::text(
                "bank_name_kana",
                input.bank_name_kana.as_deref().unwrap_or(""),
                15,
                false,
            )?,
            branch_code: zengin::digits(
                "branch_code",
                required("branch_code", &input.branch_code)?,
                3,
            )?,
            branch_name_kana: zengin::text(
                "branch_name_kana",
                input.branch_name_kana.as_deref().unwrap_or(""),
                15,
                false,
            )?,
            account_type: zengin::account_type(
                "account_type",
                required("account_type", &input.account_type)?,
            )?,
            account_number: zengin::digits(
                "account_number",
                required("account_number", &input.account_number)?,
                7,
            )?,
            demand_fee: Yen::new(demand_fee),
        })
    }
}

/// An addressee's bank account for direct debit (口座振替の口座), from
/// `valid_from`, for `businesses` (none: direct debit ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// 銀行番号: 4 digits.
    pub bank_code: String,
    /// 銀行名: up to 15 (may be empty; an addition to the contract).
    pub bank_name_kana: String,
    /// 支店番号: 3 digits.
    pub branch_code: String,
    /// 支店名: up to 15 (may be empty; an addition to the contract).
    pub branch_name_kana: String,
    /// 預金種目: `1`, `2`, `3` or `9`.
    pub account_type: String,
    /// 口座番号: 7 digits.
    pub account_number: String,
    /// 預金者名: half-width kana of the 全銀協 set, up to 30.
    pub holder_kana: String,
    /// The businesses debited from this account (never `late_fee`), sorted.
    pub businesses: Vec<Business>,
    /// The first day it is in force.
    pub valid_from: Date,
}

/// A bank account as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankAccountInput {
    /// `bank_code`.
    pub bank_code: Option<String>,
    /// `bank_name_kana` (optional).
    pub bank_name_kana: Option<String>,
    /// `branch_code`.
    pub branch_code: Option<String>,
    /// `branch_name_kana` (optional).
    pub branch_name_kana: Option<String>,
    /// `account_type`.
    pub account_type: Option<String>,
    /// `account_number`.
    pub account_number: Option<String>,
    /// `holder_kana`.
    pub holder_kana: Option<String>,
    /// `businesses` (wire names), `None` when absent.
    pub businesses: Option<Vec<String>>,
    /// `valid_from`.
    pub valid_from: Option<String>,
}

/// The businesses an account can be registered for (not `late_fee`: a
/// late fee is paid with a slip).
pub const DEBITABLE: [Business; 4] = [
    Business::ResidentTax,
    Business::FixedAssetTax,
    Business::LightVehicleTax,
    Business::NhiTax,
];

impl BankAccount {
    /// Parses an account; the error names the first field at fault.
    pub fn parse(input: &BankAccountInput) -> Result<Self, FieldProblem> {
        let bank_code = zengin::digits("bank_code", required("bank_code", &input.bank_code)?, 4)?;
        let bank_name_kana = zengin::text(
            "bank_name_kana",
            input.bank_name_kana.as_deref().unwrap_or(""),
            15,
            false,
        )?;
        let branch_code = zengin::digits(
            "branch_code",
            required("branch_code", &input.branch_code)?,
            3,
        )?;
        let branch_name_kana = zengin::text(
            "branch_name_kana",
            input.branch_name_kana.as_deref().unwrap_or(""),
            15,
            false,
        )?;
        let account_type = zengin::account_type(
            "account_type",
            required("account_type", &input.account_type)?,
        )?;
        let account_number = zengin::digits(
            "account_number",
            required("account_number", &input.account_number)?,
            7,
        )?;
        let holder_kana = zengin::text(
            "holder_kana",
            required("holder_kana", &input.holder_kana)?,
            30,
            true,
        )?;
        let Some(names) = &input.businesses else {
            return Err(FieldProblem {
                field: "businesses".into(),
                message: "必須です（口座振替をやめるときは空の配列）".into(),
            });
        };
        let mut businesses = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let business = Business::from_wire_name(name)
                .filter(|b| DEBITABLE.contains(b))
                .ok_or_else(|| FieldProblem {
                    field: format!("businesses[{i}]"),
                    message: format!(
                        "resident_tax・fixed_asset_tax・light_vehicle_tax・nhi_tax のいずれかです（{name}）"
                    ),
                })?;
            if !businesses.contains(&business) {
                businesses.push(business);
            }
        }
        businesses.sort_by_key(|b| DEBITABLE.iter().position(|d| d == b));
        let valid_from_text = required("valid_from", &input.valid_from)?;
        let valid_from =
            kiban_core::date::parse_iso(valid_from_text).map_err(|_| FieldProblem {
                field: "valid_from".into(),
                message: format!(
                    "実在する日付（YYYY-MM-DD）で指定してください（{valid_from_text}）"
                ),
            })?;
        Ok(Self {
            bank_code,
            bank_name_kana,
            branch_code,
            branch_name_kana,
            account_type,
            account_number,
            holder_kana,
            businesses,
            valid_from,
        })
    }

    /// Whether `business` is debited from this account.
    pub fn debits(&self, business: Business) -> bool {
        self.businesses.contains(&business)
    }
}

/// The registration in force on `day` among an addressee's registrations
/// `(version, account)`: the latest `valid_from` not after `day`, then the
/// highest version.
pub fn in_force(registrations: &[(i64, BankAccount)], day: Date) -> Option<&(i64, BankAccount)> {
    registrations
        .iter()
        .filter(|(_, a)| a.valid_from <= day)
        .max_by_key(|(version, a)| (a.valid_from, *version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BankAccountInput {
        BankAccountInput {
            bank_code: Some("0001".into()),
            branch_code: Some("001".into()),
            account_type: Some("1".into()),
            account_number: Some("1234567".into()),
            holder_kana: Some("ﾔﾏﾀﾞ ﾀﾛｳ".into()),
            businesses: Some(vec!["resident_tax".into()]),
            valid_from: Some("2027-04-01".into()),
            ..BankAccountInput::default()
        }
    }

    #[test]
    fn an_account_is_parsed_and_each_bad_field_named() {
        let account = BankAccount::parse(&input()).unwrap();
        assert!(account.debits(Business::ResidentTax));
        let check = |change: fn(&mut BankAccountInput), field: &str| {
            let mut i = input();
            change(&mut i);
            assert_eq!(BankAccount::parse(&i).unwrap_err().field, field);
        };
        check(|i| i.bank_code = Some("001".into()), "bank_code");
        check(|i| i.branch_code = None, "branch_code");
        check(|i| i.account_type = Some("7".into()), "account_type");
        check(
            |i| i.account_number = Some("12345678".into()),
            "account_number",
        );
        check(|i| i.holder_kana = Some("山田太郎".into()), "holder_kana");
        check(|i| i.holder_kana = Some("ﾔ".repeat(31)), "holder_kana");
        check(
            |i| i.businesses = Some(vec!["resident_tax".into(), "late_fee".into()]),
            "businesses[1]",
        );
        check(|i| i.valid_from = Some("2027-02-30".into()), "valid_from");
        check(
            |i| i.bank_name_kana = Some("みずほ".into()),
            "bank_name_kana",
        );
    }

    #[test]
    fn the_latest_registration_in_force_wins() {
        let first = BankAccount::parse(&input()).unwrap();
        let mut later = input();
        later.valid_from = Some("2027-10-01".into());
        later.businesses = Some(Vec::new());
        let later = BankAccount::parse(&later).unwrap();
        let all = vec![(1, first.clone()), (2, later.clone())];
        let d = |s: &str| kiban_core::date::parse_iso(s).unwrap();
        assert_eq!(in_force(&all, d("2027-03-31")), None);
        assert_eq!(in_force(&all, d("2027-06-30")), Some(&(1, first)));
        assert_eq!(in_force(&all, d("2027-10-31")), Some(&(2, later)));
    }

    #[test]
    fn settings_name_their_bad_field() {
        let good = SettingsInput {
            consignor_code: Some("1234567890".into()),
            consignor_name_kana: Some("ﾃﾞﾓｼ".into()),
            bank_code: Some("0001".into()),
            branch_code: Some("001".into()),
            account_type: Some("1".into()),
            account_number: Some("7654321".into()),
            ..SettingsInput::default()
        };
        assert_eq!(
            CollectionSettings::parse(&good).unwrap().demand_fee,
            Yen::ZERO
        );
        let mut bad = good.clone();
        bad.consignor_code = Some("123456789".into());
        assert_eq!(
            CollectionSettings::parse(&bad).unwrap_err().field,
            "consignor_code"
        );
        let mut bad = good.clone();
        bad.demand_fee = Some(-1);
        assert_eq!(
            CollectionSettings::parse(&bad).unwrap_err().field,
            "demand_fee"
        );
        let mut bad = good;
        bad.consignor_name_kana = Some("ﾃﾞﾓｼｰ".into());
        assert_eq!(
            CollectionSettings::parse(&bad).unwrap_err().field,
            "consignor_name_kana"
        );
    }
}

//! The rule data of 軽自動車税（種別割）, one file per fiscal year.

use kiban_core::YearMonth;
use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

use crate::{Fuel, VehicleClass};

/// The rule files, compiled in.
pub static RULES: RuleBook<LightVehicleRules> = RuleBook::new(
    "light_vehicle_tax",
    &[
        (
            2021,
            include_str!("../../../rules/light_vehicle_tax/2021.toml"),
        ),
        (
            2022,
            include_str!("../../../rules/light_vehicle_tax/2022.toml"),
        ),
        (
            2023,
            include_str!("../../../rules/light_vehicle_tax/2023.toml"),
        ),
        (
            2024,
            include_str!("../../../rules/light_vehicle_tax/2024.toml"),
        ),
        (
            2025,
            include_str!("../../../rules/light_vehicle_tax/2025.toml"),
        ),
        (
            2026,
            include_str!("../../../rules/light_vehicle_tax/2026.toml"),
        ),
    ],
);

/// A month in a rule file, written `"YYYY-MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RuleMonth(pub YearMonth);

impl TryFrom<String> for RuleMonth {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        YearMonth::parse(&value)
            .map(RuleMonth)
            .map_err(|e| e.to_string())
    }
}

/// The rules of one fiscal year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightVehicleRules {
    /// The fiscal year the file is for.
    pub fiscal_year: i32,
    /// Three- and four-wheelers first inspected in this month or earlier keep
    /// the old rates (旧税率).
    pub old_rate_first_inspection_until: RuleMonth,
    /// Three- and four-wheelers first inspected in this month or earlier are
    /// more than 13 years old in this fiscal year (経年重課).
    pub age_surcharge_first_inspection_until: RuleMonth,
    /// Fuels exempt from the age surcharge.
    pub age_surcharge_exempt_fuels: Vec<Fuel>,
    /// The green reduction of the year.
    pub green: GreenRules,
    /// The rates of every class that exists in the year.
    pub rates: Vec<ClassRates>,
}

/// グリーン化特例（軽課） of one fiscal year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreenRules {
    /// The first month of first inspection that qualifies.
    pub first_inspection_from: RuleMonth,
    /// The last month of first inspection that qualifies.
    pub first_inspection_until: RuleMonth,
    /// Fuels that get 概ね75%軽減 without further criteria.
    pub fuels_75: Vec<Fuel>,
    /// Fuels that get 概ね50% or 25%軽減 when they meet the fuel-efficiency
    /// and emission criteria (and the class has such a rate in the year).
    pub fuels_fuel_efficiency: Vec<Fuel>,
}

/// The amounts of one class in one year, in yen per vehicle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRates {
    /// The class.
    pub class: VehicleClass,
    /// 標準税率.
    pub standard: i64,
    /// 旧税率.
    pub before_2015_04: Option<i64>,
    /// 経年重課の税率.
    pub age_surcharge: Option<i64>,
    /// 概ね75%軽減の税率.
    pub green_75: Option<i64>,
    /// 概ね50%軽減の税率.
    pub green_50: Option<i64>,
    /// 概ね25%軽減の税率.
    pub green_25: Option<i64>,
}

impl LightVehicleRules {
    /// The rates of a class, if the class exists in the year.
    pub fn class(&self, class: VehicleClass) -> Option<&ClassRates> {
        self.rates.iter().find(|r| r.class == class)
    }
}

impl Validate for LightVehicleRules {
    fn validate(&self) -> Result<(), String> {
        for (i, rates) in self.rates.iter().enumerate() {
            if self.rates[..i].iter().any(|r| r.class == rates.class) {
                return Err(format!("{} が二度あります", rates.class.code()));
            }
            let three_or_four = rates.class.is_three_or_four_wheel();
            let special = [
                rates.before_2015_04,
                rates.age_surcharge,
                rates.green_75,
                rates.green_50,
                rates.green_25,
            ];
            if !three_or_four && special.iter().any(Option::is_some) {
                return Err(format!(
                    "{}: 旧税率・重課・軽課は三輪・四輪だけのものです",
                    rates.class.code()
                ));
            }
            if rates.standard <= 0 {
                return Err(format!(
                    "{}: 標準税率が正ではありません",
                    rates.class.code()
                ));
            }
            if three_or_four && (rates.before_2015_04.is_none() || rates.age_surcharge.is_none()) {
                return Err(format!(
                    "{}: 旧税率と経年重課の税率が必要です",
                    rates.class.code()
                ));
            }
            let ordered = [
                rates.green_75,
                rates.green_50,
                rates.green_25,
                Some(rates.standard),
                rates.age_surcharge,
            ];
            let present: Vec<i64> = ordered.iter().flatten().copied().collect();
            if present.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!(
                    "{}: 75%軽減 < 50%軽減 < 25%軽減 < 標準 < 重課 の順になっていません",
                    rates.class.code()
                ));
            }
        }
        let green = &self.green;
        if green.first_inspection_from.0 > green.first_inspection_until.0 {
            return Err("green: 期間の始めが終わりより後です".into());
        }
        if green.first_inspection_until.0 <= self.age_surcharge_first_inspection_until.0 {
            return Err("green: 軽課の期間が経年重課の期間と重なります".into());
        }
        Ok(())
    }
}

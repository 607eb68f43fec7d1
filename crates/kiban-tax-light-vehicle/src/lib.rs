//! 軽自動車税（種別割） (`light_vehicle_tax`): the annual tax of one light
//! vehicle, motorcycle or moped, owned on the assessment date (賦課期日, 1 April
//! of the fiscal year; 地方税法第463条の17).
//!
//! The rates of each fiscal year live in `rules/light_vehicle_tax/{year}.toml`:
//! the standard rate of every class (地方税法第463条の15), the old rate of
//! three- and four-wheelers first inspected before April 2015 (旧税率), the
//! age surcharge (経年重課) of those first inspected more than 13 years ago,
//! and the green reduction (グリーン化特例（軽課）) of those first inspected in
//! the previous fiscal year, each as the amount the law states.
//!
//! This crate is pure: no IO, no async. [`assess`] takes a fiscal year and a
//! [`Vehicle`] and returns an [`Assessment`] with its working.

mod rules;

use kiban_core::working::Working;
use kiban_core::{FiscalYear, YearMonth, Yen};
use kiban_rules::RuleError;

pub use rules::{ClassRates, GreenRules, LightVehicleRules, RULES};

/// 車種区分: the classes of 地方税法第463条の15, named as in the calculation API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleClass {
    /// 原動機付自転車（第一種）: 50cc以下.
    #[serde(rename = "moped_50")]
    Moped50,
    /// 原動機付自転車（第二種乙）: 50cc超90cc以下.
    #[serde(rename = "moped_90")]
    Moped90,
    /// 原動機付自転車（第二種甲）: 90cc超125cc以下.
    #[serde(rename = "moped_125")]
    Moped125,
    /// 新基準原付: 125cc以下で最高出力4.0kW以下 (from fiscal 2025).
    NewStandardMoped,
    /// ミニカー: three or more wheels, 50cc以下.
    Minicar,
    /// 軽二輪: 125cc超250cc以下.
    TwoWheelLight,
    /// 二輪の小型自動車: 250cc超.
    TwoWheelSmall,
    /// 小型特殊自動車（農耕作業用）.
    SmallSpecialFarm,
    /// 小型特殊自動車（その他）.
    SmallSpecialOther,
    /// 軽自動車（三輪）.
    ThreeWheel,
    /// 軽自動車（四輪以上・乗用・自家用）.
    FourWheelPassengerPrivate,
    /// 軽自動車（四輪以上・乗用・営業用）.
    FourWheelPassengerCommercial,
    /// 軽自動車（四輪以上・貨物用・自家用）.
    FourWheelCargoPrivate,
    /// 軽自動車（四輪以上・貨物用・営業用）.
    FourWheelCargoCommercial,
}

impl VehicleClass {
    /// Every class, in the order of the calculation API.
    pub const ALL: [VehicleClass; 14] = [
        Self::Moped50,
        Self::Moped90,
        Self::Moped125,
        Self::NewStandardMoped,
        Self::Minicar,
        Self::TwoWheelLight,
        Self::TwoWheelSmall,
        Self::SmallSpecialFarm,
        Self::SmallSpecialOther,
        Self::ThreeWheel,
        Self::FourWheelPassengerPrivate,
        Self::FourWheelPassengerCommercial,
        Self::FourWheelCargoPrivate,
        Self::FourWheelCargoCommercial,
    ];

    /// The class's name in the calculation API and the rule files.
    pub fn code(self) -> &'static str {
        match self {
            Self::Moped50 => "moped_50",
            Self::Moped90 => "moped_90",
            Self::Moped125 => "moped_125",
            Self::NewStandardMoped => "new_standard_moped",
            Self::Minicar => "minicar",
            Self::TwoWheelLight => "two_wheel_light",
            Self::TwoWheelSmall => "two_wheel_small",
            Self::SmallSpecialFarm => "small_special_farm",
            Self::SmallSpecialOther => "small_special_other",
            Self::ThreeWheel => "three_wheel",
            Self::FourWheelPassengerPrivate => "four_wheel_passenger_private",
            Self::FourWheelPassengerCommercial => "four_wheel_passenger_commercial",
            Self::FourWheelCargoPrivate => "four_wheel_cargo_private",
            Self::FourWheelCargoCommercial => "four_wheel_cargo_commercial",
        }
    }

    /// The class with this API name, if there is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The class's name on a tax notice.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Moped50 => "原動機付自転車（50cc以下）",
            Self::Moped90 => "原動機付自転車（90cc以下）",
            Self::Moped125 => "原動機付自転車（125cc以下）",
            Self::NewStandardMoped => "原動機付自転車（新基準原付）",
            Self::Minicar => "ミニカー",
            Self::TwoWheelLight => "軽二輪（250cc以下）",
            Self::TwoWheelSmall => "二輪の小型自動車（250cc超）",
            Self::SmallSpecialFarm => "小型特殊自動車（農耕作業用）",
            Self::SmallSpecialOther => "小型特殊自動車（その他）",
            Self::ThreeWheel => "軽自動車（三輪）",
            Self::FourWheelPassengerPrivate => "軽自動車（四輪・乗用・自家用）",
            Self::FourWheelPassengerCommercial => "軽自動車（四輪・乗用・営業用）",
            Self::FourWheelCargoPrivate => "軽自動車（四輪・貨物用・自家用）",
            Self::FourWheelCargoCommercial => "軽自動車（四輪・貨物用・営業用）",
        }
    }

    /// Whether the class is a three- or four-wheeled light vehicle, the only
    /// ones with old rates, the age surcharge and the green reduction, and
    /// the only ones whose first inspection (最初の新規検査) is recorded.
    pub fn is_three_or_four_wheel(self) -> bool {
        matches!(
            self,
            Self::ThreeWheel
                | Self::FourWheelPassengerPrivate
                | Self::FourWheelPassengerCommercial
                | Self::FourWheelCargoPrivate
                | Self::FourWheelCargoCommercial
        )
    }
}

/// 燃料の種類: what drives the vehicle, as recorded on the inspection certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fuel {
    /// ガソリン.
    Gasoline,
    /// 軽油.
    Diesel,
    /// ガソリンを燃料とする電力併用（ハイブリッド）.
    Hybrid,
    /// 電気.
    Electric,
    /// 天然ガス.
    NaturalGas,
    /// メタノール（混合メタノールを含む）.
    Methanol,
    /// 燃料電池.
    FuelCell,
}

impl Fuel {
    /// Every fuel, in the order of the calculation API.
    pub const ALL: [Fuel; 7] = [
        Self::Gasoline,
        Self::Diesel,
        Self::Hybrid,
        Self::Electric,
        Self::NaturalGas,
        Self::Methanol,
        Self::FuelCell,
    ];

    /// The fuel's name in the calculation API and the rule files.
    pub fn code(self) -> &'static str {
        match self {
            Self::Gasoline => "gasoline",
            Self::Diesel => "diesel",
            Self::Hybrid => "hybrid",
            Self::Electric => "electric",
            Self::NaturalGas => "natural_gas",
            Self::Methanol => "methanol",
            Self::FuelCell => "fuel_cell",
        }
    }

    /// The fuel with this API name, if there is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The fuel's name in Japanese.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Gasoline => "ガソリン車",
            Self::Diesel => "ディーゼル車",
            Self::Hybrid => "ハイブリッド車（ガソリン電力併用）",
            Self::Electric => "電気軽自動車",
            Self::NaturalGas => "天然ガス軽自動車",
            Self::Methanol => "メタノール軽自動車",
            Self::FuelCell => "燃料電池軽自動車",
        }
    }
}

/// The fuel-efficiency criteria of the green reduction a vehicle meets, as
/// shown by the marks on its inspection certificate (燃費基準達成状況 and
/// 排出ガス性能). Electric, fuel-cell and natural-gas vehicles need no claim:
/// their reduction follows from the fuel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GreenCriteria {
    /// Meets the criteria of the year for 概ね50%軽減.
    FuelEfficiency50,
    /// Meets the criteria of the year for 概ね25%軽減.
    FuelEfficiency25,
}

impl GreenCriteria {
    /// The criteria's name in the calculation API.
    pub fn code(self) -> &'static str {
        match self {
            Self::FuelEfficiency50 => "fuel_efficiency_50",
            Self::FuelEfficiency25 => "fuel_efficiency_25",
        }
    }

    /// The criteria with this API name, if there is one.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::FuelEfficiency50, Self::FuelEfficiency25]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// One vehicle as the tax sees it on the assessment date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vehicle {
    /// 車種区分.
    pub class: VehicleClass,
    /// 最初の新規検査の年月 (初度検査年月); required for three- and four-wheelers.
    pub first_inspection: Option<YearMonth>,
    /// 燃料の種類; required for three- and four-wheelers.
    pub fuel: Option<Fuel>,
    /// The green-reduction criteria the vehicle meets, for gasoline and hybrid
    /// vehicles (none when it meets none or it is not known).
    pub green_criteria: Option<GreenCriteria>,
}

/// Which rate was applied, as named in the calculation API (`rate_basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateBasis {
    /// 標準税率.
    Standard,
    /// 旧税率: first inspected before April 2015.
    Before2015_04,
    /// 経年重課: more than 13 years since the first inspection.
    AgeSurcharge,
    /// グリーン化特例 概ね75%軽減.
    Green75,
    /// グリーン化特例 概ね50%軽減.
    Green50,
    /// グリーン化特例 概ね25%軽減.
    Green25,
}

impl RateBasis {
    /// The basis's name in the calculation API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Before2015_04 => "before_2015_04",
            Self::AgeSurcharge => "age_surcharge",
            Self::Green75 => "green_75",
            Self::Green50 => "green_50",
            Self::Green25 => "green_25",
        }
    }
}

/// The tax of one vehicle for one fiscal year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// 年度.
    pub fiscal_year: FiscalYear,
    /// 年税額.
    pub annual_tax: Yen,
    /// Which rate was applied.
    pub rate_basis: RateBasis,
    /// The steps, for the clerk.
    pub working: Working,
}

/// Why a vehicle could not be assessed. [`LightVehicleTaxError::field`] names
/// the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LightVehicleTaxError {
    /// The rule data has no such year, or is broken.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// The class did not exist in that fiscal year (新基準原付 before 2025).
    #[error("vehicle.class: class {class:?} not in force in {fiscal_year}")]
    ClassNotInForce {
        /// The class asked for.
        class: VehicleClass,
        /// The fiscal year asked for.
        fiscal_year: FiscalYear,
    },
    /// A three- or four-wheeler without its first inspection month.
    #[error("vehicle.first_inspection: a three- or four-wheeler needs its first inspection month")]
    FirstInspectionMissing,
    /// A three- or four-wheeler without its fuel.
    #[error("vehicle.fuel: a three- or four-wheeler needs its fuel")]
    FuelMissing,
    /// A first inspection after the assessment date: the vehicle is not
    /// taxed in that fiscal year.
    #[error(
        "vehicle.first_inspection: {first_inspection} is after the assessment date (1 April) of {fiscal_year}"
    )]
    FirstInspectionAfterAssessmentDate {
        /// The month given.
        first_inspection: YearMonth,
        /// The fiscal year asked for.
        fiscal_year: FiscalYear,
    },
}

impl LightVehicleTaxError {
    /// The input field at fault, as a path in the calculation API.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Rules(_) => None,
            Self::ClassNotInForce { .. } => Some("vehicle.class"),
            Self::FirstInspectionMissing | Self::FirstInspectionAfterAssessmentDate { .. } => {
                Some("vehicle.first_inspection")
            }
            Self::FuelMissing => Some("vehicle.fuel"),
        }
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Self::Rules(rule) => rule.message(),
            Self::ClassNotInForce { class, fiscal_year } => M::LightVehicleClassNotInForce {
                class: class.name_ja().to_owned(),
                fiscal_year: fiscal_year.to_string(),
            },
            Self::FirstInspectionMissing => M::LightVehicleFirstInspectionMissing {},
            Self::FuelMissing => M::LightVehicleFuelMissing {},
            Self::FirstInspectionAfterAssessmentDate {
                first_inspection,
                fiscal_year,
            } => M::LightVehicleFirstInspectionAfterAssessmentDate {
                first_inspection: first_inspection.to_string(),
                fiscal_year: fiscal_year.to_string(),
            },
        }
    }
}

/// Assesses the 種別割 of one vehicle for `fiscal_year`.
pub fn assess(
    fiscal_year: FiscalYear,
    vehicle: &Vehicle,
) -> Result<Assessment, LightVehicleTaxError> {
    let rules = RULES.for_year(fiscal_year.start_year())?;
    let rates = rules
        .class(vehicle.class)
        .ok_or(LightVehicleTaxError::ClassNotInForce {
            class: vehicle.class,
            fiscal_year,
        })?;
    let mut working = Working::new();
    let standard = working.record(
        "標準税率",
        Yen::new(rates.standard),
        format!(
            "{}の{}の税率（地方税法第463条の15）",
            vehicle.class.name_ja(),
            fiscal_year
        ),
    );
    if !vehicle.class.is_three_or_four_wheel() {
        working.record("年税額", standard, "標準税率による");
        return Ok(Assessment {
            fiscal_year,
            annual_tax: standard,
            rate_basis: RateBasis::Standard,
            working,
        });
    }
    let first_inspection = vehicle
        .first_inspection
        .ok_or(LightVehicleTaxError::FirstInspectionMissing)?;
    let fuel = vehicle.fuel.ok_or(LightVehicleTaxError::FuelMissing)?;
    if first_inspection > YearMonth::of(fiscal_year.first_day()) {
        return Err(LightVehicleTaxError::FirstInspectionAfterAssessmentDate {
            first_inspection,
            fiscal_year,
        });
    }
    let (basis, amount) = choose_rate(rules, rates, first_inspection, fuel, vehicle, &mut working);
    let annual_tax = working.record(
        "年税額",
        Yen::new(amount),
        format!("{}による", basis_name_ja(basis)),
    );
    Ok(Assessment {
        fiscal_year,
        annual_tax,
        rate_basis: basis,
        working,
    })
}

fn basis_name_ja(basis: RateBasis) -> &'static str {
    match basis {
        RateBasis::Standard => "標準税率",
        RateBasis::Before2015_04 => "旧税率",
        RateBasis::AgeSurcharge => "経年重課の税率",
        RateBasis::Green75 => "グリーン化特例（概ね75%軽減）の税率",
        RateBasis::Green50 => "グリーン化特例（概ね50%軽減）の税率",
        RateBasis::Green25 => "グリーン化特例（概ね25%軽減）の税率",
    }
}

/// Picks the rate of a three- or four-wheeler: the age surcharge first (it
/// only reaches vehicles first inspected long before the green years), then
/// the green reduction of the year after the first inspection, then the old
/// rate, else the standard rate.
fn choose_rate(
    rules: &LightVehicleRules,
    rates: &ClassRates,
    first_inspection: YearMonth,
    fuel: Fuel,
    vehicle: &Vehicle,
    working: &mut Working,
) -> (RateBasis, i64) {
    if first_inspection <= rules.age_surcharge_first_inspection_until.0 {
        if rules.age_surcharge_exempt_fuels.contains(&fuel) {
            working.record(
                "経年重課の判定",
                Yen::ZERO,
                format!(
                    "最初の新規検査 {first_inspection} から13年を経過していますが、{}は経年重課の対象外です（地方税法附則第30条第1項）",
                    fuel.name_ja()
                ),
            );
        } else if let Some(surcharge) = rates.age_surcharge {
            working.record(
                "経年重課",
                Yen::new(surcharge),
                format!(
                    "最初の新規検査 {first_inspection} が {} 以前で13年を経過（地方税法附則第30条第1項）",
                    rules.age_surcharge_first_inspection_until.0
                ),
            );
            return (RateBasis::AgeSurcharge, surcharge);
        }
    }
    let green = &rules.green;
    let in_green_window = (green.first_inspection_from.0..=green.first_inspection_until.0)
        .contains(&first_inspection);
    if in_green_window
        && let Some(found) = green_rate(green, rates, fuel, vehicle, first_inspection, working)
    {
        return found;
    }
    if first_inspection <= rules.old_rate_first_inspection_until.0
        && let Some(old) = rates.before_2015_04
    {
        working.record(
            "旧税率",
            Yen::new(old),
            format!(
                "最初の新規検査 {first_inspection} が {} 以前のため旧税率（平成26年度税制改正の経過措置）",
                rules.old_rate_first_inspection_until.0
            ),
        );
        return (RateBasis::Before2015_04, old);
    }
    (RateBasis::Standard, rates.standard)
}

fn green_rate(
    green: &GreenRules,
    rates: &ClassRates,
    fuel: Fuel,
    vehicle: &Vehicle,
    first_inspection: YearMonth,
    working: &mut Working,
) -> Option<(RateBasis, i64)> {
    let period = format!(
        "{}〜{}に最初の新規検査を受けた{}",
        green.first_inspection_from.0,
        green.first_inspection_until.0,
        fuel.name_ja()
    );
    if green.fuels_75.contains(&fuel) {
        let amount = rates.green_75?;
        working.record(
            "グリーン化特例（軽課）",
            Yen::new(amount),
            format!("{period}: 概ね75%軽減（地方税法附則第30条）"),
        );
        return Some((RateBasis::Green75, amount));
    }
    let claim = vehicle.green_criteria?;
    let (basis, amount, label) = match claim {
        GreenCriteria::FuelEfficiency50 => (RateBasis::Green50, rates.green_50, "概ね50%軽減"),
        GreenCriteria::FuelEfficiency25 => (RateBasis::Green25, rates.green_25, "概ね25%軽減"),
    };
    match amount {
        Some(amount) if green.fuels_fuel_efficiency.contains(&fuel) => {
            working.record(
                "グリーン化特例（軽課）",
                Yen::new(amount),
                format!(
                    "{period}（燃費基準等を満たす）: {label}（地方税法附則第30条）; 最初の新規検査 {first_inspection}"
                ),
            );
            Some((basis, amount))
        }
        _ => {
            working.record(
                "グリーン化特例（軽課）の判定",
                Yen::ZERO,
                format!(
                    "{period}: この年度の{label}は{}の{}に適用されません",
                    vehicle.class.name_ja(),
                    fuel.name_ja()
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;

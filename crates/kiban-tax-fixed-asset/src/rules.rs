//! The rule data of 固定資産税・都市計画税, one file per fiscal year.

use kiban_core::{Date, Rate, Yen};
use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

/// The rule files, compiled in.
pub static RULES: RuleBook<FixedAssetRules> = RuleBook::new(
    "fixed_asset_tax",
    &[
        (
            2021,
            include_str!("../../../rules/fixed_asset_tax/2021.toml"),
        ),
        (
            2022,
            include_str!("../../../rules/fixed_asset_tax/2022.toml"),
        ),
        (
            2023,
            include_str!("../../../rules/fixed_asset_tax/2023.toml"),
        ),
        (
            2024,
            include_str!("../../../rules/fixed_asset_tax/2024.toml"),
        ),
        (
            2025,
            include_str!("../../../rules/fixed_asset_tax/2025.toml"),
        ),
        (
            2026,
            include_str!("../../../rules/fixed_asset_tax/2026.toml"),
        ),
    ],
);

/// A rate in a rule file, written as a decimal string (`"0.014"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RuleRate(pub Rate);

impl TryFrom<String> for RuleRate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Rate::parse(&value)
            .map(RuleRate)
            .map_err(|e| format!("「{value}」: {e}"))
    }
}

/// A date in a rule file, written `"YYYY-MM-DD"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RuleDate(pub Date);

impl TryFrom<String> for RuleDate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        kiban_core::date::parse_iso(&value)
            .map(RuleDate)
            .map_err(|e| e.to_string())
    }
}

/// A fraction written `[numerator, denominator]`, such as `[1, 6]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "[i64; 2]")]
pub struct Fraction {
    /// The numerator.
    pub numerator: i64,
    /// The denominator (positive).
    pub denominator: i64,
}

impl TryFrom<[i64; 2]> for Fraction {
    type Error = String;
    fn try_from([numerator, denominator]: [i64; 2]) -> Result<Self, Self::Error> {
        if denominator <= 0 || numerator < 0 || numerator > denominator {
            return Err(format!(
                "{numerator}/{denominator} は0以上1以下の分数ではありません"
            ));
        }
        Ok(Self {
            numerator,
            denominator,
        })
    }
}

impl Fraction {
    /// `amount × numerator ÷ denominator`, truncated to whole yen.
    pub fn apply(self, amount: Yen) -> Yen {
        let product = i128::from(amount.get()) * i128::from(self.numerator);
        Yen::new((product / i128::from(self.denominator)) as i64)
    }

    /// The fraction for people: `1/6`.
    pub fn display(self) -> String {
        format!("{}/{}", self.numerator, self.denominator)
    }
}

/// The rules of one fiscal year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedAssetRules {
    /// The fiscal year the file is for.
    pub fiscal_year: i32,
    /// 標準税率 of 固定資産税.
    pub standard_rate: RuleRate,
    /// 制限税率 of 都市計画税.
    pub city_planning_max_rate: RuleRate,
    /// 免税点.
    pub exemption_threshold: ExemptionThreshold,
    /// 住宅用地の特例.
    pub residential_land: ResidentialLand,
    /// 負担調整措置.
    pub burden_adjustment: BurdenAdjustment,
    /// 新築住宅の減額.
    pub new_build: NewBuildRules,
}

/// 免税点 by category, in yen of tax base.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExemptionThreshold {
    /// 土地.
    pub land: i64,
    /// 家屋.
    pub houses: i64,
    /// 償却資産.
    pub depreciable_assets: i64,
}

/// 住宅用地の課税標準の特例.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidentialLand {
    /// 小規模住宅用地 per dwelling, in square metres.
    pub area_per_dwelling_m2: i64,
    /// 小規模住宅用地 (固定資産税).
    pub small: Fraction,
    /// 一般住宅用地 (固定資産税).
    pub general: Fraction,
    /// 小規模住宅用地 (都市計画税).
    pub small_city_planning: Fraction,
    /// 一般住宅用地 (都市計画税).
    pub general_city_planning: Fraction,
}

/// 負担調整措置 of the year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurdenAdjustment {
    /// Residential land: the yearly step, as a share of the standard tax base.
    pub residential_increment: RuleRate,
    /// Residential land: the lowest tax base, as a share of the standard tax base.
    pub residential_floor: RuleRate,
    /// Non-residential land: the highest tax base, as a share of the valuation.
    pub non_residential_ceiling: RuleRate,
    /// Non-residential land: from this burden level the tax base is held.
    pub non_residential_hold_from: RuleRate,
    /// Non-residential land: the yearly step, as a share of the valuation.
    pub non_residential_increment: RuleRate,
    /// Non-residential land: the lowest tax base, as a share of the valuation.
    pub non_residential_floor: RuleRate,
    /// Whether no land's tax base may rise above the previous year's (令和3年度).
    pub freeze_increases: bool,
}

/// 新築住宅に対する減額.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBuildRules {
    /// The last completion date that qualifies.
    pub completed_until: RuleDate,
    /// The floor area whose tax is reduced, in square metres.
    pub area_limit_m2: i64,
    /// The smallest floor area that qualifies.
    pub min_floor_area_m2: i64,
    /// The largest floor area that qualifies.
    pub max_floor_area_m2: i64,
    /// The share of the tax taken off.
    pub reduction: Fraction,
    /// Years for an ordinary house.
    pub years_ordinary: i32,
    /// Years for a fireproof house of three storeys or more.
    pub years_fireproof_mid_high_rise: i32,
    /// Years for a certified long-life house.
    pub years_long_life: i32,
    /// Years for a certified long-life fireproof house of three storeys or more.
    pub years_long_life_fireproof_mid_high_rise: i32,
}

impl Validate for FixedAssetRules {
    fn validate(&self) -> Result<(), String> {
        let e = &self.exemption_threshold;
        if e.land <= 0 || e.houses <= 0 || e.depreciable_assets <= 0 {
            return Err("exemption_threshold: 免税点は正の額です".into());
        }
        let r = &self.residential_land;
        // The city-planning previous tax base is derived from the fixed-asset
        // one by the ratio of the two special rules, which must then agree
        // for small and general residential land.
        if r.small_city_planning.numerator
            * r.small.denominator
            * r.general.numerator
            * r.general_city_planning.denominator
            != r.general_city_planning.numerator
                * r.general.denominator
                * r.small.numerator
                * r.small_city_planning.denominator
        {
            return Err(
                "residential_land: 都市計画税と固定資産税の特例率の比が小規模と一般で異なります"
                    .into(),
            );
        }
        if r.area_per_dwelling_m2 <= 0 {
            return Err("residential_land.area_per_dwelling_m2 は正の値です".into());
        }
        let n = &self.new_build;
        if !(0 < n.min_floor_area_m2
            && n.min_floor_area_m2 <= n.area_limit_m2
            && n.area_limit_m2 <= n.max_floor_area_m2)
        {
            return Err("new_build: 床面積の範囲が正しくありません".into());
        }
        if n.years_ordinary <= 0
            || n.years_fireproof_mid_high_rise < n.years_ordinary
            || n.years_long_life < n.years_ordinary
            || n.years_long_life_fireproof_mid_high_rise < n.years_fireproof_mid_high_rise
        {
            return Err("new_build: 減額の年度数が正しくありません".into());
        }
        Ok(())
    }
}

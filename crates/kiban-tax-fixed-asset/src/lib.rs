//! 固定資産税 (`fixed_asset_tax`) and 都市計画税 (`city_planning_tax`) of one
//! taxpayer in one municipality for one fiscal year.
//!
//! What is implemented, in the order of the law:
//! - Land (土地): the residential-land special rule (住宅用地特例: 小規模住宅用地
//!   1/6 and 1/3 for the city planning tax, 一般住宅用地 1/3 and 2/3). A parcel
//!   given as small residential is split at 200 m² per dwelling, the part
//!   beyond being general residential, with the valuation split in
//!   proportion to the area. The burden adjustment (負担調整措置) applies when
//!   the previous year's tax base is given: for residential land on the
//!   standard tax base (本則課税標準額), for non-residential land (商業地等) on
//!   the valuation, with the year's special rules (令和3年度 no increase,
//!   令和4年度 a 2.5% step for 商業地等). The previous city planning tax base
//!   may be given; when it is not, it is derived from the fixed asset one by
//!   the ratio of the special rules (×2 for residential land, ×1 otherwise).
//!   Farm land, forests and the 10-times-floor-area limit of 一般住宅用地 are
//!   not modelled: the input gives each parcel's use.
//! - Houses (家屋): the tax base is the valuation; the new-build reduction
//!   (新築住宅の減額) takes half of the tax on up to 120 m² of floor area for 3
//!   fiscal years from the first one in which the house is taxed (5 for
//!   fireproof houses of three storeys or more, 5 and 7 for certified
//!   long-life houses), for floor areas of 50–280 m².
//! - Depreciable assets (償却資産): the tax base is given.
//! - Per category, the tax bases are summed and truncated below 1,000 yen
//!   (地方税法第20条の4の2第1項); a category under its exemption threshold
//!   (免税点: land 300,000, houses 200,000, depreciable assets 1,500,000) is not
//!   taxed, nor is it subject to the city planning tax. Each category's tax is
//!   its tax base × the rate; the new-build reductions are subtracted; each
//!   tax is truncated below 100 yen (第20条の4の2第3項). The city planning tax
//!   reaches only land and houses in the urbanization area.
//!
//! This crate is pure: no IO, no async.

mod rules;

use std::fmt;

use kiban_core::working::Working;
use kiban_core::{Date, FiscalYear, Rate, Yen};
use kiban_rules::RuleError;

pub use rules::{
    BurdenAdjustment, ExemptionThreshold, FixedAssetRules, Fraction, NewBuildRules, RULES,
    ResidentialLand,
};

/// An area in square metres, held exactly in hundredths (地積 and 床面積 are
/// recorded to 0.01 m²).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Area(u64);

impl Area {
    /// An area of a whole number of square metres.
    pub const fn square_metres(m2: u64) -> Self {
        Self(m2 * 100)
    }

    /// An area from hundredths of a square metre.
    pub const fn from_hundredths(hundredths: u64) -> Self {
        Self(hundredths)
    }

    /// The area in hundredths of a square metre.
    pub const fn hundredths(self) -> u64 {
        self.0
    }

    /// Parses a non-negative decimal with at most two decimal places
    /// (`"165.29"`, `"200"`).
    pub fn parse(input: &str) -> Option<Self> {
        let (int_part, frac_part) = input.split_once('.').unwrap_or((input, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || int_part.len() > 9 || frac_part.len() > 2 {
            return None;
        }
        if !digits(int_part) || !digits(frac_part) || input.ends_with('.') {
            return None;
        }
        let whole: u64 = int_part.parse().ok()?;
        let frac: u64 = if frac_part.is_empty() {
            0
        } else {
            format!("{frac_part:0<2}").parse().ok()?
        };
        Some(Self(whole * 100 + frac))
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(100) {
            write!(f, "{}㎡", self.0 / 100)
        } else {
            write!(f, "{}.{:02}㎡", self.0 / 100, self.0 % 100)
        }
    }
}

impl fmt::Debug for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Area({self})")
    }
}

/// 土地の利用区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LandUse {
    /// 小規模住宅用地 (up to 200 m² per dwelling; the rest is general).
    SmallResidential,
    /// 一般住宅用地.
    GeneralResidential,
    /// 非住宅用地 (商業地等).
    NonResidential,
}

/// One parcel of land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Land {
    /// 評価額 (価格).
    pub valuation: Yen,
    /// 地積.
    pub area: Area,
    /// 利用区分.
    pub land_use: LandUse,
    /// 住宅の戸数 on the parcel (for the 200 m² per dwelling limit).
    pub dwellings: u32,
    /// 前年度課税標準額 (固定資産税), enabling the burden adjustment.
    pub previous_tax_base: Option<Yen>,
    /// 前年度課税標準額 (都市計画税), when known.
    pub previous_city_planning_tax_base: Option<Yen>,
    /// 市街化区域内.
    pub in_urbanization_area: bool,
}

/// 新築住宅の種類.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NewBuildKind {
    /// 一般の住宅.
    Ordinary,
    /// 認定長期優良住宅.
    LongLife,
    /// 3階建以上の耐火・準耐火建築物 (中高層耐火住宅).
    FireproofMidHighRise,
    /// 認定長期優良住宅で中高層耐火のもの.
    LongLifeFireproofMidHighRise,
}

/// A newly built house.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewBuild {
    /// 新築年月日.
    pub completed_on: Date,
    /// 種類.
    pub kind: NewBuildKind,
}

/// One house (家屋).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct House {
    /// 評価額.
    pub valuation: Yen,
    /// 床面積 (the residential part).
    pub floor_area: Area,
    /// 市街化区域内.
    pub in_urbanization_area: bool,
    /// Present for a newly built dwelling.
    pub new_build: Option<NewBuild>,
}

/// The rates of the municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRates {
    /// 固定資産税の税率 (the standard rate of the year when not given).
    pub fixed_asset: Option<Rate>,
    /// 都市計画税の税率 (none: the municipality levies none).
    pub city_planning: Option<Rate>,
}

/// Everything one taxpayer holds in the municipality.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holding {
    /// 土地.
    pub land: Vec<Land>,
    /// 家屋.
    pub houses: Vec<House>,
    /// 償却資産の課税標準額.
    pub depreciable_assets_tax_base: Yen,
}

/// A category of fixed assets, for the exemption threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// 土地.
    Land,
    /// 家屋.
    Houses,
    /// 償却資産.
    DepreciableAssets,
}

impl Category {
    /// The category's name in the calculation API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Land => "land",
            Self::Houses => "houses",
            Self::DepreciableAssets => "depreciable_assets",
        }
    }

    fn name_ja(self) -> &'static str {
        match self {
            Self::Land => "土地",
            Self::Houses => "家屋",
            Self::DepreciableAssets => "償却資産",
        }
    }
}

/// The result for one parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LandResult {
    /// 本則課税標準額 (固定資産税).
    pub standard_tax_base: Yen,
    /// 課税標準額 (固定資産税).
    pub tax_base: Yen,
    /// 課税標準額 (都市計画税); zero outside the urbanization area.
    pub city_planning_tax_base: Yen,
}

/// The result for one house.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseResult {
    /// 課税標準額 (固定資産税).
    pub tax_base: Yen,
    /// 課税標準額 (都市計画税); zero outside the urbanization area.
    pub city_planning_tax_base: Yen,
    /// 新築住宅の減額 of the year.
    pub new_build_reduction: Yen,
}

/// Tax-base totals by category, truncated below 1,000 yen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategoryTotals {
    /// 土地.
    pub land: Yen,
    /// 家屋.
    pub houses: Yen,
    /// 償却資産.
    pub depreciable_assets: Yen,
}

/// The taxes of one taxpayer for one fiscal year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// 年度.
    pub fiscal_year: FiscalYear,
    /// The fixed asset tax rate applied.
    pub fixed_asset_rate: Rate,
    /// The city planning tax rate applied.
    pub city_planning_rate: Rate,
    /// Each parcel, in the order given.
    pub land: Vec<LandResult>,
    /// Each house, in the order given.
    pub houses: Vec<HouseResult>,
    /// 課税標準額の合計 (固定資産税).
    pub tax_base_totals: CategoryTotals,
    /// 課税標準額の合計 (都市計画税; no depreciable assets).
    pub city_planning_tax_base_totals: CategoryTotals,
    /// Categories under their exemption threshold (免税点未満).
    pub exemption: Vec<Category>,
    /// 新築住宅の減額の合計.
    pub new_build_reduction: Yen,
    /// 固定資産税 before the final truncation.
    pub fixed_asset_tax_calculated: Yen,
    /// 都市計画税 before the final truncation.
    pub city_planning_tax_calculated: Yen,
    /// 固定資産税 (確定金額).
    pub fixed_asset_tax: Yen,
    /// 都市計画税 (確定金額).
    pub city_planning_tax: Yen,
    /// 合計.
    pub total: Yen,
    /// The steps, for the clerk.
    pub working: Working,
}

/// Why an assessment could not be made. [`FixedAssetTaxError::field`] names
/// the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixedAssetTaxError {
    /// The rule data has no such year, or is broken.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// A city planning tax rate above the legal limit.
    #[error("rates.city_planning: city planning tax rate {rate} above the limit {limit}")]
    CityPlanningRateTooHigh {
        /// The rate given.
        rate: Rate,
        /// The limit.
        limit: Rate,
    },
    /// A parcel with a valuation but no area.
    #[error("land[{index}].area_m2: a valued parcel without area")]
    LandWithoutArea {
        /// The parcel's position.
        index: usize,
    },
    /// Residential land with no dwelling.
    #[error("land[{index}].dwellings: residential land without a dwelling")]
    NoDwelling {
        /// The parcel's position.
        index: usize,
    },
    /// A new-build reduction asked for a house without floor area.
    #[error("houses[{index}].floor_area_m2: a new build without floor area")]
    HouseWithoutFloorArea {
        /// The house's position.
        index: usize,
    },
    /// A house completed after the assessment date is not taxed that year.
    #[error(
        "houses[{index}].new_build.completed_on: {completed_on} is after the assessment date (1 January) of {fiscal_year}"
    )]
    CompletedAfterAssessmentDate {
        /// The house's position.
        index: usize,
        /// The date given.
        completed_on: Date,
        /// The fiscal year asked for.
        fiscal_year: FiscalYear,
    },
}

impl FixedAssetTaxError {
    /// The input field at fault, as a path in the calculation API.
    pub fn field(&self) -> Option<String> {
        match self {
            Self::Rules(_) => None,
            Self::CityPlanningRateTooHigh { .. } => Some("rates.city_planning".into()),
            Self::LandWithoutArea { index } => Some(format!("land[{index}].area_m2")),
            Self::NoDwelling { index } => Some(format!("land[{index}].dwellings")),
            Self::HouseWithoutFloorArea { index } => Some(format!("houses[{index}].floor_area_m2")),
            Self::CompletedAfterAssessmentDate { index, .. } => {
                Some(format!("houses[{index}].new_build.completed_on"))
            }
        }
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Self::Rules(rule) => rule.message(),
            Self::CityPlanningRateTooHigh { rate, limit } => M::FixedAssetCityPlanningRateTooHigh {
                rate: rate.to_string(),
                limit: limit.to_string(),
            },
            Self::LandWithoutArea { index } => M::FixedAssetLandWithoutArea {
                index: index.to_string(),
            },
            Self::NoDwelling { index } => M::FixedAssetNoDwelling {
                index: index.to_string(),
            },
            Self::HouseWithoutFloorArea { index } => M::FixedAssetHouseWithoutFloorArea {
                index: index.to_string(),
            },
            Self::CompletedAfterAssessmentDate {
                index,
                completed_on,
                fiscal_year,
            } => M::FixedAssetCompletedAfterAssessmentDate {
                index: index.to_string(),
                completed_on: completed_on.to_string(),
                fiscal_year: fiscal_year.to_string(),
            },
        }
    }
}

/// `a ≥ rate × b` exactly, for amounts ≥ 0.
fn at_least(a: Yen, rate: Rate, b: Yen) -> bool {
    a >= rate.apply_rounding_up(b)
}

/// The burden level `previous ÷ reference` as a percentage with one decimal
/// place, for people.
fn burden_level(previous: Yen, reference: Yen) -> String {
    if reference.get() <= 0 {
        return "—".into();
    }
    let per_mille = i128::from(previous.get()) * 1000 / i128::from(reference.get());
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

/// Assesses the taxes of `holding` for `fiscal_year`.
pub fn assess(
    fiscal_year: FiscalYear,
    rates: TaxRates,
    holding: &Holding,
) -> Result<Assessment, FixedAssetTaxError> {
    let rules = RULES.for_year(fiscal_year.start_year())?;
    let fixed_asset_rate = rates.fixed_asset.unwrap_or(rules.standard_rate.0);
    let city_planning_rate = rates.city_planning.unwrap_or(Rate::ZERO);
    let limit = rules.city_planning_max_rate.0;
    // Compared on an amount large enough to hold every decimal place a rate has.
    let probe = Yen::new(1_000_000_000_000);
    if city_planning_rate.apply_truncating(probe) > limit.apply_truncating(probe) {
        return Err(FixedAssetTaxError::CityPlanningRateTooHigh {
            rate: city_planning_rate,
            limit,
        });
    }
    let mut working = Working::new();
    working.record(
        "税率",
        Yen::ZERO,
        format!(
            "固定資産税 {}{}、都市計画税 {}",
            fixed_asset_rate.percent(),
            if rates.fixed_asset.is_none() {
                "（標準税率、地方税法第350条）"
            } else {
                ""
            },
            if rates.city_planning.is_none() {
                "なし（税率の指定なし）".to_owned()
            } else {
                city_planning_rate.percent()
            }
        ),
    );

    let mut land_results = Vec::with_capacity(holding.land.len());
    for (index, land) in holding.land.iter().enumerate() {
        land_results.push(assess_land(rules, index, land, &mut working)?);
    }
    let mut house_bases = Vec::with_capacity(holding.houses.len());
    for (index, house) in holding.houses.iter().enumerate() {
        house_bases.push(new_build_years(rules, fiscal_year, index, house)?);
    }

    let thresholds = &rules.exemption_threshold;
    let land_sum: Yen = land_results.iter().map(|l| l.tax_base).sum();
    let house_sum: Yen = holding.houses.iter().map(|h| h.valuation).sum();
    let depreciable = holding.depreciable_assets_tax_base;
    let mut exemption = Vec::new();
    let mut totals = CategoryTotals::default();
    for (category, sum, threshold, present) in [
        (
            Category::Land,
            land_sum,
            thresholds.land,
            !holding.land.is_empty(),
        ),
        (
            Category::Houses,
            house_sum,
            thresholds.houses,
            !holding.houses.is_empty(),
        ),
        (
            Category::DepreciableAssets,
            depreciable,
            thresholds.depreciable_assets,
            depreciable > Yen::ZERO,
        ),
    ] {
        if !present {
            continue;
        }
        let truncated = sum.truncate_to(1000);
        if sum < Yen::new(threshold) {
            exemption.push(category);
            working.record(
                format!("{}の課税標準額（免税点未満）", category.name_ja()),
                truncated,
                format!(
                    "合計 {} が免税点 {} に満たないため課税しない（地方税法第351条）",
                    sum.display_ja(),
                    Yen::new(threshold).display_ja()
                ),
            );
            continue;
        }
        working.record(
            format!("{}の課税標準額", category.name_ja()),
            truncated,
            format!(
                "合計 {} の1,000円未満を切捨て（地方税法第20条の4の2第1項）",
                sum.display_ja()
            ),
        );
        match category {
            Category::Land => totals.land = truncated,
            Category::Houses => totals.houses = truncated,
            Category::DepreciableAssets => totals.depreciable_assets = truncated,
        }
    }
    let land_exempt = exemption.contains(&Category::Land);
    let houses_exempt = exemption.contains(&Category::Houses);

    // 新築住宅の減額, house by house, on the house's own tax.
    let mut house_results = Vec::with_capacity(holding.houses.len());
    for (index, (house, years)) in holding.houses.iter().zip(&house_bases).enumerate() {
        let reduction = if houses_exempt {
            Yen::ZERO
        } else {
            new_build_reduction(rules, fixed_asset_rate, index, house, *years, &mut working)
        };
        house_results.push(HouseResult {
            tax_base: house.valuation,
            city_planning_tax_base: if house.in_urbanization_area {
                house.valuation
            } else {
                Yen::ZERO
            },
            new_build_reduction: reduction,
        });
    }
    let new_build_reduction: Yen = house_results.iter().map(|h| h.new_build_reduction).sum();

    let mut fixed_asset_tax_calculated = Yen::ZERO;
    for (category, base) in [
        (Category::Land, totals.land),
        (Category::Houses, totals.houses),
        (Category::DepreciableAssets, totals.depreciable_assets),
    ] {
        if base == Yen::ZERO {
            continue;
        }
        let tax = working.record(
            format!("固定資産税（{}）", category.name_ja()),
            fixed_asset_rate.apply_truncating(base),
            format!(
                "{} × {}（1円未満切捨て）",
                base.display_ja(),
                fixed_asset_rate.percent()
            ),
        );
        fixed_asset_tax_calculated += tax;
    }
    if new_build_reduction > Yen::ZERO {
        working.record(
            "新築住宅の減額の合計",
            new_build_reduction,
            "家屋ごとの減額の合計",
        );
        fixed_asset_tax_calculated -= new_build_reduction;
    }
    working.record(
        "固定資産税（算出税額）",
        fixed_asset_tax_calculated,
        "各区分の税額の合計 − 新築住宅の減額",
    );

    // 都市計画税: land and houses in the urbanization area, when the
    // category is not under its threshold.
    let mut city_planning_totals = CategoryTotals::default();
    let mut city_planning_tax_calculated = Yen::ZERO;
    if !city_planning_rate.is_zero() {
        let cp_land: Yen = land_results.iter().map(|l| l.city_planning_tax_base).sum();
        let cp_houses: Yen = house_results.iter().map(|h| h.city_planning_tax_base).sum();
        for (category, sum, exempt) in [
            (Category::Land, cp_land, land_exempt),
            (Category::Houses, cp_houses, houses_exempt),
        ] {
            if exempt || sum == Yen::ZERO {
                continue;
            }
            let base = working.record(
                format!("都市計画税の課税標準額（{}）", category.name_ja()),
                sum.truncate_to(1000),
                format!(
                    "市街化区域内の合計 {} の1,000円未満を切捨て",
                    sum.display_ja()
                ),
            );
            let tax = working.record(
                format!("都市計画税（{}）", category.name_ja()),
                city_planning_rate.apply_truncating(base),
                format!(
                    "{} × {}（1円未満切捨て）",
                    base.display_ja(),
                    city_planning_rate.percent()
                ),
            );
            match category {
                Category::Land => city_planning_totals.land = base,
                _ => city_planning_totals.houses = base,
            }
            city_planning_tax_calculated += tax;
        }
    }

    let fixed_asset_tax = working.record(
        "固定資産税",
        fixed_asset_tax_calculated.at_least_zero().truncate_to(100),
        "100円未満を切捨て（地方税法第20条の4の2第3項）",
    );
    let city_planning_tax = working.record(
        "都市計画税",
        city_planning_tax_calculated.truncate_to(100),
        "100円未満を切捨て（地方税法第20条の4の2第3項）",
    );
    let total = working.record(
        "合計税額",
        fixed_asset_tax + city_planning_tax,
        "固定資産税 ＋ 都市計画税",
    );
    Ok(Assessment {
        fiscal_year,
        fixed_asset_rate,
        city_planning_rate,
        land: land_results,
        houses: house_results,
        tax_base_totals: totals,
        city_planning_tax_base_totals: city_planning_totals,
        exemption,
        new_build_reduction,
        fixed_asset_tax_calculated,
        city_planning_tax_calculated,
        fixed_asset_tax,
        city_planning_tax,
        total,
        working,
    })
}

/// The two standard tax bases of a parcel: (fixed asset, city planning).
fn standard_bases(
    rules: &FixedAssetRules,
    index: usize,
    land: &Land,
    working: &mut Working,
) -> Result<(Yen, Yen), FixedAssetTaxError> {
    let r = &rules.residential_land;
    let label = format!("土地{}", index + 1);
    match land.land_use {
        LandUse::NonResidential => Ok((land.valuation, land.valuation)),
        LandUse::GeneralResidential => {
            let fixed = working.record(
                format!("{label} 本則課税標準額"),
                r.general.apply(land.valuation),
                format!(
                    "一般住宅用地: 評価額 {} × {}（地方税法第349条の3の2第1項）",
                    land.valuation.display_ja(),
                    r.general.display()
                ),
            );
            Ok((fixed, r.general_city_planning.apply(land.valuation)))
        }
        LandUse::SmallResidential => {
            if land.dwellings == 0 {
                return Err(FixedAssetTaxError::NoDwelling { index });
            }
            if land.area.hundredths() == 0 {
                if land.valuation == Yen::ZERO {
                    return Ok((Yen::ZERO, Yen::ZERO));
                }
                return Err(FixedAssetTaxError::LandWithoutArea { index });
            }
            let limit = Area::square_metres(
                u64::try_from(r.area_per_dwelling_m2).unwrap_or(0) * u64::from(land.dwellings),
            );
            let small_area = land.area.min(limit);
            let small_value = Yen::new(
                (i128::from(land.valuation.get()) * i128::from(small_area.hundredths())
                    / i128::from(land.area.hundredths())) as i64,
            );
            let general_value = land.valuation - small_value;
            let fixed = r.small.apply(small_value) + r.general.apply(general_value);
            let city = r.small_city_planning.apply(small_value)
                + r.general_city_planning.apply(general_value);
            let basis = if general_value == Yen::ZERO {
                format!(
                    "小規模住宅用地: 評価額 {} × {}（地方税法第349条の3の2第2項）",
                    land.valuation.display_ja(),
                    r.small.display()
                )
            } else {
                format!(
                    "地積 {} のうち {}（{}戸×{}㎡）までを小規模住宅用地 {} × {}、残り {} × {}（地方税法第349条の3の2）",
                    land.area,
                    small_area,
                    land.dwellings,
                    r.area_per_dwelling_m2,
                    small_value.display_ja(),
                    r.small.display(),
                    general_value.display_ja(),
                    r.general.display()
                )
            };
            working.record(format!("{label} 本則課税標準額"), fixed, basis);
            Ok((fixed, city))
        }
    }
}

fn assess_land(
    rules: &FixedAssetRules,
    index: usize,
    land: &Land,
    working: &mut Working,
) -> Result<LandResult, FixedAssetTaxError> {
    let label = format!("土地{}", index + 1);
    let (standard_fixed, standard_city) = standard_bases(rules, index, land, working)?;
    let residential = land.land_use != LandUse::NonResidential;
    let tax_base = adjusted_base(
        rules,
        residential,
        land.valuation,
        standard_fixed,
        land.previous_tax_base,
        &format!("{label} 課税標準額"),
        working,
    );
    let city_planning_tax_base = if land.in_urbanization_area {
        let previous_city = land.previous_city_planning_tax_base.or_else(|| {
            // Derived from the fixed asset tax base by the ratio of the
            // special rules (validated equal for small and general land).
            let r = &rules.residential_land;
            land.previous_tax_base.map(|p| {
                if residential {
                    let ratio = Fraction {
                        numerator: r.small_city_planning.numerator * r.small.denominator,
                        denominator: r.small_city_planning.denominator * r.small.numerator,
                    };
                    Yen::new(
                        (i128::from(p.get()) * i128::from(ratio.numerator)
                            / i128::from(ratio.denominator)) as i64,
                    )
                } else {
                    p
                }
            })
        });
        adjusted_base(
            rules,
            residential,
            land.valuation,
            standard_city,
            previous_city,
            &format!("{label} 都市計画税の課税標準額"),
            working,
        )
    } else {
        Yen::ZERO
    };
    Ok(LandResult {
        standard_tax_base: standard_fixed,
        tax_base,
        city_planning_tax_base,
    })
}

/// The tax base after the burden adjustment (地方税法附則第18条).
fn adjusted_base(
    rules: &FixedAssetRules,
    residential: bool,
    valuation: Yen,
    standard: Yen,
    previous: Option<Yen>,
    step: &str,
    working: &mut Working,
) -> Yen {
    let b = &rules.burden_adjustment;
    let Some(previous) = previous else {
        return if residential {
            working.record(
                step,
                standard,
                "本則課税標準額（前年度課税標準額の指定なし）",
            )
        } else {
            working.record(
                step,
                b.non_residential_ceiling.0.apply_truncating(valuation),
                format!(
                    "非住宅用地: 評価額 {} × {}（前年度課税標準額の指定なし）",
                    valuation.display_ja(),
                    b.non_residential_ceiling.0.percent()
                ),
            )
        };
    };
    let (base, basis) = if residential {
        let level = burden_level(previous, standard);
        if previous >= standard {
            (
                standard,
                format!("負担水準 {level} ≥ 100% のため本則課税標準額"),
            )
        } else {
            let raised = previous + b.residential_increment.0.apply_truncating(standard);
            let floor = b.residential_floor.0.apply_truncating(standard);
            let base = raised.min(standard).max(floor);
            (
                base,
                format!(
                    "負担水準 {level} < 100%: 前年度 {} ＋ 本則 {} × {}（本則を上限、本則×{}を下限）",
                    previous.display_ja(),
                    standard.display_ja(),
                    b.residential_increment.0.percent(),
                    b.residential_floor.0.percent()
                ),
            )
        }
    } else {
        let level = burden_level(previous, valuation);
        let ceiling = b.non_residential_ceiling.0;
        let hold = b.non_residential_hold_from.0;
        if previous > ceiling.apply_truncating(valuation) {
            (
                ceiling.apply_truncating(valuation),
                format!(
                    "負担水準 {level} が{}を超えるため評価額×{}",
                    ceiling.percent(),
                    ceiling.percent()
                ),
            )
        } else if at_least(previous, hold, valuation) {
            (
                previous,
                format!(
                    "負担水準 {level} が{}以上{}以下のため前年度課税標準額に据置き",
                    hold.percent(),
                    ceiling.percent()
                ),
            )
        } else {
            let raised = previous + b.non_residential_increment.0.apply_truncating(valuation);
            let upper = hold.apply_truncating(valuation);
            let floor = b.non_residential_floor.0.apply_truncating(valuation);
            (
                raised.min(upper).max(floor),
                format!(
                    "負担水準 {level} < {}: 前年度 {} ＋ 評価額 {} × {}（評価額×{}を上限、×{}を下限）",
                    hold.percent(),
                    previous.display_ja(),
                    valuation.display_ja(),
                    b.non_residential_increment.0.percent(),
                    hold.percent(),
                    b.non_residential_floor.0.percent()
                ),
            )
        }
    };
    if b.freeze_increases && base > previous {
        return working.record(
            step,
            previous,
            format!("{basis}。ただし令和3年度に限り上昇する土地は前年度課税標準額に据置き"),
        );
    }
    working.record(step, base, basis)
}

/// The number of fiscal years of the new-build reduction still running in
/// `fiscal_year` (zero when none), checking the completion date.
fn new_build_years(
    rules: &FixedAssetRules,
    fiscal_year: FiscalYear,
    index: usize,
    house: &House,
) -> Result<Option<(i32, i32)>, FixedAssetTaxError> {
    let Some(new_build) = house.new_build else {
        return Ok(None);
    };
    let assessment_date = fiscal_year.assessment_date();
    if new_build.completed_on > assessment_date {
        return Err(FixedAssetTaxError::CompletedAfterAssessmentDate {
            index,
            completed_on: new_build.completed_on,
            fiscal_year,
        });
    }
    if house.floor_area.hundredths() == 0 {
        return Err(FixedAssetTaxError::HouseWithoutFloorArea { index });
    }
    // First taxed in the fiscal year whose 1 January is the first on or
    // after completion.
    let completed = new_build.completed_on;
    let first_year = if completed.month() == 1 && completed.day() == 1 {
        i32::from(completed.year())
    } else {
        i32::from(completed.year()) + 1
    };
    let n = &rules.new_build;
    let years = match new_build.kind {
        NewBuildKind::Ordinary => n.years_ordinary,
        NewBuildKind::LongLife => n.years_long_life,
        NewBuildKind::FireproofMidHighRise => n.years_fireproof_mid_high_rise,
        NewBuildKind::LongLifeFireproofMidHighRise => n.years_long_life_fireproof_mid_high_rise,
    };
    Ok(Some((first_year, years)))
}

fn new_build_reduction(
    rules: &FixedAssetRules,
    rate: Rate,
    index: usize,
    house: &House,
    years: Option<(i32, i32)>,
    working: &mut Working,
) -> Yen {
    let Some((first_year, years)) = years else {
        return Yen::ZERO;
    };
    let Some(new_build) = house.new_build else {
        return Yen::ZERO;
    };
    let n = &rules.new_build;
    let label = format!("家屋{} 新築住宅の減額", index + 1);
    let year_number = rules.fiscal_year - first_year + 1;
    let min_area = Area::square_metres(u64::try_from(n.min_floor_area_m2).unwrap_or(0));
    let max_area = Area::square_metres(u64::try_from(n.max_floor_area_m2).unwrap_or(0));
    let reason = if new_build.completed_on > n.completed_until.0 {
        Some(format!("{} 以後の新築は対象外", n.completed_until.0))
    } else if year_number > years {
        Some(format!(
            "{}年度から{}年度分の減額期間が終了",
            first_year, years
        ))
    } else if house.floor_area < min_area || house.floor_area > max_area {
        Some(format!(
            "床面積 {} が{}㎡以上{}㎡以下でないため対象外",
            house.floor_area, n.min_floor_area_m2, n.max_floor_area_m2
        ))
    } else {
        None
    };
    if let Some(reason) = reason {
        working.record(label, Yen::ZERO, reason);
        return Yen::ZERO;
    }
    let tax = rate.apply_truncating(house.valuation);
    let limit = Area::square_metres(u64::try_from(n.area_limit_m2).unwrap_or(0));
    let covered = house.floor_area.min(limit);
    let numerator = i128::from(tax.get())
        * i128::from(covered.hundredths())
        * i128::from(n.reduction.numerator);
    let denominator =
        i128::from(house.floor_area.hundredths()) * i128::from(n.reduction.denominator);
    let reduction = Yen::new((numerator / denominator) as i64);
    working.record(
        label,
        reduction,
        format!(
            "{}年度から{}年度分の{}年度目: 評価額 {} × {} = {} × {}/{} × {}（地方税法附則第15条の6）",
            first_year,
            years,
            year_number,
            house.valuation.display_ja(),
            rate.percent(),
            tax.display_ja(),
            covered,
            house.floor_area,
            n.reduction.display()
        ),
    )
}

#[cfg(test)]
mod tests;

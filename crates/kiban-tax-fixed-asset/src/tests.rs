//! Published worked examples, the burden adjustment table by table, the
//! exemption thresholds at ±1 yen and the new-build periods, through one
//! `check` helper.

use super::*;

fn fy(year: i32) -> FiscalYear {
    FiscalYear::new(year).unwrap()
}

fn d(s: &str) -> Date {
    kiban_core::date::parse_iso(s).unwrap()
}

fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap()
}

fn rates(fixed: &str, city: &str) -> TaxRates {
    TaxRates {
        fixed_asset: Some(rate(fixed)),
        city_planning: Some(rate(city)),
    }
}

fn land(valuation: i64, m2: u64, land_use: LandUse, previous: Option<i64>) -> Land {
    Land {
        valuation: Yen::new(valuation),
        area: Area::square_metres(m2),
        land_use,
        dwellings: 1,
        previous_tax_base: previous.map(Yen::new),
        previous_city_planning_tax_base: None,
        in_urbanization_area: true,
    }
}

fn house(valuation: i64, floor: Area, new_build: Option<(&str, NewBuildKind)>) -> House {
    House {
        valuation: Yen::new(valuation),
        floor_area: floor,
        in_urbanization_area: true,
        new_build: new_build.map(|(on, kind)| NewBuild {
            completed_on: d(on),
            kind,
        }),
    }
}

/// What a case must give: land (tax base, city planning tax base), house
/// reductions, fixed asset tax before truncation, fixed asset tax, city
/// planning tax, and the exempt categories.
struct Expected {
    land: Vec<(i64, i64)>,
    reductions: Vec<i64>,
    fixed_asset_calculated: i64,
    fixed_asset: i64,
    city_planning: i64,
    exemption: Vec<Category>,
}

fn check(year: i32, rates: TaxRates, holding: Holding, want: Expected) {
    let got = assess(fy(year), rates, &holding).unwrap();
    let land: Vec<(i64, i64)> = got
        .land
        .iter()
        .map(|l| (l.tax_base.get(), l.city_planning_tax_base.get()))
        .collect();
    let reductions: Vec<i64> = got
        .houses
        .iter()
        .map(|h| h.new_build_reduction.get())
        .collect();
    assert_eq!(land, want.land, "{year}: land tax bases");
    assert_eq!(reductions, want.reductions, "{year}: new-build reductions");
    assert_eq!(
        (
            got.fixed_asset_tax_calculated.get(),
            got.fixed_asset_tax.get(),
            got.city_planning_tax.get()
        ),
        (
            want.fixed_asset_calculated,
            want.fixed_asset,
            want.city_planning
        ),
        "{year}: taxes"
    );
    assert_eq!(got.exemption, want.exemption, "{year}: exemption");
    assert_eq!(got.total, got.fixed_asset_tax + got.city_planning_tax);
    assert_eq!(
        got.working.steps().last().map(|s| s.amount),
        Some(got.total)
    );
}

#[test]
fn every_rule_file_is_valid_and_names_its_year() {
    assert_eq!(RULES.check(), Ok(()));
    for year in RULES.years() {
        assert_eq!(RULES.for_year(year).map(|r| r.fiscal_year), Ok(year));
    }
    assert_eq!(RULES.years(), vec![2021, 2022, 2023, 2024, 2025, 2026]);
}

/// The example of the calculation API contract. Its land is 岡崎市「試しに
/// 計算してみると(住宅用地)」's 小規模住宅用地 (令和7年度: 評価額 17,000,000円,
/// 前年度課税標準額 2,500,000円, 負担水準 0.882 → 2,641,666円); its house is
/// taxed at 1.4% with half the tax on 120/125 of the floor area taken off.
#[test]
fn contract_example_okazaki_land() {
    check(
        2025,
        rates("0.014", "0.003"),
        Holding {
            land: vec![land(
                17_000_000,
                200,
                LandUse::SmallResidential,
                Some(2_500_000),
            )],
            houses: vec![house(
                11_000_000,
                Area::square_metres(125),
                Some(("2022-09-01", NewBuildKind::Ordinary)),
            )],
            depreciable_assets_tax_base: Yen::ZERO,
        },
        Expected {
            // City planning: 本則 5,666,666; previous 5,000,000 (derived ×2)
            // + 283,333 = 5,283,333.
            land: vec![(2_641_666, 5_283_333)],
            // 154,000 × 120/125 × 1/2.
            reductions: vec![73_920],
            // 2,641,000 × 1.4% = 36,974; + 154,000 − 73,920.
            fixed_asset_calculated: 117_054,
            fixed_asset: 117_000,
            // 5,283,000 × 0.3% = 15,849; + 33,000.
            city_planning: 48_800,
            exemption: vec![],
        },
    );
}

/// 鈴鹿市「新築住宅に対する減額」の計算例: 木造2階建て専用住宅 125㎡, 評価額
/// 10,000,000円, 都市計画税 0.2%: 140,000円 + 20,000円 − 67,200円 = 92,800円.
#[test]
fn suzuka_new_house() {
    check(
        2024,
        rates("0.014", "0.002"),
        Holding {
            land: vec![],
            houses: vec![house(
                10_000_000,
                Area::square_metres(125),
                Some(("2023-05-01", NewBuildKind::Ordinary)),
            )],
            depreciable_assets_tax_base: Yen::ZERO,
        },
        Expected {
            land: vec![],
            reductions: vec![67_200],
            fixed_asset_calculated: 72_800,
            fixed_asset: 72_800,
            city_planning: 20_000,
            exemption: vec![],
        },
    );
}

/// 横浜市「市税のあらまし」の設例 (令和7年度): 木造2階建て専用住宅, 令和6年7月
/// 建築, 140㎡, 価格 13,300,000円: 固定資産税 186,200円, 減額 186,200 ×
/// 120/140 × 1/2 = 79,800円. (Yokohama's own city planning reduction is a local
/// measure and not part of the national rules; only the fixed asset tax is checked.)
#[test]
fn yokohama_new_house() {
    check(
        2025,
        TaxRates {
            fixed_asset: None,
            city_planning: None,
        },
        Holding {
            land: vec![],
            houses: vec![house(
                13_300_000,
                Area::square_metres(140),
                Some(("2024-07-15", NewBuildKind::Ordinary)),
            )],
            depreciable_assets_tax_base: Yen::ZERO,
        },
        Expected {
            land: vec![],
            reductions: vec![79_800],
            fixed_asset_calculated: 106_400,
            fixed_asset: 106_400,
            city_planning: 0,
            exemption: vec![],
        },
    );
}

/// 200㎡ per dwelling: 400㎡ with one dwelling is half small, half general
/// (岡崎市's 400㎡ parcel); with two dwellings all of it is small.
#[test]
fn small_residential_limit_per_dwelling() {
    let parcel = |dwellings| Land {
        dwellings,
        ..land(34_000_000, 400, LandUse::SmallResidential, None)
    };
    // 17,000,000 / 6 + 17,000,000 / 3 = 2,833,333 + 5,666,666; city planning
    // 17,000,000 / 3 + 17,000,000 × 2/3 = 5,666,666 + 11,333,333.
    check(
        2025,
        rates("0.014", "0.003"),
        Holding {
            land: vec![parcel(1)],
            ..Holding::default()
        },
        Expected {
            land: vec![(8_499_999, 16_999_999)],
            reductions: vec![],
            fixed_asset_calculated: 118_986,
            fixed_asset: 118_900,
            city_planning: 50_900,
            exemption: vec![],
        },
    );
    check(
        2025,
        rates("0.014", "0.003"),
        Holding {
            land: vec![parcel(2)],
            ..Holding::default()
        },
        Expected {
            land: vec![(5_666_666, 11_333_333)],
            reductions: vec![],
            fixed_asset_calculated: 79_324,
            fixed_asset: 79_300,
            city_planning: 33_900,
            exemption: vec![],
        },
    );
}

/// 住宅用地の負担調整 (岡崎市・西原村の表): 100% or more → 本則; under 100% →
/// previous + 本則 × 5%, at most 本則, at least 本則 × 20%. 令和3年度 keeps
/// rising land at the previous tax base.
#[test]
fn residential_burden_adjustment() {
    // 本則 = 17,000,000 / 6 = 2,833,333; 5% = 141,666; 20% = 566,666.
    let cases: &[(i32, i64, i64)] = &[
        (2025, 2_500_000, 2_641_666),
        (2025, 2_833_333, 2_833_333),
        (2025, 3_000_000, 2_833_333),
        (2025, 2_700_000, 2_833_333),
        (2025, 100_000, 566_666),
        (2024, 2_500_000, 2_641_666),
        (2022, 2_500_000, 2_641_666),
        (2021, 2_500_000, 2_500_000),
        (2021, 3_000_000, 2_833_333),
    ];
    for &(year, previous, expected) in cases {
        let got = assess(
            fy(year),
            rates("0.014", "0"),
            &Holding {
                land: vec![land(
                    17_000_000,
                    200,
                    LandUse::SmallResidential,
                    Some(previous),
                )],
                ..Holding::default()
            },
        )
        .unwrap();
        assert_eq!(
            got.land[0].tax_base,
            Yen::new(expected),
            "{year} {previous}"
        );
        assert_eq!(got.land[0].standard_tax_base, Yen::new(2_833_333));
    }
}

/// 商業地等の負担調整 (岡崎市「税額の計算方法(土地)」, 西原村): over 70% →
/// 評価額 × 70%; 60–70% → held; under 60% → previous + 評価額 × 5% (2.5% in
/// 令和4年度), at most 60%, at least 20%; 令和3年度 no increase.
#[test]
fn non_residential_burden_adjustment() {
    let cases: &[(i32, Option<i64>, i64)] = &[
        (2025, Some(7_500_000), 7_000_000),
        (2025, Some(7_000_001), 7_000_000),
        (2025, Some(7_000_000), 7_000_000),
        (2025, Some(6_500_000), 6_500_000),
        (2025, Some(6_000_000), 6_000_000),
        (2025, Some(5_999_999), 6_000_000),
        (2025, Some(5_000_000), 5_500_000),
        (2025, Some(1_000_000), 2_000_000),
        (2025, None, 7_000_000),
        (2022, Some(5_000_000), 5_250_000),
        (2023, Some(5_000_000), 5_500_000),
        (2021, Some(5_000_000), 5_000_000),
        (2021, Some(7_500_000), 7_000_000),
    ];
    for &(year, previous, expected) in cases {
        let got = assess(
            fy(year),
            rates("0.014", "0.003"),
            &Holding {
                land: vec![land(10_000_000, 300, LandUse::NonResidential, previous)],
                ..Holding::default()
            },
        )
        .unwrap();
        assert_eq!(
            (got.land[0].tax_base, got.land[0].city_planning_tax_base),
            (Yen::new(expected), Yen::new(expected)),
            "{year} {previous:?}"
        );
    }
}

/// 一般住宅用地: 1/3 and 2/3; an explicit previous city planning tax base wins
/// over the derived one.
#[test]
fn general_residential_and_explicit_city_planning_previous() {
    let mut parcel = land(9_000_000, 250, LandUse::GeneralResidential, Some(2_800_000));
    // 本則 3,000,000 / 6,000,000. Derived previous 5,600,000 + 300,000 → 5,900,000.
    check(
        2025,
        rates("0.014", "0.003"),
        Holding {
            land: vec![parcel.clone()],
            ..Holding::default()
        },
        Expected {
            land: vec![(2_950_000, 5_900_000)],
            reductions: vec![],
            fixed_asset_calculated: 41_300,
            fixed_asset: 41_300,
            city_planning: 17_700,
            exemption: vec![],
        },
    );
    parcel.previous_city_planning_tax_base = Some(Yen::new(6_000_000));
    parcel.in_urbanization_area = true;
    check(
        2025,
        rates("0.014", "0.003"),
        Holding {
            land: vec![parcel.clone()],
            ..Holding::default()
        },
        Expected {
            land: vec![(2_950_000, 6_000_000)],
            reductions: vec![],
            fixed_asset_calculated: 41_300,
            fixed_asset: 41_300,
            city_planning: 18_000,
            exemption: vec![],
        },
    );
    parcel.in_urbanization_area = false;
    check(
        2025,
        rates("0.014", "0.003"),
        Holding {
            land: vec![parcel],
            ..Holding::default()
        },
        Expected {
            land: vec![(2_950_000, 0)],
            reductions: vec![],
            fixed_asset_calculated: 41_300,
            fixed_asset: 41_300,
            city_planning: 0,
            exemption: vec![],
        },
    );
}

/// 免税点 (地方税法第351条) at ±1 yen of tax base: land 300,000, houses
/// 200,000, depreciable assets 1,500,000. An exempt category also pays no
/// city planning tax.
#[test]
fn exemption_thresholds() {
    let only_land = |value| Holding {
        land: vec![land(value, 100, LandUse::NonResidential, None)],
        ..Holding::default()
    };
    // Non-residential without previous: 70% of the valuation.
    // 428,570 × 70% = 299,999; 428,572 × 70% = 300,000.
    check(
        2025,
        rates("0.014", "0.003"),
        only_land(428_570),
        Expected {
            land: vec![(299_999, 299_999)],
            reductions: vec![],
            fixed_asset_calculated: 0,
            fixed_asset: 0,
            city_planning: 0,
            exemption: vec![Category::Land],
        },
    );
    check(
        2025,
        rates("0.014", "0.003"),
        only_land(428_572),
        Expected {
            land: vec![(300_000, 300_000)],
            reductions: vec![],
            fixed_asset_calculated: 4_200,
            fixed_asset: 4_200,
            city_planning: 900,
            exemption: vec![],
        },
    );
    let only_house = |value| Holding {
        houses: vec![house(value, Area::square_metres(30), None)],
        ..Holding::default()
    };
    check(
        2025,
        rates("0.014", "0.003"),
        only_house(199_999),
        Expected {
            land: vec![],
            reductions: vec![0],
            fixed_asset_calculated: 0,
            fixed_asset: 0,
            city_planning: 0,
            exemption: vec![Category::Houses],
        },
    );
    check(
        2025,
        rates("0.014", "0.003"),
        only_house(200_000),
        Expected {
            land: vec![],
            reductions: vec![0],
            fixed_asset_calculated: 2_800,
            fixed_asset: 2_800,
            city_planning: 600,
            exemption: vec![],
        },
    );
    let only_assets = |value| Holding {
        depreciable_assets_tax_base: Yen::new(value),
        ..Holding::default()
    };
    check(
        2025,
        rates("0.014", "0.003"),
        only_assets(1_499_999),
        Expected {
            land: vec![],
            reductions: vec![],
            fixed_asset_calculated: 0,
            fixed_asset: 0,
            city_planning: 0,
            exemption: vec![Category::DepreciableAssets],
        },
    );
    // 1,500,999 → 1,500,000 × 1.4% = 21,000; no city planning tax on assets.
    check(
        2025,
        rates("0.014", "0.003"),
        only_assets(1_500_999),
        Expected {
            land: vec![],
            reductions: vec![],
            fixed_asset_calculated: 21_000,
            fixed_asset: 21_000,
            city_planning: 0,
            exemption: vec![],
        },
    );
}

/// The new-build reduction runs from the first fiscal year in which the
/// house is taxed: completed on 1 January it is taxed that year, on 2
/// January only the next. 3 years ordinary, 5 fireproof mid/high rise or
/// long-life, 7 both; 50–280㎡ only.
#[test]
fn new_build_periods_and_floor_areas() {
    let reduction = |year: i32, on: &str, kind, floor: Area| {
        assess(
            fy(year),
            rates("0.014", "0"),
            &Holding {
                houses: vec![house(10_000_000, floor, Some((on, kind)))],
                ..Holding::default()
            },
        )
        .map(|a| a.houses[0].new_build_reduction.get())
        .unwrap()
    };
    let m2 = Area::square_metres;
    use NewBuildKind::*;
    // 10,000,000 × 1.4% = 140,000; 100㎡ → half: 70,000.
    for (year, on, kind, want) in [
        (2022, "2022-01-01", Ordinary, 70_000),
        (2024, "2022-01-01", Ordinary, 70_000),
        (2025, "2022-01-01", Ordinary, 0),
        (2025, "2022-01-02", Ordinary, 70_000),
        (2026, "2022-01-02", Ordinary, 0),
        (2026, "2022-01-02", FireproofMidHighRise, 70_000),
        (2026, "2021-01-02", FireproofMidHighRise, 70_000),
        (2026, "2020-01-02", FireproofMidHighRise, 0),
        (2026, "2020-01-02", LongLife, 0),
        (2026, "2022-01-02", LongLife, 70_000),
        (2026, "2019-06-30", LongLifeFireproofMidHighRise, 70_000),
        (2026, "2018-06-30", LongLifeFireproofMidHighRise, 0),
    ] {
        assert_eq!(
            reduction(year, on, kind, m2(100)),
            want,
            "{year} {on} {kind:?}"
        );
    }
    assert_eq!(
        reduction(2025, "2024-06-01", Ordinary, Area::from_hundredths(4999)),
        0
    );
    assert_eq!(reduction(2025, "2024-06-01", Ordinary, m2(50)), 70_000);
    // 280㎡: 140,000 × 120/280 × 1/2 = 30,000.
    assert_eq!(reduction(2025, "2024-06-01", Ordinary, m2(280)), 30_000);
    assert_eq!(
        reduction(2025, "2024-06-01", Ordinary, Area::from_hundredths(28001)),
        0
    );
    // 120.50㎡: 140,000 × 120/120.5 × 1/2 = 69,709.5 → 69,709.
    assert_eq!(
        reduction(2025, "2024-06-01", Ordinary, Area::from_hundredths(12050)),
        69_709
    );
}

#[test]
fn errors_name_the_field() {
    let holding = Holding {
        houses: vec![house(
            10_000_000,
            Area::square_metres(100),
            Some(("2025-01-02", NewBuildKind::Ordinary)),
        )],
        ..Holding::default()
    };
    let err = assess(fy(2025), rates("0.014", "0"), &holding).unwrap_err();
    assert_eq!(
        err.field().as_deref(),
        Some("houses[0].new_build.completed_on")
    );
    let ok = assess(fy(2026), rates("0.014", "0"), &holding);
    assert!(ok.is_ok());

    let err = assess(fy(2025), rates("0.014", "0.0031"), &Holding::default()).unwrap_err();
    assert_eq!(err.field().as_deref(), Some("rates.city_planning"));

    let mut parcel = land(1_000_000, 0, LandUse::SmallResidential, None);
    let err = assess(
        fy(2025),
        rates("0.014", "0"),
        &Holding {
            land: vec![parcel.clone()],
            ..Holding::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.field().as_deref(), Some("land[0].area_m2"));
    parcel.area = Area::square_metres(100);
    parcel.dwellings = 0;
    let err = assess(
        fy(2025),
        rates("0.014", "0"),
        &Holding {
            land: vec![parcel],
            ..Holding::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.field().as_deref(), Some("land[0].dwellings"));

    let err = assess(fy(2020), rates("0.014", "0"), &Holding::default()).unwrap_err();
    assert!(matches!(
        err,
        FixedAssetTaxError::Rules(RuleError::UnsupportedYear { year: 2020, .. })
    ));
}

#[test]
fn areas_parse_exactly() {
    assert_eq!(Area::parse("165.29"), Some(Area::from_hundredths(16529)));
    assert_eq!(Area::parse("200"), Some(Area::square_metres(200)));
    assert_eq!(Area::parse("99.5"), Some(Area::from_hundredths(9950)));
    for bad in ["", "-1", "1.234", "1.", ".5", "1e3", "abc"] {
        assert_eq!(Area::parse(bad), None, "{bad}");
    }
    assert_eq!(Area::from_hundredths(16529).to_string(), "165.29㎡");
}

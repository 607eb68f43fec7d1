//! Rate tables row by row, the boundaries of the old rate, the age surcharge
//! and the green reduction, and the errors, all through one `check` helper.

use super::*;
use RateBasis::*;
use VehicleClass::*;

fn fy(year: i32) -> FiscalYear {
    FiscalYear::new(year).unwrap()
}

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).unwrap()
}

/// One case: fiscal year, class, first inspection, fuel, green claim → tax and basis.
struct Case {
    year: i32,
    class: VehicleClass,
    first_inspection: Option<String>,
    fuel: Option<Fuel>,
    claim: Option<GreenCriteria>,
    tax: i64,
    basis: RateBasis,
}

fn case(year: i32, class: VehicleClass, first: impl Into<String>, fuel: Fuel) -> Case {
    Case {
        year,
        class,
        first_inspection: Some(first.into()),
        fuel: Some(fuel),
        claim: None,
        tax: 0,
        basis: Standard,
    }
}

impl Case {
    fn claim(mut self, claim: GreenCriteria) -> Self {
        self.claim = Some(claim);
        self
    }
    fn gives(mut self, tax: i64, basis: RateBasis) -> Self {
        self.tax = tax;
        self.basis = basis;
        self
    }
}

fn check(cases: &[Case]) {
    for (i, c) in cases.iter().enumerate() {
        let vehicle = Vehicle {
            class: c.class,
            first_inspection: c.first_inspection.as_deref().map(month),
            fuel: c.fuel,
            green_criteria: c.claim,
        };
        let got = assess(fy(c.year), &vehicle)
            .unwrap_or_else(|e| panic!("case {i} ({} {:?}): {e}", c.year, c.class));
        assert_eq!(
            (got.annual_tax, got.rate_basis),
            (Yen::new(c.tax), c.basis),
            "case {i}: {} {:?} first {:?} {:?} {:?}",
            c.year,
            c.class,
            c.first_inspection,
            c.fuel,
            c.claim
        );
        let last = got.working.steps().last().map(|s| s.amount);
        assert_eq!(
            last,
            Some(got.annual_tax),
            "case {i}: working ends with the tax"
        );
    }
}

#[test]
fn every_rule_file_is_valid_and_names_its_year() {
    assert_eq!(RULES.check(), Ok(()));
    for year in RULES.years() {
        assert_eq!(RULES.for_year(year).map(|r| r.fiscal_year), Ok(year));
    }
    assert_eq!(RULES.years(), vec![2021, 2022, 2023, 2024, 2025, 2026]);
}

/// 標準税率 of every class in every year (地方税法第463条の15; the same table
/// is published by every municipality, e.g. 秩父市 and 太良町).
#[test]
fn standard_rates_row_by_row() {
    let table = [
        (Moped50, 2000),
        (Moped90, 2000),
        (Moped125, 2400),
        (Minicar, 3700),
        (TwoWheelLight, 3600),
        (TwoWheelSmall, 6000),
        (SmallSpecialFarm, 2000),
        (SmallSpecialOther, 5900),
        (ThreeWheel, 3900),
        (FourWheelPassengerPrivate, 10800),
        (FourWheelPassengerCommercial, 6900),
        (FourWheelCargoPrivate, 5000),
        (FourWheelCargoCommercial, 3800),
    ];
    let mut cases = Vec::new();
    for year in 2021..=2026 {
        for (class, tax) in table {
            cases.push(case(year, class, "2016-05", Fuel::Gasoline).gives(tax, Standard));
        }
    }
    cases.push(case(2025, NewStandardMoped, "2025-04", Fuel::Gasoline).gives(2000, Standard));
    cases.push(case(2026, NewStandardMoped, "2025-04", Fuel::Gasoline).gives(2000, Standard));
    check(&cases);
}

/// Mopeds, motorcycles and small specials need neither a first inspection nor a fuel.
#[test]
fn two_wheelers_need_no_inspection_month() {
    let bare = |class, tax| Case {
        year: 2025,
        class,
        first_inspection: None,
        fuel: None,
        claim: None,
        tax,
        basis: Standard,
    };
    check(&[
        bare(Moped50, 2000),
        bare(TwoWheelSmall, 6000),
        bare(SmallSpecialFarm, 2000),
    ]);
}

/// 旧税率 row by row, and the boundary: March 2015 keeps the old rate, April
/// 2015 pays the new one.
#[test]
fn old_rates_row_by_row_and_april_2015() {
    let table = [
        (ThreeWheel, 3100, 3900),
        (FourWheelPassengerPrivate, 7200, 10800),
        (FourWheelPassengerCommercial, 5500, 6900),
        (FourWheelCargoPrivate, 4000, 5000),
        (FourWheelCargoCommercial, 3000, 3800),
    ];
    let mut cases = Vec::new();
    for year in 2021..=2026 {
        for (class, old, new) in table {
            cases.push(case(year, class, "2015-03", Fuel::Gasoline).gives(old, Before2015_04));
            cases.push(case(year, class, "2015-04", Fuel::Gasoline).gives(new, Standard));
        }
    }
    check(&cases);
}

/// 経年重課 row by row, at the 13-year boundary of each year: first
/// inspected in March of (year − 13) is surcharged, April is not (it keeps
/// the old rate, being before April 2015).
#[test]
fn age_surcharge_row_by_row_at_the_13_year_boundary() {
    let table = [
        (ThreeWheel, 4600, 3100),
        (FourWheelPassengerPrivate, 12900, 7200),
        (FourWheelPassengerCommercial, 8200, 5500),
        (FourWheelCargoPrivate, 6000, 4000),
        (FourWheelCargoCommercial, 4500, 3000),
    ];
    let mut cases = Vec::new();
    for year in 2021..=2026 {
        let march = format!("{}-03", year - 13);
        let april = format!("{}-04", year - 13);
        for (class, surcharge, old) in table {
            cases.push(
                case(year, class, march.as_str(), Fuel::Gasoline).gives(surcharge, AgeSurcharge),
            );
            cases.push(case(year, class, april.as_str(), Fuel::Gasoline).gives(old, Before2015_04));
        }
    }
    // 令和7年度: 平成24年3月以前が重課 (published with the FY2025 notices).
    cases.push(
        case(2025, FourWheelPassengerPrivate, "2012-03", Fuel::Diesel).gives(12900, AgeSurcharge),
    );
    cases.push(
        case(2025, FourWheelPassengerPrivate, "1998-10", Fuel::Gasoline).gives(12900, AgeSurcharge),
    );
    check(&cases);
}

/// Electric, natural gas, methanol, hybrid and fuel-cell vehicles are not
/// surcharged: they keep the old rate.
#[test]
fn age_surcharge_exemptions() {
    let mut cases = Vec::new();
    for fuel in [
        Fuel::Electric,
        Fuel::NaturalGas,
        Fuel::Methanol,
        Fuel::Hybrid,
        Fuel::FuelCell,
    ] {
        cases.push(
            case(2025, FourWheelPassengerPrivate, "2010-06", fuel).gives(7200, Before2015_04),
        );
        cases.push(case(2025, FourWheelCargoPrivate, "2010-06", fuel).gives(4000, Before2015_04));
    }
    cases.push(
        case(2025, FourWheelPassengerPrivate, "2010-06", Fuel::Gasoline).gives(12900, AgeSurcharge),
    );
    cases.push(
        case(2025, FourWheelPassengerPrivate, "2010-06", Fuel::Diesel).gives(12900, AgeSurcharge),
    );
    check(&cases);
}

/// グリーン化特例 75%: electric and natural-gas vehicles first inspected in
/// the previous fiscal year, in every class and every year; a month earlier
/// or later gives the standard rate.
#[test]
fn green_75_row_by_row_and_its_window() {
    let table = [
        (ThreeWheel, 1000, 3900),
        (FourWheelPassengerPrivate, 2700, 10800),
        (FourWheelPassengerCommercial, 1800, 6900),
        (FourWheelCargoPrivate, 1300, 5000),
        (FourWheelCargoCommercial, 1000, 3800),
    ];
    let mut cases = Vec::new();
    for year in 2021..=2026 {
        let first = format!("{}-04", year - 1);
        let last = format!("{year}-03");
        let before = format!("{}-03", year - 1);
        for (class, green, standard) in table {
            cases.push(case(year, class, first.as_str(), Fuel::Electric).gives(green, Green75));
            cases.push(case(year, class, last.as_str(), Fuel::NaturalGas).gives(green, Green75));
            cases.push(case(year, class, last.as_str(), Fuel::FuelCell).gives(green, Green75));
            cases
                .push(case(year, class, before.as_str(), Fuel::Electric).gives(standard, Standard));
            // Gasoline without a fuel-efficiency claim gets nothing.
            cases.push(case(year, class, first.as_str(), Fuel::Gasoline).gives(standard, Standard));
        }
    }
    check(&cases);
}

/// The 50% and 25% reductions for gasoline and hybrid vehicles: every
/// class in FY2021 (秩父市 table 令和2・3年度); only commercial passenger
/// vehicles from FY2022 (伊豆の国市, 鉾田市); 25% for them ends with FY2025
/// (太良町: 25%軽減は令和7年3月までの取得分), 50% goes on in FY2026 (佐伯市).
#[test]
fn green_50_and_25_by_year() {
    use GreenCriteria::{FuelEfficiency25 as G25, FuelEfficiency50 as G50};
    let mut cases = vec![
        case(2021, FourWheelPassengerPrivate, "2020-04", Fuel::Gasoline)
            .claim(G50)
            .gives(5400, Green50),
        case(2021, FourWheelPassengerPrivate, "2021-03", Fuel::Hybrid)
            .claim(G25)
            .gives(8100, Green25),
        case(
            2021,
            FourWheelPassengerCommercial,
            "2020-10",
            Fuel::Gasoline,
        )
        .claim(G50)
        .gives(3500, Green50),
        case(
            2021,
            FourWheelPassengerCommercial,
            "2020-10",
            Fuel::Gasoline,
        )
        .claim(G25)
        .gives(5200, Green25),
        case(2021, FourWheelCargoPrivate, "2020-10", Fuel::Gasoline)
            .claim(G50)
            .gives(2500, Green50),
        case(2021, FourWheelCargoPrivate, "2020-10", Fuel::Gasoline)
            .claim(G25)
            .gives(3800, Green25),
        case(2021, FourWheelCargoCommercial, "2020-10", Fuel::Gasoline)
            .claim(G50)
            .gives(1900, Green50),
        case(2021, FourWheelCargoCommercial, "2020-10", Fuel::Gasoline)
            .claim(G25)
            .gives(2900, Green25),
        case(2021, ThreeWheel, "2020-10", Fuel::Gasoline)
            .claim(G50)
            .gives(2000, Green50),
        case(2021, ThreeWheel, "2020-10", Fuel::Gasoline)
            .claim(G25)
            .gives(3000, Green25),
        // Diesel vehicles are not among the fuels of the fuel-efficiency reduction.
        case(2021, FourWheelCargoPrivate, "2020-10", Fuel::Diesel)
            .claim(G50)
            .gives(5000, Standard),
    ];
    for year in 2022..=2026 {
        let first = format!("{}-06", year - 1);
        cases.push(
            case(
                year,
                FourWheelPassengerPrivate,
                first.as_str(),
                Fuel::Gasoline,
            )
            .claim(G50)
            .gives(10800, Standard),
        );
        cases.push(
            case(year, FourWheelCargoPrivate, first.as_str(), Fuel::Gasoline)
                .claim(G25)
                .gives(5000, Standard),
        );
        cases.push(
            case(year, ThreeWheel, first.as_str(), Fuel::Gasoline)
                .claim(G50)
                .gives(3900, Standard),
        );
        cases.push(
            case(
                year,
                FourWheelPassengerCommercial,
                first.as_str(),
                Fuel::Gasoline,
            )
            .claim(G50)
            .gives(3500, Green50),
        );
        let (tax, basis) = if year <= 2025 {
            (5200, Green25)
        } else {
            (6900, Standard)
        };
        cases.push(
            case(
                year,
                FourWheelPassengerCommercial,
                first.as_str(),
                Fuel::Hybrid,
            )
            .claim(G25)
            .gives(tax, basis),
        );
    }
    // An electric vehicle needs no claim, and a claim does not lower it further.
    cases.push(
        case(
            2025,
            FourWheelPassengerCommercial,
            "2024-06",
            Fuel::Electric,
        )
        .claim(G50)
        .gives(1800, Green75),
    );
    check(&cases);
}

#[test]
fn errors_name_the_field() {
    let vehicle = |class, first: Option<&str>, fuel| Vehicle {
        class,
        first_inspection: first.map(month),
        fuel,
        green_criteria: None,
    };
    let err = assess(fy(2024), &vehicle(NewStandardMoped, None, None)).unwrap_err();
    assert_eq!(err.field(), Some("vehicle.class"));
    assert!(matches!(err, LightVehicleTaxError::ClassNotInForce { .. }));

    let err = assess(fy(2025), &vehicle(ThreeWheel, None, Some(Fuel::Gasoline))).unwrap_err();
    assert_eq!(err, LightVehicleTaxError::FirstInspectionMissing);
    assert_eq!(err.field(), Some("vehicle.first_inspection"));

    let err = assess(fy(2025), &vehicle(ThreeWheel, Some("2020-01"), None)).unwrap_err();
    assert_eq!(err.field(), Some("vehicle.fuel"));

    // April of the fiscal year may be on the assessment date; May is after it.
    let ok = assess(
        fy(2025),
        &vehicle(
            FourWheelPassengerPrivate,
            Some("2025-04"),
            Some(Fuel::Gasoline),
        ),
    );
    assert_eq!(ok.map(|a| a.annual_tax), Ok(Yen::new(10800)));
    let err = assess(
        fy(2025),
        &vehicle(
            FourWheelPassengerPrivate,
            Some("2025-05"),
            Some(Fuel::Gasoline),
        ),
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("vehicle.first_inspection"));

    let err = assess(fy(2020), &vehicle(Moped50, None, None)).unwrap_err();
    assert!(matches!(
        err,
        LightVehicleTaxError::Rules(RuleError::UnsupportedYear { year: 2020, .. })
    ));
}

#[test]
fn codes_round_trip() {
    for class in VehicleClass::ALL {
        assert_eq!(VehicleClass::from_code(class.code()), Some(class));
    }
    for fuel in Fuel::ALL {
        assert_eq!(Fuel::from_code(fuel.code()), Some(fuel));
    }
    assert_eq!(VehicleClass::from_code("bicycle"), None);
}

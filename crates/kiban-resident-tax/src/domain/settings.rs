//! The municipality's resident-tax settings of one fiscal year (課税設定,
//! contract `resident-tax-v1`, "Municipal settings"): the rates, the 級地 of
//! the non-taxable limits, the due dates of the ordinary installments, the
//! installment unit and the collection agency code of the barcodes.
//!
//! Every value may be left out ([`SettingsInput`]); what is left out takes
//! its default ([`Settings::defaults`]): calc-v1's standard rates of the
//! year, grade 1, four due dates at the end of June, August, October and
//! January (each moved to the next business day when it falls on a
//! Saturday, Sunday, national holiday or the year-end closure), a unit of
//! 1,000 yen and the agency code `00000`.

use kiban_core::{Date, FiscalYear, Message, Rate, YearMonth, Yen};
use kiban_tax_resident::{CityKind, LocalRates, NonTaxableGrade, RESIDENT_TAX_RULES};

/// The most due dates a year may have (one a month).
pub const MAX_DUE_DATES: usize = 12;

/// The rates of the municipality (条例で定める税率).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// 市町村民税所得割の税率.
    pub municipal_income_rate: Rate,
    /// 道府県民税所得割の税率.
    pub prefectural_income_rate: Rate,
    /// 市町村民税均等割.
    pub municipal_per_capita: Yen,
    /// 道府県民税均等割.
    pub prefectural_per_capita: Yen,
}

/// The settings in force for one fiscal year, every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The fiscal year they are for.
    pub fiscal_year: FiscalYear,
    /// The rates.
    pub rates: Rates,
    /// Whether the municipality is a 指定都市 (an addition to the contract:
    /// when absent, calc-v1 infers it from the rates).
    pub designated_city: Option<bool>,
    /// 級地 (1–3).
    pub non_taxable_grade: u8,
    /// The due dates of the ordinary installments (普通徴収の納期限), in
    /// order; period N is due on the N-th.
    pub ordinary_due_dates: Vec<Date>,
    /// The unit of periods 2 onwards (円).
    pub installment_unit: i64,
    /// 収納機関番号 of the convenience-store barcode (5 digits).
    pub collection_agency_code: String,
}

/// The settings as given (a `PUT` body or a settings file): every value
/// optional, texts not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// `rates.municipal_income_rate`, e.g. `0.06`.
    pub municipal_income_rate: Option<String>,
    /// `rates.prefectural_income_rate`.
    pub prefectural_income_rate: Option<String>,
    /// `rates.municipal_per_capita`.
    pub municipal_per_capita: Option<i64>,
    /// `rates.prefectural_per_capita`.
    pub prefectural_per_capita: Option<i64>,
    /// `rates.designated_city`.
    pub designated_city: Option<bool>,
    /// `non_taxable_grade`.
    pub non_taxable_grade: Option<i64>,
    /// `ordinary_due_dates`, as texts `YYYY-MM-DD`.
    pub ordinary_due_dates: Option<Vec<String>>,
    /// `installment_unit`.
    pub installment_unit: Option<i64>,
    /// `collection_agency_code`.
    pub collection_agency_code: Option<String>,
}

/// A setting that cannot be accepted, named by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", message.code().as_str())]
pub struct SettingsError {
    /// The JSON path of the setting (`rates.municipal_income_rate`,
    /// `ordinary_due_dates[2]`, …).
    pub field: String,
    /// What is wrong, in the catalogue's words.
    pub message: Message,
}

impl SettingsError {
    fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let field = field.into();
        Self {
            message: Message::ResidentTaxSettingInvalid {
                field: field.clone(),
                detail: detail.into(),
            },
            field,
        }
    }
}

/// The fiscal year has no rule data (a run or settings for it are refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fiscal_year {year}: no resident-tax rule data")]
pub struct NoRulesForYear {
    /// The year asked for.
    pub year: i32,
    /// The catalogue's message (the rule book's words).
    pub message: Message,
}

/// Checks that calc-v1 has rule data for the fiscal year.
pub fn check_rules(fiscal_year: FiscalYear) -> Result<(), NoRulesForYear> {
    RESIDENT_TAX_RULES
        .for_year(fiscal_year.start_year())
        .map(|_| ())
        .map_err(|e| NoRulesForYear {
            year: fiscal_year.start_year(),
            message: Message::CalcNoRulesForYear {
                field: "fiscal_year".into(),
                detail: e.message().text(),
            },
        })
}

/// The default due dates: the last day of June, August and October of the
/// fiscal year's first calendar year and of January of the next, each moved
/// to the next business day. `None` when the holiday table does not cover
/// the year.
pub fn default_due_dates(fiscal_year: FiscalYear) -> Option<Vec<Date>> {
    let year = i16::try_from(fiscal_year.start_year()).ok()?;
    let months = [(year, 6), (year, 8), (year, 10), (year.checked_add(1)?, 1)];
    months
        .into_iter()
        .map(|(y, m)| {
            let end = YearMonth::new(y, m).ok()?.last_day();
            next_business_day(end)
        })
        .collect()
}

/// The first business day on or after `date` (the holiday table of
/// `kiban-jobs`); `None` beyond the table.
pub fn next_business_day(date: Date) -> Option<Date> {
    kiban_jobs::calendar::holidays()
        .ok()?
        .business_day_on_or_after(date)
        .ok()
}

impl Settings {
    /// The defaults of the year (see the module).
    pub fn defaults(fiscal_year: FiscalYear) -> Result<Self, NoRulesForYear> {
        Self::from_input(fiscal_year, &SettingsInput::default()).map_err(|_| NoRulesForYear {
            year: fiscal_year.start_year(),
            message: Message::CalcNoRulesForYear {
                field: "fiscal_year".into(),
                detail: format!("{}年度の納期限を決められません", fiscal_year.start_year()),
            },
        })
    }

    /// The settings from what was given, defaults filled in and every value
    /// checked. A fiscal year without rule data is refused (as the field
    /// `fiscal_year`).
    pub fn from_input(
        fiscal_year: FiscalYear,
        input: &SettingsInput,
    ) -> Result<Self, SettingsError> {
        let rules = RESIDENT_TAX_RULES
            .for_year(fiscal_year.start_year())
            .map_err(|e| SettingsError {
                field: "fiscal_year".into(),
                message: Message::CalcNoRulesForYear {
                    field: "fiscal_year".into(),
                    detail: e.message().text(),
                },
            })?;
        let rate =
            |field: &str, given: &Option<String>, standard: Rate| -> Result<Rate, SettingsError> {
                let Some(text) = given else {
                    return Ok(standard);
                };
                let rate = Rate::parse(text.trim()).map_err(|_| {
                    SettingsError::new(
                        field,
                        format!("「{text}」は税率（例: 0.06）として読めません"),
                    )
                })?;
                let probe = Yen::new(1_000_000_000);
                if rate.apply_truncating(probe).get() >= 200_000_000 {
                    return Err(SettingsError::new(
                        field,
                        "税率は0以上0.2未満で指定してください",
                    ));
                }
                Ok(rate)
            };
        let designated = input.designated_city == Some(true);
        let (std_m, std_p) = if designated {
            (
                rules.rates.designated_municipal_income_rate.rate(),
                rules.rates.designated_prefectural_income_rate.rate(),
            )
        } else {
            (
                rules.rates.municipal_income_rate.rate(),
                rules.rates.prefectural_income_rate.rate(),
            )
        };
        let amount =
            |field: &str, given: Option<i64>, standard: i64| -> Result<Yen, SettingsError> {
                match given {
                    None => Ok(Yen::new(standard)),
                    Some(v) if (0..=100_000).contains(&v) => Ok(Yen::new(v)),
                    Some(_) => Err(SettingsError::new(
                        field,
                        "均等割額は0円以上100,000円以下で指定してください",
                    )),
                }
            };
        let rates = Rates {
            municipal_income_rate: rate(
                "rates.municipal_income_rate",
                &input.municipal_income_rate,
                std_m,
            )?,
            prefectural_income_rate: rate(
                "rates.prefectural_income_rate",
                &input.prefectural_income_rate,
                std_p,
            )?,
            municipal_per_capita: amount(
                "rates.municipal_per_capita",
                input.municipal_per_capita,
                rules.rates.municipal_per_capita,
            )?,
            prefectural_per_capita: amount(
                "rates.prefectural_per_capita",
                input.prefectural_per_capita,
                rules.rates.prefectural_per_capita,
            )?,
        };
        let non_taxable_grade = match input.non_taxable_grade {
            None => 1,
            Some(g @ 1..=3) => u8::try_from(g).unwrap_or(1),
            Some(_) => {
                return Err(SettingsError::new(
                    "non_taxable_grade",
                    "級地は 1, 2, 3 のいずれかです",
                ));
            }
        };
        let ordinary_due_dates = match &input.ordinary_due_dates {
            None => default_due_dates(fiscal_year).ok_or_else(|| {
                SettingsError::new(
                    "ordinary_due_dates",
                    "この年度の祝日表がないため既定の納期限を決められません。納期限を指定してください",
                )
            })?,
            Some(texts) => due_dates(fiscal_year, texts)?,
        };
        let installment_unit = match input.installment_unit {
            None => 1_000,
            Some(u @ (1 | 10 | 100 | 1_000 | 10_000)) => u,
            Some(_) => {
                return Err(SettingsError::new(
                    "installment_unit",
                    "端数単位は 1, 10, 100, 1000, 10000 のいずれかです",
                ));
            }
        };
        let collection_agency_code = match &input.collection_agency_code {
            None => "00000".to_owned(),
            Some(code) if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) => {
                code.clone()
            }
            Some(_) => {
                return Err(SettingsError::new(
                    "collection_agency_code",
                    "収納機関番号は半角数字5桁で指定してください",
                ));
            }
        };
        Ok(Self {
            fiscal_year,
            rates,
            designated_city: input.designated_city,
            non_taxable_grade,
            ordinary_due_dates,
            installment_unit,
            collection_agency_code,
        })
    }

    /// The rates as calc-v1 and `kiban-tax-resident` take them.
    pub fn local_rates(&self) -> LocalRates {
        LocalRates {
            municipal_income_rate: Some(self.rates.municipal_income_rate),
            prefectural_income_rate: Some(self.rates.prefectural_income_rate),
            municipal_per_capita: Some(self.rates.municipal_per_capita),
            prefectural_per_capita: Some(self.rates.prefectural_per_capita),
            city_kind: self.designated_city.map(|d| {
                if d {
                    CityKind::Designated
                } else {
                    CityKind::Ordinary
                }
            }),
        }
    }

    /// The 級地.
    pub fn grade(&self) -> NonTaxableGrade {
        NonTaxableGrade::from_number(self.non_taxable_grade).unwrap_or(NonTaxableGrade::First)
    }

    /// The input these settings are (every value given), so that what is
    /// stored reads back to the same settings.
    pub fn to_input(&self) -> SettingsInput {
        SettingsInput {
            municipal_income_rate: Some(self.rates.municipal_income_rate.to_string()),
            prefectural_income_rate: Some(self.rates.prefectural_income_rate.to_string()),
            municipal_per_capita: Some(self.rates.municipal_per_capita.get()),
            prefectural_per_capita: Some(self.rates.prefectural_per_capita.get()),
            designated_city: self.designated_city,
            non_taxable_grade: Some(i64::from(self.non_taxable_grade)),
            ordinary_due_dates: Some(
                self.ordinary_due_dates
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            installment_unit: Some(self.installment_unit),
            collection_agency_code: Some(self.collection_agency_code.clone()),
        }
    }
}

/// The given due dates: 1 to 12, each a date within the fiscal year,
/// strictly increasing.
fn due_dates(fiscal_year: FiscalYear, texts: &[String]) -> Result<Vec<Date>, SettingsError> {
    if texts.is_empty() || texts.len() > MAX_DUE_DATES {
        return Err(SettingsError::new(
            "ordinary_due_dates",
            format!("納期限は1つ以上{MAX_DUE_DATES}個以下で指定してください"),
        ));
    }
    let mut dates: Vec<Date> = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let field = format!("ordinary_due_dates[{i}]");
        let date = kiban_core::date::parse_iso(text.trim()).map_err(|_| {
            SettingsError::new(
                &field,
                format!("「{text}」は日付（YYYY-MM-DD）として読めません"),
            )
        })?;
        if date < fiscal_year.first_day() || date > fiscal_year.last_day() {
            return Err(SettingsError::new(
                &field,
                format!(
                    "納期限は{}年度の中（{}から{}まで）の日付です",
                    fiscal_year.start_year(),
                    fiscal_year.first_day(),
                    fiscal_year.last_day()
                ),
            ));
        }
        if dates.last().is_some_and(|last| *last >= date) {
            return Err(SettingsError::new(
                &field,
                "納期限は早い順に、同じ日を重ねずに指定してください",
            ));
        }
        dates.push(date);
    }
    Ok(dates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn fy(y: i32) -> FiscalYear {
        FiscalYear::new(y).unwrap_or_else(|_| panic!("{y}"))
    }

    #[test]
    fn defaults_of_2026() {
        let s = Settings::defaults(fy(2026)).unwrap();
        assert_eq!(s.rates.municipal_income_rate.to_string(), "0.06");
        assert_eq!(s.rates.prefectural_income_rate.to_string(), "0.04");
        assert_eq!(s.rates.municipal_per_capita, Yen::new(3000));
        assert_eq!(s.rates.prefectural_per_capita, Yen::new(1000));
        assert_eq!(s.non_taxable_grade, 1);
        assert_eq!(s.installment_unit, 1000);
        assert_eq!(s.collection_agency_code, "00000");
        // 2026-06-30 Tue, 2026-08-31 Mon, 2026-10-31 Sat → 11-02 Mon,
        // 2027-01-31 Sun → 02-01 Mon (the contract's example).
        assert_eq!(
            s.ordinary_due_dates,
            vec![
                date(2026, 6, 30),
                date(2026, 8, 31),
                date(2026, 11, 2),
                date(2027, 2, 1)
            ]
        );
    }

    #[test]
    fn designated_city_defaults_to_its_standard_rates() {
        let input = SettingsInput {
            designated_city: Some(true),
            ..SettingsInput::default()
        };
        let s = Settings::from_input(fy(2026), &input).unwrap();
        assert_eq!(s.rates.municipal_income_rate.to_string(), "0.08");
        assert_eq!(s.rates.prefectural_income_rate.to_string(), "0.02");
    }

    #[test]
    fn given_values_are_kept_and_read_back() {
        let input = SettingsInput {
            municipal_income_rate: Some("0.08".into()),
            prefectural_income_rate: Some("0.02".into()),
            non_taxable_grade: Some(2),
            ordinary_due_dates: Some(vec![
                "2026-06-30".into(),
                "2026-09-30".into(),
                "2026-12-25".into(),
            ]),
            installment_unit: Some(100),
            collection_agency_code: Some("12345".into()),
            ..SettingsInput::default()
        };
        let s = Settings::from_input(fy(2026), &input).unwrap();
        assert_eq!(s.ordinary_due_dates.len(), 3);
        assert_eq!(s.installment_unit, 100);
        assert_eq!(Settings::from_input(fy(2026), &s.to_input()).unwrap(), s);
    }

    #[test]
    fn bad_values_name_their_field() {
        let field =
            |input: SettingsInput| Settings::from_input(fy(2026), &input).unwrap_err().field;
        assert_eq!(
            field(SettingsInput {
                municipal_income_rate: Some("6%".into()),
                ..Default::default()
            }),
            "rates.municipal_income_rate"
        );
        assert_eq!(
            field(SettingsInput {
                prefectural_income_rate: Some("0.5".into()),
                ..Default::default()
            }),
            "rates.prefectural_income_rate"
        );
        assert_eq!(
            field(SettingsInput {
                municipal_per_capita: Some(-1),
                ..Default::default()
            }),
            "rates.municipal_per_capita"
        );
        assert_eq!(
            field(SettingsInput {
                non_taxable_grade: Some(4),
                ..Default::default()
            }),
            "non_taxable_grade"
        );
        assert_eq!(
            field(SettingsInput {
                ordinary_due_dates: Some(vec!["2026-06-30".into(), "2026-02-30".into()]),
                ..Default::default()
            }),
            "ordinary_due_dates[1]"
        );
        assert_eq!(
            field(SettingsInput {
                ordinary_due_dates: Some(vec!["2026-08-31".into(), "2026-06-30".into()]),
                ..Default::default()
            }),
            "ordinary_due_dates[1]"
        );
        assert_eq!(
            field(SettingsInput {
                ordinary_due_dates: Some(vec!["2027-04-01".into()]),
                ..Default::default()
            }),
            "ordinary_due_dates[0]"
        );
        assert_eq!(
            field(SettingsInput {
                ordinary_due_dates: Some(vec![]),
                ..Default::default()
            }),
            "ordinary_due_dates"
        );
        assert_eq!(
            field(SettingsInput {
                installment_unit: Some(500),
                ..Default::default()
            }),
            "installment_unit"
        );
        assert_eq!(
            field(SettingsInput {
                collection_agency_code: Some("1234".into()),
                ..Default::default()
            }),
            "collection_agency_code"
        );
    }

    #[test]
    fn a_year_without_rules_is_refused() {
        assert!(check_rules(fy(2026)).is_ok());
        assert!(check_rules(fy(2019)).is_err());
        assert_eq!(
            Settings::from_input(fy(2019), &SettingsInput::default())
                .unwrap_err()
                .field,
            "fiscal_year"
        );
    }
}

//! `kiban import-legacy`: a mainframe extract (`fixed-cp932-v1`, see the
//! contract `legacy-fixed-cp932-v1.md`) into an empty municipality, with the
//! cleansing report.
//!
//! The report is always written. Nothing is imported while a
//! `before_migration` problem remains (exit 2), nor when the file is
//! malformed (exit 2; the report then carries `file_error` naming the
//! record and byte). Otherwise every person is registered in one
//! transaction, keeping the legacy 宛名番号:
//! - the residents of a household are registered by the registry's bulk
//!   registration under the legacy 世帯番号: a 転入 on the head's 住定日
//!   founding the household, members with a later 住定日 joining by 転入 (or
//!   出生 when born on that day) on their 住定日;
//! - each removed person (除票) is registered alone in a household of its own
//!   (a new 世帯番号) from their 住定日, then removed by a 転出 or 死亡 on
//!   their 消除日;
//! - a foreign person (国籍 set) is registered with 在留資格・在留期間
//!   "not yet known" (the layout has neither), listed in the report as
//!   `missing_residence_status` for a clerk to complete by 職権修正.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kiban_audit::Actor;
use kiban_core::{PostalCode, Relationship};
use kiban_exchange::legacy::{
    CleansingReport, GaijiMap, LegacyExtract, LegacyPerson, LegacyStatus, parse_fixed_cp932,
};
use kiban_registry::domain::{Address, AddressText, Nationality, StatusOfResidence};
use kiban_registry::storage::bulk::{
    self, NewHousehold, NewResident, PresetHousehold, Removal, RemovalKind,
};
use kiban_store::TenantDb;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// The only format this command reads.
pub const FORMAT: &str = "fixed-cp932-v1";
/// The 郵便番号 registered for an address whose extract has none (reported
/// as `missing_postal_code` for the clerks to correct).
pub const POSTAL_CODE_UNKNOWN: &str = "0000000";
/// The 転出先住所 of a moved-out person (the extract does not carry it).
pub const DESTINATION_UNKNOWN: &str = "不詳（移行データ）";
/// Households registered per step of the progress bar.
const CHUNK: usize = 2_000;

/// `kiban import-legacy`.
#[derive(Args)]
pub struct ImportLegacyArgs {
    /// The municipality to load into (no residents yet).
    #[arg(long)]
    municipality: String,
    /// The layout of the extract: fixed-cp932-v1.
    #[arg(long)]
    format: String,
    /// The extract.
    #[arg(long = "in")]
    input: PathBuf,
    /// The 外字 map (UTF-8 CSV `sjis,unicode`).
    #[arg(long)]
    gaiji_map: Option<PathBuf>,
    /// Where to write the cleansing report (JSON).
    #[arg(long)]
    report: PathBuf,
}

fn write_report(
    path: &PathBuf,
    report: &CleansingReport,
    file_error: Option<serde_json::Value>,
) -> Result<(), CliError> {
    let json = report
        .to_json()
        .map_err(|e| CliError::runtime(format!("報告書を作れません: {e}")))?;
    let text = match file_error {
        None => json,
        Some(error) => {
            let mut value: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| CliError::runtime(format!("報告書を作れません: {e}")))?;
            if let Some(object) = value.as_object_mut() {
                object.insert("file_error".to_owned(), error);
            }
            value.to_string()
        }
    };
    std::fs::write(path, text + "\n")
        .map_err(|e| CliError::runtime(format!("{}: 報告書を書けません: {e}", path.display())))
}

fn not_imported(report: &CleansingReport) -> CleansingReport {
    CleansingReport {
        imported: 0,
        ..report.clone()
    }
}

fn resident(person: &LegacyPerson, relationship: Relationship) -> Result<NewResident, CliError> {
    let record = person.record;
    let nationality = Nationality::parse(person.nationality.as_str()).map_err(|e| {
        CliError::invalid(format!("レコード{record}: 国籍: {}", e.message().text()))
    })?;
    Ok(NewResident {
        name: person.name.clone(),
        name_kana: person.name_kana.clone(),
        birth_date: person.birth_date,
        sex: person.sex,
        relationship,
        // The layout carries no 在留資格・在留期間: a foreign resident is
        // registered with them unknown (reported as
        // `missing_residence_status`, completed later by 職権修正).
        status_of_residence: (!nationality.is_japanese())
            .then(StatusOfResidence::unknown_after_migration),
        nationality,
        period_of_stay_until: None,
        resident_from: person.residence_start_date,
        previous_address: None,
        born_here: person.birth_date == person.residence_start_date,
    })
}

fn address(person: &LegacyPerson, postal: Option<&PostalCode>) -> Result<Address, CliError> {
    let record = person.record;
    let postal_code = match postal.or(person.postal_code.as_ref()) {
        Some(p) => p.clone(),
        None => PostalCode::parse(POSTAL_CODE_UNKNOWN)
            .map_err(|e| CliError::runtime(format!("郵便番号: {}", e.message().text())))?,
    };
    Ok(Address {
        postal_code,
        address_line: AddressText::parse(&person.address).map_err(|e| {
            CliError::invalid(format!("レコード{record}: 住所: {}", e.message().text()))
        })?,
        katagaki: match &person.katagaki {
            Some(k) => Some(AddressText::parse(k).map_err(|e| {
                CliError::invalid(format!("レコード{record}: 方書: {}", e.message().text()))
            })?),
            None => None,
        },
    })
}

/// The households to register, each with the record number of every
/// member (for messages).
pub fn plan_households(
    extract: &LegacyExtract,
) -> Result<Vec<(PresetHousehold, Vec<usize>)>, CliError> {
    let mut next_household = extract
        .households
        .iter()
        .map(|h| h.household_id)
        .max()
        .unwrap_or(0)
        + 1;
    let mut planned = Vec::new();
    let mut removed = Vec::new();
    for household in &extract.households {
        let residents: Vec<&LegacyPerson> = household
            .members
            .iter()
            .filter(|p| p.status.is_resident())
            .collect();
        removed.extend(household.members.iter().filter(|p| !p.status.is_resident()));
        let Some(head) = household.head() else {
            continue;
        };
        // The household's address is its head's; a member's postal code
        // stands in when the head has none.
        let postal = head
            .postal_code
            .as_ref()
            .or_else(|| residents.iter().find_map(|p| p.postal_code.as_ref()));
        let members = residents
            .iter()
            .map(|p| resident(p, p.relationship))
            .collect::<Result<Vec<_>, _>>()?;
        planned.push((
            PresetHousehold {
                household: NewHousehold {
                    address: address(head, postal)?,
                    members,
                },
                household_id: household.household_id,
                person_ids: residents.iter().map(|p| p.person_id).collect(),
                removals: Vec::new(),
            },
            residents.iter().map(|p| p.record).collect(),
        ));
    }
    for person in removed {
        let (on, kind) = match person.status {
            LegacyStatus::MovedOut { removed_on } => (
                removed_on,
                RemovalKind::MoveOut {
                    destination: AddressText::parse(DESTINATION_UNKNOWN).map_err(|e| {
                        CliError::runtime(format!("転出先住所: {}", e.message().text()))
                    })?,
                },
            ),
            LegacyStatus::Deceased { removed_on } => (removed_on, RemovalKind::Death),
            LegacyStatus::Resident => continue,
        };
        planned.push((
            PresetHousehold {
                household: NewHousehold {
                    address: address(person, None)?,
                    members: vec![resident(person, Relationship::Head)?],
                },
                household_id: next_household,
                person_ids: vec![person.person_id],
                removals: vec![Removal {
                    member: 0,
                    on,
                    kind,
                }],
            },
            vec![person.record],
        ));
        next_household += 1;
    }
    Ok(planned)
}

/// Turns `households[i].members[j].field` of a rejection of chunk `chunk`
/// into the record number.
fn record_of(field: &str, chunk: &[(PresetHousehold, Vec<usize>)]) -> Option<usize> {
    let rest = field.strip_prefix("households[")?;
    let (i, rest) = rest.split_once(']')?;
    let records = &chunk.get(i.parse::<usize>().ok()?)?.1;
    let j = rest
        .strip_prefix(".members[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(j, _)| j.parse::<usize>().ok())
        .unwrap_or(0);
    records.get(j).copied()
}

async fn registry_is_empty(tenant: &TenantDb) -> Result<bool, CliError> {
    let mut tx = tenant.begin_read().await?;
    let mut empty = true;
    for table in ["persons", "households", "movements"] {
        let row = tx
            .fetch_optional(
                &format!("SELECT 1 FROM {table} WHERE municipality_code = $1 LIMIT 1"),
                &[],
            )
            .await?;
        empty &= row.is_none();
    }
    tx.rollback().await?;
    Ok(empty)
}

/// Registers the planned households in one transaction.
async fn register(
    tenant: &TenantDb,
    planned: &[(PresetHousehold, Vec<usize>)],
    persons: u64,
) -> Result<(), CliError> {
    let bar = ProgressBar::new(persons);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} 人 {per_sec} 残り {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let actor = Actor::new("kiban-import-legacy", "system");
    let mut tx = tenant.begin().await?;
    for chunk in planned.chunks(CHUNK) {
        let households: Vec<PresetHousehold> = chunk.iter().map(|(h, _)| h.clone()).collect();
        if let Err(e) = bulk::register_preset_households(&mut tx, &actor, &households).await {
            bar.abandon();
            return Err(match e.rejection() {
                Some(rejection) => {
                    let record = record_of(&rejection.field, chunk)
                        .map(|r| format!("レコード{r}: "))
                        .unwrap_or_default();
                    CliError::invalid(format!(
                        "{record}登録できません（{}）: {}: {}",
                        rejection.field,
                        rejection.field,
                        rejection.message().text()
                    ))
                }
                None => CliError::runtime(format!("登録に失敗しました: {}", e.message().text())),
            });
        }
        bar.inc(chunk.iter().map(|(h, _)| h.person_ids.len() as u64).sum());
    }
    tx.commit().await?;
    bar.finish_and_clear();
    Ok(())
}

/// `kiban import-legacy`.
pub async fn import_legacy(database_url: &str, args: ImportLegacyArgs) -> Result<(), CliError> {
    let empty = CleansingReport::default();
    let code = parse_code("--municipality", &args.municipality)?;
    if args.format != FORMAT {
        write_report(&args.report, &empty, None)?;
        return Err(CliError::invalid(format!(
            "--format {}: 対応している形式は {FORMAT} です",
            args.format
        )));
    }
    let gaiji = match &args.gaiji_map {
        None => GaijiMap::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::invalid(format!("--gaiji-map {}: {e}", path.display())));
            let parsed = text.and_then(|t| {
                GaijiMap::parse_csv(&t).map_err(|e| {
                    CliError::invalid(format!(
                        "--gaiji-map {}: {}",
                        path.display(),
                        e.message().text()
                    ))
                })
            });
            match parsed {
                Ok(map) => map,
                Err(e) => {
                    write_report(&args.report, &empty, None)?;
                    return Err(e);
                }
            }
        }
    };
    let bytes = match std::fs::read(&args.input) {
        Ok(b) => b,
        Err(e) => {
            write_report(&args.report, &empty, None)?;
            return Err(CliError::invalid(format!(
                "--in {}: {e}",
                args.input.display()
            )));
        }
    };
    let mut extract = match parse_fixed_cp932(&bytes, &gaiji) {
        Ok(extract) => extract,
        Err(e) => {
            let message = e.message().text();
            let detail =
                serde_json::json!({"record": e.record, "byte": e.byte, "message": message});
            write_report(&args.report, &empty, Some(detail))?;
            return Err(CliError::invalid(format!(
                "{}: 形式が正しくありません: {message}",
                args.input.display()
            )));
        }
    };
    extract.note_registration_adjustments();
    let report = &extract.report;
    let summary = report.summary();
    if report.has_before_migration_issues() {
        write_report(&args.report, &not_imported(report), None)?;
        return Err(CliError::invalid(format!(
            "移行前に現行システムで修正が必要な問題が {} 件あります（報告書 {}）。何も取り込んでいません",
            summary.before_migration,
            args.report.display()
        )));
    }
    let result = async {
        let planned = plan_households(&extract)?;
        let db = open_migrated(database_url).await?;
        let tenant = db.tenant(code).await?;
        if !registry_is_empty(&tenant).await? {
            return Err(CliError::invalid(format!(
                "団体 {code} には既に住民記録があります。移行データは住民記録のない団体にだけ取り込めます"
            )));
        }
        let started = Instant::now();
        register(&tenant, &planned, report.imported as u64).await?;
        // A bulk load: without fresh statistics the planner takes the
        // municipality for an empty one.
        db.refresh_statistics().await?;
        kiban_addressee::storage::index_all(&tenant).await?;
        db.close().await;
        Ok(started.elapsed().as_secs_f64())
    }
    .await;
    match result {
        Ok(seconds) => {
            write_report(&args.report, report, None)?;
            say(&format!(
                "{} 件のレコードから {} 人を取り込みました（{seconds:.1} 秒）。移行時修正 {} 件、移行後修正 {} 件（報告書 {}）。",
                report.records,
                report.imported,
                summary.during_migration,
                summary.after_migration,
                args.report.display()
            ));
            emit(&report.imported.to_string());
            Ok(())
        }
        Err(e) => {
            write_report(&args.report, &not_imported(report), None)?;
            Err(e)
        }
    }
}

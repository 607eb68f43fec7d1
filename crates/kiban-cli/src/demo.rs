//! `kiban demo generate`, the demo municipality of `serve --demo`, and the
//! `bench demo-insert` benchmark.
//!
//! Generation is chunked: each chunk of residents is generated from (seed,
//! chunk index) alone, registered in one transaction together with the
//! job's progress row, and committed. An interrupted run (Ctrl+C, a crash)
//! resumes at the first chunk not committed, so nothing is lost or written
//! twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kiban_addressee::domain::{BasicInfo, PostalAddress};
use kiban_audit::Actor;
use kiban_auth::Role;
use kiban_core::{Date, MunicipalityCode};
use kiban_demo::{DemoHousehold, DemoProfile};
use kiban_registry::domain::{Address, AddressText, Nationality, StatusOfResidence};
use kiban_registry::storage::bulk::{self, IdBlock, NewHousehold, NewResident};
use kiban_store::platform::{self, Municipality};
use kiban_store::{Arg, Database, TenantDb, TenantTx, now_text};

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::say;

/// The demo municipality: 990019 デモ市.
pub const DEMO_CODE: &str = "990019";
pub(crate) const JOB_NAME: &str = "demo_generate";
const RECORDED_BY: &str = "demo-generator";

/// `kiban demo generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// The municipality to fill.
    #[arg(long)]
    municipality: String,
    /// Number of residents to generate.
    #[arg(long)]
    residents: u64,
    /// Seed: the same seed gives the same residents.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Residents per transaction.
    #[arg(long, default_value_t = 10_000)]
    chunk_size: u32,
    /// Non-residents (住登外者: landowners and taxpayers living elsewhere)
    /// to register in the addressee master besides the residents.
    #[arg(long, default_value_t = 0)]
    non_residents: u64,
    /// The fiscal year (年度) whose demo income records (給与支払報告書,
    /// 公的年金等支払報告書, 申告) are generated and imported for the
    /// population, so that the resident tax can be assessed; the current
    /// fiscal year by default.
    #[arg(long)]
    income_year: Option<i32>,
    /// Generate no income records.
    #[arg(long)]
    no_income: bool,
}

/// `kiban bench demo-insert`.
#[derive(Args)]
pub struct BenchArgs {
    /// Residents to generate in each of the two runs.
    #[arg(long, default_value_t = 200_000)]
    residents: u64,
    /// Residents per transaction.
    #[arg(long, default_value_t = 10_000)]
    chunk_size: u32,
}

fn profile(m: &Municipality) -> Result<DemoProfile, CliError> {
    let base_date = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(kiban_core::JAPAN_OFFSET))
        .date();
    profile_on(m, base_date)
}

/// The demo profile of a municipality with the given base date (the day in
/// Japan on which a generation ran).
pub(crate) fn profile_on(m: &Municipality, base_date: Date) -> Result<DemoProfile, CliError> {
    let prefecture = if m.prefecture.is_empty() {
        "デモ県"
    } else {
        &m.prefecture
    };
    DemoProfile::new(&m.name, prefecture, base_date, "999")
        .map_err(|e| CliError::invalid(format!("デモデータの設定: {}", e.message().text())))
}

/// Maps the generator's output to the registry's bulk-registration input.
/// The generator's values are valid by construction; a failure here is a
/// bug in the generator, reported as such.
fn to_new_households(chunk: &[DemoHousehold]) -> Result<Vec<NewHousehold>, CliError> {
    let bug = |what: &str, e: kiban_core::ValueError| {
        CliError::runtime(format!(
            "デモデータ生成の不具合（{what}）: {}",
            e.message().text()
        ))
    };
    chunk
        .iter()
        .map(|h| {
            let katagaki = match &h.address.katagaki {
                Some(k) => Some(AddressText::parse(k).map_err(|e| bug("方書", e))?),
                None => None,
            };
            let members = h
                .members
                .iter()
                .map(|p| {
                    Ok(NewResident {
                        name: p.name.clone(),
                        name_kana: p.name_kana.clone(),
                        birth_date: p.birth_date,
                        sex: p.sex,
                        relationship: p.relationship,
                        nationality: Nationality::parse(p.nationality)
                            .map_err(|e| bug("国籍", e))?,
                        status_of_residence: match p.status_of_residence {
                            Some(s) => Some(
                                StatusOfResidence::parse(s.label_ja())
                                    .map_err(|e| bug("在留資格", e))?,
                            ),
                            None => None,
                        },
                        period_of_stay_until: p.period_of_stay_until,
                        resident_from: p.resident_from,
                        previous_address: match &p.previous_address {
                            Some(a) => {
                                Some(AddressText::parse(a).map_err(|e| bug("転入前住所", e))?)
                            }
                            None => None,
                        },
                        born_here: p.previous_address.is_none() && p.resident_from == p.birth_date,
                    })
                })
                .collect::<Result<Vec<_>, CliError>>()?;
            Ok(NewHousehold {
                address: Address {
                    postal_code: h.address.postal_code.clone(),
                    address_line: AddressText::parse(&h.address.address_line)
                        .map_err(|e| bug("住所", e))?,
                    katagaki,
                },
                members,
            })
        })
        .collect()
}

struct Progress {
    chunks_done: u64,
    total_chunks: u64,
}

async fn load_progress(tenant: &TenantDb, key: &str) -> Result<Option<Progress>, CliError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT chunks_done, total_chunks FROM job_progress \
             WHERE municipality_code = $1 AND job_name = $2 AND job_key = $3",
            &[Arg::from(JOB_NAME), Arg::from(key)],
        )
        .await?;
    tx.commit().await?;
    Ok(match row {
        Some(r) => Some(Progress {
            chunks_done: u64::try_from(r.int(0)?).unwrap_or(0),
            total_chunks: u64::try_from(r.int(1)?).unwrap_or(0),
        }),
        None => None,
    })
}

async fn save_progress(
    tx: &mut TenantTx,
    key: &str,
    done: u64,
    total: u64,
) -> Result<(), CliError> {
    let now = now_text();
    let finished = (done == total).then(|| now.clone());
    tx.execute(
        "INSERT INTO job_progress (municipality_code, job_name, job_key, total_chunks, chunks_done, started_at, updated_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
         ON CONFLICT (municipality_code, job_name, job_key) \
         DO UPDATE SET chunks_done = $5, updated_at = $6, finished_at = $7",
        &[
            Arg::from(JOB_NAME),
            Arg::from(key),
            Arg::Int(i64::try_from(total).unwrap_or(i64::MAX)),
            Arg::Int(i64::try_from(done).unwrap_or(i64::MAX)),
            Arg::Text(now),
            Arg::from(finished),
        ],
    )
    .await?;
    Ok(())
}

/// Generates `residents` residents into `code`, resuming a previous run
/// with the same parameters. Returns the number of residents written by
/// this run.
pub async fn fill(
    db: &Database,
    code: MunicipalityCode,
    residents: u64,
    seed: u64,
    chunk_size: u32,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<u64, CliError> {
    if residents == 0 || residents > 50_000_000 {
        return Err(CliError::invalid(
            "--residents: 1 から 50,000,000 の範囲で指定してください",
        ));
    }
    if !(100..=100_000).contains(&chunk_size) {
        return Err(CliError::invalid(
            "--chunk-size: 100 から 100,000 の範囲で指定してください",
        ));
    }
    let m = platform::find_municipality(db, code)
        .await?
        .ok_or_else(|| {
            CliError::invalid(format!("団体コード {code} の団体は登録されていません"))
        })?;
    let profile = profile(&m)?;
    let tenant = db.tenant(code).await?;
    let key = format!("seed={seed};residents={residents};chunk={chunk_size}");
    let plan = kiban_demo::plan(residents, chunk_size);
    let total = plan.len() as u64;
    let done = match load_progress(&tenant, &key).await? {
        Some(p) if p.chunks_done >= p.total_chunks => {
            say(&format!("この生成（{key}）は完了済みです。"));
            return Ok(0);
        }
        Some(p) => {
            say(&format!(
                "前回の続きから再開します（{}/{} チャンク完了）。",
                p.chunks_done, p.total_chunks
            ));
            p.chunks_done
        }
        None => 0,
    };
    let bar = if show_progress {
        let bar = ProgressBar::new(residents);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} 人 {per_sec} 残り {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_position(
            plan.iter()
                .take(done as usize)
                .map(|c| u64::from(c.residents))
                .sum(),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut written = 0u64;
    for (index, chunk) in plan.iter().enumerate().skip(done as usize) {
        if stop.load(Ordering::SeqCst) {
            bar.abandon();
            return Err(CliError::runtime(format!(
                "中断しました（{index}/{total} チャンク完了）。同じコマンドで再開できます。"
            )));
        }
        let households =
            kiban_demo::generate_chunk(seed, &profile, chunk.chunk_index, chunk.residents);
        let new = to_new_households(&households)?;
        let mut tx = tenant.begin().await?;
        bulk::register_households(&mut tx, &Actor::new(RECORDED_BY, "system"), &new)
            .await
            .map_err(|e| {
                CliError::runtime(format!("登録に失敗しました: {}", e.message().text()))
            })?;
        save_progress(&mut tx, &key, index as u64 + 1, total).await?;
        tx.commit().await?;
        written += u64::from(chunk.residents);
        bar.inc(u64::from(chunk.residents));
    }
    // A bulk load: without fresh statistics the planner takes the
    // municipality for a nearly empty one.
    db.refresh_statistics().await?;
    bar.finish_and_clear();
    Ok(written)
}

fn interrupt_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            say("中断を受け付けました。現在のチャンクを書き終えてから停止します…");
            flag.store(true, Ordering::SeqCst);
        }
    });
    stop
}

/// `kiban demo generate`.
pub async fn generate(database_url: &str, args: GenerateArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let db = open_migrated(database_url).await?;
    let stop = interrupt_flag();
    let started = Instant::now();
    let written = fill(
        &db,
        code,
        args.residents,
        args.seed,
        args.chunk_size,
        &stop,
        true,
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    if written > 0 {
        say(&format!(
            "{written} 人を生成しました（{seconds:.1} 秒、{:.0} 人/秒）。",
            written as f64 / seconds.max(1e-9)
        ));
    }
    let mut non_residents = 0;
    if args.non_residents > 0 {
        let started = Instant::now();
        non_residents =
            fill_non_residents(&db, code, args.non_residents, args.seed, &stop, true).await?;
        if non_residents > 0 {
            say(&format!(
                "住登外者 {non_residents} 人を登録しました（{:.1} 秒）。",
                started.elapsed().as_secs_f64()
            ));
        }
    }
    // A bulk load writes no events: the addressee search is indexed here
    // (once: a finished generation run again indexes nothing new).
    let tenant = db.tenant(code).await?;
    if written > 0 || non_residents > 0 || !addressees_indexed(&tenant).await? {
        crate::batch::index_addressees(&tenant, true).await?;
    }
    if !args.no_income && !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let year = match args.income_year {
            Some(y) => kiban_core::FiscalYear::new(y).map_err(|_| {
                CliError::invalid(format!("--income-year: {y} は年度ではありません"))
            })?,
            None => kiban_core::FiscalYear::containing(kiban_core::today_in_japan()),
        };
        match kiban_resident_tax::domain::settings::check_rules(year) {
            Ok(()) => crate::demo_income::import_demo_income(&db, code, year).await?,
            Err(_) if args.income_year.is_none() => say(&format!(
                "{}年度の税制のデータがないため、所得情報のデモデータは作りません（--income-year で年度を指定できます）。",
                year.start_year()
            )),
            Err(e) => {
                return Err(CliError::invalid(format!(
                    "--income-year: {}",
                    e.message.text()
                )));
            }
        }
    }
    db.close().await;
    Ok(())
}

/// Whether the municipality's addressee index holds anything.
async fn addressees_indexed(tenant: &TenantDb) -> Result<bool, CliError> {
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            "SELECT addressee_id FROM addressee_index WHERE municipality_code = $1 LIMIT 1",
            &[],
        )
        .await?;
    tx.commit().await?;
    Ok(row.is_some())
}

/// Non-residents per transaction.
const NON_RESIDENT_CHUNK: u32 = kiban_demo::NON_RESIDENT_CHUNK;

/// Registers `count` generated non-residents (住登外者) in the addressee
/// master, a chunk per transaction with its progress row, so that an
/// interrupted run resumes; returns how many were registered now. They are
/// [`kiban_demo::generate_non_residents`]: names and birth dates from the
/// demo generator (another seed), addresses outside the municipality.
pub async fn fill_non_residents(
    db: &Database,
    code: MunicipalityCode,
    count: u64,
    seed: u64,
    stop: &AtomicBool,
    show_progress: bool,
) -> Result<u64, CliError> {
    if count > 10_000_000 {
        return Err(CliError::invalid(
            "--non-residents: 0 から 10,000,000 の範囲で指定してください",
        ));
    }
    let m = platform::find_municipality(db, code)
        .await?
        .ok_or_else(|| {
            CliError::invalid(format!("団体コード {code} の団体は登録されていません"))
        })?;
    let profile = profile(&m)?;
    let tenant = db.tenant(code).await?;
    let key = format!("non_residents seed={seed};count={count}");
    let plan = kiban_demo::plan(count, NON_RESIDENT_CHUNK);
    let total = plan.len() as u64;
    let done = match load_progress(&tenant, &key).await? {
        Some(p) if p.chunks_done >= p.total_chunks => return Ok(0),
        Some(p) => p.chunks_done,
        None => 0,
    };
    let bar = if show_progress {
        let bar = ProgressBar::new(count);
        bar.set_style(
            ProgressStyle::with_template("住登外者 {bar:40} {pos}/{len} 人 {per_sec} 残り {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let effective = profile.base_date();
    let mut written = 0u64;
    for (index, chunk) in plan.iter().enumerate().skip(done as usize) {
        if stop.load(Ordering::SeqCst) {
            bar.abandon();
            return Err(CliError::runtime(format!(
                "中断しました（{index}/{total} チャンク完了）。同じコマンドで再開できます。"
            )));
        }
        let infos: Vec<BasicInfo> =
            kiban_demo::generate_non_residents(seed, &profile, chunk.chunk_index, chunk.residents)
                .into_iter()
                .map(|n| BasicInfo {
                    name: n.person.name,
                    name_kana: n.person.name_kana,
                    birth_date: n.person.birth_date,
                    sex: n.person.sex,
                    address: PostalAddress {
                        postal_code: n.postal_code,
                        address_line: n.address_line,
                        katagaki: None,
                    },
                })
                .collect();
        let mut tx = tenant.begin().await?;
        kiban_addressee::storage::register_non_residents_bulk(
            &mut tx,
            &Actor::new(RECORDED_BY, "system"),
            &infos,
            effective,
        )
        .await?;
        save_progress(&mut tx, &key, index as u64 + 1, total).await?;
        tx.commit().await?;
        written += infos.len() as u64;
        bar.inc(infos.len() as u64);
    }
    db.refresh_statistics().await?;
    bar.finish_and_clear();
    Ok(written)
}

/// The demo accounts: (login, role).
const DEMO_ACCOUNTS: [(&str, Role); 6] = [
    ("admin", Role::MunicipalityAdmin),
    ("registry", Role::RegistryClerk),
    ("tax", Role::TaxClerk),
    ("nhi", Role::NhiClerk),
    ("supervisor", Role::Supervisor),
    ("auditor", Role::Auditor),
];

/// The demo password of a demo login. The demo municipality is for trying
/// the system on one's own machine; its passwords are printed at each start.
fn demo_password(login: &str) -> String {
    format!("demo-{login}-{DEMO_CODE}")
}

/// Creates the demo municipality with residents and one account per role
/// when absent; returns (login, role label, password) for the terminal.
pub async fn ensure_demo_municipality(
    db: &Database,
    residents: u64,
) -> Result<Vec<(String, String, String)>, CliError> {
    let code = parse_code("demo", DEMO_CODE)?;
    if platform::find_municipality(db, code).await?.is_none() {
        platform::create_municipality(
            db,
            &Municipality {
                code,
                name: "デモ市".into(),
                prefecture: "デモ県".into(),
            },
        )
        .await?;
        say("デモ市（990019）を作成しました。");
    }
    let tenant = db.tenant(code).await?;
    let mut logins = Vec::new();
    for (login, role) in DEMO_ACCOUNTS {
        let password = demo_password(login);
        if kiban_auth::find_staff(&tenant, login).await?.is_none() {
            kiban_auth::create_staff(
                &tenant,
                login,
                &format!("デモ{}", role.label_ja()),
                role,
                &password,
            )
            .await?;
        }
        logins.push((login.to_owned(), role.label_ja().to_owned(), password));
    }
    if kiban_certificate::storage::current_certifier(&tenant)
        .await?
        .is_none()
    {
        kiban_certificate::storage::set_certifier(
            &tenant,
            "demo",
            &kiban_certificate::storage::Certifier {
                mayor_title: "デモ市長".into(),
                mayor_name: "基盤 一郎".into(),
                official_seal: None,
            },
        )
        .await?;
    }
    let stop = AtomicBool::new(false);
    let written = fill(db, code, residents, 1, 10_000, &stop, true).await?;
    crate::batch::index_addressees(&db.tenant(code).await?, true).await?;
    if written > 0 {
        say(&format!("デモ市に {written} 人の住民を生成しました。"));
    }
    // The income records of the current fiscal year, so that the resident
    // tax can be assessed on the batch console (once: the same file again
    // is recognised and left as it is).
    let year = kiban_core::FiscalYear::containing(kiban_core::today_in_japan());
    if kiban_resident_tax::domain::settings::check_rules(year).is_ok() {
        crate::demo_income::import_demo_income(db, code, year).await?;
    }
    Ok(logins)
}

/// `kiban bench demo-insert`: the rows/second of `demo generate` (generation,
/// validation, numbering, audit, progress) next to a raw multi-row INSERT of
/// the same rows into the same tables on the same engine, as a ratio.
pub async fn bench(database_url: &str, args: BenchArgs) -> Result<(), CliError> {
    let db = open_migrated(database_url).await?;
    let backend = db.backend().name();
    if !platform::list_municipalities(&db).await?.is_empty() {
        return Err(CliError::invalid(
            "bench demo-insert は空のデータベースで実行してください（--database-url に新しいファイルまたはデータベースを指定）",
        ));
    }
    // Two bench municipalities (98000x, 98001x) in the empty database.
    let bench_code = |base: &str| {
        MunicipalityCode::from_five_digits(base).map_err(|e| CliError::runtime(e.message().text()))
    };
    let kiban_code = bench_code("98000")?;
    let raw_code = bench_code("98001")?;
    for code in [kiban_code, raw_code] {
        platform::create_municipality(
            &db,
            &Municipality {
                code,
                name: format!("ベンチ市{code}"),
                prefecture: "デモ県".into(),
            },
        )
        .await?;
    }
    say(&format!(
        "bench demo-insert: {} residents on {backend}",
        args.residents
    ));

    // 1. Kiban's path, as `kiban demo generate` runs it.
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    fill(
        &db,
        kiban_code,
        args.residents,
        7,
        args.chunk_size,
        &stop,
        false,
    )
    .await?;
    let kiban_seconds = started.elapsed().as_secs_f64();

    // 2. The same rows, prepared beforehand, inserted with plain multi-row
    //    INSERTs in transactions of the same size.
    let m = platform::find_municipality(&db, raw_code)
        .await?
        .ok_or_else(|| CliError::runtime("bench municipality vanished"))?;
    let profile = profile(&m)?;
    let mut prepared = Vec::new();
    let mut next_ids = IdBlock {
        first_person_id: 1,
        first_household_id: 1,
        first_movement_id: 1,
        first_resident_record_serial: 1,
    };
    for chunk in kiban_demo::plan(args.residents, args.chunk_size) {
        let households =
            kiban_demo::generate_chunk(7, &profile, chunk.chunk_index, chunk.residents);
        let rows = bulk::build_rows(
            &to_new_households(&households)?,
            next_ids,
            RECORDED_BY,
            jiff::Timestamp::now(),
        )
        .map_err(|e| CliError::runtime(e.message().text()))?;
        next_ids.first_person_id += rows.counts.persons;
        next_ids.first_resident_record_serial += rows.counts.persons;
        next_ids.first_household_id += rows.counts.households;
        next_ids.first_movement_id += rows.counts.movements;
        prepared.push(rows);
    }
    let total_rows: u64 = prepared.iter().map(|r| r.row_count()).sum();
    let tenant = db.tenant(raw_code).await?;
    let started = Instant::now();
    for rows in &prepared {
        let mut tx = tenant.begin().await?;
        bulk::insert_rows(&mut tx, rows)
            .await
            .map_err(|e| CliError::runtime(e.message().text()))?;
        tx.commit().await?;
    }
    let raw_seconds = started.elapsed().as_secs_f64();

    let kiban_rate = total_rows as f64 / kiban_seconds.max(1e-9);
    let raw_rate = total_rows as f64 / raw_seconds.max(1e-9);
    crate::output::emit(&format!(
        "backend={backend} residents={} rows={total_rows} kiban_seconds={kiban_seconds:.2} kiban_rows_per_s={kiban_rate:.0} \
         raw_seconds={raw_seconds:.2} raw_rows_per_s={raw_rate:.0} ratio={:.2}",
        args.residents,
        kiban_rate / raw_rate
    ));
    db.close().await;
    Ok(())
}

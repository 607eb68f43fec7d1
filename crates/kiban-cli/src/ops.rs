//! `kiban ops …` (contract `ops-v1`): restore drills (`crate::backup`), the
//! service operator's monthly report (月次運用報告) and its incidents
//! (障害・問い合わせ記録). Counts, timings and
//! the operator's own words only: nothing here shows resident data.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use kiban_ops::Month;
use kiban_ops::report::SlaReport;
use kiban_ops::storage::{ReportError, sla_report};
use kiban_store::ops::{self as records, Closed};
use kiban_store::platform;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// The longest summary or resolution of an incident, in characters.
const MAX_INCIDENT_TEXT: usize = 2_000;

/// `kiban ops …`.
#[derive(Subcommand)]
pub enum OpsCommand {
    /// Checks a backup by restoring it into a scratch database; records the
    /// result in the database of --database-url.
    RestoreDrill(crate::backup::DrillArgs),
    /// Prints the monthly operations report (JSON); with --pdf also writes
    /// it as a Japanese PDF (月次運用報告書).
    SlaReport(SlaReportArgs),
    /// Incidents and inquiries (障害・問い合わせ記録).
    #[command(subcommand)]
    Incident(IncidentCommand),
}

/// `kiban ops sla-report`.
#[derive(Args)]
pub struct SlaReportArgs {
    /// The month in Japan time, YYYY-MM.
    #[arg(long)]
    month: String,
    /// Restricts incidents and usage to one municipality (団体コード).
    #[arg(long)]
    municipality: Option<String>,
    /// Also writes the report as a PDF to this file.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// The operator named on the PDF.
    #[arg(long, default_value = "Kiban 共同利用サービス 運用事業者")]
    operator: String,
}

/// `kiban ops incident …`.
#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Opens an incident; prints {"id"}.
    Create {
        /// 1 (service down) to 4 (inquiry).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=4))]
        severity: i64,
        /// What happened.
        #[arg(long)]
        summary: String,
        /// The municipality concerned (none: the whole service).
        #[arg(long)]
        municipality: Option<String>,
    },
    /// Closes an open incident with its resolution.
    Close {
        /// The incident's number.
        id: i64,
        /// How it was resolved.
        #[arg(long)]
        resolution: String,
    },
    /// Lists every incident, newest first (JSON).
    List,
}

/// Runs `kiban ops …`.
pub async fn run(database_url: &str, command: OpsCommand) -> Result<(), CliError> {
    match command {
        OpsCommand::RestoreDrill(args) => crate::backup::restore_drill(database_url, args).await,
        OpsCommand::SlaReport(args) => report(database_url, args).await,
        OpsCommand::Incident(command) => incident(database_url, command).await,
    }
}

fn report_error(e: ReportError) -> CliError {
    match e {
        ReportError::Store(e) => e.into(),
        ReportError::UnknownMunicipality(code) => CliError::invalid(format!(
            "--municipality {code}: この団体は登録されていません"
        )),
        ReportError::Histogram(detail) => {
            CliError::runtime(format!("記録された応答時間を読めません: {detail}"))
        }
    }
}

async fn report(database_url: &str, args: SlaReportArgs) -> Result<(), CliError> {
    let month = Month::parse(args.month.trim()).map_err(|_| {
        CliError::invalid(format!(
            "--month {}: 年月は YYYY-MM で指定してください（例: 2026-11）",
            args.month
        ))
    })?;
    let municipality = args
        .municipality
        .as_deref()
        .map(|m| parse_code("--municipality", m))
        .transpose()?;
    let db = open_migrated(database_url).await?;
    let report = sla_report(&db, month, municipality.as_ref().map(|m| m.as_str()))
        .await
        .map_err(report_error)?;
    if let Some(path) = &args.pdf {
        let names: std::collections::BTreeMap<String, String> = platform::list_municipalities(&db)
            .await?
            .into_iter()
            .map(|m| (m.code.as_str().to_owned(), m.name))
            .collect();
        let scope = match &municipality {
            Some(code) => format!(
                "{} {}",
                code.as_str(),
                names.get(code.as_str()).map_or("", String::as_str)
            ),
            None => "サービス全体".to_owned(),
        };
        let document = pdf_report(&report, month, &scope, &args.operator, &names);
        let engine = kiban_print::PrintEngine::new(&kiban_print::PrintConfig::default())
            .map_err(|e| CliError::runtime(format!("帳票エンジンを準備できません: {e}")))?;
        let pdf = engine
            .render(&kiban_print::Document::OperationsReport(document))
            .map_err(|e| CliError::runtime(format!("月次運用報告書を印刷できません: {e}")))?;
        std::fs::write(path, pdf)?;
        say(&format!(
            "月次運用報告書を書き出しました: {}",
            path.display()
        ));
    }
    let json = serde_json::to_string_pretty(&report)
        .map_err(|e| CliError::runtime(format!("報告を書けません: {e}")))?;
    emit(&json);
    Ok(())
}

/// A stored UTC timestamp in Japan time, `2026-11-02 10:00`.
fn japan_time(text: &str) -> String {
    match text.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned_datetime(jiff::tz::TimeZone::fixed(kiban_core::JAPAN_OFFSET))
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => text.to_owned(),
    }
}

fn percent(ratio: Option<&str>) -> String {
    match ratio.and_then(|r| r.parse::<f64>().ok()) {
        Some(r) => format!("{:.2}%", r * 100.0),
        None => "計測なし".to_owned(),
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "計測なし".to_owned(), |v| format!("{v:.1} ms"))
}

/// The report as the PDF's sections.
fn pdf_report(
    report: &SlaReport,
    month: Month,
    scope: &str,
    operator: &str,
    names: &std::collections::BTreeMap<String, String>,
) -> kiban_print::OperationsReport {
    use kiban_print::ReportSection;
    let row = |label: &str, value: String| vec![label.to_owned(), value];
    let pair = || vec!["項目".to_owned(), "値".to_owned()];
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(kiban_core::JAPAN_OFFSET))
        .date();
    let availability = &report.availability;
    let met = match report.met_target() {
        Some(true) => "達成",
        Some(false) => "未達",
        None => "計測なし",
    };
    let drill = report.backups.last_restore_drill.as_ref().map_or_else(
        || "実施なし".to_owned(),
        |d| {
            format!(
                "{}（{}）",
                japan_time(&d.at),
                if d.status == "passed" {
                    "合格"
                } else {
                    "不合格"
                }
            )
        },
    );
    kiban_print::OperationsReport {
        month_label: month.label_ja(),
        scope: scope.to_owned(),
        created_on: kiban_core::wareki::format_ja(today),
        operator: operator.to_owned(),
        sections: vec![
            ReportSection {
                heading: "1. 可用性".into(),
                columns: pair(),
                rows: vec![
                    row("目標稼働率", percent(Some(&availability.target))),
                    row("実績稼働率", percent(availability.measured.as_deref())),
                    row("停止時間（分）", availability.minutes_down.to_string()),
                    row("目標の達成", met.to_owned()),
                ],
                note: Some(
                    "稼働率はサーバー自身が毎分行う応答確認（データベースへの接続を含む）の結果による。".into(),
                ),
            },
            ReportSection {
                heading: "2. 応答時間".into(),
                columns: pair(),
                rows: vec![
                    row("中央値（p50）", ms(report.response_ms.p50)),
                    row("90パーセンタイル（p90）", ms(report.response_ms.p90)),
                    row("99パーセンタイル（p99）", ms(report.response_ms.p99)),
                    row("3秒以内の応答の割合", percent(report.online_within_3s.as_deref())),
                ],
                note: Some("全団体・全画面とAPIの要求について、サーバーが受けてから応答するまでの時間。".into()),
            },
            ReportSection {
                heading: "3. バックアップとリストア訓練".into(),
                columns: pair(),
                rows: vec![
                    row("バックアップ成功", format!("{} 回", report.backups.succeeded)),
                    row("バックアップ失敗", format!("{} 回", report.backups.failed)),
                    row("最終リストア訓練", drill),
                ],
                note: None,
            },
            ReportSection {
                heading: "4. 障害・問い合わせ".into(),
                columns: ["番号", "重大度", "発生", "復旧", "概要"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: report
                    .incidents
                    .iter()
                    .map(|i| {
                        vec![
                            i.id.to_string(),
                            i.severity.to_string(),
                            japan_time(&i.opened_at),
                            i.closed_at
                                .as_deref()
                                .map_or_else(|| "対応中".to_owned(), japan_time),
                            i.summary.clone(),
                        ]
                    })
                    .collect(),
                note: None,
            },
            ReportSection {
                heading: "5. バッチ処理".into(),
                columns: pair(),
                rows: vec![
                    row("正常終了", format!("{} 件", report.jobs.succeeded)),
                    row("異常終了", format!("{} 件", report.jobs.failed)),
                ],
                note: None,
            },
            ReportSection {
                heading: "6. 団体別の利用状況".into(),
                columns: ["団体コード", "団体名", "要求数", "CPU時間（秒）", "データ量（MB）"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: report
                    .usage
                    .iter()
                    .map(|u| {
                        vec![
                            u.municipality_code.clone(),
                            names.get(&u.municipality_code).cloned().unwrap_or_default(),
                            u.requests.to_string(),
                            format!("{:.1}", u.cpu_seconds),
                            format!("{:.1}", u.storage_bytes as f64 / 1_048_576.0),
                        ]
                    })
                    .collect(),
                note: Some(
                    "CPU時間は各団体の要求と処理の実行時間、データ量はデータベースの各表の大きさを行数で按分した値。".into(),
                ),
            },
        ],
    }
}

fn incident_text(option: &str, text: &str) -> Result<String, CliError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CliError::invalid(format!("{option}: 空にはできません")));
    }
    if text.chars().count() > MAX_INCIDENT_TEXT {
        return Err(CliError::invalid(format!(
            "{option}: {MAX_INCIDENT_TEXT} 文字以内で指定してください"
        )));
    }
    Ok(text.to_owned())
}

async fn incident(database_url: &str, command: IncidentCommand) -> Result<(), CliError> {
    match command {
        IncidentCommand::Create {
            severity,
            summary,
            municipality,
        } => {
            let summary = incident_text("--summary", &summary)?;
            let municipality = municipality
                .as_deref()
                .map(|m| parse_code("--municipality", m))
                .transpose()?;
            let db = open_migrated(database_url).await?;
            if let Some(code) = municipality
                && platform::find_municipality(&db, code).await?.is_none()
            {
                return Err(CliError::invalid(format!(
                    "--municipality {}: この団体は登録されていません",
                    code.as_str()
                )));
            }
            let id = records::create_incident(
                &db,
                severity,
                &summary,
                municipality.as_ref().map_or("", |m| m.as_str()),
            )
            .await?;
            emit(&serde_json::json!({ "id": id }).to_string());
            Ok(())
        }
        IncidentCommand::Close { id, resolution } => {
            let resolution = incident_text("--resolution", &resolution)?;
            let db = open_migrated(database_url).await?;
            match records::close_incident(&db, id, &resolution).await? {
                Closed::Closed => {
                    say(&format!("障害・問い合わせ {id} を完了にしました。"));
                    Ok(())
                }
                Closed::AlreadyClosed => Err(CliError::invalid(format!(
                    "障害・問い合わせ {id} は既に完了しています"
                ))),
                Closed::Unknown => Err(CliError::invalid(format!(
                    "障害・問い合わせ {id} はありません"
                ))),
            }
        }
        IncidentCommand::List => {
            let db = open_migrated(database_url).await?;
            let incidents: Vec<_> = records::list_incidents(&db)
                .await?
                .into_iter()
                .map(|i| {
                    serde_json::json!({
                        "id": i.id,
                        "severity": i.severity,
                        "summary": i.summary,
                        "municipality_code": (!i.municipality.is_empty()).then_some(i.municipality),
                        "opened_at": i.opened_at,
                        "closed_at": i.closed_at,
                        "resolution": i.resolution,
                    })
                })
                .collect();
            emit(&serde_json::json!({ "incidents": incidents }).to_string());
            Ok(())
        }
    }
}

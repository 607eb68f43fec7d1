//! Batch plans (年間・月間・日次計画): per municipality, a list of planned
//! jobs (`{"job","params","schedule"}`) that only enqueue runs.
//!
//! Storage (migration 0013): `job_plans` holds the plan, one row per entry
//! in order; `job_plan_slots` records every slot already enqueued, keyed by
//! the entry (its job, schedule and canonical parameters) and the slot's
//! name (`2026-12-07T09:00`, Japan time). [`enqueue_due`] inserts the slot
//! row and the run in one transaction: the key makes a second insert of
//! the same slot a no-op, so several workers, or one restarted, enqueue a
//! slot once. A scheduler that was down enqueues only the latest missed
//! slot of each entry ([`crate::schedule`]). An entry enqueues nothing for
//! slots before it was added to the plan; an entry kept unchanged by a new
//! plan keeps its date of addition.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::DateTime;
use kiban_audit::{Actor, AuditAction};
use kiban_core::Message;
use kiban_store::{Arg, StoreError, TenantDb, TenantTx, now_text};

use crate::calendar::CalendarError;
use crate::engine::{self, SubmitError};
use crate::kind::{Kinds, Params};
use crate::schedule::{self, JAPAN, Schedule};

/// The access-log actor of runs enqueued by the plan.
pub const PLAN_LOGIN: &str = "system:plan";

/// One entry of a plan as given (by the API, the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    /// The job kind's name.
    pub job: String,
    /// Its parameters (name → value).
    pub params: BTreeMap<String, String>,
    /// The schedule's text (`daily:09:00`, …).
    pub schedule: String,
}

/// One entry of a stored plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The entry (parameters and schedule in canonical form).
    pub entry: PlanEntry,
    /// When it was added to the plan (RFC 3339, UTC).
    pub added_at: String,
    /// The last slot enqueued for it (`2026-12-07T09:00`), if any.
    pub last_slot: Option<String>,
    /// The job id of that slot's run.
    pub last_job_id: Option<i64>,
    /// Its next slot after now, if the calendar covers it.
    pub next_slot: Option<String>,
}

/// Why a plan could not be changed or enqueued.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// An entry is invalid; `field` names it (`plan[2].schedule`,
    /// `plan[0].params.as_of`, `plan[1].job`). The plan is unchanged.
    #[error("plan entry {field}: {}", message.code().as_str())]
    Invalid {
        /// The entry and field.
        field: String,
        /// What is wrong, as the catalogue words it for clerks.
        message: Message,
    },
    /// The business-day calendar does not cover a date.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A checked entry: its parameters and schedule parsed.
#[derive(Debug, Clone)]
struct Checked {
    job: String,
    params: Params,
    schedule: Schedule,
}

impl Checked {
    /// The entry's identity: equal entries (after canonical forms) have
    /// equal keys, and a slot is recorded under it.
    fn key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.job,
            self.schedule,
            self.params.to_json_text()
        )
    }

    fn raw_params(&self) -> BTreeMap<String, String> {
        self.params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// Checks every entry against the job kinds: a known job, its parameters,
/// a valid schedule. The first invalid entry is named.
fn check(kinds: &Kinds, entries: &[PlanEntry]) -> Result<Vec<Checked>, PlanError> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let invalid = |field: &str, message: Message| PlanError::Invalid {
                field: format!("plan[{index}].{field}"),
                message,
            };
            let params = match engine::check_params(kinds, &entry.job, &entry.params) {
                Ok(params) => params,
                Err(SubmitError::UnknownJob(job)) => {
                    return Err(invalid("job", Message::UnknownJob { job }));
                }
                Err(SubmitError::Param(e)) => {
                    return Err(invalid(&format!("params.{}", e.field), e.message));
                }
                Err(SubmitError::Store(e)) => return Err(PlanError::Store(e)),
            };
            let schedule = Schedule::parse(entry.schedule.trim())
                .map_err(|e| invalid("schedule", e.message()))?;
            Ok(Checked {
                job: entry.job.clone(),
                params,
                schedule,
            })
        })
        .collect()
}

async fn last_slots(
    tx: &mut TenantTx,
) -> Result<HashMap<String, (String, Option<i64>)>, StoreError> {
    // The latest slot of each entry: slot names sort as times.
    let rows = tx
        .fetch_all(
            "SELECT s.entry_key, s.slot, s.job_id FROM job_plan_slots s \
             WHERE s.municipality_code = $1 AND s.slot = (SELECT MAX(t.slot) FROM job_plan_slots t \
             WHERE t.municipality_code = s.municipality_code AND t.entry_key = s.entry_key)",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.text(0)?, (r.text(1)?, r.opt_int(2)?))))
        .collect()
}

struct Row {
    checked: Checked,
    key: String,
    added_at: String,
}

async fn read_rows(tx: &mut TenantTx) -> Result<Vec<Row>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT job, params, schedule, entry_key, added_at FROM job_plans \
             WHERE municipality_code = $1 ORDER BY position",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let schedule_text = r.text(2)?;
            let schedule = Schedule::parse(&schedule_text).map_err(|e| StoreError::Corrupt {
                column: "job_plans.schedule".into(),
                reason: e.to_string(),
            })?;
            Ok(Row {
                checked: Checked {
                    job: r.text(0)?,
                    params: Params::from_json_text(&r.text(1)?)?,
                    schedule,
                },
                key: r.text(3)?,
                added_at: r.text(4)?,
            })
        })
        .collect()
}

fn stored(row: &Row, last: &HashMap<String, (String, Option<i64>)>, now: Timestamp) -> StoredEntry {
    let (last_slot, last_job_id) = last
        .get(&row.key)
        .map_or((None, None), |(slot, id)| (Some(slot.clone()), *id));
    StoredEntry {
        entry: PlanEntry {
            job: row.checked.job.clone(),
            params: row.checked.raw_params(),
            schedule: row.checked.schedule.to_string(),
        },
        added_at: row.added_at.clone(),
        last_slot,
        last_job_id,
        next_slot: row
            .checked
            .schedule
            .next_after(now)
            .ok()
            .flatten()
            .map(schedule::slot_key),
    }
}

/// The municipality's plan, in order.
pub async fn get(tenant: &TenantDb) -> Result<Vec<StoredEntry>, PlanError> {
    let mut tx = tenant.begin_read().await?;
    let rows = read_rows(&mut tx).await?;
    let last = last_slots(&mut tx).await?;
    tx.commit().await?;
    let now = Timestamp::now();
    Ok(rows.iter().map(|row| stored(row, &last, now)).collect())
}

/// Replaces the municipality's plan with `entries`, after checking every
/// one (an invalid entry → [`PlanError::Invalid`] naming it, and the plan
/// unchanged). An entry equal to one already planned keeps its date of
/// addition. One `change` entry in the access log.
pub async fn put(
    tenant: &TenantDb,
    kinds: &Kinds,
    entries: &[PlanEntry],
    actor: &Actor,
) -> Result<Vec<StoredEntry>, PlanError> {
    let checked = check(kinds, entries)?;
    let mut tx = tenant.begin().await?;
    let previous: HashMap<String, String> = read_rows(&mut tx)
        .await?
        .into_iter()
        .map(|row| (row.key, row.added_at))
        .collect();
    tx.execute("DELETE FROM job_plans WHERE municipality_code = $1", &[])
        .await?;
    let now = now_text();
    let mut rows = Vec::with_capacity(checked.len());
    for entry in checked {
        let key = entry.key();
        let added_at = previous.get(&key).cloned().unwrap_or_else(|| now.clone());
        rows.push(Row {
            checked: entry,
            key,
            added_at,
        });
    }
    let values: Vec<Vec<Arg>> = rows
        .iter()
        .enumerate()
        .map(|(position, row)| {
            vec![
                Arg::Int(i64::try_from(position).unwrap_or(i64::MAX)),
                Arg::from(row.checked.job.as_str()),
                Arg::Text(row.checked.params.to_json_text()),
                Arg::Text(row.checked.schedule.to_string()),
                Arg::from(row.key.as_str()),
                Arg::from(row.added_at.as_str()),
                Arg::from(now.as_str()),
                Arg::from(actor.login.as_str()),
            ]
        })
        .collect();
    tx.insert_rows(
        "job_plans",
        &[
            "position",
            "job",
            "params",
            "schedule",
            "entry_key",
            "added_at",
            "updated_at",
            "updated_by",
        ],
        &values,
    )
    .await?;
    let entry = actor.entry(
        AuditAction::Change,
        None,
        format!("job_plan {} entries", rows.len()),
    );
    kiban_audit::append(&mut tx, &entry).await?;
    let last = last_slots(&mut tx).await?;
    tx.commit().await?;
    let now = Timestamp::now();
    Ok(rows.iter().map(|row| stored(row, &last, now)).collect())
}

/// A run enqueued by [`enqueue_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// The job kind.
    pub job: String,
    /// The slot (`2026-12-07T09:00`).
    pub slot: String,
    /// The run's job id.
    pub job_id: i64,
}

fn slot_instant(slot: &str) -> Option<Timestamp> {
    slot.parse::<DateTime>()
        .ok()
        .and_then(|civil| JAPAN.to_timestamp(civil).ok())
}

/// Enqueues, for every entry of the plan, its latest slot in
/// (max(added, last enqueued slot), `now`], if any, as a queued run
/// submitted by [`PLAN_LOGIN`]: the slot's record and the run in one
/// transaction, a slot already recorded skipped (see the module).
pub async fn enqueue_due(
    tenant: &TenantDb,
    kinds: &Kinds,
    now: Timestamp,
) -> Result<Vec<Enqueued>, PlanError> {
    let (rows, last) = {
        let mut tx = tenant.begin_read().await?;
        let rows = read_rows(&mut tx).await?;
        let last = last_slots(&mut tx).await?;
        tx.commit().await?;
        (rows, last)
    };
    let mut enqueued = Vec::new();
    for row in &rows {
        let added = row
            .added_at
            .parse::<Timestamp>()
            .map_err(|e| StoreError::Corrupt {
                column: "job_plans.added_at".into(),
                reason: e.to_string(),
            })?;
        let after = last
            .get(&row.key)
            .and_then(|(slot, _)| slot_instant(slot))
            .map_or(added, |slot| slot.max(added));
        let Some(due) = row.checked.schedule.latest_due(after, now)? else {
            continue;
        };
        let slot = schedule::slot_key(due);
        let mut tx = tenant.begin().await?;
        let claimed = tx
            .execute(
                "INSERT INTO job_plan_slots (municipality_code, entry_key, slot, job, job_id, enqueued_at) \
                 VALUES ($1, $2, $3, $4, NULL, $5) \
                 ON CONFLICT (municipality_code, entry_key, slot) DO NOTHING",
                &[
                    Arg::from(row.key.as_str()),
                    Arg::from(slot.as_str()),
                    Arg::from(row.checked.job.as_str()),
                    Arg::Text(now_text()),
                ],
            )
            .await?;
        if claimed == 0 {
            tx.rollback().await?;
            continue;
        }
        // The kind may have changed its parameters since the plan was
        // stored: check them again, as a submission would.
        let params = match engine::check_params(kinds, &row.checked.job, &row.checked.raw_params())
        {
            Ok(params) => params,
            Err(SubmitError::Store(e)) => return Err(e.into()),
            Err(_) => {
                // Recorded as enqueued without a run (the plan shows no
                // job id for it), so the slot is not tried again and again.
                tx.commit().await?;
                continue;
            }
        };
        let job_id = engine::insert_run(&mut tx, &row.checked.job, &params, PLAN_LOGIN).await?;
        tx.execute(
            "UPDATE job_plan_slots SET job_id = $4 \
             WHERE municipality_code = $1 AND entry_key = $2 AND slot = $3",
            &[
                Arg::from(row.key.as_str()),
                Arg::from(slot.as_str()),
                Arg::Int(job_id),
            ],
        )
        .await?;
        tx.commit().await?;
        enqueued.push(Enqueued {
            job: row.checked.job.clone(),
            slot,
            job_id,
        });
    }
    Ok(enqueued)
}

/// The worker's task that enqueues the due runs of every municipality's
/// plan.
pub struct PlanTask {
    /// The job kinds (to check the planned parameters).
    pub kinds: Kinds,
}

impl crate::worker::WorkerTask for PlanTask {
    fn name(&self) -> &'static str {
        "batch plans"
    }

    fn tick<'a>(
        &'a self,
        db: &'a kiban_store::Database,
    ) -> crate::kind::BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut worked = false;
            for municipality in kiban_store::platform::list_municipalities(db).await? {
                let tenant = db.tenant(municipality.code).await?;
                match enqueue_due(&tenant, &self.kinds, Timestamp::now()).await {
                    Ok(enqueued) => {
                        for run in &enqueued {
                            tracing::info!(
                                municipality = municipality.code.as_str(),
                                job = run.job.as_str(),
                                slot = run.slot.as_str(),
                                job_id = run.job_id,
                                "planned run enqueued"
                            );
                        }
                        worked |= !enqueued.is_empty();
                    }
                    Err(PlanError::Store(e)) => return Err(e),
                    Err(e) => tracing::warn!(
                        municipality = municipality.code.as_str(),
                        error = %e,
                        "batch plan could not be enqueued"
                    ),
                }
            }
            Ok(worked)
        })
    }
}

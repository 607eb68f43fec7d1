//! Support measures in the database, and the guard every business calls.
//!
//! All statements go through [`TenantTx`], so a measure of one municipality
//! can never protect (or unprotect) a person of another.

use std::collections::BTreeSet;

use kiban_audit::{Actor, AuditAction, AuditEntry};
use kiban_core::Date;
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, now_text};

use crate::{Decision, Exposure, PeriodError, Reason, SupportMeasure, decide, period};

/// The per-municipality sequence that numbers measures.
pub const MEASURE_SEQUENCE: &str = "support_measure";

/// Why recording or ending a measure failed.
#[derive(Debug, thiserror::Error)]
pub enum ProtectionError {
    /// The period is not acceptable (field `starts_on`/`ends_on`).
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// No such person in this municipality (field `person_id`).
    #[error("no person {0}")]
    UnknownPerson(i64),
    /// No such measure in this municipality (field `measure_id`).
    #[error("no support measure {0}")]
    UnknownMeasure(i64),
    /// The measure was already ended (field `measure_id`).
    #[error("support measure {0} has already ended")]
    AlreadyEnded(i64),
    /// The early end is outside the measure's period (field `ended_on`).
    #[error("ended_on is outside the period {starts_on} to {ends_on}")]
    EndOutsidePeriod {
        /// First day.
        starts_on: Date,
        /// Last day as granted.
        ends_on: Date,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ProtectionError {
    /// The catalogue's message for clerks (none for a storage failure).
    pub fn message(&self) -> Option<kiban_core::Message> {
        use kiban_core::Message as M;
        Some(match self {
            ProtectionError::Period(e) => e.message(),
            ProtectionError::UnknownPerson(id) => M::MeasureUnknownPerson {
                person_id: id.to_string(),
            },
            ProtectionError::UnknownMeasure(id) => M::MeasureUnknown {
                measure_id: id.to_string(),
            },
            ProtectionError::AlreadyEnded(id) => M::MeasureAlreadyEnded {
                measure_id: id.to_string(),
            },
            ProtectionError::EndOutsidePeriod { starts_on, ends_on } => {
                M::MeasureEndOutsidePeriod {
                    starts_on: starts_on.to_string(),
                    ends_on: ends_on.to_string(),
                }
            }
            ProtectionError::Store(_) => return None,
        })
    }

    /// The request field at fault, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ProtectionError::Period(PeriodError::StartOutOfRange) => Some("starts_on"),
            ProtectionError::Period(_) => Some("ends_on"),
            ProtectionError::UnknownPerson(_) => Some("person_id"),
            ProtectionError::UnknownMeasure(_) | ProtectionError::AlreadyEnded(_) => {
                Some("measure_id")
            }
            ProtectionError::EndOutsidePeriod { .. } => Some("ended_on"),
            ProtectionError::Store(_) => None,
        }
    }
}

const SELECT_MEASURES: &str = "SELECT m.measure_id, m.person_id, m.reason, m.starts_on, m.ends_on, \
     e.ended_on, m.recorded_at, m.recorded_by \
     FROM support_measures m LEFT JOIN support_measure_ends e \
     ON e.municipality_code = m.municipality_code AND e.measure_id = m.measure_id \
     WHERE m.municipality_code = $1";

fn measure_of(row: &Row) -> Result<SupportMeasure, StoreError> {
    let reason_code = row.text(2)?;
    let reason = Reason::from_code(&reason_code).ok_or_else(|| StoreError::Corrupt {
        column: "support_measures.reason".into(),
        reason: format!("unknown code {reason_code}"),
    })?;
    Ok(SupportMeasure {
        measure_id: row.int(0)?,
        person_id: row.int(1)?,
        reason,
        starts_on: row.date(3)?,
        ends_on: row.date(4)?,
        ended_on: row.opt_date(5)?,
        recorded_at: row.text(6)?,
        recorded_by: row.text(7)?,
    })
}

/// Whether the municipality has (or had) a person with this 宛名番号.
///
/// # Errors
/// A database failure.
pub async fn person_known(tx: &mut TenantTx, person_id: i64) -> Result<bool, StoreError> {
    Ok(tx
        .fetch_optional(
            "SELECT person_id FROM persons WHERE municipality_code = $1 AND person_id = $2",
            &[Arg::Int(person_id)],
        )
        .await?
        .is_some())
}

/// Records a new measure for a person of the municipality and writes the
/// change to the access log. `ends_on` defaults to one year.
///
/// # Errors
/// An unknown person, a bad period, or a database failure.
pub async fn record_measure(
    tx: &mut TenantTx,
    actor: &Actor,
    person_id: i64,
    reason: Reason,
    starts_on: Date,
    ends_on: Option<Date>,
) -> Result<SupportMeasure, ProtectionError> {
    let (starts_on, ends_on) = period(starts_on, ends_on)?;
    if !person_known(tx, person_id).await? {
        return Err(ProtectionError::UnknownPerson(person_id));
    }
    let measure_id = tx.next_numbers(MEASURE_SEQUENCE, 1).await?;
    let recorded_at = now_text();
    tx.execute(
        "INSERT INTO support_measures (municipality_code, measure_id, person_id, reason, \
         starts_on, ends_on, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Arg::Int(measure_id),
            Arg::Int(person_id),
            Arg::Text(reason.code().into()),
            Arg::Text(starts_on.to_string()),
            Arg::Text(ends_on.to_string()),
            Arg::Text(recorded_at.clone()),
            Arg::Text(actor.login.clone()),
        ],
    )
    .await?;
    kiban_audit::append(
        tx,
        &actor.entry(
            AuditAction::Change,
            Some(person_id),
            format!("support_measure {measure_id} recorded"),
        ),
    )
    .await?;
    Ok(SupportMeasure {
        measure_id,
        person_id,
        reason,
        starts_on,
        ends_on,
        ended_on: None,
        recorded_at,
        recorded_by: actor.login.clone(),
    })
}

/// Ends a measure early (its last protected day is `ended_on`), as a new
/// record; the measure itself stays as recorded. Audited.
///
/// # Errors
/// An unknown or already ended measure, a date outside its period, or a
/// database failure.
pub async fn end_measure(
    tx: &mut TenantTx,
    actor: &Actor,
    measure_id: i64,
    ended_on: Date,
) -> Result<SupportMeasure, ProtectionError> {
    // The measure's row stays locked until the transaction ends, so that two
    // ends of one measure at once are checked one after the other (the
    // second sees the first's end and is refused) instead of both inserting
    // an end (PostgreSQL; SQLite's `BEGIN IMMEDIATE` serializes writers).
    let lock = format!(
        "SELECT measure_id FROM support_measures \
         WHERE municipality_code = $1 AND measure_id = $2{}",
        tx.for_update()
    );
    tx.fetch_optional(&lock, &[Arg::Int(measure_id)]).await?;
    let sql = format!("{SELECT_MEASURES} AND m.measure_id = $2");
    let row = tx
        .fetch_optional(&sql, &[Arg::Int(measure_id)])
        .await?
        .ok_or(ProtectionError::UnknownMeasure(measure_id))?;
    let mut measure = measure_of(&row)?;
    if measure.ended_on.is_some() {
        return Err(ProtectionError::AlreadyEnded(measure_id));
    }
    if ended_on < measure.starts_on || ended_on > measure.ends_on {
        return Err(ProtectionError::EndOutsidePeriod {
            starts_on: measure.starts_on,
            ends_on: measure.ends_on,
        });
    }
    tx.execute(
        "INSERT INTO support_measure_ends (municipality_code, measure_id, ended_on, recorded_at, \
         recorded_by) VALUES ($1, $2, $3, $4, $5)",
        &[
            Arg::Int(measure_id),
            Arg::Text(ended_on.to_string()),
            Arg::Text(now_text()),
            Arg::Text(actor.login.clone()),
        ],
    )
    .await?;
    kiban_audit::append(
        tx,
        &actor.entry(
            AuditAction::Change,
            Some(measure.person_id),
            format!("support_measure {measure_id} ended"),
        ),
    )
    .await?;
    measure.ended_on = Some(ended_on);
    Ok(measure)
}

/// Every measure of a person, oldest first (no audit entry: the caller
/// logs its own read of the person).
///
/// # Errors
/// A database failure.
pub async fn measures_of(
    tx: &mut TenantTx,
    person_id: i64,
) -> Result<Vec<SupportMeasure>, StoreError> {
    let sql = format!("{SELECT_MEASURES} AND m.person_id = $2 ORDER BY m.measure_id");
    tx.fetch_all(&sql, &[Arg::Int(person_id)])
        .await?
        .iter()
        .map(measure_of)
        .collect()
}

/// At most this many protected households are gathered first; beyond,
/// each person asked about is looked up.
const PROTECTED_HOUSEHOLDS_GATHERED: i64 = 200;

/// Which of the given persons a measure protects on `on`: those under an
/// active measure themselves, and those who share a household with such a
/// person (their address is the protected person's address).
///
/// Measures are rare: the households under an active measure are gathered
/// first (one short range of the measures) and their members compared
/// with the persons asked about, which reads a few pages instead of every
/// person's household. Where more households are protected than
/// [`PROTECTED_HOUSEHOLDS_GATHERED`], each person is looked up instead.
///
/// # Errors
/// A database failure.
pub async fn protected_among(
    tx: &mut TenantTx,
    person_ids: &[i64],
    on: Date,
) -> Result<BTreeSet<i64>, StoreError> {
    let mut protected = BTreeSet::new();
    if person_ids.is_empty() {
        return Ok(protected);
    }
    let day = on.to_string();
    // One more than gathered, to know when there are more. The limit is
    // written into the statement: SQLite plans with a bound LIMIT's value
    // and so would prepare the statement again at every execution.
    let households: BTreeSet<i64> = tx
        .fetch_all(
            &format!(
                "SELECT DISTINCT q.household_id FROM support_measures m \
                 JOIN persons q ON q.municipality_code = m.municipality_code \
                 AND q.person_id = m.person_id \
                 LEFT JOIN support_measure_ends e \
                 ON e.municipality_code = m.municipality_code AND e.measure_id = m.measure_id \
                 WHERE m.municipality_code = $1 AND m.starts_on <= $2 AND m.ends_on >= $2 \
                 AND (e.ended_on IS NULL OR e.ended_on >= $2) LIMIT {}",
                PROTECTED_HOUSEHOLDS_GATHERED + 1
            ),
            &[Arg::Text(day.clone())],
        )
        .await?
        .iter()
        .map(|row| row.int(0))
        .collect::<Result<_, _>>()?;
    if households.is_empty() {
        return Ok(protected);
    }
    if households.len() as i64 <= PROTECTED_HOUSEHOLDS_GATHERED {
        let wanted: BTreeSet<i64> = person_ids.iter().copied().collect();
        let ids: Vec<i64> = households.into_iter().collect();
        for chunk in ids.chunks(200) {
            let sql = format!(
                "SELECT person_id FROM persons WHERE municipality_code = $1 \
                 AND household_id IN ({})",
                kiban_store::in_list(2, chunk.len())
            );
            let args: Vec<Arg> = chunk.iter().map(|id| Arg::Int(*id)).collect();
            for row in tx.fetch_all(&sql, &args).await? {
                let member = row.int(0)?;
                if wanted.contains(&member) {
                    protected.insert(member);
                }
            }
        }
        // Debug builds (the tests) check the answer against the other way.
        if cfg!(debug_assertions) {
            let each = protected_each(tx, person_ids, &day).await?;
            debug_assert_eq!(protected, each, "protected_among: both ways agree");
        }
        return Ok(protected);
    }
    protected_each(tx, person_ids, &day).await
}

/// [`protected_among`] by looking up each person's household.
async fn protected_each(
    tx: &mut TenantTx,
    person_ids: &[i64],
    day: &str,
) -> Result<BTreeSet<i64>, StoreError> {
    let mut protected = BTreeSet::new();
    for chunk in person_ids.chunks(200) {
        let sql = format!(
            "SELECT p.person_id FROM persons p WHERE p.municipality_code = $1 \
             AND p.person_id IN ({}) AND EXISTS (\
             SELECT 1 FROM persons q JOIN support_measures m \
             ON m.municipality_code = q.municipality_code AND m.person_id = q.person_id \
             LEFT JOIN support_measure_ends e \
             ON e.municipality_code = m.municipality_code AND e.measure_id = m.measure_id \
             WHERE q.municipality_code = $1 AND q.household_id = p.household_id \
             AND m.starts_on <= $2 AND m.ends_on >= $2 \
             AND (e.ended_on IS NULL OR e.ended_on >= $2))",
            kiban_store::in_list(3, chunk.len())
        );
        let mut args = Vec::with_capacity(chunk.len() + 1);
        args.push(Arg::from(day));
        args.extend(chunk.iter().map(|id| Arg::Int(*id)));
        for row in tx.fetch_all(&sql, &args).await? {
            protected.insert(row.int(0)?);
        }
    }
    Ok(protected)
}

/// The answer of the guard, with the access-log entry the attempt needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "append `entry` to the access log (and commit it even when refused)"]
pub struct Guarded {
    /// Whether the business may expose.
    pub decision: Decision,
    /// The entry recording the attempt, when a measure protects the person:
    /// `refused` when refused, `read` with the detail `support_measure
    /// override …` when a permitted role confirmed.
    pub entry: Option<AuditEntry>,
}

/// The access-log entry of an attempt on a person: none when no measure
/// protects them, `read` with `support_measure override …` when a
/// permitted role confirmed, `refused` otherwise.
fn attempt_entry(
    actor: &Actor,
    person_id: i64,
    decision: Decision,
    exposure: Exposure,
) -> Option<AuditEntry> {
    let (action, outcome) = match decision {
        Decision::NotProtected => return None,
        Decision::Overridden => (AuditAction::Read, "override"),
        Decision::Refused => (AuditAction::Refused, "refused"),
    };
    Some(actor.entry(
        action,
        Some(person_id),
        format!("support_measure {outcome} {}", exposure.code()),
    ))
}

/// The guard: may `actor` expose `exposure` of `person_id` on `on`?
///
/// `may_override` is whether the actor's role holds the permission to
/// override support measures; `confirmed` whether they confirmed explicitly
/// on this request. Nothing is written here: when a measure protects the
/// person, the returned [`Guarded::entry`] must be appended to the access
/// log by the caller with its own entries, as the last statements of its
/// transaction (the audit chain's lock order), and committed even when the
/// request is then refused, so that every attempt stays logged.
///
/// # Errors
/// A database failure.
pub async fn check(
    tx: &mut TenantTx,
    actor: &Actor,
    may_override: bool,
    confirmed: bool,
    person_id: i64,
    on: Date,
    exposure: Exposure,
) -> Result<Guarded, StoreError> {
    let protected = protected_among(tx, &[person_id], on).await?;
    let decision = decide(protected.contains(&person_id), may_override, confirmed);
    let entry = attempt_entry(actor, person_id, decision, exposure);
    Ok(Guarded { decision, entry })
}

/// The guard for many persons at once, in its own transaction: which of
/// `person_ids` must have `exposure` withheld from `actor` on `on`. Every
/// attempt on a protected person is written to the access log and
/// committed (refused, or read with `support_measure override …`).
///
/// For reads (lists, views, searches) whose own read entries are written
/// by the business's storage functions. A business that issues something
/// in one transaction calls [`check`] inside it instead.
///
/// # Errors
/// A database failure.
pub async fn withheld(
    tenant: &TenantDb,
    actor: &Actor,
    may_override: bool,
    confirmed: bool,
    person_ids: &[i64],
    on: Date,
    exposure: Exposure,
) -> Result<BTreeSet<i64>, StoreError> {
    if person_ids.is_empty() {
        return Ok(BTreeSet::new());
    }
    // Measures are rare: look in a read transaction first, so that the
    // common case takes no write lock (one writer at a time on SQLite).
    let mut read = tenant.begin_read().await?;
    let any = protected_among(&mut read, person_ids, on).await?;
    read.rollback().await?;
    if any.is_empty() {
        return Ok(any);
    }
    let mut tx = tenant.begin().await?;
    let protected = protected_among(&mut tx, person_ids, on).await?;
    if protected.is_empty() {
        tx.rollback().await?;
        return Ok(protected);
    }
    // Every protected person gets the same answer on one request.
    let decision = decide(true, may_override, confirmed);
    let entries: Vec<AuditEntry> = protected
        .iter()
        .filter_map(|id| attempt_entry(actor, *id, decision, exposure))
        .collect();
    let refused = if decision.allows() {
        BTreeSet::new()
    } else {
        protected
    };
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(refused)
}

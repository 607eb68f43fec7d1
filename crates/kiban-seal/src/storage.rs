//! The storage adapter of seal registration: its SQL, only through the
//! tenant-scoped [`TenantTx`]; one transaction per action, with its
//! access-log entries (refusals included) in that transaction.
//!
//! Tables (migration `0006_certificates_seal.sql` of `kiban-store`):
//! `seal_registrations` (the application and its impression),
//! `seal_registration_states` (one row per change, never updated: the
//! highest version is the state in force) and `seal_capacity_records`
//! (成年被後見人, one row per change). The registry is read through
//! `kiban-registry`'s storage, as of the day of the action; its events come
//! from the `outbox` table, the position of this consumer in
//! `outbox_offsets` (consumer [`CONSUMER`]).

use kiban_audit::{Actor, AuditAction};
use kiban_core::Date;
use kiban_jobs::consumer::{Consumer, EventHandler, HandlerFuture, OutboxEvent, RetryPolicy};
use kiban_registry::domain::{PersonId, ResidentStatus};
use kiban_registry::port::RegistryReads;
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, now_text};
use sha2::{Digest, Sha256};

use crate::domain::{
    self, Applicant, Change, Impression, Procedure, Refusal, RestorationCheck, ReviewReason,
    SealCardNumber, SealStatus, Start, State,
};

/// The counter of registration numbers (登録番号).
pub const REGISTRATION_SEQUENCE: &str = "seal_registration_id";
/// The counter of seal card serials (印鑑登録証).
pub const CARD_SEQUENCE: &str = "seal_card_serial";
/// The name of this business as a consumer of the registry's outbox.
pub const CONSUMER: &str = "seal_registration";
/// The access-log actor of the automatic abolitions.
pub const WORKER_LOGIN: &str = "system:seal-registration";

/// Why a seal action failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Refused by the rules; the refusal was written to the access log.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// No such registration in this municipality.
    #[error("no such seal registration")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One stored change of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRow {
    /// Its number within the registration, from 1.
    pub version: i64,
    /// The status after the change.
    pub status: SealStatus,
    /// What changed.
    pub change: Change,
    /// The card in force after the change.
    pub seal_card_number: Option<String>,
    /// The day the change took effect.
    pub effective_on: Date,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// The due day of the reply, while awaiting it.
    pub reply_due_on: Option<Date>,
    /// The outbox event that made the change, for the consumer's changes.
    pub source_event_id: Option<i64>,
    /// The clerk's reason, for a review decision (復活・廃止確定).
    pub reason: Option<String>,
}

/// A registration as read (the impression is read only to print).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// 登録番号.
    pub registration_id: i64,
    /// 宛名番号 of the holder.
    pub person_id: i64,
    /// How it was applied for.
    pub procedure: Procedure,
    /// The day of the application.
    pub applied_on: Date,
    /// The status as of the day it was read.
    pub status: SealStatus,
    /// The card in force, when registered.
    pub seal_card_number: Option<SealCardNumber>,
    /// The last day a reply is accepted, while awaiting it.
    pub reply_due_on: Option<Date>,
    /// Every change, oldest first.
    pub history: Vec<StateRow>,
}

/// A registered seal that a card certifies, for the 印鑑登録証明書.
#[derive(Debug, Clone)]
pub struct CertifiableSeal {
    /// 登録番号.
    pub registration_id: i64,
    /// The holder.
    pub person_id: PersonId,
    /// The impression.
    pub impression: Impression,
}

fn int(n: i64) -> Arg {
    Arg::Int(n)
}

fn date_arg(d: Date) -> Arg {
    Arg::Text(d.to_string())
}

fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column: column.to_owned(),
        reason: format!("unknown value {value}"),
    }
}

fn person_number(person: PersonId) -> Option<i64> {
    i64::try_from(person.get()).ok()
}

/// Writes a refusal in its own transaction (the action's was rolled back)
/// and returns it as the error.
async fn refused<T>(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: Option<i64>,
    operation: &str,
    refusal: Refusal,
) -> Result<T, SealError> {
    let mut tx = tenant.begin().await?;
    let detail = format!("seal {operation} refused {}", refusal.code());
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Refused, person_id, detail),
    )
    .await?;
    tx.commit().await?;
    Err(SealError::Refused(refusal))
}

fn state_row(row: &Row) -> Result<StateRow, StoreError> {
    let status = row.text(1)?;
    let change = row.text(2)?;
    Ok(StateRow {
        version: row.int(0)?,
        status: SealStatus::from_code(&status).ok_or_else(|| corrupt("status", &status))?,
        change: Change::from_code(&change).ok_or_else(|| corrupt("change", &change))?,
        seal_card_number: row.opt_text(3)?,
        effective_on: row.date(4)?,
        recorded_at: row.text(5)?,
        recorded_by: row.text(6)?,
        reply_due_on: row.opt_date(7)?,
        source_event_id: row.opt_int(8)?,
        reason: row.opt_text(9)?,
    })
}

const STATE_COLUMNS: &str = "version, status, change, seal_card_number, effective_on, recorded_at, recorded_by, reply_due_on, source_event_id, reason";

/// The state a stored row stands for.
fn state_of(row: &StateRow) -> Result<State, StoreError> {
    let card = row
        .seal_card_number
        .as_deref()
        .map(|c| SealCardNumber::parse(c).ok_or_else(|| corrupt("seal_card_number", c)))
        .transpose()?;
    Ok(State {
        status: row.status,
        card,
        reply_due_on: row.reply_due_on,
    })
}

async fn history(tx: &mut TenantTx, registration_id: i64) -> Result<Vec<StateRow>, StoreError> {
    let sql = format!(
        "SELECT {STATE_COLUMNS} FROM seal_registration_states \
         WHERE municipality_code = $1 AND registration_id = $2 ORDER BY version"
    );
    tx.fetch_all(&sql, &[int(registration_id)])
        .await?
        .iter()
        .map(state_row)
        .collect()
}

/// The latest stored row.
async fn latest_row(
    tx: &mut TenantTx,
    registration_id: i64,
) -> Result<Option<StateRow>, StoreError> {
    let sql = format!(
        "SELECT {STATE_COLUMNS} FROM seal_registration_states \
         WHERE municipality_code = $1 AND registration_id = $2 ORDER BY version DESC LIMIT 1"
    );
    tx.fetch_optional(&sql, &[int(registration_id)])
        .await?
        .map(|row| state_row(&row))
        .transpose()
}

/// The latest state and its version.
async fn latest(
    tx: &mut TenantTx,
    registration_id: i64,
) -> Result<Option<(State, i64)>, StoreError> {
    let Some(stored) = latest_row(tx, registration_id).await? else {
        return Ok(None);
    };
    Ok(Some((state_of(&stored)?, stored.version)))
}

/// The holder of a registration, whose row stays locked until the
/// transaction ends: concurrent changes of one registration are then
/// checked and written one after the other, each on the state the previous
/// one committed, instead of both writing the same next version (on
/// PostgreSQL, whose READ COMMITTED gives the statements after the lock a
/// fresh snapshot; SQLite's `BEGIN IMMEDIATE` serializes writers anyway).
async fn lock_holder(tx: &mut TenantTx, registration_id: i64) -> Result<Option<i64>, StoreError> {
    let sql = format!(
        "SELECT person_id FROM seal_registrations \
         WHERE municipality_code = $1 AND registration_id = $2{}",
        tx.for_update()
    );
    let row = tx.fetch_optional(&sql, &[int(registration_id)]).await?;
    row.map(|r| r.int(0)).transpose()
}

/// The registrations of a person, oldest first.
async fn registrations_of(tx: &mut TenantTx, person_id: i64) -> Result<Vec<i64>, StoreError> {
    tx.fetch_all(
        "SELECT registration_id FROM seal_registrations \
         WHERE municipality_code = $1 AND person_id = $2 ORDER BY registration_id",
        &[int(person_id)],
    )
    .await?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// Whether the person is recorded as an adult ward on `on`.
async fn is_adult_ward(tx: &mut TenantTx, person_id: i64, on: Date) -> Result<bool, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT adult_ward FROM seal_capacity_records \
             WHERE municipality_code = $1 AND person_id = $2 AND effective_on <= $3 \
             ORDER BY effective_on DESC, version DESC LIMIT 1",
            &[int(person_id), date_arg(on)],
        )
        .await?;
    Ok(match row {
        Some(r) => r.int(0)? == 1,
        None => false,
    })
}

#[expect(clippy::too_many_arguments, reason = "one row of the states table")]
async fn insert_state(
    tx: &mut TenantTx,
    registration_id: i64,
    version: i64,
    status: SealStatus,
    change: Change,
    card: Option<&SealCardNumber>,
    reply_due_on: Option<Date>,
    effective_on: Date,
    source_event_id: Option<i64>,
    recorded_by: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    tx.insert_rows(
        "seal_registration_states",
        &[
            "reason",
            "registration_id",
            "version",
            "status",
            "change",
            "seal_card_number",
            "reply_due_on",
            "effective_on",
            "source_event_id",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            reason.map_or(Arg::NullText, Arg::from),
            int(registration_id),
            int(version),
            Arg::from(status.code()),
            Arg::from(change.code()),
            card.map_or(Arg::NullText, |c| Arg::from(c.as_str())),
            reply_due_on.map_or(Arg::NullText, date_arg),
            date_arg(effective_on),
            source_event_id.map_or(Arg::NullInt, int),
            Arg::Text(now_text()),
            Arg::from(recorded_by),
        ]],
    )
    .await?;
    Ok(())
}

async fn next_card(tx: &mut TenantTx) -> Result<SealCardNumber, StoreError> {
    let serial = tx.next_numbers(CARD_SEQUENCE, 1).await?;
    u32::try_from(serial)
        .ok()
        .and_then(SealCardNumber::from_serial)
        .ok_or_else(|| StoreError::Corrupt {
            column: CARD_SEQUENCE.to_owned(),
            reason: format!("card serial {serial} out of range"),
        })
}

async fn read_registration(
    tx: &mut TenantTx,
    registration_id: i64,
    today: Date,
) -> Result<Option<Registration>, StoreError> {
    let Some(row) = tx
        .fetch_optional(
            "SELECT person_id, procedure, applied_on FROM seal_registrations \
             WHERE municipality_code = $1 AND registration_id = $2",
            &[int(registration_id)],
        )
        .await?
    else {
        return Ok(None);
    };
    let procedure = row.text(1)?;
    let Some((state, _)) = latest(tx, registration_id).await? else {
        return Err(corrupt("seal_registration_states", "none"));
    };
    Ok(Some(Registration {
        registration_id,
        person_id: row.int(0)?,
        procedure: Procedure::from_code(&procedure)
            .ok_or_else(|| corrupt("procedure", &procedure))?,
        applied_on: row.date(2)?,
        status: state.status_on(today),
        seal_card_number: state.card.clone(),
        reply_due_on: state.reply_due_on,
        history: history(tx, registration_id).await?,
    }))
}

/// 印鑑登録の申請: registers at once (`identity_verified`, a card number is
/// issued) or sends the inquiry letter (`inquiry`, awaiting the reply).
/// Refused for a person not resident on `today`, under 15, recorded as an
/// adult ward, or with a registration in force; the refusal is logged.
pub async fn register(
    tenant: &TenantDb,
    actor: &Actor,
    person: PersonId,
    procedure: Procedure,
    impression: &Impression,
    today: Date,
) -> Result<Registration, SealError> {
    let person_id = person_number(person).ok_or(SealError::NotFound)?;
    let mut tx = tenant.begin().await?;
    let record = RegistryReads::within(&mut tx)
        .person_as_of(person, today)
        .await?;
    let mut has_active = false;
    for id in registrations_of(&mut tx, person_id).await? {
        if let Some((state, _)) = latest(&mut tx, id).await?
            && state.is_active_on(today)
        {
            has_active = true;
        }
    }
    let applicant = match &record {
        Some(r) => Some(Applicant {
            resident: r.status == ResidentStatus::Resident,
            birth_date: r.birth_date,
            adult_ward: is_adult_ward(&mut tx, person_id, today).await?,
            has_active_registration: has_active,
        }),
        None => None,
    };
    let start = match domain::apply(applicant, procedure, today) {
        Ok(start) => start,
        Err(refusal) => {
            tx.rollback().await?;
            // A person of no record here is not named in the log.
            let logged = record.as_ref().map(|_| person_id);
            return refused(tenant, actor, logged, "register", refusal).await;
        }
    };
    let registration_id = tx.next_numbers(REGISTRATION_SEQUENCE, 1).await?;
    let (status, card, due) = match start {
        Start::Registered => (
            SealStatus::Registered,
            Some(next_card(&mut tx).await?),
            None,
        ),
        Start::AwaitingReply { reply_due_on } => {
            (SealStatus::AwaitingReply, None, Some(reply_due_on))
        }
    };
    let recorded_at = now_text();
    tx.insert_rows(
        "seal_registrations",
        &[
            "registration_id",
            "person_id",
            "procedure",
            "impression_png",
            "impression_sha256",
            "applied_on",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            int(registration_id),
            int(person_id),
            Arg::from(procedure.code()),
            Arg::Bytes(impression.as_bytes().to_vec()),
            Arg::Text(hex::encode(Sha256::digest(impression.as_bytes()))),
            date_arg(today),
            Arg::Text(recorded_at),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    insert_state(
        &mut tx,
        registration_id,
        1,
        status,
        Change::Applied,
        card.as_ref(),
        due,
        today,
        None,
        &actor.login,
        None,
    )
    .await?;
    let detail = format!(
        "seal_registration {registration_id} applied {}",
        procedure.code()
    );
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Change, Some(person_id), detail),
    )
    .await?;
    let registration = read_registration(&mut tx, registration_id, today)
        .await?
        .ok_or(SealError::NotFound)?;
    tx.commit().await?;
    Ok(registration)
}

/// The kinds of change a clerk makes to an existing registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClerkChange {
    /// 回答書の受理.
    Reply,
    /// 登録証の再交付 (亡失).
    ReissueCard,
    /// 廃止申請.
    Abolish,
}

impl ClerkChange {
    fn operation(self) -> &'static str {
        match self {
            ClerkChange::Reply => "reply",
            ClerkChange::ReissueCard => "card_reissue",
            ClerkChange::Abolish => "abolish",
        }
    }
}

/// Applies a clerk's change (reply, card reissue, abolition) on `today`;
/// a refusal is logged. Returns the registration after the change.
pub async fn change(
    tenant: &TenantDb,
    actor: &Actor,
    registration_id: i64,
    change: ClerkChange,
    today: Date,
) -> Result<Registration, SealError> {
    let mut tx = tenant.begin().await?;
    let Some(person_id) = lock_holder(&mut tx, registration_id).await? else {
        tx.rollback().await?;
        return Err(SealError::NotFound);
    };
    let Some((state, version)) = latest(&mut tx, registration_id).await? else {
        return Err(SealError::Store(corrupt(
            "seal_registration_states",
            "none",
        )));
    };
    let checked = match change {
        ClerkChange::Reply => domain::reply(&state, today),
        ClerkChange::ReissueCard => domain::reissue_card(&state, today),
        ClerkChange::Abolish => domain::abolish(&state, today),
    };
    if let Err(refusal) = checked {
        tx.rollback().await?;
        return refused(tenant, actor, Some(person_id), change.operation(), refusal).await;
    }
    let (status, stored_change, card) = match change {
        ClerkChange::Reply => (
            SealStatus::Registered,
            Change::Replied,
            Some(next_card(&mut tx).await?),
        ),
        ClerkChange::ReissueCard => (
            SealStatus::Registered,
            Change::CardReissued,
            Some(next_card(&mut tx).await?),
        ),
        ClerkChange::Abolish => (SealStatus::Abolished, Change::AbolishedOnRequest, None),
    };
    insert_state(
        &mut tx,
        registration_id,
        version + 1,
        status,
        stored_change,
        card.as_ref(),
        None,
        today,
        None,
        &actor.login,
        None,
    )
    .await?;
    let detail = format!(
        "seal_registration {registration_id} {}",
        stored_change.code()
    );
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Change, Some(person_id), detail),
    )
    .await?;
    let registration = read_registration(&mut tx, registration_id, today)
        .await?
        .ok_or(SealError::NotFound)?;
    tx.commit().await?;
    Ok(registration)
}

/// Reads a registration (its status as of `today` and its history), with a
/// `read` entry.
pub async fn get(
    tenant: &TenantDb,
    actor: &Actor,
    registration_id: i64,
    today: Date,
) -> Result<Option<Registration>, StoreError> {
    let mut tx = tenant.begin().await?;
    let registration = read_registration(&mut tx, registration_id, today).await?;
    if let Some(r) = &registration {
        let detail = format!("seal_registration {registration_id}");
        kiban_audit::append(
            &mut tx,
            &actor.entry(AuditAction::Read, Some(r.person_id), detail),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(registration)
}

/// The registrations of a person, oldest first, with one `read` entry when
/// there are any.
pub async fn list_for_person(
    tenant: &TenantDb,
    actor: &Actor,
    person: PersonId,
    today: Date,
) -> Result<Vec<Registration>, StoreError> {
    let Some(person_id) = person_number(person) else {
        return Ok(Vec::new());
    };
    let mut tx = tenant.begin().await?;
    let mut out = Vec::new();
    for id in registrations_of(&mut tx, person_id).await? {
        if let Some(r) = read_registration(&mut tx, id, today).await? {
            out.push(r);
        }
    }
    if !out.is_empty() {
        kiban_audit::append(
            &mut tx,
            &actor.entry(AuditAction::Read, Some(person_id), "seal_registrations"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Records whether a person is an adult ward (成年被後見人) from
/// `effective_on`. Becoming one abolishes a registration in force
/// (`abolished_adult_ward`). Logged as a change.
pub async fn record_adult_ward(
    tenant: &TenantDb,
    actor: &Actor,
    person: PersonId,
    adult_ward: bool,
    effective_on: Date,
) -> Result<(), SealError> {
    let person_id = person_number(person).ok_or(SealError::NotFound)?;
    let mut tx = tenant.begin().await?;
    let version = tx
        .fetch_optional(
            "SELECT MAX(version) FROM seal_capacity_records \
             WHERE municipality_code = $1 AND person_id = $2",
            &[int(person_id)],
        )
        .await?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0)
        + 1;
    tx.insert_rows(
        "seal_capacity_records",
        &[
            "person_id",
            "version",
            "adult_ward",
            "effective_on",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            int(person_id),
            int(version),
            int(i64::from(adult_ward)),
            date_arg(effective_on),
            Arg::Text(now_text()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    if adult_ward {
        for id in registrations_of(&mut tx, person_id).await? {
            if let Some((state, v)) = latest(&mut tx, id).await?
                && domain::abolished_by_event(&state)
            {
                insert_state(
                    &mut tx,
                    id,
                    v + 1,
                    SealStatus::Abolished,
                    Change::AbolishedAdultWard,
                    None,
                    None,
                    effective_on,
                    None,
                    &actor.login,
                    None,
                )
                .await?;
            }
        }
    }
    let detail = format!("seal adult_ward {adult_ward} from {effective_on}");
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Change, Some(person_id), detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Finds the registered seal a card certifies on `today`, in the caller's
/// transaction and without an access-log entry (the certificate's `print`
/// entry records it). A malformed or unknown number is
/// [`Refusal::UnknownCard`]; a replaced card or an abolished registration
/// is [`Refusal::CardNoLongerValid`].
pub async fn certifiable_seal(
    tx: &mut TenantTx,
    card_number: &str,
    today: Date,
) -> Result<Result<CertifiableSeal, Refusal>, StoreError> {
    let Some(card) = SealCardNumber::parse(card_number) else {
        return Ok(Err(Refusal::UnknownCard));
    };
    let Some(row) = tx
        .fetch_optional(
            "SELECT registration_id FROM seal_registration_states \
             WHERE municipality_code = $1 AND seal_card_number = $2 LIMIT 1",
            &[Arg::from(card.as_str())],
        )
        .await?
    else {
        return Ok(Err(Refusal::UnknownCard));
    };
    let registration_id = row.int(0)?;
    let Some((state, _)) = latest(tx, registration_id).await? else {
        return Ok(Err(Refusal::UnknownCard));
    };
    if let Err(refusal) = domain::certify(&state, &card, today) {
        return Ok(Err(refusal));
    }
    let Some(row) = tx
        .fetch_optional(
            "SELECT person_id, impression_png FROM seal_registrations \
             WHERE municipality_code = $1 AND registration_id = $2",
            &[int(registration_id)],
        )
        .await?
    else {
        return Ok(Err(Refusal::UnknownCard));
    };
    let person_id = row.int(0)?;
    let bytes = row.opt_bytes(1)?.unwrap_or_default();
    let impression = Impression::parse(bytes).map_err(|e| StoreError::Corrupt {
        column: "impression_png".into(),
        reason: e.to_string(),
    })?;
    Ok(Ok(CertifiableSeal {
        registration_id,
        person_id: PersonId::new(u64::try_from(person_id).unwrap_or(0)),
        impression,
    }))
}

/// What one run of the consumer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumeReport {
    /// Outbox events read (of every kind).
    pub events_read: usize,
    /// Registrations abolished.
    pub abolished: usize,
    /// Registrations put under review because the 転出 or 死亡 that
    /// abolished them was cancelled.
    pub under_review: usize,
}

/// What one registry event did to seal registrations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventEffect {
    /// Registrations abolished (転出・死亡).
    pub abolished: usize,
    /// Registrations put under review (取消し of a 転出 or 死亡).
    pub under_review: usize,
}

fn payload_error(reason: &str) -> StoreError {
    StoreError::Corrupt {
        column: "outbox.payload".into(),
        reason: reason.to_owned(),
    }
}

/// The persons of an event's payload (`person_ids`, or `person_id`).
fn payload_persons(value: &serde_json::Value) -> Vec<i64> {
    match (&value["person_ids"], &value["person_id"]) {
        (serde_json::Value::Array(ids), _) => ids.iter().filter_map(|v| v.as_i64()).collect(),
        (_, v) => v.as_i64().into_iter().collect(),
    }
}

fn payload_date(value: &serde_json::Value, key: &str) -> Result<Date, StoreError> {
    value[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| payload_error(key))
}

/// Applies one event of the registry's outbox to seal registrations, in
/// the caller's transaction, with one `change` access-log entry per
/// registration changed:
///
/// - `resident_moved_out`, `resident_died`: the registrations in force (or
///   under review) of the persons are abolished ex officio, effective on
///   the event's 異動日;
/// - `movement_cancelled`: a registration whose latest change is the
///   abolition made by the cancelled movement's event goes to
///   `restoration_review` (see [`crate::domain`]: not silently restored),
///   effective on the cancellation's 異動日;
/// - every other kind changes nothing.
///
/// Idempotent by the domain's rules: an abolished registration is not
/// abolished again, one under review is not put under review again. The
/// platform's consumer ([`REGISTRY_CONSUMER`]) calls this function
/// for each event, in the transaction that advances its position.
pub async fn apply_registry_event(
    tx: &mut TenantTx,
    event_id: i64,
    kind: &str,
    payload: &str,
) -> Result<EventEffect, StoreError> {
    let abolition = match kind {
        "resident_moved_out" => Some(Change::AbolishedMovedOut),
        "resident_died" => Some(Change::AbolishedDeceased),
        "movement_cancelled" => None,
        _ => return Ok(EventEffect::default()),
    };
    let value: serde_json::Value =
        serde_json::from_str(payload).map_err(|e| payload_error(&e.to_string()))?;
    let event_date = payload_date(&value, "event_date")?;
    let persons = payload_persons(&value);
    let actor = Actor::new(WORKER_LOGIN, "system");
    let mut effect = EventEffect::default();
    let mut entries = Vec::new();
    match abolition {
        Some(change) => {
            for person_id in persons {
                for id in registrations_of(tx, person_id).await? {
                    let Some((state, version)) = latest(tx, id).await? else {
                        continue;
                    };
                    if !domain::abolished_by_event(&state) {
                        continue;
                    }
                    insert_state(
                        tx,
                        id,
                        version + 1,
                        SealStatus::Abolished,
                        change,
                        None,
                        None,
                        event_date,
                        Some(event_id),
                        &actor.login,
                        None,
                    )
                    .await?;
                    effect.abolished += 1;
                    entries.push(actor.entry(
                        AuditAction::Change,
                        Some(person_id),
                        format!("seal_registration {id} {} event {event_id}", change.code()),
                    ));
                }
            }
        }
        None => {
            let cancelled = value["cancelled_movement_id"]
                .as_i64()
                .ok_or_else(|| payload_error("cancelled_movement_id"))?;
            // The events of the cancelled movement: the abolitions they made
            // name them as their source.
            let sources: Vec<i64> = tx
                .fetch_all(
                    "SELECT event_id FROM outbox WHERE municipality_code = $1 AND movement_id = $2",
                    &[int(cancelled)],
                )
                .await?
                .iter()
                .map(|r| r.int(0))
                .collect::<Result<_, _>>()?;
            for person_id in persons {
                for id in registrations_of(tx, person_id).await? {
                    let Some(row) = latest_row(tx, id).await? else {
                        continue;
                    };
                    let from_cancelled = row.source_event_id.is_some_and(|e| sources.contains(&e));
                    if !from_cancelled
                        || !domain::review_after_cancellation(&state_of(&row)?, row.change)
                    {
                        continue;
                    }
                    insert_state(
                        tx,
                        id,
                        row.version + 1,
                        SealStatus::RestorationReview,
                        Change::AbolitionUnderReview,
                        None,
                        None,
                        event_date,
                        Some(event_id),
                        &actor.login,
                        None,
                    )
                    .await?;
                    effect.under_review += 1;
                    entries.push(actor.entry(
                        AuditAction::Change,
                        Some(person_id),
                        format!(
                            "seal_registration {id} {} event {event_id}",
                            Change::AbolitionUnderReview.code()
                        ),
                    ));
                }
            }
        }
    }
    kiban_audit::append_many(tx, &entries).await?;
    Ok(effect)
}

/// The handler of this business's consumer of the registry's outbox.
struct RegistryEvents;

impl EventHandler for RegistryEvents {
    fn handle<'a>(&'a self, tx: &'a mut TenantTx, event: &'a OutboxEvent) -> HandlerFuture<'a> {
        Box::pin(async move {
            apply_registry_event(tx, event.event_id, &event.event_kind, &event.payload).await?;
            Ok(())
        })
    }
}

static REGISTRY_EVENTS: RegistryEvents = RegistryEvents;

/// Seal registration as a consumer of the registry's outbox: the platform
/// (`kiban_jobs::consumer`) keeps its position, runs it in order, retries a
/// failing event and parks it as a dead letter; the worker runs it.
pub static REGISTRY_CONSUMER: Consumer = Consumer {
    name: CONSUMER,
    label: "印鑑登録（転出・死亡による廃止）",
    business: "seal",
    event_kinds: &["resident_moved_out", "resident_died", "movement_cancelled"],
    handler: &REGISTRY_EVENTS,
};

/// How many registrations the consumer's changes for events after `after`
/// up to `until` left in `status`.
async fn changed_between(
    tenant: &TenantDb,
    after: i64,
    until: i64,
    status: SealStatus,
) -> Result<usize, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let count = tx
        .fetch_optional(
            "SELECT COUNT(*) FROM seal_registration_states WHERE municipality_code = $1 \
             AND source_event_id > $2 AND source_event_id <= $3 AND status = $4",
            &[int(after), int(until), Arg::from(status.code())],
        )
        .await?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    tx.commit().await?;
    Ok(usize::try_from(count).unwrap_or(0))
}

async fn position(tenant: &TenantDb) -> Result<i64, StoreError> {
    Ok(
        kiban_jobs::consumer::positions(tenant, &[&REGISTRY_CONSUMER])
            .await?
            .first()
            .map_or(0, |p| p.last_event_id),
    )
}

async fn report(
    tenant: &TenantDb,
    before: i64,
    events_read: usize,
) -> Result<ConsumeReport, StoreError> {
    let after = position(tenant).await?;
    Ok(ConsumeReport {
        events_read,
        abolished: changed_between(tenant, before, after, SealStatus::Abolished).await?,
        under_review: changed_between(tenant, before, after, SealStatus::RestorationReview).await?,
    })
}

/// Runs the consumer once over up to `limit` events (what the worker does,
/// for tests and tools): see [`REGISTRY_CONSUMER`].
pub async fn consume_registry_events(
    tenant: &TenantDb,
    limit: i64,
) -> Result<ConsumeReport, StoreError> {
    let before = position(tenant).await?;
    let run = kiban_jobs::consumer::run(tenant, &REGISTRY_CONSUMER, &RetryPolicy::default(), limit)
        .await?;
    report(tenant, before, run.events_read).await
}

/// Runs the consumer until the outbox is drained (or it waits for a failing
/// event's next attempt).
pub async fn drain_registry_events(tenant: &TenantDb) -> Result<ConsumeReport, StoreError> {
    let before = position(tenant).await?;
    let run =
        kiban_jobs::consumer::drain(tenant, &REGISTRY_CONSUMER, &RetryPolicy::default()).await?;
    report(tenant, before, run.events_read).await
}

/// A registration on the review list (転出取消により復活確認待ち).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    /// 登録番号.
    pub registration_id: i64,
    /// 宛名番号 of the holder.
    pub person_id: i64,
    /// The day of the cancellation that put it under review.
    pub under_review_since: Date,
    /// The abolition that was cancelled (`abolished_moved_out` or
    /// `abolished_deceased`).
    pub cancelled_abolition: Option<Change>,
    /// The card the holder had before the abolition, if registered then.
    pub card_before: Option<String>,
}

/// The registrations under review (`restoration_review`), by registration
/// number, with one `read` entry per holder listed.
pub async fn review_list(tenant: &TenantDb, actor: &Actor) -> Result<Vec<ReviewItem>, StoreError> {
    let mut tx = tenant.begin().await?;
    let rows = tx
        .fetch_all(
            "SELECT s.registration_id, r.person_id, s.version FROM seal_registration_states s \
             JOIN seal_registrations r ON r.municipality_code = s.municipality_code \
              AND r.registration_id = s.registration_id \
             WHERE s.municipality_code = $1 AND s.status = 'restoration_review' \
             ORDER BY s.registration_id, s.version",
            &[],
        )
        .await?;
    let mut items = Vec::new();
    for row in rows {
        let registration_id = row.int(0)?;
        let person_id = row.int(1)?;
        let version = row.int(2)?;
        // Only those whose latest state is the review.
        let rows = history(&mut tx, registration_id).await?;
        if rows.last().map(|r| r.version) != Some(version) {
            continue;
        }
        let (abolition, before) = before_abolition(&rows);
        items.push(ReviewItem {
            registration_id,
            person_id,
            under_review_since: rows.last().map_or(Date::MIN, |r| r.effective_on),
            cancelled_abolition: abolition.map(|r| r.change),
            card_before: before.and_then(|r| r.seal_card_number.clone()),
        });
    }
    let entries: Vec<_> = items
        .iter()
        .map(|item| {
            actor.entry(
                AuditAction::Read,
                Some(item.person_id),
                format!(
                    "seal_registration {} restoration_review list",
                    item.registration_id
                ),
            )
        })
        .collect();
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(items)
}

/// The abolition a review is about (the last ex-officio abolition by a
/// movement) and the row in force before it.
fn before_abolition(rows: &[StateRow]) -> (Option<&StateRow>, Option<&StateRow>) {
    let Some(at) = rows
        .iter()
        .rposition(|r| r.change.is_abolition_by_movement())
    else {
        return (None, None);
    };
    let before = at.checked_sub(1).and_then(|i| rows.get(i));
    (rows.get(at), before)
}

/// A clerk's decision on a registration under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    /// 復活: the registration returns to its state before the abolition.
    Restore,
    /// 廃止確定: the abolition stands.
    ConfirmAbolition,
}

impl ReviewDecision {
    fn operation(self) -> &'static str {
        match self {
            ReviewDecision::Restore => "restore",
            ReviewDecision::ConfirmAbolition => "confirm_abolition",
        }
    }
}

/// Decides a registration under review on `today` (a new state row with the
/// reason, and a `change` entry); a refusal is logged. Returns the
/// registration after the decision.
pub async fn decide_review(
    tenant: &TenantDb,
    actor: &Actor,
    registration_id: i64,
    decision: ReviewDecision,
    reason: &ReviewReason,
    today: Date,
) -> Result<Registration, SealError> {
    let mut tx = tenant.begin().await?;
    let Some(person_id) = lock_holder(&mut tx, registration_id).await? else {
        tx.rollback().await?;
        return Err(SealError::NotFound);
    };
    let rows = history(&mut tx, registration_id).await?;
    let Some(last) = rows.last() else {
        return Err(SealError::Store(corrupt(
            "seal_registration_states",
            "none",
        )));
    };
    let state = state_of(last)?;
    let checked = match decision {
        ReviewDecision::ConfirmAbolition => domain::confirm_abolition(&state).map(|()| State {
            status: SealStatus::Abolished,
            card: None,
            reply_due_on: None,
        }),
        ReviewDecision::Restore => {
            let before = match before_abolition(&rows).1 {
                Some(row) => state_of(row)?,
                None => state.clone(),
            };
            let person = PersonId::new(u64::try_from(person_id).unwrap_or(0));
            let resident = RegistryReads::within(&mut tx)
                .person_as_of(person, today)
                .await?
                .is_some_and(|r| r.status == ResidentStatus::Resident);
            let mut has_other = false;
            for id in registrations_of(&mut tx, person_id).await? {
                if id != registration_id
                    && let Some((other, _)) = latest(&mut tx, id).await?
                    && other.is_active_on(today)
                {
                    has_other = true;
                }
            }
            let check = RestorationCheck {
                resident,
                adult_ward: is_adult_ward(&mut tx, person_id, today).await?,
                has_other_active_registration: has_other,
            };
            domain::restore(&state, &before, check)
        }
    };
    let next = match checked {
        Ok(next) => next,
        Err(refusal) => {
            tx.rollback().await?;
            return refused(
                tenant,
                actor,
                Some(person_id),
                decision.operation(),
                refusal,
            )
            .await;
        }
    };
    let change = match decision {
        ReviewDecision::Restore => Change::Restored,
        ReviewDecision::ConfirmAbolition => Change::AbolitionConfirmed,
    };
    insert_state(
        &mut tx,
        registration_id,
        last.version + 1,
        next.status,
        change,
        next.card.as_ref(),
        next.reply_due_on,
        today,
        None,
        &actor.login,
        Some(reason.as_str()),
    )
    .await?;
    let detail = format!("seal_registration {registration_id} {}", change.code());
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Change, Some(person_id), detail),
    )
    .await?;
    let registration = read_registration(&mut tx, registration_id, today)
        .await?
        .ok_or(SealError::NotFound)?;
    tx.commit().await?;
    Ok(registration)
}

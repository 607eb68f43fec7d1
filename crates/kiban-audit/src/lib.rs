//! The access log (利用履歴 / アクセスログ) of Kiban: who read or changed whose
//! data, when, in which role and why.
//!
//! Every business writes its entries through [`append`] (or [`append_many`])
//! inside the transaction of the action it records, so an action and its
//! entry are committed together or not at all. Entries are append-only and
//! hash-chained per municipality: each entry stores the hash of the entry
//! before it (`prev_hash`) and its own `entry_hash = SHA-256(prev_hash ||
//! canonical serialization of every field)`, so [`verify`] finds an edited,
//! deleted, inserted or reordered entry.
//!
//! Locking: the next `entry_id` comes from the municipality's `audit_entry`
//! sequence row ([`TenantTx::next_numbers`]). The statement that advances it
//! holds that row's lock until the transaction ends (PostgreSQL row lock;
//! SQLite runs one writing transaction at a time), so two transactions of one
//! municipality can never take the same predecessor and fork the chain: the
//! second waits until the first commits (then it reads the first's entry as
//! its predecessor) or rolls back (then it gets the same number and the same
//! predecessor). The sequence row is locked anyway to number the entries, so
//! this costs no extra lock, unlike `SELECT … FOR UPDATE` on the last entry,
//! which would also need a separate path for the first entry. It relies on
//! READ COMMITTED (the PostgreSQL default): the statement after the lock wait
//! sees the predecessor just committed. Callers append their entries as the
//! last statements before commit, which keeps the lock short and takes it
//! after every other sequence (no lock-order deadlocks).
//!
//! Index by person: the entries about a person are found through
//! `audit_log_persons`, which is filled a chunk ([`INDEX_CHUNK`]) at a
//! time, sorted by person, by the appending transaction that makes a chunk
//! due; the entries after the indexed part are read from the log itself.
//! The index is not part of the chain; [`verify`] checks it against the
//! log.
//!
//! Entries hold no personal data in `detail` (no names, addresses, 個人番号):
//! the person is named by `person_id` only.
//!
//! Architecture invariant: this crate knows nothing of any business or of
//! HTTP; it stores and checks entries given to it.

mod batch;

use std::fmt;

pub use batch::{Unchanged, append_if_unchanged};
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, now_text};
use sha2::{Digest, Sha256};

/// The name of the per-municipality sequence that numbers entries.
pub const AUDIT_SEQUENCE: &str = "audit_entry";

/// The `prev_hash` of the first entry of a municipality.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many entries [`verify`] reads per query.
const VERIFY_PAGE: i64 = 5_000;

/// How many entries of the log wait, at most, before they are added to the
/// index by person (`audit_log_persons`), and how many are added by one
/// statement. The log is appended alone; once this many entries are not
/// yet indexed, the transaction that appends adds them, sorted by person,
/// so that the entries about one person in the chunk land on one page of
/// the index instead of each on a page of its own. Readers by person read
/// the entries not yet indexed from the log itself ([`entries_for_person`]),
/// so an entry is found by person from the moment it is committed.
pub const INDEX_CHUNK: i64 = 1_024;

/// What an entry records (the kind of access), with stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `read` (参照): personal data was shown or returned.
    Read,
    /// `change` (更新): personal data was recorded or changed.
    Change,
    /// `reveal` (表示): a masked value (個人番号) was shown in full.
    Reveal,
    /// `export` (抽出・出力): data left the system in a file.
    Export,
    /// `print` (印刷): a certificate or notice was printed.
    Print,
    /// `refused` (拒否): an attempt was refused (no permission, another
    /// municipality's data).
    Refused,
    /// `bulk_register` (一括登録): an initial load of many records.
    BulkRegister,
}

impl AuditAction {
    /// Every action, in the order of the code table.
    pub const ALL: [AuditAction; 7] = [
        AuditAction::Read,
        AuditAction::Change,
        AuditAction::Reveal,
        AuditAction::Export,
        AuditAction::Print,
        AuditAction::Refused,
        AuditAction::BulkRegister,
    ];

    /// The stable code stored and shown in the API.
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Change => "change",
            AuditAction::Reveal => "reveal",
            AuditAction::Export => "export",
            AuditAction::Print => "print",
            AuditAction::Refused => "refused",
            AuditAction::BulkRegister => "bulk_register",
        }
    }

    /// The action of a code, if it is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// The Japanese name shown to auditors.
    pub fn label_ja(self) -> &'static str {
        match self {
            AuditAction::Read => "参照",
            AuditAction::Change => "更新",
            AuditAction::Reveal => "個人番号表示",
            AuditAction::Export => "出力",
            AuditAction::Print => "印刷",
            AuditAction::Refused => "拒否",
            AuditAction::BulkRegister => "一括登録",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who is acting, as the access log records them: built by the adapter (web,
/// CLI, batch) from the authenticated principal and passed first to every
/// business function that touches personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account's login, or `operator:LOGIN` for service operators.
    pub login: String,
    /// The role code (`registry_clerk`, `auditor`, `operator`, …).
    pub role: String,
    /// Why (利用目的), when the user stated it.
    pub purpose: Option<String>,
    /// The request id of the HTTP request or the job run, for tracing.
    pub request_id: Option<String>,
}

impl Actor {
    /// An actor with no purpose and no request id.
    pub fn new(login: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            login: login.into(),
            role: role.into(),
            purpose: None,
            request_id: None,
        }
    }

    /// An entry of this actor; `detail` must hold no personal data.
    pub fn entry(
        &self,
        action: AuditAction,
        person_id: Option<i64>,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            actor: self.login.clone(),
            role: self.role.clone(),
            action,
            person_id,
            purpose: self.purpose.clone(),
            request_id: self.request_id.clone(),
            detail: detail.into(),
        }
    }
}

/// One entry to append to the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The login (or `operator:LOGIN`).
    pub actor: String,
    /// The role code.
    pub role: String,
    /// What was done.
    pub action: AuditAction,
    /// Whose data (宛名番号), if a person's.
    pub person_id: Option<i64>,
    /// Why (利用目的).
    pub purpose: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// What exactly, without personal data (e.g. `movement 12 move_in`).
    pub detail: String,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its number in the municipality's chain (from 1).
    pub entry_id: i64,
    /// When it was written (RFC 3339, UTC).
    pub at: String,
    /// The login.
    pub actor: String,
    /// The role code.
    pub role: String,
    /// What was done.
    pub action: AuditAction,
    /// Whose data.
    pub person_id: Option<i64>,
    /// Why.
    pub purpose: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// What exactly.
    pub detail: String,
}

/// The stored text of an entry's fields, as hashed.
struct Fields<'a> {
    municipality_code: &'a str,
    entry_id: i64,
    at: &'a str,
    actor: &'a str,
    role: &'a str,
    action: &'a str,
    person_id: Option<i64>,
    purpose: Option<&'a str>,
    request_id: Option<&'a str>,
    detail: &'a str,
}

/// `SHA-256(prev_hash || canonical serialization)`, lower-case hex. The
/// serialization is versioned and unambiguous: each field is a presence
/// byte followed, when present, by its length (8 bytes, big-endian) and its
/// UTF-8 bytes, in a fixed order.
fn entry_hash(prev_hash: &str, fields: &Fields<'_>) -> String {
    fn put(hasher: &mut Sha256, value: Option<&str>) {
        match value {
            None => hasher.update([0u8]),
            Some(text) => {
                hasher.update([1u8]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"kiban-audit-v1");
    let entry_id = fields.entry_id.to_string();
    let person_id = fields.person_id.map(|p| p.to_string());
    put(&mut hasher, Some(fields.municipality_code));
    put(&mut hasher, Some(&entry_id));
    put(&mut hasher, Some(fields.at));
    put(&mut hasher, Some(fields.actor));
    put(&mut hasher, Some(fields.role));
    put(&mut hasher, Some(fields.action));
    put(&mut hasher, person_id.as_deref());
    put(&mut hasher, fields.purpose);
    put(&mut hasher, fields.request_id);
    put(&mut hasher, Some(fields.detail));
    hex::encode(hasher.finalize())
}

const COLUMNS: [&str; 11] = [
    "entry_id",
    "at",
    "actor",
    "role",
    "action",
    "person_id",
    "purpose",
    "request_id",
    "detail",
    "prev_hash",
    "entry_hash",
];

/// Appends one entry in the caller's transaction and returns its
/// `entry_id`. Call it as the last statement before commit (see the crate
/// documentation on locking).
pub async fn append(tx: &mut TenantTx, entry: &AuditEntry) -> Result<i64, StoreError> {
    append_many(tx, std::slice::from_ref(entry)).await
}

/// Appends entries in order in the caller's transaction (one sequence
/// update and multi-row inserts) and returns the `entry_id` of the first.
/// With no entries it writes nothing and returns 0.
pub async fn append_many(tx: &mut TenantTx, entries: &[AuditEntry]) -> Result<i64, StoreError> {
    if entries.is_empty() {
        return Ok(0);
    }
    let count = i64::try_from(entries.len()).map_err(|_| StoreError::Corrupt {
        column: "audit_log".into(),
        reason: "too many entries".into(),
    })?;
    let first = tx.next_numbers(AUDIT_SEQUENCE, count).await?;
    let previous = tx
        .fetch_optional(
            "SELECT entry_hash FROM audit_log WHERE municipality_code = $1 AND entry_id < $2 \
             ORDER BY entry_id DESC LIMIT 1",
            &[Arg::Int(first)],
        )
        .await?;
    let mut prev_hash = match previous {
        Some(row) => row.text(0)?,
        None => GENESIS_HASH.to_owned(),
    };
    let municipality = tx.municipality();
    let at = now_text();
    let mut rows = Vec::with_capacity(entries.len());
    for (entry_id, entry) in (first..).zip(entries) {
        let hash = entry_hash(
            &prev_hash,
            &Fields {
                municipality_code: municipality.as_str(),
                entry_id,
                at: &at,
                actor: &entry.actor,
                role: &entry.role,
                action: entry.action.code(),
                person_id: entry.person_id,
                purpose: entry.purpose.as_deref(),
                request_id: entry.request_id.as_deref(),
                detail: &entry.detail,
            },
        );
        rows.push(vec![
            Arg::Int(entry_id),
            Arg::from(at.as_str()),
            Arg::from(entry.actor.as_str()),
            Arg::from(entry.role.as_str()),
            Arg::from(entry.action.code()),
            Arg::from(entry.person_id),
            Arg::from(entry.purpose.as_deref()),
            Arg::from(entry.request_id.as_deref()),
            Arg::from(entry.detail.as_str()),
            Arg::Text(std::mem::replace(&mut prev_hash, hash.clone())),
            Arg::Text(hash),
        ]);
    }
    tx.insert_rows("audit_log", &COLUMNS, &rows).await?;
    index_if_due(tx, first + count - 1).await?;
    Ok(first)
}

/// How far the municipality's log is in its index by person: the highest
/// entry number indexed (0: none).
async fn indexed_through(tx: &mut TenantTx) -> Result<i64, StoreError> {
    tx.fetch_optional(
        "SELECT through_entry_id FROM audit_log_indexed WHERE municipality_code = $1",
        &[],
    )
    .await?
    .map_or(Ok(0), |row| row.int(0))
}

/// Adds the entries up to `last` to the index by person when at least
/// [`INDEX_CHUNK`] of them are not yet in it, a chunk (sorted by person)
/// per statement. Called after appending, in the appending transaction:
/// entries are appended one transaction at a time per municipality (see
/// the crate documentation on locking), so two transactions never index
/// the same entries.
async fn index_if_due(tx: &mut TenantTx, last: i64) -> Result<(), StoreError> {
    let mut through = indexed_through(tx).await?;
    if last - through < INDEX_CHUNK {
        return Ok(());
    }
    while through < last {
        let upto = last.min(through.saturating_add(INDEX_CHUNK));
        tx.execute(
            "INSERT INTO audit_log_persons (municipality_code, person_id, entry_id) \
             SELECT municipality_code, person_id, entry_id FROM audit_log \
             WHERE municipality_code = $1 AND entry_id > $2 AND entry_id <= $3 \
             AND person_id IS NOT NULL ORDER BY person_id, entry_id",
            &[Arg::Int(through), Arg::Int(upto)],
        )
        .await?;
        through = upto;
    }
    tx.execute(
        "INSERT INTO audit_log_indexed (municipality_code, through_entry_id) VALUES ($1, $2) \
         ON CONFLICT (municipality_code) DO UPDATE SET through_entry_id = excluded.through_entry_id",
        &[Arg::Int(through)],
    )
    .await?;
    Ok(())
}

/// What is wrong with the first broken entry of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry is missing: the next stored entry has a higher number
    /// (deleted entry).
    Missing {
        /// The number of the entry found in its place.
        next_found: i64,
    },
    /// The entry's `prev_hash` is not the hash of the entry before it
    /// (entries deleted, inserted or reordered).
    PrevHashMismatch,
    /// The entry's fields do not give its `entry_hash` (edited entry).
    HashMismatch,
    /// Entries at the end of the chain are missing: the sequence handed out
    /// numbers up to `last_allocated` but the chain ends before.
    TailMissing {
        /// The last number the sequence handed out.
        last_allocated: i64,
    },
    /// The entry is about a person and within the indexed part of the log,
    /// but the index by person does not list it: reading that person's
    /// access log would not show it.
    NotIndexed,
}

/// The first entry at which a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    /// The entry's number.
    pub entry_id: i64,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for BrokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.entry_id;
        match &self.problem {
            Problem::Missing { next_found } => {
                write!(f, "entry {id} is missing (the next found is {next_found})")
            }
            Problem::PrevHashMismatch => write!(f, "entry {id}: previous hash does not match"),
            Problem::HashMismatch => write!(f, "entry {id}: hash does not match"),
            Problem::TailMissing { last_allocated } => {
                write!(f, "entries from {id} to {last_allocated} are missing")
            }
            Problem::NotIndexed => write!(f, "entry {id} is not in the index by person"),
        }
    }
}

impl BrokenEntry {
    /// The catalogue's message for the operator and the auditor.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        let id = self.entry_id.to_string();
        match &self.problem {
            Problem::Missing { next_found } => M::AuditEntryMissing {
                id,
                next: next_found.to_string(),
            },
            Problem::PrevHashMismatch => M::AuditPrevHashMismatch { id },
            Problem::HashMismatch => M::AuditHashMismatch { id },
            Problem::TailMissing { last_allocated } => M::AuditTailMissing {
                id,
                last: last_allocated.to_string(),
            },
            Problem::NotIndexed => M::AuditNotIndexed { id },
        }
    }
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many entries were checked.
    pub entries_checked: u64,
    /// The number of the last entry checked.
    pub last_entry_id: Option<i64>,
    /// The first broken entry, if any; the walk stops there.
    pub broken: Option<BrokenEntry>,
}

impl VerifyReport {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Walks the municipality's chain in `entry_id` order and reports the first
/// broken entry: a missing number (deleted), a `prev_hash` that is not the
/// previous entry's hash (deleted, inserted or reordered), an entry whose
/// fields do not give its hash (edited), or missing entries at the end.
/// It also checks that each entry about a person in the indexed part of the
/// log is in the index by person (`audit_log_persons`), which is not part
/// of the chain: an entry deleted from the index alone would be hidden from
/// that person's access log.
///
/// It reads in pages, each in a short transaction, up to the last entry
/// committed when it started; entries appended meanwhile are left for the
/// next run.
pub async fn verify(tenant: &TenantDb) -> Result<VerifyReport, StoreError> {
    let municipality = tenant.municipality();
    let (last_allocated, indexed) = {
        let mut tx = tenant.begin_read().await?;
        let row = tx
            .fetch_optional(
                "SELECT next_value FROM number_sequences \
                 WHERE municipality_code = $1 AND sequence_name = $2",
                &[Arg::from(AUDIT_SEQUENCE)],
            )
            .await?;
        let indexed = indexed_through(&mut tx).await?;
        tx.rollback().await?;
        let last_allocated = match row {
            Some(row) => row.int(0)? - 1,
            None => 0,
        };
        (last_allocated, indexed)
    };
    let mut report = VerifyReport {
        entries_checked: 0,
        last_entry_id: None,
        broken: None,
    };
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected = 1i64;
    loop {
        let (rows, not_indexed) = {
            let mut tx = tenant.begin_read().await?;
            let rows = tx
                .fetch_all(
                    "SELECT entry_id, at, actor, role, action, person_id, purpose, request_id, \
                     detail, prev_hash, entry_hash FROM audit_log \
                     WHERE municipality_code = $1 AND entry_id >= $2 AND entry_id <= $3 \
                     ORDER BY entry_id LIMIT $4",
                    &[
                        Arg::Int(expected),
                        Arg::Int(last_allocated),
                        Arg::Int(VERIFY_PAGE),
                    ],
                )
                .await?;
            // The first entry of this page that is about a person, indexed
            // by number but missing from the index (one lookup each).
            let not_indexed = match rows.last() {
                Some(last) if expected <= indexed => tx
                    .fetch_optional(
                        "SELECT a.entry_id FROM audit_log a \
                         WHERE a.municipality_code = $1 AND a.entry_id >= $2 AND a.entry_id <= $3 \
                         AND a.person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_log_persons p \
                         WHERE p.municipality_code = a.municipality_code \
                         AND p.person_id = a.person_id AND p.entry_id = a.entry_id) \
                         ORDER BY a.entry_id LIMIT 1",
                        &[Arg::Int(expected), Arg::Int(last.int(0)?.min(indexed))],
                    )
                    .await?
                    .map(|row| row.int(0))
                    .transpose()?,
                _ => None,
            };
            tx.rollback().await?;
            (rows, not_indexed)
        };
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let entry_id = row.int(0)?;
            let broken = |problem| {
                Some(BrokenEntry {
                    entry_id: expected,
                    problem,
                })
            };
            if entry_id != expected {
                report.broken = broken(Problem::Missing {
                    next_found: entry_id,
                });
                return Ok(report);
            }
            let stored_prev = row.text(9)?;
            let stored_hash = row.text(10)?;
            if stored_prev != prev_hash {
                report.broken = broken(Problem::PrevHashMismatch);
                return Ok(report);
            }
            let (at, actor, role, action) =
                (row.text(1)?, row.text(2)?, row.text(3)?, row.text(4)?);
            let (purpose, request_id) = (row.opt_text(6)?, row.opt_text(7)?);
            let detail = row.text(8)?;
            let computed = entry_hash(
                &prev_hash,
                &Fields {
                    municipality_code: municipality.as_str(),
                    entry_id,
                    at: &at,
                    actor: &actor,
                    role: &role,
                    action: &action,
                    person_id: row.opt_int(5)?,
                    purpose: purpose.as_deref(),
                    request_id: request_id.as_deref(),
                    detail: &detail,
                },
            );
            if computed != stored_hash {
                report.broken = broken(Problem::HashMismatch);
                return Ok(report);
            }
            if not_indexed == Some(entry_id) {
                report.broken = broken(Problem::NotIndexed);
                return Ok(report);
            }
            prev_hash = stored_hash;
            report.entries_checked += 1;
            report.last_entry_id = Some(entry_id);
            expected += 1;
        }
    }
    if expected <= last_allocated {
        report.broken = Some(BrokenEntry {
            entry_id: expected,
            problem: Problem::TailMissing { last_allocated },
        });
    }
    Ok(report)
}

/// Hashes a chain of stored entries the way [`append`] does, for one
/// municipality: used to check an exported access log against the chain
/// head its source recorded, and to re-chain it under another municipality
/// code when a standard export is imported (the code is part of every hash,
/// so a copied chain is re-hashed, never copied with foreign hashes).
#[derive(Debug, Clone)]
pub struct ChainHasher {
    municipality: kiban_core::MunicipalityCode,
    prev_hash: String,
    entries: u64,
}

impl ChainHasher {
    /// A chain of `municipality` starting at its first entry.
    pub fn new(municipality: kiban_core::MunicipalityCode) -> Self {
        Self {
            municipality,
            prev_hash: GENESIS_HASH.to_owned(),
            entries: 0,
        }
    }

    /// Adds the next entry; returns its `prev_hash` and `entry_hash`.
    pub fn push(&mut self, entry: &StoredEntry) -> (String, String) {
        let hash = entry_hash(
            &self.prev_hash,
            &Fields {
                municipality_code: self.municipality.as_str(),
                entry_id: entry.entry_id,
                at: &entry.at,
                actor: &entry.actor,
                role: &entry.role,
                action: entry.action.code(),
                person_id: entry.person_id,
                purpose: entry.purpose.as_deref(),
                request_id: entry.request_id.as_deref(),
                detail: &entry.detail,
            },
        );
        self.entries += 1;
        let prev = std::mem::replace(&mut self.prev_hash, hash.clone());
        (prev, hash)
    }

    /// The hash of the last entry added ([`GENESIS_HASH`] before the first).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }

    /// How many entries were added.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}

/// Writes entries of an imported access log, keeping their numbers and
/// times, chained by `chain` (which must belong to the transaction's
/// municipality; call in entry order, from entry 1). The caller sets the
/// `audit_entry` counter past the last entry.
pub async fn insert_imported(
    tx: &mut TenantTx,
    chain: &mut ChainHasher,
    entries: &[StoredEntry],
) -> Result<(), StoreError> {
    if chain.municipality != tx.municipality() {
        return Err(StoreError::Corrupt {
            column: "audit_log".into(),
            reason: "chain of another municipality".into(),
        });
    }
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        let (prev, hash) = chain.push(entry);
        rows.push(vec![
            Arg::Int(entry.entry_id),
            Arg::from(entry.at.as_str()),
            Arg::from(entry.actor.as_str()),
            Arg::from(entry.role.as_str()),
            Arg::from(entry.action.code()),
            Arg::from(entry.person_id),
            Arg::from(entry.purpose.as_deref()),
            Arg::from(entry.request_id.as_deref()),
            Arg::from(entry.detail.as_str()),
            Arg::Text(prev),
            Arg::Text(hash),
        ]);
    }
    tx.insert_rows("audit_log", &COLUMNS, &rows).await?;
    if let Some(last) = entries.last() {
        index_if_due(tx, last.entry_id).await?;
    }
    Ok(())
}

const SELECT_ENTRY: &str = "SELECT entry_id, at, actor, role, action, person_id, purpose, \
                            request_id, detail FROM audit_log";

fn stored_entry(row: &Row) -> Result<StoredEntry, StoreError> {
    let action_code = row.text(4)?;
    let action = AuditAction::from_code(&action_code).ok_or_else(|| StoreError::Corrupt {
        column: "audit_log.action".into(),
        reason: format!("unknown action {action_code}"),
    })?;
    Ok(StoredEntry {
        entry_id: row.int(0)?,
        at: row.text(1)?,
        actor: row.text(2)?,
        role: row.text(3)?,
        action,
        person_id: row.opt_int(5)?,
        purpose: row.opt_text(6)?,
        request_id: row.opt_text(7)?,
        detail: row.text(8)?,
    })
}

/// The entries about one person (宛名番号), newest first, at most `limit`:
/// the access log of a person (「誰がこの人を見たか」). Run it in the
/// transaction that also records the auditor's own read.
pub async fn entries_for_person(
    tx: &mut TenantTx,
    person_id: i64,
    limit: u32,
) -> Result<Vec<StoredEntry>, StoreError> {
    // The newest entries are not indexed yet: they are found in the log
    // after the indexed part (fewer than INDEX_CHUNK entries, read by entry
    // number: every append that leaves a whole chunk indexes it),
    // the older ones through the index. Both statements use the same
    // `through`, so an entry indexed meanwhile is neither missed nor read
    // twice (the index only ever grows with the number that says how far).
    let through = indexed_through(tx).await?;
    let newest = format!(
        "{SELECT_ENTRY} WHERE municipality_code = $1 AND entry_id > $2 AND person_id = $3 \
         ORDER BY entry_id DESC LIMIT $4"
    );
    let mut entries = tx
        .fetch_all(
            &newest,
            &[Arg::Int(through), Arg::Int(person_id), Arg::from(limit)],
        )
        .await?
        .iter()
        .map(stored_entry)
        .collect::<Result<Vec<_>, _>>()?;
    let rest = u64::from(limit).saturating_sub(entries.len() as u64);
    if rest > 0 && through > 0 {
        let older = "SELECT a.entry_id, a.at, a.actor, a.role, a.action, a.person_id, a.purpose, \
             a.request_id, a.detail FROM audit_log_persons p JOIN audit_log a \
             ON a.municipality_code = p.municipality_code AND a.entry_id = p.entry_id \
             WHERE p.municipality_code = $1 AND p.person_id = $2 AND p.entry_id <= $3 \
             AND a.person_id = p.person_id \
             ORDER BY p.entry_id DESC LIMIT $4";
        let rest = i64::try_from(rest).unwrap_or(i64::MAX);
        for row in tx
            .fetch_all(
                older,
                &[Arg::Int(person_id), Arg::Int(through), Arg::Int(rest)],
            )
            .await?
        {
            entries.push(stored_entry(&row)?);
        }
    }
    Ok(entries)
}

/// The entries of one staff member written from `from_at` (inclusive) to
/// `to_at` (exclusive), both RFC 3339 in UTC, oldest first, at most `limit`.
pub async fn entries_by_actor(
    tx: &mut TenantTx,
    actor: &str,
    from_at: &str,
    to_at: &str,
    limit: u32,
) -> Result<Vec<StoredEntry>, StoreError> {
    let sql = format!(
        "{SELECT_ENTRY} WHERE municipality_code = $1 AND actor = $2 AND at >= $3 AND at < $4 \
         ORDER BY entry_id LIMIT $5"
    );
    let rows = tx
        .fetch_all(
            &sql,
            &[
                Arg::from(actor),
                Arg::from(from_at),
                Arg::from(to_at),
                Arg::from(limit),
            ],
        )
        .await?;
    rows.iter().map(stored_entry).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(detail: &'a str) -> Fields<'a> {
        Fields {
            municipality_code: "990019",
            entry_id: 1,
            at: "2026-01-01T00:00:00Z",
            actor: "clerk",
            role: "registry_clerk",
            action: "read",
            person_id: Some(1),
            purpose: None,
            request_id: None,
            detail,
        }
    }

    #[test]
    fn the_hash_covers_every_field_without_ambiguity() {
        let base = entry_hash(GENESIS_HASH, &fields("a"));
        assert_eq!(base.len(), 64);
        assert_ne!(base, entry_hash(GENESIS_HASH, &fields("b")));
        let mut moved = fields("a");
        moved.purpose = Some("");
        assert_ne!(base, entry_hash(GENESIS_HASH, &moved));
        let mut other = fields("a");
        other.person_id = None;
        assert_ne!(base, entry_hash(GENESIS_HASH, &other));
        assert_ne!(base, entry_hash(&base, &fields("a")));
    }

    #[test]
    fn action_codes_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(action));
        }
        assert_eq!(AuditAction::from_code("delete"), None);
    }
}

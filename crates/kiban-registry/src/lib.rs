//! The resident registry (住民記録) of Kiban.
//!
//! ARCH: The registry is event-sourced. A movement (異動: 転入, 出生, 転居,
//! 転出, 死亡, 世帯分離, 職権修正 and 異動の取消し) is the only source of truth;
//! person and household records are never stored as state to overwrite but
//! folded from the movements whenever they are read. A movement carries its
//! 異動日 (`event_date`, when it took effect), its 届出日 (`notified_on`) and a
//! per-municipality recorded sequence (when it was recorded); the state as
//! of a date D is the fold of every movement not cancelled with 異動日 ≤ D,
//! in the order (異動日, recorded sequence), with 職権修正 applied from the
//! record's start. A cancellation removes its target from every read while
//! both stay in the history, where each movement keeps the record as it stood
//! right after it. Validation is a pure function of the request, today's date
//! and the movements of everyone involved: the new movement is placed in
//! event order and the whole sequence is re-folded and re-checked, so a
//! back-dated movement or a cancellation is refused if it would make any
//! later movement invalid (a movement on a non-resident, a household without
//! exactly one head, a date before birth). `domain` knows nothing of SQL,
//! HTTP or async: storage allocates the numbers (宛名番号, 世帯番号, 住民票コード,
//! movement numbers and sequence) through `IdAllocator` and `Recording`,
//! persists each accepted movement with its index rows and its
//! `DomainEvent` in one transaction, loads movements back with `Closure`, and
//! reads them through `Timeline`.
//!
//! How storage uses the domain:
//! 1. Parse the request into a [`domain::MovementCommand`] (the drafts
//!    [`domain::PersonInputDraft`] and [`domain::AddressDraft`] name the
//!    field at fault).
//! 2. Load [`domain::MovementCommand::mentions`] and everything connected with
//!    [`domain::Closure`].
//! 3. Call [`domain::record_movement`] with the loaded movements, today, a
//!    [`domain::Recording`] and an [`domain::IdAllocator`]; persist the
//!    [`domain::Accepted`] movement, its index and its event, or roll back and
//!    map the [`domain::Rejection`] to 409 or 422.
//! 4. To read, load the closure of a person or household and use
//!    [`domain::Timeline`]: `person_as_of`, `household_as_of`,
//!    `person_history`.
//!
//! [`storage`] is that adapter: the only module with SQL (through the
//! tenant-scoped `TenantTx` of `kiban-store`), and the only one that is
//! async. It also writes the access log (`kiban-audit`) of every read and
//! change, and registers whole populations at once ([`storage::bulk`]).

pub mod domain;
pub mod jobs;
pub mod port;
pub mod storage;

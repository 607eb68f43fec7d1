//! The addressee master (宛名管理) of Kiban: everyone a business of the
//! municipality deals with, numbered in one space (contract
//! `addressee-v1`, 共通機能標準仕様書 §2.3 and §2.4).
//!
//! - A **resident** (住民) or **former resident** (転出者・死亡者) is the
//!   registry's person: the addressee number is the `person_id`, and the
//!   record is the registry's, read through its port
//!   ([`kiban_registry::port::RegistryReads`]). This crate never writes the
//!   registry's tables.
//! - A **non-resident** (住登外者) is registered here with the 基本4情報
//!   (氏名, 生年月日, 性別, 住所) and フリガナ; the number comes from the
//!   same counter as the registry's persons, so it never equals a
//!   resident's. Each change is a new version; nothing is overwritten.
//! - **名寄せ** (merge) records that two numbers are one person; reads of
//!   the merged number answer the surviving one, and every business finds
//!   its records under both ([`storage::linked_ids`]). An unmerge is a new
//!   record, never a deletion.
//! - **Mailing addresses** (送付先・納税管理人・代納人) per business with
//!   validity dates.
//! - The **search index** (`addressee_index`, `addressee_keys`): the current
//!   view and every current and past name, フリガナ, address and birth date
//!   of every addressee as matching keys ([`domain::keys`]); residents'
//!   entries are kept by the consumer of the registry's events
//!   ([`storage::REGISTRY_CONSUMER`]) and filled for bulk-loaded
//!   populations by the job [`jobs::IndexAddressees`].
//!
//! [`domain`] holds the rules (no IO); [`storage`] is the adapter (SQL
//! through the tenant handle, access-log entries and outbox events in the
//! same transaction).

#![forbid(unsafe_code)]

pub mod domain;
pub mod jobs;
pub mod storage;

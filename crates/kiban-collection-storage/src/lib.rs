//! The collection business on the database (収納・滞納, contract
//! `collection-v1`): the receivable ledger of `kiban-collection` kept in
//! the tables of migration 0020 through the tenant handle, never updated:
//!
//! - [`rows`]: an addressee's ledger loaded, and the rows an operation
//!   added appended (numbers from the municipality's sequences);
//! - [`charges`]: charges from the businesses' assessed events, by the
//!   outbox consumer [`charges::ASSESSED_CONSUMER`];
//! - [`payments`]: payments files imported once, all or nothing;
//! - [`suspense`]: payments whose charge was not found, and their
//!   assignment by a clerk;
//! - [`read`]: what an addressee owes on a day;
//! - [`verify`]: the ledger's check;
//! - [`direct_debit`]: the collection settings and the addressees' bank
//!   accounts (口座振替, migration 0023);
//! - [`transfer`]: the job `collection-transfer-request` (口座振替依頼データ);
//! - [`demands`]: the job `collection-demands` (督促状).
//!
//! Every read or change of an addressee's ledger writes its access-log
//! entry in the same transaction.

#![forbid(unsafe_code)]

pub mod charges;
pub mod demands;
pub mod direct_debit;
pub mod payments;
pub mod read;
pub mod reports;
pub mod rows;
pub mod suspense;
pub mod transfer;
pub mod verify;

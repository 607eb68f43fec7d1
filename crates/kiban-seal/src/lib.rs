//! Seal registration (印鑑登録) of Kiban.
//!
//! A resident aged 15 or over who is not an adult ward (成年被後見人)
//! registers one seal: at once when identity is verified at the counter, or
//! through the inquiry letter (照会書) and its reply within
//! [`domain::REPLY_DEADLINE_DAYS`] days. A registered seal has a seal card
//! (印鑑登録証) whose number is the only way to obtain its certificate
//! (印鑑登録証明書, issued by `kiban-certificate`); a lost card is replaced
//! by a new number and the old one stops working. A registration ends on
//! request, or automatically when the registry reports that its holder
//! moved out or died: [`storage::consume_registry_events`] reads the
//! registry's outbox (`resident_moved_out`, `resident_died`) from this
//! business's offset, one event at a time through
//! [`storage::apply_registry_event`].
//!
//! When the registry cancels (取消し) the 転出 or 死亡 that abolished a
//! registration, the abolition lost its basis, but the registration is
//! not silently put back in force: the seal card may have been returned
//! with the 転出届 or destroyed meanwhile, which the registry does not
//! know. The registration goes to `restoration_review` (転出取消により復活
//! 確認待ち) and onto the seal clerk's review list; a clerk, having asked
//! the holder, restores it (the old card is valid again) or confirms the
//! abolition, with a reason either way. The reasoning is in [`domain`].
//!
//! [`domain`] holds the rules (no IO); [`storage`] is the adapter (SQL
//! through the tenant handle, access-log entries in the same transaction).
//! Nothing is overwritten: each change of a registration is a new row.
//!
//! Architecture invariant: this crate never writes the registry's tables; it
//! reads the registry through `kiban-registry`'s storage and follows it
//! through events.

pub mod domain;
pub mod storage;

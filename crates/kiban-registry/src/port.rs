//! The registry's read port for other businesses.
//!
//! A business acting on residents (a certificate, a seal registration, a
//! tax assessment) reads the registry here, in its own transaction, and
//! writes its own access-log entry for the persons it acts on in that same
//! transaction. That is why these reads write none: one action is one
//! entry, under the business's operation name. Nothing else of
//! [`crate::storage`] is for other businesses; a business that needs
//! another read asks for it here, so that this file lists every way the
//! registry's data leaves the registry.

use kiban_core::{Date, IndividualNumber};
use kiban_store::{StoreError, TenantTx};

use std::collections::BTreeSet;

use crate::domain::{
    HouseholdId, HouseholdRecord, PersonId, PersonListing, PersonRecord, PersonVersion,
};
use crate::storage;

/// Reads of the registry inside another business's transaction.
pub struct RegistryReads<'t> {
    tx: &'t mut TenantTx,
}

impl<'t> RegistryReads<'t> {
    /// Reads within `tx`; the caller writes the access-log entry of its
    /// action in `tx` before it commits.
    pub fn within(tx: &'t mut TenantTx) -> Self {
        Self { tx }
    }

    /// Persons' records as of `as_of`, in the order asked; `None` for a
    /// person not registered here by then.
    pub async fn persons_as_of(
        &mut self,
        person_ids: &[PersonId],
        as_of: Date,
    ) -> Result<Vec<Option<PersonRecord>>, StoreError> {
        storage::persons_as_of_unlogged(self.tx, person_ids, as_of).await
    }

    /// One person's record as of `as_of`.
    pub async fn person_as_of(
        &mut self,
        person_id: PersonId,
        as_of: Date,
    ) -> Result<Option<PersonRecord>, StoreError> {
        Ok(self
            .persons_as_of(&[person_id], as_of)
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    /// A household as of `as_of`.
    pub async fn household_as_of(
        &mut self,
        household_id: HouseholdId,
        as_of: Date,
    ) -> Result<Option<HouseholdRecord>, StoreError> {
        storage::household_as_of_unlogged(self.tx, household_id, as_of).await
    }

    /// A person's current 個人番号, for an action that prints it; the caller
    /// has checked the permission and writes a `reveal` entry.
    pub async fn individual_number(
        &mut self,
        person_id: PersonId,
    ) -> Result<Option<IndividualNumber>, StoreError> {
        storage::individual_number_unlogged(self.tx, person_id).await
    }

    /// The persons whose current 個人番号 is each of `numbers`, in the
    /// order asked (found by keyed hash; normally one or none each), for
    /// matching records that carry a number (e.g. income records).
    pub async fn persons_with_individual_numbers(
        &mut self,
        numbers: &[IndividualNumber],
    ) -> Result<Vec<Vec<PersonId>>, StoreError> {
        storage::persons_with_individual_numbers_unlogged(self.tx, numbers).await
    }

    /// A person's versions (the record after each movement, 異動履歴),
    /// oldest first; empty for a number that is not a person here.
    pub async fn person_versions(
        &mut self,
        person_id: PersonId,
    ) -> Result<Vec<PersonVersion>, StoreError> {
        storage::person_versions_unlogged(self.tx, person_id).await
    }

    /// Which of `ids` are persons of this registry (residents or removed).
    pub async fn known_persons(
        &mut self,
        ids: &[PersonId],
    ) -> Result<BTreeSet<PersonId>, StoreError> {
        storage::known_persons_unlogged(self.tx, ids).await
    }

    /// Up to `limit` persons numbered from `from` on, in number order, as
    /// the latest state lists them (for indexes that other businesses keep,
    /// filled a range at a time).
    pub async fn listings_from(
        &mut self,
        from: PersonId,
        limit: usize,
    ) -> Result<Vec<PersonListing>, StoreError> {
        storage::listings_from_unlogged(self.tx, from, limit).await
    }
}

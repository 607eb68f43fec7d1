//! The addressee master's batch jobs.
//!
//! [`IndexAddressees`] (宛名索引の作成) fills the search index with the
//! registry's persons and the non-residents a range of numbers at a time:
//! for a population loaded in bulk (the demo generator, a standard import,
//! a legacy migration), which writes no events for the index's consumer to
//! follow, and after a standard import (the index is not exported).
//! It is idempotent, so running it again, or resuming it, gives the same
//! index.

use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, ParamSpec, Params, PlannedChunk, number_ranges,
    parse_number_range,
};
use kiban_registry::domain::PersonId;
use kiban_store::TenantTx;

use crate::storage::index_between;

/// The job `addressee-index`: index every addressee.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexAddressees;

/// Its name.
pub const INDEX_RESIDENTS: &str = "addressee-index";

impl JobKind for IndexAddressees {
    fn name(&self) -> &'static str {
        INDEX_RESIDENTS
    }

    fn business(&self) -> &'static str {
        "addressee"
    }

    fn description(&self) -> &'static str {
        "宛名索引の作成: 住民記録の全員（住民・転出者・死亡者）と住登外者を宛名検索の索引に登録する（一括登録・標準形式の取り込みの後に。何度実行しても同じ結果）"
    }

    fn params(&self) -> &'static [ParamSpec] {
        &[]
    }

    fn personal_data(&self) -> bool {
        false
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        _params: &'a Params,
        chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let next = tx
                .peek_next_number(kiban_registry::storage::PERSON_SEQUENCE)
                .await?
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(1);
            let chunks = number_ranges(next, chunk_size.clamp(1_000, 20_000));
            Ok(chunks)
        })
    }

    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        _params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            let (from, to) = parse_number_range(chunk)
                .ok_or_else(|| JobError::Failed(format!("区分 {chunk} を読めません")))?;
            let done = index_between(tx, PersonId::new(from), PersonId::new(to)).await?;
            Ok(ChunkResult {
                parts: Vec::new(),
                errors: Vec::new(),
                done: u64::try_from(done).unwrap_or(0),
            })
        })
    }
}

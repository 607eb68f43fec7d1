//! Jobs and batches (バッチ処理) of Kiban: the platform that every
//! business's annual, monthly and daily work runs on (contract `jobs-v1`).
//!
//! A business declares a job kind (its name, its business, its parameters,
//! how it splits into chunks and what it outputs); this crate owns the rest:
//! the runs as rows, their claiming by workers, the chunks that each commit
//! their results, their outputs' part and their progress in one
//! transaction, retries with backoff, cancellation, the stored outputs,
//! the plans that enqueue runs on schedule, and the consumers of the outbox.
//!
//! Architecture invariant: this crate knows no business's rules and no
//! HTTP; it reaches tenant data only through `kiban-store`'s tenant handle.

pub mod calendar;
pub mod consumer;
pub mod engine;
pub mod kind;
pub mod plan;
pub mod schedule;
pub mod worker;

pub use engine::{EngineOptions, RunInfo, Status, Step, SubmitError};
pub use kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Kinds, Output, ParamError, ParamSpec, ParamType,
    Params, Parts, PlannedChunk, SubjectError,
};

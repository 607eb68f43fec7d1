//! Group commit of the entries of reads.
//!
//! A read that is logged is a write, and writes queue: SQLite has one
//! writer at a time, and on PostgreSQL the access log's counter is locked
//! from the append to the commit. With many clerks reading at once, each
//! read's own writing transaction (take the turn, check, append, commit)
//! queued behind all the others.
//! Here the entries of reads that finish at about the same time are
//! appended by one writing transaction: a single task per pool takes the
//! writers' turn, gathers every request that arrived meanwhile, checks each
//! one's condition, appends all their entries in arrival order and commits
//! once. Each request waits for that commit before it returns its data, so
//! no read is answered without its entries committed.
//!
//! A request's condition is "this sequence still has the value seen when
//! the data was read": for the registry, its movement counter, which every
//! change of registry data advances. A request whose condition no longer
//! holds, or whose batch failed, is told so and logs itself (reading again
//! in its own writing transaction): nothing is appended for it here.

use std::collections::VecDeque;
use std::sync::Mutex;

use kiban_store::{StoreError, TenantDb};
use tokio::sync::{mpsc, oneshot};

use crate::{AuditEntry, append_many};

/// At most this many entries in one batch's transaction, so that one
/// batch does not hold the writers' turn for long (a request with more is
/// appended alone).
const MAX_BATCH_ENTRIES: usize = 2_000;

/// The condition under which a read's entries may be appended: the
/// sequence `sequence` of the municipality still has the next value
/// `seen` (as [`kiban_store::TenantTx::peek_next_number`] returned it in
/// the transaction that read the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unchanged {
    /// The sequence's name.
    pub sequence: &'static str,
    /// Its next value when the data was read (`None`: never used).
    pub seen: Option<i64>,
}

struct Request {
    tenant: TenantDb,
    unless: Unchanged,
    entries: Vec<AuditEntry>,
    done: oneshot::Sender<bool>,
}

/// The pool's queue of requests (see [`TenantDb::per_pool`]), with the
/// task that serves it started on first use.
#[derive(Default)]
struct Queue {
    sender: Mutex<Option<mpsc::UnboundedSender<Request>>>,
}

impl Queue {
    /// Queues `request`; `false` if it could not be queued.
    fn send(&self, request: Request) -> bool {
        let mut sender = self
            .sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let request = match sender.as_ref() {
            Some(tx) => match tx.send(request) {
                Ok(()) => return true,
                // The task is gone (its runtime ended): start another.
                Err(mpsc::error::SendError(request)) => request,
            },
            None => request,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = tx.send(request).is_ok();
        tokio::spawn(serve(rx));
        *sender = Some(tx);
        queued
    }
}

/// Appends `entries` in a writing transaction shared with other requests
/// of the moment, provided `unless` still holds then; returns `true` once
/// they are committed. `false` means nothing was appended (the condition
/// failed, or the shared transaction did): the caller must then append
/// the entries in its own transaction, after reading again there.
pub async fn append_if_unchanged(
    tenant: &TenantDb,
    unless: Unchanged,
    entries: Vec<AuditEntry>,
) -> bool {
    if entries.is_empty() {
        return true;
    }
    if entries.len() > MAX_BATCH_ENTRIES {
        return false;
    }
    let (done, answer) = oneshot::channel();
    let request = Request {
        tenant: tenant.clone(),
        unless,
        entries,
        done,
    };
    if !tenant.per_pool::<Queue>().send(request) {
        return false;
    }
    answer.await.unwrap_or(false)
}

/// The task of a pool's queue: one writing transaction per batch, until
/// every sender is gone.
async fn serve(mut requests: mpsc::UnboundedReceiver<Request>) {
    let mut waiting: VecDeque<Request> = VecDeque::new();
    loop {
        if waiting.is_empty() {
            match requests.recv().await {
                Some(request) => waiting.push_back(request),
                None => return,
            }
        }
        let Some(first) = waiting.front() else {
            continue;
        };
        let tenant = first.tenant.clone();
        // The turn is taken before gathering, so that the requests that
        // arrive while it is awaited join this batch.
        let tx = tenant.begin().await;
        while let Ok(request) = requests.try_recv() {
            waiting.push_back(request);
        }
        let municipality = tenant.municipality();
        let mut batch = Vec::new();
        let mut entries_in_batch = 0;
        let mut later = VecDeque::with_capacity(waiting.len());
        for request in waiting.drain(..) {
            if request.tenant.municipality() == municipality
                && (batch.is_empty()
                    || entries_in_batch + request.entries.len() <= MAX_BATCH_ENTRIES)
            {
                entries_in_batch += request.entries.len();
                batch.push(request);
            } else {
                later.push_back(request);
            }
        }
        waiting = later;
        let Ok(tx) = tx else {
            for request in batch {
                let _ = request.done.send(false);
            }
            continue;
        };
        // A failed batch appended nothing: its requests log themselves.
        // SQLite runs a transaction's statements on the calling thread: the
        // batch (hundreds of entries) runs on a thread of its own, not on
        // one of the runtime's, whose other requests would wait meanwhile.
        let runtime = tokio::runtime::Handle::current();
        let (accepted, batch) = match tokio::task::spawn_blocking(move || {
            let accepted = runtime.block_on(append_batch(tx, &mut batch));
            (accepted.unwrap_or_default(), batch)
        })
        .await
        {
            Ok(done) => done,
            // The thread panicked: its requests were dropped with it, and
            // their senders with them (they log themselves).
            Err(_) => continue,
        };
        for (n, request) in batch.into_iter().enumerate() {
            let _ = request.done.send(accepted.get(n).copied().unwrap_or(false));
        }
    }
}

/// Checks each request's condition, appends the entries of those that
/// hold, in order, and commits; returns, per request, whether its entries
/// were committed.
async fn append_batch(
    mut tx: kiban_store::TenantTx,
    batch: &mut [Request],
) -> Result<Vec<bool>, StoreError> {
    let mut current: Vec<(&'static str, Option<i64>)> = Vec::new();
    let mut accepted = Vec::with_capacity(batch.len());
    let mut entries = Vec::new();
    for request in batch.iter_mut() {
        let name = request.unless.sequence;
        let now = match current.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => *value,
            None => {
                let value = tx.peek_next_number(name).await?;
                current.push((name, value));
                value
            }
        };
        let holds = now == request.unless.seen;
        if holds {
            entries.append(&mut request.entries);
        }
        accepted.push(holds);
    }
    append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(accepted)
}

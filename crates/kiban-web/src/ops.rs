//! The server's own probe for the operations report (ops-v1): once a
//! minute it asks itself `GET /healthz` over HTTP (which also reaches the
//! database), records whether it answered, and writes its counts of
//! requests and job steps ([`kiban_ops::usage`]). A minute whose record
//! could not be written (the database was down) is kept and written once
//! the database is back.

use std::net::SocketAddr;
use std::time::Duration;

use kiban_jobs::worker::Stop;
use kiban_ops::month::minute_key;
use kiban_ops::usage::UsageBook;
use kiban_store::Database;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::AppState;

/// How long the probe waits for its health check.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// One probe's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The minute (`YYYY-MM-DDTHH:MM`, UTC).
    pub minute: String,
    /// Whether the server answered 200 within [`PROBE_TIMEOUT`].
    pub up: bool,
    /// What was seen (status line or error), for the operator.
    pub detail: String,
}

/// Asks the server at `addr` for `GET /healthz` (an unspecified listening
/// address is reached on the loopback).
pub async fn check(addr: SocketAddr) -> Probe {
    let minute = minute_key(jiff::Timestamp::now());
    let target = if addr.ip().is_unspecified() {
        match addr {
            SocketAddr::V4(_) => SocketAddr::from(([127, 0, 0, 1], addr.port())),
            SocketAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        }
    } else {
        addr
    };
    let answer = tokio::time::timeout(PROBE_TIMEOUT, async move {
        let mut stream = tokio::net::TcpStream::connect(target).await?;
        let request =
            format!("GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await?;
        head.truncate(n);
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&head).into_owned())
    })
    .await;
    match answer {
        Ok(Ok(head)) => {
            let status_line = head.lines().next().unwrap_or_default().to_owned();
            let up = status_line.split_whitespace().nth(1) == Some("200");
            Probe {
                minute,
                up,
                detail: status_line,
            }
        }
        Ok(Err(e)) => Probe {
            minute,
            up: false,
            detail: format!("connect: {e}"),
        },
        Err(_) => Probe {
            minute,
            up: false,
            detail: format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
        },
    }
}

/// Writes the probes not yet written and the server's counts; keeps what
/// could not be written in `pending`.
pub async fn record(db: &Database, usage: &UsageBook, pending: &mut Vec<Probe>) {
    let instance = usage.instance().to_owned();
    let mut kept = Vec::new();
    for probe in pending.drain(..) {
        if let Err(e) =
            kiban_store::ops::record_probe(db, &probe.minute, &instance, probe.up, &probe.detail)
                .await
        {
            tracing::warn!(error = %e, "probe: cannot record; kept for the next minute");
            kept.push(probe);
        }
    }
    // A day of minutes at most, should the database stay away that long.
    let overflow = kept.len().saturating_sub(24 * 60);
    kept.drain(..overflow);
    *pending = kept;
    if let Err(e) = usage.flush(db).await {
        tracing::warn!(error = %e, "probe: cannot write the request counts; retried next minute");
    }
}

/// Probes the server at `addr` once it started, then at the start of every
/// minute until `stop`; writes what was counted when stopped.
pub async fn probe_loop(state: AppState, addr: SocketAddr, mut stop: Stop) {
    let (db, usage) = (&state.db, state.usage.as_ref());
    // The first probe once the server is listening: the minute it came up.
    stop.sleep(Duration::from_secs(1)).await;
    let mut pending = vec![check(addr).await];
    record(db, usage, &mut pending).await;
    while !stop.requested() {
        // Sleep to the next minute's start (plus a second, so that the
        // probe falls inside its minute).
        let now = jiff::Timestamp::now();
        let into_minute = now.as_millisecond().rem_euclid(60_000) as u64;
        stop.sleep(Duration::from_millis(60_000 - into_minute + 1_000))
            .await;
        if stop.requested() {
            break;
        }
        pending.push(check(addr).await);
        record(db, usage, &mut pending).await;
    }
    // Write what was counted before stopping.
    record(db, usage, &mut pending).await;
}

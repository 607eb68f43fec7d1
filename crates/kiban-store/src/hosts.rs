//! libpq's multi-host URLs for PostgreSQL (ops-v1, "Availability"):
//! `postgres://user@host1:5432,host2:5432/kiban?target_session_attrs=read-write`.
//!
//! sqlx connects to one host. Kiban parses the host list itself, connects
//! the pool to the first host that is acceptable (`read-write` or
//! `primary`: not in recovery; `any`: the first that answers) and keeps
//! watching: once a second it asks the current host on a connection of its
//! own whether it is still acceptable; when it is not (stopped, or now a
//! standby) it walks the list again and points the pool's new connections
//! at the new primary. Connections opened before the switch are closed
//! when next taken from the pool ([`Switches`]), whether the old primary
//! is gone or was demoted to a standby (where they would still answer,
//! read-only). Requests fail only while no host is acceptable, and Kiban
//! carries on without a restart.

use std::str::FromStr;
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sqlx::{ConnectOptions, Connection};

/// How long connecting to one host of the list may take while looking for
/// the primary.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the watcher asks the current host.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// When the pool last moved to another host, so that connections opened
/// before are not used again.
#[derive(Debug)]
pub(crate) struct Switches {
    started: Instant,
    /// Milliseconds from `started` to the last switch; 0 for none.
    last: AtomicU64,
}

impl Switches {
    pub(crate) fn new() -> Self {
        Switches {
            started: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    /// Records a switch now.
    pub(crate) fn mark(&self) {
        let since = self.started.elapsed().as_millis().max(1);
        self.last
            .store(u64::try_from(since).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Whether a connection of this `age` was opened before the last switch.
    pub(crate) fn stale(&self, age: Duration) -> bool {
        let last = self.last.load(Ordering::SeqCst);
        if last == 0 {
            return false;
        }
        let switched_at = self.started + Duration::from_millis(last);
        Instant::now()
            .checked_sub(age)
            .is_some_and(|opened| opened < switched_at)
    }
}

/// A parsed URL: one URL per host, and whether a host must accept writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostList {
    /// The URL of each host, in the list's order, without
    /// `target_session_attrs`.
    pub(crate) urls: Vec<String>,
    /// `read-write` or `primary`: a host in recovery (a standby) is not
    /// acceptable.
    pub(crate) require_primary: bool,
}

/// Parses `url` when it names several hosts or `target_session_attrs`;
/// `None` for a plain one-host URL (connected as it is).
pub(crate) fn parse(url: &str) -> Result<Option<HostList>, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url}: no scheme"))?;
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let mut require_primary = None;
    let mut kept = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", value)) => {
                require_primary = Some(match value {
                    "any" => false,
                    "read-write" | "primary" => true,
                    other => {
                        return Err(format!(
                            "target_session_attrs={other}: Kiban writes; use read-write, primary or any"
                        ));
                    }
                });
            }
            _ => kept.push(pair),
        }
    }
    let hosts: Vec<&str> = hosts.split(',').collect();
    if hosts.len() < 2 && require_primary.is_none() {
        return Ok(None);
    }
    if hosts.iter().any(|h| h.is_empty()) {
        return Err(format!("{url}: an empty host in the host list"));
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let urls = hosts
        .iter()
        .map(|host| match userinfo {
            Some(user) => format!("{scheme}://{user}@{host}{path}{query}"),
            None => format!("{scheme}://{host}{path}{query}"),
        })
        .collect();
    Ok(Some(HostList {
        urls,
        require_primary: require_primary.unwrap_or(false),
    }))
}

/// The connect options of each host.
pub(crate) fn options(
    list: &HostList,
    adjust: impl Fn(PgConnectOptions) -> PgConnectOptions,
) -> Result<Vec<PgConnectOptions>, String> {
    list.urls
        .iter()
        .map(|url| {
            PgConnectOptions::from_str(url)
                .map(&adjust)
                .map_err(|e| format!("{url}: {e}"))
        })
        .collect()
}

/// Whether the session on `conn` is acceptable.
pub(crate) async fn acceptable(
    conn: &mut PgConnection,
    require_primary: bool,
) -> Result<bool, sqlx::Error> {
    if !require_primary {
        return Ok(true);
    }
    let (in_recovery, read_only): (bool, String) =
        sqlx::query_as("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
            .fetch_one(conn)
            .await?;
    Ok(!in_recovery && read_only == "off")
}

/// The first acceptable host of the list, with a connection to it.
pub(crate) async fn find(
    hosts: &[PgConnectOptions],
    require_primary: bool,
) -> Option<(usize, PgConnection)> {
    for (i, options) in hosts.iter().enumerate() {
        let Ok(Ok(mut conn)) = tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await
        else {
            continue;
        };
        if let Ok(true) = acceptable(&mut conn, require_primary).await {
            return Some((i, conn));
        }
        let _ = conn.close().await;
    }
    None
}

/// Watches the pool's host (see the module) until `alive` is gone.
pub(crate) async fn watch(
    pool: PgPool,
    hosts: Vec<PgConnectOptions>,
    require_primary: bool,
    mut current: usize,
    mut conn: Option<PgConnection>,
    switches: std::sync::Arc<Switches>,
    alive: Weak<tokio::sync::Mutex<()>>,
) {
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        if alive.upgrade().is_none() || pool.is_closed() {
            break;
        }
        let healthy = match conn.as_mut() {
            Some(c) => matches!(
                tokio::time::timeout(CONNECT_TIMEOUT, acceptable(c, require_primary)).await,
                Ok(Ok(true))
            ),
            None => false,
        };
        if healthy {
            continue;
        }
        conn = None;
        if let Some((found, c)) = find(&hosts, require_primary).await {
            if found != current {
                tracing::warn!(
                    from = current,
                    to = found,
                    "database: the primary moved; new connections go to host #{found} of the list"
                );
                pool.set_connect_options(hosts[found].clone());
                switches.mark();
                current = found;
            }
            conn = Some(c);
        } else {
            tracing::warn!("database: no acceptable host in the list; retrying");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_list_becomes_one_url_per_host() {
        let list = parse(
            "postgres://kiban:secret@db1:5432,db2:5433/kiban?sslmode=disable&target_session_attrs=read-write",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            list.urls,
            [
                "postgres://kiban:secret@db1:5432/kiban?sslmode=disable",
                "postgres://kiban:secret@db2:5433/kiban?sslmode=disable",
            ]
        );
        assert!(list.require_primary);
        let any = parse("postgresql://db1,db2/kiban").unwrap().unwrap();
        assert_eq!(
            any.urls,
            ["postgresql://db1/kiban", "postgresql://db2/kiban"]
        );
        assert!(!any.require_primary);
    }

    #[test]
    fn connections_opened_before_a_switch_are_stale() {
        let switches = Switches::new();
        assert!(!switches.stale(Duration::from_secs(3600)), "no switch yet");
        std::thread::sleep(Duration::from_millis(20));
        switches.mark();
        assert!(switches.stale(Duration::from_secs(1)), "opened before");
        std::thread::sleep(Duration::from_millis(20));
        assert!(!switches.stale(Duration::from_millis(5)), "opened after");
    }

    #[test]
    fn a_plain_url_is_left_alone_and_bad_lists_are_refused() {
        assert_eq!(
            parse("postgres://postgres@127.0.0.1:5432/kiban").unwrap(),
            None
        );
        let one = parse("postgres://db1/kiban?target_session_attrs=primary")
            .unwrap()
            .unwrap();
        assert_eq!(one.urls, ["postgres://db1/kiban"]);
        assert!(parse("postgres://db1,,db2/kiban").is_err());
        assert!(parse("postgres://db1,db2/kiban?target_session_attrs=standby").is_err());
    }
}

//! The rate limit of the public certificate verification (the API's
//! `GET /api/v1/certificates/verify/{code}` and the screen
//! `/app/certificates/verify`): anyone may call them without logging in, so
//! each client address gets a quota (`governor`, GCRA): a burst of
//! [`WebConfig::verify_burst`] requests, refilled at
//! [`WebConfig::verify_rate_per_minute`]. Past it the API answers 429
//! `rate_limited` and the screen a page, both with `Retry-After`.
//!
//! The client address is the connection's peer address. Behind a reverse
//! proxy every request comes from the proxy: when the peer is one of
//! [`WebConfig::trusted_proxies`], the client is the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy (addresses further
//! left are written by the client and could be forged). A header from any
//! other peer is ignored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::{ApiError, WebConfig};

/// Client addresses kept before the ones whose quota is full again are
/// dropped (the store grows with the number of distinct addresses).
const ADDRESSES_KEPT: usize = 10_000;

/// The quota of each client address, and the proxies trusted to name it.
pub(crate) struct VerifyLimit {
    limiter: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>,
    trusted_proxies: Vec<IpAddr>,
}

impl VerifyLimit {
    /// The limit configured, or `None` when turned off (a rate of 0).
    pub(crate) fn from_config(config: &WebConfig) -> Option<Arc<Self>> {
        let rate = NonZeroU32::new(config.verify_rate_per_minute)?;
        let burst = NonZeroU32::new(config.verify_burst).unwrap_or(NonZeroU32::MIN);
        Some(Arc::new(Self {
            limiter: RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            trusted_proxies: config.trusted_proxies.clone(),
        }))
    }

    /// The address a request is counted against.
    fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        // Without the connection's address (a server not started with
        // connect info) every request shares one quota.
        let Some(peer) = peer else {
            return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        };
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map_while(|a| a.trim().parse::<IpAddr>().ok())
            .collect();
        forwarded
            .iter()
            .rev()
            .find(|a| !self.trusted_proxies.contains(a))
            .or_else(|| forwarded.first())
            .copied()
            .unwrap_or(peer)
    }
}

#[derive(Template)]
#[template(path = "kit/error.html")]
struct RateLimitedPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// The state of the middleware on one route: the shared quota (`None`
/// when turned off), and whether the route is the API's (answered in JSON)
/// or a screen (answered with a page). Nested routers see their path
/// without its prefix, so the route says which it is.
#[derive(Clone)]
pub(crate) struct Limited {
    pub(crate) limit: Option<Arc<VerifyLimit>>,
    pub(crate) api: bool,
}

/// The middleware of the verification routes: counts the request against
/// its client address and answers 429 with `Retry-After` past the quota.
pub(crate) async fn limit(
    State(Limited { limit, api }): State<Limited>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limit) = limit else {
        return next.run(request).await;
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let client = limit.client(peer, request.headers());
    let checked = limit.limiter.check_key(&client);
    if limit.limiter.len() > ADDRESSES_KEPT {
        limit.limiter.retain_recent();
    }
    let Err(not_until) = checked else {
        return next.run(request).await;
    };
    let wait = not_until.wait_time_from(limit.limiter.clock().now());
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let error = ApiError::of(kiban_core::Message::RateLimited {
        seconds: seconds.to_string(),
    });
    let message = error.message.clone();
    let mut response = if api {
        error.into_response()
    } else {
        let page = RateLimitedPage {
            title: "しばらくお待ちください",
            message: &message,
        };
        match page.render() {
            Ok(html) => (StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        }
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(trusted: &[&str]) -> Arc<VerifyLimit> {
        VerifyLimit::from_config(&WebConfig {
            trusted_proxies: trusted.iter().map(|a| a.parse().unwrap()).collect(),
            ..WebConfig::default()
        })
        .unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn the_client_is_the_peer_unless_it_is_a_trusted_proxy() {
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let headers = forwarded("198.51.100.7");
        assert_eq!(limit(&[]).client(Some(peer), &headers), peer);
        assert_eq!(
            limit(&["192.0.2.1"]).client(Some(peer), &headers),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // Addresses left of the last untrusted one may be forged.
        assert_eq!(
            limit(&["192.0.2.1", "10.0.0.2"])
                .client(Some(peer), &forwarded("1.1.1.1, 198.51.100.7, 10.0.0.2")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            limit(&["192.0.2.1"]).client(Some(peer), &HeaderMap::new()),
            peer
        );
    }
}

//! Per-client request-rate limits on the public routes.
//!
//! A GCRA limiter (the `governor` crate) keyed by the client's address: the
//! peer, or — when the peer is a trusted proxy such as the web front end or
//! the ingress — the right-most address in `X-Forwarded-For` that is not a
//! trusted proxy (entries further left were written by the client and could
//! be anything). IPv6 clients are keyed by their /64, the block one host
//! usually has. A client over its rate gets 429 with `Retry-After`.
//!
//! The limit is per replica: with N gateways behind a balancer a client may
//! make up to N times the rate. Sign-in throttling, which matters most, is
//! kept in the database instead ([`crate::accounts::throttle`]).

use roundabout_api::ErrorCode;
use std::{
    net::{IpAddr, Ipv6Addr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use roundabout_support::server::Task;
use serde_json::json;

use crate::config::AbuseLimits;

/// The client a request is counted against, put in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The limiter and the proxies trusted to name the client.
#[derive(Clone)]
pub struct ClientLimiter {
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    trusted: Arc<Vec<IpNet>>,
}

impl ClientLimiter {
    /// A limiter from the configuration; none when the rate is 0.
    pub fn new(limits: &AbuseLimits) -> Self {
        let limiter = NonZeroU32::new(limits.requests_per_second).map(|rate| {
            let burst = NonZeroU32::new(limits.burst).unwrap_or(rate);
            Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)))
        });
        Self {
            limiter,
            trusted: Arc::new(limits.trusted_proxies.clone()),
        }
    }

    /// A background task that forgets clients whose allowance is full again,
    /// so the table stays as small as the set of recent clients.
    pub fn housekeeping(&self) -> Task {
        let limiter = self.limiter.clone();
        Box::new(move |stop| {
            Box::pin(async move {
                let Some(limiter) = limiter else { return };
                loop {
                    tokio::select! {
                        _ = stop.clone().wait() => return,
                        _ = tokio::time::sleep(Duration::from_secs(60)) => {
                            limiter.retain_recent();
                            limiter.shrink_to_fit();
                        }
                    }
                }
            })
        })
    }
}

/// The client's address: `peer`, or the right-most untrusted address of
/// `X-Forwarded-For` when `peer` is a trusted proxy.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let entries = headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .flat_map(|v| v.to_str().unwrap_or("").rsplit(','));
    for entry in entries {
        let Some(ip) = parse_forwarded(entry.trim()) else {
            // A malformed entry: nothing left of it can be believed.
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_forwarded(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    s.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// The key an address is counted under: IPv4 as it is, IPv6 by its /64.
fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Middleware: counts the request against its client, or answers 429.
pub async fn limit(State(l): State<ClientLimiter>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = client_address(peer, req.headers(), &l.trusted);
    req.extensions_mut().insert(ClientAddress(client));
    let Some(limiter) = &l.limiter else {
        return next.run(req).await;
    };
    match limiter.check_key(&key_of(client)) {
        Ok(()) => next.run(req).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            too_many_requests(wait)
        }
    }
}

/// 429 with `Retry-After` (whole seconds, at least 1) and a GraphQL-shaped body.
pub fn too_many_requests(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let body = json!({
        "errors": [{
            "message": format!("Too many requests from your address. Wait {secs} seconds and try again."),
            "extensions": {"code": ErrorCode::RateLimited, "retryAfterSeconds": secs}
        }]
    });
    let mut res = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// 503 in GraphQL's shape for a request the gateway did not serve: shed by
/// its concurrency limit or stopped by its timeout (`Retry-After` is added
/// by the admission layer).
pub fn refused(why: roundabout_support::admission::Refusal) -> Response {
    let body = json!({
        "errors": [{
            "message": why.message(),
            "extensions": {"code": why.code(), "retryAfterSeconds": why.retry_after_secs()}
        }]
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &str) -> Vec<IpNet> {
        crate::config::parse_networks(s).unwrap()
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let trusted = nets("10.0.0.0/8, 127.0.0.1");
        let outsider: IpAddr = "203.0.113.9".parse().unwrap();
        // An outsider cannot choose its key by sending the header.
        assert_eq!(client_address(outsider, &xff("198.51.100.1"), &trusted), outsider);
        // Through the web front end (trusted): the visitor it names.
        let web: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(
            client_address(web, &xff("198.51.100.1"), &trusted),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
        // A visitor who writes its own header: the right-most untrusted entry wins.
        assert_eq!(
            client_address(web, &xff("1.1.1.1, 198.51.100.1, 10.9.9.9"), &trusted),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
        // Garbage stops the walk at the last good address.
        assert_eq!(
            client_address(web, &xff("nonsense, 10.9.9.9"), &trusted),
            "10.9.9.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(web, &HeaderMap::new(), &trusted), web);
        assert_eq!(
            client_address(web, &xff("[2001:db8::1]:443"), &trusted),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(key_of(a), key_of(b));
        assert_ne!(key_of(a), key_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(key_of(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_client_over_its_burst_waits() {
        let l = ClientLimiter::new(&AbuseLimits {
            requests_per_second: 1,
            burst: 3,
            ..AbuseLimits::default()
        });
        let limiter = l.limiter.unwrap();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check_key(&ip).is_ok());
        }
        assert!(limiter.check_key(&ip).is_err());
        // Another client is unaffected.
        assert!(limiter.check_key(&"192.0.2.8".parse().unwrap()).is_ok());
    }
}

//! Who is asking: the visitor's address, as the rate limits and the
//! gateway see it.
//!
//! The address is the peer of the connection, unless that peer is one of
//! the configured trusted proxies (`WEB_TRUSTED_PROXIES`): then
//! `X-Forwarded-For` is read from the right, skipping trusted proxies, and
//! the first address that is not one of them is the visitor. Entries left of
//! it were written by the visitor and are never believed; without trusted
//! proxies the header is ignored altogether.
//!
//! Every gateway request made while serving a visitor carries
//! `X-Forwarded-For: <the visitor's address>` ([`Forwarded`]), so
//! the gateway, which trusts the front end as its proxy, limits the visitor
//! rather than the front end. [`layer`] puts it in a task-local for the
//! request, so pages need not pass it to every call.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};

use ipnet::IpNet;

use crate::AppState;

/// The proxies whose `X-Forwarded-For` the front end believes: addresses
/// (`10.0.0.7`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    /// None: the connection's peer is the visitor (production's default).
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// `127.0.0.0/8` and `::1` (local development's default).
    pub fn loopback() -> Self {
        Self(vec![
            IpNet::new(IpAddr::from([127, 0, 0, 0]), 8).expect("a /8 is a valid prefix"),
            IpNet::from(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
        ])
    }

    /// A comma-separated list of addresses and CIDR ranges.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an IP address or CIDR range (like 10.0.0.0/8)"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `ip` is one of them (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The visitor behind a request, and the `X-Forwarded-For` chain to pass on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarded {
    /// The visitor's address.
    pub client: IpAddr,
    /// `X-Forwarded-For` for the gateway: the visitor's address alone. What
    /// the visitor claimed and the hops of this side's proxies are resolved
    /// here, so the gateway need trust only the front end.
    pub header: String,
}

/// One `X-Forwarded-For` entry as an address (`1.2.3.4`, `1.2.3.4:5678`,
/// `2001:db8::1`, `[2001:db8::1]:5678`).
fn entry_addr(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    e.parse::<IpAddr>()
        .ok()
        .or_else(|| e.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

impl Forwarded {
    /// The visitor of a request from `peer` with `headers`.
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Self {
        let peer = peer.to_canonical();
        if !trusted.contains(peer) {
            return Self::direct(peer);
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        // From the right: the nearest hops are the trusted proxies'; the first
        // address that is not one of theirs is the visitor. An entry that is
        // not an address ends the walk at the last proxy seen; when every
        // hop is a trusted proxy, the farthest one is the visitor.
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = entry_addr(entry) else { break };
            client = ip;
            if !trusted.contains(ip) {
                break;
            }
        }
        Self::direct(client)
    }

    fn direct(client: IpAddr) -> Self {
        Self {
            client,
            header: client.to_string(),
        }
    }
}

tokio::task_local! {
    /// The visitor the current request is served for.
    static VISITOR: Forwarded;
}

/// The `X-Forwarded-For` to send the gateway for the visitor being served,
/// if any.
pub fn current_forwarded_for() -> Option<String> {
    VISITOR.try_with(|v| v.header.clone()).ok()
}

/// Works out the visitor of each request, puts it in the request's
/// extensions and serves the request with it in scope for gateway calls.
pub async fn layer(State(state): State<AppState>, mut req: Request<Body>, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let visitor = Forwarded::resolve(peer, req.headers(), &state.config.trusted_proxies);
    req.extensions_mut().insert(visitor.clone());
    VISITOR.scope(visitor, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ,fd00::/8").unwrap();
        assert!(t.contains(ip("10.200.3.4")));
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("192.0.2.7")) && !t.contains(ip("192.0.2.8")));
        assert!(t.contains(ip("fd12::1")) && !t.contains(ip("fe80::1")));
        assert!(TrustedProxies::loopback().contains(ip("127.0.0.1")));
        assert!(TrustedProxies::loopback().contains(ip("::1")));
        assert!(!TrustedProxies::none().contains(ip("127.0.0.1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "example.org", "10.0.0.0/x"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::none());
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_visitor() {
        let f = Forwarded::resolve(ip("203.0.113.9"), &xff(&["198.51.100.1"]), &TrustedProxies::none());
        assert_eq!(f.client, ip("203.0.113.9"));
        assert_eq!(f.header, "203.0.113.9");
    }

    #[test]
    fn a_forwarded_for_from_an_untrusted_peer_is_ignored() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let f = Forwarded::resolve(ip("203.0.113.9"), &xff(&["198.51.100.1"]), &trusted);
        assert_eq!(f.client, ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_is_the_visitor() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The visitor claims to be 1.1.1.1; the proxies appended the truth.
        let f = Forwarded::resolve(ip("10.0.0.2"), &xff(&["1.1.1.1, 198.51.100.7", "10.0.0.1"]), &trusted);
        assert_eq!(f.client, ip("198.51.100.7"));
        assert_eq!(f.header, "198.51.100.7");
        // With a port, and IPv6 in brackets.
        let f = Forwarded::resolve(ip("10.0.0.2"), &xff(&["[2001:db8::5]:4431"]), &trusted);
        assert_eq!(f.client, ip("2001:db8::5"));
        assert_eq!(f.header, "2001:db8::5");
    }

    #[test]
    fn a_trusted_peer_without_a_forwarded_for_is_the_visitor() {
        let trusted = TrustedProxies::loopback();
        let f = Forwarded::resolve(ip("127.0.0.1"), &HeaderMap::new(), &trusted);
        assert_eq!(f.client, ip("127.0.0.1"));
        assert_eq!(f.header, "127.0.0.1");
        // Garbage in the header stops the walk at the proxy.
        let f = Forwarded::resolve(ip("127.0.0.1"), &xff(&["evil, not-an-ip"]), &trusted);
        assert_eq!(f.client, ip("127.0.0.1"));
        // Only proxies: the farthest.
        let f = Forwarded::resolve(ip("127.0.0.1"), &xff(&["127.0.0.9"]), &trusted);
        assert_eq!(f.client, ip("127.0.0.9"));
    }
}

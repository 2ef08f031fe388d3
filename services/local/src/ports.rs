//! Choosing a port for a part before it is started.
//!
//! A port found by binding port 0 comes from the kernel's ephemeral range, the
//! same range every outgoing connection takes its local port from: between
//! finding it and the part binding it, any client connection on the machine
//! may take it ("address already in use"). Ports are chosen here below that
//! range instead, where only listeners go, and one process never hands out
//! the same port twice.

use std::{
    collections::HashSet,
    net::TcpListener,
    sync::{Mutex, OnceLock},
};

/// The lowest port chosen.
const LOWEST: u16 = 10_000;

/// The kernel's ephemeral range (Linux), or its default where unreadable.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|p| p.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32_768, 60_999))
}

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A port on 127.0.0.1 that is free now, outside the ephemeral range and not
/// handed out before by this process.
pub fn free_port() -> std::io::Result<u16> {
    let (eph_low, eph_high) = ephemeral_range();
    let mut candidates: Vec<(u16, u16)> = Vec::new();
    if eph_low > LOWEST + 1_000 {
        candidates.push((LOWEST, eph_low - 1));
    }
    if eph_high < 65_000 {
        candidates.push((eph_high + 1, 65_535));
    }
    if !candidates.is_empty() {
        for _ in 0..200 {
            let (lo, hi) = candidates[random_below(candidates.len() as u64) as usize];
            let port = lo + random_below(u64::from(hi - lo) + 1) as u16;
            if reserve(port) {
                return Ok(port);
            }
        }
    }
    // No room outside the ephemeral range: let the kernel choose.
    loop {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if remember(port) {
            return Ok(port);
        }
    }
}

/// A random number below `n` (n > 0), from the standard library's randomly
/// keyed hasher: enough to spread ports, not for secrets.
fn random_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.finish() % n
}

fn remember(port: u16) -> bool {
    handed_out().lock().map(|mut set| set.insert(port)).unwrap_or(false)
}

fn reserve(port: u16) -> bool {
    if handed_out().lock().map(|set| set.contains(&port)).unwrap_or(true) {
        return false;
    }
    TcpListener::bind(("127.0.0.1", port)).is_ok() && remember(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_distinct_and_outside_the_ephemeral_range() {
        let (low, high) = ephemeral_range();
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let port = free_port().unwrap();
            assert!(!(low..=high).contains(&port), "{port} is in {low}..={high}");
            assert!(seen.insert(port), "{port} handed out twice");
            TcpListener::bind(("127.0.0.1", port)).unwrap();
        }
    }
}

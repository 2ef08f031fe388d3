//! Choosing a port for a part before it is started.
//!
//! A port found by binding port 0 comes from the kernel's ephemeral range, the
//! same range every outgoing connection takes its local port from: between
//! finding it and the part binding it, any client connection on the machine
//! may take it ("address already in use"). Ports are chosen here below that
//! range instead, where only listeners go. One process never hands out the
//! same port twice, and processes on one machine (parallel test processes,
//! several `up` runs) never hand out the same port within an hour of each
//! other: a port is claimed by creating a file named after it in a shared
//! directory, which only one process can do.

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
        if claim(port) && remember(port) {
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

/// How long another process's claim on a port stands.
const CLAIM_FOR: std::time::Duration = std::time::Duration::from_secs(3_600);

fn claims_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("roundabout-ports")
}

/// Claims `port` for this process across the machine: true when no other
/// process holds a live claim on it. Where the directory cannot be written,
/// only this process's own record guards the port.
fn claim(port: u16) -> bool {
    use std::io::Write;
    let dir = claims_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return true;
    }
    let path = dir.join(port.to_string());
    for _ in 0..2 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                return true;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stale = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > CLAIM_FOR);
                if !stale {
                    return false;
                }
                // Two processes may both find it stale; create_new above
                // still lets only one of them claim it.
                let _ = std::fs::remove_file(&path);
            }
            Err(_) => return true,
        }
    }
    false
}

fn reserve(port: u16) -> bool {
    if handed_out().lock().map(|set| set.contains(&port)).unwrap_or(true) {
        return false;
    }
    TcpListener::bind(("127.0.0.1", port)).is_ok() && claim(port) && remember(port)
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

    #[test]
    fn a_port_claimed_by_another_process_is_not_handed_out() {
        // Another process's fresh claim, as a parallel test process leaves it.
        let port = free_port().unwrap();
        handed_out().lock().unwrap().remove(&port);
        assert!(!reserve(port), "{port} was handed out again while claimed");
        // An hour-old claim is stale and can be taken over.
        let path = claims_dir().join(port.to_string());
        let old = std::time::SystemTime::now() - CLAIM_FOR - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(reserve(port), "a stale claim on {port} was not taken over");
    }
}

//! The round-robin TCP front `roundabout up --replicas N` puts on the
//! public gateway port: one address for the GraphQL API (and for the web
//! front end, which is a client of it) whatever the number of gateways.
//!
//! Each accepted connection goes to the next gateway replica in turn;
//! a replica that refuses the connection (stopped, restarting) is skipped
//! for the next, so a dead gateway costs a new connection nothing. The
//! bytes are then copied both ways untouched (HTTP keep-alive included), so
//! a connection lives and dies with the replica it reached: the requests in
//! flight on a gateway when it dies fail, and the client's next connection
//! reaches a live one.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// How long connecting to one replica may take before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Accepts connections on `listener` and spreads them over `backends`
/// until the task is aborted.
pub fn spawn(listener: TcpListener, backends: Vec<SocketAddr>) -> JoinHandle<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let backends = Arc::new(backends);
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                // Out of file descriptors or similar: pause rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let start = next.fetch_add(1, Ordering::Relaxed);
            let backends = backends.clone();
            tokio::spawn(async move {
                if let Some(upstream) = connect(&backends, start).await {
                    relay(client, upstream).await;
                }
            });
        }
    })
}

/// The first replica from `start` on (in turn) that takes a connection.
async fn connect(backends: &[SocketAddr], start: usize) -> Option<TcpStream> {
    let n = backends.len();
    for k in 0..n {
        let addr = backends[(start + k) % n];
        if let Ok(Ok(s)) = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            return Some(s);
        }
    }
    None
}

async fn relay(mut client: TcpStream, mut upstream: TcpStream) {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A backend that answers each connection with its name.
    async fn named(name: &'static str) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let _ = s.write_all(name.as_bytes()).await;
            }
        });
        addr
    }

    async fn read_through(front: SocketAddr) -> String {
        let mut s = TcpStream::connect(front).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn connections_go_round_robin_skipping_a_refusing_backend() {
        let a = named("a").await;
        let b = named("b").await;
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front = listener.local_addr().unwrap();
        let task = spawn(listener, vec![a, dead, b]);
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.push(read_through(front).await);
        }
        task.abort();
        assert!(seen.iter().all(|s| s == "a" || s == "b"), "{seen:?}");
        assert_eq!(seen.iter().filter(|s| *s == "a").count(), 2, "{seen:?}");
        assert_eq!(
            seen.iter().filter(|s| *s == "b").count(),
            4,
            "the dead one's turns go to the next: {seen:?}"
        );
    }
}

//! Work that one replica at a time may do.
//!
//! With several replicas of a part running, each runs its background loops.
//! Work that claims rows one by one (`for update skip locked`, or a saga's
//! claim) is safe as it is; a pass that reads what is due and then acts on
//! it outside one transaction (reconciling payments, paying providers,
//! moving bookings on) is not, unless only one replica runs it at a time.
//!
//! [`Exclusive`] is a PostgreSQL session advisory lock on the part's own
//! database, keyed by a name: [`Exclusive::try_acquire`] takes it without
//! waiting (another replica holding it means the work is already being
//! done) and holds one pooled connection while it is held. If the process
//! dies, its connection closes and PostgreSQL releases the lock, so a crash
//! never leaves the work stuck.

use std::future::Future;

use sqlx::{pool::PoolConnection, PgPool, Postgres};

/// A held advisory lock. Release it with [`Exclusive::release`]; dropped
/// without that, its connection is closed rather than returned to the pool
/// (a pooled connection must never keep holding a lock).
pub struct Exclusive {
    conn: Option<PoolConnection<Postgres>>,
    key: i64,
}

/// The lock key of a name: FNV-1a, 64 bits (stable across builds and
/// machines, unlike `std`'s hasher).
pub fn key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

impl Exclusive {
    /// Takes the lock named `name` if no one holds it.
    pub async fn try_acquire(pool: &PgPool, name: &str) -> sqlx::Result<Option<Self>> {
        let mut conn = pool.acquire().await?;
        let key = key(name);
        // Runtime-checked, as every query of this crate (see `db`).
        let got: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await?;
        Ok(got.then_some(Self { conn: Some(conn), key }))
    }

    /// Lets go of the lock and returns the connection to the pool.
    pub async fn release(mut self) -> sqlx::Result<()> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        match sqlx::query_scalar::<_, bool>("select pg_advisory_unlock($1)")
            .bind(self.key)
            .fetch_one(&mut *conn)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => {
                // Not held any more: the connection is not to be trusted.
                drop(conn.detach());
                Ok(())
            }
            Err(e) => {
                drop(conn.detach());
                Err(e)
            }
        }
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Closing the connection ends the session, which releases the lock.
            drop(conn.detach());
        }
    }
}

/// Runs `work` if this replica can take the lock `name`, and answers its
/// result; answers `None` when another replica holds the lock.
pub async fn run<F, T, E>(pool: &PgPool, name: &str, work: F) -> Result<Option<T>, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<sqlx::Error>,
{
    let Some(lock) = Exclusive::try_acquire(pool, name).await? else {
        return Ok(None);
    };
    let result = work.await;
    let released = lock.release().await;
    let value = result?;
    released?;
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_differ_by_name() {
        // Fixed values: a change of hash would let an old and a new replica
        // run the same work at once during a rolling deploy.
        assert_eq!(key(""), i64::from_ne_bytes(0xcbf2_9ce4_8422_2325u64.to_ne_bytes()));
        assert_eq!(key("a"), i64::from_ne_bytes(0xaf63_dc4c_8601_ec8cu64.to_ne_bytes()));
        assert_ne!(key("payments.reconcile"), key("payments.payouts"));
    }
}

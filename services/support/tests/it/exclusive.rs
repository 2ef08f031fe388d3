//! Work one replica at a time may do: a session advisory lock that a second
//! taker is refused without waiting, and that a crash (the connection
//! closing) releases.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use roundabout_support::{exclusive, exclusive::Exclusive, testing};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/bookings");

async fn holders(pool: &sqlx::PgPool, name: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from pg_locks where locktype = 'advisory' and granted \
         and ((classid::bigint << 32) | objid::bigint) = $1",
    )
    .bind(exclusive::key(name))
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_second_taker_is_refused_until_the_first_releases() {
    let (pool, _) = testing::fresh_database(&MIGRATOR).await;
    let first = Exclusive::try_acquire(&pool, "jobs.test")
        .await
        .unwrap()
        .expect("free at first");
    assert!(Exclusive::try_acquire(&pool, "jobs.test").await.unwrap().is_none());
    // Another name is another lock.
    let other = Exclusive::try_acquire(&pool, "jobs.other")
        .await
        .unwrap()
        .expect("another name");
    other.release().await.unwrap();
    first.release().await.unwrap();
    assert_eq!(holders(&pool, "jobs.test").await, 0);
    let again = Exclusive::try_acquire(&pool, "jobs.test")
        .await
        .unwrap()
        .expect("free again");
    again.release().await.unwrap();
}

#[tokio::test]
async fn dropping_a_held_lock_closes_its_connection_and_frees_it() {
    let (pool, _) = testing::fresh_database(&MIGRATOR).await;
    let held = Exclusive::try_acquire(&pool, "jobs.crash").await.unwrap().unwrap();
    assert_eq!(holders(&pool, "jobs.crash").await, 1);
    drop(held);
    // The backend ends when its socket closes; give it a moment.
    let mut freed = false;
    for _ in 0..100 {
        if holders(&pool, "jobs.crash").await == 0 {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(freed, "the lock outlived its holder");
    assert!(Exclusive::try_acquire(&pool, "jobs.crash").await.unwrap().is_some());
}

#[tokio::test]
async fn of_many_replicas_running_a_pass_at_once_one_does_the_work() {
    let (pool, _) = testing::fresh_database(&MIGRATOR).await;
    let done = Arc::new(AtomicUsize::new(0));
    let (go, _) = tokio::sync::broadcast::channel::<()>(1);
    let replicas: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            let done = done.clone();
            let mut start = go.subscribe();
            tokio::spawn(async move {
                let _ = start.recv().await;
                exclusive::run(&pool, "jobs.pass", async {
                    // Long enough that every other replica tries meanwhile.
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    done.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, sqlx::Error>(())
                })
                .await
                .unwrap()
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    go.send(()).unwrap();
    let mut ran = 0;
    for r in replicas {
        ran += usize::from(r.await.unwrap().is_some());
    }
    assert_eq!(ran, 1);
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

//! The subsidy spent before a report's period, read from the council's
//! running total less what was made since, against the sum over every
//! booking: after bookings are made in every status, confirmed, cancelled,
//! re-priced, moved between councils and deleted.

use chrono::{DateTime, Duration, Utc};
use roundabout_bookings::{db::report, MIGRATOR};
use roundabout_support::testing;
use sqlx::PgPool;
use uuid::Uuid;

/// The subsidy of `council`'s bookings made before `before` that stand,
/// summed over every booking.
async fn summed(pool: &PgPool, council: Uuid, before: DateTime<Utc>) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(subsidy_pence), 0)::bigint from bookings
         where council_id = $1 and created_at < $2 and status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')",
    )
    .bind(council)
    .bind(before)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn insert(pool: &PgPool, council: Uuid, status: &str, subsidy: i64, made: DateTime<Utc>) -> Uuid {
    let id = Uuid::new_v4();
    let start = Utc::now() + Duration::days(30) + Duration::hours(i64::from(rand_hours(id)));
    sqlx::query(
        "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, period, status, step,
             base_pence, subsidy_pence, first_base_pence, first_subsidy_pence, idempotency_key, request_digest,
             payment_status, created_at)
         values ($1, gen_random_uuid(), $2, gen_random_uuid(), gen_random_uuid(), 'HIRE', tstzrange($3, $3 + interval '2 hours'),
                 $4, 'DONE', 5000, $5, 5000, $5, $1::text, 'digest', 'CAPTURED', $6)",
    )
    .bind(id)
    .bind(council)
    .bind(start)
    .bind(status)
    .bind(subsidy)
    .bind(made)
    .execute(pool)
    .await
    .unwrap();
    id
}

/// Spreads the bookings' periods a little (any value will do).
fn rand_hours(id: Uuid) -> u8 {
    id.as_bytes()[0] % 200
}

#[tokio::test]
async fn spent_before_a_period_matches_the_sum_over_every_booking() {
    let (pool, _url) = testing::fresh_database(&MIGRATOR).await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let now = Utc::now();
    let mut ids = Vec::new();
    for (i, status) in [
        "CONFIRMED",
        "ACTIVE",
        "COMPLETED",
        "CANCELLED",
        "PENDING_PAYMENT",
        "EXPIRED",
        "FAILED",
    ]
    .iter()
    .cycle()
    .take(42)
    .enumerate()
    {
        let council = if i % 3 == 0 { b } else { a };
        let made = now - Duration::days(i as i64 * 11);
        ids.push(insert(&pool, council, status, 100 + i as i64, made).await);
    }
    let instants: Vec<DateTime<Utc>> = (0..12)
        .map(|d| now - Duration::days(d * 40))
        .chain([now + Duration::days(1)])
        .collect();
    let check = |when: &'static str| {
        let pool = pool.clone();
        let instants = instants.clone();
        async move {
            for council in [a, b] {
                for at in &instants {
                    let kept = report::spent_before(&pool, council, *at).await.unwrap().get();
                    assert_eq!(kept, summed(&pool, council, *at).await, "{when}, before {at}");
                }
            }
        }
    };
    check("as made").await;
    sqlx::query("update bookings set status = 'CONFIRMED' where status = 'PENDING_PAYMENT'")
        .execute(&pool)
        .await
        .unwrap();
    check("pending ones confirmed").await;
    sqlx::query("update bookings set status = 'CANCELLED' where id = any($1) and status = 'ACTIVE'")
        .bind(&ids)
        .execute(&pool)
        .await
        .unwrap();
    check("active ones cancelled").await;
    sqlx::query("update bookings set subsidy_pence = subsidy_pence + 7 where status = 'COMPLETED'")
        .execute(&pool)
        .await
        .unwrap();
    check("completed ones re-priced").await;
    sqlx::query(
        "update bookings set council_id = case when council_id = $1 then $2 else $1 end
         where status = 'CONFIRMED' and subsidy_pence % 2 = 0",
    )
    .bind(a)
    .bind(b)
    .execute(&pool)
    .await
    .unwrap();
    check("some moved to the other council").await;
    sqlx::query("delete from bookings where status = 'COMPLETED' and subsidy_pence % 3 = 0")
        .execute(&pool)
        .await
        .unwrap();
    check("some deleted").await;
    let counted: i64 =
        sqlx::query_scalar("select count(*) from bookings where status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(counted > 10, "the checks covered bookings that stand: {counted}");
}

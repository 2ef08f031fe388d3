//! Retention: councils' own periods through the internal API (bounds,
//! tenancy, all or nothing), and the purge of decisions and profile reads
//! (old rows go, recent stay, a council's shorter period is honoured, more
//! rows than one batch, counted in the metrics).

use roundabout_api::states::RetentionKind;
use roundabout_eligibility::{build, db, retention, Config, MIGRATOR};
use roundabout_support::{
    internal_auth::Caller,
    metrics::Metrics,
    retention::Settings,
    testing::{self, admin_caller, Running},
};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// A council written straight to the database (its boundary is not what
/// these tests are about).
async fn council(pool: &PgPool) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into councils (id, name, code, boundary, min_lon, min_lat, max_lon, max_lat)
         values ($1, 'A council', $2, '{}'::jsonb, -1, 51, 0, 52)",
    )
    .bind(id)
    .bind(format!("C{}", &id.simple().to_string()[..8]))
    .execute(pool)
    .await
    .unwrap();
    id
}

/// A household of `council` with `n` decisions and `n` profile reads made
/// `days_ago` days ago.
async fn household_with_records(pool: &PgPool, council: Uuid, n: i64, days_ago: i32) -> Uuid {
    let household = Uuid::new_v4();
    sqlx::query("insert into households (id, council_id) values ($1, $2)")
        .bind(household)
        .bind(council)
        .execute(pool)
        .await
        .unwrap();
    let line = Uuid::new_v4();
    let scheme = Uuid::new_v4();
    sqlx::query("insert into scheme_lines (id, council_id) values ($1, $2)")
        .bind(line)
        .bind(council)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into schemes (id, line_id, council_id, version, name, status, percent_basis_points, applies_to, budget_pence)
         values ($1, $2, $3, 1, 'S', 'DRAFT', 1000, array['HIRE'], 0)",
    )
    .bind(scheme)
    .bind(line)
    .bind(council)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into eligibility_decisions (household_id, scheme_id, scheme_version, eligible, reasons, purpose, decided_at)
         select $1, $2, 1, true, '[]'::jsonb, 'view', now() - make_interval(days => $4) from generate_series(1, $3)",
    )
    .bind(household)
    .bind(scheme)
    .bind(n)
    .bind(days_ago)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into profile_reads (household_id, reader_kind, read_at)
         select $1, 'officer', now() - make_interval(days => $3) from generate_series(1, $2)",
    )
    .bind(household)
    .bind(n)
    .bind(days_ago)
    .execute(pool)
    .await
    .unwrap();
    household
}

async fn count(pool: &PgPool, table: &str, household: Uuid) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table} where household_id = $1"))
        .bind(household)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The value of `retention_deleted_total{kind}` in a rendering of `metrics`.
fn deleted_metric(metrics: &Metrics, kind: RetentionKind) -> Option<u64> {
    let label = format!("kind=\"{kind}\"");
    metrics
        .render()
        .lines()
        .find(|l| l.starts_with("retention_deleted_total{") && l.contains(&label))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn old_decisions_and_reads_are_purged_in_batches_by_each_councils_period() {
    let (pool, _url) = testing::fresh_database(&MIGRATOR).await;
    let (a, b) = (council(&pool).await, council(&pool).await);
    // Council A keeps decisions a year, less than the two-year default.
    let mut tx = pool.begin().await.unwrap();
    db::retention::set(&mut tx, a, RetentionKind::EligibilityDecisions, Some(365), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // More old rows than one batch of 500, in council A.
    let a_old = household_with_records(&pool, a, 1_200, 800).await;
    let a_middle = household_with_records(&pool, a, 3, 400).await;
    let a_recent = household_with_records(&pool, a, 3, 10).await;
    let b_middle = household_with_records(&pool, b, 3, 400).await;
    let b_old = household_with_records(&pool, b, 2, 731).await;

    let metrics = Metrics::new("eligibility");
    let runner = retention::runner(pool.clone(), Settings::default(), &metrics);
    // Every kind is reported from the start, at zero.
    assert_eq!(deleted_metric(&metrics, RetentionKind::EligibilityDecisions), Some(0));
    assert_eq!(deleted_metric(&metrics, RetentionKind::DeadMessages), Some(0));
    let done = runner.pass().await.unwrap().expect("no other replica holds the pass");
    let deleted = |kind| done.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n);
    assert_eq!(deleted(RetentionKind::EligibilityDecisions), Some(1_200 + 3 + 2));
    assert_eq!(deleted(RetentionKind::ProfileReads), Some(1_200 + 2));

    // A's year: its 400-day-old decisions go, B's (two years) stay.
    assert_eq!(count(&pool, "eligibility_decisions", a_old).await, 0);
    assert_eq!(count(&pool, "eligibility_decisions", a_middle).await, 0);
    assert_eq!(count(&pool, "eligibility_decisions", b_middle).await, 3);
    assert_eq!(count(&pool, "eligibility_decisions", b_old).await, 0);
    assert_eq!(count(&pool, "eligibility_decisions", a_recent).await, 3);
    // A chose only for decisions: its profile reads follow the default.
    assert_eq!(count(&pool, "profile_reads", a_middle).await, 3);
    assert_eq!(count(&pool, "profile_reads", a_old).await, 0);
    assert_eq!(count(&pool, "profile_reads", b_old).await, 0);
    assert_eq!(count(&pool, "profile_reads", a_recent).await, 3);

    assert_eq!(
        deleted_metric(&metrics, RetentionKind::EligibilityDecisions),
        Some(1_205)
    );
    assert_eq!(deleted_metric(&metrics, RetentionKind::ProfileReads), Some(1_202));
    let last_run = metrics
        .render()
        .lines()
        .find(|l| l.starts_with("retention_last_run_timestamp_seconds{") && l.contains("ELIGIBILITY_DECISIONS"))
        .and_then(|l| l.rsplit(' ').next()?.parse::<i64>().ok())
        .unwrap();
    assert!(last_run > chrono::Utc::now().timestamp() - 60, "{last_run}");

    // A second pass finds nothing more to delete.
    let again = runner.pass().await.unwrap().unwrap();
    assert!(again.iter().all(|(_, n)| *n == 0), "{again:?}");
}

async fn spawn() -> (Running, PgPool) {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let config = Config::new(testing::host_config("eligibility", &url));
    (Running::spawn(build(config).await.unwrap()), pool)
}

fn officer_of(council: Uuid) -> Caller {
    Caller {
        officer_of: vec![council],
        ..Caller::user(Uuid::new_v4(), "officer@example.org")
    }
}

fn period(periods: &Value, kind: &str) -> Value {
    periods
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} in {periods}"))
}

#[tokio::test]
async fn officers_set_their_councils_periods_within_the_bounds_and_nothing_else() {
    let (svc, pool) = spawn().await;
    let client = svc.client("eligibility");
    let (a, b) = (council(&pool).await, council(&pool).await);
    let path = format!("/internal/councils/{a}/retention");
    let officer = officer_of(a);

    let before: Value = client.get(&path, &officer).await.unwrap();
    assert_eq!(before.as_array().unwrap().len(), RetentionKind::ALL.len());
    let decisions = period(&before, "ELIGIBILITY_DECISIONS");
    assert_eq!(
        (
            decisions["days"].as_i64(),
            decisions["overridden"].as_bool(),
            decisions["council_decides"].as_bool()
        ),
        (Some(730), Some(false), Some(true))
    );
    assert_eq!(period(&before, "FINANCIAL_RECORDS")["council_decides"], false);

    let set: Value = client
        .put(
            &path,
            &json!({"periods": [{"kind": "ELIGIBILITY_DECISIONS", "days": 400}, {"kind": "ABANDONED_BOOKINGS", "days": 30}]}),
            &officer,
        )
        .await
        .unwrap();
    assert_eq!(period(&set, "ELIGIBILITY_DECISIONS")["days"], 400);
    assert_eq!(period(&set, "ELIGIBILITY_DECISIONS")["overridden"], true);
    assert_eq!(period(&set, "ABANDONED_BOOKINGS")["days"], 30);

    // Refused, each with its code and field, and nothing changed: a valid
    // period listed beside the bad one is not stored either.
    for (body, code, field) in [
        (
            json!({"periods": [{"kind": "PROFILE_READS", "days": 500}, {"kind": "ELIGIBILITY_DECISIONS", "days": 30}]}),
            "RETENTION_TOO_SHORT",
            vec!["periods", "1", "days"],
        ),
        (
            json!({"periods": [{"kind": "ASSISTED_ACTIONS", "days": 100_000}]}),
            "RETENTION_TOO_LONG",
            vec!["periods", "0", "days"],
        ),
        (
            json!({"periods": [{"kind": "PROFILE_READS", "days": 500}, {"kind": "FINANCIAL_RECORDS", "days": 3000}]}),
            "RETENTION_NOT_ADJUSTABLE",
            vec!["periods", "1", "kind"],
        ),
        (
            json!({"periods": [{"kind": "PROFILE_READS", "days": 500}, {"kind": "PROFILE_READS", "days": 600}]}),
            "INVALID_INPUT",
            vec!["periods", "1", "kind"],
        ),
    ] {
        let err = client.put::<_, Value>(&path, &body, &officer).await.unwrap_err();
        assert_eq!(err.code(), Some(code), "{body}");
        match err {
            roundabout_support::client::ClientError::Refused { body: e, .. } => {
                assert_eq!(e.field, Some(field.iter().map(|s| s.to_string()).collect()), "{body}")
            }
            other => panic!("{other:?}"),
        }
    }
    let unknown = client
        .put::<_, Value>(
            &path,
            &json!({"periods": [{"kind": "EVERYTHING", "days": 400}]}),
            &officer,
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some("INVALID_INPUT"));
    let after: Value = client.get(&path, &officer).await.unwrap();
    assert_eq!(after, set);

    // Anyone reads A's periods (its privacy notice states them); an officer
    // of another council cannot set them.
    let other = officer_of(b);
    let read: Value = client.get(&path, &Caller::anonymous()).await.unwrap();
    assert_eq!(read, set);
    let write = client
        .put::<_, Value>(
            &path,
            &json!({"periods": [{"kind": "ELIGIBILITY_DECISIONS", "days": 365}]}),
            &other,
        )
        .await
        .unwrap_err();
    assert_eq!(write.code(), Some("FORBIDDEN"));
    assert_eq!(client.get::<Value>(&path, &officer).await.unwrap(), set);

    // Back to the default with null; an admin may do it.
    let reset: Value = client
        .put(
            &path,
            &json!({"periods": [{"kind": "ELIGIBILITY_DECISIONS", "days": null}]}),
            &admin_caller(),
        )
        .await
        .unwrap();
    assert_eq!(period(&reset, "ELIGIBILITY_DECISIONS")["overridden"], false);
    assert_eq!(period(&reset, "ELIGIBILITY_DECISIONS")["days"], 730);

    // Every council's own periods: for services only.
    let all: Value = client
        .get("/internal/retention/overrides", &Caller::service("bookings"))
        .await
        .unwrap();
    assert_eq!(
        all,
        json!([{"council_id": a, "kind": "ABANDONED_BOOKINGS", "days": 30}])
    );
    let refused = client
        .get::<Value>("/internal/retention/overrides", &officer)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("FORBIDDEN"));
    let missing = client
        .get::<Value>(
            &format!("/internal/councils/{}/retention", Uuid::new_v4()),
            &admin_caller(),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("NOT_FOUND"));
}

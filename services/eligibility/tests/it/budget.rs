//! The budget API under concurrency, idempotency and expiry, and the
//! database's guard against overlapping published versions; the real
//! service on port 0 against its own fresh database.

use std::time::Duration;

use roundabout_eligibility::{build, Config, MIGRATOR};
use roundabout_support::subsidy::{self, SchemeTerms};
use roundabout_support::{
    client::ServiceClient,
    internal_auth::Caller,
    testing::{self, admin_caller, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

async fn spawn(hold: Duration) -> (Running, sqlx::PgPool) {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let mut config = Config::new(testing::host_config("eligibility", &url));
    config.host.db_max_connections = 20;
    config.budget_hold = hold;
    (Running::spawn(build(config).await.unwrap()), pool)
}

/// A council with an ACTIVE scheme of `budget` pence; returns the scheme id.
async fn published_scheme(client: &ServiceClient, budget: i64) -> String {
    let council = Uuid::new_v4();
    let boundary = json!({"type": "Polygon", "coordinates": [[[-1.6, 51.7], [-1.3, 51.7], [-1.3, 51.9], [-1.6, 51.9], [-1.6, 51.7]]]});
    let _: Value = client
        .post(
            "/internal/councils",
            &json!({"id": council, "name": "A", "code": format!("A{}", &council.simple().to_string()[..6]), "boundary": boundary}),
            &admin_caller(),
        )
        .await
        .unwrap();
    let scheme: Value = client
        .post(
            "/internal/schemes",
            &json!({
                "council_id": council, "name": "EV lease support",
                "criteria": [{"id": "no-car", "label": "No car", "rule": {"==": [{"var": "household.carsOwned"}, 0]}, "fail_text": "You own a car"}],
                "subsidy": {"percent_basis_points": 4000, "cap_per_booking_pence": 12000},
                "applies_to": ["HIRE", "LEASE"], "budget_pence": budget,
            }),
            &admin_caller(),
        )
        .await
        .unwrap();
    let id = scheme["id"].as_str().unwrap().to_string();
    let published: Value = client
        .post(&format!("/internal/schemes/{id}/publish"), &json!({}), &admin_caller())
        .await
        .unwrap();
    assert_eq!(published["status"], "ACTIVE");
    id
}

#[tokio::test]
async fn two_hundred_concurrent_commits_against_a_budget_for_fifty_commit_exactly_fifty() {
    let (svc, pool) = spawn(Duration::from_secs(900)).await;
    let client = svc.client("eligibility");
    let scheme = published_scheme(&client, 50 * 1_000).await;
    let bookings = Caller::service("bookings");
    let attempts = (0..200).map(|_| {
        let client = client.clone();
        let bookings = bookings.clone();
        let scheme = scheme.clone();
        tokio::spawn(async move {
            client
                .post::<_, Value>(
                    "/internal/budget/commit",
                    &json!({"booking_id": Uuid::new_v4(), "scheme_id": scheme, "amount_pence": 1_000}),
                    &bookings,
                )
                .await
        })
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let exhausted = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(e)) if e.code() == Some("BUDGET_EXHAUSTED")))
        .count();
    assert_eq!((ok, exhausted), (50, 150));
    let committed: i64 =
        sqlx::query_scalar("select sum(amount_pence)::bigint from budget_allocations where state = 'COMMITTED'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(committed, 50_000);
    let s: Value = client
        .get(&format!("/internal/schemes/{scheme}"), &admin_caller())
        .await
        .unwrap();
    assert_eq!(
        (s["committed_pence"].as_i64(), s["remaining_pence"].as_i64()),
        (Some(50_000), Some(0))
    );
}

#[tokio::test]
async fn hold_commit_and_release_are_idempotent_by_booking() {
    let (svc, _pool) = spawn(Duration::from_secs(900)).await;
    let client = svc.client("eligibility");
    let scheme = published_scheme(&client, 10_000).await;
    let bookings = Caller::service("bookings");
    let booking = Uuid::new_v4();
    let req = json!({"booking_id": booking, "scheme_id": scheme, "amount_pence": 6_000});
    let held: Value = client.post("/internal/budget/hold", &req, &bookings).await.unwrap();
    assert_eq!(held["state"], "HELD");
    let again: Value = client.post("/internal/budget/hold", &req, &bookings).await.unwrap();
    assert_eq!(again["expires_at"], held["expires_at"]);
    // The hold counts: another booking cannot take more than what is left.
    let other = json!({"booking_id": Uuid::new_v4(), "scheme_id": scheme, "amount_pence": 5_000});
    let err = client
        .post::<_, Value>("/internal/budget/hold", &other, &bookings)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BUDGET_EXHAUSTED"));
    // A different amount under the same booking is a conflict.
    let changed = json!({"booking_id": booking, "scheme_id": scheme, "amount_pence": 1});
    let err = client
        .post::<_, Value>("/internal/budget/commit", &changed, &bookings)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("IDEMPOTENCY_CONFLICT"));
    let committed: Value = client
        .post("/internal/budget/commit", &json!({"booking_id": booking}), &bookings)
        .await
        .unwrap();
    assert_eq!(committed["state"], "COMMITTED");
    let again: Value = client
        .post("/internal/budget/commit", &json!({"booking_id": booking}), &bookings)
        .await
        .unwrap();
    assert_eq!(again["state"], "COMMITTED");
    for _ in 0..2 {
        let released: Value = client
            .post("/internal/budget/release", &json!({"booking_id": booking}), &bookings)
            .await
            .unwrap();
        assert_eq!(released["state"], "RELEASED");
    }
    let nothing: Value = client
        .post(
            "/internal/budget/release",
            &json!({"booking_id": Uuid::new_v4()}),
            &bookings,
        )
        .await
        .unwrap();
    assert!(nothing.is_null());
    // Released money is available again.
    let _: Value = client.post("/internal/budget/commit", &other, &bookings).await.unwrap();
    // Users may not move budgets.
    let err = client
        .post::<_, Value>("/internal/budget/commit", &req, &admin_caller())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_lapsed_hold_stops_counting() {
    let (svc, _pool) = spawn(Duration::from_secs(1)).await;
    let client = svc.client("eligibility");
    let scheme = published_scheme(&client, 10_000).await;
    let bookings = Caller::service("bookings");
    let first = json!({"booking_id": Uuid::new_v4(), "scheme_id": scheme, "amount_pence": 10_000});
    let _: Value = client.post("/internal/budget/hold", &first, &bookings).await.unwrap();
    let second = json!({"booking_id": Uuid::new_v4(), "scheme_id": scheme, "amount_pence": 10_000});
    let err = client
        .post::<_, Value>("/internal/budget/hold", &second, &bookings)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BUDGET_EXHAUSTED"));
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let held: Value = client.post("/internal/budget/hold", &second, &bookings).await.unwrap();
    assert_eq!(held["state"], "HELD");
    // Committing the lapsed first hold now finds no room.
    let err = client
        .post::<_, Value>("/internal/budget/commit", &first, &bookings)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BUDGET_EXHAUSTED"));
}

#[tokio::test]
async fn the_database_refuses_overlapping_published_versions() {
    let (svc, pool) = spawn(Duration::from_secs(900)).await;
    let client = svc.client("eligibility");
    let scheme = published_scheme(&client, 10_000).await;
    let id = Uuid::parse_str(&scheme).unwrap();
    // Bypassing the service: a second published version over the same period.
    let err = sqlx::query(
        "insert into schemes (id, line_id, council_id, version, name, status, percent_basis_points, applies_to,
            budget_pence, effective_from)
         select $2, line_id, council_id, 2, name, 'ACTIVE', 0, applies_to, 0, now() from schemes where id = $1",
    )
    .bind(id)
    .bind(Uuid::new_v4())
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        roundabout_support::error::violated_constraint(&err),
        Some("schemes_no_overlapping_versions")
    );
}

/// Creates and publishes a scheme in `council` without zones.
async fn scheme_in(client: &ServiceClient, council: Uuid, name: &str, bp: i64, cap: i64, kinds: Value) -> String {
    let s: Value = client
        .post(
            "/internal/schemes",
            &json!({
                "council_id": council, "name": name,
                "criteria": [{"id": "no-car", "label": "No car", "rule": {"==": [{"var": "household.carsOwned"}, 0]}, "fail_text": "You own a car"}],
                "subsidy": {"percent_basis_points": bp, "cap_per_booking_pence": cap},
                "applies_to": kinds, "budget_pence": 1_000_000,
            }),
            &admin_caller(),
        )
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    let _: Value = client
        .post(&format!("/internal/schemes/{id}/publish"), &json!({}), &admin_caller())
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_quote_names_the_best_single_eligible_scheme_and_its_amount() {
    let (svc, pool) = spawn(Duration::from_secs(900)).await;
    let client = svc.client("eligibility");
    let council = Uuid::new_v4();
    let boundary = json!({"type": "Polygon", "coordinates": [[[-1.6, 51.7], [-1.3, 51.7], [-1.3, 51.9], [-1.6, 51.9], [-1.6, 51.7]]]});
    let _: Value = client
        .post(
            "/internal/councils",
            &json!({"id": council, "name": "A", "code": "AAA", "boundary": boundary}),
            &admin_caller(),
        )
        .await
        .unwrap();
    let generous = scheme_in(
        &client,
        council,
        "Generous, capped",
        4_000,
        12_000,
        json!(["HIRE", "LEASE"]),
    )
    .await;
    let small = scheme_in(&client, council, "Half, small cap", 5_000, 5_000, json!(["HIRE"])).await;
    // Two households: one without a car (eligible), one with.
    let mut ids = Vec::new();
    for cars in [0, 1] {
        let id = Uuid::new_v4();
        let _: Value = client
            .put(
                &format!("/internal/households/{id}"),
                &json!({"council_id": council}),
                &Caller::service("gateway"),
            )
            .await
            .unwrap();
        let mut me = Caller::user(Uuid::new_v4(), "h@example.org");
        me.household = Some(roundabout_support::internal_auth::HouseholdMembership {
            household_id: id,
            council_id: council,
        });
        let _: Value = client
            .put(
                &format!("/internal/households/{id}/profile"),
                &json!({"lat": 51.78, "lon": -1.48, "members": 2, "cars_owned": cars, "blue_badge": false,
                        "needs": {"seats": 4, "wheelchair_accessible": false, "electric_preferred": true}}),
                &me,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let bookings = Caller::service("bookings");
    let q: Value = client
        .post(
            "/internal/subsidy/quote",
            &json!({"household_id": ids[0], "kind": "HIRE", "base_prices": [50_000, 8_000]}),
            &bookings,
        )
        .await
        .unwrap();
    // £500: 40% capped at £120 beats 50% capped at £50; £80: 50% (£40) beats 40% (£32).
    assert_eq!(q["quotes"][0]["subsidy"]["scheme_id"], generous);
    assert_eq!(q["quotes"][0]["subsidy"]["amount_pence"], 12_000);
    assert_eq!(q["quotes"][1]["subsidy"]["scheme_id"], small);
    assert_eq!(q["quotes"][1]["subsidy"]["amount_pence"], 4_000);
    // A 12-month lease of £400 a month: the cap applies per month, the whole term counts.
    let q: Value = client
        .post(
            "/internal/subsidy/quote",
            &json!({"household_id": ids[0], "kind": "LEASE", "lease_months": 12, "base_prices": [480_000]}),
            &bookings,
        )
        .await
        .unwrap();
    let sub = &q["quotes"][0]["subsidy"];
    assert_eq!(
        (
            sub["scheme_id"].as_str(),
            sub["amount_pence"].as_i64(),
            sub["per_month_pence"].as_i64()
        ),
        (Some(generous.as_str()), Some(144_000), Some(12_000))
    );
    // Not eligible: no subsidy.
    let q: Value = client
        .post(
            "/internal/subsidy/quote",
            &json!({"household_id": ids[1], "kind": "HIRE", "base_prices": [50_000]}),
            &bookings,
        )
        .await
        .unwrap();
    assert!(q["quotes"][0]["subsidy"].is_null());
    let err = client
        .post::<_, Value>(
            "/internal/subsidy/quote",
            &json!({"household_id": ids[0], "kind": "LEASE", "base_prices": [1]}),
            &bookings,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    let decisions: i64 = sqlx::query_scalar("select count(*) from eligibility_decisions where purpose = 'quote'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(decisions, 2 + 1 + 2);

    // Offer terms: the same answer for every price of a search in one call,
    // for the household itself, without writing decisions.
    let household = |id: Uuid| {
        let mut me = Caller::user(Uuid::new_v4(), "h@example.org");
        me.household = Some(roundabout_support::internal_auth::HouseholdMembership {
            household_id: id,
            council_id: council,
        });
        me
    };
    let written = || async {
        let n: i64 = sqlx::query_scalar(
            "select (select count(*) from eligibility_decisions) + (select count(*) from profile_reads)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n
    };
    let before = written().await;
    let terms_of = |id: Uuid, kind: &str| format!("/internal/households/{id}/offer-terms?kind={kind}");
    let hire: Value = client.get(&terms_of(ids[0], "HIRE"), &household(ids[0])).await.unwrap();
    assert_eq!(
        hire["profile"],
        json!({"lat": 51.78, "lon": -1.48, "needs_seats": 4, "needs_wheelchair_accessible": false,
               "needs_electric_preferred": true})
    );
    let terms: Vec<SchemeTerms> = serde_json::from_value(hire["schemes"].clone()).unwrap();
    let names: Vec<&str> = terms.iter().map(|t| t.scheme_name.as_str()).collect();
    assert_eq!(names, ["Generous, capped", "Half, small cap"]);
    for (base, scheme, amount) in [(50_000, &generous, 12_000), (8_000, &small, 4_000)] {
        let (a, t) = subsidy::best(&terms, roundabout_api::Pence(base), None).unwrap();
        assert_eq!(
            (a, t.scheme_id.to_string()),
            (roundabout_api::Pence(amount), scheme.to_string()),
            "{base}"
        );
    }
    let lease: Value = client
        .get(&terms_of(ids[0], "LEASE"), &household(ids[0]))
        .await
        .unwrap();
    assert_eq!(lease["schemes"].as_array().unwrap().len(), 1, "{lease}");
    assert_eq!(lease["schemes"][0]["scheme_id"], generous);
    let car_owner: Value = client.get(&terms_of(ids[1], "HIRE"), &household(ids[1])).await.unwrap();
    assert_eq!(car_owner["schemes"], json!([]));
    assert_eq!(car_owner["profile"]["needs_seats"], 4);
    // Another household's terms do not exist for this one; nor a bad kind.
    let err = client
        .get::<Value>(&terms_of(ids[1], "HIRE"), &household(ids[0]))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = client
        .get::<Value>(&terms_of(ids[0], "BIKE"), &household(ids[0]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    assert_eq!(
        written().await,
        before,
        "offer terms write no decisions and no audited reads"
    );
}

/// Each line's running committed total against the sum of its committed
/// allocations.
async fn totals(pool: &sqlx::PgPool) -> Vec<(Uuid, i64, i64)> {
    sqlx::query_as(
        "select l.id, l.committed_pence,
                coalesce((select sum(a.amount_pence) from budget_allocations a
                          where a.line_id = l.id and a.state = 'COMMITTED'), 0)::bigint
         from scheme_lines l order by l.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_line_s_running_committed_total_follows_every_change_of_its_allocations() {
    let (svc, pool) = spawn(Duration::from_secs(900)).await;
    let client = svc.client("eligibility");
    let (a, b) = (
        published_scheme(&client, 1_000_000).await,
        published_scheme(&client, 1_000_000).await,
    );
    let bookings = Caller::service("bookings");
    let same = |t: &[(Uuid, i64, i64)]| t.iter().all(|(_, kept, summed)| kept == summed);

    // Through the API: holds, commits, releases, a commit sent twice, and
    // a release of a commitment (a cancellation).
    let mut committed = 0;
    for i in 0..24_i64 {
        let scheme = if i % 3 == 0 { &b } else { &a };
        let body = json!({"booking_id": Uuid::new_v4(), "scheme_id": scheme, "amount_pence": 100 + i});
        let _: Value = client.post("/internal/budget/hold", &body, &bookings).await.unwrap();
        match i % 4 {
            0 => {
                let _: Value = client.post("/internal/budget/release", &body, &bookings).await.unwrap();
            }
            1 | 2 => {
                let _: Value = client.post("/internal/budget/commit", &body, &bookings).await.unwrap();
                let _: Value = client.post("/internal/budget/commit", &body, &bookings).await.unwrap();
                committed += 100 + i;
            }
            _ => {
                let _: Value = client.post("/internal/budget/commit", &body, &bookings).await.unwrap();
                let _: Value = client.post("/internal/budget/release", &body, &bookings).await.unwrap();
            }
        }
        let t = totals(&pool).await;
        assert!(same(&t), "after step {i}: {t:?}");
    }
    let t = totals(&pool).await;
    assert_eq!(t.iter().map(|r| r.1).sum::<i64>(), committed, "{t:?}");
    let shown: Value = client
        .get(&format!("/internal/schemes/{a}"), &admin_caller())
        .await
        .unwrap();
    let line_a: Uuid = sqlx::query_scalar("select line_id from schemes where id = $1::text::uuid")
        .bind(&a)
        .fetch_one(&pool)
        .await
        .unwrap();
    let kept = t.iter().find(|r| r.0 == line_a).unwrap().1;
    assert_eq!(
        shown["committed_pence"],
        json!(kept),
        "the scheme shows the running total: {shown}"
    );

    // Straight in the table: an allocation moved to another line with
    // another amount, one whose household is erased, and one deleted.
    let line_b: Uuid = sqlx::query_scalar("select line_id from schemes where id = $1::text::uuid")
        .bind(&b)
        .fetch_one(&pool)
        .await
        .unwrap();
    let moved: Uuid = sqlx::query_scalar(
        "select booking_id from budget_allocations where state = 'COMMITTED' and line_id = $1 limit 1",
    )
    .bind(line_a)
    .fetch_one(&pool)
    .await
    .unwrap();
    for sql in [
        "update budget_allocations set line_id = $2, scheme_id = (select id from schemes where line_id = $2), amount_pence = 5000 where booking_id = $1",
        "update budget_allocations set household_id = null where line_id = $2",
        "delete from budget_allocations where booking_id = $1",
    ] {
        sqlx::query(sql).bind(moved).bind(line_b).execute(&pool).await.unwrap();
        let t = totals(&pool).await;
        assert!(same(&t), "after {sql}: {t:?}");
    }
}

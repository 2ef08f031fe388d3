//! Hostile input thrown at bookings: first at its rules as properties
//! (periods, prices, refunds, the household limits), then at the running
//! service's write endpoints (each body made invalid on purpose, so it is
//! refused before any other service is called), asserting no panic, no
//! 5xx, a typed refusal, nothing written and the service still answering.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (and scales
//! the HTTP bodies: a tenth of it per endpoint, at least 100).

use crate::fuzzing::*;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use roundabout_api::Pence;
use roundabout_bookings::{
    build,
    domain::{self, HouseholdLoad, Limits, PeriodIn, Prices},
    Config, MIGRATOR,
};
use roundabout_support::{
    client::ClientError,
    internal_auth::{Caller, HouseholdMembership},
    testing::{self, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

/// Any instant chrono can hold, weighted towards the years around now.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        3 => (-400i64 * 86_400..800 * 86_400).prop_map(|s| Utc::now() + Duration::seconds(s)),
        1 => (-8_000_000_000_000i64..8_000_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
        1 => Just(DateTime::<Utc>::MAX_UTC),
        1 => Just(DateTime::<Utc>::MIN_UTC),
    ]
}

fn period() -> impl Strategy<Value = PeriodIn> {
    (
        prop_oneof![Just("HIRE".to_string()), Just("LEASE".to_string()), hostile_string()],
        instant(),
        prop::option::of(instant()),
        prop::option::of(any::<i32>()),
    )
        .prop_map(|(kind, start, end, lease_months)| PeriodIn {
            kind,
            start,
            end,
            lease_months,
        })
}

fn limits() -> impl Strategy<Value = Limits> {
    (1i64..=3_650, 1i64..=365, 1i64..=10, 1i64..=5).prop_map(|(lead, hire, unpaid, overlap)| Limits {
        max_lead_days: lead,
        max_hire_days: hire,
        max_unpaid: unpaid,
        max_overlapping_hires: overlap,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4_000), ..ProptestConfig::default() })]

    #[test]
    fn periods_are_within_the_bounds_or_refused(p in period(), l in limits()) {
        let now = Utc::now();
        match domain::check_period(&p, now, &l) {
            Ok(period) => {
                prop_assert!(period.start > now && period.end > period.start);
                prop_assert!(period.start - now <= Duration::days(l.max_lead_days));
                if period.lease_months.is_none() {
                    prop_assert!(period.end - period.start <= Duration::days(l.max_hire_days));
                }
            }
            Err(e) => prop_assert!(
                ["INVALID_INPUT", "LEAD_TIME_TOO_LONG", "HIRE_TOO_LONG"].contains(&e.code().as_str()),
                "{}", e.code()
            ),
        }
    }

    #[test]
    fn prices_never_overflow(p in period(), hour in any::<Option<i64>>(), day in any::<Option<i64>>(), month in any::<Option<i64>>()) {
        let prices = Prices {
            per_hour_pence: hour.map(roundabout_api::Pence),
            per_day_pence: day.map(roundabout_api::Pence),
            per_month_lease_pence: month.map(roundabout_api::Pence),
        };
        let now = Utc::now();
        if let Ok(period) = domain::check_period(&p, now, &Limits::unbounded()) {
            if let Some((whole, first)) = domain::price(&prices, &period) {
                if period.lease_months.is_none() {
                    prop_assert_eq!(whole, first);
                }
            }
        }
    }

    #[test]
    fn refunds_are_between_nothing_and_what_was_paid(paid in 0i64..i64::MAX, start in instant(), at in instant()) {
        let r = domain::refund_due(Pence(paid), start, at).get();
        prop_assert!((0..=paid).contains(&r));
        let _ = Pence(paid).to_string();
        let _ = Pence(-paid).to_string();
    }

    #[test]
    fn a_household_over_a_limit_is_refused(unpaid in 0i64..20, overlapping_hires in 0i64..20, hire in any::<bool>(), l in limits()) {
        let r = l.check_household(HouseholdLoad { unpaid, overlapping_hires }, hire);
        let over = unpaid >= l.max_unpaid || (hire && overlapping_hires >= l.max_overlapping_hires);
        prop_assert_eq!(r.is_err(), over);
    }
}

// ---------------------------------------------------------------------
// The running service (its neighbours unreachable: every body below is
// refused before it would call them).

const TABLES: &[&str] = &["bookings", "payment_events", "outbox"];

/// A string that holds a character refused on every line of text, even in
/// text of several lines (not a line break or tab).
fn never_text() -> impl Strategy<Value = String> {
    (
        hostile_string(),
        prop::sample::select(vec!['\0', '\u{202E}', '\u{2066}', '\u{7f}', '\u{2028}', '\u{85}']),
        hostile_string(),
    )
        .prop_map(|(a, c, b)| format!("x{a}{c}{b}x"))
}

#[tokio::test]
async fn hostile_bodies_at_every_write_endpoint_are_refused_and_change_nothing() {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let nowhere = "http://127.0.0.1:9".to_string();
    let svc = Running::spawn(
        build(Config::new(
            testing::host_config("bookings", &url),
            nowhere.clone(),
            nowhere.clone(),
            nowhere,
        ))
        .await
        .unwrap(),
    );
    let household = Uuid::new_v4();
    let council = Uuid::new_v4();
    let mut own = Caller::user(Uuid::new_v4(), "h@example.org");
    own.household = Some(HouseholdMembership {
        household_id: household,
        council_id: council,
    });
    // A confirmed booking to try to cancel.
    let booking = Uuid::new_v4();
    sqlx::query(
        "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, period, status, step,
             base_pence, subsidy_pence, first_base_pence, first_subsidy_pence, idempotency_key, request_digest)
         values ($1, $2, $3, $4, $5, 'HIRE', tstzrange(now() + interval '3 days', now() + interval '3 days 2 hours', '[)'),
             'CONFIRMED', 'DONE', 2600, 1040, 2600, 1040, 'seed', 'seed')",
    )
    .bind(booking)
    .bind(household)
    .bind(council)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .execute(&pool)
    .await
    .unwrap();
    let s = Target {
        url: svc.url.clone(),
        audience: "bookings",
        client: svc.client("bookings"),
        pool,
        tables: TABLES,
    };
    let before = s.counts().await;
    let n = bodies();
    let post = reqwest::Method::POST;
    let start = Utc::now() + Duration::days(2);
    let book = json!({"household_id": household, "vehicle_id": Uuid::new_v4(), "kind": "HIRE", "start": start,
        "end": start + Duration::hours(2), "payment_method": "pm_card_visa", "idempotency_key": "k"});
    let offers = json!({"household_id": household, "kind": "HIRE", "start": start, "end": start + Duration::hours(2),
        "near": {"lat": 51.78, "lon": -1.48}, "first": 10});
    let targets: Vec<(&str, Value, Vec<&'static str>)> = vec![
        (
            "/internal/bookings",
            book.clone(),
            vec![
                "household_id",
                "vehicle_id",
                "kind",
                "start",
                "end",
                "payment_method?",
                "idempotency_key",
                "lease_months?",
            ],
        ),
        (
            "/internal/offers",
            offers,
            vec![
                "household_id",
                "kind",
                "start",
                "end",
                "near?",
                "first?",
                "lease_months?",
            ],
        ),
    ];
    let mut sent = 0;
    for (path, base, fields) in &targets {
        for body in bad_bodies(base, fields, n) {
            s.refused(post.clone(), path, &body, &own).await;
            sent += 1;
        }
        for body in generate(any_body(), n) {
            s.refused(post.clone(), path, &body, &own).await;
            sent += 1;
        }
    }
    // Periods outside the bounds: in the past, too far ahead, too long, reversed, at the ends of time.
    let periods = generate((instant(), instant(), any::<i32>()), n);
    for (a, b, months) in periods {
        let now = Utc::now();
        let hire = domain::check_period(
            &PeriodIn {
                kind: "HIRE".into(),
                start: a,
                end: Some(b),
                lease_months: None,
            },
            now,
            &Limits::default(),
        );
        if hire.is_err() {
            let mut body = book.clone();
            body["start"] = json!(a);
            body["end"] = json!(b);
            s.refused(post.clone(), "/internal/bookings", &body, &own).await;
            sent += 1;
        }
        let lease = PeriodIn {
            kind: "LEASE".into(),
            start: a,
            end: None,
            lease_months: Some(months),
        };
        if domain::check_period(&lease, now, &Limits::default()).is_err() {
            let mut body = book.clone();
            body["kind"] = json!("LEASE");
            body["start"] = json!(a);
            body.as_object_mut().unwrap().remove("end");
            body["lease_months"] = json!(months);
            s.refused(post.clone(), "/internal/bookings", &body, &own).await;
            sent += 1;
        }
    }
    // Cancellation reasons that cannot be text.
    for reason in generate(prop_oneof![never_text(), "[a-z]{501,600}"], n) {
        s.refused(
            post.clone(),
            &format!("/internal/bookings/{booking}/cancel"),
            &json!({"reason": reason}),
            &own,
        )
        .await;
        sent += 1;
    }
    // Payment events the database cannot store: the safety net answers 400.
    for (status, key) in generate((never_text().prop_map(|t| format!("{t}\0")), "[a-z0-9]{8}"), n) {
        let body = json!({"booking_id": booking, "status": status, "failure_code": null});
        match s
            .client
            .send::<_, Value>(
                post.clone(),
                "/internal/payment-events",
                Some(&body),
                &Caller::service("payments"),
                Some(&key),
            )
            .await
        {
            Err(ClientError::Refused { status, body, .. }) => {
                assert_eq!(status.as_u16(), 400);
                assert_eq!(body.code, "INVALID_INPUT");
            }
            other => panic!("{other:?}"),
        }
        sent += 1;
    }
    // Reports over random periods and junk parameters.
    let officer = Caller {
        officer_of: vec![council],
        ..Caller::user(Uuid::new_v4(), "officer@example.org")
    };
    for (a, b, junk) in generate((instant(), instant(), hostile_string()), n) {
        let q = |t: DateTime<Utc>| path_segment(&t.to_rfc3339());
        s.answered(
            &format!("/internal/councils/{council}/report?from={}&to={}", q(a), q(b)),
            &officer,
        )
        .await;
        s.answered(
            &format!("/internal/councils/{council}/report?from={}&to=x", path_segment(&junk)),
            &officer,
        )
        .await;
        sent += 2;
    }
    for bytes in Target::raw_bodies() {
        s.raw(post.clone(), "/internal/bookings", bytes.clone(), &own).await;
        s.raw(post.clone(), "/internal/offers", bytes, &own).await;
        sent += 2;
    }
    s.alive().await;
    assert_eq!(
        s.counts().await,
        before,
        "nothing was written by {sent} refused requests"
    );
    let (status, cancelled): (String, Option<DateTime<Utc>>) =
        sqlx::query_as("select status, cancelled_at from bookings where id = $1")
            .bind(booking)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), cancelled), ("CONFIRMED", None));
}

//! `councilReport` through the gateway against the real services: totals
//! that add up (price = subsidy + households' share) with cancelled bookings
//! apart; bookings and subsidy by the zone the household lived in when it
//! booked, the period day by day (week, month) against the schemes'
//! budgets, counts from 1 to 9 withheld, and who may read it.

use crate::support::bookings::*;
use crate::support::eligibility::{ok, profile, UPDATE_PROFILE};
use chrono::{Duration, Utc};
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

const REPORT: &str = "query($c: ID!, $f: DateTime!, $t: DateTime!) { councilReport(councilId: $c, from: $f, to: $t) { \
    bookings households subsidyPence byScheme { scheme { name } bookings subsidyPence } \
    byZone { zone { name } bookings households subsidyPence } \
    spendOverTime { interval budgetPence spentBeforePence points { start bookings subsidyPence spentToDatePence } } } }";

/// `n` two-hour hires by `h`, from `days` days ahead, each £13 (40 % from the scheme when eligible).
async fn book_hires(w: &World, h: &GraphqlClient, n: usize, days: i64, key: &str) {
    for i in 0..n {
        let start = in_days(days) + Duration::hours(3 * (i / 3) as i64);
        let b = book(h, hire(&w.vehicles[i % 3], start, 2, &format!("{key}-{i}"))).await;
        assert_eq!(b["userErrors"], json!([]), "{b}");
        assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
    }
}

const TOTALS: &str = "query($c: ID!, $f: DateTime!, $t: DateTime!) { councilReport(councilId: $c, from: $f, to: $t) { \
    bookings households grossPence subsidyPence householdPaidPence refundedPence cancelledBookings cancellationChargesPence \
    byScheme { bookings subsidyPence } byZone { bookings subsidyPence } spendOverTime { points { spentToDatePence } } } }";

/// Books and expects it confirmed; answers the booking.
async fn confirmed(h: &GraphqlClient, input: Value) -> Value {
    let b = book(h, input).await;
    assert_eq!(b["userErrors"], json!([]), "{b}");
    assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
    b["booking"].clone()
}

/// Cancels and answers the refund.
async fn cancel(h: &GraphqlClient, booking: &Value) -> i64 {
    let c = h
        .mutate("cancelBooking", &cancel_mutation(), json!({"id": booking["id"]}))
        .await
        .unwrap();
    assert_eq!(c["userErrors"], json!([]), "{c}");
    assert_eq!(c["booking"]["status"], "CANCELLED", "{c}");
    c["booking"]["cancellation"]["refundPence"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn report_totals_add_up_and_cancelled_bookings_are_counted_apart() {
    let w = World::unbounded(20_000_000).await;
    let began = Utc::now() - Duration::minutes(1);
    let (h, _) = w.household("reconcile@example.test").await;
    let lease = |v: &str, days: i64, months: i32, key: &str| json!({"vehicleId": v, "kind": "LEASE", "start": in_days(days), "leaseMonths": months, "idempotencyKey": key});
    // Standing: four two-hour hires (£13, £5.20 subsidy) and a three-month
    // lease (£900, £360 subsidy, the household paying £180 a month).
    let mut standing = Vec::new();
    for i in 0..4 {
        standing.push(
            confirmed(
                &h,
                hire(
                    &w.vehicles[i % 2],
                    in_days(2) + Duration::hours(3 * i as i64),
                    2,
                    &format!("s{i}"),
                ),
            )
            .await,
        );
    }
    standing.push(confirmed(&h, lease(&w.vehicles[2], 30, 3, "lease")).await);
    // Cancelled: two hires days ahead and a lease (all paid back), and a
    // hire hours ahead (half of the £7.80 paid back, half kept).
    let mut refunds = Vec::new();
    for (i, input) in [
        hire(&w.vehicles[0], in_days(5), 2, "c0"),
        hire(&w.vehicles[1], in_days(6), 2, "c1"),
        lease(&w.vehicles[1], 60, 2, "c2"),
        hire(&w.vehicles[0], Utc::now() + Duration::hours(3), 2, "c3"),
    ]
    .into_iter()
    .enumerate()
    {
        let b = confirmed(&h, input).await;
        refunds.push((i, cancel(&h, &b).await));
    }
    assert_eq!(refunds, vec![(0, 780), (1, 780), (2, 18000), (3, 390)]);

    let r = w
        .officer
        .query(
            TOTALS,
            json!({"c": w.council, "f": began, "t": Utc::now() + Duration::minutes(1)}),
        )
        .await
        .unwrap()["councilReport"]
        .clone();
    // The totals are the standing bookings' own prices, summed.
    let sum = |field: &str| {
        standing
            .iter()
            .map(|b| b["price"][field].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(
        (sum("basePence"), sum("subsidyPence"), sum("householdPence")),
        (4 * 1300 + 90000, 4 * 520 + 36000, 4 * 780 + 54000)
    );
    assert_eq!(r["bookings"], 5, "{r}");
    assert_eq!(r["households"], 1);
    assert_eq!(r["grossPence"], sum("basePence"), "{r}");
    assert_eq!(r["subsidyPence"], sum("subsidyPence"), "{r}");
    assert_eq!(r["householdPaidPence"], sum("householdPence"), "{r}");
    // The identity the Money card shows.
    assert_eq!(
        r["grossPence"].as_i64().unwrap(),
        r["subsidyPence"].as_i64().unwrap() + r["householdPaidPence"].as_i64().unwrap()
    );
    // Cancelled bookings apart: what was refunded and what was kept.
    assert_eq!(r["cancelledBookings"], 4);
    assert_eq!(r["refundedPence"], 780 + 780 + 18000 + 390);
    assert_eq!(r["cancellationChargesPence"], 390);
    // Breakdowns count the same bookings as the totals.
    assert_eq!(r["byScheme"], json!([{"bookings": 5, "subsidyPence": 38080}]));
    assert_eq!(r["byZone"], json!([{"bookings": null, "subsidyPence": 38080}]));
    let points = r["spendOverTime"]["points"].as_array().unwrap();
    assert_eq!(points.last().unwrap()["spentToDatePence"], 38080);
}

async fn report(c: &GraphqlClient, council: &str, from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>) -> Value {
    c.query(REPORT, json!({"c": council, "f": from, "t": to}))
        .await
        .unwrap()["councilReport"]
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_break_down_by_zone_and_over_time_and_withhold_small_counts() {
    // One household books twelve hires, three at a time: beyond its limits.
    let w = World::unbounded(20_000_000).await;
    let began = Utc::now() - Duration::minutes(1);
    // Twelve bookings of a household in Witney (£5.20 subsidy each) …
    let (a, _) = w.household("report-a@example.test").await;
    book_hires(&w, &a, 12, 2, "a").await;
    // … and one of a household outside every zone (no scheme applies there).
    let (b, _) = w.household("report-b@example.test").await;
    ok(
        &b,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(-1.40, 51.85, 1_500_000, 0)}),
    )
    .await;
    book_hires(&w, &b, 1, 6, "b").await;
    let now = Utc::now() + Duration::minutes(1);

    let r = report(&w.officer, &w.council, began, now).await;
    assert_eq!(r["bookings"], 13, "{r}");
    assert_eq!(r["households"], 2);
    assert_eq!(r["subsidyPence"], 12 * 520);
    assert_eq!(
        r["byScheme"],
        json!([{"scheme": {"name": "EV lease support"}, "bookings": 12, "subsidyPence": 6240}])
    );
    // By zone: Witney's 12 bookings are shown, its single household is not;
    // the booking outside every zone is withheld too.
    assert_eq!(
        r["byZone"],
        json!([
            {"zone": {"name": "Witney"}, "bookings": 12, "households": null, "subsidyPence": 6240},
            {"zone": null, "bookings": null, "households": null, "subsidyPence": 0},
        ])
    );
    // Over time: days (UK), the budget, everything committed by the end.
    let t = &r["spendOverTime"];
    assert_eq!(t["interval"], "DAY");
    assert_eq!(t["budgetPence"], 20_000_000);
    assert_eq!(t["spentBeforePence"], 0);
    let points = t["points"].as_array().unwrap();
    assert!((1..=2).contains(&points.len()), "{t}");
    let last = points.last().unwrap();
    assert_eq!(last["spentToDatePence"], 6240);
    let booked: Vec<&Value> = points.iter().filter(|p| p["subsidyPence"] != 0).collect();
    assert_eq!(booked.len(), 1, "every booking was made today: {t}");
    assert_eq!(booked[0]["bookings"], 13);
    assert_eq!(
        booked[0]["start"],
        roundabout_web::views::to_uk(Utc::now()).date().to_string()
    );

    // A later period: nothing in it, everything committed before it.
    let later = report(&w.officer, &w.council, now, now + Duration::days(3)).await;
    assert_eq!(later["bookings"], 0);
    assert_eq!(later["byZone"], json!([]));
    let t = &later["spendOverTime"];
    assert_eq!(t["spentBeforePence"], 6240);
    let points = t["points"].as_array().unwrap();
    assert!((3..=4).contains(&points.len()), "{t}");
    assert!(
        points
            .iter()
            .all(|p| p["bookings"] == 0 && p["spentToDatePence"] == 6240),
        "{t}"
    );

    // Longer periods come in weeks, then months; more than ten years is refused.
    let weeks = report(&w.officer, &w.council, now - Duration::days(200), now).await;
    assert_eq!(weeks["spendOverTime"]["interval"], "WEEK");
    let n = weeks["spendOverTime"]["points"].as_array().unwrap().len();
    assert!((29..=30).contains(&n), "{n} weeks");
    let months = report(&w.officer, &w.council, now - Duration::days(1000), now).await;
    assert_eq!(months["spendOverTime"]["interval"], "MONTH");
    let too_long = w
        .officer
        .raw(
            REPORT,
            json!({"c": w.council, "f": now - Duration::days(4000), "t": now}),
        )
        .await
        .unwrap();
    assert_eq!(
        too_long["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{too_long}"
    );

    // Only the council's officers (and admins) read it.
    let admin = report(&w.stack.admin, &w.council, began, now).await;
    assert_eq!(admin["bookings"], 13);
    for who in [&a, &w.provider, &w.stack.council("OTH", "officer@oth.test").await.1] {
        let denied = who
            .raw(REPORT, json!({"c": w.council, "f": began, "t": now}))
            .await
            .unwrap();
        assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN", "{denied}");
    }
}

//! `councilReport` through the gateway against the real services: totals
//! that add up (price = subsidy + households' share) with cancelled bookings
//! apart; bookings and subsidy by the zone the household lived in when it
//! booked, the period day by day (week, month) against the schemes'
//! budgets, counts from 1 to 9 withheld, and who may read it.

use crate::support::bookings::{in_days, World};
use crate::support::gql::bookings::{book, book_vehicle, cancel, cancel_booking, hire};
use crate::support::gql::households::{profile, update_household_profile, UpdateHouseholdProfile};
use crate::support::gql::reports::{report_breakdown, report_totals, ReportBreakdown, ReportTotals};
use crate::support::gql::{first_error_code, Payload, Typed};
use chrono::{DateTime, Duration, Utc};
use roundabout::graphql_client::GraphqlClient;

/// `n` two-hour hires by `h`, from `days` days ahead, each £13 (40 % from the scheme when eligible).
async fn book_hires(w: &World, h: &GraphqlClient, n: usize, days: i64, key: &str) {
    for i in 0..n {
        let start = in_days(days) + Duration::hours(3 * (i / 3) as i64);
        let b = book(h, hire(&w.vehicles[i % 3], start, 2, &format!("{key}-{i}"))).await;
        b.assert_ok();
        assert_eq!(
            b.booking.as_ref().map(|b| &b.status),
            Some(&book_vehicle::BookingStatus::Confirmed),
            "{b:?}"
        );
    }
}

/// Books and expects it confirmed; answers the booking.
async fn confirmed(h: &GraphqlClient, input: book_vehicle::BookVehicleInput) -> book_vehicle::BookingFields {
    let b = book(h, input).await;
    b.assert_ok();
    let booking = b.booking.clone().unwrap_or_else(|| panic!("{b:?}"));
    assert_eq!(booking.status, book_vehicle::BookingStatus::Confirmed, "{b:?}");
    booking
}

/// Cancels and answers the refund.
async fn cancel_for_refund(h: &GraphqlClient, booking: &book_vehicle::BookingFields) -> i64 {
    let c = cancel(h, &booking.id, None).await;
    c.assert_ok();
    let b = c.booking.as_ref().unwrap_or_else(|| panic!("{c:?}"));
    assert_eq!(b.status, cancel_booking::BookingStatus::Cancelled, "{c:?}");
    b.cancellation.as_ref().unwrap().refund_pence
}

#[tokio::test(flavor = "multi_thread")]
async fn report_totals_add_up_and_cancelled_bookings_are_counted_apart() {
    let w = World::unbounded(20_000_000).await;
    let began = Utc::now() - Duration::minutes(1);
    let (h, _) = w.household("reconcile@example.test").await;
    let lease = |v: &str, days: i64, months: i64, key: &str| book_vehicle::BookVehicleInput {
        vehicle_id: v.into(),
        kind: book_vehicle::BookingKind::Lease,
        start: in_days(days),
        end: None,
        lease_months: Some(months),
        payment_method: None,
        idempotency_key: key.into(),
        household_id: None,
    };
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
        refunds.push((i, cancel_for_refund(&h, &b).await));
    }
    assert_eq!(refunds, vec![(0, 780), (1, 780), (2, 18000), (3, 390)]);

    let r = w
        .officer
        .data::<ReportTotals>(report_totals::Variables {
            council_id: w.council.clone(),
            from: began,
            to: Utc::now() + Duration::minutes(1),
        })
        .await
        .council_report;
    // The totals are the standing bookings' own prices, summed.
    let sum =
        |field: fn(&book_vehicle::BookingFieldsPrice) -> i64| standing.iter().map(|b| field(&b.price)).sum::<i64>();
    let (base, subsidy, household) = (
        sum(|p| p.base_pence),
        sum(|p| p.subsidy_pence),
        sum(|p| p.household_pence),
    );
    assert_eq!(
        (base, subsidy, household),
        (4 * 1300 + 90000, 4 * 520 + 36000, 4 * 780 + 54000)
    );
    assert_eq!(r.bookings, 5, "{r:?}");
    assert_eq!(r.households, 1);
    assert_eq!(r.gross_pence, base, "{r:?}");
    assert_eq!(r.subsidy_pence, subsidy, "{r:?}");
    assert_eq!(r.household_paid_pence, household, "{r:?}");
    // The identity the Money card shows.
    assert_eq!(r.gross_pence, r.subsidy_pence + r.household_paid_pence);
    // Cancelled bookings apart: what was refunded and what was kept.
    assert_eq!(r.cancelled_bookings, 4);
    assert_eq!(r.refunded_pence, 780 + 780 + 18000 + 390);
    assert_eq!(r.cancellation_charges_pence, 390);
    // Breakdowns count the same bookings as the totals.
    assert_eq!(
        r.by_scheme,
        vec![report_totals::ReportTotalsCouncilReportByScheme {
            bookings: 5,
            subsidy_pence: 38080
        }]
    );
    assert_eq!(
        r.by_zone,
        vec![report_totals::ReportTotalsCouncilReportByZone {
            bookings: None,
            subsidy_pence: 38080
        }]
    );
    let points = &r.spend_over_time.points;
    assert_eq!(points.last().unwrap().spent_to_date_pence, 38080);
}

async fn run_report(
    c: &GraphqlClient,
    council: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<report_breakdown::ReportBreakdownCouncilReport, Vec<crate::support::gql::GraphqlError>> {
    c.run::<ReportBreakdown>(report_breakdown::Variables {
        council_id: council.into(),
        from,
        to,
    })
    .await
    .map(|d| d.council_report)
}

async fn report(
    c: &GraphqlClient,
    council: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> report_breakdown::ReportBreakdownCouncilReport {
    run_report(c, council, from, to)
        .await
        .unwrap_or_else(|e| panic!("GraphQL errors: {e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_break_down_by_zone_and_over_time_and_withhold_small_counts() {
    use report_breakdown::{
        ReportBreakdownCouncilReportByScheme as ByScheme, ReportBreakdownCouncilReportBySchemeScheme as SchemeName,
        ReportBreakdownCouncilReportByZone as ByZone, ReportBreakdownCouncilReportByZoneZone as ZoneName,
        ReportInterval,
    };
    // One household books twelve hires, three at a time: beyond its limits.
    let w = World::unbounded(20_000_000).await;
    let began = Utc::now() - Duration::minutes(1);
    // Twelve bookings of a household in Witney (£5.20 subsidy each) …
    let (a, _) = w.household("report-a@example.test").await;
    book_hires(&w, &a, 12, 2, "a").await;
    // … and one of a household outside every zone (no scheme applies there).
    let (b, _) = w.household("report-b@example.test").await;
    b.data::<UpdateHouseholdProfile>(update_household_profile::Variables {
        input: profile(-1.40, 51.85, 1_500_000, 0),
    })
    .await
    .update_household_profile
    .assert_ok();
    book_hires(&w, &b, 1, 6, "b").await;
    let now = Utc::now() + Duration::minutes(1);

    let r = report(&w.officer, &w.council, began, now).await;
    assert_eq!(r.bookings, 13, "{r:?}");
    assert_eq!(r.households, 2);
    assert_eq!(r.subsidy_pence, 12 * 520);
    assert_eq!(
        r.by_scheme,
        vec![ByScheme {
            scheme: SchemeName {
                name: "EV lease support".into()
            },
            bookings: 12,
            subsidy_pence: 6240
        }]
    );
    // By zone: Witney's 12 bookings are shown, its single household is not;
    // the booking outside every zone is withheld too.
    assert_eq!(
        r.by_zone,
        vec![
            ByZone {
                zone: Some(ZoneName { name: "Witney".into() }),
                bookings: Some(12),
                households: None,
                subsidy_pence: 6240
            },
            ByZone {
                zone: None,
                bookings: None,
                households: None,
                subsidy_pence: 0
            },
        ]
    );
    // Over time: days (UK), the budget, everything committed by the end.
    let t = &r.spend_over_time;
    assert_eq!(t.interval, ReportInterval::Day);
    assert_eq!(t.budget_pence, 20_000_000);
    assert_eq!(t.spent_before_pence, 0);
    let points = &t.points;
    assert!((1..=2).contains(&points.len()), "{t:?}");
    let last = points.last().unwrap();
    assert_eq!(last.spent_to_date_pence, 6240);
    let booked: Vec<_> = points.iter().filter(|p| p.subsidy_pence != 0).collect();
    assert_eq!(booked.len(), 1, "every booking was made today: {t:?}");
    assert_eq!(booked[0].bookings, Some(13));
    assert_eq!(
        booked[0].start,
        roundabout_web::views::to_uk(Utc::now()).date().to_string()
    );

    // A later period: nothing in it, everything committed before it.
    let later = report(&w.officer, &w.council, now, now + Duration::days(3)).await;
    assert_eq!(later.bookings, 0);
    assert_eq!(later.by_zone, vec![]);
    let t = &later.spend_over_time;
    assert_eq!(t.spent_before_pence, 6240);
    let points = &t.points;
    assert!((3..=4).contains(&points.len()), "{t:?}");
    assert!(
        points
            .iter()
            .all(|p| p.bookings == Some(0) && p.spent_to_date_pence == 6240),
        "{t:?}"
    );

    // Longer periods come in weeks, then months; more than ten years is refused.
    let weeks = report(&w.officer, &w.council, now - Duration::days(200), now).await;
    assert_eq!(weeks.spend_over_time.interval, ReportInterval::Week);
    let n = weeks.spend_over_time.points.len();
    assert!((29..=30).contains(&n), "{n} weeks");
    let months = report(&w.officer, &w.council, now - Duration::days(1000), now).await;
    assert_eq!(months.spend_over_time.interval, ReportInterval::Month);
    let too_long = run_report(&w.officer, &w.council, now - Duration::days(4000), now)
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&too_long), "INVALID_INPUT", "{too_long:?}");

    // Only the council's officers (and admins) read it.
    let admin = report(&w.stack.admin, &w.council, began, now).await;
    assert_eq!(admin.bookings, 13);
    for who in [&a, &w.provider, &w.stack.council("OTH", "officer@oth.test").await.1] {
        let denied = run_report(who, &w.council, began, now).await.unwrap_err();
        assert_eq!(first_error_code(&denied), "FORBIDDEN", "{denied:?}");
    }
}

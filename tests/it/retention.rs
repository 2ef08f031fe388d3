//! Councils' retention periods through the gateway: anyone reads them, its officers
//! set them within each kind's bounds, officers of another council are
//! refused and change nothing; and the gateway's purge of the assisted-
//! action log honours each council's period as read from eligibility.

use roundabout_api::states::RetentionKind as Kind;
use roundabout_support::{
    client::ServiceClient,
    metrics::Metrics,
    retention::{Runner, Settings},
    testing,
};

use crate::support::gql::retention::{
    council_retention, update_council_retention, CouncilRetention, UpdateCouncilRetention,
};
use crate::support::gql::{field, first_error_code, Payload, Typed};
use crate::support::Stack;
use roundabout::graphql_client::GraphqlClient;

type Period = council_retention::Period;
type In = update_council_retention::RetentionPeriodInput;
type GqlKind = update_council_retention::RetentionKind;

async fn periods(officer: &GraphqlClient, council: &str) -> Vec<Period> {
    officer
        .data::<CouncilRetention>(council_retention::Variables {
            council_id: council.into(),
        })
        .await
        .council
        .expect("the council")
        .retention
}

fn of(periods: &[Period], kind: council_retention::RetentionKind) -> Period {
    periods
        .iter()
        .find(|p| p.kind == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind:?} in {periods:?}"))
}

fn update(council: &str, periods: Vec<(GqlKind, Option<i64>)>) -> update_council_retention::Variables {
    update_council_retention::Variables {
        council_id: council.into(),
        input: update_council_retention::CouncilRetentionInput {
            periods: periods.into_iter().map(|(kind, days)| In { kind, days }).collect(),
        },
    }
}

/// One pass of `runner`, waiting while the part's own background pass holds it.
async fn pass(runner: &Runner) -> Vec<(Kind, u64)> {
    for _ in 0..100 {
        if let Some(done) = runner.pass().await.unwrap() {
            return done;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the retention pass stayed held");
}

#[tokio::test]
async fn officers_choose_their_councils_periods_and_the_audit_log_is_purged_by_them() {
    use council_retention::RetentionKind as K;
    let stack = Stack::start().await;
    let (a, officer_a) = stack.council("RETA", "officer@reta.test").await;
    let (b, officer_b) = stack.council("RETB", "officer@retb.test").await;

    let before = periods(&officer_a, &a).await;
    assert_eq!(before.len(), Kind::ALL.len());
    let assisted = of(&before, K::AssistedActions);
    assert_eq!(
        (
            assisted.days,
            assisted.default_days,
            assisted.overridden,
            assisted.council_may_change
        ),
        (730, 730, false, true)
    );
    assert!(assisted.description.contains("730 days"), "{}", assisted.description);
    let money = of(&before, K::FinancialRecords);
    assert_eq!(
        (money.days, money.min_days, money.council_may_change),
        (2192, 2192, false)
    );

    // Anyone reads A's periods (its privacy notice states them); another
    // council's officer cannot change them.
    let public = officer_b
        .run::<CouncilRetention>(council_retention::Variables { council_id: a.clone() })
        .await
        .expect("public");
    assert_eq!(public.council.expect("the council").retention.len(), 12);
    let refused = officer_b
        .run::<UpdateCouncilRetention>(update(&a, vec![(GqlKind::AssistedActions, Some(365))]))
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&refused), "FORBIDDEN", "{refused:?}");

    // Out of bounds, or not the council's to choose: refused with the code
    // and the field, and nothing changed (not even the valid period beside it).
    for (input, code, at) in [
        (
            vec![
                (GqlKind::AssistedActions, Some(365)),
                (GqlKind::EligibilityDecisions, Some(10)),
            ],
            "RETENTION_TOO_SHORT",
            ["input", "periods", "1", "days"],
        ),
        (
            vec![(GqlKind::AbandonedBookings, Some(100_000))],
            "RETENTION_TOO_LONG",
            ["input", "periods", "0", "days"],
        ),
        (
            vec![(GqlKind::AssistedActions, Some(365)), (GqlKind::Sessions, Some(60))],
            "RETENTION_NOT_ADJUSTABLE",
            ["input", "periods", "1", "kind"],
        ),
    ] {
        let p = officer_a
            .data::<UpdateCouncilRetention>(update(&a, input))
            .await
            .update_council_retention;
        assert_eq!(p.code(), code, "{p:?}");
        assert_eq!(p.user_errors()[0].field, field(&at), "{p:?}");
        assert!(p.council.is_none());
        assert_eq!(periods(&officer_a, &a).await, before);
    }

    // A year for A's audit log.
    let p = officer_a
        .data::<UpdateCouncilRetention>(update(&a, vec![(GqlKind::AssistedActions, Some(365))]))
        .await
        .update_council_retention;
    p.assert_ok();
    let after = p.council.expect("the council").retention;
    let assisted = after
        .iter()
        .find(|p| p.kind == update_council_retention::RetentionKind::AssistedActions)
        .unwrap();
    assert_eq!((assisted.days, assisted.overridden), (365, true));
    assert!(assisted.description.contains("365 days"));
    assert_eq!(of(&periods(&officer_b, &b).await, K::AssistedActions).days, 730);

    // Audit entries 400 days old in both councils, and recent ones in A.
    let gateway = &stack.gateway_pool;
    let officer_id: uuid::Uuid = sqlx::query_scalar("select id from users where email = 'officer@reta.test'")
        .fetch_one(gateway)
        .await
        .unwrap();
    for (council, days, n) in [(&a, 400, 3), (&b, 400, 2), (&a, 5, 1)] {
        sqlx::query(
            "insert into assisted_actions (officer_user_id, officer_name, council_id, household_id, action, outcome, at)
             select $1, 'Officer', $2::uuid, gen_random_uuid(), 'PROFILE_READ', 'SUCCEEDED', now() - make_interval(days => $3)
             from generate_series(1, $4)",
        )
        .bind(officer_id)
        .bind(council)
        .bind(days)
        .bind(n)
        .execute(gateway)
        .await
        .unwrap();
    }
    let eligibility = ServiceClient::new(
        "eligibility",
        &stack.eligibility_url,
        testing::signing_as("gateway"),
        reqwest::Client::new(),
    );
    let runner = roundabout_gateway::retention::runner(
        gateway.clone(),
        Settings::default(),
        eligibility,
        &Metrics::new("gateway"),
    );
    let done = pass(&runner).await;
    assert!(done.contains(&(Kind::AssistedActions, 3)), "{done:?}");
    let left: Vec<(String, i64)> =
        sqlx::query_as("select council_id::text, count(*) from assisted_actions group by council_id order by count(*)")
            .fetch_all(gateway)
            .await
            .unwrap();
    assert_eq!(left, vec![(a.clone(), 1), (b.clone(), 2)]);

    // The gateway exports the purge's metrics, each kind from zero.
    let metrics = reqwest::get(format!("{}/metrics", stack.gateway.metrics_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for kind in ["ASSISTED_ACTIONS", "SESSIONS", "SIGN_IN_ATTEMPTS"] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("retention_deleted_total{") && l.contains(kind)),
            "{kind} missing from\n{metrics}"
        );
    }
    assert!(metrics.contains("retention_last_run_timestamp_seconds{"));
}

//! The officer's and the household's eligibility journey through the
//! gateway: zones, profiles, a scheme with criteria and test cases, a
//! simulation, publishing, decisions with reasons, revising, pausing.

use crate::support::eligibility::{count, square};
use crate::support::gql::councils::{
    council_zones, create_zone, import_postcodes, CouncilZones, CreateZone, ImportPostcodes,
};
use crate::support::gql::households::{
    check_eligibility, councils_for_postcode, household_eligibility, household_profile, my_eligibility,
    my_profile_zones, profile, update_household_profile, CheckEligibility, CouncilsForPostcode, HouseholdEligibility,
    HouseholdProfile, MyEligibility, MyProfileZones, UpdateHouseholdProfile,
};
use crate::support::gql::schemes::{
    add_scheme_test_case, close_scheme, council_schemes, create_scheme, ev_scheme, ev_scheme_update, pause_scheme,
    publish_scheme, revise_scheme, simulate_scheme, update_scheme, AddSchemeTestCase, CloseScheme, CouncilSchemes,
    CreateScheme, PauseScheme, PublishScheme, ReviseScheme, SimulateScheme, UpdateScheme,
};
use crate::support::gql::{Payload, Typed};
use crate::support::*;
use roundabout::graphql_client::GraphqlClient;
use serde_json::json;

const WITNEY: (f64, f64) = (-1.485, 51.785);
const CARTERTON: (f64, f64) = (-1.594, 51.759);

/// Saves a profile, which must succeed; the names of the zones it is in.
async fn set_profile(h: &GraphqlClient, input: update_household_profile::HouseholdProfileInput) -> Vec<String> {
    let p = h
        .data::<UpdateHouseholdProfile>(update_household_profile::Variables { input })
        .await
        .update_household_profile;
    p.assert_ok();
    let household = p.household.clone().unwrap_or_else(|| panic!("{p:?}"));
    household.profile.unwrap().zones.into_iter().map(|z| z.name).collect()
}

/// The signed-in household's id and decisions.
async fn decisions(h: &GraphqlClient) -> (String, Vec<my_eligibility::MyEligibilityMeHouseholdEligibility>) {
    let household = h
        .data::<MyEligibility>(my_eligibility::Variables)
        .await
        .me
        .unwrap()
        .household
        .unwrap();
    (household.id, household.eligibility)
}

async fn create(officer: &GraphqlClient, input: create_scheme::SchemeInput) -> create_scheme::SchemeFields {
    let s = officer
        .data::<CreateScheme>(create_scheme::Variables { input })
        .await
        .create_scheme;
    s.assert_ok();
    s.scheme.unwrap()
}

async fn publish(officer: &GraphqlClient, id: &str) -> publish_scheme::PublishSchemePublishScheme {
    officer
        .data::<PublishScheme>(publish_scheme::Variables { id: id.into() })
        .await
        .publish_scheme
}

async fn revise(officer: &GraphqlClient, id: &str) -> revise_scheme::SchemeFields {
    let r = officer
        .data::<ReviseScheme>(revise_scheme::Variables { id: id.into() })
        .await
        .revise_scheme;
    r.assert_ok();
    r.scheme.unwrap()
}

async fn update(
    officer: &GraphqlClient,
    id: &str,
    input: update_scheme::SchemeInput,
) -> update_scheme::UpdateSchemeUpdateScheme {
    officer
        .data::<UpdateScheme>(update_scheme::Variables { id: id.into(), input })
        .await
        .update_scheme
}

async fn schemes(
    client: &GraphqlClient,
    council: &str,
    status: Option<council_schemes::SchemeStatus>,
) -> Vec<council_schemes::CouncilSchemesCouncilSchemes> {
    client
        .data::<CouncilSchemes>(council_schemes::Variables {
            council_id: council.into(),
            status,
        })
        .await
        .council
        .unwrap()
        .schemes
}

#[tokio::test]
async fn an_officer_publishes_a_scheme_and_households_see_their_reasons() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let eligible = stack.household(&council, "eligible@example.org").await;
    let richer = stack.household(&council, "richer@example.org").await;
    let elsewhere = stack.household(&council, "elsewhere@example.org").await;

    // A profile saved before the zone exists gains the zone when it is drawn.
    let zones = set_profile(&eligible, profile(WITNEY.0, WITNEY.1, 1_800_000, 0)).await;
    assert_eq!(zones, Vec::<String>::new());
    let z = officer
        .data::<CreateZone>(create_zone::Variables {
            input: create_zone::CreateZoneInput {
                council_id: council.clone(),
                name: "Witney".into(),
                geometry: square(WITNEY.0, WITNEY.1, 0.03),
            },
        })
        .await
        .create_zone;
    z.assert_ok();
    let witney = z.zone.unwrap().id;
    let me = eligible
        .data::<MyProfileZones>(my_profile_zones::Variables)
        .await
        .me
        .unwrap()
        .household
        .unwrap()
        .profile
        .unwrap();
    let names: Vec<&str> = me.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, vec!["Witney"]);
    let zones = set_profile(&richer, profile(WITNEY.0 + 0.01, WITNEY.1, 3_100_000, 1)).await;
    assert_eq!(zones, vec!["Witney".to_string()]);
    let zones = set_profile(&elsewhere, profile(CARTERTON.0, CARTERTON.1, 1_000_000, 0)).await;
    assert_eq!(zones, Vec::<String>::new());
    let zones = stack
        .anon
        .data::<CouncilZones>(council_zones::Variables {
            council_id: council.clone(),
        })
        .await
        .council
        .unwrap()
        .zones;
    assert_eq!(zones[0].name, "Witney");

    // Draft, test cases, simulation.
    let s = create(&officer, ev_scheme(&council, &[&witney])).await;
    let v1 = s.id.clone();
    assert_eq!((&s.status, s.version), (&create_scheme::SchemeStatus::Draft, 1));
    let zones: Vec<(&str, &str)> = s.zones.iter().map(|z| (z.id.as_str(), z.name.as_str())).collect();
    assert_eq!(zones, vec![(witney.as_str(), "Witney")]);
    assert_eq!(
        s.criteria[0].rule,
        json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]})
    );
    for (name, income, cars, expect) in [
        ("Low income, no car", 1_500_000, 0, true),
        ("Income too high", 4_000_000, 0, false),
    ] {
        let facts = json!({"household": {"members": 2, "annualIncomePence": income, "carsOwned": cars}});
        let t = officer
            .data::<AddSchemeTestCase>(add_scheme_test_case::Variables {
                input: add_scheme_test_case::SchemeTestCaseInput {
                    scheme_id: v1.clone(),
                    name: name.into(),
                    facts,
                    expect_eligible: expect,
                },
            })
            .await
            .add_scheme_test_case;
        t.assert_ok();
        let last = t.scheme.unwrap().test_cases.last().unwrap().clone();
        assert_eq!(last.last_result, Some(expect), "{name}");
    }
    let sim = officer
        .data::<SimulateScheme>(simulate_scheme::Variables { id: v1.clone() })
        .await
        .simulate_scheme;
    let failures = |id: &str| simulate_scheme::SimulateSchemeSimulateSchemeFailuresByCriterion {
        criterion_id: id.into(),
        count: 1,
    };
    assert_eq!(
        sim,
        simulate_scheme::SimulateSchemeSimulateScheme {
            households_evaluated: 3,
            eligible_households: 1,
            estimated_subsidy_pence: 12000,
            failures_by_criterion: vec![failures("income"), failures("no-car"), failures("zone")],
        }
    );
    // The public sees no draft; the officer does.
    assert_eq!(schemes(&stack.anon, &council, None).await, vec![]);
    let own = schemes(&officer, &council, None).await;
    assert_eq!(own[0].status, council_schemes::SchemeStatus::Draft);

    // Publish; the public now sees it, without its test cases.
    let s = publish(&officer, &v1).await;
    s.assert_ok();
    let s = s.scheme.unwrap();
    assert_eq!(s.status, publish_scheme::SchemeStatus::Active);
    assert!(s.effective_from.is_some());
    assert_eq!((s.budget_pence, s.remaining_pence), (20_000_000, 20_000_000));
    let public = schemes(&stack.anon, &council, None).await;
    let public: Vec<_> = public
        .iter()
        .map(|s| (s.name.as_str(), &s.status, s.test_cases.is_empty()))
        .collect();
    assert_eq!(
        public,
        vec![("EV lease support", &council_schemes::SchemeStatus::Active, true)]
    );

    // Decisions, with every reason in words.
    let (_, d) = decisions(&eligible).await;
    let decision = &d[0];
    assert!(decision.eligible);
    assert_eq!(decision.reasons.len(), 3);
    assert_eq!(
        decision.reasons[0].explanation,
        "Your household's income is under £25,000. You told us your household's income is £18,000."
    );
    assert_eq!(decision.reasons[2].explanation, "Your home is in Witney.");
    let (_, d) = decisions(&richer).await;
    let decision = &d[0];
    assert!(!decision.eligible);
    let reasons: Vec<(&str, bool)> = decision
        .reasons
        .iter()
        .map(|r| (r.explanation.as_str(), r.passed))
        .collect();
    assert_eq!(
        reasons[0],
        (
            "This scheme is for households with an income under £25,000. You told us your household's income is £31,000.",
            false
        )
    );
    assert_eq!(
        reasons[1],
        (
            "This scheme is for households without a car. You told us your household owns 1 car.",
            false
        )
    );
    assert!(reasons[2].1);
    let (_, d) = decisions(&elsewhere).await;
    let zone = &d[0].reasons[2];
    assert_eq!((zone.criterion_id.as_str(), zone.passed), ("zone", false));
    let stored: Vec<(i32, bool)> =
        sqlx::query_as("select scheme_version, eligible from eligibility_decisions order by id")
            .fetch_all(&stack.eligibility_pool)
            .await
            .unwrap();
    assert_eq!(stored, vec![(1, true), (1, false), (1, false)]);

    // A published version is immutable; a revision supersedes it.
    let p = update(&officer, &v1, ev_scheme_update(&council, &[])).await;
    assert_eq!(p.code(), "INVALID_STATE");
    let r = revise(&officer, &v1).await;
    let v2 = r.id.clone();
    assert_eq!((r.version, &r.status), (2, &revise_scheme::SchemeStatus::Draft));
    assert_eq!(r.test_cases.len(), 2);
    let mut wider = ev_scheme_update(&council, &[]);
    wider.subsidy.percent_basis_points = 5000;
    update(&officer, &v2, wider).await.assert_ok();
    let p = publish(&officer, &v2).await;
    p.assert_ok();
    assert_eq!(p.scheme.unwrap().subsidy.percent_basis_points, 5000);
    let versions = schemes(&officer, &council, None).await;
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[0].effective_to, versions[1].effective_from,
        "v1 ends where v2 starts"
    );
    // Without a zone, the household in Carterton now qualifies, under version 2.
    let (id, decisions_now) = decisions(&elsewhere).await;
    assert_eq!(decisions_now.len(), 1);
    assert_eq!((decisions_now[0].scheme.version, decisions_now[0].eligible), (2, true));

    // An officer may read a household's profile; each such read is recorded.
    let read = |client: &GraphqlClient| {
        let client = client.clone();
        let id = id.clone();
        async move {
            client
                .data::<HouseholdProfile>(household_profile::Variables { id })
                .await
                .household
        }
    };
    let household = read(&officer).await.unwrap();
    assert_eq!(household.profile.unwrap().annual_income_pence, Some(1_000_000));
    let audit: Vec<(String, String)> = sqlx::query_as("select household_id::text, reader_kind from profile_reads")
        .fetch_all(&stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(audit, vec![(id.clone(), "officer".to_string())]);
    // Reading its decisions shows facts too, so it is recorded as well.
    let read_decisions = officer
        .data::<HouseholdEligibility>(household_eligibility::Variables { id: id.clone() })
        .await
        .household
        .unwrap();
    assert!(read_decisions.eligibility[0].eligible);
    assert_eq!(count(&stack.eligibility_pool, "profile_reads").await, 2);
    // Another household cannot.
    assert_eq!(read(&eligible).await, None);

    // Pause and close.
    let p = officer
        .data::<PauseScheme>(pause_scheme::Variables { id: v2.clone() })
        .await
        .pause_scheme;
    p.assert_ok();
    assert_eq!(p.scheme.unwrap().status, pause_scheme::SchemeStatus::Paused);
    let (_, d) = decisions(&elsewhere).await;
    assert_eq!(d, vec![]);
    let p = officer
        .data::<CloseScheme>(close_scheme::Variables { id: v2 })
        .await
        .close_scheme;
    p.assert_ok();
    assert_eq!(p.scheme.unwrap().status, close_scheme::SchemeStatus::Closed);
}

#[tokio::test]
async fn a_revision_published_for_later_supersedes_the_current_version_from_then() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "h@example.org").await;
    set_profile(&household, profile(WITNEY.0, WITNEY.1, 1_000_000, 0)).await;
    let v1 = create(&officer, ev_scheme(&council, &[])).await.id;
    publish(&officer, &v1).await.assert_ok();
    let v2 = revise(&officer, &v1).await.id;
    // A start in the past is refused and changes nothing.
    let mut past = ev_scheme_update(&council, &[]);
    past.effective_from = Some("2020-01-01T00:00:00Z".parse().unwrap());
    update(&officer, &v2, past).await.assert_ok();
    let p = publish(&officer, &v2).await;
    assert_eq!(p.code(), "INVALID_INPUT");
    assert_eq!(
        p.user_errors()[0].field,
        Some(vec!["input".to_string(), "effectiveFrom".to_string()])
    );
    // Tomorrow: version 1 applies until then, version 2 from then.
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let mut later = ev_scheme_update(&council, &[]);
    later.effective_from = Some(tomorrow);
    update(&officer, &v2, later).await.assert_ok();
    let p = publish(&officer, &v2).await;
    p.assert_ok();
    let from = p.scheme.unwrap().effective_from;
    let active = schemes(&officer, &council, Some(council_schemes::SchemeStatus::Active)).await;
    let active: Vec<_> = active.iter().map(|s| (s.version, s.effective_to)).collect();
    assert_eq!(active, vec![(1, from), (2, None)]);
    let (_, d) = decisions(&household).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].scheme.version, 1);
}

fn check_input(council: &str, members: i64) -> check_eligibility::CheckEligibilityInput {
    check_eligibility::CheckEligibilityInput {
        council_id: council.into(),
        postcode: Some("OX28 6AA".into()),
        members,
        annual_income_pence: Some(2_499_900),
        income_band: Some(check_eligibility::IncomeBandInput {
            from_pence: Some(1_500_000),
            below_pence: Some(2_500_000),
        }),
        cars_owned: 0,
        blue_badge: false,
        benefits: Some(vec![]),
        lead_age: None,
        needs: check_eligibility::TravelNeedsInput {
            seats: 4,
            wheelchair_accessible: false,
            electric_preferred: false,
        },
    }
}

async fn check(
    client: &GraphqlClient,
    input: check_eligibility::CheckEligibilityInput,
) -> check_eligibility::CheckEligibilityCheckEligibility {
    client
        .data::<CheckEligibility>(check_eligibility::Variables { input })
        .await
        .check_eligibility
}

async fn councils_for(postcode: &str, client: &GraphqlClient) -> Vec<String> {
    client
        .data::<CouncilsForPostcode>(councils_for_postcode::Variables {
            postcode: postcode.into(),
        })
        .await
        .councils_for_postcode
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[tokio::test]
async fn anyone_checks_a_councils_schemes_without_an_account_and_nothing_is_stored() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let s = create(&officer, ev_scheme(&council, &[])).await;
    publish(&officer, &s.id).await.assert_ok();

    let d = check(&stack.anon, check_input(&council, 2)).await;
    d.assert_ok();
    assert!(d.decisions[0].eligible);
    assert_eq!(
        d.decisions[0].reasons[0].explanation,
        "Your household's income is under £25,000. You told us your household's income is £15,000 to £24,999."
    );
    assert_eq!(count(&stack.eligibility_pool, "eligibility_decisions").await, 0);

    // An unknown council, a fact out of range, a band without the income in it.
    let d = check(&stack.anon, check_input(&uuid::Uuid::new_v4().to_string(), 2)).await;
    assert_eq!(d.code(), "NOT_FOUND");
    assert_eq!(d.decisions, vec![]);
    let d = check(&stack.anon, check_input(&council, 99)).await;
    assert_eq!(
        d.user_errors().first().and_then(|e| e.field.clone()),
        Some(vec!["input".to_string(), "members".to_string()])
    );
    let mut outside = check_input(&council, 2);
    outside.annual_income_pence = Some(4_000_000);
    let d = check(&stack.anon, outside).await;
    assert_eq!(d.code(), "INVALID_INPUT");

    // Which councils cover a postcode: none yet, then this one.
    assert_eq!(councils_for("OX28 4AB", &stack.anon).await, Vec::<String>::new());
    let p = officer
        .data::<ImportPostcodes>(import_postcodes::Variables {
            input: import_postcodes::ImportPostcodesInput {
                council_id: council.clone(),
                csv: "pcds,lat,long\nOX28,51.785,-1.485\n".into(),
            },
        })
        .await
        .import_postcodes;
    assert_eq!(p.imported_count, 1);
    assert_eq!(
        councils_for("ox28 4ab", &stack.anon).await,
        vec!["Council WOX".to_string()]
    );
    assert_eq!(councils_for("not a postcode", &stack.anon).await, Vec::<String>::new());
}

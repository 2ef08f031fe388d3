//! The officer's and the household's eligibility journey through the
//! gateway: zones, profiles, a scheme with criteria and test cases, a
//! simulation, publishing, decisions with reasons, revising, pausing.

use crate::support::eligibility::*;
use crate::support::*;
use serde_json::{json, Value};

const WITNEY: (f64, f64) = (-1.485, 51.785);
const CARTERTON: (f64, f64) = (-1.594, 51.759);

#[tokio::test]
async fn an_officer_publishes_a_scheme_and_households_see_their_reasons() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let eligible = stack.household(&council, "eligible@example.org").await;
    let richer = stack.household(&council, "richer@example.org").await;
    let elsewhere = stack.household(&council, "elsewhere@example.org").await;

    // A profile saved before the zone exists gains the zone when it is drawn.
    let p = ok(
        &eligible,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0, WITNEY.1, 1_800_000, 0)}),
    )
    .await;
    assert_eq!(p["household"]["profile"]["zones"], json!([]));
    let z = ok(
        &officer,
        "createZone",
        CREATE_ZONE,
        json!({"input": {"councilId": council, "name": "Witney", "geometry": square(WITNEY.0, WITNEY.1, 0.03)}}),
    )
    .await;
    let witney = z["zone"]["id"].as_str().unwrap().to_string();
    let me = eligible
        .query(
            "{ me { household { profile { zones { name } annualIncomePence } } } }",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(me["me"]["household"]["profile"]["zones"], json!([{"name": "Witney"}]));
    let p = ok(
        &richer,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0 + 0.01, WITNEY.1, 3_100_000, 1)}),
    )
    .await;
    assert_eq!(p["household"]["profile"]["zones"], json!([{"name": "Witney"}]));
    let p = ok(
        &elsewhere,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(CARTERTON.0, CARTERTON.1, 1_000_000, 0)}),
    )
    .await;
    assert_eq!(p["household"]["profile"]["zones"], json!([]));
    let zones = stack
        .anon
        .query(
            "query($id: ID!) { council(id: $id) { zones { name geometry } } }",
            json!({"id": council}),
        )
        .await
        .unwrap();
    assert_eq!(zones["council"]["zones"][0]["name"], "Witney");

    // Draft, test cases, simulation.
    let s = ok(
        &officer,
        "createScheme",
        &create_scheme(),
        json!({"input": ev_scheme(&council, &[&witney])}),
    )
    .await;
    let v1 = s["scheme"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        (s["scheme"]["status"].as_str(), s["scheme"]["version"].as_i64()),
        (Some("DRAFT"), Some(1))
    );
    assert_eq!(s["scheme"]["zones"], json!([{"id": witney, "name": "Witney"}]));
    assert_eq!(
        s["scheme"]["criteria"][0]["rule"],
        json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]})
    );
    for (name, income, cars, expect) in [
        ("Low income, no car", 1_500_000, 0, true),
        ("Income too high", 4_000_000, 0, false),
    ] {
        let facts = json!({"household": {"members": 2, "annualIncomePence": income, "carsOwned": cars}});
        let t = ok(
            &officer,
            "addSchemeTestCase",
            &add_test_case(),
            json!({"input": {"schemeId": v1, "name": name, "facts": facts, "expectEligible": expect}}),
        )
        .await;
        let last = t["scheme"]["testCases"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["lastResult"], json!(expect), "{name}");
    }
    let sim = officer.query(SIMULATE, json!({"id": v1})).await.unwrap();
    assert_eq!(
        sim["simulateScheme"],
        json!({"householdsEvaluated": 3, "eligibleHouseholds": 1, "estimatedSubsidyPence": 12000,
               "failuresByCriterion": [{"criterionId": "income", "count": 1}, {"criterionId": "no-car", "count": 1}, {"criterionId": "zone", "count": 1}]})
    );
    // The public sees no draft; the officer does.
    let list = "query($id: ID!) { council(id: $id) { schemes { name status testCases { name } } } }";
    let public = stack.anon.query(list, json!({"id": council})).await.unwrap();
    assert_eq!(public["council"]["schemes"], json!([]));
    let own = officer.query(list, json!({"id": council})).await.unwrap();
    assert_eq!(own["council"]["schemes"][0]["status"], "DRAFT");

    // Publish; the public now sees it, without its test cases.
    let s = ok(&officer, "publishScheme", &step("publishScheme"), json!({"id": v1})).await;
    assert_eq!(s["scheme"]["status"], "ACTIVE");
    assert!(s["scheme"]["effectiveFrom"].is_string());
    assert_eq!(
        (
            s["scheme"]["budgetPence"].as_i64(),
            s["scheme"]["remainingPence"].as_i64()
        ),
        (Some(20_000_000), Some(20_000_000))
    );
    let public = stack.anon.query(list, json!({"id": council})).await.unwrap();
    assert_eq!(
        public["council"]["schemes"],
        json!([{"name": "EV lease support", "status": "ACTIVE", "testCases": []}])
    );

    // Decisions, with every reason in words.
    let d = eligible.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let decision = &d["me"]["household"]["eligibility"][0];
    assert_eq!(decision["eligible"], true);
    assert_eq!(decision["reasons"].as_array().unwrap().len(), 3);
    assert_eq!(
        decision["reasons"][0]["explanation"],
        "Your household's income is under £25,000. You told us your household's income is £18,000."
    );
    assert_eq!(decision["reasons"][2]["explanation"], "Your home is in Witney.");
    let d = richer.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let decision = &d["me"]["household"]["eligibility"][0];
    assert_eq!(decision["eligible"], false);
    let reasons: Vec<(&str, bool)> = decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["explanation"].as_str().unwrap(), r["passed"].as_bool().unwrap()))
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
    let d = elsewhere.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let zone = &d["me"]["household"]["eligibility"][0]["reasons"][2];
    assert_eq!(
        (zone["criterionId"].as_str(), zone["passed"].as_bool()),
        (Some("zone"), Some(false))
    );
    let stored: Vec<(i32, bool)> =
        sqlx::query_as("select scheme_version, eligible from eligibility_decisions order by id")
            .fetch_all(&stack.eligibility_pool)
            .await
            .unwrap();
    assert_eq!(stored, vec![(1, true), (1, false), (1, false)]);

    // A published version is immutable; a revision supersedes it.
    let p = officer
        .mutate(
            "updateScheme",
            &update_scheme(),
            json!({"id": v1, "input": ev_scheme(&council, &[])}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"][0]["code"], "INVALID_STATE");
    let r = ok(&officer, "reviseScheme", &step("reviseScheme"), json!({"id": v1})).await;
    let v2 = r["scheme"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        (r["scheme"]["version"].as_i64(), r["scheme"]["status"].as_str()),
        (Some(2), Some("DRAFT"))
    );
    assert_eq!(r["scheme"]["testCases"].as_array().unwrap().len(), 2);
    let mut wider = ev_scheme(&council, &[]);
    wider["subsidy"]["percentBasisPoints"] = json!(5000);
    ok(
        &officer,
        "updateScheme",
        &update_scheme(),
        json!({"id": v2, "input": wider}),
    )
    .await;
    let p = ok(&officer, "publishScheme", &step("publishScheme"), json!({"id": v2})).await;
    assert_eq!(p["scheme"]["subsidy"]["percentBasisPoints"], 5000);
    let all = officer
        .query(
            "query($id: ID!) { council(id: $id) { schemes { version status effectiveFrom effectiveTo } } }",
            json!({"id": council}),
        )
        .await
        .unwrap();
    let versions = all["council"]["schemes"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[0]["effectiveTo"], versions[1]["effectiveFrom"],
        "v1 ends where v2 starts"
    );
    // Without a zone, the household in Carterton now qualifies, under version 2.
    let d = elsewhere.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let decisions = d["me"]["household"]["eligibility"].as_array().unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        (
            decisions[0]["scheme"]["version"].as_i64(),
            decisions[0]["eligible"].as_bool()
        ),
        (Some(2), Some(true))
    );

    // An officer may read a household's profile; each such read is recorded.
    let id = d["me"]["household"]["id"].as_str().unwrap().to_string();
    let q = "query($id: ID!) { household(id: $id) { profile { annualIncomePence } } }";
    let read = officer.query(q, json!({"id": id})).await.unwrap();
    assert_eq!(read["household"]["profile"]["annualIncomePence"], 1_000_000);
    let audit: Vec<(String, String)> = sqlx::query_as("select household_id::text, reader_kind from profile_reads")
        .fetch_all(&stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(audit, vec![(id.clone(), "officer".to_string())]);
    // Reading its decisions shows facts too, so it is recorded as well.
    let q2 = "query($id: ID!) { household(id: $id) { eligibility { eligible } } }";
    let read = officer.query(q2, json!({"id": id})).await.unwrap();
    assert_eq!(read["household"]["eligibility"][0]["eligible"], true);
    assert_eq!(count(&stack.eligibility_pool, "profile_reads").await, 2);
    // Another household cannot.
    let other = eligible.query(q, json!({"id": id})).await.unwrap();
    assert_eq!(other["household"], Value::Null);

    // Pause and close.
    let p = ok(&officer, "pauseScheme", &step("pauseScheme"), json!({"id": v2})).await;
    assert_eq!(p["scheme"]["status"], "PAUSED");
    let d = elsewhere.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    assert_eq!(d["me"]["household"]["eligibility"], json!([]));
    let p = ok(&officer, "closeScheme", &step("closeScheme"), json!({"id": v2})).await;
    assert_eq!(p["scheme"]["status"], "CLOSED");
}

#[tokio::test]
async fn a_revision_published_for_later_supersedes_the_current_version_from_then() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "h@example.org").await;
    ok(
        &household,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0, WITNEY.1, 1_000_000, 0)}),
    )
    .await;
    let s = ok(
        &officer,
        "createScheme",
        &create_scheme(),
        json!({"input": ev_scheme(&council, &[])}),
    )
    .await;
    let v1 = s["scheme"]["id"].as_str().unwrap().to_string();
    ok(&officer, "publishScheme", &step("publishScheme"), json!({"id": v1})).await;
    let r = ok(&officer, "reviseScheme", &step("reviseScheme"), json!({"id": v1})).await;
    let v2 = r["scheme"]["id"].as_str().unwrap().to_string();
    // A start in the past is refused and changes nothing.
    let mut past = ev_scheme(&council, &[]);
    past["effectiveFrom"] = json!("2020-01-01T00:00:00Z");
    ok(
        &officer,
        "updateScheme",
        &update_scheme(),
        json!({"id": v2, "input": past}),
    )
    .await;
    let p = officer
        .mutate("publishScheme", &step("publishScheme"), json!({"id": v2}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"][0]["code"], "INVALID_INPUT");
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "effectiveFrom"]));
    // Tomorrow: version 1 applies until then, version 2 from then.
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let mut later = ev_scheme(&council, &[]);
    later["effectiveFrom"] = json!(tomorrow.to_rfc3339());
    ok(
        &officer,
        "updateScheme",
        &update_scheme(),
        json!({"id": v2, "input": later}),
    )
    .await;
    let p = ok(&officer, "publishScheme", &step("publishScheme"), json!({"id": v2})).await;
    let from = p["scheme"]["effectiveFrom"].clone();
    let all = officer
        .query(
            "query($id: ID!) { council(id: $id) { schemes(status: ACTIVE) { version effectiveTo } } }",
            json!({"id": council}),
        )
        .await
        .unwrap();
    assert_eq!(
        all["council"]["schemes"],
        json!([{"version": 1, "effectiveTo": from}, {"version": 2, "effectiveTo": null}])
    );
    let d = household.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let decisions = d["me"]["household"]["eligibility"].as_array().unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0]["scheme"]["version"], 1);
}

const CHECK: &str = "query($input: CheckEligibilityInput!) { checkEligibility(input: $input) { decisions { eligible reasons { criterionId passed explanation } } userErrors { field code message } } }";

fn check_input(council: &str, members: i64) -> Value {
    json!({"councilId": council, "postcode": "OX28 6AA", "members": members, "annualIncomePence": 2_499_900,
           "incomeBand": {"fromPence": 1_500_000, "belowPence": 2_500_000}, "carsOwned": 0, "blueBadge": false,
           "benefits": [], "needs": {"seats": 4, "wheelchairAccessible": false, "electricPreferred": false}})
}

#[tokio::test]
async fn anyone_checks_a_councils_schemes_without_an_account_and_nothing_is_stored() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let s = ok(
        &officer,
        "createScheme",
        &create_scheme(),
        json!({"input": ev_scheme(&council, &[])}),
    )
    .await;
    ok(
        &officer,
        "publishScheme",
        &step("publishScheme"),
        json!({"id": s["scheme"]["id"]}),
    )
    .await;

    let r = stack
        .anon
        .query(CHECK, json!({"input": check_input(&council, 2)}))
        .await
        .unwrap();
    let d = &r["checkEligibility"];
    assert_eq!(d["userErrors"], json!([]));
    assert_eq!(d["decisions"][0]["eligible"], true);
    assert_eq!(
        d["decisions"][0]["reasons"][0]["explanation"],
        "Your household's income is under £25,000. You told us your household's income is £15,000 to £24,999."
    );
    assert_eq!(count(&stack.eligibility_pool, "eligibility_decisions").await, 0);

    // An unknown council, a fact out of range, a band without the income in it.
    let unknown = check_input(&uuid::Uuid::new_v4().to_string(), 2);
    let r = stack.anon.query(CHECK, json!({"input": unknown})).await.unwrap();
    assert_eq!(r["checkEligibility"]["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(r["checkEligibility"]["decisions"], json!([]));
    let r = stack
        .anon
        .query(CHECK, json!({"input": check_input(&council, 99)}))
        .await
        .unwrap();
    assert_eq!(
        r["checkEligibility"]["userErrors"][0]["field"],
        json!(["input", "members"])
    );
    let mut outside = check_input(&council, 2);
    outside["annualIncomePence"] = json!(4_000_000);
    let r = stack.anon.query(CHECK, json!({"input": outside})).await.unwrap();
    assert_eq!(r["checkEligibility"]["userErrors"][0]["code"], "INVALID_INPUT");

    // Which councils cover a postcode: none yet, then this one.
    let find = "query($p: String!) { councilsForPostcode(postcode: $p) { name } }";
    let r = stack.anon.query(find, json!({"p": "OX28 4AB"})).await.unwrap();
    assert_eq!(r["councilsForPostcode"], json!([]));
    let p = officer
        .mutate(
            "importPostcodes",
            "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount userErrors { code } } }",
            json!({"input": {"councilId": council, "csv": "pcds,lat,long\nOX28,51.785,-1.485\n"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 1);
    let r = stack.anon.query(find, json!({"p": "ox28 4ab"})).await.unwrap();
    assert_eq!(r["councilsForPostcode"], json!([{"name": "Council WOX"}]));
    let r = stack.anon.query(find, json!({"p": "not a postcode"})).await.unwrap();
    assert_eq!(r["councilsForPostcode"], json!([]));
}

//! Bad input to zones, schemes, profiles and postcodes through the
//! gateway: each gets its typed error and changes nothing.

use crate::support::eligibility::*;
use crate::support::*;
use roundabout::graphql_client::user_error_code;
use serde_json::{json, Value};

const WITNEY: (f64, f64) = (-1.485, 51.785);

#[tokio::test]
async fn bad_zones_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let (_, other_officer) = stack.council("OTH", "officer@oth.test").await;
    let household = stack.household(&council, "h@example.org").await;
    let cases = [
        (
            json!({"type": "Polygon", "coordinates": [[[-1.5, 51.7], [-1.4, 51.7], [-1.4, 51.8], [-1.5, 51.8]]]}),
            "not closed",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[-1.5, 51.7], [-1.4, 51.8], [-1.4, 51.7], [-1.5, 51.8], [-1.5, 51.7]]]}),
            "self-intersecting",
        ),
        (json!({"type": "Point", "coordinates": [-1.5, 51.7]}), "a point"),
        (square(0.5, 48.0, 0.1), "outside the council"),
    ];
    for (geometry, why) in cases {
        let p = officer
            .mutate(
                "createZone",
                CREATE_ZONE,
                json!({"input": {"councilId": council, "name": "Z", "geometry": geometry}}),
            )
            .await
            .unwrap();
        assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_GEOMETRY"), "{why}: {p}");
        assert_eq!(p["zone"], Value::Null);
    }
    let good = json!({"input": {"councilId": council, "name": "Witney", "geometry": square(WITNEY.0, WITNEY.1, 0.03)}});
    for client in [&other_officer, &household] {
        let r = client.raw(CREATE_ZONE, good.clone()).await.unwrap();
        assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    }
    let r = stack.anon.raw(CREATE_ZONE, good.clone()).await.unwrap();
    assert_eq!(error_code(&r), "UNAUTHENTICATED");
    assert_eq!(count(&stack.eligibility_pool, "zones").await, 0);
    ok(&officer, "createZone", CREATE_ZONE, good.clone()).await;
    let p = officer.mutate("createZone", CREATE_ZONE, good).await.unwrap();
    assert_eq!(
        user_error_code(&p).as_deref(),
        Some("INVALID_INPUT"),
        "a second zone of the same name"
    );
    assert_eq!(count(&stack.eligibility_pool, "zones").await, 1);
}

#[tokio::test]
async fn bad_schemes_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let (other, other_officer) = stack.council("OTH", "officer@oth.test").await;
    let z = ok(
        &other_officer,
        "createZone",
        CREATE_ZONE,
        json!({"input": {"councilId": other, "name": "Theirs", "geometry": square(WITNEY.0, WITNEY.1, 0.03)}}),
    )
    .await;
    let their_zone = z["zone"]["id"].as_str().unwrap().to_string();

    let with_rule = |rule: Value| {
        let mut s = ev_scheme(&council, &[]);
        s["criteria"][1]["rule"] = rule;
        s
    };
    let deep = format!("{}true{}", "{\"!\":[".repeat(10_000), "]}".repeat(10_000));
    let cases = [
        (
            with_rule(json!({"regex": [{"var": "household.carsOwned"}, "0"]})),
            "INVALID_RULE",
            "unknown operator",
        ),
        (
            with_rule(json!({"==": [{"var": "household.salary"}, 0]})),
            "INVALID_RULE",
            "unknown fact",
        ),
        (
            with_rule(json!({"<": [{"var": "household.blueBadge"}, 3]})),
            "INVALID_RULE",
            "compares",
        ),
        (with_rule(json!(deep)), "INVALID_RULE", "nested deeper"),
        (
            {
                let mut s = ev_scheme(&council, &[]);
                s["subsidy"]["percentBasisPoints"] = json!(10_001);
                s
            },
            "INVALID_INPUT",
            "percentBasisPoints",
        ),
        (
            {
                let mut s = ev_scheme(&council, &[]);
                s["budgetPence"] = json!(-1);
                s
            },
            "INVALID_INPUT",
            "budget",
        ),
        (
            {
                let mut s = ev_scheme(&council, &[]);
                s["subsidy"]["capPerBookingPence"] = json!(-5);
                s
            },
            "INVALID_INPUT",
            "cap",
        ),
        (ev_scheme(&council, &[&their_zone]), "INVALID_INPUT", "zone"),
    ];
    for (input, code, why) in cases {
        let p = officer
            .mutate("createScheme", &create_scheme(), json!({"input": input}))
            .await
            .unwrap();
        assert_eq!(user_error_code(&p).as_deref(), Some(code), "{why}: {p}");
        let message = p["userErrors"][0]["message"].as_str().unwrap();
        assert!(message.contains(why), "{why}: {message}");
        if code == "INVALID_RULE" {
            assert!(message.contains("\"no-car\""), "the criterion is named: {message}");
            assert_eq!(p["userErrors"][0]["field"], json!(["input", "criteria", "1", "rule"]));
        }
    }
    // Officers of another council, and households, are forbidden.
    let household = stack.household(&council, "h@example.org").await;
    for client in [&other_officer, &household] {
        let r = client
            .raw(&create_scheme(), json!({"input": ev_scheme(&council, &[])}))
            .await
            .unwrap();
        assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    }
    // A rule nested 10,000 deep as raw JSON is refused by the gateway's
    // parser before it reaches any recursive code; the stack still serves.
    let body = format!(
        "{{\"query\": {}, \"variables\": {{\"input\": {{\"councilId\": \"{council}\", \"name\": \"x\", \"criteria\": [{{\"id\": \"deep\", \"label\": \"d\", \"failText\": \"f\", \"rule\": {deep}}}], \"subsidy\": {{\"percentBasisPoints\": 1}}, \"appliesTo\": [\"HIRE\"], \"budgetPence\": 1}}}}}}",
        serde_json::to_string(&create_scheme()).unwrap()
    );
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", stack.gateway_url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(count(&stack.eligibility_pool, "schemes").await, 0);
    assert_eq!(count(&stack.eligibility_pool, "scheme_lines").await, 0);
    let alive = stack.anon.query("{ councils { code } }", json!({})).await.unwrap();
    assert_eq!(alive["councils"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn publishing_is_refused_until_the_scheme_is_ready() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let (_, other_officer) = stack.council("OTH", "officer@oth.test").await;
    let mut empty = ev_scheme(&council, &[]);
    empty["criteria"] = json!([]);
    empty["budgetPence"] = json!(0);
    let s = ok(&officer, "createScheme", &create_scheme(), json!({"input": empty})).await;
    let id = s["scheme"]["id"].as_str().unwrap().to_string();
    let publish = step("publishScheme");
    let p = officer
        .mutate("publishScheme", &publish, json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(
        (
            user_error_code(&p).as_deref(),
            p["userErrors"][0]["message"].as_str().map(|m| m.contains("criterion"))
        ),
        (Some("INVALID_STATE"), Some(true))
    );
    let mut no_budget = ev_scheme(&council, &[]);
    no_budget["budgetPence"] = json!(0);
    ok(
        &officer,
        "updateScheme",
        &update_scheme(),
        json!({"id": id, "input": no_budget}),
    )
    .await;
    let p = officer
        .mutate("publishScheme", &publish, json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(
        (
            user_error_code(&p).as_deref(),
            p["userErrors"][0]["message"].as_str().map(|m| m.contains("budget"))
        ),
        (Some("INVALID_STATE"), Some(true))
    );
    ok(
        &officer,
        "updateScheme",
        &update_scheme(),
        json!({"id": id, "input": ev_scheme(&council, &[])}),
    )
    .await;

    // Test cases of the wrong shape are refused.
    for facts in [
        json!({"household": {"carsOwned": "none"}}),
        json!({"people": 3}),
        json!([1]),
        json!({"household": {"salary": 1}}),
    ] {
        let p = officer
            .mutate(
                "addSchemeTestCase",
                &add_test_case(),
                json!({"input": {"schemeId": id, "name": "bad", "facts": facts, "expectEligible": true}}),
            )
            .await
            .unwrap();
        assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_INPUT"), "{facts}");
    }
    assert_eq!(count(&stack.eligibility_pool, "scheme_test_cases").await, 0);
    // A failing test case blocks publishing, named.
    let wrong = json!({"household": {"annualIncomePence": 9_000_000, "carsOwned": 0}});
    ok(&officer, "addSchemeTestCase", &add_test_case(), json!({"input": {"schemeId": id, "name": "Rich but expected eligible", "facts": wrong, "expectEligible": true}})).await;
    let p = officer
        .mutate("publishScheme", &publish, json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("TEST_CASE_FAILED"));
    assert!(p["userErrors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Rich but expected eligible"));
    // Another council's officer cannot publish, simulate or revise it.
    let r = other_officer.raw(&publish, json!({"id": id})).await.unwrap();
    assert_eq!(error_code(&r), "FORBIDDEN");
    let r = other_officer.raw(SIMULATE, json!({"id": id})).await.unwrap();
    assert_eq!(error_code(&r), "FORBIDDEN");
    let r = officer
        .raw(SIMULATE, json!({"id": "00000000-0000-0000-0000-000000000000"}))
        .await
        .unwrap();
    assert_eq!(error_code(&r), "NOT_FOUND");
    let status: String = sqlx::query_scalar("select status from schemes")
        .fetch_one(&stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(status, "DRAFT");
    let p = officer
        .mutate("reviseScheme", &step("reviseScheme"), json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_STATE"));
    assert_eq!(count(&stack.eligibility_pool, "schemes").await, 1);
}

#[tokio::test]
async fn bad_profiles_are_refused_and_only_households_have_one() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "h@example.org").await;
    let base = profile(WITNEY.0, WITNEY.1, 1_000_000, 0);
    let cases = [
        ("members", json!(0), vec!["input", "members"]),
        ("carsOwned", json!(-1), vec!["input", "carsOwned"]),
        ("leadAge", json!(7), vec!["input", "leadAge"]),
        ("annualIncomePence", json!(-100), vec!["input", "annualIncomePence"]),
        (
            "location",
            json!({"lat": 100.0, "lon": 0.0}),
            vec!["input", "location", "lat"],
        ),
        (
            "needs",
            json!({"seats": 99, "wheelchairAccessible": false, "electricPreferred": false}),
            vec!["input", "needs", "seats"],
        ),
    ];
    for (key, value, field) in cases {
        let mut input = base.clone();
        input[key] = value;
        let p = household
            .mutate("updateHouseholdProfile", UPDATE_PROFILE, json!({"input": input}))
            .await
            .unwrap();
        assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_INPUT"), "{key}: {p}");
        assert_eq!(p["userErrors"][0]["field"], json!(field), "{key}");
    }
    assert_eq!(count(&stack.eligibility_pool, "household_profiles").await, 0);
    let r = officer.raw(UPDATE_PROFILE, json!({"input": base})).await.unwrap();
    assert_eq!(error_code(&r), "FORBIDDEN");
    let r = stack.anon.raw(UPDATE_PROFILE, json!({"input": base})).await.unwrap();
    assert_eq!(error_code(&r), "UNAUTHENTICATED");
    // Without a profile a household is told what to add, for every scheme.
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
    let d = household.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let decision = &d["me"]["household"]["eligibility"][0];
    assert_eq!(decision["eligible"], false);
    assert!(decision["reasons"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("We need to know your household's income to check this."));
}

const IMPORT_POSTCODES: &str = "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount rowErrors { line field code message } userErrors { field code message } } }";
const LOCATE: &str = "query($c: ID!, $p: String!) { locatePostcode(councilId: $c, postcode: $p) { lat lon } }";

#[tokio::test]
async fn a_two_letter_postcode_is_refused_not_a_crash() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    // One short row in a file: that row is named, nothing is imported.
    let csv = "pcds,lat,long\nOX28 4AB,51.786,-1.487\nOX,51.7,-1.4\nOX7,51.94,-1.55\n";
    let p = officer
        .mutate(
            "importPostcodes",
            IMPORT_POSTCODES,
            json!({"input": {"councilId": council, "csv": csv}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_INPUT"), "{p}");
    assert_eq!(p["importedCount"], 0);
    assert_eq!(p["rowErrors"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["rowErrors"][0]["line"], 3);
    assert_eq!(p["rowErrors"][0]["field"], "postcode");
    assert_eq!(count(&stack.eligibility_pool, "postcodes").await, 0);
    // Looking one up: the gateway answers null, as for any postcode it cannot use.
    for postcode in ["OX", "O", "X1", "OX 2"] {
        let v = stack
            .anon
            .raw(LOCATE, json!({"c": council, "p": postcode}))
            .await
            .unwrap();
        assert_eq!(v["errors"], Value::Null, "{postcode}: {v}");
        assert_eq!(v["data"]["locatePostcode"], Value::Null, "{postcode}: {v}");
    }
    // The service itself names the field.
    let client = roundabout_support::client::ServiceClient::new(
        "eligibility",
        &stack.eligibility_url,
        roundabout_support::testing::test_client_auth(),
        reqwest::Client::new(),
    );
    let err = client
        .get::<Value>(
            &format!("/internal/councils/{council}/postcodes/OX"),
            &roundabout_support::internal_auth::Caller::anonymous(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"), "{err}");
    // And still works: the good rows import once the bad one is corrected.
    let fixed = csv.replace("OX,51.7", "OX29,51.7");
    let p = ok(
        &officer,
        "importPostcodes",
        IMPORT_POSTCODES,
        json!({"input": {"councilId": council, "csv": fixed}}),
    )
    .await;
    assert_eq!(p["importedCount"], 3);
    let v = stack
        .anon
        .query(LOCATE, json!({"c": council, "p": "OX28 4AB"}))
        .await
        .unwrap();
    assert_eq!(v["locatePostcode"]["lat"], 51.786);
}

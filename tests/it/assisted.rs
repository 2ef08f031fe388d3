//! Assisted booking: an officer finds a household of the council and acts
//! for it — reads and updates its profile, searches offers, books by invoice
//! and cancels — every action in the council's audit log with the officer's
//! name. Officers of other councils and other households are refused and
//! change nothing.

use crate::support::bookings::*;
use crate::support::eligibility::profile;
use crate::support::error_code;
use chrono::Duration;
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

const HOUSEHOLDS: &str = "query($c: ID!, $s: String, $first: Int, $after: String) { council(id: $c) { \
    households(search: $s, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } \
    nodes { id email displayName } } } }";

const AUDIT: &str = "query($c: ID!, $h: ID, $first: Int, $after: String) { council(id: $c) { \
    auditLog(householdId: $h, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } \
    nodes { id officerId officerName household { id } action targetId outcome detail at finishedAt } } } }";

const UPDATE: &str = "mutation($input: HouseholdProfileInput!) { updateHouseholdProfile(input: $input) { \
    household { id } userErrors { field code message } } }";

const PROFILE: &str = "query($id: ID!) { household(id: $id) { id email profile { members carsOwned } } }";

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id } price { householdPence } } }";

async fn audit(officer: &GraphqlClient, council: &str, household: Option<&str>) -> Value {
    let v = officer
        .query(AUDIT, json!({"c": council, "h": household, "first": 100}))
        .await
        .unwrap();
    v["council"]["auditLog"].clone()
}

async fn audit_rows(w: &World) -> i64 {
    rows(&w.stack.gateway_pool, "select count(*) from assisted_actions").await
}

async fn members(h: &GraphqlClient, id: &str) -> i64 {
    let v = h.query(PROFILE, json!({"id": id})).await.unwrap();
    v["household"]["profile"]["members"].as_i64().unwrap()
}

#[tokio::test]
async fn an_officer_acts_for_a_household_and_every_action_is_audited() {
    let w = World::new(20_000_000).await;
    let (h1, h1_id) = w.household("ann.smith@wox.test").await;
    let (h2, h2_id) = w.household("bob.jones@wox.test").await;
    let (other_council, other_officer) = w.stack.council("OTH", "officer@oth.test").await;
    let start = in_days(3);

    // Finding households: by email, any case; wildcards are plain text.
    let v = w
        .officer
        .query(HOUSEHOLDS, json!({"c": w.council, "s": "  ANN.S "}))
        .await
        .unwrap();
    let found = &v["council"]["households"];
    assert_eq!(found["totalCount"], 1, "{v}");
    assert_eq!(found["nodes"][0]["id"], h1_id.as_str());
    assert_eq!(found["nodes"][0]["email"], "ann.smith@wox.test");
    let v = w
        .officer
        .query(HOUSEHOLDS, json!({"c": w.council, "s": "%"}))
        .await
        .unwrap();
    assert_eq!(v["council"]["households"]["totalCount"], 0, "{v}");
    let v = w
        .officer
        .query(HOUSEHOLDS, json!({"c": w.council, "first": 1}))
        .await
        .unwrap();
    let page = &v["council"]["households"];
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["pageInfo"]["endCursor"].as_str().unwrap();
    let v = w
        .officer
        .query(HOUSEHOLDS, json!({"c": w.council, "first": 1, "after": after}))
        .await
        .unwrap();
    assert_eq!(v["council"]["households"]["nodes"][0]["id"], h2_id.as_str());
    // Only the council's officers search its households.
    for (who, client) in [("other officer", &other_officer), ("household", &h1)] {
        let v = client.raw(HOUSEHOLDS, json!({"c": w.council})).await.unwrap();
        assert_eq!(error_code(&v), "FORBIDDEN", "{who}: {v}");
    }
    // The other council's officer finds none of these.
    let v = other_officer
        .query(HOUSEHOLDS, json!({"c": other_council, "s": "ann"}))
        .await
        .unwrap();
    assert_eq!(v["council"]["households"]["totalCount"], 0);
    assert_eq!(audit_rows(&w).await, 0, "searching is not acting for a household");

    // Reading the profile.
    assert_eq!(members(&w.officer, &h1_id).await, 2);

    // Updating it for the household.
    let mut input = profile(WITNEY.0, WITNEY.1, 1_500_000, 0);
    input["members"] = json!(3);
    input["householdId"] = json!(h1_id);
    let p = w
        .officer
        .mutate("updateHouseholdProfile", UPDATE, json!({"input": input}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["household"]["id"], h1_id.as_str());
    assert_eq!(members(&h1, &h1_id).await, 3);
    // A field the service refuses comes back at the field, and is recorded as refused.
    let mut bad = input.clone();
    bad["members"] = json!(0);
    let p = w
        .officer
        .mutate("updateHouseholdProfile", UPDATE, json!({"input": bad}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "members"]), "{p}");
    assert_eq!(members(&h1, &h1_id).await, 3);

    // Offers for the household.
    let offers_input = json!({"kind": "HIRE", "start": start, "end": start + Duration::hours(4), "householdId": h1_id});
    let v = w.officer.query(OFFERS, json!({"i": offers_input})).await.unwrap();
    let offers = v["offers"].as_array().unwrap();
    assert!(!offers.is_empty(), "{v}");
    // Subsidised: the household's own eligibility is applied.
    assert_eq!(offers[0]["price"]["householdPence"], 1560, "{v}");

    // Booking for it, by invoice.
    let mut input = hire(&w.vehicles[0], start, 4, "assisted-1");
    input["householdId"] = json!(h1_id);
    let p = book(&w.officer, input).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let booking = p["booking"]["id"].as_str().unwrap().to_string();
    assert_eq!(p["booking"]["status"], "CONFIRMED");
    assert_eq!(p["booking"]["household"]["id"], h1_id.as_str());
    assert_eq!(p["booking"]["payment"]["method"], "INVOICE");
    let mine = h1
        .query("{ me { household { bookings { nodes { id } } } } }", json!({}))
        .await
        .unwrap();
    assert_eq!(mine["me"]["household"]["bookings"]["nodes"][0]["id"], booking.as_str());

    // A booking the service refuses is recorded with its reason.
    let mut taken = hire(&w.vehicles[0], start + Duration::hours(1), 2, "assisted-2");
    taken["householdId"] = json!(h1_id);
    let p = book(&w.officer, taken).await;
    assert_eq!(code(&p), "SLOT_UNAVAILABLE", "{p}");

    // Refusals: an officer of another council, another household, a bad id.
    let before = (
        audit_rows(&w).await,
        rows(&w.stack.bookings_pool, "select count(*) from bookings").await,
    );
    let mut other_profile = profile(WITNEY.0, WITNEY.1, 1_500_000, 0);
    other_profile["members"] = json!(9);
    for (who, client, id) in [
        ("other council's officer", &other_officer, h1_id.as_str()),
        ("another household", &h2, h1_id.as_str()),
        ("a malformed id", &w.officer, "not-an-id"),
        (
            "an unknown household",
            &w.officer,
            "6f1c1c52-5f59-4f55-9d4b-2d0c8e1a0b01",
        ),
    ] {
        other_profile["householdId"] = json!(id);
        let v = client.raw(UPDATE, json!({"input": other_profile})).await.unwrap();
        assert_eq!(error_code(&v), "FORBIDDEN", "{who} updates: {v}");
        let mut i = offers_input.clone();
        i["householdId"] = json!(id);
        let v = client.raw(OFFERS, json!({"i": i})).await.unwrap();
        assert_eq!(error_code(&v), "FORBIDDEN", "{who} searches: {v}");
        let mut i = hire(&w.vehicles[1], start, 2, "refused");
        i["householdId"] = json!(id);
        let v = client.raw(&book_mutation(), json!({"i": i})).await.unwrap();
        assert_eq!(error_code(&v), "FORBIDDEN", "{who} books: {v}");
    }
    // The other council's officer cannot see or cancel the booking.
    let p = other_officer
        .mutate("cancelBooking", &cancel_mutation(), json!({"id": booking}))
        .await
        .unwrap();
    assert_eq!(code(&p), "NOT_FOUND", "{p}");
    let v = other_officer.query(PROFILE, json!({"id": h1_id})).await.unwrap();
    assert_eq!(v["household"], Value::Null);
    assert_eq!(
        (
            audit_rows(&w).await,
            rows(&w.stack.bookings_pool, "select count(*) from bookings").await,
        ),
        before,
        "nothing changes on refusal"
    );
    assert_eq!(members(&h1, &h1_id).await, 3);

    // The household's own actions are its own: not in the log.
    let p = book(&h2, hire(&w.vehicles[1], start, 2, "own")).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(audit_rows(&w).await, before.0);

    // Cancelling for the household.
    let p = w
        .officer
        .mutate(
            "cancelBooking",
            &cancel_mutation(),
            json!({"id": booking, "r": "Asked by phone"}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["booking"]["status"], "CANCELLED");

    // The audit log: every action, newest first, with the officer's name.
    let log = audit(&w.officer, &w.council, Some(&h1_id)).await;
    let nodes = log["nodes"].as_array().unwrap();
    let officer_id = {
        let v = w.officer.query("{ me { id } }", json!({})).await.unwrap();
        v["me"]["id"].as_str().unwrap().to_string()
    };
    for n in nodes {
        assert_eq!(n["officerName"], "officer@wox.test", "{n}");
        assert_eq!(n["officerId"], officer_id.as_str());
        assert_eq!(n["household"]["id"], h1_id.as_str());
        assert_ne!(n["outcome"], "PENDING", "{n}");
        assert!(n["finishedAt"].is_string(), "{n}");
    }
    let seen: Vec<(&str, &str, Option<&str>)> = nodes
        .iter()
        .map(|n| {
            (
                n["action"].as_str().unwrap(),
                n["outcome"].as_str().unwrap(),
                n["detail"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("CANCELLATION", "SUCCEEDED", None),
            ("BOOKING", "REFUSED", Some("SLOT_UNAVAILABLE")),
            ("BOOKING", "SUCCEEDED", None),
            (
                "OFFERS_SEARCH",
                "SUCCEEDED",
                Some(format!("{} offers", offers.len()).as_str())
            ),
            ("PROFILE_UPDATE", "REFUSED", Some("INVALID_INPUT")),
            ("PROFILE_UPDATE", "SUCCEEDED", None),
            ("PROFILE_READ", "SUCCEEDED", None),
        ],
        "{log}"
    );
    assert_eq!(nodes[0]["targetId"], booking.as_str());
    assert_eq!(nodes[2]["targetId"], booking.as_str());
    assert_eq!(log["totalCount"], 7);

    // Paging, newest first.
    let v = w
        .officer
        .query(AUDIT, json!({"c": w.council, "h": h1_id, "first": 3}))
        .await
        .unwrap();
    let page = &v["council"]["auditLog"];
    assert_eq!(page["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let v = w
        .officer
        .query(
            AUDIT,
            json!({"c": w.council, "h": h1_id, "first": 10, "after": page["pageInfo"]["endCursor"]}),
        )
        .await
        .unwrap();
    let rest = v["council"]["auditLog"]["nodes"].as_array().unwrap();
    assert_eq!(rest.len(), 4);
    assert_eq!(rest[0]["id"], nodes[3]["id"]);

    // The whole council's log holds only h1's entries; the admin sees it too.
    let all = audit(&w.stack.admin, &w.council, None).await;
    assert_eq!(all["totalCount"], 7, "{all}");
    // Nobody else reads it.
    for (who, client) in [
        ("other officer", &other_officer),
        ("household", &h1),
        ("provider", &w.provider),
    ] {
        let v = client.raw(AUDIT, json!({"c": w.council})).await.unwrap();
        assert_eq!(error_code(&v), "FORBIDDEN", "{who}: {v}");
    }
    // The other council's log is empty.
    let theirs = audit(&other_officer, &other_council, None).await;
    assert_eq!(theirs["totalCount"], 0);

    // The eligibility service recorded the officer's profile read as well.
    let reads: Vec<(String, Option<String>)> =
        sqlx::query_as("select reader_kind, reader_name from profile_reads where household_id = $1::uuid order by id")
            .bind(&h1_id)
            .fetch_all(&w.stack.eligibility_pool)
            .await
            .unwrap();
    assert!(
        reads.contains(&("officer".into(), Some("officer@wox.test".into()))),
        "{reads:?}"
    );
}

#[tokio::test]
async fn a_household_passing_its_own_id_acts_for_itself_unaudited() {
    let w = World::new(20_000_000).await;
    let (h1, h1_id) = w.household("ann@wox.test").await;
    let mut input = hire(&w.vehicles[0], in_days(2), 2, "self");
    input["householdId"] = json!(h1_id);
    let p = book(&h1, input).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["booking"]["household"]["id"], h1_id.as_str());
    // An officer without a household id is still refused: offers and bookings are for a household.
    let v = w
        .officer
        .raw(&book_mutation(), json!({"i": hire(&w.vehicles[1], in_days(2), 2, "x")}))
        .await
        .unwrap();
    assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    assert_eq!(audit_rows(&w).await, 0);
    // A profile read by the household itself is not audited; the officer's is.
    members(&h1, &h1_id).await;
    assert_eq!(audit_rows(&w).await, 0);
    members(&w.officer, &h1_id).await;
    assert_eq!(audit_rows(&w).await, 1);
}

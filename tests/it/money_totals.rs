//! Money past 32 bits through the gateway: GraphQL's `Int` stops at
//! 2,147,483,647 pence (£21,474,836.47). A scheme's budget may be up to
//! £1bn, so its `Int` fields refuse a larger value with `VALUE_TOO_LARGE`
//! (never a capped or out-of-range number) and the `…Amount` fields of the
//! `Pence` scalar show it exactly.

use crate::support::bookings::*;
use crate::support::eligibility::{ev_scheme, ok};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

const LARGE_BUDGET: i64 = 3_000_000_000;

/// Creating and publishing a scheme, asking only for what `Int` can show.
const CREATE: &str = "mutation($input: SchemeInput!) { createScheme(input: $input) { scheme { id budgetAmount } userErrors { field code message } } }";
const PUBLISH: &str =
    "mutation($id: ID!) { publishScheme(id: $id) { scheme { id status } userErrors { field code message } } }";

const SCHEME_EXACT: &str =
    "query($id: ID!) { council(id: $id) { schemes { name budgetAmount committedAmount remainingAmount } } }";
const SCHEME_INT: &str = "query($id: ID!) { council(id: $id) { schemes { budgetPence } } }";
const REPORT_EXACT: &str =
    "query($c: ID!, $f: DateTime!, $t: DateTime!) { councilReport(councilId: $c, from: $f, to: $t) { \
    bookings subsidyPence subsidyAmount grossAmount householdPaidAmount refundedAmount cancellationChargesAmount \
    byScheme { subsidyAmount committedAmount remainingAmount } \
    spendOverTime { budgetAmount spentBeforeAmount points { subsidyAmount spentToDateAmount } } } }";
const REPORT_INT: &str =
    "query($c: ID!, $f: DateTime!, $t: DateTime!) { councilReport(councilId: $c, from: $f, to: $t) { \
    spendOverTime { budgetPence } } }";

/// The `extensions.code` of each error.
fn codes(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_past_32_bits_are_exact_as_pence_and_refused_as_int() {
    // A scheme of £10 pays 40 % of a £13 hire; then a second scheme of
    // £30m is published.
    let w = World::new(1_000).await;
    let (h, _) = w.household("large@example.test").await;
    let began = Utc::now() - Duration::minutes(1);
    let b = book(&h, hire(&w.vehicles[0], in_days(2), 2, "one")).await;
    assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
    let zones: Vec<String> = Vec::new();
    let mut input = ev_scheme(&w.council, &zones.iter().map(String::as_str).collect::<Vec<_>>());
    input["name"] = json!("Large scheme");
    input["budgetPence"] = json!(LARGE_BUDGET);
    let large = ok(&w.officer, "createScheme", CREATE, json!({"input": input})).await;
    assert_eq!(large["scheme"]["budgetAmount"], "3000000000", "{large}");
    ok(
        &w.officer,
        "publishScheme",
        PUBLISH,
        json!({"id": large["scheme"]["id"]}),
    )
    .await;

    // Exact: each budget, what the hire committed and what is left.
    let exact = w.officer.query(SCHEME_EXACT, json!({"id": w.council})).await.unwrap();
    let mut schemes = exact["council"]["schemes"].as_array().unwrap().clone();
    schemes.sort_by_key(|s| s["name"].as_str().unwrap().to_string());
    assert_eq!(
        schemes,
        [
            json!({"name": "EV lease support", "budgetAmount": "1000", "committedAmount": "520", "remainingAmount": "480"}),
            json!({"name": "Large scheme", "budgetAmount": "3000000000", "committedAmount": "0", "remainingAmount": "3000000000"}),
        ]
    );

    // As Int: refused with its code, never 2147483647 nor 3000000000.
    let int = w.officer.raw(SCHEME_INT, json!({"id": w.council})).await.unwrap();
    assert_eq!(codes(&int), ["VALUE_TOO_LARGE"], "{int}");
    let text = int.to_string();
    assert!(!text.contains("2147483647") && !text.contains("3000000000"), "{text}");
    // The refused scheme is null in the list, with the error's path naming it.
    let listed = int["data"]["council"]["schemes"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{int}");
    assert!(listed.contains(&json!({"budgetPence": 1_000})), "{int}");
    assert!(listed.contains(&Value::Null), "{int}");
    let path = &int["errors"][0]["path"];
    assert_eq!(path[0], "council", "{int}");
    assert_eq!(path.as_array().map(Vec::len), Some(4), "{int}");
    assert_eq!(path[3], "budgetPence", "{int}");
    assert!(
        int["errors"][0]["message"].as_str().unwrap().contains("budgetPence"),
        "{int}"
    );

    // The report: totals that fit are the same in both forms; the budget
    // line past 32 bits is exact as Pence and refused as Int.
    let vars = json!({"c": w.council, "f": began, "t": Utc::now() + Duration::days(30)});
    let r = w.officer.query(REPORT_EXACT, vars.clone()).await.unwrap()["councilReport"].clone();
    assert_eq!(r["bookings"], 1, "{r}");
    assert_eq!(r["subsidyPence"], 520, "{r}");
    assert_eq!(r["subsidyAmount"], "520", "{r}");
    assert_eq!(r["grossAmount"], "1300", "{r}");
    assert_eq!(r["householdPaidAmount"], "780", "{r}");
    assert_eq!(r["refundedAmount"], "0", "{r}");
    assert_eq!(r["cancellationChargesAmount"], "0", "{r}");
    assert_eq!(
        r["byScheme"],
        json!([{"subsidyAmount": "520", "committedAmount": "520", "remainingAmount": "480"}])
    );
    assert_eq!(r["spendOverTime"]["budgetAmount"], "3000001000", "{r}");
    assert_eq!(r["spendOverTime"]["spentBeforeAmount"], "0", "{r}");
    let spent: Vec<&str> = r["spendOverTime"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spentToDateAmount"].as_str().unwrap())
        .collect();
    assert_eq!(spent.last(), Some(&"520"), "{r}");

    let int = w.officer.raw(REPORT_INT, vars).await.unwrap();
    assert_eq!(codes(&int), ["VALUE_TOO_LARGE"], "{int}");
    assert!(!int.to_string().contains("2147483647"), "{int}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_int_budget_is_shown_as_int() {
    let w = World::new(i64::from(i32::MAX)).await;
    let int = w.officer.query(SCHEME_INT, json!({"id": w.council})).await.unwrap();
    assert_eq!(int["council"]["schemes"], json!([{"budgetPence": 2_147_483_647}]));
    let exact = w.officer.query(SCHEME_EXACT, json!({"id": w.council})).await.unwrap();
    assert_eq!(exact["council"]["schemes"][0]["budgetAmount"], "2147483647");
}

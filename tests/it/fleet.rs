//! Providers and fleets through the gateway: sign up, apply, approval by the
//! council's officers, the fleet and its pages, bad input that changes
//! nothing, import, the DataLoader batching and the public GBFS feed.

use crate::support::*;
use roundabout::graphql_client::{user_error_code, GraphqlClient};
use serde_json::{json, Value};

const APPLY: &str = "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id name status(councilId: $c) } userErrors { field code message } } }";
const APPROVE: &str = "mutation($c: ID!, $p: ID!) { approveProvider(councilId: $c, providerId: $p) { provider { id status(councilId: $c) councils { code } } userErrors { field code message } } }";
const SUSPEND: &str = "mutation($c: ID!, $p: ID!) { suspendProvider(councilId: $c, providerId: $p) { provider { status(councilId: $c) } userErrors { field code message } } }";
const VEHICLE_FIELDS: &str = "id kind make model registration seats propulsion rangeKm co2GramsPerKm wheelchairAccessible location { lat lon } status pricing { currency perHourPence perDayPence perMonthLeasePence depositPence } provider { name }";

fn add_vehicle() -> String {
    format!("mutation($i: VehicleInput!) {{ addVehicle(input: $i) {{ vehicle {{ {VEHICLE_FIELDS} }} userErrors {{ field code message }} }} }}")
}

fn vehicle_input(lat: f64, lon: f64) -> Value {
    json!({
        "kind": "CAR", "make": "Renault", "model": "Zoe", "seats": 5, "propulsion": "ELECTRIC",
        "rangeKm": 300, "co2GramsPerKm": 0, "wheelchairAccessible": false,
        "location": {"lat": lat, "lon": lon},
        "pricing": {"perHourPence": 650, "perDayPence": 4500, "depositPence": 10000}
    })
}

use crate::support::eligibility::count;

/// Signs up a provider organisation; returns its client and id.
async fn provider(stack: &Stack, email: &str, name: &str) -> (GraphqlClient, String) {
    let p = stack
        .anon
        .mutate(
            "signUpProvider",
            SIGN_UP_PROVIDER,
            json!({"input": {"email": email, "password": PASSWORD, "organisationName": name}}),
        )
        .await
        .unwrap();
    let id = p["viewer"]["provider"]["id"].as_str().unwrap().to_string();
    (stack.anon.with_token(p["token"].as_str().unwrap()), id)
}

/// A council with an approved provider; returns (council, officer, provider client, provider id).
async fn approved_provider(stack: &Stack) -> (String, GraphqlClient, GraphqlClient, String) {
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let (prov, pid) = provider(stack, "fleet@cotswold.test", "Cotswold Car Club").await;
    prov.mutate("applyToCouncil", APPLY, json!({"c": council}))
        .await
        .unwrap();
    let p = officer
        .mutate("approveProvider", APPROVE, json!({"c": council, "p": pid}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    (council, officer, prov, pid)
}

#[tokio::test]
async fn a_provider_applies_and_only_officers_of_that_council_approve_it() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let (other_council, other_officer) = stack.council("OXF", "officer@oxf.test").await;
    let (prov, pid) = provider(&stack, "fleet@cotswold.test", "Cotswold Car Club").await;

    let p = prov
        .mutate("applyToCouncil", APPLY, json!({"c": council}))
        .await
        .unwrap();
    assert_eq!(p["provider"]["status"], "PENDING", "{p}");
    let p = prov
        .mutate(
            "applyToCouncil",
            APPLY,
            json!({"c": "00000000-0000-0000-0000-000000000000"}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(p["userErrors"][0]["field"], json!(["councilId"]));

    let listed = officer
        .query(
            "query($c: ID!) { council(id: $c) { providers(status: PENDING) { id name status(councilId: $c) mine: status } } }",
            json!({"c": council}),
        )
        .await
        .unwrap();
    assert_eq!(
        listed["council"]["providers"],
        json!([{"id": pid, "name": "Cotswold Car Club", "status": "PENDING", "mine": "PENDING"}])
    );
    // Officers of another council neither see nor decide.
    let res = other_officer
        .raw(
            "query($c: ID!) { council(id: $c) { providers { id } } }",
            json!({"c": council}),
        )
        .await
        .unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let before: Vec<(String,)> = sqlx::query_as("select status from provider_councils")
        .fetch_all(&stack.inventory_pool)
        .await
        .unwrap();
    let res = other_officer
        .raw(APPROVE, json!({"c": council, "p": pid}))
        .await
        .unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = prov.raw(APPROVE, json!({"c": council, "p": pid})).await.unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = stack.anon.raw(APPROVE, json!({"c": council, "p": pid})).await.unwrap();
    assert_eq!(error_code(&res), "UNAUTHENTICATED");
    let after: Vec<(String,)> = sqlx::query_as("select status from provider_councils")
        .fetch_all(&stack.inventory_pool)
        .await
        .unwrap();
    assert_eq!(before, after);
    // Approving in a council it never applied to is NOT_FOUND.
    let p = other_officer
        .mutate("approveProvider", APPROVE, json!({"c": other_council, "p": pid}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("NOT_FOUND"));

    let p = officer
        .mutate("approveProvider", APPROVE, json!({"c": council, "p": pid}))
        .await
        .unwrap();
    assert_eq!(p["provider"]["status"], "APPROVED", "{p}");
    assert_eq!(p["provider"]["councils"], json!([{"code": "WOX"}]));
    let me = prov
        .query("{ me { provider { name status councils { code } } } }", json!({}))
        .await
        .unwrap();
    // A provider's own status without a council is PENDING (it has no council of its own).
    assert_eq!(me["me"]["provider"]["councils"], json!([{"code": "WOX"}]));

    let p = officer
        .mutate("suspendProvider", SUSPEND, json!({"c": council, "p": pid}))
        .await
        .unwrap();
    assert_eq!(p["provider"]["status"], "SUSPENDED");
    let household = stack.household(&council, "resident@example.org").await;
    let res = household
        .raw(
            "query($c: ID!) { council(id: $c) { providers { id } } }",
            json!({"c": council}),
        )
        .await
        .unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
}

#[tokio::test]
async fn a_provider_lists_and_edits_its_fleet_and_bad_input_changes_nothing() {
    let stack = Stack::start().await;
    let (_council, officer, prov, pid) = approved_provider(&stack).await;
    let mut input = vehicle_input(51.785, -1.485);
    input["registration"] = json!("ab12 cde");
    let p = prov
        .mutate("addVehicle", &add_vehicle(), json!({"i": input}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let v = &p["vehicle"];
    assert_eq!(v["registration"], "AB12CDE");
    assert_eq!(
        v["pricing"],
        json!({"currency": "GBP", "perHourPence": 650, "perDayPence": 4500, "perMonthLeasePence": null, "depositPence": 10000})
    );
    assert_eq!(v["provider"]["name"], "Cotswold Car Club");
    let id = v["id"].as_str().unwrap().to_string();
    let before = count(&stack.inventory_pool, "vehicles").await;

    let cases = [
        (json!({"seats": 0}), "INVALID_INPUT", json!(["input", "seats"])),
        (json!({"seats": 17}), "INVALID_INPUT", json!(["input", "seats"])),
        (
            json!({"pricing": {"perHourPence": -100}}),
            "INVALID_INPUT",
            json!(["input", "pricing", "perHourPence"]),
        ),
        (
            json!({"pricing": {"perMonthLeasePence": 1_000_000_000}}),
            "INVALID_INPUT",
            json!(["input", "pricing", "perMonthLeasePence"]),
        ),
        (
            json!({"pricing": {"depositPence": 500}}),
            "INVALID_INPUT",
            json!(["input", "pricing"]),
        ),
        (
            json!({"location": {"lat": -95.0, "lon": 0.0}}),
            "INVALID_INPUT",
            json!(["input", "location", "lat"]),
        ),
        (
            json!({"location": {"lat": 52.37, "lon": 4.90}}),
            "INVALID_INPUT",
            json!(["input", "location"]),
        ),
        (
            json!({"registration": "AB12CDE"}),
            "REGISTRATION_TAKEN",
            json!(["input", "registration"]),
        ),
    ];
    for (change, code, field) in cases {
        let mut i = vehicle_input(51.785, -1.485);
        for (k, val) in change.as_object().unwrap() {
            i[k] = val.clone();
        }
        let p = prov
            .mutate("addVehicle", &add_vehicle(), json!({"i": i}))
            .await
            .unwrap();
        assert_eq!(p["vehicle"], Value::Null, "{change}");
        assert_eq!(p["userErrors"][0]["code"], code, "{change}: {p}");
        assert_eq!(p["userErrors"][0]["field"], field, "{change}");
    }
    // An unknown enum value is refused by the schema itself.
    let mut i = vehicle_input(51.785, -1.485);
    i["kind"] = json!("HOVERCRAFT");
    let res = prov.raw(&add_vehicle(), json!({"i": i})).await.unwrap();
    assert!(
        res["errors"][0]["message"].as_str().unwrap().contains("HOVERCRAFT"),
        "{res}"
    );
    assert_eq!(count(&stack.inventory_pool, "vehicles").await, before);

    // Officers and households cannot add vehicles; another provider cannot edit this one.
    let res = officer
        .raw(&add_vehicle(), json!({"i": vehicle_input(51.785, -1.485)}))
        .await
        .unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let (rival, _) = provider(&stack, "fleet@rival.test", "Rival Cars").await;
    let update = format!("mutation($id: ID!, $i: VehicleInput!) {{ updateVehicle(id: $id, input: $i) {{ vehicle {{ {VEHICLE_FIELDS} }} userErrors {{ field code message }} }} }}");
    let mut edit = vehicle_input(51.79, -1.49);
    edit["model"] = json!("Megane");
    let res = rival.raw(&update, json!({"id": id, "i": edit})).await.unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let status = "mutation($id: ID!, $s: VehicleStatus!) { setVehicleStatus(id: $id, status: $s) { vehicle { status } userErrors { code } } }";
    let res = rival.raw(status, json!({"id": id, "s": "RETIRED"})).await.unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let seen = stack
        .anon
        .query(
            "query($id: ID!) { vehicle(id: $id) { model status registration } }",
            json!({"id": id}),
        )
        .await
        .unwrap();
    // Unchanged; and the plate is the provider's to see.
    assert_eq!(
        seen["vehicle"],
        json!({"model": "Zoe", "status": "AVAILABLE", "registration": null})
    );

    let p = prov
        .mutate("updateVehicle", &update, json!({"id": id, "i": edit}))
        .await
        .unwrap();
    assert_eq!(p["vehicle"]["model"], "Megane", "{p}");
    let p = prov
        .mutate("setVehicleStatus", status, json!({"id": id, "s": "MAINTENANCE"}))
        .await
        .unwrap();
    assert_eq!(p["vehicle"]["status"], "MAINTENANCE");
    let p = prov
        .mutate(
            "setVehicleStatus",
            status,
            json!({"id": "00000000-0000-0000-0000-000000000000", "s": "RETIRED"}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("NOT_FOUND"));

    // The fleet, page by page, in a stable order.
    for i in 0..4 {
        prov.mutate(
            "addVehicle",
            &add_vehicle(),
            json!({"i": vehicle_input(51.78 + i as f64 * 0.001, -1.48)}),
        )
        .await
        .unwrap();
    }
    let page_q = "query($p: ID!, $after: String) { vehicle(id: $p) { id } me { provider { vehicles(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } nodes { id } } } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    loop {
        let page = prov.query(page_q, json!({"p": pid, "after": after})).await.unwrap();
        let conn = &page["me"]["provider"]["vehicles"];
        assert_eq!(conn["totalCount"], 5);
        let nodes: Vec<Value> = conn["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].clone())
            .collect();
        let edges: Vec<Value> = conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect();
        assert_eq!(nodes, edges);
        seen.extend(nodes);
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], id);
    // Others do not see the fleet; a forged cursor is refused.
    let res = stack
        .anon
        .raw(
            "query($p: ID!) { vehicle(id: $p) { provider { vehicles { totalCount } } } }",
            json!({"p": id}),
        )
        .await
        .unwrap();
    assert_eq!(error_code(&res), "FORBIDDEN");
    let res = prov
        .raw(
            "{ me { provider { vehicles(after: \"bm9wZQ\") { totalCount } } } }",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(error_code(&res), "INVALID_INPUT");
}

async fn metric(url: &str, route: &str) -> f64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("http_requests_total") && l.contains(&format!("route=\"{route}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn vehicles_and_their_providers_resolve_in_one_batch_call_each() {
    let stack = Stack::start().await;
    let (_council, _officer, prov, _pid) = approved_provider(&stack).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let p = prov
            .mutate(
                "addVehicle",
                &add_vehicle(),
                json!({"i": vehicle_input(51.78 + i as f64 * 0.001, -1.48)}),
            )
            .await
            .unwrap();
        ids.push(p["vehicle"]["id"].as_str().unwrap().to_string());
    }
    let fields: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("v{i}: vehicle(id: \"{id}\") {{ id provider {{ name }} }}"))
        .collect();
    let vehicles_before = metric(&stack.inventory.metrics_url, "/internal/vehicles/batch").await;
    let providers_before = metric(&stack.inventory.metrics_url, "/internal/providers/batch").await;
    let data = stack
        .anon
        .query(&format!("{{ {} }}", fields.join(" ")), json!({}))
        .await
        .unwrap();
    assert_eq!(data.as_object().unwrap().len(), 20);
    assert_eq!(data["v19"]["provider"]["name"], "Cotswold Car Club");
    assert_eq!(
        metric(&stack.inventory.metrics_url, "/internal/vehicles/batch").await - vehicles_before,
        1.0
    );
    // Their providers load together too. The 20 resolvers resume after the
    // vehicles arrive; on a heavily loaded machine a few may resume after the
    // loader's wait and make a second call, never one per vehicle.
    let provider_calls = metric(&stack.inventory.metrics_url, "/internal/providers/batch").await - providers_before;
    assert!(
        (1.0..=2.0).contains(&provider_calls),
        "{provider_calls} provider batch calls"
    );
}

const IMPORT: &str = "mutation($i: ImportVehiclesInput!) { importVehicles(input: $i) { importedCount vehicles { id make } rowErrors { line field code message } userErrors { field code message } } }";

#[tokio::test]
async fn a_fleet_imports_all_or_nothing() {
    let stack = Stack::start().await;
    let (_council, _officer, prov, _pid) = approved_provider(&stack).await;
    let header = "kind,make,model,registration,seats,propulsion,lat,lon,per_hour_pence,per_day_pence";
    let bad = format!(
        "{header}\nCAR,Renault,Zoe,IMP1,5,ELECTRIC,51.78,-1.48,650,\nCAR,Renault,Zoe,IMP2,5,ELECTRIC,51.78,-1.48,,\n"
    );
    let p = prov
        .mutate("importVehicles", IMPORT, json!({"i": {"format": "CSV", "csv": bad}}))
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 0);
    assert_eq!(p["rowErrors"][0]["line"], 3, "{p}");
    assert_eq!(p["rowErrors"][0]["field"], "pricing");
    assert_eq!(p["userErrors"][0]["code"], "INVALID_INPUT");
    assert_eq!(count(&stack.inventory_pool, "vehicles").await, 0);

    let good = format!("{header}\nCAR,Renault,Zoe,IMP1,5,ELECTRIC,51.78,-1.48,650,\nEBIKE,Raleigh,Motus,,1,ELECTRIC_ASSIST,51.78,-1.48,300,\n");
    let p = prov
        .mutate("importVehicles", IMPORT, json!({"i": {"format": "CSV", "csv": good}}))
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 2, "{p}");
    assert_eq!(p["vehicles"][1]["make"], "Raleigh");
    assert_eq!(count(&stack.inventory_pool, "vehicles").await, 2);

    // A 50 MB body is refused before it is read, with a typed error.
    let huge = "x".repeat(50 * 1024 * 1024);
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", stack.gateway_url))
        .json(&json!({"query": IMPORT, "variables": {"i": {"format": "CSV", "csv": huge}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), "PAYLOAD_TOO_LARGE");
    assert_eq!(count(&stack.inventory_pool, "vehicles").await, 2);
}

#[tokio::test]
async fn the_council_gbfs_feed_publishes_approved_vehicles_and_validates() {
    let stack = Stack::start().await;
    let (council, officer, prov, _pid) = approved_provider(&stack).await;
    let mut wav = vehicle_input(51.79, -1.49);
    wav["kind"] = json!("WAV");
    wav["wheelchairAccessible"] = json!(true);
    wav["propulsion"] = json!("DIESEL");
    wav["pricing"] = json!({"perDayPence": 5500});
    let mut bike = vehicle_input(51.78, -1.47);
    bike["kind"] = json!("EBIKE");
    bike["propulsion"] = json!("HUMAN");
    bike["seats"] = json!(1);
    bike["pricing"] = json!({"perMonthLeasePence": 3000});
    for i in [vehicle_input(51.785, -1.485), wav, bike, vehicle_input(51.785, -1.65)] {
        let p = prov
            .mutate("addVehicle", &add_vehicle(), json!({"i": i}))
            .await
            .unwrap();
        assert_eq!(p["userErrors"], json!([]), "{p}");
    }
    // A pending provider's vehicle is not published.
    let (pending, _) = provider(&stack, "fleet@pending.test", "Pending Cars").await;
    pending
        .mutate("applyToCouncil", APPLY, json!({"c": council}))
        .await
        .unwrap();
    pending
        .mutate(
            "addVehicle",
            &add_vehicle(),
            json!({"i": vehicle_input(51.785, -1.485)}),
        )
        .await
        .unwrap();
    let _ = officer;

    let base = format!("{}/gbfs/WOX", stack.gateway_url);
    let status: Value = reqwest::get(format!("{base}/vehicle_status.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Three of the approved provider's four are inside the boundary.
    assert_eq!(status["data"]["vehicles"].as_array().unwrap().len(), 3, "{status}");
    let zones: Value = reqwest::get(format!("{base}/geofencing_zones.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        zones["data"]["geofencing_zones"]["features"][0]["geometry"]["type"],
        "MultiPolygon"
    );
    let missing = reqwest::get(format!("{}/gbfs/NOPE/gbfs.json", stack.gateway_url))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let validator = roundabout_support::testing::tool("gbfs-validator");
    let url = format!("{base}/gbfs.json");
    let out = tokio::process::Command::new(validator)
        .args(["--url", &url, "--free-floating", "--fail-on-error"])
        .output()
        .await
        .unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["summary"]["hasErrors"], false, "{report:#}");
    assert_eq!(report["summary"]["version"]["detected"], "3.0");
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["exists"] == true)
        .filter_map(|f| f["file"].as_str())
        .collect();
    for f in [
        "gbfs.json",
        "system_information.json",
        "vehicle_types.json",
        "vehicle_status.json",
        "system_pricing_plans.json",
        "geofencing_zones.json",
    ] {
        assert!(files.contains(&f), "{f} not validated: {files:?}");
    }
}

//! Observability across the whole stack, every part a separate process
//! with JSON logs: a `traceparent` sent to the gateway with one booking is
//! found in the logs of the gateway and of each service the booking
//! touched, and every metric the alert rules and the dashboard in
//! `deploy/observability/` use is exported by some part — on its internal
//! metrics port, never on the port it serves requests on.

use crate::support;
use std::{collections::BTreeSet, path::Path};

use crate::support::bookings::in_days;
use crate::support::gql::{
    bookings::{book_vehicle, hire, BookVehicle},
    operation_text, Payload,
};
use crate::support::proc_stack::{world, ProcStack, WEBHOOK_SECRET};
use graphql_client::GraphQLQuery;
use serde_json::{json, Value};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARTS: [&str; 5] = ["gateway", "inventory", "eligibility", "bookings", "payments"];

/// Log lines (JSON objects) of `log` that mention `trace_id`.
fn lines_with(log: &str, trace_id: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| l.contains(trace_id))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect()
}

#[tokio::test]
async fn a_traceparent_sent_with_a_booking_reaches_every_part_and_the_metrics_the_alerts_use_exist() {
    let logs = std::env::temp_dir().join(format!("roundabout-observability-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    let stack = ProcStack::start(Some(&logs)).await;
    let w = world(&stack.gateway).await;
    let (token, vehicle) = (w.household_token, w.vehicle);
    let log = |part: &str| std::fs::read_to_string(logs.join(format!("{part}.log"))).unwrap_or_default();

    // One booking, sent with a trace context of our own.
    let q = BookVehicle::build_query(book_vehicle::Variables {
        input: hire(&vehicle, in_days(3), 4, "traced"),
    });
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", stack.gateway))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .json(&json!({
            "query": operation_text(q.query, q.operation_name),
            "operationName": q.operation_name,
            "variables": q.variables,
        }))
        .send()
        .await
        .unwrap();
    let echoed = res.headers()["traceresponse"].to_str().unwrap().to_string();
    assert!(echoed.starts_with(&format!("00-{TRACE_ID}-")), "{echoed}");
    let body: graphql_client::Response<book_vehicle::ResponseData> = res.json().await.unwrap();
    let booking = body
        .data
        .unwrap_or_else(|| panic!("no data: {:?}", body.errors))
        .book_vehicle;
    booking.assert_ok();
    let status = booking.booking.as_ref().map(|b| b.status.clone());
    assert_eq!(status, Some(book_vehicle::BookingStatus::Confirmed), "{booking:?}");

    // Every part logged the booking under the same trace id, as JSON: the
    // gateway and the services the saga called (inventory to check the
    // vehicle, eligibility to quote and hold/commit the subsidy, payments to
    // charge and capture, bookings itself).
    for part in PARTS {
        let lines = lines_with(&log(part), TRACE_ID);
        assert!(
            !lines.is_empty(),
            "{part} logged nothing with trace id {TRACE_ID}:\n{}",
            log(part)
        );
        let request = lines
            .iter()
            .find(|l| l["message"] == "request")
            .unwrap_or_else(|| panic!("{part} has no request line: {lines:?}"));
        assert_eq!(request["trace_id"], TRACE_ID, "{request}");
        assert!(request["route"].as_str().is_some(), "{request}");
        assert!(request["status"].as_u64().is_some(), "{request}");
    }
    // The gateway's hop is a child of the caller's span, not the same span.
    let gw = lines_with(&log("gateway"), TRACE_ID);
    assert!(gw.iter().all(|l| l["span"]["span_id"] != "00f067aa0ba902b7"), "{gw:?}");

    // A signed Stripe event (not one payments handles) and a forged one, so
    // the webhook metrics have observations.
    let event = json!({"id": "evt_observability", "type": "customer.created",
                       "created": chrono::Utc::now().timestamp() - 2, "data": {"object": {"id": "cus_1"}}})
    .to_string();
    let http = reqwest::Client::new();
    let webhook = format!("{}/webhooks/stripe", stack.url("payments"));
    let signature =
        roundabout_payments::domain::signature::sign(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), event.as_bytes());
    let r = http
        .post(&webhook)
        .header("stripe-signature", signature)
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = http
        .post(&webhook)
        .header("stripe-signature", "t=1,v1=00")
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The gauges read from the databases refresh at start and then every
    // 15–30 s; the first refresh ran before the booking, so wait for the next
    // only if a series is missing.
    let wanted = metric_names_used_by_deploy_files();
    assert!(wanted.len() >= 10, "{wanted:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let missing = loop {
        let mut exported = String::new();
        for part in PARTS {
            exported.push_str(
                &http
                    .get(format!("{}/metrics", stack.metrics_url(part)))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
        }
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|m| !exported.lines().any(|l| l.starts_with(m.as_str())))
            .collect();
        if missing.is_empty() || std::time::Instant::now() > deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    };
    assert!(
        missing.is_empty(),
        "metrics used in deploy/observability but exported by no part: {missing:?}"
    );
    // No part serves its metrics where it serves requests: the gateway's
    // port is public, the others are reached by other parts.
    for part in PARTS {
        let res = http.get(format!("{}/metrics", stack.url(part))).send().await.unwrap();
        assert_eq!(res.status(), 404, "{part} serves /metrics on its main port");
    }
    drop(stack);
    let _ = std::fs::remove_dir_all(logs);
}

#[tokio::test]
async fn the_gateways_public_port_has_no_metrics_and_its_internal_port_has() {
    let stack = support::Stack::start().await;
    let http = reqwest::Client::new();
    // A request to count.
    let res = http
        .post(format!("{}/graphql", stack.gateway_url))
        .json(&json!({"query": "{ councils { code } }"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    let public = http.get(format!("{}/metrics", stack.gateway_url)).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let body = public.text().await.unwrap();
    assert!(!body.contains("http_requests_total"), "{body}");
    // The probes orchestrators need stay where they were.
    for probe in ["/healthz", "/readyz"] {
        let res = http.get(format!("{}{probe}", stack.gateway_url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{probe}");
    }

    assert_ne!(stack.gateway.metrics_url, stack.gateway_url);
    let scraped = http
        .get(format!("{}/metrics", stack.gateway.metrics_url))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("service=\"gateway\""), "{text}");
    assert!(text.contains("route=\"/graphql\""), "{text}");
    // The metrics listener serves metrics and nothing else.
    let other = http
        .post(format!("{}/graphql", stack.gateway.metrics_url))
        .json(&json!({"query": "{ councils { code } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

/// The metric names the alert rules and the dashboard use: every word of
/// their expressions that ends like one of our metrics.
fn metric_names_used_by_deploy_files() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/observability");
    let mut text = String::new();
    for f in ["prometheus-rules.yml", "grafana-dashboard.json"] {
        text.push_str(&std::fs::read_to_string(dir.join(f)).unwrap());
    }
    let suffixes = [
        "_total",
        "_seconds",
        "_bucket",
        "_pence",
        "_messages",
        "_connections",
        "_events",
        "_bookings",
    ];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.contains('_') && !w.contains(':') && suffixes.iter().any(|s| w.ends_with(s)))
        .map(|w| {
            w.strip_suffix("_bucket")
                .or_else(|| w.strip_suffix("_sum"))
                .or_else(|| w.strip_suffix("_count"))
                .unwrap_or(w)
                .to_string()
        })
        .collect()
}

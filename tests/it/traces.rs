//! Traces across the whole stack, every part and the web front end a
//! separate process exporting its spans over OTLP to a collector the test
//! runs (`support::otlp`): a booking made on the web is one trace, from the
//! page through the gateway and the services down to their databases, each
//! span with its parent and each part under its own `service.name`; a
//! trace its caller did not sample is exported by no part (parent-based
//! sampling), though its id is still in the logs.

use std::{collections::BTreeSet, time::Duration};

use chrono::{Datelike, Utc};
use graphql_client::GraphQLQuery;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    bookings::in_days,
    gql::{
        bookings::{book_vehicle, hire, BookVehicle},
        operation_text,
    },
    otlp::{Collector, Span},
    proc_stack::{world, ProcStack},
    procs::{free_port, Proc},
    web::{Browser, WEB_KEY},
    PASSWORD,
};

const SERVICES: [&str; 5] = ["gateway", "inventory", "eligibility", "bookings", "payments"];

/// The trace id of a `traceresponse` (`00-<trace>-<span>-<flags>`) and the
/// span it names.
fn trace_of(traceresponse: &str) -> (String, String) {
    let parts: Vec<&str> = traceresponse.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceresponse}");
    (parts[1].to_string(), parts[2].to_string())
}

/// Whether the spans received hold the whole booking: a server span of every
/// part and a statement of bookings' own.
fn complete(spans: &[Span]) -> bool {
    let served: BTreeSet<&str> = spans
        .iter()
        .filter(|s| s.kind == "server")
        .map(|s| s.service.as_str())
        .collect();
    ["web"].iter().chain(SERVICES.iter()).all(|p| served.contains(p))
        && spans
            .iter()
            .any(|s| s.service == "bookings" && s.attr("db.system") == Some("postgresql"))
}

/// The name of the database in a PostgreSQL URL.
fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_booking_on_the_web_is_one_trace_from_the_page_to_every_part_and_its_database() {
    let collector = Collector::start().await;
    let logs = std::env::temp_dir().join(format!("roundabout-traces-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    // Batches leave every 100 ms rather than every 5 s.
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let stack = ProcStack::start_env(Some(&logs), None, &otel).await;
    let w = world(&stack.gateway).await;
    let mut env: Vec<(String, String)> = vec![
        ("GATEWAY_URL".into(), stack.gateway.clone()),
        ("WEB_SESSION_KEY".into(), String::from_utf8(WEB_KEY.to_vec()).unwrap()),
        ("ROUNDABOUT_ENV".into(), "development".into()),
    ];
    env.extend(otel.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut web = Proc::new("web", free_port(), env).log_to(logs.join("web.log"));
    web.start().await;

    // A booking its caller does not sample: exported by no part.
    const UNSAMPLED: &str = "5af7651916cd43dd8448eb211c80319c";
    let q = BookVehicle::build_query(book_vehicle::Variables {
        input: hire(&w.vehicle, in_days(6), 2, "unsampled"),
    });
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", stack.gateway))
        .bearer_auth(&w.household_token)
        .header("traceparent", format!("00-{UNSAMPLED}-b7ad6b7169203331-00"))
        .json(&json!({
            "query": operation_text(q.query, q.operation_name),
            "operationName": q.operation_name,
            "variables": q.variables,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["data"]["bookVehicle"]["booking"]["id"].is_string(), "{body}");

    // The household books on the web: sign in, find a vehicle, check, book.
    let mut b = Browser::new(&web.url());
    b.sign_in("ahmed@wox.test", PASSWORD).await;
    let day = (Utc::now() + chrono::Duration::days(3)).date_naive();
    let offers = b
        .visit(&format!(
            "/find-a-vehicle/hire?search=1&kind=HIRE&day={}&month={}&year={}&time=10:00&hours=4&seats=4&radius=5",
            day.day(),
            day.month(),
            day.year()
        ))
        .await;
    assert_eq!(offers.status, StatusCode::OK, "{}", offers.text());
    let check = b.visit(&offers.link("/book?").expect("a vehicle to book")).await;
    check.assert_has("Check your booking");
    let booked = b.submit_hidden(&check, "/book").await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.text());
    assert!(
        booked.location.as_deref().unwrap_or("").ends_with("/confirmation"),
        "{booked:?}"
    );
    let (trace_id, page_span) = trace_of(booked.traceresponse.as_deref().expect("a traceresponse"));

    let spans = collector.wait_for(&trace_id, Duration::from_secs(30), complete).await;
    let show = || {
        spans
            .iter()
            .map(|s| format!("{} {} {} {} <- {:?}", s.service, s.kind, s.name, s.span_id, s.parent))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(complete(&spans), "the trace is incomplete:\n{}", show());
    let by_id = |id: &str| spans.iter().find(|s| s.span_id == id);

    // One tree: the page's request is the root, and every other span's
    // parent is in the trace.
    let roots: Vec<&Span> = spans.iter().filter(|s| s.parent.is_none()).collect();
    assert_eq!(roots.len(), 1, "{}", show());
    let root = roots[0];
    assert_eq!(
        (root.service.as_str(), root.kind, root.name.as_str()),
        ("web", "server", "POST /book"),
        "{}",
        show()
    );
    assert_eq!(root.span_id, page_span, "traceresponse names the page's span");
    assert_eq!(root.attr("http.response.status_code"), Some("303"));
    assert!(
        spans.iter().all(|s| !s.error),
        "no span of the booking failed:\n{}",
        show()
    );
    for s in &spans {
        if let Some(p) = &s.parent {
            assert!(
                by_id(p).is_some(),
                "{} {} has a parent outside the trace:\n{}",
                s.service,
                s.name,
                show()
            );
        }
    }

    // Each hop: a part's server span is the child of its caller's client
    // span naming it, and that client span the child of a span of the caller.
    for part in SERVICES {
        let served: Vec<&Span> = spans
            .iter()
            .filter(|s| s.service == part && s.kind == "server")
            .collect();
        assert!(!served.is_empty(), "{part} served nothing in the trace:\n{}", show());
        for s in served {
            let call = by_id(s.parent.as_deref().unwrap()).unwrap();
            assert_eq!(call.kind, "client", "{part}: {}", show());
            assert_eq!(call.attr("peer.service"), Some(part), "{}", show());
            assert_ne!(call.service, part);
            let caller = by_id(call.parent.as_deref().unwrap()).unwrap();
            assert_eq!(caller.service, call.service);
            assert!(s.attr("http.route").is_some_and(|r| r.starts_with('/')), "{s:?}");
        }
    }
    // The web front end called the gateway from the page's span.
    let web_calls: Vec<&Span> = spans
        .iter()
        .filter(|s| s.service == "web" && s.kind == "client")
        .collect();
    assert!(!web_calls.is_empty());
    assert!(web_calls
        .iter()
        .all(|c| c.parent.as_deref() == Some(root.span_id.as_str())));

    // Database statements: spans under a span of the part whose database
    // they ran on, named after it.
    let statements: Vec<&Span> = spans
        .iter()
        .filter(|s| s.attr("db.system") == Some("postgresql"))
        .collect();
    for part in ["gateway", "bookings", "payments"] {
        let database = database_name(stack.database_url(part));
        let own: Vec<&&Span> = statements.iter().filter(|s| s.service == part).collect();
        assert!(!own.is_empty(), "no statement of {part} in the trace:\n{}", show());
        for s in own {
            assert_eq!(s.kind, "client");
            assert_eq!(s.attr("db.name"), Some(database.as_str()), "{s:?}");
            // SELECT, INSERT, …, and the transactions' BEGIN and COMMIT.
            let operation = s.attr("db.operation").unwrap();
            assert!(
                !operation.is_empty() && operation.chars().all(|c| c.is_ascii_uppercase()),
                "{s:?}"
            );
            assert_eq!(s.name, format!("{} {database}", s.attr("db.operation").unwrap()));
            assert!(!s.attr("db.statement").unwrap_or("").is_empty());
            let parent = by_id(s.parent.as_deref().unwrap()).unwrap();
            assert_eq!(parent.service, part, "{s:?} under {parent:?}");
        }
    }
    assert!(
        statements
            .iter()
            .any(|s| s.service == "bookings" && s.attr("db.operation") == Some("INSERT")),
        "bookings' insert of the booking is in the trace:\n{}",
        show()
    );

    // The logs of the page's request carry the same trace id.
    let web_log = std::fs::read_to_string(logs.join("web.log")).unwrap();
    assert!(
        web_log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|l| l["message"] == "request" && l["trace_id"] == trace_id.as_str() && l["route"] == "/book"),
        "no request line with trace id {trace_id} in the web's log"
    );

    // Nothing of the unsampled booking was exported by any part, though
    // the gateway's log still names its trace.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        collector.trace(UNSAMPLED).is_empty(),
        "{:?}",
        collector.trace(UNSAMPLED)
    );
    let gateway_log = std::fs::read_to_string(logs.join("gateway.log")).unwrap();
    assert!(gateway_log.contains(UNSAMPLED));
    assert_eq!(collector.requests().1, 0, "undecodable exports");

    // The web front end counts its pages on its own metrics port.
    let metrics = reqwest::get(format!("{}/metrics", web.metrics_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"/book\"")
            && l.contains("service=\"web\"")),
        "{metrics}"
    );
    let public = reqwest::get(format!("{}/metrics", web.url())).await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);

    drop(web);
    drop(stack);
    let _ = std::fs::remove_dir_all(logs);
}

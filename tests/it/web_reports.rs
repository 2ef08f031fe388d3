//! The officer's reports page and CSV over HTTP in front of the whole
//! stack: the totals, which add up with cancelled bookings apart, "fewer
//! than 10" for small counts, the charts with
//! their tables, the CSV download, GOV.UK errors for bad dates, and who is
//! refused.

use crate::support;
use crate::support::bookings::*;
use crate::support::web::Web;
use chrono::{Datelike, Duration, Utc};
use reqwest::{header, StatusCode};

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_reads_the_reports_downloads_the_csv_and_others_are_refused() {
    // One household books eleven hires, three at a time: beyond its limits.
    let w = World::unbounded(20_000_000).await;
    // Eleven two-hour hires (£13, £5.20 from the scheme) by one household in Witney.
    let (h, _) = w.household("reports-web@example.test").await;
    for i in 0..11 {
        let start = in_days(2) + Duration::hours(3 * (i / 3) as i64);
        let b = book(&h, hire(&w.vehicles[i % 3], start, 2, &format!("r-{i}"))).await;
        assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
    }
    // Two more, cancelled: one days ahead (the £7.80 paid comes back), one
    // hours ahead (half comes back, half is kept).
    for (key, start) in [("c-far", in_days(4)), ("c-soon", Utc::now() + Duration::hours(3))] {
        let b = book(&h, hire(&w.vehicles[0], start, 2, key)).await;
        assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
        let c = h
            .mutate(
                "cancelBooking",
                &cancel_mutation(),
                serde_json::json!({"id": b["booking"]["id"]}),
            )
            .await
            .unwrap();
        assert_eq!(c["booking"]["status"], "CANCELLED", "{c}");
    }
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in("officer@wox.test", support::PASSWORD).await;

    // The last 30 days unless chosen.
    let today = roundabout_web::views::to_uk(Utc::now()).date();
    let page = b.get("/officer/reports").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    page.assert_has("Reports");
    let from = today - Duration::days(29);
    assert!(page.body.contains(&format!(
        "id=\"to-day\" name=\"to-day\" type=\"text\" inputmode=\"numeric\" value=\"{}\"",
        today.day()
    )));
    assert!(page.body.contains(&format!(
        "id=\"from-month\" name=\"from-month\" type=\"text\" inputmode=\"numeric\" value=\"{}\"",
        from.month()
    )));
    // Totals as summary cards; one household is "fewer than 10". The money
    // adds up: £143 = £57.20 + £85.80 for the eleven bookings that stand,
    // the cancelled two apart.
    page.assert_has("Bookings 11");
    page.assert_has("Households that booked fewer than 10");
    page.assert_has("Budget of published schemes £200,000");
    page.assert_has(
        "Total price £143 Council subsidy £57.20 Households pay £85.80 \
         Cancelled fewer than 10 bookings, £11.70 given back, £3.90 kept as cancellation charges",
    );
    page.assert_has("numbers of households or bookings from 1 to 9 are shown as “fewer than 10”");
    // Charts drawn on the server, each a figure named by its heading, with
    // its words in HTML (no SVG text to shrink on a phone) and its table.
    for id in [
        "spend",
        "scheme-bookings",
        "scheme-subsidy",
        "zone-bookings",
        "zone-subsidy",
    ] {
        assert!(
            page.body.contains(&format!(
                "<figure class=\"app-{}\" aria-labelledby=\"{id}-heading\"",
                if id == "spend" { "line" } else { "bars" }
            )),
            "no {id} chart"
        );
    }
    assert!(page.body.contains("<polyline points=\""));
    assert!(!page.body.contains("</text>"), "chart words are HTML, not SVG text");
    assert!(page.body.contains("<span class=\"app-bars__label\">Witney</span>"));
    assert_eq!(page.body.matches("Show the data as a table").count(), 3);
    // Every table's details is closed: what follows is not hidden in it.
    assert_eq!(page.body.matches("<details").count(), 3);
    assert_eq!(page.body.matches("</details>").count(), 3);
    page.assert_has("Scheme Bookings Subsidy Committed now Budget left now EV lease support 11 £57.20 £57.20");
    page.assert_has("Zone Bookings Households Subsidy Witney 11 fewer than 10 £57.20");
    page.assert_has(&format!("{} 11 £57.20 £57.20", today.format("%-d %B %Y")));
    page.assert_has(&format!("{} 0 £0 £0", from.format("%-d %B %Y")));

    // A chosen period: yesterday only has no bookings; the form keeps it.
    let yesterday = today - Duration::days(1);
    let q = format!(
        "from-day={d}&from-month={m}&from-year={y}&to-day={d}&to-month={m}&to-year={y}",
        d = yesterday.day(),
        m = yesterday.month(),
        y = yesterday.year()
    );
    let page = b.get(&format!("/officer/reports?{q}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has(&yesterday.format("%-d %B %Y").to_string());
    page.assert_has("Bookings 0");
    page.assert_has("No booking in the period had a subsidy.");

    // The CSV of the period: an attachment, small counts suppressed.
    let link = b.get("/officer/reports").await.link("/officer/reports.csv?").unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}{link}", web.url))
        .header(header::COOKIE, b.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"roundabout-report-{from}-to-{today}.csv\"").as_str()
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Breakdown,Name,Bookings,Households,Subsidy (£),Spent to date (£)"
    );
    assert!(lines[1].starts_with("Total,"), "{csv}");
    assert!(lines[1].ends_with(",11,fewer than 10,57.20,57.20"), "{csv}");
    assert!(lines[2].starts_with("Cancelled,"), "{csv}");
    assert!(lines[2].ends_with(",fewer than 10,,,"), "{csv}");
    assert_eq!(lines[3], "Scheme,EV lease support,11,,57.20,");
    assert_eq!(lines[4], "Zone,Witney,11,fewer than 10,57.20,");
    assert_eq!(lines.iter().filter(|l| l.starts_with("Day,")).count(), 30, "{csv}");
    assert!(
        lines.contains(&format!("Day,{today},11,,57.20,57.20").as_str()),
        "{csv}"
    );
    assert!(lines.contains(&format!("Day,{from},0,,0.00,0.00").as_str()), "{csv}");

    // Bad dates: the GOV.UK error summary, the message at the field, what was typed kept.
    let page = b
        .get("/officer/reports?from-day=31&from-month=2&from-year=2026&to-day=1&to-month=&to-year=2026")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("<title>Error: Reports"));
    page.assert_has("There is a problem");
    assert!(page
        .body
        .contains("<a href=\"#from-day\">The start date must be a real date, like 1 11 2026</a>"));
    assert!(page
        .body
        .contains("<a href=\"#to-day\">The end date must include a month</a>"));
    assert!(page.body.contains("id=\"from-error\""));
    assert!(page
        .body
        .contains("name=\"from-day\" type=\"text\" inputmode=\"numeric\" value=\"31\""));
    let later = today + Duration::days(1);
    let page = b
        .get(&format!(
            "/officer/reports?from-day={d}&from-month={m}&from-year={y}&to-day={d}&to-month={m}&to-year={y}",
            d = later.day(),
            m = later.month(),
            y = later.year()
        ))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_has("The start date must be today or in the past");
    // The CSV of bad dates goes to the page that says what is wrong.
    let res = b.get("/officer/reports.csv?from-day=x&to-day=1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/officer/reports?from-day=x&to-day=1"));

    // Households and providers are refused; no one signed out gets in.
    let mut hb = web.browser();
    hb.sign_in("reports-web@example.test", support::PASSWORD).await;
    for path in ["/officer/reports", "/officer/reports.csv"] {
        let res = hb.get(path).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        res.assert_has("You cannot use this page");
    }
    let mut pb = web.browser();
    pb.sign_in("fleet@cotswold.test", support::PASSWORD).await;
    assert_eq!(pb.get("/officer/reports.csv").await.status, StatusCode::FORBIDDEN);
    let res = web.browser().get("/officer/reports.csv").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location.unwrap().starts_with("/sign-in"));
}

/// A budget past GraphQL's 32-bit `Int` (£21,474,836.47) shows exactly on
/// the officer's pages, which read the exact `…Amount` fields.
#[tokio::test(flavor = "multi_thread")]
async fn budgets_past_32_bits_show_exactly_on_the_officer_pages() {
    use crate::support::eligibility::{ev_scheme, ok};
    use serde_json::json;
    let w = World::new(1_000).await;
    let mut input = ev_scheme(&w.council, &[]);
    input["name"] = json!("Large scheme");
    input["budgetPence"] = json!(3_000_000_000_i64);
    let created = ok(
        &w.officer,
        "createScheme",
        "mutation($input: SchemeInput!) { createScheme(input: $input) { scheme { id } userErrors { field code message } } }",
        json!({"input": input}),
    )
    .await;
    let scheme = created["scheme"]["id"].as_str().unwrap().to_string();
    ok(
        &w.officer,
        "publishScheme",
        "mutation($id: ID!) { publishScheme(id: $id) { scheme { id } userErrors { field code message } } }",
        json!({"id": scheme}),
    )
    .await;
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in("officer@wox.test", support::PASSWORD).await;
    for path in ["/officer", "/officer/reports", &format!("/officer/schemes/{scheme}")] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text());
        assert!(page.body.contains("30,000,000"), "{path}: {}", page.text());
        assert!(!page.body.contains("21,474,836"), "{path}");
    }
}

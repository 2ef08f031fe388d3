//! The web front end's assisted booking over HTTP: an officer finds a
//! household of the council, changes its details, books and cancels for it
//! with a banner on every page, and sees the audit trail; officers of other
//! councils and households cannot. And the admin's councils pages.

use crate::support;
use crate::support::bookings::{book, hire, in_days, World};
use crate::support::web::{Browser, Page, Web};
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

const POSTCODES: &str =
    "pcd,pcds,lat,long,oseast1m\nOX284AB,OX28 4AB,51.7860,-1.4840,435000\nOX29,OX29,51.8000,-1.4200,440000\n";
const IMPORT_POSTCODES: &str = "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount rowErrors { line field message } userErrors { code message } } }";

async fn world() -> (World, Web) {
    let w = World::new(20_000_000).await;
    let p = w
        .officer
        .mutate(
            "importPostcodes",
            IMPORT_POSTCODES,
            json!({"input": {"councilId": w.council, "csv": POSTCODES}}),
        )
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 2, "{p}");
    let web = Web::start(&w.stack).await;
    (w, web)
}

fn profile_fields(members: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("postcode", "ox28 4ab"),
        ("members", members),
        ("income", "15000-24999"),
        ("cars", "0"),
        ("blue-badge", "no"),
        ("benefits", "universal_credit"),
        ("age", "40"),
        ("seats", "4"),
        ("wheelchair", "no"),
        ("electric", "yes"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_acts_for_a_household_through_the_pages() {
    let (w, web) = world().await;
    let (_h1, h1_id) = w.household("ann.smith@wox.test").await;
    let (h2, _) = w.household("bob.jones@wox.test").await;
    let theirs = book(&h2, hire(&w.vehicles[2], in_days(4), 2, "bob")).await;
    let bob_booking = theirs["booking"]["id"].as_str().unwrap().to_string();

    let mut o = web.browser();
    o.sign_in("officer@wox.test", support::PASSWORD).await;
    let base = format!("/officer/households/{h1_id}");

    // Finding the household.
    let search = o.visit("/officer/households").await;
    assert_eq!(search.status, StatusCode::OK);
    search.assert_has("Find a household");
    let empty = o.get("/officer/households?q=").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_has("There is a problem");
    assert!(empty.body.contains("href=\"#q\""));
    let found = o.get("/officer/households?q=ANN").await;
    found.assert_has("1 household found");
    assert_eq!(found.link("/officer/households/").as_deref(), Some(base.as_str()));
    o.get("/officer/households?q=nobody")
        .await
        .assert_has("0 households found");

    // The household's page: the banner, its details, no bookings yet.
    let page = o.visit(&base).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    page.assert_has("You are acting for ann.smith@wox.test");
    page.assert_has("People in the household 2");
    page.assert_has("The household has no bookings.");
    page.assert_has("Looked at the household's details");

    // Changing a detail through the household's own pages: its answers
    // with Change links, then the one question, saved at once.
    let summary = o.visit(&format!("{base}/profile")).await;
    summary.assert_has("You are acting for ann.smith@wox.test");
    summary.assert_has("About your household");
    summary.assert_has("People in the household 2 Change people in the household");
    assert!(summary.body.contains(&format!("href=\"{base}/profile/people\"")));
    let form = o.visit(&format!("{base}/profile/people")).await;
    form.assert_has("How many people live in your household?");
    form.assert_has("You are acting for ann.smith@wox.test");
    assert!(form.body.contains(&format!("action=\"{base}/profile/people\"")));
    assert!(form
        .body
        .contains(&format!("href=\"{base}/profile\" class=\"govuk-back-link\"")));
    let refused = o
        .submit(&form, &format!("{base}/profile/people"), &[("members", "")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("Enter how many people live in your household");
    refused.assert_has("You are acting for ann.smith@wox.test");
    let saved = o
        .submit(&form, &format!("{base}/profile/people"), &[("members", "3")])
        .await;
    let to_summary = format!("{base}/profile");
    assert_eq!(saved.location.as_deref(), Some(to_summary.as_str()), "{}", saved.text());
    let page = o.follow(&saved).await;
    page.assert_has("The household's details are saved.");
    page.assert_has("People in the household 3");
    // The whole form at once still saves everything.
    let mut bad = profile_fields("");
    bad.retain(|(k, _)| *k != "members");
    let refused = o.submit(&form, &format!("{base}/profile"), &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("Enter how many people live in your household");
    let saved = o.submit(&form, &format!("{base}/profile"), &profile_fields("3")).await;
    assert_eq!(saved.location.as_deref(), Some(base.as_str()), "{}", saved.text());
    o.follow(&saved).await.assert_has("People in the household 3");

    // Finding and booking a vehicle for it.
    let choose = o.visit(&format!("{base}/find-a-vehicle")).await;
    choose.assert_has("You are acting for");
    let day = (Utc::now() + Duration::days(3)).date_naive();
    let q = format!(
        "{base}/find-a-vehicle/hire?search=1&kind=HIRE&day={}&month={}&year={}&time=10:00&hours=4&seats=4&radius=5",
        day.day(),
        day.month(),
        day.year()
    );
    let offers = o.visit(&q).await;
    assert_eq!(offers.status, StatusCode::OK, "{}", offers.text());
    offers.assert_has("Vehicles you can book");
    offers.assert_has("You pay £15.60");
    offers.assert_has("You are acting for ann.smith@wox.test");
    let check = o
        .visit(&offers.link(&format!("{base}/book?")).expect("a book link"))
        .await;
    check.assert_has("Check your booking");
    let res = o.submit_hidden(&check, &format!("{base}/book")).await;
    let to = res.location.clone().expect("a redirect to the confirmation");
    let id = to
        .strip_prefix(&format!("{base}/bookings/"))
        .and_then(|r| r.strip_suffix("/confirmation"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_string();
    let done = o.follow(&res).await;
    done.assert_has("Booking confirmed");
    done.assert_has("You are acting for ann.smith@wox.test");
    // The household sees it as its own.
    let mut h = web.browser();
    h.sign_in("ann.smith@wox.test", support::PASSWORD).await;
    h.visit("/bookings").await.assert_has("Renault Zoe");

    // The household page lists it with a cancel link; cancelling.
    let page = o.visit(&base).await;
    let cancel_href = format!("{base}/bookings/{id}/cancel");
    assert_eq!(page.link(&cancel_href).as_deref(), Some(cancel_href.as_str()));
    let cancel = o.visit(&cancel_href).await;
    cancel.assert_has("You are acting for ann.smith@wox.test");
    let res = o.submit(&cancel, &cancel_href, &[("reason", "Asked by phone")]).await;
    assert_eq!(
        res.location.as_deref(),
        Some(format!("{base}/bookings/{id}").as_str()),
        "{}",
        res.text()
    );
    let after = o.follow(&res).await;
    after.assert_has("The booking is cancelled.");
    after.assert_has("Cancelled");

    // The audit trail.
    let audit = o.visit(&format!("{base}/audit")).await;
    assert_eq!(audit.status, StatusCode::OK);
    audit.assert_has("What officers did for ann.smith@wox.test");
    for what in [
        "Cancelled a booking",
        "Booked a vehicle",
        "Searched for vehicles",
        "Changed the household's details",
        "Looked at the household's details",
        "officer@wox.test",
    ] {
        audit.assert_has(what);
    }
    audit.assert_has(&format!("(booking {})", id.split('-').next().unwrap().to_uppercase()));

    // Acting for one household does not reach another's booking.
    for path in [
        format!("{base}/bookings/{bob_booking}"),
        format!("{base}/bookings/{bob_booking}/cancel"),
    ] {
        assert_eq!(o.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A form without the session's CSRF token changes nothing.
    let forged = o.post_raw(&format!("{base}/profile"), &profile_fields("9")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // An officer of another council, and a household, cannot act for it.
    let (_, _) = w.stack.council("OTH", "officer@oth.test").await;
    let mut other = web.browser();
    other.sign_in("officer@oth.test", support::PASSWORD).await;
    for path in [
        base.clone(),
        format!("{base}/profile"),
        format!("{base}/audit"),
        format!("{base}/find-a-vehicle"),
        format!("/officer/households/{}", uuid::Uuid::new_v4()),
        "/officer/households/not-an-id".to_string(),
    ] {
        let p = other.get(&path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        p.assert_has("Page not found");
    }
    let form = other.visit("/sign-out").await;
    let p = other
        .submit(&form, &format!("{base}/profile"), &profile_fields("9"))
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    other
        .get("/officer/households?q=ann")
        .await
        .assert_has("0 households found");
    for path in [
        "/officer/households".to_string(),
        base.clone(),
        format!("{base}/profile"),
    ] {
        assert_eq!(h.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing changed: still 3 people.
    o.visit(&base).await.assert_has("People in the household 3");
}

/// Posts a multipart form (the admin's boundary upload) with `b`'s session.
async fn post_multipart(b: &mut Browser, path: &str, fields: &[(&str, &str)], file: Option<(&str, &str)>) -> Page {
    let (name, content) = file.unwrap_or(("", ""));
    b.post_multipart(path, fields, &[("boundary", name, content)]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_lists_and_creates_councils() {
    let stack = support::Stack::start().await;
    stack.council("WOX", "officer@wox.test").await;
    let web = Web::start(&stack).await;
    let mut a = web.browser();
    let home = a.sign_in(support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await;
    home.assert_has("Councils");
    home.assert_has("Council WOX");
    let form = a.visit("/admin/councils/new").await;
    form.assert_has("Create a council");
    let csrf = form.csrf();
    let good = json!({"type": "Feature", "properties": {}, "geometry": support::witney_boundary()}).to_string();
    let fields = |code: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Cherwell".to_string()),
            ("code", code.to_string()),
            ("officer-email", "officer@cherwell.test".to_string()),
            ("officer-password", support::PASSWORD.to_string()),
        ]
    };

    // No file; not JSON; not a polygon (the API's message at the field); a taken code.
    let point = json!({"type": "Point", "coordinates": [0, 0]}).to_string();
    let cases = [
        ("CHW", None, "boundary", "Select a GeoJSON file"),
        ("CHW", Some("not json"), "boundary", "must be GeoJSON"),
        ("CHW", Some(point.as_str()), "boundary", ""),
        ("WOX", Some(good.as_str()), "code", ""),
    ];
    for (code, file, field, message) in cases {
        let f = fields(code);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let file = file.map(|c| ("b.geojson", c));
        let p = post_multipart(&mut a, "/admin/councils/new", &pairs, file).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", p.text());
        assert!(p.body.contains(&format!("href=\"#{field}\"")), "{field}: {}", p.text());
        p.assert_has(message);
        // What was typed is kept, the password is not.
        assert!(p.body.contains("value=\"Cherwell\""));
        assert!(!p.body.contains(support::PASSWORD));
    }
    // Without the CSRF token: refused.
    let f = fields("CHW");
    let pairs: Vec<(&str, &str)> = f
        .iter()
        .filter(|(k, _)| *k != "csrf")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let p = post_multipart(&mut a, "/admin/councils/new", &pairs, Some(("b.geojson", &good))).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    a.visit("/admin").await.assert_has("Council WOX");
    assert!(!a.visit("/admin").await.text().contains("Cherwell"));

    // Created.
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = post_multipart(&mut a, "/admin/councils/new", &pairs, Some(("b.geojson", &good))).await;
    assert_eq!(p.location.as_deref(), Some("/admin"), "{}", p.text());
    let list = a.follow(&p).await;
    list.assert_has("Cherwell (CHW) is created");
    list.assert_has("Cherwell CHW");
    // Its officer signs in to it.
    let mut o = web.browser();
    o.sign_in("officer@cherwell.test", support::PASSWORD)
        .await
        .assert_has("Cherwell");
    // Only admins.
    assert_eq!(o.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(o.get("/admin/councils/new").await.status, StatusCode::FORBIDDEN);
}

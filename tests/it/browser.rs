//! The web front end in a real browser: `web/browser-tests/run.mjs` drives
//! Debian's Chromium with Playwright (`playwright-core`) through the
//! household journey with JavaScript off and on, signs in by keyboard alone,
//! changes a password and signs out of all devices by keyboard alone,
//! runs axe-core on every page (zero WCAG 2.2 A/AA violations; the statutory
//! pages at 375 and 1280 px), checks that the accessibility statement lists
//! the journeys run and no more pages than were checked, and writes a
//! screenshot of each main page to `target/screenshots/`.
//!
//! Needs Node.js, the npm packages `cargo xtask test` installs, and
//! `/usr/bin/chromium` (Debian's `chromium`; CI installs it). Without
//! Chromium the test says so and passes, except under CI, where it fails.

use crate::support;
use std::path::PathBuf;

use crate::support::bookings::World;
use crate::support::web::Web;
use serde_json::json;

fn chromium() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    path.exists().then_some(path)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_pass_axe_and_the_journey_works_without_javascript_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is missing: install Debian's chromium package"
        );
        eprintln!("skipped: no /usr/bin/chromium (apt-get install chromium)");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let web_dir = root.join("web");
    assert!(
        web_dir.join("node_modules/playwright-core").exists(),
        "npm packages missing: run the tests with `cargo xtask test`"
    );
    let w = World::new(20_000_000).await;
    // A second live scheme reads benefits and age, so the journeys are asked
    // every question (a council whose schemes read neither skips both).
    crate::support::eligibility::publish_older_and_benefits_scheme(&w.officer, &w.council).await;
    let p = w
        .officer
        .mutate(
            "importPostcodes",
            "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount userErrors { message } } }",
            json!({"input": {"councilId": w.council, "csv": "pcds,lat,long\nOX28,51.7860,-1.4840\n"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 1, "{p}");
    // A household an officer acts for (assisted booking).
    w.household("assisted.resident@wox.test").await;
    let web = Web::start(&w.stack).await;
    // A second front end with card payments, for a household of the world.
    const STRIPE_JS: &str = "https://js.stripe.test/v3/";
    let card_web = Web::start_with(&w.stack, |c| {
        c.stripe = Some(roundabout_web::config::StripeJs {
            publishable_key: "pk_test_roundabout".into(),
            js_url: STRIPE_JS.into(),
        })
    })
    .await;
    w.household("card@example.test").await;
    // A household whose password the account journey changes.
    w.household("account@example.test").await;
    // A household that filters, sorts and pages through the offers, and
    // e-bikes enough for "Show more".
    w.household("offers@example.test").await;
    for i in 0..4 {
        let d = 0.001 * (f64::from(i) + 1.0);
        let v = w
            .provider
            .mutate(
                "addVehicle",
                "mutation($i: VehicleInput!) { addVehicle(input: $i) { userErrors { message } } }",
                json!({"i": {"kind": "EBIKE", "make": "Raleigh", "model": format!("Motus {i}"), "seats": 1,
                             "propulsion": "ELECTRIC_ASSIST", "wheelchairAccessible": false,
                             "location": {"lat": support::bookings::WITNEY.1 - d, "lon": support::bookings::WITNEY.0 - d},
                             "pricing": {"perHourPence": 200 + 10 * i, "depositPence": 0}}}),
            )
            .await
            .unwrap();
        assert_eq!(v["userErrors"], json!([]), "{v}");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let shots = target.join("screenshots");
    let out = tokio::process::Command::new("node")
        .arg(web_dir.join("browser-tests/run.mjs"))
        .current_dir(&web_dir)
        .env("BASE_URL", &web.url)
        .env("SCREENSHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .env("COUNCIL_NAME", "Council WOX")
        .env("PASSWORD", support::PASSWORD)
        .env("PROVIDER_EMAIL", "fleet@cotswold.test")
        .env("OFFICER_EMAIL", "officer@wox.test")
        .env("CARD_BASE_URL", &card_web.url)
        .env("STRIPE_JS_URL", STRIPE_JS)
        .env("CARD_HOUSEHOLD_EMAIL", "card@example.test")
        .env("ASSISTED_EMAIL", "assisted.resident@wox.test")
        .env("ACCOUNT_EMAIL", "account@example.test")
        .env("OFFERS_EMAIL", "offers@example.test")
        .env("ADMIN_EMAIL", support::ADMIN_EMAIL)
        .env("ADMIN_PASSWORD", support::ADMIN_PASSWORD)
        .output()
        .await
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "browser tests failed:\n{stdout}\n{stderr}");
    assert!(shots.join("offers.png").exists());
    statement_says_how_the_pages_were_tested(&stdout);
}

/// The accessibility statement lists exactly the journeys the browser
/// tests ran, and no more pages than axe-core checked (at 1280 px; the
/// statutory pages at 375 px too).
fn statement_says_how_the_pages_were_tested(stdout: &str) {
    use roundabout_web::statement;
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{stdout}"))
            .to_string()
    };
    let mut ran: Vec<String> = line("journeys: ").split(", ").map(String::from).collect();
    let mut said: Vec<String> = statement::JOURNEYS.iter().map(|j| j.name.to_string()).collect();
    ran.sort();
    said.sort();
    assert_eq!(
        ran, said,
        "the accessibility statement's journeys (web/src/pages/statutory/accessibility.rs)"
    );
    let checked = line("axe-core checked ");
    let (_, names) = checked.split_once(" pages: ").expect("the count and the pages");
    let names: Vec<&str> = names.split(", ").collect();
    let pages = names.iter().filter(|n| !n.ends_with(" px")).count();
    assert!(
        pages > statement::AXE_PAGES_AT_LEAST,
        "the statement says axe-core checks more than {} pages; it checked {pages}",
        statement::AXE_PAGES_AT_LEAST
    );
    for page in [
        "accessibility-statement",
        "privacy-notices",
        "privacy-notice",
        "cookies",
    ] {
        for width in ["", " at 375 px"] {
            let name = format!("{page}{width}");
            assert!(names.contains(&name.as_str()), "axe-core did not check {name}");
        }
    }
}

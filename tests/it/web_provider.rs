//! The providers' pages of the web front end over HTTP in front of the
//! whole stack: importing a fleet from a CSV file (every refused row shown
//! against its line, nothing imported) or GBFS files, and payouts
//! onboarding with Stripe Connect, with and without a card processor; and
//! households paying by card (Stripe Elements) when the front end has a
//! Stripe publishable key, by invoice otherwise.

use crate::support;
use crate::support::bookings::World;
use crate::support::web::{Browser, Web};
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;

const GOOD_CSV: &str = "kind,make,model,registration,seats,propulsion,lat,lon,per_hour_pence,deposit_pence\n\
                        CAR,Renault,Zoe,IM01ABC,5,ELECTRIC,51.786,-1.485,650,10000\n\
                        EBIKE,Raleigh,Motus,,1,ELECTRIC_ASSIST,51.787,-1.486,300,\n";

/// Line 3 has 40 seats, line 4 a kind Roundabout does not list.
const BAD_CSV: &str = "kind,make,model,registration,seats,propulsion,lat,lon,per_hour_pence\n\
                       CAR,Renault,Zoe,IM02ABC,5,ELECTRIC,51.786,-1.485,650\n\
                       CAR,Nissan,Leaf,IM03ABC,40,ELECTRIC,51.786,-1.485,650\n\
                       BOAT,Nissan,Leaf,IM04ABC,4,ELECTRIC,51.786,-1.485,650\n";

async fn provider(web: &Web) -> Browser {
    let mut b = web.browser();
    let home = b.sign_in("fleet@cotswold.test", support::PASSWORD).await;
    home.assert_has("Payouts");
    b
}

/// How many vehicles the fleet page says the provider has.
async fn fleet_size(b: &mut Browser) -> String {
    let fleet = b.visit("/provider/fleet").await;
    let t = fleet.text();
    let i = t.find(" vehicles.").or_else(|| t.find(" vehicle.")).expect("a count");
    t[..i].rsplit(' ').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_imports_a_csv_file_and_sees_each_refused_row_against_its_line() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut b = provider(&web).await;
    assert_eq!(fleet_size(&mut b).await, "3");
    let fleet = b.visit("/provider/fleet").await;
    assert_eq!(
        fleet.link("/provider/fleet/import").as_deref(),
        Some("/provider/fleet/import")
    );

    // The page explains every column; the template has them all.
    let form = b.visit("/provider/fleet/import").await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_has("Import vehicles from a CSV file");
    form.assert_has("price_per_lease_month No The price of a month's lease in pounds");
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    let template = b.get("/provider/fleet/import/template.csv").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template
        .body
        .starts_with("kind,make,model,registration,seats,propulsion,"));
    assert_eq!(template.body.lines().count(), 2);

    // Without the form's token: refused, nothing read.
    let res = b
        .post_multipart("/provider/fleet/import", &[], &[("file", "fleet.csv", GOOD_CSV)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let csrf = form.csrf();

    // Nothing chosen, a spreadsheet, an empty file: a message at the file input.
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf), ("csv", "")],
            &[("file", "", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("There is a problem Select a CSV file, or paste the file's text");
    assert!(res.body.contains("<a href=\"#file\">"));
    assert!(res.body.contains("<title>Error: "));
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.xlsx", "PK")],
        )
        .await;
    res.assert_has("The selected file must be a CSV file. In your spreadsheet, save it as CSV");
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.csv", "\n")],
        )
        .await;
    res.assert_has("The selected file is empty");
    let huge = "x".repeat(300 * 1024);
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.csv", &huge)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("The selected file must be smaller than 200 KB");

    // A file with two bad rows: each shown against its line, nothing imported.
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.csv", BAD_CSV)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    res.assert_has("Nothing was imported. Fix these 2 problems in your file, then import it again.");
    res.assert_has("Line 3, seats: Seats must be between 1 and 16");
    res.assert_has("Line 4, kind: Unknown kind");
    res.assert_has(
        "3 CAR,Nissan,Leaf,IM03ABC,40,ELECTRIC,51.786,-1.485,650 seats Error: Seats must be between 1 and 16",
    );
    assert!(res.body.contains("<a href=\"#problem-1\">"));
    assert!(res.body.contains("id=\"problem-2\""));
    // The text stays, to correct on the page.
    assert!(res.body.contains("BOAT,Nissan,Leaf"));
    assert_eq!(fleet_size(&mut b).await, "3");

    // A header the API does not know.
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.csv", "kind,colour\nCAR,red\n")],
        )
        .await;
    res.assert_has("Line 1 (header), colour: Unknown column");

    // Corrected and pasted in the box (no file): imported.
    let fixed = BAD_CSV.replace(",40,", ",4,").replace("BOAT", "VAN");
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf), ("csv", &fixed)],
            &[("file", "", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.location.as_deref(), Some("/provider/fleet"));
    let fleet = b.follow(&res).await;
    fleet.assert_has("3 vehicles are imported and added to your fleet.");
    fleet.assert_has("6 vehicles.");

    // An uploaded file, with a byte order mark as spreadsheets write it.
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.csv", &format!("\u{feff}{GOOD_CSV}"))],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let fleet = b.follow(&res).await;
    fleet.assert_has("2 vehicles are imported and added to your fleet.");
    fleet.assert_has("Raleigh Motus");
    // The same registration again is refused against its line.
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf)],
            &[("file", "fleet.csv", GOOD_CSV)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    res.assert_has("Line 2, registration:");

    // Households cannot import.
    w.stack.household(&w.council, "resident@example.test").await;
    let mut h = web.browser();
    h.sign_in("resident@example.test", support::PASSWORD).await;
    assert_eq!(h.get("/provider/fleet/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        h.get("/provider/fleet/import/template.csv").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_imports_gbfs_files_with_prices_for_every_vehicle() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut b = provider(&web).await;
    let types = r#"{"last_updated":"2026-11-30T10:00:00Z","ttl":60,"version":"3.0","data":{"vehicle_types":[
        {"vehicle_type_id":"ebike","form_factor":"bicycle","propulsion_type":"electric_assist","max_range_meters":60000,
         "make":[{"text":"Raleigh","language":"en"}],"model":[{"text":"Motus","language":"en"}]},
        {"vehicle_type_id":"moped","form_factor":"moped","propulsion_type":"electric"}]}}"#;
    let status = r#"{"last_updated":"2026-11-30T10:00:00Z","ttl":60,"version":"3.0","data":{"vehicles":[
        {"vehicle_id":"a","vehicle_type_id":"ebike","lat":51.78,"lon":-1.48,"is_reserved":false,"is_disabled":false},
        {"vehicle_id":"b","vehicle_type_id":"ebike","lat":51.79,"lon":-1.49,"is_reserved":false,"is_disabled":false}]}}"#;
    let form = b.visit("/provider/fleet/import/gbfs").await;
    form.assert_has("Import vehicles from GBFS files");
    let csrf = form.csrf();

    // No files, no price: each field says what to do.
    let res = b
        .post_multipart(
            "/provider/fleet/import/gbfs",
            &[("csrf", &csrf), ("per-hour", ""), ("deposit", "0.00")],
            &[("vehicle-types", "", ""), ("vehicle-status", "", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Select your vehicle_types.json file");
    res.assert_has("Select your vehicle_status.json file");
    res.assert_has("Enter at least one price");

    // Not JSON: the API's message at the field.
    let res = b
        .post_multipart(
            "/provider/fleet/import/gbfs",
            &[("csrf", &csrf), ("per-hour", "3")],
            &[
                ("vehicle-types", "vehicle_types.json", "{"),
                ("vehicle-status", "vehicle_status.json", status),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("The file is not JSON");
    assert!(res.body.contains("<a href=\"#vehicle-types\">"));
    assert!(
        support::web::hidden(&res.body, "csrf").is_some(),
        "the form is shown again"
    );
    assert!(res.body.contains("name=\"per-hour\" type=\"text\" value=\"3\""));

    // A vehicle type Roundabout does not list: the vehicle's position.
    let with_moped = status.replace(
        r#""vehicle_id":"b","vehicle_type_id":"ebike""#,
        r#""vehicle_id":"b","vehicle_type_id":"moped""#,
    );
    let res = b
        .post_multipart(
            "/provider/fleet/import/gbfs",
            &[("csrf", &csrf), ("per-hour", "3")],
            &[
                ("vehicle-types", "vehicle_types.json", types),
                ("vehicle-status", "vehicle_status.json", &with_moped),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Line 2, form_factor: Form factor \"moped\" is not one Roundabout lists");

    let res = b
        .post_multipart(
            "/provider/fleet/import/gbfs",
            &[("csrf", &csrf), ("per-hour", "3"), ("deposit", "20")],
            &[
                ("vehicle-types", "vehicle_types.json", types),
                ("vehicle-status", "vehicle_status.json", status),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let fleet = b.follow(&res).await;
    fleet.assert_has("2 vehicles are imported and added to your fleet.");
    fleet.assert_has("£3 an hour");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_starts_payout_onboarding_and_is_sent_to_stripe() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut b = provider(&web).await;
    let page = b.visit("/provider/payouts").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("Organisation Cotswold Car Club Payouts Not set up");
    page.assert_has("Set up payouts with Stripe");

    // Without the form's token: refused.
    assert_eq!(b.post_raw("/provider/payouts", &[]).await.status, StatusCode::FORBIDDEN);

    // The processor not answering: said plainly, on the page.
    w.stack.fake.fail_next(20);
    let res = b.submit(&page, "/provider/payouts", &[]).await;
    assert!(res.status.is_client_error() || res.status.is_server_error());
    assert_ne!(res.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", res.text());
    res.assert_has("There is a problem");
    res.assert_has("not answering. Nothing has changed.");
    w.stack.fake.fail_next(0);

    // Sent to Stripe's onboarding page; the page lets the browser follow it.
    let res = b.submit(&page, "/provider/payouts", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let to = res.location.unwrap();
    assert!(to.starts_with("https://connect.fake.test/onboarding/"), "{to}");

    // Back from Stripe with an expired link.
    b.visit("/provider/payouts?retry=1")
        .await
        .assert_has("The link to Stripe expired before you finished");

    // Once Stripe has checked the account, payouts are set up.
    let account = to.rsplit('/').next().unwrap().to_string();
    sqlx::query("update connected_accounts set charges_enabled = true, payouts_enabled = true where account_id = $1")
        .bind(&account)
        .execute(&w.stack.payments_pool)
        .await
        .unwrap();
    let page = b.visit("/provider/payouts?retry=1").await;
    page.assert_has("Payouts Set up");
    page.assert_has("Change your details with Stripe");
    assert!(!page.text().contains("expired"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_stripe_the_payouts_page_says_payouts_cannot_be_set_up_yet() {
    // Payments as a process with no STRIPE_SECRET_KEY.
    let w = World::on(support::Stack::start_with_processes().await, 20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut b = provider(&web).await;
    let page = b.visit("/provider/payouts").await;
    page.assert_has("Not set up");
    let res = b.submit(&page, "/provider/payouts", &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    res.assert_has("Payouts cannot be set up yet: Roundabout is not connected to Stripe.");
    assert!(res.body.contains("<a href=\"#start\">"));
}

/// A household of the world signed in on `web`, and the "Check your booking"
/// page of the best four-hour hire in three days.
async fn check_page(w: &World, web: &Web, email: &str) -> (Browser, support::web::Page) {
    w.household(email).await;
    let mut b = web.browser();
    b.sign_in(email, support::PASSWORD).await;
    let day = (Utc::now() + Duration::days(3)).date_naive();
    let offers = b
        .visit(&format!(
            "/find-a-vehicle/hire?search=1&kind=HIRE&day={}&month={}&year={}&time=10:00&hours=4&seats=4&radius=5",
            day.day(),
            day.month(),
            day.year()
        ))
        .await;
    let check = b.visit(&offers.link("/book?").expect("a book link")).await;
    check.assert_has("Check your booking");
    (b, check)
}

/// Books from the check page with `extra` fields (what card.js adds).
async fn book(b: &mut Browser, check: &support::web::Page, extra: &[(&str, &str)]) -> support::web::Page {
    let fields = check.hidden_fields();
    let mut fields: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf" && k != "payment-method")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend_from_slice(extra);
    b.submit(check, "/book", &fields).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_household_pays_by_card_with_stripe_elements_when_stripe_is_configured() {
    let w = World::new(20_000_000).await;
    let web = Web::start_with(&w.stack, |c| {
        c.stripe = Some(roundabout_web::config::StripeJs {
            publishable_key: "pk_test_roundabout".into(),
            js_url: roundabout_web::config::STRIPE_JS_URL.into(),
        })
    })
    .await;
    let (mut b, check) = check_page(&w, &web, "card@example.test").await;
    // Without JavaScript the page says the household is invoiced; the card
    // choice is there for card.js to show, and the page lets Stripe.js in.
    check.assert_has("How you pay We send you an invoice");
    assert!(check
        .body
        .contains("data-module=\"app-card-payment\" data-key=\"pk_test_roundabout\""));
    let card_js = support::web::asset_url(&check.body, "card", "js");
    let csp = check.csp.clone().unwrap();
    assert!(csp.contains("script-src 'self' https://js.stripe.com;"), "{csp}");
    assert!(csp.contains("form-action 'self';"), "{csp}");
    let js = b.get(&card_js).await;
    assert!(js.body.contains("createPaymentMethod"));

    // Not a payment method id: refused at the card, nothing booked.
    let res = book(&mut b, &check, &[("pay", "card"), ("payment-method", "tok_visa")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Your card details could not be read. Enter them again");
    assert!(res.body.contains("<a href=\"#card-element\">"));

    // Declined by the processor: said at the card; the form can be sent again.
    let res = book(
        &mut b,
        &check,
        &[
            ("pay", "card"),
            ("payment-method", roundabout_payments::processor::fake::DECLINED_CARD),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    res.assert_has("There is a problem The card was declined");
    assert!(res.body.contains("<a href=\"#card-element\">"));
    assert!(res
        .body
        .contains("id=\"pay\" name=\"pay\" type=\"radio\" value=\"card\" checked"));

    // A good card: confirmed, paid by card.
    let again = res;
    let res = book(&mut b, &again, &[("pay", "card"), ("payment-method", "pm_card_visa")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let done = b.follow(&res).await;
    done.assert_has("Booking confirmed");
    done.assert_has("Payment £15.60 paid by card");
    done.assert_has("You pay by card");
    // Nothing left for the bank to confirm: the page keeps the site's policy.
    assert!(!done.body.contains("app-card-action"));
    assert!(done.csp.unwrap().contains("script-src 'self';"));

    // Choosing the invoice: no payment method is sent.
    let (mut b, check) = check_page(&w, &web, "invoice@example.test").await;
    let res = book(&mut b, &check, &[("pay", "invoice")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    b.follow(&res).await.assert_has("Payment £15.60 to pay by invoice");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_stripe_key_households_are_invoiced() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let (mut b, check) = check_page(&w, &web, "plain@example.test").await;
    check.assert_has("How you pay We send you an invoice");
    assert!(!check.body.contains("app-card-payment"));
    assert!(!check.body.contains("card.js"));
    assert!(check.csp.clone().unwrap().contains("script-src 'self';"));
    // A payment method sent anyway is not used.
    let res = book(&mut b, &check, &[("payment-method", "pm_card_visa")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    b.follow(&res).await.assert_has("Payment £15.60 to pay by invoice");
}

//! The web front end over HTTP in front of the whole stack: the household
//! journey through its forms, CSRF refusals, error summaries, tenancy and
//! an expired session.

use crate::support;
use crate::support::bookings::World;
use crate::support::web::{Browser, Web, WEB_KEY};
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

const POSTCODES: &str =
    "pcd,pcds,lat,long,oseast1m\nOX284AB,OX28 4AB,51.7860,-1.4840,435000\nOX29,OX29,51.8000,-1.4200,440000\n";
const IMPORT_POSTCODES: &str = "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount rowErrors { line field message } userErrors { code message } } }";

/// The booking world, its council's postcodes, and the front end.
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

/// Signs a new household up through the form and fills in its profile.
async fn new_household(b: &mut Browser, council: &str, email: &str) {
    let form = b.get("/sign-up").await;
    assert!(form.body.contains(&format!("value=\"{council}\"")));
    let res = b
        .submit(
            &form,
            "/sign-up",
            &[
                ("council", council),
                ("name", "Ahmed"),
                ("email", email),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/profile"), "{}", res.text());
    let profile = b.follow(&res).await;
    profile.assert_has("About your household");
    assert_eq!(profile.link("/profile/").as_deref(), Some("/profile/postcode"));
    // Every answer at once (the one-page form), sent from a question's page.
    let profile = b.visit("/profile/postcode").await;
    let res = b
        .submit(
            &profile,
            "/profile",
            &[
                ("postcode", "ox28 4ab"),
                ("members", "2"),
                ("income", "15000-24999"),
                ("cars", "0"),
                ("blue-badge", "no"),
                ("benefits", "universal_credit"),
                ("age", "40"),
                ("seats", "4"),
                ("wheelchair", "no"),
                ("electric", "yes"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/schemes"), "{}", res.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_household_signs_up_sees_what_it_can_get_books_and_cancels() {
    let (w, web) = world().await;
    let mut b = web.browser();
    b.visit("/").await.assert_has("Start now");
    new_household(&mut b, &w.council, "web-household@example.test").await;

    // What you can get: the scheme, eligible, every reason in words.
    let schemes = b.visit("/schemes").await;
    schemes.assert_has("Your household's details are saved.");
    schemes.assert_has("EV lease support");
    schemes.assert_has("You can get this");

    // Find a vehicle: a four-hour hire at 10am in three days.
    let day = (Utc::now() + Duration::days(3)).date_naive();
    let q = format!(
        "/find-a-vehicle/hire?search=1&kind=HIRE&day={}&month={}&year={}&time=10:00&hours=4&seats=4&radius=5",
        day.day(),
        day.month(),
        day.year()
    );
    let offers = b.visit(&q).await;
    assert_eq!(offers.status, StatusCode::OK, "{}", offers.text());
    offers.assert_has("Vehicles you can book");
    // £6.50 an hour for 4 hours; 40 % from the scheme.
    offers.assert_has("You pay £15.60 Full price £26. The council pays £10.40 from EV lease support.");
    // "Change your search" goes back to the form, as typed.
    let change = b.visit(&offers.link("/find-a-vehicle/hire?").unwrap()).await;
    change.assert_has("Hire a vehicle");
    assert!(change.body.contains("name=\"hours\" type=\"text\" value=\"4\""));

    // Check, then book: invoiced, confirmed.
    let check = b.visit(&offers.link("/book?").expect("a book link")).await;
    check.assert_has("Check your booking");
    check.assert_has("We send you an invoice");
    let res = b.submit_hidden(&check, "/book").await;
    let to = res.location.clone().expect("a redirect to the confirmation");
    let id = to
        .strip_prefix("/bookings/")
        .and_then(|r| r.strip_suffix("/confirmation"))
        .unwrap()
        .to_string();
    let done = b.follow(&res).await;
    done.assert_has("Booking confirmed");
    done.assert_has("Payment £15.60 to pay by invoice");
    assert!(
        !done.text().contains("Paid"),
        "an invoice not yet paid is never called paid"
    );

    b.visit("/bookings").await.assert_has("Renault Zoe");

    // Another household of the council cannot see or cancel it.
    let mut other = web.browser();
    new_household(&mut other, &w.council, "web-neighbour@example.test").await;
    for path in [format!("/bookings/{id}"), format!("/bookings/{id}/cancel")] {
        let page = other.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_has("Page not found");
    }
    let own = other.visit("/sign-out").await;
    let refused = other.submit(&own, &format!("/bookings/{id}/cancel"), &[]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get("/bookings/not-an-id").await.status, StatusCode::NOT_FOUND);

    // Cancelling shows the policy's refund first: three days ahead, all of it.
    let cancel = b.visit(&format!("/bookings/{id}/cancel")).await;
    cancel.assert_has("If you cancel now, you will not have to pay the £15.60 on your invoice.");
    let res = b
        .submit(
            &cancel,
            &format!("/bookings/{id}/cancel"),
            &[("reason", "Plans changed")],
        )
        .await;
    let after = b.follow(&res).await;
    after.assert_has("Your booking is cancelled. There is nothing to pay: the £15.60 is taken off the invoice.");
    after.assert_has("Payment Nothing to pay: the invoice was cancelled");
    assert!(
        !after.text().contains("refund"),
        "nothing was paid, so nothing is refunded"
    );
    after.assert_has("Cancelled");
    assert!(!after.body.contains("Cancel this booking"));
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_need_their_csrf_token_and_refusals_are_shown_at_their_fields() {
    let (w, web) = world().await;

    // No token, or another visitor's: refused, nothing done.
    let mut b = web.browser();
    let refused = b
        .post_raw("/sign-in", &[("email", "a@b.test"), ("password", "whatever it is")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_has("Your form could not be sent");
    let mut other = web.browser();
    let theirs = other.get("/sign-up").await;
    let _ = b.get("/sign-up").await;
    let res = b
        .submit(
            &theirs,
            "/sign-up",
            &[
                ("council", &w.council),
                ("email", "csrf@example.test"),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // The front end's own checks: a summary linking to each field, input kept.
    let form = b.get("/sign-up").await;
    let res = b
        .submit(&form, "/sign-up", &[("email", "not-an-email"), ("password", "short")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("There is a problem");
    for field in ["council", "email", "password"] {
        assert!(res.body.contains(&format!("<a href=\"#{field}\">")), "{field}");
        assert!(res.body.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    assert!(res.body.contains("value=\"not-an-email\""));
    assert!(res.body.contains("<title>Error: "));

    // The API's refusal, next to its field: the email is taken.
    w.stack.household(&w.council, "taken@example.test").await;
    let res = b
        .submit(
            &res,
            "/sign-up",
            &[
                ("council", &w.council),
                ("email", "taken@example.test"),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("<a href=\"#email\">"), "{}", res.text());
    assert!(res.body.contains("id=\"email-error\""));
    assert!(res.body.contains("value=\"taken@example.test\""));

    // The profile: a postcode the council does not know, a bad number.
    new_household(&mut b, &w.council, "profile@example.test").await;
    let profile = b.visit("/profile/postcode").await;
    let res = b
        .submit(
            &profile,
            "/profile",
            &[
                ("postcode", "ZZ1 1ZZ"),
                ("members", "lots"),
                ("income", "under-15000"),
                ("cars", "1"),
                ("blue-badge", "yes"),
                ("seats", "4"),
                ("wheelchair", "no"),
                ("electric", "no"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("We cannot find ZZ1 1ZZ in Council WOX");
    res.assert_has("The number of people must be a whole number from 1 to 30");
    assert!(res.body.contains("value=\"under-15000\" checked"));
    assert!(res.body.contains("value=\"ZZ1 1ZZ\""));

    // A district is enough: OX29 is outside the scheme's zone.
    let res = b
        .submit(
            &profile,
            "/profile",
            &[
                ("postcode", "OX29 7AB"),
                ("members", "2"),
                ("income", "under-15000"),
                ("cars", "0"),
                ("blue-badge", "no"),
                ("seats", "4"),
                ("wheelchair", "no"),
                ("electric", "no"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/schemes"));
    b.visit("/schemes").await.assert_has("You cannot get this");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_signs_in_again_and_returns_to_the_page() {
    let (w, web) = world().await;
    w.stack.household(&w.council, "expired@example.test").await;

    // Signed out: to sign in, then back.
    let mut b = web.browser();
    let res = b.get("/bookings").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/sign-in?next=/bookings"));
    let cookie = &b.set_cookies[0];
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "local development has no TLS: {cookie}");

    // A session whose gateway token no longer works.
    let keys = roundabout_web::session::Keys::new(WEB_KEY, false);
    let stale = roundabout_web::session::SessionData::signed_in(
        "expired-token".into(),
        "HOUSEHOLD".into(),
        "expired@example.test".into(),
    );
    b.cookie = Some(format!("roundabout_session={}", keys.encode(&stale)));
    let res = b.get("/bookings?after=x").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/sign-in?next=/bookings%3Fafter%3Dx"));
    let sign_in = b.follow(&res).await;
    sign_in.assert_has("Your session has ended. Sign in again to carry on.");
    assert!(sign_in.body.contains("name=\"next\" value=\"/bookings?after=x\""));
    let res = b
        .submit(
            &sign_in,
            "/sign-in",
            &[
                ("next", "/bookings?after=x"),
                ("email", "expired@example.test"),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/bookings?after=x"));

    // Elsewhere is never followed; a wrong password keeps the email.
    let mut c = web.browser();
    let form = c.get("/sign-in?next=//evil.example").await;
    assert!(form.body.contains("name=\"next\" value=\"\""));
    let res = c
        .submit(
            &form,
            "/sign-in",
            &[("email", "expired@example.test"), ("password", "wrong password!")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("value=\"expired@example.test\""));
    assert!(res.body.contains("<a href=\"#email\">"));

    // An officer is not a household.
    let mut o = web.browser();
    o.sign_in("officer@wox.test", support::PASSWORD).await;
    assert_eq!(o.get("/bookings").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_signs_up_applies_is_approved_and_keeps_its_fleet() {
    let (w, web) = world().await;
    let mut p = web.browser();
    let form = p.get("/provider/sign-up").await;
    let res = p
        .submit(
            &form,
            "/provider/sign-up",
            &[
                ("organisation", "Windrush Wheels"),
                ("email", "fleet@windrush.test"),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    let councils = p.follow(&res).await;
    councils.assert_has("Windrush Wheels");
    let res = p.submit(&councils, "/provider", &[("council", &w.council)]).await;
    p.follow(&res).await.assert_has("Council WOX Waiting for approval");

    // The officer approves it.
    let mut o = web.browser();
    o.sign_in("officer@wox.test", support::PASSWORD)
        .await
        .assert_has("Council WOX");
    let providers = o.visit("/officer/providers").await;
    let approve = providers
        .body
        .split("action=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .find(|a| a.ends_with("/approve"))
        .expect("an approve button");
    let res = o.submit(&providers, &approve, &[]).await;
    o.follow(&res).await.assert_has("Windrush Wheels is approved.");
    p.visit("/provider").await.assert_has("Council WOX Approved");

    // The fleet: a refused form keeps its input and names its fields.
    let new = p.visit("/provider/fleet/new").await;
    let vehicle = [
        ("kind", "CAR"),
        ("make", "Kia"),
        ("model", "e-Niro"),
        ("registration", "WR12 ABC"),
        ("seats", "5"),
        ("propulsion", "ELECTRIC"),
        ("wheelchair", "no"),
        ("lat", "51.79"),
        ("lon", "-1.48"),
        ("deposit", "100"),
    ];
    let res = p.submit(&new, "/provider/fleet/new", &vehicle).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Enter at least one price: an hour, a day or a lease month");
    assert!(res.body.contains("value=\"e-Niro\""));
    let mut priced = vehicle.to_vec();
    priced.push(("per-hour", "7.50"));
    let res = p.submit(&new, "/provider/fleet/new", &priced).await;
    let fleet = p.follow(&res).await;
    fleet.assert_has("Kia e-Niro is added to your fleet.");
    fleet.assert_has("£7.50 an hour");

    // The API's refusal next to its field: the registration is taken.
    let res = p.submit(&new, "/provider/fleet/new", &priced).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("<a href=\"#registration\">"), "{}", res.text());
    assert!(res.body.contains("id=\"registration-error\""));

    // Change it, then take it out of service.
    let edit_path = fleet
        .body
        .split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .find(|l| {
            l.starts_with("/provider/fleet/") && l != "/provider/fleet/new" && !l.starts_with("/provider/fleet/import")
        })
        .expect("a Change link");
    let edit = p.visit(&edit_path).await;
    assert!(edit.body.contains("value=\"7.50\""));
    let mut changed = priced.clone();
    changed.retain(|(k, _)| *k != "per-hour");
    changed.push(("per-hour", "8"));
    let res = p.submit(&edit, &edit_path, &changed).await;
    p.follow(&res).await.assert_has("£8 an hour");
    let res = p
        .submit(&edit, &format!("{edit_path}/status"), &[("status", "MAINTENANCE")])
        .await;
    p.follow(&res).await.assert_has("Kia e-Niro is now: in maintenance.");

    // Another provider's vehicle is not there to change.
    let theirs = format!("/provider/fleet/{}", w.vehicles[0]);
    assert_eq!(p.get(&theirs).await.status, StatusCode::NOT_FOUND);
    p.visit("/provider/bookings")
        .await
        .assert_has("Nobody has booked your vehicles yet.");
}

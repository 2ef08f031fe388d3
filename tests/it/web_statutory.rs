//! The statutory pages over HTTP in front of the whole stack: the
//! accessibility statement, each council's privacy notice and the cookies
//! page, public and true of the service (the cookies the site really sets,
//! the retention periods, the journeys the browser tests go through);
//! officers keeping the details these pages name; and the footer that
//! links to them on the pages of every role and on error pages.

use crate::support;
use crate::support::bookings::World;
use crate::support::web::{Browser, Page, Web};
use reqwest::StatusCode;
use serde_json::json;

const DETAILS: &str = "mutation($c: ID!, $i: CouncilDetailsInput!) { updateCouncilDetails(councilId: $c, input: $i) { council { id } userErrors { field code message } } }";

/// Whether the page's footer links to the three statutory pages.
#[track_caller]
fn assert_footer(page: &Page, what: &str) {
    let footer = page
        .body
        .split_once("<footer")
        .map(|(_, f)| f)
        .unwrap_or_else(|| panic!("{what}: no footer in {}", page.body));
    for (href, text) in [
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy"),
        ("/cookies", "Cookies"),
    ] {
        let link = format!("<a class=\"govuk-footer__link\" href=\"{href}\">{text}</a>");
        assert!(
            footer.contains(&link),
            "{what} ({}): no footer link {link}",
            page.status
        );
    }
}

async fn signed_in(web: &Web, email: &str, password: &str) -> Browser {
    let mut b = web.browser();
    let home = b.sign_in(email, password).await;
    assert_eq!(home.status, StatusCode::OK, "{email}: {}", home.text());
    assert!(home.text().contains("Sign out"), "{email}: {}", home.text());
    b
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_every_role_and_the_error_pages_link_to_the_statutory_pages() {
    let w = World::new(20_000_000).await;
    w.household("footer@example.test").await;
    let web = Web::start(&w.stack).await;

    let mut anon = web.browser();
    for path in [
        "/",
        "/sign-in",
        "/check",
        "/provider/sign-up",
        "/accessibility",
        "/privacy",
        "/privacy/WOX",
        "/cookies",
    ] {
        let page = anon.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_footer(&page, path);
    }
    let missing = anon.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_footer(&missing, "page not found");
    let refused = anon.post_raw("/sign-in", &[("email", "a@b.example")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_footer(&refused, "a form without its CSRF token");

    let mut household = signed_in(&web, "footer@example.test", support::PASSWORD).await;
    for path in ["/profile", "/schemes", "/find-a-vehicle", "/bookings", "/account"] {
        let page = household.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_footer(&page, path);
    }
    let forbidden = household.get("/officer").await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_footer(&forbidden, "another role's page");

    let mut provider = signed_in(&web, "fleet@cotswold.test", support::PASSWORD).await;
    for path in [
        "/provider",
        "/provider/fleet",
        "/provider/bookings",
        "/provider/contact",
    ] {
        let page = provider.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_footer(&page, path);
    }
    let mut officer = signed_in(&web, "officer@wox.test", support::PASSWORD).await;
    for path in [
        "/officer",
        "/officer/contact",
        "/officer/households",
        "/officer/reports",
        "/officer/zones",
    ] {
        let page = officer.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_footer(&page, path);
    }
    let mut admin = signed_in(&web, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await;
    let page = admin.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_footer(&page, "/admin");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_statement_the_notices_and_the_cookies_page_say_what_is_true() {
    let w = World::new(20_000_000).await;
    w.household("resident@example.test").await;
    let (_other, other_officer) = w.stack.council("OTH", "officer@oth.test").await;
    let web = Web::start(&w.stack).await;
    let mut anon = web.browser();

    // The statement: who runs it, how it was tested (every journey of the
    // browser tests, checked against them in browser.rs), when.
    let s = anon.get("/accessibility").await;
    assert_eq!(s.status, StatusCode::OK);
    s.assert_has("This website is run by Roundabout for Council OTH and Council WOX.");
    s.assert_has("partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard");
    s.assert_has("Equality Advisory and Support Service (EASS)");
    s.assert_has("Equality Commission for Northern Ireland");
    s.assert_has("2.2.1 (Timing Adjustable)");
    s.assert_has("You're signed out 12 hours after you sign in");
    use roundabout_web::statement;
    s.assert_has(&format!("This statement was prepared on {}.", statement::PREPARED));
    s.assert_has(&format!("It was last reviewed on {}.", statement::REVIEWED));
    s.assert_has(&format!(
        "more than {} different pages with the axe-core accessibility checker",
        statement::AXE_PAGES_AT_LEAST
    ));
    for j in statement::JOURNEYS {
        s.assert_has(j.words);
    }
    // No council has given an accessibility contact yet.
    s.assert_has("Contact Council WOX using the details on its own website.");

    // The cookies page lists every cookie the site sets, and Stripe's only
    // where cards are taken.
    let cookies = anon.get("/cookies").await;
    cookies.assert_has("That is why we do not ask you to accept cookies.");
    assert!(!anon.set_cookies.is_empty());
    for set in &anon.set_cookies {
        let name = set.split('=').next().unwrap();
        cookies.assert_has(&format!("{name} Keeps you signed in"));
        let max_age = set.split("; ").find_map(|a| a.strip_prefix("Max-Age=")).unwrap();
        assert_eq!(max_age, (12 * 3600).to_string(), "{set}");
    }
    cookies.assert_has("roundabout_session Keeps you signed in, remembers your answers while you check what you could get, and protects the forms you send from being sent by another site. It expires after 12 hours.");
    assert!(!cookies.body.contains("__stripe_mid"));
    let card_web = Web::start_with(&w.stack, |c| {
        c.stripe = Some(roundabout_web::config::StripeJs {
            publishable_key: "pk_test_roundabout".into(),
            js_url: roundabout_web::config::STRIPE_JS_URL.into(),
        })
    })
    .await;
    let card = card_web.browser().get("/cookies").await;
    card.assert_has("__stripe_mid Set by Stripe to help stop card fraud. It expires after 1 year.");
    card.assert_has("__stripe_sid Set by Stripe to help stop card fraud. It expires after 30 minutes.");

    // The privacy notices: one per council, the defaults while nothing is set.
    let list = anon.get("/privacy").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.link("/privacy/WOX").as_deref(), Some("/privacy/WOX"));
    assert!(list.link("/privacy/OTH").is_some());
    let n = anon.get("/privacy/wox").await;
    assert_eq!(n.status, StatusCode::OK);
    n.assert_has("Council WOX is the data controller for your personal data.");
    n.assert_has("It is the council's data processor");
    n.assert_has("contact the council's data protection officer.");
    n.assert_has("Contact Council WOX using the details on its own website and ask for its data protection officer.");
    n.assert_has("Article 6(1)(e) of the UK General Data Protection Regulation");
    n.assert_has("Article 9(2)(g) of the UK GDPR), under the conditions in Schedule 1 to the Data Protection Act 2018");
    n.assert_has("phone: 0303 123 1113");
    assert!(n.body.contains("href=\"https://ico.org.uk/make-a-complaint/\""));
    // How long records are kept: the service's periods, and the council's
    // own where it chose one.
    n.assert_has("Your account and your answers about your household Until you close your account");
    n.assert_has("Decisions about which schemes you can get, with the answers they were made on 2 years");
    n.assert_has("The record of what council officers did for you (assisted booking) 2 years");
    n.assert_has("Records of when you were signed in 30 days after you sign out or are signed out");
    n.assert_has("Payments, refunds and the accounts of them 6 years");
    let set = w
        .officer
        .mutate(
            "updateCouncilRetention",
            "mutation($c: ID!, $i: CouncilRetentionInput!) { updateCouncilRetention(councilId: $c, input: $i) { userErrors { code message } } }",
            serde_json::json!({"c": w.council, "i": {"periods": [{"kind": "ASSISTED_ACTIONS", "days": 400}]}}),
        )
        .await
        .unwrap();
    assert_eq!(set["userErrors"], serde_json::json!([]), "{set}");
    let n = anon.get("/privacy/wox").await;
    n.assert_has("The record of what council officers did for you (assisted booking) 400 days");
    assert_eq!(anon.get("/privacy/NOPE").await.status, StatusCode::NOT_FOUND);

    // An officer gives the council's details: refused at its field with
    // the input kept, then saved, and the pages name them.
    let mut officer = signed_in(&web, "officer@wox.test", support::PASSWORD).await;
    let form = officer.get("/officer/contact").await;
    let fields = [
        ("email", "transport@wox.example"),
        ("phone", "01993 861000"),
        ("dpo", "Head of Information Governance"),
        ("dpo-email", "dpo at wox"),
        ("address", "Woodgreen\r\nWitney\r\nOX28 1NB"),
        ("accessibility-email", "access@wox.example"),
        ("accessibility-phone", ""),
    ];
    let res = officer.submit(&form, "/officer/contact", &fields).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    assert!(
        res.body.contains(
            "<a href=\"#dpo-email\">Enter the data protection officer&#39;s email address in the correct format"
        ),
        "{}",
        res.text()
    );
    assert!(res.body.contains("id=\"dpo-email-error\""));
    assert!(res.body.contains("value=\"dpo at wox\""));
    assert!(res.body.contains("Woodgreen\r\nWitney\r\nOX28 1NB</textarea>"));
    let mut good = fields;
    good[3].1 = "dpo@wox.example";
    let res = officer.submit(&form, "/officer/contact", &good).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let saved = officer.follow(&res).await;
    saved.assert_has("The council's contact details are saved.");
    assert!(saved.body.contains("value=\"dpo@wox.example\""));
    let n = anon.get("/privacy/WOX").await;
    n.assert_has("contact the council's data protection officer (Head of Information Governance).");
    n.assert_has("Email: dpo@wox.example");
    n.assert_has("Head of Information Governance Council WOX Woodgreen Witney OX28 1NB");
    let s = anon.get("/accessibility").await;
    s.assert_has("email: access@wox.example");
    // Council OTH gave nothing: its residents are told to use its website.
    s.assert_has("Contact Council OTH using the details on its own website.");
    // Without their own email addresses, the pages give the council's
    // contact details for residents.
    let mut fallback = good;
    fallback[3].1 = "";
    fallback[5].1 = "";
    let res = officer.submit(&form, "/officer/contact", &fallback).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    anon.get("/privacy/WOX")
        .await
        .assert_has("Email the council at transport@wox.example and ask for the data protection officer.");
    let s = anon.get("/accessibility").await;
    s.assert_has("email: transport@wox.example call: 01993 861000");
    let res = officer.submit(&form, "/officer/contact", &good).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());

    // A signed-in resident's "Privacy" is their council's notice.
    let mut resident = signed_in(&web, "resident@example.test", support::PASSWORD).await;
    let res = resident.get("/privacy").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/privacy/WOX"));
    assert_eq!(resident.get("/privacy?all=yes").await.status, StatusCode::OK);
    let s = resident.get("/accessibility").await;
    assert!(
        !s.text().contains("Council OTH using"),
        "only the resident's council's contact"
    );

    // Anyone reads the details; only the council's officers change them.
    let read = w
        .stack
        .anon
        .query(
            "{ councils { code contact { dataProtectionEmail postalAddress accessibilityEmail } } }",
            json!({}),
        )
        .await
        .unwrap();
    let wox = read["councils"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "WOX")
        .unwrap();
    assert_eq!(wox["contact"]["dataProtectionEmail"], "dpo@wox.example");
    assert_eq!(wox["contact"]["postalAddress"], "Woodgreen\r\nWitney\r\nOX28 1NB");
    let err = other_officer
        .raw(
            DETAILS,
            json!({"c": w.council, "i": {"dataProtectionEmail": "x@y.example"}}),
        )
        .await
        .unwrap();
    assert_eq!(err["errors"][0]["extensions"]["code"], "FORBIDDEN", "{err}");
    let bad = w
        .officer
        .mutate(
            "updateCouncilDetails",
            DETAILS,
            json!({"c": w.council, "i": {"accessibilityPhone": "ring us"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        bad["userErrors"][0]["field"],
        json!(["input", "accessibilityPhone"]),
        "{bad}"
    );
    assert_eq!(bad["userErrors"][0]["code"], "INVALID_INPUT");
}

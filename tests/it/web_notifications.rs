//! "How we contact you", its officer variant and the demo mailbox on the
//! web, over HTTP in front of the whole stack: a household's refused and
//! saved choices, the messages it was sent (delivered, or failed with the
//! reason an officer sees), the assisted change in the council's log, and
//! the mailbox that exists only where messages go nowhere real.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    bookings::{book, hire, in_days, World},
    web::{Browser, Page, Web},
    Options, Stack, PASSWORD,
};

const EMAIL: &str = "web.contact@example.test";

/// The page at `path` once `ready` holds for it (messages are sent by the
/// gateway in the background).
async fn until(b: &mut Browser, path: &str, what: &str, ready: impl Fn(&Page) -> bool) -> Page {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = b.visit(path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        if ready(&page) {
            return page;
        }
        assert!(Instant::now() < deadline, "{what} never shown:\n{}", page.text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A booking's reference as messages write it.
fn reference(booked: &serde_json::Value) -> String {
    booked["booking"]["id"].as_str().unwrap()[..8].to_uppercase()
}

fn footer(page: &Page) -> &str {
    page.body.split_once("<footer").map_or("", |(_, f)| f)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_household_chooses_text_messages_and_reads_what_it_was_sent() {
    let w = World::new(1_000_000).await;
    let (h, _) = w.household(EMAIL).await;
    // A booking while messages go by email: its confirmation has a calendar entry.
    let first = book(&h, hire(&w.vehicles[0], in_days(4), 3, "web-contact-1")).await;
    assert_eq!(first["booking"]["status"], "CONFIRMED", "{first}");
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in(EMAIL, PASSWORD).await;

    // Linked from the overview and the account page.
    let overview = b.visit("/household").await;
    assert_eq!(
        overview.link("/contact-preferences").as_deref(),
        Some("/contact-preferences")
    );
    assert!(b.visit("/account").await.link("/contact-preferences").is_some());

    let form = b.visit("/contact-preferences").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    form.assert_has("How we contact you");
    form.assert_has(&format!("How Email To {EMAIL}"));
    assert!(form
        .body
        .contains("value=\"EMAIL\" aria-describedby=\"channel-email-hint\" checked"));

    // No choice, then a landline: refused at their fields, nothing changed.
    let res = b.submit(&form, "/contact-preferences", &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("<a href=\"#channel\">Select how we should contact you</a>"));
    assert!(res.body.contains("<title>Error: How we contact you"));
    let res = b
        .submit(
            &form,
            "/contact-preferences",
            &[("channel", "SMS"), ("phone", "01993 861000")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    assert!(
        res.body.contains("<a href=\"#phone\">Enter a UK mobile number"),
        "{}",
        res.body
    );
    assert!(res.body.contains("id=\"phone-error\""));
    assert!(res.body.contains("value=\"01993 861000\""), "the input is kept");
    assert!(
        res.body
            .contains("value=\"SMS\" data-app-reveal=\"conditional-channel-sms\" checked"),
        "the choice is kept"
    );
    let now = h
        .query("query { notificationPreferences { channel phone } }", json!({}))
        .await
        .unwrap();
    assert_eq!(now["notificationPreferences"]["channel"], "EMAIL", "{now}");
    b.visit("/contact-preferences")
        .await
        .assert_has(&format!("How Email To {EMAIL}"));

    // A mobile number: saved, said in the banner and the summary.
    let res = b
        .submit(
            &form,
            "/contact-preferences",
            &[("channel", "SMS"), ("phone", "+44 7700 900 982")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let saved = b.follow(&res).await;
    saved.assert_has("We will contact you by text message at 07700 900982.");
    saved.assert_has("How Text message To 07700 900982");
    assert!(saved.body.contains("value=\"07700 900982\""));

    // The next booking's confirmation goes by text message; both are listed,
    // newest first, readable, with their status.
    let second = book(&h, hire(&w.vehicles[1], in_days(5), 2, "web-contact-2")).await;
    assert_eq!(second["booking"]["status"], "CONFIRMED", "{second}");
    let (r1, r2) = (reference(&first), reference(&second));
    let page = until(&mut b, "/contact-preferences", "both confirmations delivered", |p| {
        let t = p.text();
        t.contains(&r1) && t.contains(&r2) && t.matches("Delivered").count() >= 2
    })
    .await;
    page.assert_has("Messages we sent you");
    page.assert_has("Text message to 07700 900982");
    page.assert_has(&format!("Email to {EMAIL}"));
    page.assert_has("Booking confirmation");
    let text = page.text();
    assert!(text.find(&r2) < text.find(&r1), "newest first: {r2} before {r1}");
    assert!(page.body.contains("govuk-tag govuk-tag--green\">Delivered"));
    assert!(page.body.contains("<details class=\"govuk-details"));
    page.assert_has("Read the text message");
    page.assert_has("Your booking is confirmed.");
    // The email's `# ` lines are headings inside the message.
    assert!(page.body.contains(">What happens next</h4>"), "{}", page.body);

    // The demo mailbox: linked from the footer, every message with its reference.
    assert!(footer(&page).contains("href=\"/mailbox\""), "no mailbox link");
    let mailbox = b.visit("/mailbox").await;
    assert_eq!(mailbox.status, StatusCode::OK, "{}", mailbox.text());
    mailbox.assert_has("Demo mailbox");
    mailbox.assert_has("In this demo no email, text message or letter is really sent");
    mailbox.assert_has("Booking confirmed:");
    mailbox.assert_has(&format!("reference {r1}"));
    mailbox.assert_has(&format!("reference {r2}"));
    mailbox.assert_has("Calendar entry attached");
    mailbox.assert_has("New booking, to the provider");
    assert!(mailbox.body.contains(">What happens next</h3>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_chooses_letters_for_a_household_and_sees_them_fail() {
    // Email goes to the demo mailbox; letters cannot be sent here, so
    // there is no demo mailbox either.
    let stack = Stack::start_with(Options {
        notify: Some(roundabout_gateway::notify::Settings {
            poll: Duration::from_millis(100),
            transports: roundabout_gateway::notify::Transports {
                letter: None,
                ..roundabout_gateway::notify::Transports::mailbox()
            },
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let w = World::on(stack, 1_000_000).await;
    let (h, id) = w.household(EMAIL).await;
    w.household("web.contact.other@example.test").await;
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in("officer@wox.test", PASSWORD).await;
    let base = format!("/officer/households/{id}");
    let path = format!("{base}/contact-preferences");

    let household = b.visit(&base).await;
    assert_eq!(household.link(&path).as_deref(), Some(path.as_str()));
    let form = b.visit(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    form.assert_has("How we contact the household");
    form.assert_has("You are acting for");

    // The postcode missing, then one the API refuses: at its field.
    let letter = [
        ("channel", "LETTER"),
        ("address-line-1", "1 High Street"),
        ("address-line-2", ""),
        ("address-town", "Witney"),
    ];
    let res = b.submit(&form, &path, &letter).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("<a href=\"#postcode\">Enter the postcode</a>"));
    let mut bad = letter.to_vec();
    bad.push(("postcode", "NOT A POSTCODE"));
    let res = b.submit(&form, &path, &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    assert!(
        res.body
            .contains("<a href=\"#postcode\">Enter a full UK postcode, like OX28 4AB</a>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"1 High Street\""), "the address is kept");

    let mut good = letter.to_vec();
    good.push(("postcode", "ox28 4ab"));
    let res = b.submit(&form, &path, &good).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.location.as_deref(), Some(path.as_str()));
    let saved = b.follow(&res).await;
    saved.assert_has("We will contact the household by letter.");
    saved.assert_has("How Letter To 1 High Street Witney OX28 4AB");
    saved.assert_has("by the council");

    // Recorded as an assisted action, the refusal too.
    let log = b.visit(&format!("{base}/audit")).await;
    log.assert_has("Changed how the household hears from us");
    log.assert_has("Refused: invalid input");
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from assisted_actions where household_id = $1::uuid and action = 'CONTACT_UPDATE' \
         and outcome = 'SUCCEEDED'",
    )
    .bind(&id)
    .fetch_one(&w.stack.gateway_pool)
    .await
    .unwrap();
    assert_eq!(rows, 1);

    // The household's booking confirmation cannot go by letter here: the
    // officer sees it failed, and why.
    let booked = book(&h, hire(&w.vehicles[0], in_days(4), 3, "web-contact-letter")).await;
    assert_eq!(booked["booking"]["status"], "CONFIRMED", "{booked}");
    // The household was first told, by letter too, that the officer changed
    // its choice: that letter fails the same way. Wait for the booking's.
    let reference_text = reference(&booked);
    let page = until(&mut b, &path, "the failed letter", |p| {
        p.text().contains("Failed") && p.text().contains(&reference_text)
    })
    .await;
    page.assert_has("A council officer changed how we contact you");
    page.assert_has("Messages we sent the household");
    page.assert_has("Letter to 1 High Street, OX28 4AB");
    page.assert_has("No way to send letters is set up");
    assert!(page.body.contains("govuk-tag govuk-tag--red\">Failed"));
    page.assert_has(&reference(&booked));

    // No mailbox where messages are really sent (or cannot be): not linked, not found.
    assert!(!footer(&page).contains("/mailbox"));
    let mailbox = b.get("/mailbox").await;
    assert_eq!(mailbox.status, StatusCode::NOT_FOUND, "{}", mailbox.text());

    // The household sees the choice the council made for it.
    let mut own = web.browser();
    own.sign_in(EMAIL, PASSWORD).await;
    let mine = own.visit("/contact-preferences").await;
    mine.assert_has("How Letter To 1 High Street Witney OX28 4AB");
    mine.assert_has("Failed");

    // Another household cannot open the officer's page for this one, nor post to it.
    let mut other = web.browser();
    other.sign_in("web.contact.other@example.test", PASSWORD).await;
    let refused = other.get(&path).await;
    assert!(
        refused.status == StatusCode::FORBIDDEN || refused.status == StatusCode::NOT_FOUND,
        "{}",
        refused.status
    );
    assert!(!refused.body.contains("High Street"));
    let theirs = other.visit("/contact-preferences").await;
    let res = other.submit(&theirs, &path, &[("channel", "EMAIL")]).await;
    assert!(
        res.status == StatusCode::FORBIDDEN || res.status == StatusCode::NOT_FOUND,
        "{}",
        res.status
    );
    let still = h
        .query("query { notificationPreferences { channel } }", json!({}))
        .await
        .unwrap();
    assert_eq!(still["notificationPreferences"]["channel"], "LETTER", "{still}");
}

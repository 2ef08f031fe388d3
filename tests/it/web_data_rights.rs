//! "Your data" and "Close your account" on the web, over HTTP in front of
//! the whole stack: the household sees and downloads what is held about it
//! and closes its account with its password (refusals at their field, then
//! signed out and unable to sign in); an officer does both for a household
//! from its page, with the household's request confirmed.

use std::time::{Duration, Instant};

use crate::support::{
    bookings::{book, hire, in_days, World},
    web::Web,
    PASSWORD,
};
use reqwest::StatusCode;

const EMAIL: &str = "web.rights@example.test";

#[tokio::test(flavor = "multi_thread")]
async fn a_household_sees_downloads_and_closes_its_account() {
    let w = World::new(1_000_000).await;
    let (h, id) = w.household(EMAIL).await;
    let booked = book(&h, hire(&w.vehicles[0], in_days(4), 4, "web-rights-1")).await;
    assert_eq!(booked["booking"]["status"], "CONFIRMED", "{booked}");
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in(EMAIL, PASSWORD).await;

    // From the overview and the account page.
    let overview = b.visit("/household").await;
    assert_eq!(overview.link("/your-data").as_deref(), Some("/your-data"));
    assert_eq!(
        b.visit("/account").await.link("/your-data").as_deref(),
        Some("/your-data")
    );

    let page = b.visit("/your-data").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    for text in [
        "Your data",
        "Your account",
        EMAIL,
        "Your answers about your household",
        "Decisions about what you can get",
        "Your bookings",
        "Your payments and refunds",
        "£26.00",
        "Download it as a file",
    ] {
        page.assert_has(text);
    }
    let file = b.get("/your-data.json").await;
    assert_eq!(file.status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&file.body).expect("a JSON file");
    assert_eq!(doc["householdId"], id.as_str());
    assert_eq!(doc["sections"]["account"]["records"][0]["email"], EMAIL);

    // Closing: the password is asked, refused when wrong, nothing changed.
    let form = b.visit("/close-account").await;
    form.assert_has("This cannot be undone");
    let res = b.submit(&form, "/close-account", &[("password", "")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("<a href=\"#password\">Enter your password to close your account</a>"));
    let res = b
        .submit(&form, "/close-account", &[("password", "not my password at all")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Your current password is not right");
    assert_eq!(b.visit("/household").await.status, StatusCode::OK, "still signed in");

    let res = b.submit(&form, "/close-account", &[("password", PASSWORD)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let home = b.follow(&res).await;
    home.assert_has("Your account is closed");
    // Signed out here, and no sign-in any more.
    let gone = b.get("/household").await;
    assert!(gone.status.is_redirection(), "{}", gone.status);
    let form = b.get("/sign-in").await;
    let res = b
        .submit(&form, "/sign-in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_ne!(res.status, StatusCode::SEE_OTHER, "a closed account signed in");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_downloads_and_closes_for_a_household_that_asked() {
    let w = World::new(1_000_000).await;
    let (_, id) = w.household(EMAIL).await;
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in("officer@wox.test", PASSWORD).await;
    let base = format!("/officer/households/{id}");

    let household = b.visit(&base).await;
    assert_eq!(household.status, StatusCode::OK, "{}", household.text());
    let data_link = format!("{base}/your-data");
    assert_eq!(household.link(&data_link).as_deref(), Some(data_link.as_str()));
    let page = b.visit(&data_link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    page.assert_has("The household's data");
    page.assert_has(EMAIL);
    let file = b.get(&format!("{base}/your-data.json")).await;
    assert_eq!(file.status, StatusCode::OK);

    let form = b.visit(&format!("{base}/close-account")).await;
    form.assert_has("Did the household ask for this?");
    let res = b.submit(&form, &format!("{base}/close-account"), &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Confirm that the household asked for its account to be closed");
    let res = b
        .submit(&form, &format!("{base}/close-account"), &[("confirm", "yes")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    b.follow(&res).await.assert_has("The household's account is closed");

    // Both are in the council's log, in words.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done: Option<String> = sqlx::query_scalar("select step from erasures where household_id = $1::uuid")
            .bind(&id)
            .fetch_optional(&w.stack.gateway_pool)
            .await
            .unwrap();
        if done.as_deref() == Some("DONE") {
            break;
        }
        assert!(Instant::now() < deadline, "erasure not done: {done:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = b.visit(&format!("{base}/audit")).await;
    log.assert_has("Downloaded the household's data");
    log.assert_has("Closed the household's account");
}

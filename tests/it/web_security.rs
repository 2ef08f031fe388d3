//! The web front end's defences over HTTP: only local paths are followed
//! after sign-in, signing out (here or everywhere) and changing the password
//! end sessions at the gateway so a copied cookie stops working, and each
//! visitor's request rate is limited — here, and at the gateway through the
//! visitor's address the front end forwards.

use crate::support;
use crate::support::web::{Browser, FakeProcessor, Web, WEB_KEY};
use reqwest::StatusCode;
use serde_json::json;

const EMAIL: &str = "resident@example.test";

/// A stack with a council and one household, and the front end.
async fn world() -> (support::Stack, Web) {
    let stack = support::Stack::start().await;
    let (council, _officer) = stack.council("WOX", "officer@wox.test").await;
    stack.household(&council, EMAIL).await;
    let web = Web::start(&stack).await;
    (stack, web)
}

/// The gateway token inside a browser's session cookie.
fn token_of(b: &Browser) -> String {
    let cookie = b.cookie.as_deref().unwrap();
    let value = cookie.strip_prefix("roundabout_session=").unwrap();
    roundabout_web::session::Keys::new(WEB_KEY, false)
        .decode(value)
        .and_then(|d| d.token)
        .expect("a signed-in session")
}

/// Whether `token` still answers `me` at the gateway.
async fn token_works(stack: &support::Stack, token: &str) -> bool {
    let v = stack
        .anon
        .with_token(token)
        .raw("{ me { email } }", json!({}))
        .await
        .unwrap();
    match support::error_code(&v).as_str() {
        "" => v["data"]["me"]["email"] == EMAIL,
        "UNAUTHENTICATED" => false,
        other => panic!("unexpected answer {other}: {v}"),
    }
}

/// `page` is sign-in, saying the session ended.
#[track_caller]
fn sent_to_sign_in(page: &support::web::Page, from: &str) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/sign-in?next={}", from).as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_never_sends_the_browser_off_the_site() {
    let (_stack, web) = world().await;

    // The reported request: the hidden field is empty, and signing in lands home.
    let mut b = web.browser();
    let form = b.get("/sign-in?next=/%09/evil.example/").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"next\" value=\"\""), "{}", form.body);
    let res = b
        .submit(
            &form,
            "/sign-in",
            &[
                ("next", "/\t/evil.example/"),
                ("email", EMAIL),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/household"));

    // Every other hostile `next`, posted as it is.
    for next in [
        "/\t/evil.example/",
        "/%09/evil.example/",
        "/%2F/evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "//evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/ /evil.example",
        "/\u{FF0F}evil.example",
        "/\r\nSet-Cookie: x=1",
    ] {
        let mut c = web.browser();
        let form = c.get("/sign-in").await;
        let res = c
            .submit(
                &form,
                "/sign-in",
                &[("next", next), ("email", EMAIL), ("password", support::PASSWORD)],
            )
            .await;
        assert_eq!(res.location.as_deref(), Some("/household"), "next = {next:?}");
    }

    // A local page is still returned to.
    let mut c = web.browser();
    let form = c.get("/sign-in?next=/bookings%3Fafter%3Dx").await;
    assert!(form.body.contains("name=\"next\" value=\"/bookings?after=x\""));
    let res = c
        .submit(
            &form,
            "/sign-in",
            &[
                ("next", "/bookings?after=x"),
                ("email", EMAIL),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/bookings?after=x"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copied_cookie_stops_working_after_sign_out() {
    let (stack, web) = world().await;
    let mut b = web.browser();
    b.sign_in(EMAIL, support::PASSWORD).await.assert_has("Your household");
    let copied = b.cookie.clone().unwrap();
    let token = token_of(&b);
    assert!(token_works(&stack, &token).await);
    // The token cannot be read from the cookie itself.
    assert!(!copied.contains(&token));

    let page = b.get("/sign-out").await;
    let res = b.submit(&page, "/sign-out", &[]).await;
    assert_eq!(res.location.as_deref(), Some("/"));
    b.follow(&res).await.assert_has("You have signed out.");

    // The copy no longer opens the household's pages, and its token is ended.
    let mut thief = web.browser();
    thief.cookie = Some(copied);
    let res = thief.get("/household").await;
    sent_to_sign_in(&res, "/household");
    thief.follow(&res).await.assert_has("Your session has ended");
    assert!(!token_works(&stack, &token).await, "the token still answers me");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_every_other_session() {
    let (stack, web) = world().await;
    let mut here = web.browser();
    here.sign_in(EMAIL, support::PASSWORD).await;
    let mut there = web.browser();
    there.sign_in(EMAIL, support::PASSWORD).await;
    let there_token = token_of(&there);

    // The account page, from the navigation.
    let household = here.visit("/household").await;
    assert_eq!(household.link("/account").as_deref(), Some("/account"));
    let account = here.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    account.assert_has("Sign-in and security");
    account.assert_has(EMAIL);

    // Refusals at their fields, passwords never sent back.
    let form = here.get("/account/password").await;
    form.assert_has("Change your password");
    let res = here
        .submit(
            &form,
            "/account/password",
            &[
                ("current-password", ""),
                ("new-password", "short"),
                ("confirm-password", "other"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, message) in [
        ("current-password", "Enter your current password"),
        ("new-password", "Your new password must be at least 12 characters"),
        ("confirm-password", "The passwords you entered do not match"),
    ] {
        assert!(
            res.body.contains(&format!("<a href=\"#{field}\">{message}</a>")),
            "{field}"
        );
        assert!(res.body.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    assert!(!res.body.contains("value=\"short\""));
    const NEW: &str = "a brand new long password";
    let res = here
        .submit(
            &form,
            "/account/password",
            &[
                ("current-password", "not my password at all"),
                ("new-password", NEW),
                ("confirm-password", NEW),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"current-password-error\""), "{}", res.text());

    // Changed: this session stays, the other ends at once.
    let res = here
        .submit(
            &form,
            "/account/password",
            &[
                ("current-password", support::PASSWORD),
                ("new-password", NEW),
                ("confirm-password", NEW),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/account"), "{}", res.text());
    here.follow(&res)
        .await
        .assert_has("Your password has been changed. You have been signed out on all your other devices.");
    assert_eq!(here.get("/household").await.status, StatusCode::OK);
    sent_to_sign_in(&there.get("/household").await, "/household");
    assert!(!token_works(&stack, &there_token).await);

    // The old password no longer signs in; the new one does.
    let mut again = web.browser();
    let form = again.get("/sign-in").await;
    let res = again
        .submit(&form, "/sign-in", &[("email", EMAIL), ("password", support::PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    again.sign_in(EMAIL, NEW).await.assert_has("Your household");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_of_all_devices_ends_every_session_here_too() {
    let (stack, web) = world().await;
    let mut here = web.browser();
    here.sign_in(EMAIL, support::PASSWORD).await;
    let here_token = token_of(&here);
    let mut there = web.browser();
    there.sign_in(EMAIL, support::PASSWORD).await;

    let account = here.get("/account").await;
    assert_eq!(
        account.link("/account/sign-out-everywhere").as_deref(),
        Some("/account/sign-out-everywhere")
    );
    let confirm = here.get("/account/sign-out-everywhere").await;
    confirm.assert_has("Sign out of all devices?");
    // Not without this session's form.
    let forged = here.post_raw("/account/sign-out-everywhere", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(there.get("/household").await.status, StatusCode::OK);

    let res = here.submit(&confirm, "/account/sign-out-everywhere", &[]).await;
    assert_eq!(res.location.as_deref(), Some("/"));
    let start = here.follow(&res).await;
    start.assert_has("You have signed out of all devices.");
    assert!(start.body.contains("href=\"/sign-in\""));
    sent_to_sign_in(&there.get("/household").await, "/household");
    sent_to_sign_in(&here.get("/household").await, "/household");
    assert!(!token_works(&stack, &here_token).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_over_the_limit_is_answered_429_with_retry_after() {
    let stack = support::Stack::start().await;
    let limited = Web::start_with(&stack, |c| {
        c.rate_limits = roundabout_web::limits::RateLimits {
            pages: roundabout_web::limits::RateLimit::new(60, 3),
            sign_in: roundabout_web::limits::RateLimit::new(1, 2),
        };
    })
    .await;

    // Page views: three at once, then "Too many requests"; another visitor is served.
    let mut a = limited.browser();
    a.forwarded_for = Some("198.51.100.7".into());
    for _ in 0..3 {
        assert_eq!(a.get("/sign-in").await.status, StatusCode::OK);
    }
    let res = a.get("/sign-in").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    res.assert_has("Too many requests");
    res.assert_has("then try again.");
    assert!(!res.text().contains("panicked") && !res.text().contains("Error"));
    // Assets are not counted.
    assert_eq!(
        a.get(&roundabout_web::assets::url("app.css")).await.status,
        StatusCode::OK
    );
    let mut b = limited.browser();
    b.forwarded_for = Some("198.51.100.8".into());
    let form = b.get("/sign-in").await;
    assert_eq!(form.status, StatusCode::OK);

    // Sign-in has its own, stricter budget.
    for _ in 0..2 {
        let res = b
            .submit(
                &form,
                "/sign-in",
                &[("email", EMAIL), ("password", "a wrong password!")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = b
        .submit(&form, "/sign-in", &[("email", EMAIL), ("password", support::PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((30..=60).contains(&wait), "{wait}");
    res.assert_has("Wait 1 minute, then try again.");
    assert_eq!(
        b.get("/sign-in").await.status,
        StatusCode::OK,
        "page views are still allowed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_hears_the_visitor_and_its_refusals_are_shown_plainly() {
    // A gateway that limits sign-up's councils query and locks the account at sign-in.
    let gateway = FakeProcessor::start(|body| {
        let query = body["query"].as_str().unwrap_or_default();
        if query.contains("signIn") {
            (
                200,
                vec![],
                json!({"data": {"signIn": {"token": null, "viewer": null, "userErrors": [
                    {"field": null, "code": "TOO_MANY_ATTEMPTS",
                     "message": "Too many attempts to sign in. Try again in 15 minutes."}]}}}),
            )
        } else {
            (
                429,
                vec![("Retry-After", "7".to_string())],
                json!({"errors": [{"message": "Too many requests", "extensions": {"code": "RATE_LIMITED"}}]}),
            )
        }
    })
    .await;
    let web = Web::start_for(&gateway.url, |_| {}).await;
    let mut b = web.browser();
    b.forwarded_for = Some("203.0.113.5".into());

    let res = b.get("/sign-up").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.retry_after.as_deref(), Some("7"));
    res.assert_has("Too many requests");
    res.assert_has("Wait 7 seconds, then try again.");

    let form = b.get("/sign-in").await;
    let res = b
        .submit(&form, "/sign-in", &[("email", EMAIL), ("password", support::PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // At the top of the form, not at a field.
    assert!(
        res.body
            .contains("<li>Too many attempts to sign in. Try again in 15 minutes.</li>"),
        "{}",
        res.body
    );
    assert!(!res.body.contains("id=\"email-error\""));
    assert!(!res.body.contains("id=\"password-error\""));

    // Every gateway call carried the visitor's address.
    let seen = gateway.forwarded_for.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|v| v.as_deref() == Some("203.0.113.5")), "{seen:?}");
}

/// `GET path` with `Accept-Encoding: accept` (nothing decoded): status,
/// headers, raw body.
async fn fetch_encoded(
    web: &Web,
    path: &str,
    accept: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let req = reqwest::Client::new().get(format!("{}{path}", web.url));
    let req = match accept {
        Some(a) => req.header(reqwest::header::ACCEPT_ENCODING, a),
        None => req,
    };
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn assets_are_compressed_and_kept_for_a_year_pages_are_not_stored_and_no_font_is_sent() {
    use std::io::Read;
    let (_stack, web) = world().await;
    let mut b = web.browser();
    let page = b.get("/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);

    // The page names each asset by its content; no font, no GOV.UK crown icon.
    let urls = support::web::asset_urls(&page.body);
    let css = urls.iter().find(|u| u.ends_with(".css")).expect("a stylesheet");
    let js = urls
        .iter()
        .find(|u| u.starts_with("/assets/app.") && u.ends_with(".js"))
        .expect("the script");
    assert!(
        urls.iter()
            .all(|u| u.starts_with("/assets/") && u.split('.').count() == 3),
        "{urls:?}"
    );
    assert!(!page.body.contains("/assets/images/") && !page.body.contains("/assets/fonts/"));

    // Pages hold personal data: never stored by any cache.
    let (status, headers, _) = fetch_encoded(&web, "/sign-in", Some("br, gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");

    for url in [css, js] {
        let (status, plain_headers, plain) = fetch_encoded(&web, url, None).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(plain_headers.get("content-encoding").is_none());
        assert_eq!(
            plain_headers["cache-control"], "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_eq!(plain_headers["vary"], "accept-encoding");

        let (_, headers, br) = fetch_encoded(&web, url, Some("gzip, deflate, br, zstd")).await;
        assert_eq!(headers["content-encoding"], "br", "{url}");
        assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
        assert_eq!(decoded, plain, "{url}: Brotli decodes to the file");
        if plain.len() > 10_000 {
            assert!(
                br.len() * 3 < plain.len(),
                "{url}: {} bytes compressed of {}",
                br.len(),
                plain.len()
            );
        }

        let (_, headers, gz) = fetch_encoded(&web, url, Some("gzip")).await;
        assert_eq!(headers["content-encoding"], "gzip");
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, plain, "{url}: gzip decodes to the file");

        // A browser that has it asks again only by its tag: 304, no body.
        let etag = headers["etag"].to_str().unwrap().to_string();
        let res = reqwest::Client::new()
            .get(format!("{}{url}", web.url))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(res.bytes().await.unwrap().is_empty());
    }

    // Arial, as GOV.UK Frontend asks of services not on GOV.UK: no font face at all.
    let (_, _, stylesheet) = fetch_encoded(&web, css, None).await;
    let stylesheet = String::from_utf8(stylesheet).unwrap();
    assert!(
        stylesheet.contains("font-family:arial,sans-serif"),
        "the body text is Arial"
    );
    for banned in ["GDS Transport", "@font-face", "/fonts/", ".woff"] {
        assert!(!stylesheet.contains(banned), "the stylesheet still has {banned}");
    }
    // The stylesheet and scripts together stay small on the wire.
    let mut wire = 0;
    for url in &urls {
        wire += fetch_encoded(&web, url, Some("br")).await.2.len();
    }
    assert!(wire < 60_000, "the assets of a page are {wire} bytes compressed");

    // Old and unknown names are not served.
    for path in [
        "/assets/govuk-frontend.min.css",
        "/assets/fonts/light-94a07e06a1-v2.woff2",
        "/assets/app.css",
        "/static/app.css",
    ] {
        assert_eq!(fetch_encoded(&web, path, None).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

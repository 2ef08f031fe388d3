//! The household's answers on the web, over HTTP in front of the whole
//! stack: the exact income a household gave survives saving its answers
//! unchanged; the signed-out checker (postcode, one question a page, check
//! your answers, the result) and signing up with its answers kept; and a
//! signed-in household changing one answer at a time.

use crate::support;
use crate::support::bookings::World;
use crate::support::eligibility::{ok, profile, UPDATE_PROFILE};
use crate::support::web::{Browser, Page, Web};
use reqwest::StatusCode;
use serde_json::{json, Value};

const POSTCODES: &str =
    "pcd,pcds,lat,long,oseast1m\nOX284AB,OX28 4AB,51.7860,-1.4840,435000\nOX29,OX29,51.8000,-1.4200,440000\n";
const IMPORT_POSTCODES: &str = "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount rowErrors { line field message } userErrors { code message } } }";
const WITNEY: (f64, f64) = (-1.485, 51.785);
const MY_INCOME: &str = "{ me { household { profile { annualIncomePence incomeBand { fromPence belowPence } } } } }";

/// The booking world (its scheme: income under £25,000, no car, in
/// Witney), its council's postcodes, and the front end.
async fn world() -> (World, Web) {
    let w = World::new(20_000_000).await;
    import(&w.officer, &w.council).await;
    let web = Web::start(&w.stack).await;
    (w, web)
}

async fn import(officer: &roundabout::graphql_client::GraphqlClient, council: &str) {
    let p = officer
        .mutate(
            "importPostcodes",
            IMPORT_POSTCODES,
            json!({"input": {"councilId": council, "csv": POSTCODES}}),
        )
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 2, "{p}");
}

async fn income(h: &roundabout::graphql_client::GraphqlClient) -> (Value, Value) {
    let me = h.query(MY_INCOME, json!({})).await.unwrap();
    let p = &me["me"]["household"]["profile"];
    (p["annualIncomePence"].clone(), p["incomeBand"].clone())
}

/// A question's page, the answer given there and where it leads.
type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// Answers the question at `path` (its page first) and returns where it went.
async fn answer(b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.visit(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text());
    let action = path.to_string();
    let res = b.submit(&page, &action, fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}: {}", res.text());
    res
}

#[tokio::test(flavor = "multi_thread")]
async fn saving_the_answers_unchanged_keeps_the_exact_income() {
    let (w, web) = world().await;
    let h = w.stack.household(&w.council, "brown@example.test").await;
    let mut input = profile(WITNEY.0, WITNEY.1, 4_200_000, 1);
    input["postcode"] = json!("OX28 4AB");
    ok(&h, "updateHouseholdProfile", UPDATE_PROFILE, json!({"input": input})).await;
    let mut b = web.browser();
    b.sign_in("brown@example.test", support::PASSWORD).await;

    // The whole form, sent back as the page shows it: £42,000 is in the
    // band "£35,000 to £49,999", and stays £42,000 (not £49,999).
    let any_form = b.visit("/sign-out").await;
    let res = b
        .submit(
            &any_form,
            "/profile",
            &[
                ("postcode", "OX28 4AB"),
                ("members", "2"),
                ("income", "35000-49999"),
                ("cars", "1"),
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
    assert_eq!(income(&h).await, (json!(4_200_000), Value::Null));

    // The one question, saved unchanged: still exactly £42,000.
    let summary = b.visit("/profile").await;
    summary.assert_has("Household income £35,000 to £49,999 Change household income");
    let page = b.visit("/profile/income").await;
    assert!(page.body.contains("value=\"35000-49999\" checked"), "{}", page.body);
    page.assert_has("What is your household's income a year, before tax?");
    let res = b.submit(&page, "/profile/income", &[("income", "35000-49999")]).await;
    assert_eq!(res.location.as_deref(), Some("/profile"), "{}", res.text());
    assert_eq!(income(&h).await, (json!(4_200_000), Value::Null));

    // Another band: its top is stored with the band, and the decision
    // shows the band chosen, never the figure standing in for it.
    let res = b.submit(&page, "/profile/income", &[("income", "15000-24999")]).await;
    assert_eq!(res.location.as_deref(), Some("/profile"));
    let band = json!({"fromPence": 1_500_000, "belowPence": 2_500_000});
    assert_eq!(income(&h).await, (json!(2_499_900), band.clone()));
    let schemes = b.visit("/schemes").await;
    schemes.assert_has(
        "Your household's income is under £25,000. You told us your household's income is £15,000 to £24,999.",
    );
    schemes.assert_has("This scheme is for households without a car. You told us your household owns 1 car.");
    assert!(!schemes.text().contains("income is £24,999"), "{}", schemes.text());
    // Not eligible: what to do next.
    schemes.assert_has("What you can do");
    assert!(schemes.body.contains("href=\"/find-a-vehicle\""));
    // Chosen again, the same band keeps the same figure.
    b.submit(&page, "/profile/income", &[("income", "15000-24999")]).await;
    assert_eq!(income(&h).await, (json!(2_499_900), band));
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_checks_what_they_could_get_then_signs_up_with_their_answers() {
    let (w, web) = world().await;
    let mut b = web.browser();
    let start = b.visit("/").await;
    assert_eq!(start.link("/check").as_deref(), Some("/check"));

    // The postcode first: its shape, an area not covered, then Witney's.
    let page = b.visit("/check").await;
    page.assert_has("What is your postcode?");
    let bad = b.submit(&page, "/check", &[("postcode", "nowhere")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_has("Enter a real postcode, like OX28 4AB");
    assert!(bad.body.contains("href=\"#postcode\""));
    let none = b.submit(&page, "/check", &[("postcode", "ZZ1 1ZZ")]).await;
    assert_eq!(none.status, StatusCode::OK);
    none.assert_has("This service does not cover your area yet");
    none.assert_has("No council using this service covers ZZ1 1ZZ.");
    let res = b.submit(&page, "/check", &[("postcode", "ox28 4ab")]).await;
    assert_eq!(res.location.as_deref(), Some("/check/people"));

    // One question a page, each with its own error and a way back.
    let people = b.visit("/check/people").await;
    assert!(people.body.contains("href=\"/check\" class=\"govuk-back-link\""));
    let empty = b.submit(&people, "/check/people", &[("members", "")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body.matches("govuk-error-message").count(), 1);
    empty.assert_has("Enter how many people live in your household");
    let steps: &[Step] = &[
        ("/check/people", &[("members", "2")], "/check/income"),
        ("/check/income", &[("income", "15000-24999")], "/check/cars"),
        ("/check/cars", &[("cars", "1")], "/check/blue-badge"),
        // No live scheme of the council reads benefits or age: not asked.
        ("/check/blue-badge", &[("blue-badge", "no")], "/check/seats"),
        ("/check/seats", &[("seats", "4")], "/check/wheelchair"),
        ("/check/wheelchair", &[("wheelchair", "no")], "/check/electric"),
        ("/check/electric", &[("electric", "yes")], "/check/answers"),
    ];
    for (path, fields, next) in steps {
        let res = answer(&mut b, path, fields).await;
        assert_eq!(res.location.as_deref(), Some(*next), "{path}");
    }

    // Check your answers, and a change that comes back to it.
    let check = b.visit("/check/answers").await;
    check.assert_has("Check your answers");
    check.assert_has("Council Council WOX");
    check.assert_has("Household income £15,000 to £24,999 Change household income");
    assert!(
        !check.text().contains("Your age"),
        "a question not asked is not on the answers"
    );
    assert!(
        !check.text().contains("Benefits"),
        "a question not asked is not on the answers"
    );
    let seats = b.visit("/check/seats").await;
    assert!(seats
        .body
        .contains("href=\"/check/blue-badge\" class=\"govuk-back-link\""));
    assert_eq!(check.link("/check/cars").as_deref(), Some("/check/cars?change=1"));
    let result = b.visit("/check/result").await;
    result.assert_has("You cannot get this");
    result.assert_has("This scheme is for households without a car. You told us your household owns 1 car.");
    result.assert_has("What you can do");
    let res = answer(&mut b, "/check/cars?change=1", &[("cars", "0")]).await;
    assert_eq!(res.location.as_deref(), Some("/check/answers"));

    // The result: nothing stored, the reasons in plain words.
    let result = b.visit("/check/result").await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.text());
    result.assert_has("you could get 1 scheme from Council WOX");
    result.assert_has("EV lease support You can get this");
    result.assert_has(
        "Your household's income is under £25,000. You told us your household's income is £15,000 to £24,999.",
    );
    result.assert_has("Your household does not own a car.");
    result.assert_has("Your home is in Witney.");
    let stored: i64 = sqlx::query_scalar("select count(*) from eligibility_decisions")
        .fetch_one(&w.stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // Creating an account keeps the council and the answers.
    let sign_up = b.visit(&result.link("/sign-up").unwrap()).await;
    assert!(
        sign_up.body.contains(&format!("value=\"{}\" checked", w.council)),
        "{}",
        sign_up.body
    );
    let res = b
        .submit(
            &sign_up,
            "/sign-up",
            &[
                ("council", w.council.as_str()),
                ("email", "checked@example.test"),
                ("password", support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/schemes"), "{}", res.text());
    let schemes = b.follow(&res).await;
    schemes.assert_has("Your account is created and your answers are saved.");
    schemes.assert_has("EV lease support You can get this");
    let summary = b.visit("/profile").await;
    summary.assert_has("Postcode OX28 4AB");
    summary.assert_has("Household income £15,000 to £24,999");
    summary.assert_has("Cars owned None");
    // The checker's answers are gone from the session.
    assert_eq!(b.get("/check/answers").await.location.as_deref(), Some("/profile"));
}

#[tokio::test(flavor = "multi_thread")]
async fn benefits_and_age_are_asked_only_when_a_live_scheme_reads_them() {
    let (w, web) = world().await;
    let facts = |v: Value| v["council"]["factsInUse"].clone();
    let q = "query($c: ID!) { council(id: $c) { factsInUse } }";
    let before = facts(w.stack.anon.query(q, json!({"c": w.council})).await.unwrap());
    assert_eq!(before, json!(["household.annualIncomePence", "household.carsOwned"]));
    crate::support::eligibility::publish_older_and_benefits_scheme(&w.officer, &w.council).await;
    let after = facts(w.stack.anon.query(q, json!({"c": w.council})).await.unwrap());
    assert_eq!(
        after,
        json!([
            "household.annualIncomePence",
            "household.carsOwned",
            "household.benefits",
            "household.leadAge"
        ])
    );
    let mut b = web.browser();
    let page = b.visit("/check").await;
    b.submit(&page, "/check", &[("postcode", "OX28 4AB")]).await;
    let steps: &[Step] = &[
        ("/check/people", &[("members", "1")], "/check/income"),
        ("/check/income", &[("income", "under-15000")], "/check/cars"),
        ("/check/cars", &[("cars", "0")], "/check/blue-badge"),
        ("/check/blue-badge", &[("blue-badge", "no")], "/check/benefits"),
        ("/check/benefits", &[("benefits", "pension_credit")], "/check/age"),
        ("/check/age", &[("age", "")], "/check/seats"),
    ];
    for (path, fields, next) in steps {
        let res = answer(&mut b, path, fields).await;
        assert_eq!(res.location.as_deref(), Some(*next), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postcode_two_councils_cover_asks_which_one() {
    let (w, web) = world().await;
    let (_, other) = w.stack.council("OTH", "officer@oth.test").await;
    let other_id = {
        let c = w.stack.anon.query("{ councils { id code } }", json!({})).await.unwrap();
        c["councils"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "OTH")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    import(&other, &other_id).await;
    let mut b = web.browser();
    let page = b.visit("/check").await;
    let res = b.submit(&page, "/check", &[("postcode", "OX29 7AB")]).await;
    assert_eq!(res.location.as_deref(), Some("/check/council"));
    let choose = b.follow(&res).await;
    choose.assert_has("Which council do you live in?");
    choose.assert_has("More than one council covers OX29 7AB.");
    let refused = b.submit(&choose, "/check/council", &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_has("Select the council you live in");
    let res = b
        .submit(&choose, "/check/council", &[("council", other_id.as_str())])
        .await;
    assert_eq!(res.location.as_deref(), Some("/check/people"));
    // Skipping ahead before answering goes back to the first unanswered question.
    assert_eq!(b.get("/check/answers").await.location.as_deref(), Some("/check/people"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_household_answers_one_question_a_page_then_saves() {
    let (w, web) = world().await;
    w.stack.household(&w.council, "new@example.test").await;
    let mut b = web.browser();
    b.sign_in("new@example.test", support::PASSWORD).await;
    let start = b.visit("/profile").await;
    start.assert_has("About your household");
    assert_eq!(start.link("/profile/").as_deref(), Some("/profile/postcode"));
    let bad = b.visit("/profile/postcode").await;
    let res = b.submit(&bad, "/profile/postcode", &[("postcode", "ZZ1 1ZZ")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("We cannot find ZZ1 1ZZ in Council WOX");
    let steps: &[(&str, &[(&str, &str)])] = &[
        ("/profile/postcode", &[("postcode", "OX28 4AB")]),
        ("/profile/people", &[("members", "1")]),
        ("/profile/income", &[("income", "under-15000")]),
        ("/profile/cars", &[("cars", "0")]),
        ("/profile/blue-badge", &[("blue-badge", "yes")]),
        ("/profile/benefits", &[("benefits", "pension_credit")]),
        ("/profile/age", &[("age", "70")]),
        ("/profile/seats", &[("seats", "2")]),
        ("/profile/wheelchair", &[("wheelchair", "yes")]),
        ("/profile/electric", &[("electric", "no")]),
    ];
    for (path, fields) in steps {
        answer(&mut b, path, fields).await;
    }
    let check = b.visit("/profile").await;
    check.assert_has("Check your answers");
    check.assert_has("Benefits Pension Credit");
    let res = b.submit_hidden(&check, "/profile").await;
    assert_eq!(res.location.as_deref(), Some("/schemes"), "{}", res.text());
    let summary = b.visit("/profile").await;
    summary.assert_has("About your household");
    summary.assert_has("Wheelchair-accessible vehicle Yes");
    summary.assert_has("Your age 70");
}

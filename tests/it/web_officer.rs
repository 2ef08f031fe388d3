//! The council officer's pages over HTTP in front of the whole stack:
//! zones from GeoJSON files on a server-drawn map, writing a scheme with the
//! criteria builder, its test cases, trying and publishing it, and
//! importing postcodes; with the refusals of each shown at their fields.

use crate::support;
use crate::support::bookings::World;
use crate::support::web::{Browser, Page, Web};
use reqwest::StatusCode;
use serde_json::json;

/// Posts a multipart form (as a browser sends a form with a file input)
/// with the CSRF token of `from`; `file` is (name, file name, text), or
/// none for a file input left empty.
async fn upload(
    b: &mut Browser,
    from: &Page,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &str)>,
) -> Page {
    let csrf = from.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let file = file.unwrap_or(("file", "", ""));
    b.post_multipart(path, &all, &[file]).await
}

async fn officer(web: &Web) -> Browser {
    let mut o = web.browser();
    o.sign_in("officer@wox.test", support::PASSWORD)
        .await
        .assert_has("Council WOX");
    o
}

/// Carterton, west of Witney, inside the council's boundary.
const CARTERTON: &str = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Carterton"},
  "geometry": {"type": "Polygon", "coordinates": [[[-1.62, 51.74], [-1.56, 51.74], [-1.56, 51.78], [-1.62, 51.78], [-1.62, 51.74]]]}}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_adds_zones_from_geojson_and_sees_them_on_the_map() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut o = officer(&web).await;

    // The map: the boundary and the Witney zone, drawn on the server, with
    // the table of zones as its text alternative.
    let zones = o.visit("/officer/zones").await;
    assert_eq!(zones.status, StatusCode::OK);
    assert!(zones.body.contains("<svg class=\"app-map__svg\""), "{}", zones.body);
    assert!(zones
        .body
        .contains("role=\"img\" aria-labelledby=\"map-title map-desc\""));
    assert_eq!(
        zones.body.matches("fill-opacity=\"0.2\" fill-rule=\"evenodd\"").count(),
        1
    );
    // Witney's 0.1° square at 51.785°N: about 76 km², 17% of the council's 0.3° by 0.2°.
    zones.assert_has("Witney 76.5 km² 17%");

    // Not JSON: refused at the field, the name and the text kept.
    let form = o.visit("/officer/zones/new").await;
    form.assert_has("Add a zone");
    let res = upload(
        &mut o,
        &form,
        "/officer/zones/new",
        &[("name", "Carterton"), ("geojson", "{\"type\": \"Polygon\", ")],
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("<a href=\"#geojson\">The GeoJSON is not valid JSON"),
        "{}",
        res.text()
    );
    assert!(res.body.contains("id=\"geojson-error\""));
    assert!(res.body.contains("value=\"Carterton\""));
    assert!(res.body.contains("{&#34;type&#34;: &#34;Polygon&#34;,") || res.body.contains("{&quot;type&quot;"));

    // The API's refusal at the field: a zone far outside the council. The
    // file's text is kept in the text box.
    let far = r#"{"type": "Polygon", "coordinates": [[[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.1], [10.0, 50.0]]]}"#;
    let res = upload(
        &mut o,
        &form,
        "/officer/zones/new",
        &[("name", "Far away")],
        Some(("file", "far.geojson", far)),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("The zone lies outside the council's boundary");
    assert!(res.body.contains("<a href=\"#geojson\">"));
    res.assert_has("The text of far.geojson is below");
    assert!(res.body.contains("[10.1, 50.0]"));
    // A shape that is not a polygon.
    let res = upload(
        &mut o,
        &form,
        "/officer/zones/new",
        &[
            ("name", "A point"),
            ("geojson", r#"{"type": "Point", "coordinates": [-1.5, 51.8]}"#),
        ],
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Expected a Polygon or MultiPolygon, got Point");
    // Nothing at all.
    let res = upload(&mut o, &form, "/officer/zones/new", &[("name", "")], None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("<a href=\"#name\">Enter a name for the zone"));
    assert!(res
        .body
        .contains("<a href=\"#file\">Choose a GeoJSON file, or paste the GeoJSON"));

    // A FeatureCollection file of one zone: added, on the map.
    let res = upload(
        &mut o,
        &form,
        "/officer/zones/new",
        &[("name", "Carterton")],
        Some(("file", "carterton.geojson", CARTERTON)),
    )
    .await;
    assert_eq!(res.location.as_deref(), Some("/officer/zones"), "{}", res.text());
    let zones = o.follow(&res).await;
    zones.assert_has("The zone Carterton is added.");
    zones.assert_has("Carterton 18.4 km² 4%");
    assert_eq!(
        zones.body.matches("fill-opacity=\"0.2\" fill-rule=\"evenodd\"").count(),
        2
    );

    // The same name again: the API's message next to the name.
    let res = upload(
        &mut o,
        &form,
        "/officer/zones/new",
        &[("name", "Carterton"), ("geojson", CARTERTON)],
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body
            .contains("<a href=\"#name\">The council already has a zone called"),
        "{}",
        res.text()
    );

    // Without the form's CSRF token: refused, nothing added.
    let stranger = web.browser().get("/sign-in").await;
    let res = upload(
        &mut o,
        &stranger,
        "/officer/zones/new",
        &[("name", "Sneaky"), ("geojson", CARTERTON)],
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(!o.visit("/officer/zones").await.text().contains("Sneaky"));

    // A household is not an officer.
    let mut h = web.browser();
    w.household("zones-household@example.test").await;
    h.sign_in("zones-household@example.test", support::PASSWORD).await;
    assert_eq!(h.get("/officer/zones").await.status, StatusCode::FORBIDDEN);
}

/// The scheme form's fields: one criterion row per (fact, comparison, value).
fn scheme_fields<'a>(
    name: &'a str,
    rows: &'a [(&'a str, &'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("name".into(), name.into()),
        ("description".into(), "Help for households without a car.".into()),
        ("rows".into(), rows.len().to_string()),
        ("percent".into(), "50".into()),
        ("cap".into(), "40".into()),
        ("budget".into(), "10,000".into()),
        ("applies-to".into(), "HIRE".into()),
    ];
    for (i, (fact, op, value)) in rows.iter().enumerate() {
        f.push((format!("c{i}-fact"), fact.to_string()));
        f.push((format!("c{i}-op"), op.to_string()));
        f.push((format!("c{i}-value"), value.to_string()));
    }
    f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    f
}

async fn send(b: &mut Browser, from: &Page, path: &str, fields: &[(String, String)]) -> Page {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.submit(from, path, &f).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_builds_tests_tries_and_publishes_a_scheme() {
    let w = World::new(20_000_000).await;
    // Two households: income £15,000 with no car (from the world), and one
    // with £40,000.
    w.household("low@example.test").await;
    let (rich, _) = w.household("high@example.test").await;
    rich.mutate(
        "updateHouseholdProfile",
        support::eligibility::UPDATE_PROFILE,
        json!({"input": support::eligibility::profile(support::bookings::WITNEY.0, support::bookings::WITNEY.1, 4_000_000, 0)}),
    )
    .await
    .unwrap();
    let web = Web::start(&w.stack).await;
    let mut o = officer(&web).await;

    // The builder without JavaScript: "Add another criterion" posts the
    // form and comes back with one more row, keeping what was typed.
    let list = o.visit("/officer/schemes").await;
    assert!(list.link("/officer/schemes/new").is_some());
    let form = o.visit("/officer/schemes/new").await;
    assert!(form.body.contains("name=\"rows\" value=\"1\""));
    let one = [("income", "lt", "25,000")];
    let res = send(
        &mut o,
        &form,
        "/officer/schemes/new",
        &scheme_fields("Car-free help", &one, &[("action", "add")]),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert!(res.body.contains("name=\"rows\" value=\"2\""));
    assert!(res.body.contains("id=\"c1-fact\""));
    assert!(res.body.contains("value=\"25,000\""));
    assert!(res.body.contains("value=\"Car-free help\""));
    // The rule so far, read-only, in JSON Logic.
    res.assert_has("\"household.annualIncomePence\"");

    // A value that is not a number: refused at its field, kept.
    let two_bad = [("income", "lt", "25,000"), ("cars", "eq", "none")];
    let res = send(
        &mut o,
        &res,
        "/officer/schemes/new",
        &scheme_fields("Car-free help", &two_bad, &[]),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body
            .contains("<a href=\"#c1-value\">The value for ‘Number of cars the household owns’ must be a whole number"),
        "{}",
        res.text()
    );
    assert!(res.body.contains("id=\"c1-value-error\""));
    assert!(res.body.contains("value=\"none\""));
    // A comparison that does not fit the fact.
    let res = send(
        &mut o,
        &res,
        "/officer/schemes/new",
        &scheme_fields("Car-free help", &[("blue-badge", "lt", "yes")], &[]),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("<a href=\"#c0-op\">"));

    // A JSON Logic row the API refuses: its message next to the rule.
    let res = send(
        &mut o,
        &res,
        "/officer/schemes/new",
        &scheme_fields(
            "Car-free help",
            &[("income", "lt", "25000")],
            &[
                ("rows", "2"),
                ("c1-label", "Salary is low"),
                ("c1-rule", r#"{"<": [{"var": "household.salary"}, 100]}"#),
            ],
        )
        .into_iter()
        .filter(|(k, v)| !(k == "rows" && v == "1"))
        .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    assert!(res.body.contains("<a href=\"#c1-rule\">"), "{}", res.text());
    res.assert_has("unknown fact \"household.salary\"");
    assert!(res.body.contains("Salary is low"));

    // Two criteria through the builder: saved as a draft.
    let two = [("income", "lt", "25,000"), ("cars", "eq", "0")];
    let res = send(
        &mut o,
        &res,
        "/officer/schemes/new",
        &scheme_fields("Car-free help", &two, &[]),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let path = res.location.clone().unwrap();
    let id = path.strip_prefix("/officer/schemes/").unwrap().to_string();
    let page = o.follow(&res).await;
    page.assert_has("Car-free help is saved as a draft.");
    page.assert_has("Household income is less than £25,000");
    page.assert_has("Number of cars the household owns is 0");
    page.assert_has("50% of the price, at most £40 a booking");
    page.assert_has("\"and\"");
    page.assert_has("{ \"var\": \"household.annualIncomePence\" }, 2500000 ]");
    assert!(page.body.contains("&#60;"), "the operator, escaped");
    // Plain criteria first; the JSON Logic behind "Show the rule as JSON
    // Logic", in a figure named by its caption (not a <pre aria-labelledby>).
    let plain = page.body.find("Household income is less than £25,000").unwrap();
    let details = page.body.find("Show the rule as JSON Logic").unwrap();
    let logic = page.body.find("household.annualIncomePence").unwrap();
    assert!(plain < details && details < logic, "criteria in words come first");
    assert!(page.body.contains("<figure class=\"app-figure\">"));
    assert!(!page.body.contains("<pre class=\"app-rule\" aria-labelledby"));

    // The draft's form again: the builder rows from the saved rules.
    let edit = o.visit(&format!("{path}/edit")).await;
    assert!(edit.body.contains("value=\"25000\""), "{}", edit.text());
    assert!(edit.body.contains("<option value=\"cars\" selected>"));

    // A test case that the scheme decides otherwise: it fails.
    let tc = o.visit(&format!("{path}/test-cases")).await;
    let res = o
        .submit(
            &tc,
            &format!("{path}/test-cases"),
            &[
                ("name", "Middle income"),
                ("income", "30000"),
                ("cars", "0"),
                ("expect", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = o.follow(&res).await;
    page.assert_has("The test case Middle income is added: it fails");
    page.assert_has("Middle income income £30,000, 0 cars Yes Fails");
    // A bad fact: refused at its field.
    let res = o
        .submit(
            &tc,
            &format!("{path}/test-cases"),
            &[("name", "Crowd"), ("members", "99"), ("expect", "no")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("<a href=\"#members\">"));

    // Try it: 2 households, 1 could get it, 1 fails the income criterion —
    // small numbers are "fewer than 10", said as on the reports page.
    let tried = o.visit(&format!("{path}/try")).await;
    assert_eq!(tried.status, StatusCode::OK, "{}", tried.text());
    tried.assert_has("numbers of households or bookings from 1 to 9 are shown as “fewer than 10”");
    tried.assert_has("Households that told us about themselves fewer than 10");
    tried.assert_has("Could get it fewer than 10");
    tried.assert_has("Do not meet: Household income is less than £25,000 fewer than 10");
    tried.assert_has("Do not meet: Number of cars the household owns is 0 0");
    // A hire of 4 hours at £10, 50% capped at £40: £20 for the one household.
    tried.assert_has("Estimated cost £20 if each of them took one typical booking");
    assert!(!tried.text().contains("With your changes"));
    // The form starts from the scheme's own numbers.
    assert!(tried
        .body
        .contains("id=\"income\" name=\"income\" type=\"text\" value=\"25000\""));
    assert!(tried
        .body
        .contains("id=\"percent\" name=\"percent\" type=\"text\" value=\"50\""));
    assert!(tried
        .body
        .contains("id=\"cap\" name=\"cap\" type=\"text\" value=\"40\""));

    // What if: a £45,000 limit and 100%. Both households, £40 each; the
    // scheme as it is beside it, and the draft unchanged.
    let what_if = o.get(&format!("{path}/try?income=45%2C000&percent=100&cap=40")).await;
    assert_eq!(what_if.status, StatusCode::OK, "{}", what_if.text());
    what_if.assert_has("With your changes Tried: income limit £45,000, pays 100%.");
    what_if.assert_has("Do not meet: Household income is less than £25,000 (tried: Household income under £45,000) 0");
    what_if.assert_has("Estimated cost £80 if each of them took one typical booking");
    what_if.assert_has("The scheme as it is");
    what_if.assert_has("Estimated cost £20 if each of them took one typical booking");
    assert!(what_if.body.contains("value=\"45,000\""), "what was typed is kept");
    o.visit(&path)
        .await
        .assert_has("50% of the price, at most £40 a booking");
    // Numbers that are not: GOV.UK errors at the fields, nothing run.
    let bad = o.get(&format!("{path}/try?income=lots&percent=150&cap=")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("<a href=\"#income\">The income limit must be an amount in pounds, like 25,000</a>"));
    assert!(bad
        .body
        .contains("<a href=\"#percent\">The share must be a number from 0 to 100, like 40</a>"));
    assert!(!bad.text().contains("Could get it"));

    // Publishing is blocked by the failing test case, said plainly.
    let confirm = o.visit(&format!("{path}/publish")).await;
    confirm.assert_has("Publish Car-free help?");
    let res = o.submit(&confirm, &format!("{path}/publish"), &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("The scheme was not changed");
    res.assert_has("Test case \"Middle income\" failed");
    assert!(res.body.contains(&format!("href=\"{path}#test-cases\"")));
    assert!(o.visit(&path).await.text().contains("Draft"));

    // Raise the limit to £35,000: the case now passes, and it publishes.
    let edit = o.visit(&format!("{path}/edit")).await;
    let higher = [("income", "lt", "35000"), ("cars", "eq", "0")];
    let res = send(
        &mut o,
        &edit,
        &format!("{path}/edit"),
        &scheme_fields("Car-free help", &higher, &[]),
    )
    .await;
    assert_eq!(res.location.as_deref(), Some(path.as_str()), "{}", res.text());
    let res = o.submit(&confirm, &format!("{path}/publish"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = o.follow(&res).await;
    page.assert_has("Car-free help is published.");
    page.assert_has("Published");
    page.assert_has("Middle income income £30,000, 0 cars Yes Passes");
    // A published scheme is not edited in place.
    assert_eq!(
        o.get(&format!("{path}/edit")).await.location.as_deref(),
        Some(path.as_str())
    );

    // A new version is a draft; the published one can be paused and closed.
    let confirm = o.visit(&format!("{path}/revise")).await;
    let res = o.submit(&confirm, &format!("{path}/revise"), &[]).await;
    let v2 = res.location.clone().unwrap();
    assert_ne!(v2, path);
    o.follow(&res).await.assert_has("Version 2 of Car-free help is a draft");
    let confirm = o.visit(&format!("{path}/pause")).await;
    let res = o.submit(&confirm, &format!("{path}/pause"), &[]).await;
    o.follow(&res).await.assert_has("Car-free help is paused.");
    let confirm = o.visit(&format!("{path}/close")).await;
    let res = o.submit(&confirm, &format!("{path}/close"), &[]).await;
    o.follow(&res).await.assert_has("Car-free help is closed.");
    // Closed for good: publishing again is refused, shown plainly.
    let res = o.submit(&confirm, &format!("{path}/publish"), &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("A CLOSED scheme cannot be published");

    // Another council's officer cannot see it.
    w.stack.council("OTH", "officer@oth.test").await;
    let mut other = web.browser();
    other.sign_in("officer@oth.test", support::PASSWORD).await;
    assert_eq!(
        other.get(&format!("/officer/schemes/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(&format!("/officer/schemes/{id}/try")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        o.get("/officer/schemes/not-a-scheme/launch").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_imports_postcodes_and_sees_each_rows_problem() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut o = officer(&web).await;
    let page = o.visit("/officer/postcodes").await;
    page.assert_has("Upload a CSV file");

    // The ONS directory's shape: quoted cells, many columns.
    let ons = "\"pcd\",\"pcd2\",\"pcds\",\"dointr\",\"doterm\",\"oscty\",\"lat\",\"long\"\n\
               \"OX284AB\",\"OX28 4AB\",\"OX28 4AB\",\"198001\",\"\",\"E10000025\",51.786000,-1.484000\n\
               \"OX29\",\"OX29\",\"OX29\",\"198001\",\"\",\"E10000025\",51.800000,-1.420000\n";
    let res = upload(&mut o, &page, "/officer/postcodes", &[], Some(("file", "ons.csv", ons))).await;
    assert_eq!(res.location.as_deref(), Some("/officer/postcodes"), "{}", res.text());
    o.follow(&res).await.assert_has("2 postcodes are imported.");
    let at = w
        .officer
        .query(
            "query($c: ID!, $p: String!) { locatePostcode(councilId: $c, postcode: $p) { lat lon } }",
            json!({"c": w.council, "p": "OX28 4AB"}),
        )
        .await
        .unwrap();
    assert_eq!(at["locatePostcode"]["lat"], 51.786);

    // Rows with problems: each listed at its line of the file; nothing imported.
    let bad = "pcds,lat,long\nOX28 4AB,51.78,-1.48\nNOT A POSTCODE,51.7,-1.4\nOX28 5ZZ,north,-1.4\n";
    let res = upload(&mut o, &page, "/officer/postcodes", &[], Some(("file", "bad.csv", bad))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("<a href=\"#file\">2 rows of the file have a problem"),
        "{}",
        res.text()
    );
    res.assert_has("Problems in bad.csv");
    res.assert_has("3 Postcode \"NOT A POSTCODE\" is not a postcode or postcode district");
    res.assert_has("4 Latitude Latitude and longitude must be numbers");

    // A file without the columns, and no file at all.
    let res = upload(
        &mut o,
        &page,
        "/officer/postcodes",
        &[],
        Some(("file", "x.csv", "a,b\n1,2\n")),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("The first line must name the columns pcds");
    let res = upload(&mut o, &page, "/officer/postcodes", &[], None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Choose the CSV file of the council's postcodes");
}

/// Every link styled as a button, in every template, is the GOV.UK one:
/// `role="button"`, `draggable="false"` and `data-module="govuk-button"`.
#[test]
fn every_button_link_in_the_templates_is_marked_as_a_button() {
    fn html_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                html_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    html_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/templates"),
        &mut files,
    );
    let mut links = 0;
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, _) in text.match_indices("<a ") {
            let tag = &text[i..i + text[i..].find('>').unwrap()];
            if !tag.contains("govuk-button") {
                continue;
            }
            links += 1;
            for attr in ["role=\"button\"", "draggable=\"false\"", "data-module=\"govuk-button\""] {
                if !tag.contains(attr) {
                    wrong.push(format!("{}: {tag} lacks {attr}", f.display()));
                }
            }
        }
    }
    assert!(links > 10, "only {links} button links found");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

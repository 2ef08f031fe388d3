//! The offers page and what follows a booking, over HTTP in front of the
//! whole stack: results grouped, filtered, sorted and shown a few at a time
//! (all as GET parameters, for the household and an officer acting for
//! it); the confirmation saying where to collect the vehicle, what to
//! bring, how to pay and whom to contact; the provider's contact details
//! page; a vehicle placed by its postcode; prices in pounds in a CSV file.

use crate::support;
use crate::support::bookings::{vehicle_input, World, WITNEY};
use crate::support::web::{Browser, Page, Web};
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

const ADD_VEHICLE: &str =
    "mutation($i: VehicleInput!) { addVehicle(input: $i) { vehicle { id } userErrors { field code message } } }";
const POSTCODES: &str = "pcd,pcds,lat,long\nOX284AB,OX28 4AB,51.7860,-1.4840\n";

/// Adds a vehicle to the world's provider.
async fn add(w: &World, input: serde_json::Value) -> String {
    let v = w
        .provider
        .mutate("addVehicle", ADD_VEHICLE, json!({"i": input}))
        .await
        .unwrap();
    assert!(v["userErrors"].as_array().unwrap().is_empty(), "{v}");
    v["vehicle"]["id"].as_str().unwrap().to_string()
}

/// The world's three Zoes (5, 4 and 7 seats), two more 5-seat Zoes at the
/// same price (one nearer than the first) and six e-bikes of different
/// models and prices: 9 results for 11 vehicles.
async fn fleet(w: &World) -> String {
    let nearest = add(w, vehicle_input(WITNEY.1 + 0.0005, WITNEY.0 + 0.0005, 5)).await;
    add(w, vehicle_input(WITNEY.1 + 0.009, WITNEY.0 + 0.009, 5)).await;
    for i in 0..6_i64 {
        let d = 0.001 * (i as f64 + 1.0);
        add(
            w,
            json!({"kind": "EBIKE", "make": "Raleigh", "model": format!("Motus {i}"), "seats": 1,
                   "propulsion": "ELECTRIC_ASSIST", "wheelchairAccessible": false,
                   "location": {"lat": WITNEY.1 - d, "lon": WITNEY.0 - d},
                   "pricing": {"perHourPence": 200 + 10 * i, "depositPence": 0}}),
        )
        .await;
    }
    nearest
}

fn search(extra: &str) -> String {
    let day = (Utc::now() + Duration::days(3)).date_naive();
    format!(
        "find-a-vehicle/hire?search=1&kind=HIRE&day={}&month={}&year={}&time=10:00&hours=4&radius=5{extra}",
        day.day(),
        day.month(),
        day.year()
    )
}

/// The names of the results on the page, in order.
fn results(p: &Page) -> Vec<String> {
    p.body
        .split("class=\"govuk-heading-m app-offer__title\"")
        .skip(1)
        .map(|s| {
            let s = &s[s.find('>').unwrap() + 1..];
            s[..s.find('<').unwrap()].to_string()
        })
        .collect()
}

/// Every link's address on the page, unescaped.
fn links(p: &Page) -> Vec<String> {
    p.body
        .match_indices("href=\"")
        .map(|(i, _)| &p.body[i + 6..])
        .map(|s| s[..s.find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

async fn household(w: &World, web: &Web, email: &str) -> Browser {
    w.household(email).await;
    let mut b = web.browser();
    b.sign_in(email, support::PASSWORD).await;
    b
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_are_grouped_filtered_sorted_and_shown_a_few_at_a_time() {
    let w = World::new(20_000_000).await;
    let nearest = fleet(&w).await;
    let web = Web::start(&w.stack).await;
    let mut b = household(&w, &web, "offers@example.test").await;

    let page = b.visit(&format!("/{}", search(""))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    page.assert_has("Showing 5 of 9 results");
    page.assert_has("11 vehicles free then: the same model at the same price from one provider is shown once");
    // What the household pays comes first; the price is not repeated in
    // the reasons, nor the distance.
    page.assert_has(
        "Renault Zoe You pay £15.60 Full price £26. The council pays £10.40 from EV lease support. Car, 5 seats, electric. From Cotswold Car Club. 3 available, the nearest 0.1 km away",
    );
    assert!(!page.text().contains("after a £10.40 council subsidy"));
    assert!(!page.text().contains("Why it is shown here: 0.1 km"));
    assert_eq!(results(&page).len(), 5);
    // The group of three books its nearest vehicle.
    let book = page.link("/book?").unwrap();
    assert!(book.contains(&format!("vehicle={nearest}")), "{book}");
    // Filters and sort are a GET form at the top.
    assert!(page
        .body
        .contains("<form method=\"get\" action=\"/find-a-vehicle/hire\" class=\"app-filter\""));
    assert!(page
        .body
        .contains("<option value=\"best\" selected>Best match</option>"));

    // "Show more" is a link: five more, landing on the sixth.
    let more = links(&page)
        .into_iter()
        .find(|l| l.contains("show=10"))
        .expect("a Show more link");
    assert!(more.ends_with("#result-6"), "{more}");
    let all = b.visit(more.split('#').next().unwrap()).await;
    all.assert_has("9 results");
    assert_eq!(results(&all).len(), 9);
    assert!(!all.body.contains("show=15"));

    // Only e-bikes; then the cheapest first; then the nearest first.
    let bikes = b.visit(&format!("/{}", search("&type=EBIKE&show=10"))).await;
    bikes.assert_has("6 results");
    assert!(results(&bikes).iter().all(|r| r.starts_with("Raleigh Motus")));
    assert!(bikes.body.contains("<option value=\"EBIKE\" selected>E-bikes</option>"));
    let cheapest = b.visit(&format!("/{}", search("&sort=price"))).await;
    assert_eq!(results(&cheapest)[0], "Raleigh Motus 0");
    cheapest.assert_has("Sorted by lowest price");
    let near = b.visit(&format!("/{}", search("&sort=distance"))).await;
    assert_eq!(results(&near)[0], "Renault Zoe");
    // Seats and distance filter through the API; nothing matching is said so.
    let seven = b.visit(&format!("/{}", search("&seats=7"))).await;
    assert_eq!(results(&seven), vec!["Renault Zoe"]);
    let vans = b.visit(&format!("/{}", search("&type=VAN"))).await;
    vans.assert_has("No results");
    vans.assert_has("No vehicle is free then that matches these filters");
    // Unknown values are the defaults, never an error.
    let odd = b.visit(&format!("/{}", search("&type=BOAT&sort=x&show=-3"))).await;
    assert_eq!(odd.status, StatusCode::OK);
    odd.assert_has("Showing 5 of 9 results");

    // An officer acting for a household sees the same list, its links
    // under the household's pages.
    let (_, household_id) = w.household("assisted@example.test").await;
    let mut o = web.browser();
    o.sign_in("officer@wox.test", support::PASSWORD).await;
    let base = format!("/officer/households/{household_id}");
    let acting = o.visit(&format!("{base}/{}", search("&type=CAR"))).await;
    assert_eq!(acting.status, StatusCode::OK, "{}", acting.text());
    acting.assert_has("3 results");
    assert!(acting.link(&format!("{base}/book?")).is_some());
    assert!(acting
        .body
        .contains(&format!("<form method=\"get\" action=\"{base}/find-a-vehicle/hire\"")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_confirmation_says_where_to_collect_what_to_bring_how_to_pay_and_whom_to_contact() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;

    // The provider gives its contact details on its own page.
    let mut p = web.browser();
    p.sign_in("fleet@cotswold.test", support::PASSWORD).await;
    let form = p.visit("/provider/contact").await;
    form.assert_has("Contact details");
    let res = p
        .submit(
            &form,
            "/provider/contact",
            &[("address", ""), ("phone", "call us"), ("email", "bookings")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    res.assert_has("There is a problem");
    assert!(res.body.contains("<a href=\"#phone\">"), "{}", res.text());
    let res = p
        .submit(
            &form,
            "/provider/contact",
            &[("address", ""), ("phone", "01993 555010"), ("email", "bookings")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    assert!(res.body.contains("<a href=\"#email\">"), "{}", res.text());
    assert!(res.body.contains("value=\"01993 555010\""));
    let res = p
        .submit(
            &form,
            "/provider/contact",
            &[
                (
                    "address",
                    "Cotswold Car Club office\r\nMarket Square\r\nWitney OX28 6AB",
                ),
                ("phone", "01993 555010"),
                ("email", "bookings@cotswold.example"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let saved = p.follow(&res).await;
    saved.assert_has("Your contact details are saved.");
    assert!(saved.body.contains("value=\"01993 555010\""));

    // The council's officer gives the council's, on the council's pages.
    let mut o = web.browser();
    o.sign_in("officer@wox.test", support::PASSWORD).await;
    o.visit("/officer").await.assert_has("Change the contact details");
    let form = o.visit("/officer/contact").await;
    let res = o
        .submit(&form, "/officer/contact", &[("email", "transport"), ("phone", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text());
    assert!(res.body.contains("<a href=\"#email\">"), "{}", res.text());
    let res = o
        .submit(
            &form,
            "/officer/contact",
            &[("email", "transport@wox.example"), ("phone", "01993 861000")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    o.follow(&res)
        .await
        .assert_has("The council's contact details are saved.");
    // A provider may not.
    assert_eq!(p.get("/officer/contact").await.status, StatusCode::FORBIDDEN);

    // A household books the best offer by invoice.
    let mut b = household(&w, &web, "next@example.test").await;
    let offers = b.visit(&format!("/{}", search("&seats=4"))).await;
    let check = b.visit(&offers.link("/book?").unwrap()).await;
    let res = b.submit_hidden(&check, "/book").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let done = b.follow(&res).await;
    done.assert_has("Booking confirmed");
    let reference = done.text();
    let reference = reference
        .split("Your reference ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    done.assert_has(
        "Collecting the vehicle Collect it from Cotswold Car Club at: Cotswold Car Club office Market Square Witney OX28 6AB",
    );
    assert!(done.body.contains("href=\"https://www.openstreetmap.org/?mlat="));
    done.assert_has("What to bring the driving licence of whoever will drive");
    done.assert_has(&format!("your booking reference, {reference}"));
    done.assert_has(
        "You pay £15.60 by invoice. We send you the invoice; it says how to pay it. Nothing has been taken.",
    );
    done.assert_has("The council pays the rest, £10.40, to Cotswold Car Club.");
    done.assert_has("contact Cotswold Car Club: Phone: 01993 555010 Email: bookings@cotswold.example");
    assert!(done.body.contains("href=\"tel:01993555010\""));
    done.assert_has(
        "About the council's subsidy, contact Council WOX: Phone: 01993 861000 Email: transport@wox.example",
    );
    done.assert_has(&format!("Quote your booking reference, {reference}"));
    // No notification is sent, so none is claimed.
    assert!(!done.text().to_lowercase().contains("email has been sent"));
    assert!(!done.text().to_lowercase().contains("we have sent"));
    // The booking's own page says the same.
    let id = res.location.unwrap();
    let id = id.trim_end_matches("/confirmation");
    b.visit(id).await.assert_has("Collect it from Cotswold Car Club at:");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bike_needs_no_licence_and_a_provider_without_details_is_said_so() {
    let w = World::new(20_000_000).await;
    add(
        &w,
        json!({"kind": "EBIKE", "make": "Raleigh", "model": "Motus", "seats": 1, "propulsion": "ELECTRIC_ASSIST",
               "wheelchairAccessible": false, "location": {"lat": WITNEY.1, "lon": WITNEY.0},
               "pricing": {"perHourPence": 300, "depositPence": 0}}),
    )
    .await;
    let web = Web::start(&w.stack).await;
    let mut b = household(&w, &web, "bike@example.test").await;
    let bikes = b.visit(&format!("/{}", search("&type=EBIKE"))).await;
    let check = b.visit(&bikes.link("/book?").unwrap()).await;
    let res = b.submit_hidden(&check, "/book").await;
    let done = b.follow(&res).await;
    done.assert_has("Booking confirmed");
    done.assert_has("no driving licence: you do not need one for an e-bike");
    done.assert_has("Cotswold Car Club has not given a pick-up address.");
    done.assert_has("About the vehicle or collecting it, contact Cotswold Car Club.");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_places_a_vehicle_by_its_postcode_or_by_latitude_and_longitude() {
    let w = World::new(20_000_000).await;
    let p = w
        .officer
        .mutate(
            "importPostcodes",
            "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount userErrors { code message } } }",
            json!({"input": {"councilId": w.council, "csv": POSTCODES}}),
        )
        .await
        .unwrap();
    assert_eq!(p["importedCount"], 1, "{p}");
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in("fleet@cotswold.test", support::PASSWORD).await;
    let form = b.visit("/provider/fleet/new").await;
    form.assert_has("Postcode");
    form.assert_has("Give the latitude and longitude instead");
    let vehicle = |postcode: &'static str, lat: &'static str, lon: &'static str| {
        vec![
            ("kind", "CAR"),
            ("make", "Kia"),
            ("model", "Niro"),
            ("registration", ""),
            ("seats", "5"),
            ("propulsion", "ELECTRIC"),
            ("range", ""),
            ("wheelchair", "no"),
            ("postcode", postcode),
            ("lat", lat),
            ("lon", lon),
            ("per-hour", "7.50"),
            ("per-day", ""),
            ("per-month", ""),
            ("deposit", "0"),
        ]
    };
    // Neither: asked for the postcode.
    let res = b.submit(&form, "/provider/fleet/new", &vehicle("", "", "")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Enter the postcode where the vehicle is kept");
    assert!(res.body.contains("<a href=\"#postcode\">"));
    // A postcode the council's lookup does not have.
    let res = b
        .submit(&form, "/provider/fleet/new", &vehicle("SW1A 1AA", "", ""))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("We cannot find this postcode in the councils you operate in");
    // Bad coordinates: the details open, the message there.
    let res = b
        .submit(&form, "/provider/fleet/new", &vehicle("", "north", "-1.4"))
        .await;
    res.assert_has("Enter the latitude and longitude as numbers");
    assert!(res.body.contains("<details class=\"govuk-details\" open>"));
    // By postcode: placed at the postcode's location.
    let res = b
        .submit(&form, "/provider/fleet/new", &vehicle("ox28 4ab", "", ""))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let fleet = w
        .provider
        .query(
            "{ me { provider { vehicles(first: 20) { nodes { model location { lat lon } } } } } }",
            json!({}),
        )
        .await
        .unwrap();
    let niro = fleet["me"]["provider"]["vehicles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["model"] == "Niro")
        .cloned()
        .unwrap();
    assert_eq!(niro["location"], json!({"lat": 51.786, "lon": -1.484}));
    // By latitude and longitude: still accepted.
    let res = b
        .submit(&form, "/provider/fleet/new", &vehicle("", "51.79", "-1.49"))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_file_gives_prices_in_pounds_and_the_pence_columns_still_work() {
    let w = World::new(20_000_000).await;
    let web = Web::start(&w.stack).await;
    let mut b = web.browser();
    b.sign_in("fleet@cotswold.test", support::PASSWORD).await;
    let form = b.visit("/provider/fleet/import").await;
    form.assert_has("price_per_hour No The price of an hour's hire in pounds 6.50");
    form.assert_has("with prices in pence");
    let template = b.get("/provider/fleet/import/template.csv").await;
    assert!(template
        .body
        .contains(",price_per_hour,price_per_day,price_per_lease_month,deposit\r\n"));
    assert!(template.body.contains(",6.50,45.00,299.00,100.00\r\n"));
    let csrf = form.csrf();
    let pounds = "kind,make,model,seats,propulsion,lat,lon,price_per_hour,deposit\n\
                  EBIKE,Raleigh,Motus,1,ELECTRIC_ASSIST,51.786,-1.485,4.50,20\n";
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf), ("csv", pounds)],
            &[("file", "", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    b.follow(&res).await.assert_has("£4.50 an hour");
    let pence = "kind,make,model,seats,propulsion,lat,lon,per_hour_pence\n\
                 EBIKE,Raleigh,Motus,1,ELECTRIC_ASSIST,51.786,-1.485,325\n";
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf), ("csv", pence)],
            &[("file", "", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    b.follow(&res).await.assert_has("£3.25 an hour");
    let wrong = pounds.replace("4.50", "450p");
    let res = b
        .post_multipart(
            "/provider/fleet/import",
            &[("csrf", &csrf), ("csv", &wrong)],
            &[("file", "", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    res.assert_has("Line 2, price_per_hour: price_per_hour must be an amount in pounds, like 4.50");
}

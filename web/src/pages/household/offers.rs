//! "Find a vehicle": hire or lease, when, needs and distance → ranked
//! offers with price, council subsidy and what the household pays, and why
//! each is ranked where it is; then "Check your booking" and book.

use askama::Template;
use axum::{
    extract::{Query, State},
    routing::get,
    Router,
};
use chrono::{NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{offer::Offer, search::Search};
use crate::{
    config::StripeJs,
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::{GatewayError, UserError},
    pages::{
        acting::Acting,
        household::{card, results},
        render, render_refused,
        vocabulary::{self, filters},
    },
    views::Layout,
    AppState,
};

pub fn router(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/find-a-vehicle"), get(choose))
        .route(&format!("{prefix}/find-a-vehicle/hire"), get(hire))
        .route(&format!("{prefix}/find-a-vehicle/lease"), get(lease))
        .route(&format!("{prefix}/book"), get(check).post(book))
}

/// Start times offered for a hire: every half hour from 7am to 9pm.
fn start_times() -> Vec<(String, String)> {
    (14..=42)
        .map(|half| {
            let t = NaiveTime::from_hms_opt(half / 2, (half % 2) * 30, 0).expect("a valid time");
            let label = vocabulary::clock(NaiveDate::default().and_time(t));
            (t.format("%H:%M").to_string(), label)
        })
        .collect()
}

const RADII: &[(&str, &str)] = &[("2", "2 km"), ("5", "5 km"), ("10", "10 km"), ("25", "25 km")];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Needs {
    seats: i64,
    wheelchair_accessible: bool,
    electric_preferred: bool,
}

/// The household's travel needs, or `None` before it has a profile.
async fn needs(s: &AppState, user: &Acting) -> Result<Option<Needs>, PageError> {
    #[derive(Deserialize)]
    struct H {
        profile: Option<P>,
    }
    #[derive(Deserialize)]
    struct P {
        needs: Needs,
    }
    let h: H = user
        .household(
            s,
            "",
            "profile { needs { seats wheelchairAccessible electricPreferred } }",
            json!({}),
        )
        .await?;
    Ok(h.profile.map(|p| p.needs))
}

#[derive(Template)]
#[template(path = "household/find.html")]
struct ChoosePage {
    l: Layout,
    errors: Errors,
    has_profile: bool,
}

async fn choose(State(s): State<AppState>, user: Acting, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let q = FormData(q);
    match q.get("kind") {
        "hire" => return Ok(see_other(&format!("{}/find-a-vehicle/hire", user.base()))),
        "lease" => return Ok(see_other(&format!("{}/find-a-vehicle/lease", user.base()))),
        _ => {}
    }
    let mut errors = Errors::default();
    if q.has("choose", "1") {
        errors.add("kind", "Select whether you want to hire or lease a vehicle");
    }
    let has_profile = needs(&s, &user).await?.is_some();
    let page = ChoosePage {
        l: user.layout("Find a vehicle", "/find-a-vehicle").with_errors(&errors),
        errors,
        has_profile,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_refused(&page)
    }
}

#[derive(Template)]
#[template(path = "household/search.html")]
struct SearchPage {
    l: Layout,
    kind: &'static str,
    form: FormData,
    errors: Errors,
    times: Vec<(String, String)>,
    radii: &'static [(&'static str, &'static str)],
    /// With results: the search in words and its results.
    results: Option<Results>,
    /// The search's query string, for "Book this vehicle".
    query: String,
    view: results::View,
    sorts: &'static [(&'static str, &'static str)],
    types: &'static [(&'static str, &'static str)],
}

/// The results of a search, as the household asked to see them.
struct Results {
    /// The period in words.
    period: String,
    /// The results shown (the first `view.shown`).
    groups: Vec<results::Group>,
    /// Results in all, and the vehicles they stand for.
    total: usize,
    vehicles: usize,
}

impl SearchPage {
    /// The same search showing the next few results, landing on the first new one.
    fn more_href(&self) -> Option<String> {
        let r = self.results.as_ref()?;
        (r.total > self.view.shown).then(|| {
            format!(
                "{}/find-a-vehicle/{}?search=1&{}#result-{}",
                self.l.base,
                self.kind.to_lowercase(),
                results::with_param(&self.query, "show", &(self.view.shown + results::PAGE).to_string()),
                self.view.shown + 1
            )
        })
    }

    fn book_href(&self, vehicle_id: &str) -> String {
        format!(
            "{}/book?vehicle={}&{}",
            self.l.base,
            vocabulary::urlencode(vehicle_id),
            self.query
        )
    }
}

fn query_string(f: &FormData) -> String {
    f.0.iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "vehicle" | "csrf" | "key" | "search" | "taken" | "pay" | "payment-method"
            )
        })
        .map(|(k, v)| format!("{}={}", vocabulary::urlencode(k), vocabulary::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn hire(s: State<AppState>, user: Acting, q: Query<Vec<(String, String)>>) -> PageResult {
    search(s, user, q, "HIRE").await
}

async fn lease(s: State<AppState>, user: Acting, q: Query<Vec<(String, String)>>) -> PageResult {
    search(s, user, q, "LEASE").await
}

/// Runs the search, or gives the messages of its fields.
async fn find_offers(s: &AppState, user: &Acting, search: &Search) -> Result<Result<Vec<Offer>, Errors>, PageError> {
    #[derive(Deserialize)]
    struct Data {
        offers: Vec<Offer>,
    }
    let mut input = search.offers_input();
    input["householdId"] = json!(user.household_id());
    let r = s
        .gateway
        .query::<Data>(
            Some(&user.token),
            "query($input: OffersInput!) { offers(input: $input) { vehicle { id kind make model seats propulsion wheelchairAccessible provider { id name } } distanceKm price { basePence subsidyPence householdPence } subsidies { scheme { name } } reasons } }",
            json!({"input": input}),
        )
        .await;
    match r {
        Ok(d) => Ok(Ok(d.offers)),
        Err(GatewayError::Invalid(message)) => {
            let mut e = Errors::default();
            e.add(if search.kind == "HIRE" { "day" } else { "month" }, message);
            Ok(Err(e))
        }
        Err(e) => Err(e.into()),
    }
}

async fn search(
    State(s): State<AppState>,
    user: Acting,
    Query(q): Query<Vec<(String, String)>>,
    kind: &'static str,
) -> PageResult {
    let Some(needs) = needs(&s, &user).await? else {
        return Ok(see_other(&format!("{}/find-a-vehicle", user.base())));
    };
    let mut form = FormData(q);
    let title = if kind == "HIRE" {
        "Hire a vehicle"
    } else {
        "Lease a vehicle"
    };
    let section = "/find-a-vehicle";
    let mut errors = Errors::default();
    let mut results = None;
    let view = results::View::read(&form);
    if form.get("search") == "1" {
        match Search::parse(kind, &form, Utc::now()) {
            Ok(search) => match find_offers(&s, &user, &search).await? {
                Ok(offers) => {
                    let mut groups = results::arrange(offers, &view);
                    let total = groups.len();
                    let vehicles = groups.iter().map(|g| g.count).sum();
                    groups.truncate(view.shown);
                    results = Some(Results {
                        period: search.period(),
                        groups,
                        total,
                        vehicles,
                    })
                }
                Err(e) => errors = e,
            },
            Err(e) => errors = e,
        }
    } else if form.0.is_empty() {
        // First visit: the household's own needs, filled in.
        form.set("seats", needs.seats.to_string());
        if needs.wheelchair_accessible {
            form.set("wheelchair", "yes");
        }
        if needs.electric_preferred {
            form.set("electric", "yes");
        }
        form.set("radius", "5");
    }
    let title = if results.is_some() {
        "Vehicles you can book".to_string()
    } else {
        title.to_string()
    };
    let page = SearchPage {
        l: user.layout(title, section).with_errors(&errors),
        kind,
        query: query_string(&form),
        form,
        errors,
        times: start_times(),
        radii: RADII,
        results,
        view,
        sorts: results::SORTS,
        types: results::TYPES,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_refused(&page)
    }
}

#[derive(Template)]
#[template(path = "household/check.html")]
struct CheckPage {
    l: Layout,
    form: FormData,
    errors: Errors,
    period: String,
    offer: Offer,
    key: String,
    back: String,
    /// Card payment offered (with JavaScript), when there is something to pay.
    stripe: Option<StripeJs>,
}

/// The search and the offer of its vehicle, if it is still offered.
async fn offer_of(s: &AppState, user: &Acting, form: &FormData) -> Result<Option<(Search, Offer, String)>, PageError> {
    let kind = if form.get("kind") == "LEASE" { "LEASE" } else { "HIRE" };
    let back = format!(
        "{}/find-a-vehicle/{}?search=1&{}",
        user.base(),
        kind.to_lowercase(),
        query_string(form)
    );
    let Ok(search) = Search::parse(kind, form, Utc::now()) else {
        return Ok(None);
    };
    let Ok(offers) = find_offers(s, user, &search).await? else {
        return Ok(None);
    };
    Ok(offers
        .into_iter()
        .find(|o| o.vehicle.id == form.get("vehicle"))
        .map(|o| (search, o, back)))
}

async fn check(State(s): State<AppState>, user: Acting, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let form = FormData(q);
    let Some((search, offer, back)) = offer_of(&s, &user, &form).await? else {
        return Err(PageError::NotFound);
    };
    check_page(&s, &user, form, None, &search, offer, back)
}

/// "Check your booking" for `offer` with a new idempotency key (a refused
/// booking may be tried again as a new request); refused (422) with
/// `errors`. Its policy lets Stripe in when it offers the card.
fn check_page(
    s: &AppState,
    user: &Acting,
    form: FormData,
    refused: Option<Errors>,
    search: &Search,
    offer: Offer,
    back: String,
) -> PageResult {
    let stripe = card_for(s, user, &offer);
    let mut l = user.layout("Check your booking", "/find-a-vehicle");
    if let Some(errors) = &refused {
        l = l.with_errors(errors);
    }
    let is_refused = refused.is_some();
    let errors = refused.unwrap_or_default();
    let page = CheckPage {
        l,
        form,
        errors,
        period: search.period(),
        offer,
        key: crate::random_token(),
        back,
        stripe: stripe.clone(),
    };
    let res = if is_refused {
        render_refused(&page)?
    } else {
        render(&page)?
    };
    Ok(card::with_csp(res, stripe.as_ref()))
}

/// Stripe Elements, when configured, the household has something to pay and
/// it books for itself (an officer acting for a household books by invoice:
/// the card's secret is only ever given to the household).
fn card_for(s: &AppState, user: &Acting, offer: &Offer) -> Option<StripeJs> {
    s.config
        .stripe
        .clone()
        .filter(|_| offer.price.household_pence > 0 && user.household_id().is_none())
}

async fn book(State(s): State<AppState>, user: Acting, CsrfForm(form): CsrfForm) -> PageResult {
    let Some((search, offer, back)) = offer_of(&s, &user, &form).await? else {
        // No longer offered for that time (booked by someone else since the
        // check page): back to the search's results, saying so.
        let kind = if form.get("kind") == "LEASE" { "lease" } else { "hire" };
        return Ok(see_other(&format!(
            "{}/find-a-vehicle/{kind}?search=1&taken=1&{}",
            user.base(),
            query_string(&form)
        )));
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        book_vehicle: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        booking: Option<Booked>,
        user_errors: Vec<UserError>,
    }
    #[derive(Deserialize)]
    struct Booked {
        id: String,
    }
    let key = form.get("key").to_string();
    let stripe = card_for(&s, &user, &offer);
    let payment_method = match card::payment_method(form.get("payment-method")) {
        Ok(pm) => pm.filter(|_| stripe.is_some()),
        Err(message) => {
            let mut errors = Errors::default();
            errors.add("card-element", message);
            return check_page(&s, &user, form, Some(errors), &search, offer, back);
        }
    };
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "mutation($input: BookVehicleInput!) { bookVehicle(input: $input) { booking { id status } userErrors { field code message } } }",
            json!({"input": {"vehicleId": offer.vehicle.id, "kind": search.kind, "start": search.start,
                             "end": search.end, "leaseMonths": search.lease_months, "paymentMethod": payment_method,
                             "idempotencyKey": key, "householdId": user.household_id()}}),
        )
        .await?;
    if let (Some(b), true) = (&d.book_vehicle.booking, d.book_vehicle.user_errors.is_empty()) {
        return Ok(see_other(&format!("{}/bookings/{}/confirmation", user.base(), b.id)));
    }
    // A declined card is the card's problem; anything else, the booking's.
    let to = if payment_method.is_some() {
        "card-element"
    } else {
        "booking"
    };
    let errors = Errors::from_user_errors(&d.book_vehicle.user_errors, to, |_| None);
    check_page(&s, &user, form, Some(errors), &search, offer, back)
}

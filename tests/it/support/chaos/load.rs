//! The chaos run's load: households searching, booking and cancelling
//! through the public API, and Stripe's webhooks.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DurationRound, Utc};
use rand::{seq::SliceRandom, Rng};
use roundabout::graphql_client::GraphqlClient;
use roundabout_support::testing::localstripe::SECRET_KEY;
use serde_json::{json, Value};

/// Whether a GraphQL answer counts as served: a 200 without a server-side
/// error code (a refusal such as `SLOT_UNAVAILABLE` is a correct answer).
pub(super) fn served(res: &anyhow::Result<Value>) -> bool {
    let Ok(v) = res else { return false };
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["extensions"]["code"].as_str()).collect())
        .unwrap_or_default();
    let has_data = v.get("data").is_some_and(|d| !d.is_null());
    let server_side = codes
        .iter()
        .any(|c| matches!(*c, "SERVICE_UNAVAILABLE" | "INTERNAL" | "OVERLOADED" | "TIMED_OUT"));
    (has_data || !codes.is_empty()) && !server_side
}

/// What the chaos run's payments parts take Stripe's webhooks signed with.
pub(super) const WEBHOOK_SECRET: &str = "whsec_chaos_run_secret";

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id } } }";
const BOOK: &str =
    "mutation($i: BookVehicleInput!) { bookVehicle(input: $i) { booking { id status } userErrors { code } } }";
const CANCEL: &str =
    "mutation($id: ID!) { cancelBooking(id: $id, reason: \"chaos\") { booking { id status } userErrors { code } } }";

#[derive(Default)]
pub(super) struct Tally {
    pub(super) requests: AtomicU64,
    pub(super) answered: AtomicU64,
    pub(super) confirmed: AtomicU64,
    pub(super) cancelled: AtomicU64,
    pub(super) webhooks: AtomicU64,
}

impl Tally {
    fn count(&self, res: &anyhow::Result<Value>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if served(res) {
            self.answered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One household's load until `stop`.
pub(super) async fn household(gql: GraphqlClient, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let mut mine: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let hour = |d: i64, h: i64| {
        (Utc::now() + chrono::Duration::days(d) + chrono::Duration::hours(h))
            .duration_trunc(chrono::Duration::hours(1))
            .unwrap_or_else(|_| Utc::now())
    };
    while !stop.load(Ordering::Relaxed) {
        let (roll, day, at, card, lease) = {
            let mut rng = rand::thread_rng();
            (
                rng.gen_range(0..100),
                rng.gen_range(2..120),
                rng.gen_range(0..20),
                rng.gen_bool(0.5),
                rng.gen_range(0..100) < 5,
            )
        };
        if roll < 45 || seen.is_empty() {
            let start = hour(day, at);
            let input = if lease {
                json!({"kind": "LEASE", "start": start, "leaseMonths": 2, "radiusKm": 30.0, "first": 10})
            } else {
                json!({"kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(3), "radiusKm": 30.0, "first": 10})
            };
            let res = gql.raw(OFFERS, json!({"i": input})).await;
            tally.count(&res);
            if let Ok(v) = &res {
                let ids: Vec<String> = v["data"]["offers"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|o| o["vehicle"]["id"].as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                if !ids.is_empty() {
                    seen = ids;
                }
            }
        } else if roll < 80 {
            let Some(vehicle) = seen.choose(&mut rand::thread_rng()).cloned() else {
                continue;
            };
            let start = hour(day, at);
            let mut input = if lease {
                json!({"vehicleId": vehicle, "kind": "LEASE", "start": start, "leaseMonths": 2})
            } else {
                json!({"vehicleId": vehicle, "kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(3)})
            };
            input["idempotencyKey"] = json!(uuid::Uuid::new_v4().to_string());
            if card {
                input["paymentMethod"] = json!("pm_card_visa");
            }
            let res = gql.raw(BOOK, json!({"i": input})).await;
            tally.count(&res);
            if let Ok(v) = &res {
                let b = &v["data"]["bookVehicle"]["booking"];
                if let Some(id) = b["id"].as_str() {
                    mine.push(id.to_string());
                    if b["status"] == "CONFIRMED" {
                        tally.confirmed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        } else if !mine.is_empty() {
            let i = rand::thread_rng().gen_range(0..mine.len());
            let id = mine.swap_remove(i);
            let res = gql.raw(CANCEL, json!({"id": id})).await;
            tally.count(&res);
            if let Ok(v) = &res {
                if v["data"]["cancelBooking"]["booking"]["status"] == "CANCELLED" {
                    tally.cancelled.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Stripe's side until `stop`: every few hundred milliseconds, the event of
/// a recent PaymentIntent's current state, signed, to a payments replica;
/// now and then the same event twice (Stripe delivers at least once).
pub(super) async fn webhooks(dir: PathBuf, stripe_base: String, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let mut last: Option<(String, String)> = None;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let Some(status) = super::read_status(&dir) else {
            continue;
        };
        let targets: Vec<String> = status
            .parts
            .iter()
            .filter(|p| p.name.starts_with("payments"))
            .map(|p| format!("{}/webhooks/stripe", p.url))
            .collect();
        let Some(target) = targets.choose(&mut rand::thread_rng()).cloned() else {
            continue;
        };
        let repeat = rand::thread_rng().gen_bool(0.2);
        let (id, body) = match (&last, repeat) {
            (Some(l), true) => l.clone(),
            _ => {
                let Ok(res) = http
                    .get(format!("{stripe_base}v1/payment_intents?limit=20"))
                    .basic_auth(SECRET_KEY, Some(""))
                    .send()
                    .await
                else {
                    continue;
                };
                let Ok(page) = res.json::<Value>().await else { continue };
                let intents = page["data"].as_array().cloned().unwrap_or_default();
                let Some(intent) = intents.choose(&mut rand::thread_rng()).cloned() else {
                    continue;
                };
                let kind = match intent["status"].as_str().unwrap_or_default() {
                    "succeeded" => "payment_intent.succeeded",
                    "requires_capture" => "payment_intent.amount_capturable_updated",
                    "canceled" => "payment_intent.canceled",
                    "requires_payment_method" => "payment_intent.payment_failed",
                    _ => continue,
                };
                let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
                let body = json!({"id": id, "type": kind, "created": Utc::now().timestamp(),
                                  "data": {"object": intent}})
                .to_string();
                (id, body)
            }
        };
        let signature =
            roundabout_payments::domain::signature::sign(WEBHOOK_SECRET, Utc::now().timestamp(), body.as_bytes());
        let res = http
            .post(&target)
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        tally.requests.fetch_add(1, Ordering::Relaxed);
        if res.is_ok_and(|r| !r.status().is_server_error()) {
            tally.answered.fetch_add(1, Ordering::Relaxed);
            tally.webhooks.fetch_add(1, Ordering::Relaxed);
        }
        last = Some((id, body));
    }
}

pub(super) async fn sign_in(anon: &GraphqlClient, email: &str, password: &str) -> String {
    let q = "mutation($i: SignInInput!) { signIn(input: $i) { token userErrors { code } } }";
    for _ in 0..50 {
        if let Ok(v) = anon.raw(q, json!({"i": {"email": email, "password": password}})).await {
            if let Some(t) = v["data"]["signIn"]["token"].as_str() {
                return t.to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{email} could not sign in");
}

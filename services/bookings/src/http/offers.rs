//! `POST /internal/offers`: the broker. Candidates from inventory's geo
//! search (near the household's home unless told otherwise), minus those
//! booked in the period (one query), priced, subsidised (one quote call for
//! every price) and ranked by a score weighing distance, fit to needs,
//! price after subsidy and electric preference, each with plain reasons.

use axum::{extract::State, routing::post, Json, Router};
use roundabout_support::{client::ClientError, error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    db,
    domain::{self, pounds, PeriodIn, Prices},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/internal/offers", post(offers))
}

/// What the household asks for.
#[derive(Debug, Deserialize)]
pub struct OffersIn {
    pub household_id: Uuid,
    #[serde(flatten)]
    pub period: PeriodIn,
    pub near: Option<Point>,
    pub radius_km: Option<f64>,
    pub seats: Option<i32>,
    pub wheelchair_accessible: Option<bool>,
    pub electric_only: Option<bool>,
    pub first: Option<usize>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// One ranked offer; `vehicle` is inventory's row as it came.
#[derive(Debug, Serialize)]
pub struct OfferOut {
    pub vehicle: Value,
    pub distance_km: f64,
    pub currency: String,
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub household_pence: i64,
    pub scheme_id: Option<Uuid>,
    pub score: f64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    lat: f64,
    lon: f64,
    needs_seats: i32,
    needs_wheelchair_accessible: bool,
    needs_electric_preferred: bool,
}

#[derive(Debug, Deserialize)]
struct Hit {
    vehicle: Value,
    distance_km: f64,
}

#[derive(Debug, Deserialize)]
struct Hits {
    results: Vec<Hit>,
}

#[derive(Debug, Deserialize)]
struct Candidate {
    id: Uuid,
    seats: i32,
    propulsion: String,
    wheelchair_accessible: bool,
    currency: String,
    #[serde(flatten)]
    prices: Prices,
}

#[derive(Debug, Deserialize)]
struct Quotes {
    quotes: Vec<Quote>,
}

#[derive(Debug, Deserialize)]
struct Quote {
    subsidy: Option<crate::http::book::QuoteSubsidy>,
}

fn down(e: ClientError) -> ApiError {
    ApiError::internal(anyhow::anyhow!(e))
}

async fn offers(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<OffersIn>,
) -> ApiResult<Json<Vec<OfferOut>>> {
    let membership = caller
        .household
        .filter(|h| h.household_id == input.household_id)
        .ok_or_else(|| ApiError::forbidden("Offers are for the signed-in household"))?;
    let period = domain::check_period(&input.period, chrono::Utc::now())?;
    let first = input.first.unwrap_or(20);
    if !(1..=100).contains(&first) {
        return Err(ApiError::invalid("first", "`first` must be between 1 and 100"));
    }
    let me = Caller::service(crate::NAME);
    let profile: Option<Profile> = match s
        .eligibility
        .get(&format!("/internal/households/{}/profile", input.household_id), &me)
        .await
    {
        Ok(p) => p,
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(down(e)),
    };
    let near = match (input.near, &profile) {
        (Some(p), _) => p,
        (None, Some(p)) => Point { lat: p.lat, lon: p.lon },
        (None, None) => {
            return Err(ApiError::invalid(
                "near",
                "Say where to look, or fill in your profile's location",
            ))
        }
    };
    let seats_needed = input.seats.or(profile.as_ref().map(|p| p.needs_seats));
    let wheelchair =
        input.wheelchair_accessible.unwrap_or(false) || profile.as_ref().is_some_and(|p| p.needs_wheelchair_accessible);
    let electric_preferred =
        input.electric_only.unwrap_or(false) || profile.as_ref().is_some_and(|p| p.needs_electric_preferred);
    let radius = input.radius_km.unwrap_or(5.0);
    let search = json!({
        "council_id": membership.council_id, "lat": near.lat, "lon": near.lon, "radius_km": radius,
        "limit": (first * 3).min(500), "seats": input.seats, "wheelchair_accessible": input.wheelchair_accessible,
        "electric_only": input.electric_only,
    });
    let hits: Hits = s
        .inventory
        .post("/internal/vehicles/search", &search, &me)
        .await
        .map_err(|e| match e {
            ClientError::Refused { body, .. } => {
                let mut err = ApiError::unprocessable(&body.code, body.message);
                err.body.field = body.field;
                err
            }
            other => down(other),
        })?;
    let mut candidates = Vec::with_capacity(hits.results.len());
    for hit in hits.results {
        let Ok(c) = serde_json::from_value::<Candidate>(hit.vehicle.clone()) else {
            continue;
        };
        if let Some((base, _)) = domain::price(&c.prices, &period) {
            candidates.push((hit, c, base));
        }
    }
    let ids: Vec<Uuid> = candidates.iter().map(|(_, c, _)| c.id).collect();
    let prices: Vec<i64> = candidates.iter().map(|(_, _, b)| *b).collect();
    let quote_body = json!({"household_id": input.household_id, "kind": input.period.kind,
                            "lease_months": input.period.lease_months, "base_prices": prices});
    let (booked, quotes) = tokio::join!(db::booked_among(&s.pool, &ids, period.start, period.end), async {
        if prices.is_empty() {
            return Ok(Quotes { quotes: Vec::new() });
        }
        s.eligibility
            .post::<_, Quotes>("/internal/subsidy/quote", &quote_body, &me)
            .await
    });
    let booked: std::collections::HashSet<Uuid> = booked?.into_iter().collect();
    let quotes = match quotes {
        Ok(q) => q.quotes,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(down(e)),
    };
    let cheapest = candidates
        .iter()
        .enumerate()
        .map(|(i, (_, _, b))| b - subsidy_of(&quotes, i).map_or(0, |q| q.amount_pence))
        .min()
        .unwrap_or(0);
    let need = Needs {
        seats: seats_needed,
        wheelchair,
        electric_preferred,
        from_home: input.near.is_none(),
        radius,
        cheapest,
    };
    let mut out: Vec<OfferOut> = candidates
        .into_iter()
        .enumerate()
        .filter(|(_, (_, c, _))| !booked.contains(&c.id))
        .map(|(i, (hit, c, base))| {
            let subsidy = subsidy_of(&quotes, i);
            let amount = subsidy.map_or(0, |q| q.amount_pence);
            let (score, reasons) = score(&need, &hit, &c, base, amount);
            OfferOut {
                vehicle: hit.vehicle,
                distance_km: hit.distance_km,
                currency: c.currency,
                base_pence: base,
                subsidy_pence: amount,
                household_pence: base - amount,
                scheme_id: subsidy.map(|q| q.scheme_id),
                score,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.distance_km.total_cmp(&b.distance_km))
    });
    out.truncate(first);
    Ok(Json(out))
}

fn subsidy_of(quotes: &[Quote], i: usize) -> Option<&crate::http::book::QuoteSubsidy> {
    quotes.get(i).and_then(|q| q.subsidy.as_ref())
}

struct Needs {
    seats: Option<i32>,
    wheelchair: bool,
    electric_preferred: bool,
    from_home: bool,
    radius: f64,
    cheapest: i64,
}

/// 0–100: distance 30, fit 25, price after subsidy 30, electric 15.
fn score(n: &Needs, hit: &Hit, c: &Candidate, base: i64, subsidy: i64) -> (f64, Vec<String>) {
    let mut reasons = Vec::new();
    let place = if n.from_home { "home" } else { "the place you chose" };
    reasons.push(format!("{:.1} km from {place}", hit.distance_km));
    let distance = (1.0 - hit.distance_km / n.radius.max(0.1)).clamp(0.0, 1.0);

    let mut fit = 1.0;
    if let Some(need) = n.seats {
        if c.seats >= need {
            fit -= (f64::from(c.seats - need) / 10.0).min(0.5);
            reasons.push(format!("Seats {}: fits your {need}", c.seats));
        } else {
            fit = 0.0;
            reasons.push(format!("Seats {}: fewer than your {need}", c.seats));
        }
    }
    if n.wheelchair {
        if c.wheelchair_accessible {
            reasons.push("Wheelchair accessible".into());
        } else {
            fit = 0.0;
        }
    }

    let paid = base - subsidy;
    let price = if paid <= 0 {
        1.0
    } else {
        n.cheapest.max(1) as f64 / paid as f64
    };
    reasons.push(if subsidy > 0 {
        format!("{} after a {} council subsidy", pounds(paid), pounds(subsidy))
    } else {
        format!("{}, no council subsidy", pounds(paid))
    });

    let is_electric = c.propulsion == "ELECTRIC" || c.propulsion == "ELECTRIC_ASSIST";
    if is_electric {
        reasons.push("Electric".into());
    }
    let electric = if is_electric && n.electric_preferred { 1.0 } else { 0.0 };
    let total = 30.0 * distance + 25.0 * fit + 30.0 * price.clamp(0.0, 1.0) + 15.0 * electric;
    ((total * 100.0).round() / 100.0, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(seats: i32, propulsion: &str) -> Candidate {
        Candidate {
            id: Uuid::new_v4(),
            seats,
            propulsion: propulsion.into(),
            wheelchair_accessible: false,
            currency: "GBP".into(),
            prices: Prices::default(),
        }
    }

    fn hit(km: f64) -> Hit {
        Hit {
            vehicle: Value::Null,
            distance_km: km,
        }
    }

    fn needs() -> Needs {
        Needs {
            seats: Some(4),
            wheelchair: false,
            electric_preferred: true,
            from_home: true,
            radius: 5.0,
            cheapest: 1560,
        }
    }

    #[test]
    fn reasons_are_plain_words() {
        let (_, reasons) = score(&needs(), &hit(1.23), &candidate(5, "ELECTRIC"), 2600, 1040);
        assert_eq!(
            reasons,
            vec![
                "1.2 km from home",
                "Seats 5: fits your 4",
                "£15.60 after a £10.40 council subsidy",
                "Electric"
            ]
        );
    }

    #[test]
    fn nearer_cheaper_fitting_electric_scores_higher() {
        let n = needs();
        let (best, _) = score(&n, &hit(0.5), &candidate(4, "ELECTRIC"), 2600, 1040);
        let far = score(&n, &hit(4.5), &candidate(4, "ELECTRIC"), 2600, 1040).0;
        let big = score(&n, &hit(0.5), &candidate(9, "ELECTRIC"), 2600, 1040).0;
        let small = score(&n, &hit(0.5), &candidate(2, "ELECTRIC"), 2600, 1040).0;
        let dear = score(&n, &hit(0.5), &candidate(4, "ELECTRIC"), 5200, 1040).0;
        let petrol = score(&n, &hit(0.5), &candidate(4, "PETROL"), 2600, 1040).0;
        for worse in [far, big, small, dear, petrol] {
            assert!(best > worse, "{best} > {worse}");
        }
        assert!(best <= 100.0);
    }
}

//! `POST /internal/offers`: the broker. Candidates from inventory's geo
//! search (near the household's home unless told otherwise), minus those
//! booked in the period (one query), priced, subsidised (the terms of the
//! household's eligible schemes, one call for the whole search) and ranked by a score weighing distance, fit to needs,
//! price after subsidy and electric preference, each with plain reasons.

use axum::{extract::State, routing::post, Json, Router};
use roundabout_api::{
    bookings::OfferData,
    eligibility::OfferTermsData,
    inventory::{SearchHit, SearchResults, VehicleData},
    states::{BookingKind, Propulsion},
    Pence,
};
use roundabout_support::{client::ClientError, error::ValidJson, internal_auth::Caller, subsidy, ApiError, ApiResult};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::{
    db,
    domain::{self, Prices},
    AppState,
};
use roundabout_api::{eligibility::OfferTermsQuery, inventory::SearchIn, routes};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::bookings::OFFERS, post(offers))
}

pub use roundabout_api::bookings::{OffersIn, Point};

/// One ranked offer; `vehicle` is inventory's JSON text as it came.
pub type OfferOut = OfferData<Box<RawValue>>;

/// A search hit; the vehicle is kept as inventory's JSON text and passed
/// on as it came, and read as [`VehicleData`] to price and rank it.
type Hit = SearchHit<Box<RawValue>>;

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
    let period = domain::check_period(&input.period, chrono::Utc::now(), &s.limits)?;
    let first = input.first.unwrap_or(20);
    if !(1..=100).contains(&first) {
        return Err(ApiError::invalid("first", "`first` must be between 1 and 100"));
    }
    let me = Caller::service(crate::NAME);
    // Bookings asks as itself: only the gateway may sign for the household.
    let kind = if period.lease_months.is_some() {
        BookingKind::Lease
    } else {
        BookingKind::Hire
    };
    let terms_path = format!(
        "{}{}",
        routes::eligibility::household_offer_terms(input.household_id),
        OfferTermsQuery { kind: kind.to_string() }.to_query()
    );
    let terms = async {
        match s.eligibility.get::<OfferTermsData>(&terms_path, &me).await {
            Ok(t) => Ok(t),
            Err(e) if e.is_not_found() => Ok(OfferTermsData::default()),
            Err(e) => Err(down(e)),
        }
    };
    let search = |near: Point| {
        let body = SearchIn {
            council_id: membership.council_id,
            lat: near.lat,
            lon: near.lon,
            radius_km: Some(input.radius_km.unwrap_or(5.0)),
            limit: Some((first * 3).min(500)),
            seats: input.seats,
            wheelchair_accessible: input.wheelchair_accessible,
            electric_only: input.electric_only,
            kind: None,
        };
        let me = &me;
        async move {
            s.inventory
                .post::<_, SearchResults<Box<RawValue>>>(routes::inventory::VEHICLES_SEARCH, &body, me)
                .await
                .map_err(|e| match e {
                    ClientError::Refused { body, .. } => {
                        let mut err = ApiError::unprocessable(body.code, body.message);
                        err.body.field = body.field;
                        err
                    }
                    other => down(other),
                })
        }
    };
    // With a place given, the terms and the search go together; otherwise
    // the search starts from the home the terms give.
    let (terms, hits) = match input.near {
        Some(near) => tokio::try_join!(terms, search(near))?,
        None => {
            let terms = terms.await?;
            let Some(home) = terms.profile.as_ref().map(|p| Point { lat: p.lat, lon: p.lon }) else {
                return Err(ApiError::invalid(
                    "near",
                    "Say where to look, or fill in your profile's location",
                ));
            };
            let hits = search(home).await?;
            (terms, hits)
        }
    };
    let profile = terms.profile.as_ref();
    let seats_needed = input.seats.or(profile.map(|p| p.needs_seats));
    let wheelchair =
        input.wheelchair_accessible.unwrap_or(false) || profile.is_some_and(|p| p.needs_wheelchair_accessible);
    let electric_preferred =
        input.electric_only.unwrap_or(false) || profile.is_some_and(|p| p.needs_electric_preferred);
    let radius = input.radius_km.unwrap_or(5.0);
    let mut candidates = Vec::with_capacity(hits.results.len());
    for hit in hits.results {
        let Ok(c) = serde_json::from_str::<VehicleData>(hit.vehicle.get()) else {
            continue;
        };
        if let Some((base, _)) = domain::price(&Prices::from(&c), &period) {
            let best = subsidy::best(&terms.schemes, base, period.lease_months);
            let subsidy = best.map(|(amount, t)| (amount, t.scheme_id));
            candidates.push((hit, c, base, subsidy));
        }
    }
    let ids: Vec<Uuid> = candidates.iter().map(|(_, c, _, _)| c.id).collect();
    let booked: std::collections::HashSet<Uuid> = db::booked_among(&s.pool, &ids, period.start, period.end)
        .await?
        .into_iter()
        .collect();
    let cheapest = candidates
        .iter()
        .map(|(_, _, base, subsidy)| *base - subsidy.map_or(Pence::ZERO, |(a, _)| a))
        .min()
        .unwrap_or(Pence::ZERO);
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
        .filter(|(_, c, _, _)| !booked.contains(&c.id))
        .map(|(hit, c, base, subsidy)| {
            let amount = subsidy.map_or(Pence::ZERO, |(a, _)| a);
            let (score, reasons) = score(&need, &hit, &c, base, amount);
            OfferOut {
                vehicle: hit.vehicle,
                distance_km: hit.distance_km,
                currency: c.currency,
                base_pence: base,
                subsidy_pence: amount,
                household_pence: base - amount,
                scheme_id: subsidy.map(|(_, id)| id),
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

struct Needs {
    seats: Option<i32>,
    wheelchair: bool,
    electric_preferred: bool,
    from_home: bool,
    radius: f64,
    cheapest: Pence,
}

/// 0–100: distance 30, fit 25, price after subsidy 30, electric 15.
fn score(n: &Needs, hit: &Hit, c: &VehicleData, base: Pence, subsidy: Pence) -> (f64, Vec<String>) {
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
    let price = if paid <= Pence::ZERO {
        1.0
    } else {
        n.cheapest.get().max(1) as f64 / paid.get() as f64
    };
    reasons.push(if subsidy > Pence::ZERO {
        format!("{paid} after a {subsidy} council subsidy")
    } else {
        format!("{paid}, no council subsidy")
    });

    let is_electric = matches!(c.propulsion, Propulsion::Electric | Propulsion::ElectricAssist);
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
    use roundabout_api::states::{VehicleKind, VehicleStatus};

    fn candidate(seats: i32, propulsion: Propulsion) -> VehicleData {
        VehicleData {
            id: Uuid::new_v4(),
            provider_id: Uuid::new_v4(),
            list_seq: 1,
            kind: VehicleKind::Car,
            make: "Make".into(),
            model: "Model".into(),
            registration: None,
            seats,
            propulsion,
            range_km: None,
            co2_grams_per_km: None,
            wheelchair_accessible: false,
            lat: 51.75,
            lon: -1.26,
            status: VehicleStatus::Available,
            currency: "GBP".into(),
            per_hour_pence: None,
            per_day_pence: None,
            per_month_lease_pence: None,
            deposit_pence: Pence(0),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn hit(km: f64) -> Hit {
        Hit {
            vehicle: RawValue::from_string("null".into()).unwrap(),
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
            cheapest: Pence(1560),
        }
    }

    #[test]
    fn reasons_are_plain_words() {
        let (_, reasons) = score(
            &needs(),
            &hit(1.23),
            &candidate(5, Propulsion::Electric),
            Pence(2600),
            Pence(1040),
        );
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
        let (best, _) = score(
            &n,
            &hit(0.5),
            &candidate(4, Propulsion::Electric),
            Pence(2600),
            Pence(1040),
        );
        let far = score(
            &n,
            &hit(4.5),
            &candidate(4, Propulsion::Electric),
            Pence(2600),
            Pence(1040),
        )
        .0;
        let big = score(
            &n,
            &hit(0.5),
            &candidate(9, Propulsion::Electric),
            Pence(2600),
            Pence(1040),
        )
        .0;
        let small = score(
            &n,
            &hit(0.5),
            &candidate(2, Propulsion::Electric),
            Pence(2600),
            Pence(1040),
        )
        .0;
        let dear = score(
            &n,
            &hit(0.5),
            &candidate(4, Propulsion::Electric),
            Pence(5200),
            Pence(1040),
        )
        .0;
        let petrol = score(
            &n,
            &hit(0.5),
            &candidate(4, Propulsion::Petrol),
            Pence(2600),
            Pence(1040),
        )
        .0;
        for worse in [far, big, small, dear, petrol] {
            assert!(best > worse, "{best} > {worse}");
        }
        assert!(best <= 100.0);
    }
}

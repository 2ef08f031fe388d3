//! `offers(input)`: ranked, priced offers for the signed-in household. The
//! ranking happens in the bookings service (`POST /internal/offers`); the
//! gateway shapes the answer.

use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};

use crate::{
    schema::{
        acting::{acting_for, audited, AssistedActionKind, AssistedActionOutcome},
        bookings::{subsidies, AppliedSubsidy, PriceBreakdown},
        errors::{self, Failure, UserError},
        geo::GeoPointInput,
        vehicles::Vehicle,
    },
    services::Gateway,
};
use roundabout_api::bookings::{OfferData, OffersIn, PeriodIn, Point};
use roundabout_api::routes;
use roundabout_api::states::BookingKind;

/// What the household is looking for.
#[derive(InputObject)]
pub struct OffersInput {
    /// Hire or lease.
    pub kind: BookingKind,
    /// When the period starts; in the future.
    pub start: DateTime<Utc>,
    /// HIRE: required.
    pub end: Option<DateTime<Utc>>,
    /// LEASE: required, 1..36.
    pub lease_months: Option<i32>,
    /// Default: the household's location.
    pub near: Option<GeoPointInput>,
    /// How far to look, in km.
    #[graphql(default = 5.0)]
    pub radius_km: Option<f64>,
    /// At least this many seats.
    pub seats: Option<i32>,
    /// Only wheelchair-accessible vehicles.
    pub wheelchair_accessible: Option<bool>,
    /// Only electric vehicles.
    pub electric_only: Option<bool>,
    /// How many offers, at most.
    #[graphql(default = 20)]
    pub first: Option<i32>,
    /// Officer of the household's council: the household to search for
    /// (assisted booking, recorded in the council's audit log). Default:
    /// the signed-in household.
    pub household_id: Option<ID>,
}

/// A vehicle offered to the household for the period, priced and explained.
pub struct Offer(OfferData);

#[Object]
impl Offer {
    /// The vehicle.
    async fn vehicle(&self) -> Vehicle {
        Vehicle(self.0.vehicle.clone())
    }

    /// How far it is, in km.
    async fn distance_km(&self) -> f64 {
        self.0.distance_km
    }

    /// Its price for the period: base, subsidy, household share.
    async fn price(&self) -> PriceBreakdown {
        PriceBreakdown::new(&self.0.currency, self.0.base_pence, self.0.subsidy_pence)
    }

    /// The best eligible scheme's subsidy (schemes do not stack).
    async fn subsidies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AppliedSubsidy>> {
        subsidies(ctx, self.0.scheme_id, self.0.subsidy_pence).await
    }

    /// Higher is better; offers are returned best first.
    async fn score(&self) -> f64 {
        self.0.score
    }

    /// Plain-language reasons for the ranking (distance, fit to needs, price, electric).
    async fn reasons(&self) -> &[String] {
        &self.0.reasons
    }
}

#[derive(Default)]
pub struct OfferQuery;

#[Object]
impl OfferQuery {
    /// Household only: ranked, priced offers for the signed-in household (or,
    /// for an officer of its council, the household given as `householdId`).
    async fn offers(&self, ctx: &Context<'_>, input: OffersInput) -> async_graphql::Result<Vec<Offer>> {
        let acting = acting_for(
            ctx,
            input.household_id.as_ref(),
            "Only a signed-in household gets offers",
        )
        .await?;
        let body = OffersIn {
            household_id: acting.household.household_id,
            period: PeriodIn {
                kind: input.kind.to_string(),
                start: input.start,
                end: input.end,
                lease_months: input.lease_months,
            },
            near: input.near.map(|n| Point { lat: n.lat, lon: n.lon }),
            radius_km: input.radius_km,
            seats: input.seats,
            wheelchair_accessible: input.wheelchair_accessible,
            electric_only: input.electric_only,
            first: input.first.map(|f| usize::try_from(f.max(0)).unwrap_or_default()),
        };
        let g = ctx.data_unchecked::<Gateway>();
        let search = async {
            g.services
                .bookings
                .post::<_, Vec<OfferData>>(routes::bookings::OFFERS, &body, &acting.caller)
                .await
                .map_err(|e| match e {
                    roundabout_support::client::ClientError::Refused { body, status, .. } if status.as_u16() != 403 => {
                        let msg = match &body.field {
                            Some(f) => format!("{} ({})", body.message, f.join(".")),
                            None => body.message,
                        };
                        // The service's own code: INVALID_INPUT, or a bound
                        // such as LEAD_TIME_TOO_LONG or HIRE_TOO_LONG.
                        Failure::user(UserError::new(body.code, msg))
                    }
                    other => Failure::Fatal(errors::read_error(other)),
                })
        };
        let offers = audited(ctx, &acting, AssistedActionKind::OffersSearch, None, search, |o| {
            (
                None,
                Some((AssistedActionOutcome::Succeeded, format!("{} offers", o.len()))),
            )
        })
        .await
        .map_err(|e| match e {
            Failure::User(u) => {
                let code = u.code;
                async_graphql::ErrorExtensions::extend_with(async_graphql::Error::new(u.message), move |_, e| {
                    e.set("code", code.clone())
                })
            }
            Failure::Fatal(e) => e,
        })?;
        Ok(offers.into_iter().map(Offer).collect())
    }
}

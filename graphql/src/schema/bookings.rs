//! Bookings: `bookVehicle`, `cancelBooking`, `booking(id)` and the booking
//! lists of households and providers. The bookings service decides and
//! enforces tenancy; the gateway shapes its answers and loads vehicles,
//! schemes and payments through the request's DataLoaders.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::graphql::CheckedInt;
use roundabout_api::{ErrorCode, Pence};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    connection_types,
    schema::{
        acting::{acting_for, audited, refuse_if_closed, AssistedActionKind, AssistedActionOutcome},
        contacts::ProviderContact,
        errors::{self, payload, Failure, Refusable, UserError},
        identity::Household,
        ids::parse_id,
        loaders::load_error,
        pagination::{check_first, decode_cursor},
        request::RequestCtx,
        schemes::Scheme,
        vehicles::Vehicle,
    },
    services::Gateway,
};
use roundabout_api::bookings::{BookIn, BookingData, BookingPage, CancelIn, PageIn, PeriodIn};
use roundabout_api::payments::PaymentData;
use roundabout_api::routes;
use roundabout_api::states::BookingKind;

const BOOKING_CURSOR: &str = "booking";

use roundabout_api::states::PaymentState;
use roundabout_api::states::{BookingStatus, PaymentMethodKind};

/// Where a payment stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// The household must complete the card payment (see `clientSecret`).
    RequiresAction,
    /// Authorised (or invoiced), not yet taken.
    Authorised,
    /// Taken.
    Captured,
    /// Part refunded.
    PartiallyRefunded,
    /// Refunded in full.
    Refunded,
    /// Declined or failed; nothing taken.
    Failed,
    /// Released before capture; nothing taken.
    Cancelled,
    /// The subsidy covers everything.
    NotRequired,
}

impl From<PaymentState> for PaymentStatus {
    fn from(s: PaymentState) -> Self {
        match s {
            // PENDING (outcome not yet known) shows as waiting.
            PaymentState::Pending | PaymentState::RequiresAction => Self::RequiresAction,
            PaymentState::Authorised => Self::Authorised,
            PaymentState::Captured => Self::Captured,
            PaymentState::PartiallyRefunded => Self::PartiallyRefunded,
            PaymentState::Refunded => Self::Refunded,
            PaymentState::Failed => Self::Failed,
            PaymentState::Cancelled => Self::Cancelled,
            PaymentState::NotRequired => Self::NotRequired,
        }
    }
}

/// A price in pence: what it costs, what the council pays, what the household pays.
#[derive(SimpleObject, Debug, Clone)]
pub struct PriceBreakdown {
    /// ISO 4217 currency code, e.g. GBP.
    pub currency: String,
    /// The provider's price.
    pub base_pence: CheckedInt,
    /// The council's subsidy.
    pub subsidy_pence: CheckedInt,
    /// What the household pays: base less subsidy.
    pub household_pence: CheckedInt,
}

impl PriceBreakdown {
    pub fn new(currency: &str, base: Pence, subsidy: Pence) -> Self {
        Self {
            currency: currency.to_string(),
            base_pence: base.into(),
            subsidy_pence: subsidy.into(),
            household_pence: (base - subsidy).into(),
        }
    }
}

/// A scheme's subsidy applied to a price.
#[derive(SimpleObject)]
pub struct AppliedSubsidy {
    /// The scheme that pays it.
    pub scheme: Scheme,
    /// How much, in pence.
    pub amount_pence: CheckedInt,
}

/// Loads the scheme of a subsidy; none when there is no subsidy.
pub async fn subsidies(
    ctx: &Context<'_>,
    scheme: Option<Uuid>,
    amount: Pence,
) -> async_graphql::Result<Vec<AppliedSubsidy>> {
    let Some(id) = scheme.filter(|_| amount > Pence::ZERO) else {
        return Ok(Vec::new());
    };
    Ok(Scheme::load(ctx, id)
        .await?
        .map(|scheme| AppliedSubsidy {
            scheme,
            amount_pence: amount.into(),
        })
        .into_iter()
        .collect())
}

/// A cancelled booking's cancellation.
#[derive(SimpleObject, Debug, Clone)]
pub struct Cancellation {
    /// When it was cancelled.
    pub at: DateTime<Utc>,
    /// Why, if given.
    pub reason: Option<String>,
    /// What the household got back, in pence, per the cancellation policy.
    pub refund_pence: CheckedInt,
}

/// The household's payment for a booking.
pub struct Payment(pub PaymentData);

#[Object]
impl Payment {
    /// The payment's id (its booking's).
    async fn id(&self) -> ID {
        ID(self.0.booking_id.to_string())
    }

    /// Where the payment stands.
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }

    /// Card, invoice, or none (the subsidy covers all).
    async fn method(&self) -> PaymentMethodKind {
        self.0.method
    }

    /// The household's share, in pence (a lease's first month).
    async fn amount_pence(&self) -> CheckedInt {
        self.0.amount_pence.into()
    }

    /// Refunded so far, in pence.
    async fn refunded_pence(&self) -> CheckedInt {
        self.0.refunded_pence.into()
    }

    /// Only to the paying household, while status is REQUIRES_ACTION.
    async fn client_secret(&self, ctx: &Context<'_>) -> Option<&str> {
        let own = RequestCtx::get(ctx)
            .session
            .0
            .as_ref()
            .and_then(|p| p.household)
            .is_some_and(|h| h.household_id == self.0.household_id);
        if own && self.0.status == PaymentState::RequiresAction {
            self.0.client_secret.as_deref()
        } else {
            None
        }
    }
}

/// A hire or lease of one vehicle by one household.
#[derive(Clone)]
pub struct Booking(pub BookingData);

#[Object]
impl Booking {
    /// The booking's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The household that booked.
    async fn household(&self) -> Household {
        Household {
            id: self.0.household_id,
            council_id: self.0.council_id,
        }
    }

    /// The vehicle booked.
    async fn vehicle(&self, ctx: &Context<'_>) -> async_graphql::Result<Vehicle> {
        Vehicle::load(ctx, self.0.vehicle_id)
            .await?
            .ok_or_else(|| errors::coded(ErrorCode::NotFound, "The booked vehicle no longer exists"))
    }

    /// Where to collect the vehicle and how to reach its provider, for
    /// whoever sees the booking; each part null when the provider has not
    /// given it.
    async fn provider_contact(&self, ctx: &Context<'_>) -> async_graphql::Result<ProviderContact> {
        let Some(v) = Vehicle::load(ctx, self.0.vehicle_id).await? else {
            return Ok(ProviderContact::default());
        };
        Ok(crate::schema::providers::Provider::load(ctx, v.0.provider_id)
            .await?
            .map(|p| ProviderContact::from(&p.0))
            .unwrap_or_default())
    }

    /// Hire or lease.
    async fn kind(&self) -> BookingKind {
        self.0.kind
    }

    /// Where the booking stands.
    async fn status(&self) -> BookingStatus {
        self.0.status
    }

    /// The start of the period (inclusive).
    async fn start(&self) -> DateTime<Utc> {
        self.0.start_at
    }

    /// The end of the period (exclusive).
    async fn end(&self) -> DateTime<Utc> {
        self.0.end_at
    }

    /// A lease's months; null for a hire.
    async fn lease_months(&self) -> Option<i32> {
        self.0.lease_months
    }

    /// The whole booking's price (a lease's whole term).
    async fn price(&self) -> PriceBreakdown {
        PriceBreakdown::new(&self.0.currency, self.0.base_pence, self.0.subsidy_pence)
    }

    /// The scheme subsidy applied (at most one: schemes do not stack).
    async fn subsidies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AppliedSubsidy>> {
        subsidies(ctx, self.0.scheme_id, self.0.subsidy_pence).await
    }

    /// The household's payment; null before one was made.
    async fn payment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Payment>> {
        let r = RequestCtx::get(ctx);
        Ok(r.loaders
            .payments
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .map(Payment))
    }

    /// The cancellation, once cancelled.
    async fn cancellation(&self) -> Option<Cancellation> {
        let at = self
            .0
            .cancelled_at
            .filter(|_| self.0.status == BookingStatus::Cancelled)?;
        Some(Cancellation {
            at,
            reason: self.0.cancel_reason.clone(),
            refund_pence: self.0.refund_pence.unwrap_or(Pence::ZERO).into(),
        })
    }

    /// When the booking was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// What the household would get back if the booking were cancelled now,
    /// in pence, per the cancellation policy; null when it can no longer be
    /// cancelled. Shown before a cancellation is confirmed.
    async fn refund_if_cancelled_pence(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CheckedInt>> {
        let cancellable = self.0.cancelled_at.is_none()
            && matches!(
                self.0.status,
                BookingStatus::PendingPayment | BookingStatus::Confirmed | BookingStatus::Active
            );
        if !cancellable {
            return Ok(None);
        }
        if self.0.status == BookingStatus::PendingPayment {
            return Ok(Some(CheckedInt(0)));
        }
        let r = RequestCtx::get(ctx);
        let paid = r
            .loaders
            .payments
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .map(|p| p.amount_pence)
            .unwrap_or(Pence::ZERO);
        Ok(Some(
            roundabout_api::refund::refund_due(paid, self.0.start_at, Utc::now()).into(),
        ))
    }
}

connection_types!(BookingConnection, BookingEdge, Booking);

/// A page of a household's or provider's bookings (`path`: the route of
/// the household's or the provider's bookings).
pub async fn bookings_page(
    ctx: &Context<'_>,
    path: fn(Uuid) -> String,
    id: Uuid,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<BookingConnection> {
    let first = check_first(first.unwrap_or(20))?;
    let after = after
        .map(|c| decode_cursor(BOOKING_CURSOR, &c))
        .transpose()?
        .unwrap_or(0);
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let page: BookingPage = g
        .services
        .bookings
        .get(
            &format!(
                "{}{}",
                path(id),
                PageIn {
                    first: Some(first.into()),
                    after: Some(after),
                }
                .to_query()
            ),
            &r.session.caller(),
        )
        .await
        .map_err(errors::read_error)?;
    let items = page.bookings.into_iter().map(|b| (b.list_seq, Booking(b))).collect();
    Ok(BookingConnection::from_page(
        items,
        BOOKING_CURSOR,
        page.has_next_page,
        page.total_count,
    ))
}

/// What to book.
#[derive(InputObject, Serialize)]
pub struct BookVehicleInput {
    /// The vehicle.
    pub vehicle_id: ID,
    /// Hire or lease.
    pub kind: BookingKind,
    /// When the period starts; in the future, and no further ahead than the
    /// deployment allows (`BOOKING_MAX_LEAD_DAYS`, a year by default:
    /// `LEAD_TIME_TOO_LONG`).
    pub start: DateTime<Utc>,
    /// HIRE: when it ends, at most `BOOKING_MAX_HIRE_DAYS` (14 by default)
    /// after the start (`HIRE_TOO_LONG`). A household may hold one hire at a
    /// time (`OVERLAPPING_BOOKING`) and a few bookings still to pay
    /// (`TOO_MANY_UNPAID_BOOKINGS`).
    pub end: Option<DateTime<Utc>>,
    /// LEASE: 1 to 36 months.
    pub lease_months: Option<i32>,
    /// A Stripe PaymentMethod id; without one, the household share is invoiced (method INVOICE).
    pub payment_method: Option<String>,
    /// The same key returns the same booking; a different request with a used key is IDEMPOTENCY_CONFLICT.
    pub idempotency_key: String,
    /// Officer of the household's council: the household to book for
    /// (assisted booking, recorded in the council's audit log). Default:
    /// the signed-in household.
    pub household_id: Option<ID>,
}

/// The result of `bookVehicle` or `cancelBooking`.
#[derive(SimpleObject)]
pub struct BookingPayload {
    /// The booking; a FAILED booking comes with the reason in `userErrors`.
    pub booking: Option<Booking>,
    /// Why the booking was refused or failed.
    pub user_errors: Vec<UserError>,
}

impl Refusable for BookingPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            booking: None,
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct BookingQuery;

#[Object]
impl BookingQuery {
    /// A booking; null when unknown or not the viewer's to see.
    async fn booking(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Booking>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        let g = ctx.data_unchecked::<Gateway>();
        let caller = RequestCtx::get(ctx).session.caller();
        match g
            .services
            .bookings
            .get::<BookingData>(&routes::bookings::booking(id), &caller)
            .await
        {
            Ok(b) => Ok(Some(Booking(b))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(errors::read_error(e)),
        }
    }
}

#[derive(Default)]
pub struct BookingMutation;

#[Object]
impl BookingMutation {
    /// Signed-in household: books a vehicle for itself (an officer of its
    /// council may book for the household given as `householdId`, recorded
    /// in the audit log). Confirmed only when the payment succeeded and the
    /// subsidy is committed; otherwise FAILED with the reason.
    async fn book_vehicle(&self, ctx: &Context<'_>, input: BookVehicleInput) -> async_graphql::Result<BookingPayload> {
        payload(book_vehicle(ctx, input).await)
    }

    /// Household that owns the booking, or an officer of its council.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<BookingPayload> {
        payload(cancel_booking(ctx, id, reason).await)
    }
}

fn answer(b: BookingData) -> BookingPayload {
    let user_errors = match (&b.status, &b.failure_code) {
        (BookingStatus::Failed | BookingStatus::Expired, code) => vec![UserError::new(
            code.as_deref()
                .and_then(|c| c.parse().ok())
                .unwrap_or(ErrorCode::BookingFailed),
            b.failure_message.clone().unwrap_or_else(|| "The booking failed".into()),
        )],
        _ => Vec::new(),
    };
    BookingPayload {
        booking: Some(Booking(b)),
        user_errors,
    }
}

async fn book_vehicle(ctx: &Context<'_>, input: BookVehicleInput) -> Result<BookingPayload, Failure> {
    let acting = acting_for(
        ctx,
        input.household_id.as_ref(),
        "Only a signed-in household books vehicles",
    )
    .await?;
    refuse_if_closed(ctx, &acting).await?;
    let vehicle_id = parse_id(&input.vehicle_id).ok_or_else(|| {
        Failure::user(
            UserError::new(ErrorCode::VehicleUnavailable, "There is no vehicle with this id")
                .at(["input", "vehicleId"]),
        )
    })?;
    let body = BookIn {
        household_id: acting.household.household_id,
        vehicle_id,
        period: PeriodIn {
            kind: input.kind.to_string(),
            start: input.start,
            end: input.end,
            lease_months: input.lease_months,
        },
        payment_method: input.payment_method.clone(),
        idempotency_key: input.idempotency_key.clone(),
    };
    let g = ctx.data_unchecked::<Gateway>();
    let book = async {
        let b: BookingData = g
            .services
            .bookings
            .post(routes::bookings::BOOKINGS, &body, &acting.caller)
            .await?;
        Ok(answer(b))
    };
    audited(ctx, &acting, AssistedActionKind::Booking, None, book, outcome).await
}

/// The booking an answer is about, and its failure code when it failed.
fn outcome(p: &BookingPayload) -> (Option<Uuid>, Option<(AssistedActionOutcome, String)>) {
    let id = p.booking.as_ref().map(|b| b.0.id);
    let failed = p
        .user_errors
        .first()
        .map(|e| (AssistedActionOutcome::Refused, e.code.clone()));
    (id, failed)
}

async fn cancel_booking(ctx: &Context<'_>, id: ID, reason: Option<String>) -> Result<BookingPayload, Failure> {
    let session = &RequestCtx::get(ctx).session;
    let p = session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    let not_found = || Failure::user(UserError::new(ErrorCode::NotFound, "There is no such booking").at(["id"]));
    let id = parse_id(&id).ok_or_else(not_found)?;
    let g = ctx.data_unchecked::<Gateway>();
    let caller = session.caller();
    // An officer cancelling a household's booking acts for the household:
    // find which one, to record it.
    let mut acting = None;
    if !p.officer_of.is_empty() || p.is_admin() {
        match g
            .services
            .bookings
            .get::<BookingData>(&routes::bookings::booking(id), &caller)
            .await
        {
            Ok(b)
                if p.household.is_none_or(|h| h.household_id != b.household_id)
                    && caller.can_administer(b.council_id) =>
            {
                acting = Some(crate::schema::acting::Acting {
                    household: roundabout_support::internal_auth::HouseholdMembership {
                        household_id: b.household_id,
                        council_id: b.council_id,
                    },
                    caller: caller.clone(),
                    officer: Some(p.clone()),
                });
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Err(not_found()),
            Err(e) => return Err(Failure::from(e)),
        }
    }
    let cancel = async {
        let b: BookingData = g
            .services
            .bookings
            .post(
                &routes::bookings::booking_cancel(id),
                &CancelIn { reason: reason.clone() },
                &caller,
            )
            .await
            .map_err(|e| {
                if e.is_not_found() {
                    not_found()
                } else {
                    Failure::from(e)
                }
            })?;
        Ok(answer(b))
    };
    match acting {
        Some(acting) => {
            audited(
                ctx,
                &acting,
                AssistedActionKind::Cancellation,
                Some(id),
                cancel,
                outcome,
            )
            .await
        }
        None => cancel.await,
    }
}

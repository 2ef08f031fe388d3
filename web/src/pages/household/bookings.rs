//! "Your bookings": the list, one booking, its confirmation, and
//! cancelling it with the refund the policy gives shown first.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    routing::get,
    Router,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{
        acting::Acting,
        render, render_refused,
        vocabulary::{self, filters},
        with_session,
    },
    views::{self, Layout},
    AppState,
};

use super::money_words::{self, Method};

pub fn router(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/bookings"), get(list))
        .route(&format!("{prefix}/bookings/{{id}}"), get(show))
        .route(&format!("{prefix}/bookings/{{id}}/confirmation"), get(confirmation))
        .route(
            &format!("{prefix}/bookings/{{id}}/cancel"),
            get(cancel_page).post(cancel),
        )
}

/// A booking's page address (under an officer's household pages, the path
/// also names the household).
#[derive(Deserialize)]
struct BookingPath {
    id: String,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub id: String,
    pub status: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub lease_months: Option<i64>,
    pub vehicle: Vehicle,
    pub price: Price,
    #[serde(default)]
    pub payment: Option<Payment>,
    #[serde(default)]
    pub cancellation: Option<Cancellation>,
    #[serde(default)]
    pub refund_if_cancelled_pence: Option<i64>,
    pub household: Id,
    /// On the confirmation.
    #[serde(default)]
    pub provider_contact: Option<ProviderContact>,
}

#[derive(Deserialize, Clone)]
pub struct Id {
    pub id: String,
    /// On the confirmation: the household's council.
    #[serde(default)]
    pub council: Option<CouncilRef>,
}

#[derive(Deserialize, Clone)]
pub struct CouncilRef {
    pub name: String,
    #[serde(default)]
    pub contact: ProviderContact,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle {
    pub make: String,
    pub model: String,
    pub provider: Named,
    /// On the confirmation: its kind and where it is kept.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub location: Option<Location>,
}

#[derive(Deserialize, Clone)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

/// Where to collect the vehicle and how to reach its provider.
#[derive(Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProviderContact {
    pub pickup_address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Deserialize, Clone)]
pub struct Named {
    pub name: String,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub household_pence: i64,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub method: String,
    pub amount_pence: i64,
    #[serde(default)]
    pub status: String,
    /// Given back (or taken off the invoice) so far.
    #[serde(default)]
    pub refunded_pence: i64,
    /// While the household's bank must confirm a card payment.
    #[serde(default)]
    pub client_secret: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    pub at: DateTime<Utc>,
    pub refund_pence: i64,
}

/// What the confirmation adds: where to collect the vehicle, who to contact.
const NEXT_STEPS_FIELDS: &str = "vehicle { kind location { lat lon } } providerContact { pickupAddress phone email } household { council { name contact { email phone } } }";

pub const FIELDS: &str = "household { id } id status start end leaseMonths vehicle { make model provider { name } } price { basePence subsidyPence householdPence } payment { method status amountPence refundedPence clientSecret } cancellation { at refundPence } refundIfCancelledPence";

impl Booking {
    pub fn period(&self) -> String {
        match self.lease_months {
            Some(m) => format!(
                "{} from {}",
                vocabulary::plural(m, "month", "months"),
                vocabulary::day(self.start)
            ),
            None => {
                if views::to_uk(self.end).date() == views::to_uk(self.start).date() {
                    format!(
                        "{} to {}",
                        vocabulary::when(self.start),
                        vocabulary::clock(views::to_uk(self.end))
                    )
                } else {
                    format!("{} to {}", vocabulary::when(self.start), vocabulary::when(self.end))
                }
            }
        }
    }

    pub fn vehicle_name(&self) -> String {
        format!("{} {}", self.vehicle.make, self.vehicle.model)
    }

    pub fn can_cancel(&self) -> bool {
        self.refund_if_cancelled_pence.is_some()
    }

    pub fn reference(&self) -> String {
        self.id.split('-').next().unwrap_or(&self.id).to_uppercase()
    }

    /// Bikes need no driving licence; every other kind does.
    pub fn needs_licence(&self) -> bool {
        !matches!(self.vehicle.kind.as_str(), "EBIKE" | "CARGO_BIKE")
    }

    /// The vehicle's place on OpenStreetMap.
    pub fn map_href(&self) -> Option<String> {
        self.vehicle.location.as_ref().map(|p| {
            format!(
                "https://www.openstreetmap.org/?mlat={:.5}&mlon={:.5}#map=17/{:.5}/{:.5}",
                p.lat, p.lon, p.lat, p.lon
            )
        })
    }

    /// A lease's second month, when its invoice is due (payments schedules
    /// each later month on the lease's start day).
    pub fn second_month(&self) -> Option<String> {
        self.lease_months.filter(|m| *m > 1)?;
        self.start
            .checked_add_months(chrono::Months::new(1))
            .map(vocabulary::day)
    }

    /// A phone number as a `tel:` link's digits.
    pub fn tel(&self, phone: &str) -> String {
        phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
    }

    /// How to reach the council: its contact details, as given.
    pub fn council_contact(&self) -> ProviderContact {
        self.household
            .council
            .as_ref()
            .map(|c| c.contact.clone())
            .unwrap_or_default()
    }

    pub fn council_name(&self) -> String {
        self.household
            .council
            .as_ref()
            .map_or_else(|| "your council".to_string(), |c| c.name.clone())
    }

    /// The pick-up address's lines.
    pub fn pickup_lines(&self) -> Vec<&str> {
        self.provider_contact
            .as_ref()
            .and_then(|c| c.pickup_address.as_deref())
            .map(|a| a.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
            .unwrap_or_default()
    }

    /// How the household's share is paid ([`money_words`]).
    fn method(&self) -> Method {
        match &self.payment {
            Some(p) => Method::parse(&p.method),
            None if self.price.household_pence == 0 => Method::Nothing,
            // Not taken yet: an invoice is what a booking without a card gets.
            None => Method::Invoice,
        }
    }

    /// The household's share as charged (a lease's first month).
    fn share(&self) -> i64 {
        self.payment
            .as_ref()
            .map(|p| p.amount_pence)
            .unwrap_or(self.price.household_pence)
    }

    /// The "Payment" row.
    pub fn payment_words(&self) -> String {
        match &self.payment {
            Some(p) => money_words::payment(self.method(), &p.status, p.amount_pence, p.refunded_pence),
            None => "No payment yet".into(),
        }
    }

    /// What cancelling now would give back.
    pub fn if_cancelled_words(&self, refund: &i64) -> String {
        money_words::if_cancelled(self.method(), *refund, self.share())
    }

    /// The "Cancelled" row.
    pub fn cancellation_words(&self, c: &Cancellation) -> String {
        money_words::cancellation(self.method(), &vocabulary::when(c.at), c.refund_pence)
    }
}

/// The household's booking, or "Page not found" when it is not theirs (or
/// none, or when an officer acts for another household than the booking's).
async fn booking(s: &AppState, user: &Acting, id: &str) -> Result<Booking, PageError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(PageError::NotFound);
    }
    #[derive(Deserialize)]
    struct Data {
        booking: Option<Booking>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            &format!("query($id: ID!) {{ booking(id: $id) {{ {FIELDS} {NEXT_STEPS_FIELDS} }} }}"),
            json!({"id": id}),
        )
        .await?;
    d.booking
        .filter(|b| user.household_id().is_none_or(|h| h == b.household.id))
        .ok_or(PageError::NotFound)
}

#[derive(Template)]
#[template(path = "household/bookings.html")]
struct ListPage {
    l: Layout,
    bookings: Vec<Booking>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    after: Option<String>,
}

async fn list(State(s): State<AppState>, user: Acting, Query(p): Query<Page>) -> PageResult {
    if user.household.is_some() {
        // An officer sees the household's bookings on its page.
        return Ok(see_other(&user.base()));
    }
    #[derive(Deserialize)]
    struct H {
        bookings: Conn,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Conn {
        nodes: Vec<Booking>,
        page_info: PageInfo,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PageInfo {
        has_next_page: bool,
        end_cursor: Option<String>,
    }
    let h: H = user
        .household(
            &s,
            "$after: String",
            &format!(
                "bookings(first: 20, after: $after) {{ nodes {{ {FIELDS} }} pageInfo {{ hasNextPage endCursor }} }}"
            ),
            json!({"after": p.after}),
        )
        .await?;
    let conn = h.bookings;
    let mut bookings = conn.nodes;
    bookings.reverse();
    render(&ListPage {
        l: user.layout("Your bookings", "/bookings"),
        bookings,
        next: conn
            .page_info
            .end_cursor
            .filter(|_| conn.page_info.has_next_page)
            .map(|c| format!("/bookings?after={}", vocabulary::urlencode(&c))),
    })
}

#[derive(Template)]
#[template(path = "household/booking.html")]
struct ShowPage {
    l: Layout,
    b: Booking,
}

async fn show(State(s): State<AppState>, user: Acting, Path(BookingPath { id }): Path<BookingPath>) -> PageResult {
    let b = booking(&s, &user, &id).await?;
    render(&ShowPage {
        l: user.layout(format!("Booking {}", b.reference()), "/bookings"),
        b,
    })
}

#[derive(Template)]
#[template(path = "household/confirmation.html")]
struct ConfirmationPage {
    l: Layout,
    b: Booking,
    /// Stripe.js, when the bank must confirm the card payment.
    stripe: Option<crate::config::StripeJs>,
}

impl ConfirmationPage {
    /// The card payment's client secret while the bank must confirm it.
    fn client_secret(&self) -> Option<&str> {
        self.b
            .payment
            .as_ref()
            .filter(|p| p.method == "CARD" && p.status == "REQUIRES_ACTION")
            .and_then(|p| p.client_secret.as_deref())
    }
}

async fn confirmation(
    State(s): State<AppState>,
    user: Acting,
    Path(BookingPath { id }): Path<BookingPath>,
) -> PageResult {
    let b = booking(&s, &user, &id).await?;
    let title = match b.status.as_str() {
        "CONFIRMED" | "ACTIVE" => "Booking confirmed",
        "PENDING_PAYMENT" => "Booking received",
        _ => "Your booking was not made",
    };
    let mut page = ConfirmationPage {
        l: user.layout(title, "/bookings"),
        b,
        stripe: s.config.stripe.clone(),
    };
    if page.client_secret().is_none() {
        page.stripe = None;
    }
    let res = render(&page)?;
    Ok(super::card::with_csp(res, page.stripe.as_ref()))
}

#[derive(Template)]
#[template(path = "household/cancel.html")]
struct CancelPage {
    l: Layout,
    b: Booking,
    form: FormData,
    errors: Errors,
}

async fn cancel_page(
    State(s): State<AppState>,
    user: Acting,
    Path(BookingPath { id }): Path<BookingPath>,
) -> PageResult {
    let b = booking(&s, &user, &id).await?;
    if !b.can_cancel() {
        return Ok(see_other(&format!("{}/bookings/{}", user.base(), b.id)));
    }
    render(&CancelPage {
        l: user.layout("Cancel your booking", "/bookings"),
        b,
        form: FormData::default(),
        errors: Errors::default(),
    })
}

async fn cancel(
    State(s): State<AppState>,
    user: Acting,
    Path(BookingPath { id }): Path<BookingPath>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let b = booking(&s, &user, &id).await?;
    let mut errors = Errors::default();
    if form.get("reason").chars().count() > 500 {
        errors.add("reason", "The reason must be 500 characters or fewer");
    }
    if errors.is_empty() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            cancel_booking: Payload,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            booking: Option<Refunded>,
            user_errors: Vec<UserError>,
        }
        #[derive(Deserialize)]
        struct Refunded {
            cancellation: Option<Cancellation>,
        }
        let reason = Some(form.get("reason")).filter(|r| !r.is_empty());
        let d: Data = s
            .gateway
            .query(
                Some(&user.token),
                "mutation($id: ID!, $reason: String) { cancelBooking(id: $id, reason: $reason) { booking { cancellation { at refundPence } } userErrors { field code message } } }",
                json!({"id": b.id, "reason": reason}),
            )
            .await?;
        if d.cancel_booking.user_errors.is_empty() {
            let refund = d
                .cancel_booking
                .booking
                .and_then(|b| b.cancellation)
                .map(|c| c.refund_pence)
                .unwrap_or(0);
            let whose = if user.household.is_some() { "The" } else { "Your" };
            let message = money_words::cancelled(whose, b.method(), refund, b.share());
            let data = user.session.data.with_flash(message);
            return Ok(with_session(
                see_other(&format!("{}/bookings/{}", user.base(), b.id)),
                data,
            ));
        }
        errors = Errors::from_user_errors(&d.cancel_booking.user_errors, "reason", |_| Some("reason"));
    }
    render_refused(&CancelPage {
        l: user.layout("Cancel your booking", "/bookings").with_errors(&errors),
        b,
        form,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(kind: &str, lease_months: Option<i64>) -> Booking {
        let start = chrono::DateTime::parse_from_rfc3339("2027-01-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Booking {
            id: "1ee40fc6-0000-0000-0000-000000000000".into(),
            status: "CONFIRMED".into(),
            start,
            end: start,
            lease_months,
            vehicle: Vehicle {
                make: "Renault".into(),
                model: "Zoe".into(),
                provider: Named {
                    name: "Cotswold Car Club".into(),
                },
                kind: kind.into(),
                location: Some(Location {
                    lat: 51.785,
                    lon: -1.485,
                }),
            },
            price: Price {
                base_pence: 4000,
                subsidy_pence: 1600,
                household_pence: 2400,
            },
            payment: None,
            cancellation: None,
            refund_if_cancelled_pence: None,
            household: Id {
                id: "h".into(),
                council: None,
            },
            provider_contact: None,
        }
    }

    #[test]
    fn next_steps_follow_the_vehicle_and_the_booking() {
        assert!(booking("CAR", None).needs_licence());
        assert!(booking("MINIBUS", None).needs_licence());
        assert!(!booking("EBIKE", None).needs_licence());
        assert!(!booking("CARGO_BIKE", None).needs_licence());
        // A lease's second month is invoiced a month after the start.
        assert_eq!(
            booking("CAR", Some(12)).second_month().as_deref(),
            Some("1 February 2027")
        );
        assert_eq!(booking("CAR", Some(1)).second_month(), None);
        assert_eq!(booking("CAR", None).second_month(), None);
        assert_eq!(booking("CAR", None).reference(), "1EE40FC6");
        assert_eq!(booking("CAR", None).tel("+44 (0)1993 555-010"), "+4401993555010");
        assert_eq!(
            booking("CAR", None).map_href().unwrap(),
            "https://www.openstreetmap.org/?mlat=51.78500&mlon=-1.48500#map=17/51.78500/-1.48500"
        );
        assert_eq!(booking("CAR", None).council_name(), "your council");
    }
}

//! The service's OpenAPI 3.1 document: every route the routers of this
//! module serve, with the contract's types (committed as
//! `docs/openapi/bookings.json`; the tests check both).

use roundabout_api::{
    bookings::{
        BatchIn, BookIn, BookingData, BookingPage, CancelIn, OfferData, OffersIn, PageIn, PaymentEventIn,
        PaymentEventReceiptData, ReportData, ReportIn,
    },
    privacy::{ErasureStepData, ExportData},
    routes::bookings as r,
};
use roundabout_support::openapi::Document;
use serde_json::Value;

const NO_BOOKING: &str = "No such booking, or not one the caller may see (`NOT_FOUND`)";

/// The document.
pub fn document() -> Value {
    let mut d = Document::new(
        crate::NAME,
        "Offers for a household, bookings with the reservation calendar and each booking's saga \
         (budget hold, payment, confirmation, capture, refunds), councils' spend reports, payments' \
         events about bookings, and a household's export, closing and erasure. Called by the gateway \
         and by payments.",
    );
    d.post(r::OFFERS, "Ranked offers for the signed-in household")
        .body::<OffersIn>()
        .ok::<Vec<OfferData>>(200, "The offers, best first")
        .refuses(403, "Not a household, or an officer acting for one (`FORBIDDEN`)")
        .refuses(
            422,
            "A field out of range (`INVALID_INPUT`), or a refusal of inventory's search",
        );
    d.post(r::BOOKINGS, "Books a vehicle (idempotent by the request's key)")
        .body::<BookIn>()
        .ok::<BookingData>(200, "The booking")
        .refuses(403, "Not the household, or an officer acting for it (`FORBIDDEN`)")
        .refuses(
            409,
            "The vehicle is taken or cannot be booked, the budget is exhausted, or the key was used for \
             another booking (`SLOT_UNAVAILABLE`, `VEHICLE_UNAVAILABLE`, `BUDGET_EXHAUSTED`, \
             `IDEMPOTENCY_CONFLICT`)",
        )
        .refuses(
            422,
            "A period or field that is not valid, or the card was declined (`INVALID_INPUT`, …)",
        );
    d.post(r::BOOKINGS_BATCH, "Bookings by id")
        .body::<BatchIn>()
        .ok::<Vec<BookingData>>(200, "The bookings found and visible to the caller")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.get(r::BOOKING, "A booking")
        .ok::<BookingData>(200, "The booking")
        .refuses(404, NO_BOOKING);
    d.post(r::BOOKING_CANCEL, "Cancels a booking, with the refund due")
        .body::<CancelIn>()
        .ok::<BookingData>(200, "The booking, cancelled")
        .refuses(
            403,
            "Not the household, its officer acting for it, or an officer of its council (`FORBIDDEN`)",
        )
        .refuses(404, NO_BOOKING)
        .refuses(409, "Cancelled before, or not cancellable yet (`INVALID_STATE`)");
    d.get(r::HOUSEHOLD_BOOKINGS, "A household's bookings, a page at a time")
        .query::<PageIn>()
        .ok::<BookingPage>(200, "The page")
        .refuses(
            403,
            "Not the household, an officer of its council or an admin (`FORBIDDEN`)",
        )
        .refuses(422, "`first` out of range (`INVALID_INPUT`)");
    d.get(r::PROVIDER_BOOKINGS, "A provider's bookings, a page at a time")
        .query::<PageIn>()
        .ok::<BookingPage>(200, "The page")
        .refuses(403, "Not the provider's member or an admin (`FORBIDDEN`)")
        .refuses(422, "`first` out of range (`INVALID_INPUT`)");
    d.get(r::COUNCIL_REPORT, "A council's spend report over a period")
        .query::<ReportIn>()
        .ok::<ReportData>(200, "The totals, by scheme, by zone and over time")
        .refuses(403, "Not an officer of the council (`FORBIDDEN`)")
        .refuses(422, "`to` not after `from`, or more than 10 years (`INVALID_INPUT`)");
    d.post(r::PAYMENT_EVENTS, "A booking's payment changed (payments' outbox)")
        .header(
            "Idempotency-Key",
            "The event's key: stored once, so a redelivery has no further effect",
        )
        .body::<PaymentEventIn>()
        .ok::<PaymentEventReceiptData>(200, "Stored, or seen before")
        .refuses(403, "Not the payments service (`FORBIDDEN`)")
        .refuses(422, "No idempotency key (`INVALID_INPUT`)");
    d.get(r::HOUSEHOLD_EXPORT, "A household's bookings, every one, for its export")
        .ok::<ExportData>(200, "The household's section")
        .refuses(404, "Not a household the caller may see (`NOT_FOUND`)");
    d.post(
        r::HOUSEHOLD_CLOSE,
        "Cancels the household's future bookings before its erasure",
    )
    .ok::<ErasureStepData>(200, "What was cancelled")
    .refuses(403, "Not the gateway (`FORBIDDEN`)");
    d.post(
        r::HOUSEHOLD_ERASURE,
        "Removes what is personal from the household's bookings",
    )
    .ok::<ErasureStepData>(200, "What was erased")
    .refuses(403, "Not the gateway (`FORBIDDEN`)");
    d.events();
    d.into_json()
}

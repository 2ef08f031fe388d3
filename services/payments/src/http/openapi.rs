//! The service's OpenAPI 3.1 document: every route the routers of this
//! module serve, with the contract's types (committed as
//! `docs/openapi/payments.json`; the tests check both).

use roundabout_api::{
    payments::{BatchIn, ChargeIn, FeeIn, OnboardingData, OnboardingIn, PaymentData, PayoutsData, RefundIn},
    privacy::{ErasureStepData, ExportData},
    routes::payments as r,
};
use roundabout_support::openapi::Document;
use serde_json::Value;

use super::{
    payments::{BalanceOut, PayoutOut},
    webhooks::Receipt,
};

const BOOKINGS_ONLY: &str = "Not the bookings service (`FORBIDDEN`)";
const NO_PAYMENT: &str = "No payment for this booking (`NOT_FOUND`)";

/// The document.
pub fn document() -> Value {
    let mut d = Document::new(
        crate::NAME,
        "Payments per booking (card authorisation and capture, invoices, lease instalments), refunds, \
         the double-entry ledger, providers' payout accounts and payouts, councils' platform fees, \
         Stripe's webhooks, and a household's export and erasure. Called by bookings and the gateway; \
         the webhook by Stripe.",
    );
    d.post(r::PAYMENTS, "Authorises (or invoices) a booking's share")
        .body::<ChargeIn>()
        .ok::<PaymentData>(200, "The payment")
        .refuses(403, BOOKINGS_ONLY)
        .refuses(409, "The booking was charged with other terms (`IDEMPOTENCY_CONFLICT`)")
        .refuses(
            422,
            "An amount or field out of range, or the card declined (`INVALID_INPUT`, `CARD_DECLINED`, …)",
        );
    d.post(r::PAYMENTS_BATCH, "Payments by booking id")
        .body::<BatchIn>()
        .ok::<Vec<PaymentData>>(200, "The payments found and visible to the caller")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.get(r::PAYMENT, "A booking's payment")
        .ok::<PaymentData>(200, "The payment")
        .refuses(404, NO_PAYMENT);
    for (path, summary) in [
        (r::PAYMENT_CAPTURE, "Takes an authorised payment"),
        (
            r::PAYMENT_RELEASE,
            "Releases an authorised payment that will not be taken",
        ),
    ] {
        d.post(path, summary)
            .ok::<PaymentData>(200, "The payment")
            .refuses(403, BOOKINGS_ONLY)
            .refuses(404, NO_PAYMENT)
            .refuses(409, "Not in a state that allows it (`INVALID_STATE`)");
    }
    d.post(r::PAYMENT_REFUND, "Refunds part or all of a payment")
        .body::<RefundIn>()
        .ok::<PaymentData>(200, "The payment")
        .refuses(403, BOOKINGS_ONLY)
        .refuses(404, NO_PAYMENT)
        .refuses(409, "Not in a state that allows it (`INVALID_STATE`)")
        .refuses(422, "An amount out of range (`INVALID_INPUT`)");
    d.post(r::PAYMENT_PAYOUT, "Records what the provider is owed for the booking")
        .ok::<Option<PayoutOut>>(200, "The payout, or null when none is due")
        .refuses(403, BOOKINGS_ONLY)
        .refuses(404, NO_PAYMENT)
        .refuses(409, "Not in a state that allows it (`INVALID_STATE`)");
    d.get(r::PAYMENT_LEDGER, "The payment's ledger balances by account")
        .ok::<Vec<BalanceOut>>(200, "Each account's balance for the booking")
        .refuses(404, NO_PAYMENT);
    d.post(r::PROVIDERS_PAYOUTS_BATCH, "Providers' payout accounts by provider id")
        .body::<BatchIn>()
        .ok::<Vec<PayoutsData>>(200, "The accounts found")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.post(
        r::PROVIDER_ONBOARDING,
        "Starts or resumes a provider's payout account set-up",
    )
    .body::<OnboardingIn>()
    .ok::<OnboardingData>(200, "Where to send the provider")
    .refuses(403, "Not the provider's member (`FORBIDDEN`)")
    .refuses(
        422,
        "A return address that is not valid, or no card processor (`INVALID_INPUT`, …)",
    );
    d.put(r::COUNCIL_PLATFORM_FEE, "Sets the council's platform fee")
        .body::<FeeIn>()
        .ok::<FeeIn>(200, "The fee")
        .refuses(403, "Not an admin or a service (`FORBIDDEN`)")
        .refuses(422, "A fee out of range (`INVALID_INPUT`)");
    d.get(r::HOUSEHOLD_EXPORT, "A household's payments, refunds and ledger lines")
        .ok::<ExportData>(200, "The household's section")
        .refuses(404, "Not a household the caller may see (`NOT_FOUND`)");
    d.post(
        r::HOUSEHOLD_ERASURE,
        "Removes the household's processor customer and card details",
    )
    .ok::<ErasureStepData>(200, "What was erased")
    .refuses(403, "Not the gateway (`FORBIDDEN`)");
    d.post(r::STRIPE_WEBHOOK, "Stripe's events")
        .public("Open to anyone; authenticated by Stripe's signature (`Stripe-Signature`) over the raw body.")
        .header("Stripe-Signature", "Stripe's signature of the body")
        .raw_body("A Stripe event, as Stripe sent it")
        .ok::<Receipt>(200, "Stored and applied, or seen before, or of no interest")
        .refuses(
            400,
            "No signature, a signature that does not verify, or an event that is not JSON (`INVALID_INPUT`)",
        )
        .refuses(
            422,
            "An event of a known type with a shape that cannot be read (`INVALID_INPUT`)",
        );
    d.events();
    d.into_json()
}

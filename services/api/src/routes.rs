//! Every internal route, declared once for the router that serves it and
//! the client that calls it.
//!
//! Each route is a constant holding axum's path template (what the serving
//! router registers) and, where it has parameters, a function of the same
//! name in lower case that fills them in (what the calling client requests),
//! each value percent-encoded as one path segment. A query string, where a
//! route takes one, is added by the caller.

use std::fmt::Display;

/// Fills each `{…}` of `template` with the next of `values`, encoded as a
/// path segment.
fn fill(template: &str, values: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 40 * values.len());
    let mut values = values.iter();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        if let Some(v) = values.next() {
            out.push_str(&crate::url::encode_segment(&v.to_string()));
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// Declares route constants and their builders, and the list the tests
/// check them with.
macro_rules! routes {
    ($(
        $(#[$meta:meta])*
        $name:ident $(, $builder:ident($($arg:ident),+))? = $path:literal;
    )+) => {
        $(
            $(#[$meta])*
            pub const $name: &str = $path;
            $(
                #[doc = concat!("`", $path, "` with its parameters filled in.")]
                pub fn $builder($($arg: impl std::fmt::Display),+) -> String {
                    super::fill($path, &[$(&$arg),+])
                }
            )?
        )+

        /// Every route of the module: (template, number of parameters its builder takes).
        pub const ALL: &[(&str, usize)] = &[
            $(($path, 0 $($(+ { let _ = stringify!($arg); 1 })+)?)),+
        ];
    };
}

/// Routes every service serves.
pub mod common {
    routes! {
        /// Liveness: the process answers.
        HEALTHZ = "/healthz";
        /// Readiness: the database is reachable and every migration applied.
        READYZ = "/readyz";
        /// Prometheus metrics (on the internal metrics listener only).
        METRICS = "/metrics";
        /// The service's OpenAPI 3.1 document (behind the internal auth).
        OPENAPI = "/openapi.json";
    }
}

/// Every service that publishes events (see [`crate::events`]).
pub mod events {
    routes! {
        /// `GET ?limit=`: the oldest events not yet taken (the gateway only).
        EVENTS = "/internal/events";
        /// `POST {ids}`: marks events taken (the gateway only).
        EVENTS_ACK = "/internal/events/ack";
    }
}

/// The inventory service: providers, their standing in councils, vehicles
/// and GBFS feeds.
pub mod inventory {
    routes! {
        /// `PUT` creates a provider, `GET` reads one.
        PROVIDER, provider(id) = "/internal/providers/{id}";
        /// `POST {ids}`: providers by id.
        PROVIDERS_BATCH = "/internal/providers/batch";
        /// `PUT`: how households reach the provider.
        PROVIDER_CONTACT, provider_contact(id) = "/internal/providers/{id}/contact";
        /// `GET`: the provider's standing in each council.
        PROVIDER_COUNCILS, provider_councils(id) = "/internal/providers/{id}/councils";
        /// `POST`: the provider applies to a council.
        PROVIDER_COUNCIL, provider_council(id, council_id) = "/internal/providers/{id}/councils/{council_id}";
        /// `GET`: a council's providers with their standing.
        COUNCIL_PROVIDERS, council_providers(council_id) = "/internal/councils/{council_id}/providers";
        /// `POST`: a council approves a provider.
        COUNCIL_PROVIDER_APPROVE, council_provider_approve(council_id, id) =
            "/internal/councils/{council_id}/providers/{id}/approve";
        /// `POST`: a council suspends a provider.
        COUNCIL_PROVIDER_SUSPEND, council_provider_suspend(council_id, id) =
            "/internal/councils/{council_id}/providers/{id}/suspend";
        /// `GET`: a council's GBFS feed file.
        GBFS_FILE, gbfs_file(council_id, file) = "/internal/gbfs/{council_id}/{file}";
        /// `POST`: lists a vehicle.
        VEHICLES = "/internal/vehicles";
        /// `POST {ids}`: vehicles by id.
        VEHICLES_BATCH = "/internal/vehicles/batch";
        /// `POST`: a fleet file's rows, all or nothing.
        VEHICLES_IMPORT = "/internal/vehicles/import";
        /// `POST`: vehicles near a place for a period.
        VEHICLES_SEARCH = "/internal/vehicles/search";
        /// `GET` reads a vehicle, `PUT` replaces its details.
        VEHICLE, vehicle(id) = "/internal/vehicles/{id}";
        /// `POST`: available, in maintenance or retired.
        VEHICLE_STATUS, vehicle_status(id) = "/internal/vehicles/{id}/status";
        /// `GET`: a provider's fleet, a page at a time.
        PROVIDER_VEHICLES, provider_vehicles(id) = "/internal/providers/{id}/vehicles";
    }
}

/// The eligibility service: councils, zones, postcodes, households'
/// profiles, schemes and their budgets.
pub mod eligibility {
    routes! {
        /// `GET` councils, `POST` creates one.
        COUNCILS = "/internal/councils";
        /// `POST {ids}`: councils by id.
        COUNCILS_BATCH = "/internal/councils/batch";
        /// `GET`: one council.
        COUNCIL, council(id) = "/internal/councils/{id}";
        /// `PUT`: how residents reach the council.
        COUNCIL_CONTACT, council_contact(id) = "/internal/councils/{id}/contact";
        /// `PUT`: the contact details for residents with the ones the
        /// privacy notice and the accessibility statement name.
        COUNCIL_DETAILS, council_details(id) = "/internal/councils/{id}/details";
        /// `POST`: a household's eligibility from facts alone (the checker).
        COUNCIL_ELIGIBILITY_CHECK, council_eligibility_check(id) = "/internal/councils/{id}/eligibility/check";
        /// `PUT`: imports the council's postcodes (every row or none).
        COUNCIL_POSTCODES, council_postcodes(id) = "/internal/councils/{id}/postcodes";
        /// `GET`: one postcode of the council.
        COUNCIL_POSTCODE, council_postcode(id, postcode) = "/internal/councils/{id}/postcodes/{postcode}";
        /// `GET`: the council's schemes (optionally `?status=`).
        COUNCIL_SCHEMES, council_schemes(id) = "/internal/councils/{id}/schemes";
        /// `GET`: the council's zones.
        COUNCIL_ZONES, council_zones(id) = "/internal/councils/{id}/zones";
        /// `POST`: which councils cover a postcode.
        POSTCODE_COUNCILS = "/internal/postcodes/councils";
        /// `PUT` joins a household to a council, `GET` reads it.
        HOUSEHOLD, household(id) = "/internal/households/{id}";
        /// `GET`: the household's decision for each scheme.
        HOUSEHOLD_ELIGIBILITY, household_eligibility(id) = "/internal/households/{id}/eligibility";
        /// `GET`: the subsidy terms for offers to the household.
        HOUSEHOLD_OFFER_TERMS, household_offer_terms(id) = "/internal/households/{id}/offer-terms";
        /// `GET` reads, `PUT` saves the household's profile.
        HOUSEHOLD_PROFILE, household_profile(id) = "/internal/households/{id}/profile";
        /// `POST`: a new scheme draft.
        SCHEMES = "/internal/schemes";
        /// `POST {ids}`: scheme versions by id.
        SCHEMES_BATCH = "/internal/schemes/batch";
        /// `GET` reads, `PUT` edits a scheme draft.
        SCHEME, scheme(id) = "/internal/schemes/{id}";
        /// `POST`: closes a scheme for good.
        SCHEME_CLOSE, scheme_close(id) = "/internal/schemes/{id}/close";
        /// `POST`: pauses a published scheme.
        SCHEME_PAUSE, scheme_pause(id) = "/internal/schemes/{id}/pause";
        /// `POST`: publishes a draft.
        SCHEME_PUBLISH, scheme_publish(id) = "/internal/schemes/{id}/publish";
        /// `POST`: a new draft version of a published scheme.
        SCHEME_REVISE, scheme_revise(id) = "/internal/schemes/{id}/revise";
        /// `POST`: what a scheme would have cost over past bookings.
        SCHEME_SIMULATE, scheme_simulate(id) = "/internal/schemes/{id}/simulate";
        /// `POST`: adds a test case to the scheme.
        SCHEME_TEST_CASES, scheme_test_cases(id) = "/internal/schemes/{id}/test-cases";
        /// `POST`: the subsidy a booking would get.
        SUBSIDY_QUOTE = "/internal/subsidy/quote";
        /// `POST`: holds a booking's subsidy in its scheme's budget.
        BUDGET_HOLD = "/internal/budget/hold";
        /// `POST`: commits a held subsidy.
        BUDGET_COMMIT = "/internal/budget/commit";
        /// `POST`: gives a subsidy back to the budget.
        BUDGET_RELEASE = "/internal/budget/release";
        /// `GET`: what eligibility holds about a household (its export).
        HOUSEHOLD_EXPORT, household_export(id) = "/internal/households/{id}/export";
        /// `POST`: erases the household's profile, decisions and reads.
        HOUSEHOLD_ERASURE, household_erasure(id) = "/internal/households/{id}/erasure";
        /// `POST`: creates a zone.
        ZONES = "/internal/zones";
        /// `POST {ids}`: zones by id.
        ZONES_BATCH = "/internal/zones/batch";
        /// `GET` the council's retention periods, `PUT` sets its own.
        COUNCIL_RETENTION, council_retention(id) = "/internal/councils/{id}/retention";
        /// `GET`: every council's own retention periods (services only).
        RETENTION_OVERRIDES = "/internal/retention/overrides";
    }
}

/// The bookings service: offers, bookings and their saga, council reports.
pub mod bookings {
    routes! {
        /// `POST`: ranked offers for a household.
        OFFERS = "/internal/offers";
        /// `POST`: books a vehicle.
        BOOKINGS = "/internal/bookings";
        /// `POST {ids}`: bookings by id.
        BOOKINGS_BATCH = "/internal/bookings/batch";
        /// `GET`: one booking.
        BOOKING, booking(id) = "/internal/bookings/{id}";
        /// `POST`: cancels a booking.
        BOOKING_CANCEL, booking_cancel(id) = "/internal/bookings/{id}/cancel";
        /// `GET`: a household's bookings, a page at a time.
        HOUSEHOLD_BOOKINGS, household_bookings(id) = "/internal/households/{id}/bookings";
        /// `GET`: a provider's bookings, a page at a time.
        PROVIDER_BOOKINGS, provider_bookings(id) = "/internal/providers/{id}/bookings";
        /// `GET`: a council's spend report (`?from=&to=`).
        COUNCIL_REPORT, council_report(id) = "/internal/councils/{id}/report";
        /// `POST`: payments' events about bookings' payments (its outbox).
        PAYMENT_EVENTS = "/internal/payment-events";
        /// `GET`: a household's bookings, every one, for its export.
        HOUSEHOLD_EXPORT, household_export(id) = "/internal/households/{id}/export";
        /// `POST`: cancels the household's future bookings before erasure.
        HOUSEHOLD_CLOSE, household_close(id) = "/internal/households/{id}/close";
        /// `POST`: removes what is personal from the household's bookings.
        HOUSEHOLD_ERASURE, household_erasure(id) = "/internal/households/{id}/erasure";
    }
}

/// The payments service: payments, refunds, the ledger and payouts.
pub mod payments {
    routes! {
        /// `POST`: authorises (or invoices) a booking's share.
        PAYMENTS = "/internal/payments";
        /// `POST {ids}`: payments by booking id.
        PAYMENTS_BATCH = "/internal/payments/batch";
        /// `GET`: a booking's payment.
        PAYMENT, payment(booking_id) = "/internal/payments/{booking_id}";
        /// `POST`: takes an authorised payment.
        PAYMENT_CAPTURE, payment_capture(booking_id) = "/internal/payments/{booking_id}/capture";
        /// `GET`: the payment's ledger entries.
        PAYMENT_LEDGER, payment_ledger(booking_id) = "/internal/payments/{booking_id}/ledger";
        /// `POST`: records what the provider is owed for the booking.
        PAYMENT_PAYOUT, payment_payout(booking_id) = "/internal/payments/{booking_id}/payout";
        /// `POST`: refunds part or all of a payment.
        PAYMENT_REFUND, payment_refund(booking_id) = "/internal/payments/{booking_id}/refund";
        /// `POST`: releases an authorised payment that will not be taken.
        PAYMENT_RELEASE, payment_release(booking_id) = "/internal/payments/{booking_id}/release";
        /// `POST {ids}`: providers' payout accounts by provider id.
        PROVIDERS_PAYOUTS_BATCH = "/internal/providers/payouts/batch";
        /// `POST`: starts or resumes a provider's payout account set-up.
        PROVIDER_ONBOARDING, provider_onboarding(id) = "/internal/providers/{id}/onboarding";
        /// `PUT`: sets the council's platform fee.
        COUNCIL_PLATFORM_FEE, council_platform_fee(id) = "/internal/councils/{id}/platform-fee";
        /// `GET`: a household's payments, refunds and ledger lines.
        HOUSEHOLD_EXPORT, household_export(id) = "/internal/households/{id}/export";
        /// `POST`: removes the household's processor customer and card details.
        HOUSEHOLD_ERASURE, household_erasure(id) = "/internal/households/{id}/erasure";
        /// `POST`: the card processor's events (public, signed).
        STRIPE_WEBHOOK = "/webhooks/stripe";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builder_fills_every_parameter_of_its_template() {
        for all in [
            common::ALL,
            events::ALL,
            inventory::ALL,
            eligibility::ALL,
            bookings::ALL,
            payments::ALL,
        ] {
            for (template, params) in all {
                assert_eq!(template.matches('{').count(), *params, "{template}");
                assert_eq!(template.matches('}').count(), *params, "{template}");
                assert!(template.starts_with('/'), "{template}");
            }
        }
    }

    /// Within one server: a route every service serves (`common`) counts
    /// in each. Two services may serve the same path (each household's
    /// export and erasure routes do), since each is called by its own URL.
    #[test]
    fn no_two_routes_of_a_service_share_a_template() {
        for all in [inventory::ALL, eligibility::ALL, bookings::ALL, payments::ALL] {
            let mut seen = std::collections::HashSet::new();
            for (template, _) in common::ALL.iter().chain(events::ALL).chain(all.iter()) {
                assert!(seen.insert(*template), "{template} twice");
            }
        }
    }

    #[test]
    fn parameters_are_filled_in_order_and_encoded_as_one_segment() {
        assert_eq!(
            inventory::council_provider_approve("c1", "p2"),
            "/internal/councils/c1/providers/p2/approve"
        );
        assert_eq!(
            eligibility::council_postcode("c", "OX1 1AA"),
            "/internal/councils/c/postcodes/OX1%201AA"
        );
        assert_eq!(inventory::gbfs_file("c", "../x"), "/internal/gbfs/c/..%2Fx");
        let id = uuid::Uuid::nil();
        assert_eq!(payments::payment(id), format!("/internal/payments/{id}"));
    }
}

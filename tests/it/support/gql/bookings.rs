//! Booking and cancelling: `support/graphql/bookings.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/bookings.graphql":
    BookVehicle,
    CancelBooking,
    Booking,
    MyBookings,
    ProviderBookings,
    CouncilProviderBookings,
    BookingContact,
}

super::payloads!(
    book_vehicle::BookVehicleBookVehicle,
    cancel_booking::CancelBookingCancelBooking
);

/// A hire booking input of `hours` from `start` (the typed twin of
/// [`crate::support::bookings::hire`]).
pub fn hire(vehicle: &str, start: DateTime, hours: i64, key: &str) -> book_vehicle::BookVehicleInput {
    book_vehicle::BookVehicleInput {
        vehicle_id: vehicle.into(),
        kind: book_vehicle::BookingKind::Hire,
        start,
        end: Some(start + chrono::Duration::hours(hours)),
        lease_months: None,
        payment_method: None,
        idempotency_key: key.into(),
        household_id: None,
    }
}

/// Books with `input`; the payload, user errors and all.
pub async fn book(
    client: &roundabout::graphql_client::GraphqlClient,
    input: book_vehicle::BookVehicleInput,
) -> book_vehicle::BookVehicleBookVehicle {
    client
        .data::<BookVehicle>(book_vehicle::Variables { input })
        .await
        .book_vehicle
}

/// Cancels booking `id`; the payload, user errors and all.
pub async fn cancel(
    client: &roundabout::graphql_client::GraphqlClient,
    id: &str,
    reason: Option<&str>,
) -> cancel_booking::CancelBookingCancelBooking {
    client
        .data::<CancelBooking>(cancel_booking::Variables {
            id: id.into(),
            reason: reason.map(str::to_string),
        })
        .await
        .cancel_booking
}

/// A lease input of `months` from `start`.
pub fn lease(vehicle: &str, start: DateTime, months: i64, key: &str) -> book_vehicle::BookVehicleInput {
    book_vehicle::BookVehicleInput {
        vehicle_id: vehicle.into(),
        kind: book_vehicle::BookingKind::Lease,
        start,
        end: None,
        lease_months: Some(months),
        payment_method: None,
        idempotency_key: key.into(),
        household_id: None,
    }
}

impl book_vehicle::BookVehicleBookVehicle {
    /// The booking's status, if there is a booking.
    pub fn status(&self) -> Option<&book_vehicle::BookingStatus> {
        self.booking.as_ref().map(|b| &b.status)
    }
}

impl cancel_booking::CancelBookingCancelBooking {
    /// The booking's status, if there is a booking.
    pub fn status(&self) -> Option<&cancel_booking::BookingStatus> {
        self.booking.as_ref().map(|b| &b.status)
    }
}

//! Providers, vehicles and payouts: `support/graphql/fleet.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/fleet.graphql":
    ApplyToCouncil,
    ApproveProvider,
    AddVehicle,
    StartPayoutOnboarding,
    UpdateProviderContact,
    CouncilProviderContacts,
    SetVehicleStatus,
    SuspendProvider,
    PayoutsEnabled,
}

super::payloads!(
    apply_to_council::ApplyToCouncilApplyToCouncil,
    approve_provider::ApproveProviderApproveProvider,
    add_vehicle::AddVehicleAddVehicle,
    start_payout_onboarding::StartPayoutOnboardingStartPayoutOnboarding,
    update_provider_contact::UpdateProviderContactUpdateProviderContact,
    set_vehicle_status::SetVehicleStatusSetVehicleStatus,
    suspend_provider::SuspendProviderSuspendProvider,
);

/// A Renault Zoe at (`lat`, `lon`): hire £6.50/h or £45/day, lease
/// £300/month (the typed twin of [`crate::support::bookings::vehicle_input`]).
pub fn vehicle_input(lat: f64, lon: f64, seats: i64) -> add_vehicle::VehicleInput {
    use add_vehicle::{GeoPointInput, PricingInput, Propulsion, VehicleInput, VehicleKind};
    VehicleInput {
        kind: VehicleKind::Car,
        make: "Renault".into(),
        model: "Zoe".into(),
        registration: None,
        seats,
        propulsion: Propulsion::Electric,
        range_km: Some(300),
        co2_grams_per_km: Some(0),
        wheelchair_accessible: false,
        location: GeoPointInput { lat, lon },
        pricing: PricingInput {
            per_hour_pence: Some(650),
            per_day_pence: Some(4500),
            per_month_lease_pence: Some(30000),
            deposit_pence: Some(10000),
        },
    }
}

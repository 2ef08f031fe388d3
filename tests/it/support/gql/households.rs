//! A household's profile and eligibility: `support/graphql/households.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/households.graphql":
    UpdateHouseholdProfile,
    MyEligibility,
    MyProfileZones,
    HouseholdProfile,
    HouseholdEligibility,
    CheckEligibility,
    CouncilsForPostcode,
    UpdateProfileFor,
    HouseholdMembers,
    CouncilHouseholds,
}

operations! {
    "tests/it/support/graphql/audit_log.graphql":
    AuditLog,
}

operations! {
    "tests/it/support/graphql/households.graphql":
    MyId,
    MyCouncil,
}

super::payloads!(
    update_household_profile::UpdateHouseholdProfileUpdateHouseholdProfile,
    check_eligibility::CheckEligibilityCheckEligibility,
    update_profile_for::UpdateProfileForUpdateHouseholdProfile,
);

/// A profile at (`lon`, `lat`) as the `HouseholdProfileInput` of the
/// operation module `$m` (each operation has its own input types).
macro_rules! profile_in {
    ($m:ident, $lon:expr, $lat:expr, $income:expr, $cars:expr) => {{
        use $m::{GeoPointInput, HouseholdProfileInput, TravelNeedsInput};
        let (lon, lat, income, cars): (f64, f64, i64, i64) = ($lon, $lat, $income, $cars);
        HouseholdProfileInput {
            location: GeoPointInput { lat, lon },
            postcode: Some("OX28 6AA".into()),
            members: 2,
            annual_income_pence: Some(income),
            income_band: None,
            cars_owned: cars,
            blue_badge: false,
            benefits: Some(vec!["universal_credit".into()]),
            lead_age: Some(40),
            needs: TravelNeedsInput {
                seats: 4,
                wheelchair_accessible: false,
                electric_preferred: true,
            },
            household_id: None,
        }
    }};
}

/// A profile at (`lon`, `lat`) (the typed twin of [`crate::support::eligibility::profile`]).
pub fn profile(lon: f64, lat: f64, income: i64, cars: i64) -> update_household_profile::HouseholdProfileInput {
    profile_in!(update_household_profile, lon, lat, income, cars)
}

/// [`profile`] for `UpdateProfileFor`.
pub fn profile_for(lon: f64, lat: f64, income: i64, cars: i64) -> update_profile_for::HouseholdProfileInput {
    profile_in!(update_profile_for, lon, lat, income, cars)
}

//! Schemes: `support/graphql/schemes.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/schemes.graphql":
    CreateScheme,
    PublishScheme,
    SchemeSpend,
    UpdateScheme,
    ReviseScheme,
    PauseScheme,
    CloseScheme,
    AddSchemeTestCase,
    SimulateScheme,
    CouncilSchemes,
    PublicSchemes,
}

super::payloads!(
    create_scheme::CreateSchemeCreateScheme,
    publish_scheme::PublishSchemePublishScheme,
    update_scheme::UpdateSchemeUpdateScheme,
    revise_scheme::ReviseSchemeReviseScheme,
    pause_scheme::PauseSchemePauseScheme,
    close_scheme::CloseSchemeCloseScheme,
    add_scheme_test_case::AddSchemeTestCaseAddSchemeTestCase
);

/// The "EV lease support" scheme of the brief as the `SchemeInput` of the
/// operation module `$m` (each operation has its own input types).
macro_rules! ev_scheme_in {
    ($m:ident, $council:expr, $zones:expr) => {{
        use $m::{BookingKind, CriterionInput, SchemeInput, SubsidyInput};
        let (council, zones): (&str, &[&str]) = ($council, $zones);
        SchemeInput {
            council_id: council.into(),
            name: "EV lease support".into(),
            description: Some("Help with an electric car for households on low incomes without a car.".into()),
            zone_ids: Some(zones.iter().map(|z| z.to_string()).collect()),
            criteria: vec![
                CriterionInput {
                    id: "income".into(),
                    label: "Household income under £25,000".into(),
                    rule: serde_json::json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]}),
                    fail_text: "This scheme is for households with an income under {limit}. You told us your household's income is {value}.".into(),
                },
                CriterionInput {
                    id: "no-car".into(),
                    label: "No car in the household".into(),
                    rule: serde_json::json!({"==": [{"var": "household.carsOwned"}, 0]}),
                    fail_text: "This scheme is for households without a car. You told us your household owns {value}.".into(),
                },
            ],
            subsidy: SubsidyInput {
                percent_basis_points: 4000,
                cap_per_booking_pence: Some(12000),
            },
            applies_to: vec![BookingKind::Lease, BookingKind::Hire],
            budget_pence: 20_000_000,
            effective_from: None,
            effective_to: None,
        }
    }};
}

/// The "EV lease support" scheme of the brief, in `council`, limited to
/// `zones` (the typed twin of [`crate::support::eligibility::ev_scheme`]).
pub fn ev_scheme(council: &str, zones: &[&str]) -> create_scheme::SchemeInput {
    ev_scheme_in!(create_scheme, council, zones)
}

/// [`ev_scheme`] for `updateScheme`.
pub fn ev_scheme_update(council: &str, zones: &[&str]) -> update_scheme::SchemeInput {
    ev_scheme_in!(update_scheme, council, zones)
}

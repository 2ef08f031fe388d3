//! Councils and zones: `support/graphql/councils.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/councils.graphql":
    CreateCouncil,
    CreateZone,
    UpdateCouncilContact,
    CouncilContact,
    CouncilZones,
    ImportPostcodes,
    Councils,
    CouncilBoundary,
    TwoCouncils,
}

super::payloads!(
    create_council::CreateCouncilCreateCouncil,
    create_zone::CreateZoneCreateZone,
    update_council_contact::UpdateCouncilContactUpdateCouncilContact,
    import_postcodes::ImportPostcodesImportPostcodes
);

/// A council named after `code` over [`crate::support::witney_boundary`], with its officer.
pub fn council_input(code: &str, officer_email: &str) -> create_council::CreateCouncilInput {
    create_council::CreateCouncilInput {
        name: format!("Council {code}"),
        code: code.into(),
        boundary: crate::support::witney_boundary(),
        officer_email: officer_email.into(),
        officer_password: crate::support::PASSWORD.into(),
    }
}

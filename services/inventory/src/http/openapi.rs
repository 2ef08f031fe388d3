//! The service's OpenAPI 3.1 document: every route the routers of this
//! module serve, with the contract's types (committed as
//! `docs/openapi/inventory.json`; the tests check both).

use roundabout_api::{
    inventory::{
        ApprovalData, BatchIn, CouncilProviderData, CouncilProvidersQuery, FleetPage, FleetQuery, ImportData, ImportIn,
        ProviderContactIn, ProviderData, ProviderIn, SearchIn, SearchResults, StatusIn, VehicleData, VehicleIn,
    },
    routes::inventory as r,
};
use roundabout_support::openapi::Document;
use serde_json::Value;

/// The document.
pub fn document() -> Value {
    let mut d = Document::new(
        crate::NAME,
        "Providers, their standing in councils, vehicles with their prices, the geo search and fleet \
         imports, and each council's GBFS feed. Called by the gateway and by bookings.",
    );
    d.put(r::PROVIDER, "Creates a provider organisation (idempotent by id)")
        .describe("At sign-up, by a service (the gateway) only; a second call with the same id answers the provider.")
        .body::<ProviderIn>()
        .ok::<ProviderData>(200, "The provider")
        .refuses(403, "Not a service (`FORBIDDEN`)")
        .refuses(422, "The name is empty or too long (`INVALID_INPUT`)");
    d.get(r::PROVIDER, "A provider")
        .ok::<ProviderData>(200, "The provider")
        .refuses(404, "No such provider (`NOT_FOUND`)");
    d.post(r::PROVIDERS_BATCH, "Providers by id")
        .body::<BatchIn>()
        .ok::<Vec<ProviderData>>(200, "The providers found, without the ids that match none")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.put(r::PROVIDER_CONTACT, "How households reach the provider")
        .body::<ProviderContactIn>()
        .ok::<ProviderData>(200, "The provider with its new details")
        .refuses(403, "Not the provider's member, an admin or a service (`FORBIDDEN`)")
        .refuses(404, "No such provider (`NOT_FOUND`)")
        .refuses(422, "A detail that is not valid (`INVALID_INPUT`, `field` names it)");
    d.get(
        r::PROVIDER_COUNCILS,
        "The provider's standing in each council it applied to",
    )
    .ok::<Vec<ApprovalData>>(200, "Its approvals");
    d.post(r::PROVIDER_COUNCIL, "The provider applies to operate in a council")
        .describe("Applying again keeps the current standing.")
        .ok::<ApprovalData>(200, "Its standing there")
        .refuses(403, "Not the provider's member or a service (`FORBIDDEN`)")
        .refuses(404, "No such provider or council (`NOT_FOUND`)");
    d.get(r::COUNCIL_PROVIDERS, "A council's providers with their standing")
        .query::<CouncilProvidersQuery>()
        .ok::<Vec<CouncilProviderData>>(200, "The providers")
        .refuses(403, "Not an officer of the council (`FORBIDDEN`)")
        .refuses(422, "An unknown standing (`INVALID_INPUT`)");
    d.post(r::COUNCIL_PROVIDER_APPROVE, "A council approves a provider")
        .ok::<ApprovalData>(200, "Its new standing")
        .refuses(403, "Not an officer of the council (`FORBIDDEN`)")
        .refuses(404, "The provider has not applied there (`NOT_FOUND`)");
    d.post(r::COUNCIL_PROVIDER_SUSPEND, "A council suspends a provider")
        .describe("Its vehicles stop being offered in the council.")
        .ok::<ApprovalData>(200, "Its new standing")
        .refuses(403, "Not an officer of the council (`FORBIDDEN`)")
        .refuses(404, "The provider has not applied there (`NOT_FOUND`)");
    d.get(r::GBFS_FILE, "A file of the council's GBFS v3 feed")
        .describe(
            "`file` is one of `system_information`, `vehicle_types`, `vehicle_status`, `system_pricing_plans` \
             and `geofencing_zones`, with or without `.json`.",
        )
        .answers_any(200, "The GBFS file")
        .refuses(404, "No such file or council (`NOT_FOUND`)");
    d.post(r::VEHICLES, "Lists a vehicle")
        .body::<VehicleIn>()
        .ok::<VehicleData>(201, "The vehicle, available")
        .refuses(403, "Not a provider's member (`FORBIDDEN`)")
        .refuses(409, "Another vehicle has the registration (`REGISTRATION_TAKEN`)")
        .refuses(422, "A field that is not valid (`INVALID_INPUT`, `field` names it)");
    d.post(r::VEHICLES_BATCH, "Vehicles by id")
        .body::<BatchIn>()
        .ok::<Vec<VehicleData>>(200, "The vehicles found, without the ids that match none")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.post(r::VEHICLES_IMPORT, "Imports a fleet file, every row or none")
        .body::<ImportIn>()
        .ok::<ImportData>(
            200,
            "The vehicles added, or, when the file is refused (nothing added), every row's problem",
        )
        .refuses(403, "Not a provider's member (`FORBIDDEN`)")
        .refuses(409, "A registration taken meanwhile (`REGISTRATION_TAKEN`)")
        .refuses(422, "No file, or an unknown format (`INVALID_INPUT`)");
    d.post(
        r::VEHICLES_SEARCH,
        "Available vehicles of a council near a place, nearest first",
    )
    .body::<SearchIn>()
    .ok::<SearchResults>(200, "The vehicles with their distance")
    .refuses(404, "No such council (`NOT_FOUND`)")
    .refuses(422, "A field out of range (`INVALID_INPUT`)");
    d.get(r::VEHICLE, "A vehicle")
        .ok::<VehicleData>(200, "The vehicle")
        .refuses(404, "No such vehicle (`NOT_FOUND`)");
    d.put(r::VEHICLE, "Replaces a vehicle's details")
        .body::<VehicleIn>()
        .ok::<VehicleData>(200, "The vehicle")
        .refuses(403, "Not the member of the provider that owns it (`FORBIDDEN`)")
        .refuses(404, "No such vehicle (`NOT_FOUND`)")
        .refuses(409, "Another vehicle has the registration (`REGISTRATION_TAKEN`)")
        .refuses(422, "A field that is not valid (`INVALID_INPUT`, `field` names it)");
    d.post(
        r::VEHICLE_STATUS,
        "Makes a vehicle available, in maintenance or retired",
    )
    .body::<StatusIn>()
    .ok::<VehicleData>(200, "The vehicle")
    .refuses(403, "Not the member of the provider that owns it (`FORBIDDEN`)")
    .refuses(404, "No such vehicle (`NOT_FOUND`)")
    .refuses(422, "An unknown status (`INVALID_INPUT`)");
    d.get(
        r::PROVIDER_VEHICLES,
        "A provider's fleet, a page at a time, in the order vehicles were added",
    )
    .query::<FleetQuery>()
    .ok::<FleetPage>(200, "The page")
    .refuses(422, "`first` out of range (`INVALID_INPUT`)");
    d.events();
    d.into_json()
}

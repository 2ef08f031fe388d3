//! The service's OpenAPI 3.1 document: every route the routers of this
//! module serve, with the contract's types (committed as
//! `docs/openapi/eligibility.json`; the tests check both).

use roundabout_api::{
    eligibility::{
        BatchIn, CheckIn, ContactIn, CouncilData, CouncilDetailsIn, CouncilIn, DecisionData, HouseholdData,
        HouseholdIn, LocationData, OfferTermsData, OfferTermsQuery, PostcodeCouncilsData, PostcodeImportData,
        PostcodeIn, PostcodesImportIn, ProfileData, ProfileIn, QuoteData, QuoteIn, ReleaseIn, ReserveIn, SchemeData,
        SchemeIn, SchemesQuery, SimulationData, SimulationIn, TestCaseIn, ZoneData, ZoneIn,
    },
    privacy::{ErasureStepData, ExportData},
    retention::{CouncilPeriodData, RetentionIn, RetentionPeriodData},
    routes::eligibility as r,
};
use roundabout_support::openapi::Document;
use serde_json::Value;

use crate::db::budget::AllocationRow;

const OFFICERS: &str = "Not an officer of the council, an admin or a service (`FORBIDDEN`)";
const NO_COUNCIL: &str = "No such council (`NOT_FOUND`)";
const NO_SCHEME: &str = "No such scheme (`NOT_FOUND`)";
const NO_HOUSEHOLD: &str = "No such household, or not one the caller may see (`NOT_FOUND`)";

/// The document.
pub fn document() -> Value {
    let mut d = Document::new(
        crate::NAME,
        "Councils with their boundaries and contact details, zones, postcode lookups, households and \
         their profiles, schemes with their versions, test cases and lifecycle, eligibility decisions, \
         simulations, subsidy quotes and scheme budgets, councils' retention periods, and a household's \
         export and erasure. Called by the gateway, bookings, inventory and payments.",
    );
    councils(&mut d);
    households(&mut d);
    schemes(&mut d);
    budgets(&mut d);
    d.events();
    d.into_json()
}

fn councils(d: &mut Document) {
    d.get(r::COUNCILS, "Every council")
        .ok::<Vec<CouncilData>>(200, "The councils");
    d.post(r::COUNCILS, "Creates a council (admins; idempotent by id)")
        .body::<CouncilIn>()
        .ok::<CouncilData>(201, "The council, created")
        .ok::<CouncilData>(200, "The same council, created before with this id")
        .refuses(403, "Not an admin or a service (`FORBIDDEN`)")
        .refuses(
            409,
            "The code is taken, or the id is another council's (`CODE_TAKEN`, `IDEMPOTENCY_CONFLICT`)",
        )
        .refuses(
            422,
            "A name, code or boundary that is not valid (`INVALID_INPUT`, `INVALID_GEOMETRY`)",
        );
    d.post(r::COUNCILS_BATCH, "Councils by id")
        .body::<BatchIn>()
        .ok::<Vec<CouncilData>>(200, "The councils found, without the ids that match none")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.get(r::COUNCIL, "A council")
        .ok::<CouncilData>(200, "The council")
        .refuses(404, NO_COUNCIL);
    d.put(r::COUNCIL_CONTACT, "How residents reach the council")
        .body::<ContactIn>()
        .ok::<CouncilData>(200, "The council")
        .refuses(403, OFFICERS)
        .refuses(404, NO_COUNCIL)
        .refuses(422, "A detail that is not valid (`INVALID_INPUT`)");
    d.put(
        r::COUNCIL_DETAILS,
        "The council's details for residents and its statutory pages",
    )
    .body::<CouncilDetailsIn>()
    .ok::<CouncilData>(200, "The council")
    .refuses(403, OFFICERS)
    .refuses(404, NO_COUNCIL)
    .refuses(422, "A detail that is not valid (`INVALID_INPUT`)");
    d.post(
        r::COUNCIL_ELIGIBILITY_CHECK,
        "A household's eligibility from facts alone (the checker)",
    )
    .body::<CheckIn>()
    .ok::<Vec<DecisionData>>(200, "A decision for each published scheme")
    .refuses(404, NO_COUNCIL)
    .refuses(422, "Facts that are not valid (`INVALID_INPUT`)");
    d.put(
        r::COUNCIL_POSTCODES,
        "Imports the council's postcodes (every row or none)",
    )
    .body::<PostcodesImportIn>()
    .ok::<PostcodeImportData>(200, "How many were imported, or every problem of a refused file")
    .refuses(403, OFFICERS)
    .refuses(404, NO_COUNCIL)
    .refuses(422, "No file (`INVALID_INPUT`)");
    d.get(r::COUNCIL_POSTCODE, "Where one postcode of the council is")
        .ok::<LocationData>(200, "The postcode, written properly, and its place")
        .refuses(404, "The council has no such postcode (`NOT_FOUND`)")
        .refuses(422, "Not a postcode (`INVALID_INPUT`)");
    d.get(r::COUNCIL_SCHEMES, "The council's schemes")
        .query::<SchemesQuery>()
        .ok::<Vec<SchemeData>>(200, "The schemes' versions")
        .refuses(403, OFFICERS)
        .refuses(422, "An unknown status (`INVALID_INPUT`)");
    d.get(r::COUNCIL_ZONES, "The council's zones")
        .ok::<Vec<ZoneData>>(200, "The zones");
    d.post(r::ZONES, "Creates a zone")
        .body::<ZoneIn>()
        .ok::<ZoneData>(201, "The zone")
        .refuses(403, OFFICERS)
        .refuses(404, NO_COUNCIL)
        .refuses(409, "The council has a zone of that name (`ZONE_NAME_TAKEN`)")
        .refuses(
            422,
            "A name or geometry that is not valid (`INVALID_INPUT`, `INVALID_GEOMETRY`)",
        );
    d.post(r::ZONES_BATCH, "Zones by id")
        .body::<BatchIn>()
        .ok::<Vec<ZoneData>>(200, "The zones found, without the ids that match none")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.post(r::POSTCODE_COUNCILS, "Which councils cover a postcode")
        .body::<PostcodeIn>()
        .ok::<PostcodeCouncilsData>(200, "The councils")
        .refuses(422, "Not a postcode (`INVALID_INPUT`)");
    d.get(r::COUNCIL_RETENTION, "The council's retention periods")
        .ok::<Vec<RetentionPeriodData>>(200, "Each kind of record's period")
        .refuses(404, NO_COUNCIL);
    d.put(r::COUNCIL_RETENTION, "Sets the council's own retention periods")
        .body::<RetentionIn>()
        .ok::<Vec<RetentionPeriodData>>(200, "Each kind of record's period")
        .refuses(403, OFFICERS)
        .refuses(404, NO_COUNCIL)
        .refuses(
            422,
            "A kind twice, one a council may not set, or a period out of bounds (`INVALID_INPUT`, …)",
        );
    d.get(r::RETENTION_OVERRIDES, "Every council's own retention periods")
        .ok::<Vec<CouncilPeriodData>>(200, "The periods councils chose")
        .refuses(403, "Not a service (`FORBIDDEN`)");
}

fn households(d: &mut Document) {
    d.put(
        r::HOUSEHOLD,
        "Registers a household in a council (at sign-up; idempotent by id)",
    )
    .body::<HouseholdIn>()
    .ok::<HouseholdData>(200, "The household")
    .refuses(403, "Not a service (`FORBIDDEN`)")
    .refuses(404, NO_COUNCIL)
    .refuses(
        409,
        "The household is registered in another council (`IDEMPOTENCY_CONFLICT`)",
    );
    d.get(r::HOUSEHOLD, "A household")
        .ok::<HouseholdData>(200, "The household")
        .refuses(404, NO_HOUSEHOLD);
    d.get(
        r::HOUSEHOLD_ELIGIBILITY,
        "The household's decision for each published scheme",
    )
    .ok::<Vec<DecisionData>>(200, "The decisions, each with its reasons")
    .refuses(404, NO_HOUSEHOLD);
    d.get(
        r::HOUSEHOLD_OFFER_TERMS,
        "The subsidy terms for offers to the household",
    )
    .query::<OfferTermsQuery>()
    .ok::<OfferTermsData>(200, "Where the household is and each scheme's terms")
    .refuses(403, "Not a service (`FORBIDDEN`)")
    .refuses(404, NO_HOUSEHOLD)
    .refuses(422, "An unknown kind (`INVALID_INPUT`)");
    d.get(r::HOUSEHOLD_PROFILE, "The household's profile")
        .ok::<Option<ProfileData>>(200, "The profile, or null before one is saved")
        .refuses(404, NO_HOUSEHOLD);
    d.put(r::HOUSEHOLD_PROFILE, "Saves the household's profile")
        .body::<ProfileIn>()
        .ok::<ProfileData>(200, "The profile")
        .refuses(403, "Not the household, or an officer acting for it (`FORBIDDEN`)")
        .refuses(404, NO_HOUSEHOLD)
        .refuses(422, "A fact that is not valid (`INVALID_INPUT`)");
    d.get(
        r::HOUSEHOLD_EXPORT,
        "What eligibility holds about a household (its export)",
    )
    .ok::<ExportData>(200, "The household's sections")
    .refuses(404, NO_HOUSEHOLD);
    d.post(
        r::HOUSEHOLD_ERASURE,
        "Erases the household's profile, decisions and reads",
    )
    .ok::<ErasureStepData>(200, "What was erased")
    .refuses(403, "Not the gateway (`FORBIDDEN`)");
}

fn schemes(d: &mut Document) {
    d.post(r::SCHEMES, "Creates a scheme draft")
        .body::<SchemeIn>()
        .ok::<SchemeData>(201, "The draft")
        .refuses(403, OFFICERS)
        .refuses(404, NO_COUNCIL)
        .refuses(
            422,
            "A field or rule that is not valid (`INVALID_INPUT`, `INVALID_RULE`)",
        );
    d.post(r::SCHEMES_BATCH, "Scheme versions by id")
        .body::<BatchIn>()
        .ok::<Vec<SchemeData>>(200, "The versions found and visible to the caller")
        .refuses(422, "More than 500 ids (`INVALID_INPUT`)");
    d.get(r::SCHEME, "A scheme version")
        .ok::<SchemeData>(200, "The version")
        .refuses(403, OFFICERS)
        .refuses(404, NO_SCHEME);
    d.put(r::SCHEME, "Edits a scheme draft")
        .body::<SchemeIn>()
        .ok::<SchemeData>(200, "The draft")
        .refuses(403, OFFICERS)
        .refuses(404, NO_SCHEME)
        .refuses(409, "Not a draft (`INVALID_STATE`)")
        .refuses(
            422,
            "A field or rule that is not valid (`INVALID_INPUT`, `INVALID_RULE`)",
        );
    d.post(r::SCHEME_TEST_CASES, "Adds a test case to a scheme")
        .body::<TestCaseIn>()
        .ok::<SchemeData>(201, "The scheme with its test cases")
        .refuses(403, OFFICERS)
        .refuses(404, NO_SCHEME)
        .refuses(409, "Not a draft (`INVALID_STATE`)")
        .refuses(422, "Facts that are not valid (`INVALID_INPUT`)");
    for (path, summary) in [
        (r::SCHEME_PUBLISH, "Publishes a draft (its test cases must pass)"),
        (r::SCHEME_PAUSE, "Pauses a published scheme"),
        (r::SCHEME_CLOSE, "Closes a scheme for good"),
    ] {
        d.post(path, summary)
            .ok::<SchemeData>(200, "The scheme")
            .refuses(403, OFFICERS)
            .refuses(404, NO_SCHEME)
            .refuses(409, "Not in a state that allows it (`INVALID_STATE`)")
            .refuses(
                422,
                "A test case fails, or the scheme cannot be published as it is (`TEST_CASES_FAILED`, …)",
            );
    }
    d.post(r::SCHEME_REVISE, "A new draft version of a published scheme")
        .ok::<SchemeData>(201, "The new draft")
        .refuses(403, OFFICERS)
        .refuses(404, NO_SCHEME)
        .refuses(409, "Not published, or a draft exists (`INVALID_STATE`)");
    d.post(r::SCHEME_SIMULATE, "What a scheme would have cost over past households")
        .body::<SimulationIn>()
        .ok::<SimulationData>(200, "The simulation")
        .refuses(403, OFFICERS)
        .refuses(404, NO_SCHEME)
        .refuses(422, "An override out of range (`INVALID_INPUT`, `INVALID_RULE`)");
}

fn budgets(d: &mut Document) {
    const SERVICES: &str = "Not a service (`FORBIDDEN`)";
    d.post(r::SUBSIDY_QUOTE, "The subsidy a booking would get")
        .body::<QuoteIn>()
        .ok::<QuoteData>(200, "The quote for each base price")
        .refuses(403, SERVICES)
        .refuses(404, NO_HOUSEHOLD)
        .refuses(422, "An unknown kind or a lease length out of range (`INVALID_INPUT`)");
    d.post(r::BUDGET_HOLD, "Holds a booking's subsidy in its scheme's budget")
        .body::<ReserveIn>()
        .ok::<AllocationRow>(200, "The hold")
        .refuses(403, SERVICES)
        .refuses(404, NO_SCHEME)
        .refuses(
            409,
            "The budget cannot cover it, or the booking holds another amount (`BUDGET_EXHAUSTED`, …)",
        )
        .refuses(422, "A field missing or out of range (`INVALID_INPUT`)");
    d.post(r::BUDGET_COMMIT, "Commits a held subsidy")
        .body::<ReserveIn>()
        .ok::<AllocationRow>(200, "The commitment")
        .refuses(403, SERVICES)
        .refuses(404, NO_SCHEME)
        .refuses(
            409,
            "Released, or the budget cannot cover it (`INVALID_STATE`, `BUDGET_EXHAUSTED`)",
        )
        .refuses(422, "A field missing or out of range (`INVALID_INPUT`)");
    d.post(
        r::BUDGET_RELEASE,
        "Gives a booking's subsidy back to the budget (idempotent)",
    )
    .body::<ReleaseIn>()
    .ok::<Option<AllocationRow>>(200, "The released allocation, or null when the booking never had one")
    .refuses(403, SERVICES);
}

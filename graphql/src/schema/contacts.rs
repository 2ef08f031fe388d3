//! How households reach a provider: where its vehicles are collected, a
//! phone number and an email address. Its members set them
//! (`updateProviderContact`, stored by inventory with the organisation);
//! whoever may see a booking reads them on it (`Booking.providerContact`:
//! the household that booked, officers of its council, the provider), and
//! the provider, admins and officers of councils it applied to read them on
//! `Provider.contact`. A council's officers set how residents reach the
//! council (`updateCouncilContact`, stored by eligibility with the
//! council), and with them the data protection officer, postal address and
//! accessibility contact the web's privacy notice and accessibility
//! statement name (`updateCouncilDetails`), which anyone reads on
//! `Council.contact`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;

use crate::schema::ids::parse_id;
use crate::{
    schema::{
        councils::Council,
        errors::camel,
        errors::{self, payload, Failure, Refusable, UserError},
        providers::{Provider, ProviderPayload},
        request::provider_member,
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::eligibility::{CouncilData, CouncilDetailsIn};
use roundabout_api::inventory::{ContactIn, ProviderContactIn, ProviderData};
use roundabout_api::routes;

/// Where to collect a provider's vehicles and how to reach it; each part
/// null when the provider has not given it.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct ProviderContact {
    /// The address where households collect its vehicles (several lines).
    pub pickup_address: Option<String>,
    /// A phone number for households.
    pub phone: Option<String>,
    /// An email address for households.
    pub email: Option<String>,
}

impl From<&ProviderData> for ProviderContact {
    fn from(p: &ProviderData) -> Self {
        Self {
            pickup_address: p.pickup_address.clone(),
            phone: p.contact_phone.clone(),
            email: p.contact_email.clone(),
        }
    }
}

/// A provider's contact details; an empty or null part clears it.
#[derive(InputObject)]
pub struct ProviderContactInput {
    /// Up to 500 characters, several lines allowed.
    pub pickup_address: Option<String>,
    /// 7 to 20 digits; spaces, `+`, `(`, `)` and `-` allowed.
    pub phone: Option<String>,
    /// One email address.
    pub email: Option<String>,
}

/// How residents reach a council about its schemes, and whom its privacy
/// notice and the accessibility statement name; each part null until its
/// officers give it.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct CouncilContact {
    /// An email address for residents.
    pub email: Option<String>,
    /// A phone number for residents.
    pub phone: Option<String>,
    /// The council's data protection officer: a name or a role.
    pub data_protection_officer: Option<String>,
    /// An email address for the council's data protection officer.
    pub data_protection_email: Option<String>,
    /// The council's postal address (several lines).
    pub postal_address: Option<String>,
    /// Where residents report a problem with the accessibility of the service.
    pub accessibility_email: Option<String>,
    /// A phone number for accessibility problems.
    pub accessibility_phone: Option<String>,
}

impl From<&CouncilData> for CouncilContact {
    fn from(c: &CouncilData) -> Self {
        Self {
            email: c.contact_email.clone(),
            phone: c.contact_phone.clone(),
            data_protection_officer: c.data_protection_officer.clone(),
            data_protection_email: c.data_protection_email.clone(),
            postal_address: c.postal_address.clone(),
            accessibility_email: c.accessibility_email.clone(),
            accessibility_phone: c.accessibility_phone.clone(),
        }
    }
}

/// A council's contact details; an empty or null part clears it.
#[derive(InputObject)]
pub struct CouncilContactInput {
    /// One email address.
    pub email: Option<String>,
    /// 7 to 20 digits; spaces, `+`, `(`, `)` and `-` allowed.
    pub phone: Option<String>,
}

/// Every detail a council's officers give for residents
/// (`updateCouncilDetails`); an empty or null part clears it.
#[derive(InputObject)]
pub struct CouncilDetailsInput {
    /// One email address for residents' questions about schemes.
    pub email: Option<String>,
    /// 7 to 20 digits; spaces, `+`, `(`, `)` and `-` allowed.
    pub phone: Option<String>,
    /// The data protection officer's name or role, up to 200 characters.
    pub data_protection_officer: Option<String>,
    /// One email address for the data protection officer.
    pub data_protection_email: Option<String>,
    /// Up to 500 characters, several lines allowed.
    pub postal_address: Option<String>,
    /// One email address for accessibility problems.
    pub accessibility_email: Option<String>,
    /// 7 to 20 digits; spaces, `+`, `(`, `)` and `-` allowed.
    pub accessibility_phone: Option<String>,
}

/// The result of `updateCouncilContact` and `updateCouncilDetails`.
#[derive(SimpleObject)]
pub struct CouncilContactPayload {
    /// The council after the change; null when refused.
    pub council: Option<Council>,
    /// Why the change was refused; nothing was changed then.
    pub user_errors: Vec<UserError>,
}

impl Refusable for CouncilContactPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            council: None,
            user_errors,
        }
    }
}

/// Inventory and eligibility name fields in snake_case; the API in camelCase.
fn camel_fields(e: roundabout_support::client::ClientError) -> Failure {
    match Failure::from(e) {
        Failure::User(mut u) => {
            u.field = u.field.map(|f| f.iter().map(|s| camel(s)).collect());
            Failure::User(u)
        }
        other => other,
    }
}

#[derive(Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    /// Signed-in provider: replaces its pick-up address, phone number and
    /// email address, which households see on their bookings.
    async fn update_provider_contact(
        &self,
        ctx: &Context<'_>,
        input: ProviderContactInput,
    ) -> async_graphql::Result<ProviderPayload> {
        let provider = provider_member(ctx)?;
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        let body = ProviderContactIn {
            pickup_address: input.pickup_address,
            contact: ContactIn {
                phone: input.phone,
                email: input.email,
            },
        };
        let outcome = g
            .services
            .inventory
            .put::<_, ProviderData>(
                &routes::inventory::provider_contact(provider),
                &body,
                &r.session.caller(),
            )
            .await
            .map(|p| ProviderPayload {
                provider: Some(Provider(p)),
                user_errors: Vec::new(),
            })
            .map_err(camel_fields);
        payload(outcome)
    }

    /// Officer of the council: replaces the email address and phone number
    /// residents use about its schemes, shown on their bookings; the other
    /// details (`updateCouncilDetails`) stay as they are.
    async fn update_council_contact(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        input: CouncilContactInput,
    ) -> async_graphql::Result<CouncilContactPayload> {
        let body = ContactIn {
            phone: input.phone,
            email: input.email,
        };
        put_council(ctx, &council_id, routes::eligibility::council_contact, &body).await
    }

    /// Officer of the council (or an admin): replaces, in one change, the
    /// contact details for residents with the data protection officer and
    /// postal address its privacy notice names and the accessibility
    /// contact of the accessibility statement.
    async fn update_council_details(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        input: CouncilDetailsInput,
    ) -> async_graphql::Result<CouncilContactPayload> {
        let body = CouncilDetailsIn {
            contact: ContactIn {
                phone: input.phone,
                email: input.email,
            },
            data_protection_officer: input.data_protection_officer,
            data_protection_email: input.data_protection_email,
            postal_address: input.postal_address,
            accessibility_email: input.accessibility_email,
            accessibility_phone: input.accessibility_phone,
        };
        put_council(ctx, &council_id, routes::eligibility::council_details, &body).await
    }
}

/// Sends an officer's change of the council's details to eligibility at
/// `route(council)`, after the role and tenancy check both mutations share.
async fn put_council(
    ctx: &Context<'_>,
    council_id: &ID,
    route: fn(uuid::Uuid) -> String,
    body: &impl serde::Serialize,
) -> async_graphql::Result<CouncilContactPayload> {
    let r = RequestCtx::get(ctx);
    let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    let Some(council) = parse_id(council_id) else {
        return payload(Err(Failure::user(
            UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["councilId"]),
        )));
    };
    if !p.is_admin() && !p.officer_of.contains(&council) {
        return Err(errors::forbidden(
            "Only officers of this council change its contact details",
        ));
    }
    let g = ctx.data_unchecked::<Gateway>();
    let outcome = g
        .services
        .eligibility
        .put::<_, CouncilData>(&route(council), body, &r.session.caller())
        .await
        .map(|c| CouncilContactPayload {
            council: Some(Council(c)),
            user_errors: Vec::new(),
        })
        .map_err(camel_fields);
    payload(outcome)
}

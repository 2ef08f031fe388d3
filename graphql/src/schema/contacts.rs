//! How households reach a provider: where its vehicles are collected, a
//! phone number and an email address. Its members set them
//! (`updateProviderContact`, stored by inventory with the organisation);
//! whoever may see a booking reads them on it (`Booking.providerContact`:
//! the household that booked, officers of its council, the provider), and
//! the provider, admins and officers of councils it applied to read them on
//! `Provider.contact`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::{
    schema::{
        errors::{payload, Failure},
        identity::ProviderData,
        providers::{Provider, ProviderPayload},
        request::RequestCtx,
        vehicles::{camel, provider_member},
    },
    services::Gateway,
};

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
        let body = serde_json::json!({
            "pickup_address": input.pickup_address, "phone": input.phone, "email": input.email,
        });
        let outcome = g
            .services
            .inventory
            .put::<_, ProviderData>(
                &format!("/internal/providers/{provider}/contact"),
                &body,
                &r.session.caller(),
            )
            .await
            .map(|p| ProviderPayload {
                provider: Some(Provider(p)),
                user_errors: Vec::new(),
            })
            .map_err(|e| match Failure::from(e) {
                Failure::User(mut u) => {
                    u.field = u.field.map(|f| f.iter().map(|s| camel(s)).collect());
                    Failure::User(u)
                }
                other => other,
            });
        payload(outcome)
    }
}

//! Provider payouts: Stripe Connect onboarding and whether a provider can be paid.

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use crate::{
    schema::{
        errors::{self, payload, Failure, Refusable, UserError},
        loaders::load_error,
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::{payments::OnboardingData, routes};

/// True when the provider finished payout onboarding and can be paid.
pub async fn payouts_enabled(ctx: &Context<'_>, provider_id: Uuid) -> async_graphql::Result<bool> {
    let r = RequestCtx::get(ctx);
    Ok(r.loaders
        .payouts
        .load_one(provider_id)
        .await
        .map_err(load_error)?
        .is_some_and(|p| p.payouts_enabled))
}

/// The result of `startPayoutOnboarding`.
#[derive(SimpleObject)]
pub struct PayoutOnboardingPayload {
    /// Where the provider completes onboarding with Stripe; null when refused.
    pub url: Option<String>,
    pub user_errors: Vec<UserError>,
}

impl Refusable for PayoutOnboardingPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self { url: None, user_errors }
    }
}

#[derive(Default)]
pub struct PayoutMutation;

#[Object]
impl PayoutMutation {
    /// Signed-in provider: a Stripe Connect onboarding link for payouts.
    /// Until onboarding is complete, the provider's share of each booking
    /// waits in the ledger as a payable.
    async fn start_payout_onboarding(&self, ctx: &Context<'_>) -> async_graphql::Result<PayoutOnboardingPayload> {
        let r = RequestCtx::get(ctx);
        let principal = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
        let Some(provider) = principal.provider_id else {
            return Err(errors::forbidden("Only provider accounts set up payouts"));
        };
        let g = ctx.data_unchecked::<Gateway>();
        let outcome: Result<PayoutOnboardingPayload, Failure> = async {
            let link: OnboardingData = g
                .services
                .payments
                .post(
                    &routes::payments::provider_onboarding(provider),
                    &roundabout_api::payments::OnboardingIn {
                        email: Some(principal.email.clone()),
                        refresh_url: format!("{}/provider/payouts?retry=1", g.public_url),
                        return_url: format!("{}/provider/payouts", g.public_url),
                    },
                    &r.session.caller(),
                )
                .await?;
            Ok(PayoutOnboardingPayload {
                url: Some(link.url),
                user_errors: Vec::new(),
            })
        }
        .await;
        payload(outcome)
    }
}

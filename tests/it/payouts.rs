//! Provider payouts through the gateway, with the in-process processor the
//! stack runs (the Stripe side is tested against localstripe in the payments
//! service's own tests).

use crate::support::gql::fleet::{payouts_enabled, start_payout_onboarding, PayoutsEnabled, StartPayoutOnboarding};
use crate::support::gql::identity::{sign_up_provider, SignUpProvider};
use crate::support::gql::{first_error_code, Payload, Typed};
use crate::support::*;

#[tokio::test]
async fn a_provider_onboards_for_payouts_and_others_cannot() {
    let stack = Stack::start().await;
    let p = stack
        .anon
        .data::<SignUpProvider>(sign_up_provider::Variables {
            input: sign_up_provider::SignUpProviderInput {
                email: "fleet@club.test".into(),
                password: PASSWORD.into(),
                organisation_name: "Club".into(),
            },
        })
        .await
        .sign_up_provider;
    let provider = stack.anon.with_token(p.token.unwrap());
    let enabled = || async {
        provider
            .data::<PayoutsEnabled>(payouts_enabled::Variables)
            .await
            .me
            .unwrap()
            .provider
            .unwrap()
            .payouts_enabled
    };
    assert!(!enabled().await);

    let onboard = |client: &roundabout::graphql_client::GraphqlClient| {
        let client = client.clone();
        async move {
            client
                .run::<StartPayoutOnboarding>(start_payout_onboarding::Variables)
                .await
                .map(|d| d.start_payout_onboarding)
        }
    };
    let v = onboard(&provider).await.unwrap();
    v.assert_ok();
    let url = v.url.clone().unwrap();
    assert!(url.starts_with("https://"), "{url}");
    // Asking again reuses the same connected account.
    let again = onboard(&provider).await.unwrap();
    assert_eq!(again.url.as_deref(), Some(url.as_str()));
    assert!(!enabled().await, "not until onboarding is finished");

    let (council, _) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "resident@example.org").await;
    assert_eq!(first_error_code(&onboard(&household).await.unwrap_err()), "FORBIDDEN");
    assert_eq!(
        first_error_code(&onboard(&stack.anon).await.unwrap_err()),
        "UNAUTHENTICATED"
    );
}

//! Provider payouts through the gateway, with the in-process processor the
//! stack runs (the Stripe side is tested against localstripe in the payments
//! service's own tests).

use crate::support::*;
use serde_json::json;

const ONBOARD: &str = "mutation { startPayoutOnboarding { url userErrors { code message } } }";

#[tokio::test]
async fn a_provider_onboards_for_payouts_and_others_cannot() {
    let stack = Stack::start().await;
    let p = stack
        .anon
        .mutate(
            "signUpProvider",
            SIGN_UP_PROVIDER,
            json!({"input": {"email": "fleet@club.test", "password": PASSWORD, "organisationName": "Club"}}),
        )
        .await
        .unwrap();
    let provider = stack.anon.with_token(p["token"].as_str().unwrap());
    let enabled = || async {
        provider
            .query("{ me { provider { payoutsEnabled } } }", json!({}))
            .await
            .unwrap()["me"]["provider"]["payoutsEnabled"]
            .clone()
    };
    assert_eq!(enabled().await, false);

    let v = provider
        .mutate("startPayoutOnboarding", ONBOARD, json!({}))
        .await
        .unwrap();
    assert_eq!(v["userErrors"], json!([]));
    let url = v["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("https://"), "{url}");
    // Asking again reuses the same connected account.
    let again = provider
        .mutate("startPayoutOnboarding", ONBOARD, json!({}))
        .await
        .unwrap();
    assert_eq!(again["url"].as_str(), Some(url.as_str()));
    assert_eq!(enabled().await, false, "not until onboarding is finished");

    let (council, _) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "resident@example.org").await;
    assert_eq!(
        error_code(&household.raw(ONBOARD, json!({})).await.unwrap()),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&stack.anon.raw(ONBOARD, json!({})).await.unwrap()),
        "UNAUTHENTICATED"
    );
}

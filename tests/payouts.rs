//! Provider payouts through the gateway. Without Stripe configured (as in
//! this stack) onboarding is refused with a clear code; the Stripe side is
//! tested against localstripe in the payments service's own tests.

mod common;

use common::*;
use serde_json::json;

const ONBOARD: &str = "mutation { startPayoutOnboarding { url userErrors { code message } } }";

#[tokio::test]
async fn payouts_need_stripe_and_a_provider_account() {
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

    let me = provider
        .query("{ me { provider { payoutsEnabled } } }", json!({}))
        .await
        .unwrap();
    assert_eq!(me["me"]["provider"]["payoutsEnabled"], false);

    let v = provider
        .mutate("startPayoutOnboarding", ONBOARD, json!({}))
        .await
        .unwrap();
    assert_eq!(v["url"], serde_json::Value::Null);
    assert_eq!(v["userErrors"][0]["code"], "CARD_PAYMENTS_DISABLED");

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

//! The Stripe adapter against localstripe: every operation over real HTTP.

use crate::support::LocalStripe;
use roundabout_payments::processor::{
    stripe::StripeProcessor, Destination, IntentRequest, IntentStatus, PaymentProcessor, ProcessorError,
};
use roundabout_support::testing::localstripe::SECRET_KEY;

const VISA: &str = "4242424242424242";
/// localstripe attaches this card but declines charging it.
const DECLINED: &str = "4000000000000341";

fn processor(ls: &LocalStripe) -> StripeProcessor {
    StripeProcessor::new(SECRET_KEY, &ls.base).unwrap()
}

fn request(customer: &str, pm: Option<String>, manual: bool) -> IntentRequest {
    IntentRequest {
        amount: 4_000,
        currency: "gbp".into(),
        customer: customer.into(),
        payment_method: pm,
        manual_capture: manual,
        off_session: false,
        destination: None,
        description: "Hire of a Nissan Leaf".into(),
        metadata: vec![("booking_id".into(), "b1".into())],
        transfer_group: Some("booking-b1".into()),
    }
}

#[tokio::test]
async fn authorise_capture_and_refund_partially_then_fully() {
    let ls = LocalStripe::start();
    let g = processor(&ls);
    let cus = g.create_customer(Some("a@example.org"), "h1", "cus:h1").await.unwrap();
    assert!(cus.starts_with("cus_"));
    let pm = ls.card(VISA).await;
    let pi = g
        .create_intent(&request(&cus, Some(pm), true), "pi:b1:1")
        .await
        .unwrap();
    assert_eq!(pi.status, IntentStatus::RequiresCapture);
    assert_eq!(pi.amount_received, 0);

    let captured = g.capture_intent(&pi.id, "capture:b1").await.unwrap();
    assert_eq!(captured.status, IntentStatus::Succeeded);
    assert_eq!(captured.amount_received, 4_000);

    let r1 = g.refund(&pi.id, 1_500, "refund:b1:1").await.unwrap();
    assert_eq!(r1.amount, 1_500);
    let r2 = g.refund(&pi.id, 2_500, "refund:b1:2").await.unwrap();
    assert_eq!(r2.amount, 2_500);
    // Nothing is left to refund.
    let err = g.refund(&pi.id, 1, "refund:b1:3").await.unwrap_err();
    assert!(matches!(err, ProcessorError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn without_a_payment_method_the_intent_waits_for_the_household() {
    let ls = LocalStripe::start();
    let g = processor(&ls);
    let cus = g.create_customer(None, "h1", "cus:h1").await.unwrap();
    let pi = g.create_intent(&request(&cus, None, true), "pi:b2:1").await.unwrap();
    assert_eq!(pi.status, IntentStatus::RequiresAction);
    assert!(pi.client_secret.as_deref().is_some_and(|s| s.starts_with(&pi.id)));
    let cancelled = g.cancel_intent(&pi.id, "cancel:b2").await.unwrap();
    assert_eq!(cancelled.status, IntentStatus::Canceled);
    assert_eq!(g.retrieve_intent(&pi.id).await.unwrap().status, IntentStatus::Canceled);
}

#[tokio::test]
async fn a_declined_card_is_reported_as_declined() {
    let ls = LocalStripe::start();
    let g = processor(&ls);
    let cus = g.create_customer(None, "h1", "cus:h1").await.unwrap();
    let pm = ls.card(DECLINED).await;
    let err = g
        .create_intent(&request(&cus, Some(pm), true), "pi:b3:1")
        .await
        .unwrap_err();
    assert!(matches!(err, ProcessorError::Declined { .. }), "{err:?}");
}

#[tokio::test]
async fn a_retry_with_the_same_key_never_charges_twice() {
    let ls = LocalStripe::start();
    let g = processor(&ls);
    let cus = g.create_customer(None, "h1", "cus:h1").await.unwrap();
    let pm = ls.card(VISA).await;
    let req = request(&cus, Some(pm), false);
    // Stripe acts, then the answer is lost.
    ls.fail_next(1, "after").await;
    let err = g.create_intent(&req, "pi:b4:1").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    // Stripe is down before acting.
    ls.fail_next(1, "before").await;
    assert!(g.create_intent(&req, "pi:b4:1").await.unwrap_err().is_retryable());
    // The retry with the same key gets the first intent back.
    let pi = g.create_intent(&req, "pi:b4:1").await.unwrap();
    assert_eq!(pi.status, IntentStatus::Succeeded);
    let all = ls.get("payment_intents").await;
    let mine = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["customer"] == cus.as_str())
        .count();
    assert_eq!(mine, 1, "{all}");
}

#[tokio::test]
async fn connect_onboarding_destination_charges_and_transfers() {
    let ls = LocalStripe::start();
    let g = processor(&ls);
    let acct = g
        .create_account(Some("fleet@club.example"), "p1", "acct:p1")
        .await
        .unwrap();
    assert!(!acct.payouts_enabled);
    let again = g
        .create_account(Some("fleet@club.example"), "p1", "acct:p1")
        .await
        .unwrap();
    assert_eq!(again.id, acct.id, "same key, same account");
    let url = g
        .onboarding_link(
            &acct.id,
            "https://roundabout.example/refresh",
            "https://roundabout.example/done",
        )
        .await
        .unwrap();
    assert!(url.starts_with("https://"));

    // Before onboarding the account cannot receive a transfer.
    let err = g
        .transfer(1_000, "gbp", &acct.id, "booking-b5", "tr:b5")
        .await
        .unwrap_err();
    assert!(matches!(err, ProcessorError::Refused(_)), "{err:?}");
    ls.enable_account(&acct.id).await;
    assert!(g.retrieve_account(&acct.id).await.unwrap().payouts_enabled);

    let cus = g.create_customer(None, "h1", "cus:h1").await.unwrap();
    let pm = ls.card(VISA).await;
    let mut req = request(&cus, Some(pm), false);
    req.destination = Some(Destination {
        account: acct.id.clone(),
        application_fee: 200,
    });
    let pi = g.create_intent(&req, "pi:b5:1").await.unwrap();
    assert_eq!(pi.status, IntentStatus::Succeeded);
    let stored = ls.get(&format!("payment_intents/{}", pi.id)).await;
    assert_eq!(stored["transfer_data"]["destination"], acct.id.as_str());
    assert_eq!(stored["application_fee_amount"], 200);

    let tr = g.transfer(1_000, "gbp", &acct.id, "booking-b5", "tr:b5").await.unwrap();
    let again = g.transfer(1_000, "gbp", &acct.id, "booking-b5", "tr:b5").await.unwrap();
    assert_eq!(tr, again, "same key, one transfer");
    let transfers = ls.get(&format!("transfers?destination={}", acct.id)).await;
    assert_eq!(transfers["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_stripe_is_retryable() {
    // A port nothing listens on.
    let port = roundabout_support::ports::free_port().unwrap();
    let g = StripeProcessor::new(SECRET_KEY, &format!("http://127.0.0.1:{port}/")).unwrap();
    let err = g.create_customer(None, "h1", "cus:h1").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_deleted_customer_is_gone_and_deleting_it_again_is_not_an_error() {
    let ls = LocalStripe::start();
    let g = processor(&ls);
    let cus = g.create_customer(None, "h-erased", "customer:h-erased").await.unwrap();
    g.delete_customer(&cus, "delete-customer:h-erased").await.unwrap();
    // The answer of the first delete was lost: asked again, under a new key too.
    g.delete_customer(&cus, "delete-customer:h-erased").await.unwrap();
    g.delete_customer(&cus, "delete-customer:h-erased:again").await.unwrap();
    let pm = ls.card(VISA).await;
    let err = g
        .create_intent(&request(&cus, Some(pm), true), "pi:after-erasure:1")
        .await
        .unwrap_err();
    assert!(matches!(err, ProcessorError::Refused(_)), "{err:?}");
}

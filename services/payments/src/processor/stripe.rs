//! The real payment processor: Stripe through async-stripe.
//!
//! One attempt per call, always with the caller's idempotency key
//! (`RequestStrategy::Idempotent`): retries are the caller's decision and reuse
//! the key, so Stripe replays the first answer instead of charging twice.
//! `STRIPE_API_BASE` points the client elsewhere (tests use localstripe).

use std::{collections::HashMap, time::Duration};

use stripe::{Client, ClientBuilder, StripeError};
use stripe_client_core::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_connect::{
    account::{CreateAccount, CreateAccountType, RetrieveAccount},
    account_link::{CreateAccountLink, CreateAccountLinkType},
    transfer::CreateTransfer,
};
use stripe_core::{
    customer::{CreateCustomer, DeleteCustomer},
    payment_intent::{
        CancelPaymentIntent, CapturePaymentIntent, CreatePaymentIntent, CreatePaymentIntentOffSession,
        CreatePaymentIntentTransferData, RetrievePaymentIntent,
    },
    refund::CreateRefund,
};
use stripe_shared::{ApiErrorsType, PaymentIntent, PaymentIntentCaptureMethod, PaymentIntentStatus};

use super::{
    Account, Intent, IntentRequest, IntentStatus, PaymentProcessor, ProcessorError, ProcessorFuture, RefundResult,
};

/// Stripe's own API; `STRIPE_API_BASE` overrides it.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com/";

pub struct StripeProcessor {
    client: Client,
}

impl StripeProcessor {
    /// A client for `secret_key` at `api_base` (for example
    /// `http://127.0.0.1:8420/` for localstripe).
    pub fn new(secret_key: &str, api_base: &str) -> Result<Self, ProcessorError> {
        let base = if api_base.ends_with('/') {
            api_base.to_string()
        } else {
            format!("{api_base}/")
        };
        let client = ClientBuilder::new(secret_key)
            .url(base)
            .timeout(Duration::from_secs(20))
            .app_info("roundabout", Some(env!("CARGO_PKG_VERSION").to_string()), None)
            .build()
            .map_err(|e| ProcessorError::Refused(format!("Stripe client configuration: {e}")))?;
        Ok(Self { client })
    }
}

impl StripeProcessor {
    /// Sends a write once, with the caller's idempotency key.
    async fn write<R>(&self, req: R, key: &str) -> Result<R::Output, ProcessorError>
    where
        R: StripeRequest,
        R::Output: miniserde::Deserialize,
    {
        req.customize()
            .request_strategy(strategy(key)?)
            .send(&self.client)
            .await
            .map_err(map_err)
    }
}

fn strategy(key: &str) -> Result<RequestStrategy, ProcessorError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| ProcessorError::Refused(format!("idempotency key {key:?}: {e}")))
}

fn map_err(e: StripeError) -> ProcessorError {
    match e {
        StripeError::Stripe(err, status) => {
            let message = err.message.clone().unwrap_or_default();
            if status == 402 || matches!(err.type_, ApiErrorsType::CardError) {
                let code = err
                    .decline_code
                    .clone()
                    .or_else(|| err.code.as_ref().map(|c| c.as_str().to_string()))
                    .unwrap_or_else(|| "card_declined".into());
                ProcessorError::Declined { code, message }
            } else if status >= 500 || status == 429 || status == 409 {
                ProcessorError::Unavailable(format!("Stripe answered {status}: {message}"))
            } else {
                ProcessorError::Refused(format!("Stripe answered {status}: {message}"))
            }
        }
        StripeError::ClientError(m) => ProcessorError::Unavailable(m),
        StripeError::Timeout => ProcessorError::Unavailable("timed out".into()),
        StripeError::JSONDeserialize(m) => ProcessorError::Unavailable(format!("unreadable answer: {m}")),
        StripeError::ConfigError(m) => ProcessorError::Refused(m),
    }
}

fn intent(pi: PaymentIntent) -> Intent {
    let status = match pi.status {
        PaymentIntentStatus::RequiresCapture => IntentStatus::RequiresCapture,
        PaymentIntentStatus::Processing => IntentStatus::Processing,
        PaymentIntentStatus::Succeeded => IntentStatus::Succeeded,
        PaymentIntentStatus::Canceled => IntentStatus::Canceled,
        PaymentIntentStatus::RequiresPaymentMethod if pi.last_payment_error.is_some() => IntentStatus::Failed,
        _ => IntentStatus::RequiresAction,
    };
    let failure_code = pi.last_payment_error.as_ref().and_then(|e| {
        e.decline_code
            .clone()
            .or_else(|| e.code.as_ref().map(|c| c.as_str().to_string()))
    });
    Intent {
        id: pi.id.to_string(),
        status,
        amount: pi.amount,
        amount_received: pi.amount_received,
        client_secret: pi.client_secret,
        failure_code,
        latest_charge: pi.latest_charge.map(|c| c.id().to_string()),
    }
}

impl PaymentProcessor for StripeProcessor {
    fn create_customer<'a>(
        &'a self,
        email: Option<&'a str>,
        reference: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, String> {
        Box::pin(async move {
            let mut req = CreateCustomer::new()
                .description(format!("Roundabout household {reference}"))
                .metadata(HashMap::from([("household_id".to_string(), reference.to_string())]));
            if let Some(e) = email {
                req = req.email(e);
            }
            let c = self.write(req, key).await?;
            Ok(c.id.to_string())
        })
    }

    fn delete_customer<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, ()> {
        Box::pin(async move {
            let sent = DeleteCustomer::new(id)
                .customize()
                .request_strategy(strategy(key)?)
                .send(&self.client)
                .await;
            match sent {
                Ok(_) => Ok(()),
                // Deleted already, by an earlier attempt whose answer was lost.
                Err(StripeError::Stripe(_, 404)) => Ok(()),
                Err(e) => Err(map_err(e)),
            }
        })
    }

    fn create_intent<'a>(&'a self, r: &'a IntentRequest, key: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            let currency: stripe_types::Currency = r
                .currency
                .parse()
                .map_err(|_| ProcessorError::Refused(format!("unknown currency {}", r.currency)))?;
            let mut req = CreatePaymentIntent::new(r.amount, currency)
                .customer(r.customer.clone())
                .description(r.description.clone())
                .metadata(r.metadata.iter().cloned().collect::<HashMap<_, _>>());
            if r.manual_capture {
                req = req.capture_method(PaymentIntentCaptureMethod::Manual);
            }
            if let Some(pm) = &r.payment_method {
                req = req.payment_method(pm.clone()).confirm(true);
                if r.off_session {
                    req = req.off_session(CreatePaymentIntentOffSession::Bool(true));
                }
            }
            if let Some(d) = &r.destination {
                req = req
                    .transfer_data(CreatePaymentIntentTransferData::new(d.account.clone()))
                    .application_fee_amount(d.application_fee);
            }
            if let Some(g) = &r.transfer_group {
                req = req.transfer_group(g.clone());
            }
            let pi = self.write(req, key).await?;
            Ok(intent(pi))
        })
    }

    fn retrieve_intent<'a>(&'a self, id: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            let pi = RetrievePaymentIntent::new(id)
                .send(&self.client)
                .await
                .map_err(map_err)?;
            Ok(intent(pi))
        })
    }

    fn capture_intent<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            let pi = self.write(CapturePaymentIntent::new(id), key).await?;
            Ok(intent(pi))
        })
    }

    fn cancel_intent<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            let pi = self.write(CancelPaymentIntent::new(id), key).await?;
            Ok(intent(pi))
        })
    }

    fn refund<'a>(&'a self, intent_id: &'a str, amount: i64, key: &'a str) -> ProcessorFuture<'a, RefundResult> {
        Box::pin(async move {
            let r = self
                .write(CreateRefund::new().payment_intent(intent_id).amount(amount), key)
                .await?;
            Ok(RefundResult {
                id: r.id.to_string(),
                amount: r.amount,
            })
        })
    }

    fn create_account<'a>(
        &'a self,
        email: Option<&'a str>,
        reference: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, Account> {
        Box::pin(async move {
            let mut req = CreateAccount::new()
                .type_(CreateAccountType::Express)
                .country("GB")
                .metadata(HashMap::from([("provider_id".to_string(), reference.to_string())]));
            if let Some(e) = email {
                req = req.email(e);
            }
            let a = self.write(req, key).await?;
            Ok(Account {
                id: a.id.to_string(),
                charges_enabled: a.charges_enabled.unwrap_or(false),
                payouts_enabled: a.payouts_enabled.unwrap_or(false),
            })
        })
    }

    fn retrieve_account<'a>(&'a self, id: &'a str) -> ProcessorFuture<'a, Account> {
        Box::pin(async move {
            let a = RetrieveAccount::new(id).send(&self.client).await.map_err(map_err)?;
            Ok(Account {
                id: a.id.to_string(),
                charges_enabled: a.charges_enabled.unwrap_or(false),
                payouts_enabled: a.payouts_enabled.unwrap_or(false),
            })
        })
    }

    fn onboarding_link<'a>(
        &'a self,
        account: &'a str,
        refresh_url: &'a str,
        return_url: &'a str,
    ) -> ProcessorFuture<'a, String> {
        Box::pin(async move {
            let link = CreateAccountLink::new(account, CreateAccountLinkType::AccountOnboarding)
                .refresh_url(refresh_url)
                .return_url(return_url)
                .send(&self.client)
                .await
                .map_err(map_err)?;
            Ok(link.url)
        })
    }

    fn transfer<'a>(
        &'a self,
        amount: i64,
        currency: &'a str,
        destination: &'a str,
        group: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, String> {
        Box::pin(async move {
            let currency: stripe_types::Currency = currency
                .parse()
                .map_err(|_| ProcessorError::Refused(format!("unknown currency {currency}")))?;
            let t = self
                .write(
                    CreateTransfer::new(currency, destination)
                        .amount(amount)
                        .transfer_group(group),
                    key,
                )
                .await?;
            Ok(t.id.to_string())
        })
    }
}

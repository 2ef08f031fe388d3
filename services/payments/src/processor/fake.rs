//! An in-process card processor for tests of the services built on
//! payments. It keeps intents, refunds, accounts and transfers in memory,
//! honours idempotency keys like Stripe, declines the payment method
//! [`DECLINED_CARD`], and can be told to fail the next calls.
//! The Stripe adapter itself is tested against localstripe, never this.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::{
    Account, Intent, IntentRequest, IntentStatus, PaymentProcessor, ProcessorError, ProcessorFuture, RefundResult,
};

/// A payment method the fake always declines.
pub const DECLINED_CARD: &str = "pm_card_chargeDeclined";

#[derive(Default)]
struct State {
    seq: u64,
    intents: HashMap<String, (Intent, i64)>,
    replies: HashMap<String, Result<String, ProcessorError>>,
    accounts: HashMap<String, Account>,
    transfers: Vec<(String, i64, String)>,
    failures_left: u32,
    declines_left: u32,
    deleted_customers: Vec<String>,
}

/// See the module docs.
#[derive(Clone, Default)]
pub struct FakeProcessor {
    state: Arc<Mutex<State>>,
}

impl FakeProcessor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The customers deleted so far (each once).
    pub fn deleted_customers(&self) -> Vec<String> {
        self.state
            .lock()
            .expect("fake processor lock")
            .deleted_customers
            .clone()
    }

    /// The next `n` calls fail as if the processor were down.
    pub fn fail_next(&self, n: u32) {
        self.state.lock().expect("fake processor lock").failures_left = n;
    }

    /// The next `n` card charges are declined (for example a lease month).
    pub fn decline_next(&self, n: u32) {
        self.state.lock().expect("fake processor lock").declines_left = n;
    }

    /// Marks a connected account as onboarded.
    pub fn enable_account(&self, id: &str) {
        if let Some(a) = self.state.lock().expect("fake processor lock").accounts.get_mut(id) {
            a.charges_enabled = true;
            a.payouts_enabled = true;
        }
    }

    /// Transfers made so far: (destination, amount, transfer group).
    pub fn transfers(&self) -> Vec<(String, i64, String)> {
        self.state.lock().expect("fake processor lock").transfers.clone()
    }

    /// Intents created so far.
    pub fn intent_count(&self) -> usize {
        self.state.lock().expect("fake processor lock").intents.len()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T, ProcessorError>) -> Result<T, ProcessorError> {
        let mut s = self.state.lock().expect("fake processor lock");
        if s.failures_left > 0 {
            s.failures_left -= 1;
            return Err(ProcessorError::Unavailable("fake outage".into()));
        }
        f(&mut s)
    }

    /// Runs `f` once per idempotency key; later calls with the key replay
    /// the id it produced (or its error).
    fn once(
        &self,
        key: &str,
        f: impl FnOnce(&mut State) -> Result<String, ProcessorError>,
    ) -> Result<String, ProcessorError> {
        self.with(|s| {
            if let Some(r) = s.replies.get(key) {
                return r.clone();
            }
            let r = f(s);
            s.replies.insert(key.to_string(), r.clone());
            r
        })
    }

    fn intent(&self, id: &str) -> Result<Intent, ProcessorError> {
        let s = self.state.lock().expect("fake processor lock");
        s.intents
            .get(id)
            .map(|(i, _)| i.clone())
            .ok_or_else(|| ProcessorError::Refused(format!("no such intent {id}")))
    }
}

fn next_id(s: &mut State, prefix: &str) -> String {
    s.seq += 1;
    format!("{prefix}_fake{}", s.seq)
}

impl PaymentProcessor for FakeProcessor {
    fn create_customer<'a>(
        &'a self,
        _email: Option<&'a str>,
        _reference: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, String> {
        Box::pin(async move { self.once(key, |s| Ok(next_id(s, "cus"))) })
    }

    fn delete_customer<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, ()> {
        Box::pin(async move {
            self.once(key, |s| {
                if !s.deleted_customers.iter().any(|c| c == id) {
                    s.deleted_customers.push(id.to_string());
                }
                Ok(id.to_string())
            })
            .map(|_| ())
        })
    }

    fn create_intent<'a>(&'a self, r: &'a IntentRequest, key: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            let id = self.once(key, |s| {
                let decline_now = r.payment_method.is_some() && s.declines_left > 0;
                if decline_now {
                    s.declines_left -= 1;
                }
                if decline_now || r.payment_method.as_deref() == Some(DECLINED_CARD) {
                    return Err(ProcessorError::Declined {
                        code: "card_declined".into(),
                        message: "Your card was declined.".into(),
                    });
                }
                let id = next_id(s, "pi");
                let status = match (&r.payment_method, r.manual_capture) {
                    (None, _) => IntentStatus::RequiresAction,
                    (Some(_), true) => IntentStatus::RequiresCapture,
                    (Some(_), false) => IntentStatus::Succeeded,
                };
                let intent = Intent {
                    id: id.clone(),
                    status,
                    amount: r.amount,
                    amount_received: if status == IntentStatus::Succeeded { r.amount } else { 0 },
                    client_secret: Some(format!("{id}_secret")),
                    failure_code: None,
                    latest_charge: r.payment_method.as_ref().map(|_| format!("ch_{id}")),
                };
                s.intents.insert(id.clone(), (intent, 0));
                Ok(id)
            })?;
            self.intent(&id)
        })
    }

    fn retrieve_intent<'a>(&'a self, id: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            self.with(|_| Ok(()))?;
            self.intent(id)
        })
    }

    fn capture_intent<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            self.once(key, |s| {
                let (i, _) = s
                    .intents
                    .get_mut(id)
                    .ok_or_else(|| ProcessorError::Refused("no such intent".into()))?;
                if i.status != IntentStatus::RequiresCapture {
                    return Err(ProcessorError::Refused("intent is not capturable".into()));
                }
                i.status = IntentStatus::Succeeded;
                i.amount_received = i.amount;
                Ok(id.to_string())
            })?;
            self.intent(id)
        })
    }

    fn cancel_intent<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, Intent> {
        Box::pin(async move {
            self.once(key, |s| {
                let (i, _) = s
                    .intents
                    .get_mut(id)
                    .ok_or_else(|| ProcessorError::Refused("no such intent".into()))?;
                if i.status == IntentStatus::Succeeded {
                    return Err(ProcessorError::Refused("a captured intent cannot be cancelled".into()));
                }
                i.status = IntentStatus::Canceled;
                Ok(id.to_string())
            })?;
            self.intent(id)
        })
    }

    fn refund<'a>(&'a self, intent_id: &'a str, amount: i64, key: &'a str) -> ProcessorFuture<'a, RefundResult> {
        Box::pin(async move {
            let id = self.once(key, |s| {
                let (i, refunded) = s
                    .intents
                    .get_mut(intent_id)
                    .ok_or_else(|| ProcessorError::Refused("no such intent".into()))?;
                if amount <= 0 || *refunded + amount > i.amount_received {
                    return Err(ProcessorError::Refused("refund above the captured amount".into()));
                }
                *refunded += amount;
                Ok(format!("re_{intent_id}_{refunded}"))
            })?;
            Ok(RefundResult { id, amount })
        })
    }

    fn create_account<'a>(
        &'a self,
        _email: Option<&'a str>,
        _reference: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, Account> {
        Box::pin(async move {
            let id = self.once(key, |s| {
                let id = next_id(s, "acct");
                s.accounts.insert(
                    id.clone(),
                    Account {
                        id: id.clone(),
                        charges_enabled: false,
                        payouts_enabled: false,
                    },
                );
                Ok(id)
            })?;
            self.retrieve_account(&id).await
        })
    }

    fn retrieve_account<'a>(&'a self, id: &'a str) -> ProcessorFuture<'a, Account> {
        Box::pin(async move {
            self.with(|s| {
                s.accounts
                    .get(id)
                    .cloned()
                    .ok_or_else(|| ProcessorError::Refused("no such account".into()))
            })
        })
    }

    fn onboarding_link<'a>(
        &'a self,
        account: &'a str,
        _refresh_url: &'a str,
        _return_url: &'a str,
    ) -> ProcessorFuture<'a, String> {
        Box::pin(async move { self.with(|_| Ok(format!("https://connect.fake.test/onboarding/{account}"))) })
    }

    fn transfer<'a>(
        &'a self,
        amount: i64,
        _currency: &'a str,
        destination: &'a str,
        group: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, String> {
        Box::pin(async move {
            self.once(key, |s| {
                let ok = s.accounts.get(destination).is_some_and(|a| a.payouts_enabled);
                if !ok {
                    return Err(ProcessorError::Refused(
                        "the destination cannot receive transfers".into(),
                    ));
                }
                s.transfers.push((destination.to_string(), amount, group.to_string()));
                Ok(next_id(s, "tr"))
            })
        })
    }
}

//! localstripe, a stateful fake Stripe server (the pinned PyPI package),
//! started by `localstripe_launcher.py` on a free 127.0.0.1 port for a test
//! and stopped on drop. The payments service's Stripe adapter tests and the
//! whole-stack tests run against it.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The secret key tests give the Stripe adapter (localstripe accepts any).
pub const SECRET_KEY: &str = "sk_test_roundabout";

/// A running localstripe; `base` is its API base URL (ends with `/`).
pub struct LocalStripe {
    pub base: String,
    child: Child,
}

impl LocalStripe {
    pub fn start() -> Self {
        let python = super::tool("python");
        let port = crate::ports::free_port().unwrap();
        let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/src/testing/localstripe_launcher.py");
        let child = Command::new(python)
            .arg(launcher)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start localstripe");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "localstripe did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            base: format!("http://127.0.0.1:{port}/"),
            child,
        }
    }

    /// A card PaymentMethod (`4242…` succeeds, `4000000000000002` is declined).
    pub async fn card(&self, number: &str) -> String {
        let res: serde_json::Value = reqwest::Client::new()
            .post(format!("{}v1/payment_methods", self.base))
            .basic_auth(SECRET_KEY, Some(""))
            .form(&[
                ("type", "card"),
                ("card[number]", number),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["id"].as_str().unwrap().to_string()
    }

    /// Makes the next `count` API calls fail with a 500, before or after acting.
    pub async fn fail_next(&self, count: u32, when: &str) {
        reqwest::Client::new()
            .post(format!("{}_config/faults", self.base))
            .json(&serde_json::json!({"count": count, "when": when}))
            .send()
            .await
            .unwrap();
    }

    /// Finishes a connected account's onboarding.
    pub async fn enable_account(&self, id: &str) {
        let res = reqwest::Client::new()
            .post(format!("{}_config/accounts/{id}/enable", self.base))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }

    /// Every object of a list endpoint (`payment_intents`, `refunds?payment_intent=pi_…`), all pages.
    pub async fn list(&self, path: &str) -> Vec<serde_json::Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut all: Vec<serde_json::Value> = Vec::new();
        loop {
            let after = all
                .last()
                .and_then(|o| o["id"].as_str())
                .map(|id| format!("&starting_after={id}"))
                .unwrap_or_default();
            let page = self.get(&format!("{path}{sep}limit=100{after}")).await;
            let data = page["data"].as_array().cloned().unwrap_or_default();
            let more = page["has_more"].as_bool().unwrap_or(false) && !data.is_empty();
            all.extend(data);
            if !more {
                return all;
            }
        }
    }

    /// The PaymentIntents whose metadata has `key` set to `value`.
    pub async fn intents_with(&self, key: &str, value: &str) -> Vec<serde_json::Value> {
        let mut intents = self.list("payment_intents").await;
        intents.retain(|pi| pi["metadata"][key] == value);
        intents
    }

    /// The refunds made of a PaymentIntent.
    pub async fn refunds_of(&self, intent: &str) -> Vec<serde_json::Value> {
        self.list(&format!("refunds?payment_intent={intent}")).await
    }

    /// `GET /v1/<path>`.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}v1/{path}", self.base))
            .basic_auth(SECRET_KEY, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

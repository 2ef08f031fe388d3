//! localstripe for the adapter tests: the pinned PyPI package, started by
//! `localstripe_launcher.py` on a free 127.0.0.1 port and stopped on drop.

#![allow(dead_code, reason = "each test file uses a different part of the harness")]

pub mod service;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct LocalStripe {
    pub base: String,
    child: Child,
}

impl LocalStripe {
    pub fn start() -> Self {
        let python = roundabout_support::testing::tool("python");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/localstripe_launcher.py");
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
            .basic_auth("sk_test_roundabout", Some(""))
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

    pub async fn get(&self, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}v1/{path}", self.base))
            .basic_auth("sk_test_roundabout", Some(""))
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

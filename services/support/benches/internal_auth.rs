//! What signing and verifying one internal caller token costs, Ed25519
//! against the HMAC-SHA256 of the gateway's bearer tokens, for the same
//! claims (an officer of one council with a household membership):
//!
//! ```sh
//! cargo bench -p roundabout-support --bench internal_auth
//! ```
//!
//! Prints microseconds per operation, first for tokens never seen before
//! (each a different caller) and then for the same caller and token again
//! (answered from the caches of `InternalAuth`); asserts nothing (a timing
//! is not a test).

use std::{hint::black_box, time::Instant};

use roundabout_support::{
    internal_auth::{Caller, HouseholdMembership, InternalAuth},
    internal_keys::{self, InternalKeys, TrustedKeys},
    token,
};
use uuid::Uuid;

const ROUNDS: u32 = 20_000;

fn per_op(label: &str, mut f: impl FnMut()) {
    for _ in 0..ROUNDS / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
    println!("{label:<44} {us:>8.2} µs");
}

fn main() {
    let council = Uuid::new_v4();
    let mut caller = Caller::user(Uuid::new_v4(), "officer@westoxon.example");
    caller.officer_of = vec![council];
    caller.household = Some(HouseholdMembership {
        household_id: Uuid::new_v4(),
        council_id: council,
    });

    let (_, gateway_key) = internal_keys::generate("gateway-2025").expect("a key");
    let (_, bookings_key) = internal_keys::generate("bookings-2025").expect("a key");
    let mut trusted = TrustedKeys::default();
    trusted
        .insert(gateway_key.kid(), "gateway", gateway_key.public_key())
        .expect("trusted");
    trusted
        .insert(bookings_key.kid(), "bookings", bookings_key.public_key())
        .expect("trusted");
    let gateway = InternalAuth::new(
        &InternalKeys {
            signing: gateway_key,
            trusted: trusted.clone(),
        },
        "gateway",
    )
    .expect("gateway");
    let bookings = InternalAuth::new(
        &InternalKeys {
            signing: bookings_key,
            trusted,
        },
        "bookings",
    )
    .expect("bookings");

    let t = gateway.sign("bookings", &caller);
    println!("Ed25519 caller token: {} bytes", t.len());
    // Distinct callers, so nothing is answered from a cache.
    let callers: Vec<Caller> = (0..ROUNDS + ROUNDS / 10)
        .map(|_| Caller {
            user_id: Some(Uuid::new_v4()),
            ..caller.clone()
        })
        .collect();
    let mut next = callers.iter().cycle();
    let mut tokens = Vec::with_capacity(callers.len());
    per_op("Ed25519 sign, a new caller", || {
        let c = next.next().expect("cycles");
        tokens.push(gateway.sign(black_box("bookings"), black_box(c)));
    });
    let mut next = tokens.iter().cycle();
    per_op("Ed25519 verify, a new token", || {
        let t = next.next().expect("cycles");
        black_box(bookings.verify(black_box(t)).expect("verifies"));
    });
    per_op("Ed25519 sign, the same caller again (cached)", || {
        black_box(gateway.sign(black_box("bookings"), black_box(&caller)));
    });
    per_op("Ed25519 verify, the same token again (cached)", || {
        black_box(bookings.verify(black_box(&t)).expect("verifies"));
    });

    let key = b"0123456789abcdef0123456789abcdef0123456789abcdef";
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Claims {
        caller: Caller,
        aud: String,
        exp: i64,
    }
    impl token::Expiring for Claims {
        fn expires_at(&self) -> i64 {
            self.exp
        }
    }
    let claims = Claims {
        caller: caller.clone(),
        aud: "bookings".into(),
        exp: token::now() + 60,
    };
    let h = token::sign(key, &claims);
    println!("HMAC caller token: {} bytes", h.len());
    per_op("HMAC-SHA256 sign (same claims)", || {
        black_box(token::sign(key, black_box(&claims)));
    });
    per_op("HMAC-SHA256 verify", || {
        black_box(token::verify::<Claims>(key, black_box(&h), token::now()).expect("verifies"));
    });
}

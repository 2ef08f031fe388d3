//! A short chaos run with the suite (the long one is `cargo xtask chaos`):
//! `up --replicas 2` under a mixed load while a part is SIGKILLed every few
//! seconds and PostgreSQL is stopped `immediate` and started again twice;
//! every invariant must hold once the stack settles.

use crate::support::chaos::{self, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marketplace_keeps_its_invariants_under_chaos() {
    let opts = match std::env::var("ROUNDABOUT_CHAOS_REPLICAS") {
        Ok(n) => Options {
            replicas: n.parse().expect("a number of replicas"),
            ..Options::short()
        },
        Err(_) => Options::short(),
    };
    let report = chaos::run(&opts).await;
    report.print();
    assert!(report.passed(), "an invariant failed under chaos");
    assert!(report.requests > 100, "the load was too small to mean anything");
    assert!(!report.kills.is_empty(), "nothing was killed");
    assert_eq!(report.pg_restarts, opts.pg_restarts);
    assert!(report.bookings_confirmed > 0, "no booking was confirmed");
    assert!(report.webhooks > 0, "no Stripe event was delivered");
    let (_, _, not_back) = report.recovery();
    assert_eq!(not_back, 0, "a killed part did not come back");
}

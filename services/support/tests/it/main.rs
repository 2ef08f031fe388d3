//! The integration tests of `roundabout-support`: one test binary, one
//! module per area.
//!
//! One area: `cargo xtask test -p roundabout-support -- outbox::`.

mod db_tls;
mod hostile_input;
// These need the test support (`--features testing`; on in the workspace,
// where the other packages' tests turn it on).
#[cfg(feature = "testing")]
mod exclusive;
#[cfg(feature = "testing")]
mod outbox;
#[cfg(feature = "testing")]
mod unstorable;

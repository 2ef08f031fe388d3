// A test embeds bookings' migrations with `sqlx::migrate!`; rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/bookings");
}

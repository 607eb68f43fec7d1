//! Rebuilds the crate when a migration is added or changed: the migrations
//! are embedded by `sqlx::migrate!`, which does not watch the directory.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

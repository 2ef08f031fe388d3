//! Where the web front end's npm packages and built assets live; installing
//! and building them is `roundabout_local::web_assets`, shared with `up` and
//! `cargo xtask test`.

use std::path::PathBuf;

pub use roundabout_local::web_assets::{ensure_assets, ensure_npm_packages};

/// The `web/` folder (holding `package.json` and `package-lock.json`).
pub fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the built assets are: `dist/` beside `package.json`.
pub fn built_assets_dir() -> PathBuf {
    package_dir().join("dist")
}

//! Installs the front end's npm packages (`govuk-frontend` and `sass`, and
//! for the browser tests `playwright-core` and `axe-core`) with `npm ci`
//! from the committed `web/package-lock.json`, once per change of the lock
//! file, then builds the assets into `web/dist` (`build-assets.mjs`) once
//! per change of their sources.
//!
//! The web front end (`roundabout-web::install`), `roundabout up` and
//! `cargo xtask test` all call it with the `web/` folder.

use std::{fs, path::Path, process::Command};

/// Installs the packages ([`ensure_npm_packages`]) and builds the assets
/// into `dir/dist` unless they were built from the same sources already.
pub fn ensure_assets(dir: &Path) -> Result<(), String> {
    ensure_npm_packages(dir)?;
    let mut sources = String::new();
    for file in [
        "package-lock.json",
        "build-assets.mjs",
        "styles/app.scss",
        "styles/_additions.scss",
    ] {
        let path = dir.join(file);
        sources.push_str(&fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?);
    }
    let stamp = dir.join("dist/.roundabout-built-from");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(sources.as_str()) {
        return Ok(());
    }
    let status = Command::new("node")
        .arg("build-assets.mjs")
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run node ({e}); install Node.js 20.19 or later"))?;
    if !status.success() {
        return Err(format!("building the assets in {} failed ({status})", dir.display()));
    }
    fs::write(&stamp, sources).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// Runs `npm ci` in `dir` unless `node_modules` was installed from the
/// same lock file already.
pub fn ensure_npm_packages(dir: &Path) -> Result<(), String> {
    let lock = dir.join("package-lock.json");
    let wanted = fs::read_to_string(&lock).map_err(|e| format!("reading {}: {e}", lock.display()))?;
    let stamp = dir.join("node_modules/.roundabout-installed-lock.json");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    eprintln!("installing the web front end's npm packages in {} …", dir.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run npm ({e}); install Node.js 18 or later with npm"))?;
    if !status.success() {
        return Err(format!("npm ci in {} failed ({status})", dir.display()));
    }
    fs::write(&stamp, wanted).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

//! Installs the front end's npm packages (`govuk-frontend`, and for the
//! browser tests `playwright-core` and `axe-core`) with `npm ci` from the
//! committed `web/package-lock.json`, once per change of the lock file.
//!
//! Standard library only: `xtask` includes this file as a module too.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// The `web/` folder (holding `package.json` and `package-lock.json`).
pub fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

//! The deployment files are checked like code: `deploy/tools/check.py`
//! renders the Kustomize base and overlays, checks that they hang together,
//! validates every resource against the Kubernetes schemas
//! (`kubernetes-validate`), scans the overlays and the Dockerfile with
//! `checkov` (no failed check), and runs `docker-compose config` on
//! `deploy/docker-compose.yml`. The Python tools are the pinned ones that
//! `cargo xtask test` installs (`xtask/python-requirements.txt`).

use std::{path::PathBuf, process::Command};

#[test]
fn kubernetes_manifests_compose_file_and_dockerfile_pass_their_checks() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var_os("ROUNDABOUT_TOOLS_BIN").map(PathBuf::from).expect(
        "ROUNDABOUT_TOOLS_BIN is not set: run the tests with `cargo xtask test`, which installs \
         kubernetes-validate and checkov",
    );
    let out = Command::new(bin.join("python"))
        .arg(root.join("deploy/tools/check.py"))
        .arg("--tools-bin")
        .arg(&bin)
        .current_dir(&root)
        .output()
        .expect("run deploy/tools/check.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "deploy checks failed:\n{text}");
    assert!(text.contains("deploy checks: all passed"), "{text}");
}

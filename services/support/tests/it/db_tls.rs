//! Database connections over TLS: a private PostgreSQL with TLS on (a CA
//! and a server certificate made here with `openssl`), reached through
//! `db::connect` with the URL `config::with_tls` makes. `verify-full` with
//! the CA connects encrypted; without the CA it is refused (the server's
//! certificate is checked, not merely accepted); `disable` is plain text.

use std::{path::Path, process::Command};

use roundabout_local::pg_cluster::PgCluster;
use roundabout_support::{config::with_tls, db};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a certificate for 127.0.0.1 it signed, in `dir`.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=Roundabout test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

async fn encrypted(url: &str) -> anyhow::Result<bool> {
    let pool = db::connect(url, 1).await?;
    let ssl: bool = sqlx::query_scalar("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    Ok(ssl)
}

#[tokio::test]
async fn verify_full_connects_encrypted_and_refuses_a_server_it_cannot_check() {
    let root = std::env::temp_dir().join(format!("roundabout-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // Made once without TLS, so its data folder exists for the certificates.
    let mut cluster = PgCluster::start_with(&root, "-c fsync=off").expect("a private PostgreSQL");
    cluster.stop().unwrap();
    let data = cluster.data_dir();
    let certs = root.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    certificates(&certs);
    for f in ["server.crt", "server.key"] {
        std::fs::copy(certs.join(f), data.join(f)).unwrap();
    }
    // The server runs as `postgres` when the tests run as root; its key must be its own, private.
    let owner = Command::new("stat").args(["-c", "%U"]).arg(&data).output().unwrap();
    let owner = String::from_utf8_lossy(&owner.stdout).trim().to_string();
    for f in ["server.crt", "server.key"] {
        let path = data.join(f);
        assert!(Command::new("chown").arg(&owner).arg(&path).status().unwrap().success());
        assert!(Command::new("chmod").arg("600").arg(&path).status().unwrap().success());
    }
    drop(cluster);
    let cluster = PgCluster::start_with(
        &root,
        "-c fsync=off -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key",
    )
    .expect("PostgreSQL with TLS on");
    let url = cluster.url();
    let ca = certs.join("ca.crt");

    let checked = with_tls(&url, Some("verify-full"), Some(ca.to_str().unwrap()));
    assert!(encrypted(&checked).await.expect("verify-full with the CA connects"));
    let plain = with_tls(&url, Some("disable"), None);
    assert!(!encrypted(&plain).await.expect("disable connects"));
    // Without the CA, nothing vouches for the server's certificate.
    let unchecked = with_tls(&url, Some("verify-full"), None);
    let refused = encrypted(&unchecked)
        .await
        .expect_err("an unknown certificate is refused");
    assert!(
        format!("{refused:#}").to_lowercase().contains("certificate"),
        "{refused:#}"
    );
    drop(cluster);
    let _ = std::fs::remove_dir_all(&root);
}

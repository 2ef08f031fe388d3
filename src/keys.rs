//! `roundabout keys`: Ed25519 key pairs for internal calls, one per part.
//!
//! Each part signs its internal calls with its own private key
//! (`INTERNAL_SIGNING_KEY`) and trusts the others' public keys
//! (`INTERNAL_TRUSTED_KEYS`); see `roundabout_support::internal_keys`.

use roundabout_support::internal_keys;

use crate::Part;

/// A part's new key pair, as text.
pub struct PartKey {
    pub part: Part,
    /// `<kid>:<private key>`: for `INTERNAL_SIGNING_KEY` of this part alone.
    pub private: String,
    /// `<kid>=<part>:<public key>`: an entry of every part's
    /// `INTERNAL_TRUSTED_KEYS`.
    pub trusted_entry: String,
}

/// A new key pair for `part`, with the key id `<part>-<yyyymmdd>-<random>`
/// (the date says which key is older during a rotation).
pub fn generate(part: Part) -> anyhow::Result<PartKey> {
    let kid = format!(
        "{}-{}-{}",
        part.name(),
        chrono::Utc::now().format("%Y%m%d"),
        crate::up::random_secret(6).to_lowercase()
    );
    let (private, key) = internal_keys::generate(&kid)?;
    Ok(PartKey {
        part,
        private,
        trusted_entry: key.trusted_entry(part.name()),
    })
}

/// The public entries of `keys`, as one `INTERNAL_TRUSTED_KEYS` value.
pub fn trusted_list<'a>(entries: impl IntoIterator<Item = &'a str>) -> String {
    entries.into_iter().collect::<Vec<_>>().join(",")
}

/// What `roundabout keys` prints: each part's private key as
/// `<PART>_SIGNING_KEY=…` (the names `deploy/docker-compose.yml` reads) and
/// the public keys as `INTERNAL_TRUSTED_KEYS=…`.
pub fn print(parts: &[Part]) -> anyhow::Result<()> {
    let parts = if parts.is_empty() { &Part::ALL[..] } else { parts };
    let keys = parts.iter().map(|p| generate(*p)).collect::<anyhow::Result<Vec<_>>>()?;
    println!("# Private keys: each goes to its own part alone, as INTERNAL_SIGNING_KEY.");
    for k in &keys {
        println!("{}_SIGNING_KEY={}", k.part.name().to_uppercase(), k.private);
    }
    println!("# Public keys: every part trusts them, in INTERNAL_TRUSTED_KEYS (during a");
    println!("# rotation, add the new entry beside the old one; remove the old one after).");
    println!(
        "INTERNAL_TRUSTED_KEYS={}",
        trusted_list(keys.iter().map(|k| k.trusted_entry.as_str()))
    );
    Ok(())
}

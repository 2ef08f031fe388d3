//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB,
//! 2 passes, 1 lane), run off the async threads, at most a configured number
//! at once ([`Hasher`]) so that sign-in traffic cannot exhaust memory or CPU.

use std::{sync::Arc, time::Duration};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use roundabout_support::ApiError;

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_LEN: usize = 256;

/// Checks the password policy.
pub fn check_policy(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(ApiError::invalid(
            "password",
            format!("The password must be at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(ApiError::invalid(
            "password",
            format!("The password must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// How long a request waits for a free hashing slot before it is refused.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Too many passwords are being checked at once: try again shortly.
#[derive(Debug, thiserror::Error)]
#[error("too many passwords are being checked at once")]
pub struct Busy;

/// Hashes and verifies passwords, at most `concurrency` at once; others wait
/// up to ten seconds for a slot, then are refused with [`Busy`].
#[derive(Clone, Debug)]
pub struct Hasher {
    slots: Arc<tokio::sync::Semaphore>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            slots: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
        }
    }

    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
        match tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy),
        }
    }

    /// [`hash`] within the concurrency limit.
    pub async fn hash(&self, password: String) -> anyhow::Result<Result<String, Busy>> {
        let Ok(_slot) = self.slot().await else {
            return Ok(Err(Busy));
        };
        hash(password).await.map(Ok)
    }

    /// [`verify`] within the concurrency limit.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, Busy> {
        let _slot = self.slot().await?;
        Ok(verify(password, phc).await)
    }
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Verifies a password against a PHC string.
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown
/// so that sign-in takes as long either way.
pub fn decoy_hash() -> String {
    let salt = SaltString::generate(&mut OsRng);
    let random = uuid::Uuid::new_v4().to_string();
    Argon2::default()
        .hash_password(random.as_bytes(), &salt)
        .expect("hashing a random password")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), h.clone()).await);
        assert!(!verify("wrong horse battery".into(), h).await);
    }

    #[tokio::test]
    async fn the_hasher_runs_at_most_its_limit_at_once() {
        let hasher = Hasher::new(1);
        let held = hasher.slot().await.unwrap();
        assert_eq!(hasher.slots.available_permits(), 0);
        drop(held);
        assert!(hasher.verify("x".into(), decoy_hash()).await.is_ok_and(|ok| !ok));
        assert_eq!(hasher.slots.available_permits(), 1);
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("twelve chars").is_ok());
        assert!(check_policy(&"x".repeat(300)).is_err());
    }
}

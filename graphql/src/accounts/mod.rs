//! Accounts: users, credentials, memberships and bearer tokens. Every query
//! of the gateway's own database is here, compile-checked (`sqlx::query!`
//! and friends, cached in `.sqlx/`): users and memberships in [`db`],
//! [`sessions`], the sign-in [`throttle`], the [`assisted`] actions log and
//! its [`retention`].

pub mod assisted;
pub mod db;
pub mod erasures;
pub mod password;
pub mod retention;
pub mod sessions;
pub mod throttle;
pub mod tokens;

use roundabout_support::ApiError;

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a domain with a dot,
    /// no spaces, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let e = raw.trim().to_lowercase();
        let bad = || {
            ApiError::invalid(
                "email",
                "Enter an email address in the correct format, like name@example.com",
            )
        };
        if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = e.split_once('@').ok_or_else(bad)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(Self(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Ann@Example.ORG ").unwrap().as_str(), "ann@example.org");
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "a b@example.org",
            "ann@@example.org",
            "ann@exa..mple.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}

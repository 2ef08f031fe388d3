//! Provider organisations.

use roundabout_support::ApiError;

/// An organisation name: trimmed, 1..=200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationName(String);

impl OrganisationName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::invalid(
                "name",
                "The organisation name must be 1 to 200 characters",
            ));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            OrganisationName::parse("  Cotswold Car Club ").unwrap().as_str(),
            "Cotswold Car Club"
        );
        assert!(OrganisationName::parse("   ").is_err());
        assert!(OrganisationName::parse(&"x".repeat(201)).is_err());
    }
}

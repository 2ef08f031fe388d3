//! Provider organisations.

use roundabout_support::{text, ApiError};

/// An organisation name: one line, trimmed, 1..=200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationName(String);

impl OrganisationName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        text::single_line("name", "The organisation name", raw, 200).map(Self)
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
        assert!(OrganisationName::parse("Cotswold\0Car Club").is_err());
        assert!(OrganisationName::parse("Cotswold \u{202E}bulC raC").is_err());
    }
}

//! Councils: names and codes.

use roundabout_support::{text, ApiError};

/// A council code such as `WOX`: 2..=16 capital letters, digits or hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouncilCode(String);

impl CouncilCode {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let code = raw.trim().to_ascii_uppercase();
        let ok = (2..=16).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(ApiError::invalid(
                "code",
                "The council code must be 2 to 16 letters, digits or hyphens",
            ));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A council name: one line, trimmed, 1..=200 characters.
pub fn parse_name(raw: &str) -> Result<String, ApiError> {
    text::single_line("name", "The council name", raw, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_and_checked() {
        assert_eq!(CouncilCode::parse(" wox ").unwrap().as_str(), "WOX");
        assert!(CouncilCode::parse("W").is_err());
        assert!(CouncilCode::parse("WO X").is_err());
        assert!(parse_name("  ").is_err());
        assert!(parse_name("West\0Oxfordshire").is_err());
    }
}

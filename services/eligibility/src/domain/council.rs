//! Councils: names and codes, and the details their officers give for
//! residents.

use roundabout_api::eligibility::CouncilDetailsIn;
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

/// Every detail a council's officers give for residents, checked: each
/// part trimmed, empty read as absent; refused under its own field, in the
/// order the officers' form asks them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouncilDetails {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub data_protection_officer: Option<String>,
    pub data_protection_email: Option<String>,
    pub postal_address: Option<String>,
    pub accessibility_email: Option<String>,
    pub accessibility_phone: Option<String>,
}

impl CouncilDetails {
    pub fn parse(d: &CouncilDetailsIn) -> Result<Self, ApiError> {
        let (phone, email) = text::contact(d.contact.phone.as_deref(), d.contact.email.as_deref())?;
        let officer = text::present(d.data_protection_officer.as_deref())
            .map(|v| text::single_line("data_protection_officer", "The data protection officer", v, 200))
            .transpose()?;
        let officer_email = text::present(d.data_protection_email.as_deref())
            .map(|v| text::email("data_protection_email", v))
            .transpose()?;
        let postal_address = text::present(d.postal_address.as_deref())
            .map(|v| text::multi_line("postal_address", "The postal address", v, 500))
            .transpose()?;
        let accessibility_email = text::present(d.accessibility_email.as_deref())
            .map(|v| text::email("accessibility_email", v))
            .transpose()?;
        let accessibility_phone = text::present(d.accessibility_phone.as_deref())
            .map(|v| text::phone("accessibility_phone", v))
            .transpose()?;
        Ok(Self {
            email,
            phone,
            data_protection_officer: officer,
            data_protection_email: officer_email,
            postal_address,
            accessibility_email,
            accessibility_phone,
        })
    }
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

    #[test]
    fn council_details_are_checked_each_under_its_field_and_empty_is_absent() {
        let given = |f: &dyn Fn(&mut CouncilDetailsIn)| {
            let mut d = CouncilDetailsIn::default();
            f(&mut d);
            CouncilDetails::parse(&d)
        };
        let d = given(&|d| {
            d.contact.email = Some(" transport@wox.example ".into());
            d.data_protection_officer = Some("  Data Protection Officer ".into());
            d.data_protection_email = Some("dpo@wox.example".into());
            d.postal_address = Some(" Woodgreen\nWitney OX28 1NB ".into());
            d.accessibility_phone = Some("01993 861000".into());
            d.accessibility_email = Some("   ".into());
        })
        .unwrap();
        assert_eq!(d.email.as_deref(), Some("transport@wox.example"));
        assert_eq!(d.data_protection_officer.as_deref(), Some("Data Protection Officer"));
        assert_eq!(d.postal_address.as_deref(), Some("Woodgreen\nWitney OX28 1NB"));
        assert_eq!(d.accessibility_phone.as_deref(), Some("01993 861000"));
        assert_eq!(d.accessibility_email, None);
        assert_eq!(d.phone, None);
        let field = |e: ApiError| e.body.field.unwrap_or_default().join(".");
        let refused = [
            (
                given(&|d| d.data_protection_email = Some("dpo".into())),
                "data_protection_email",
            ),
            (
                given(&|d| d.data_protection_officer = Some("x".repeat(201))),
                "data_protection_officer",
            ),
            (
                given(&|d| d.postal_address = Some("a\u{202E}b".into())),
                "postal_address",
            ),
            (
                given(&|d| d.accessibility_email = Some("a@b".into())),
                "accessibility_email",
            ),
            (
                given(&|d| d.accessibility_phone = Some("call us".into())),
                "accessibility_phone",
            ),
            (given(&|d| d.contact.phone = Some("123".into())), "phone"),
        ];
        for (result, want) in refused {
            assert_eq!(field(result.unwrap_err()), want);
        }
    }
}

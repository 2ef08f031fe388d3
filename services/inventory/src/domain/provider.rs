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

/// How households reach a provider: where they collect its vehicles, and
/// a phone number and email address. Each may be absent; empty is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub pickup_address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Contact {
    /// Checks each part: the address up to 500 characters over several
    /// lines; the phone number 7 to 20 digits with spaces, `+`, `(`, `)`
    /// or `-`; the email one address with an `@` and a dot after it.
    pub fn parse(pickup_address: Option<&str>, phone: Option<&str>, email: Option<&str>) -> Result<Self, ApiError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let pickup_address = present(pickup_address)
            .map(|a| text::multi_line("pickup_address", "The pick-up address", a, 500))
            .transpose()?;
        let (phone, email) = text::contact(phone, email)?;
        Ok(Self {
            pickup_address,
            phone,
            email,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_are_checked_and_empty_is_absent() {
        let c = Contact::parse(
            Some(" Unit 4, Station Road\nWitney OX28 4AB "),
            Some("01993 123456"),
            Some("hire@cotswold.example"),
        )
        .unwrap();
        assert_eq!(
            c.pickup_address.as_deref(),
            Some("Unit 4, Station Road\nWitney OX28 4AB")
        );
        assert_eq!(c.phone.as_deref(), Some("01993 123456"));
        assert_eq!(Contact::parse(Some("  "), Some(""), None).unwrap(), Contact::default());
        for phone in ["123", "call us", "0199\u{202E}3 123456", &"1".repeat(41)] {
            assert!(Contact::parse(None, Some(phone), None).is_err(), "{phone}");
        }
        for email in ["hire", "hire@", "@x.org", "a@b@c.org", "a b@c.org", "a@org", "a@.org"] {
            assert!(Contact::parse(None, None, Some(email)).is_err(), "{email}");
        }
        assert!(Contact::parse(Some(&"x".repeat(501)), None, None).is_err());
    }

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

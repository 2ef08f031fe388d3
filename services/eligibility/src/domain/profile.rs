//! A household's profile as the household gives it, checked.

use roundabout_api::{ErrorCode, Pence};
use roundabout_support::{text, ApiError};

use crate::domain::facts::{Facts, IncomeBand, Needs};

pub use roundabout_api::eligibility::{NeedsIn, ProfileIn};

/// A checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub lat: f64,
    pub lon: f64,
    pub postcode: Option<String>,
    pub members: i32,
    pub annual_income_pence: Option<Pence>,
    pub income_band: Option<IncomeBand>,
    pub cars_owned: i32,
    pub blue_badge: bool,
    pub benefits: Vec<String>,
    pub lead_age: Option<i32>,
    pub needs: NeedsIn,
}

/// The largest income, or end of an income band (£1bn).
const MAX_INCOME: Pence = Pence(100_000_000_000);

fn bad(path: &[&str], message: &str) -> ApiError {
    ApiError::unprocessable(ErrorCode::InvalidInput, message).with_field(path.iter().copied())
}

/// An income band: at least one end, from 0 to £1bn, the lower below the
/// upper, and the income given a figure inside it.
pub fn check_band(b: &IncomeBand, income: Option<Pence>) -> Result<(), ApiError> {
    let range = Pence::ZERO..=MAX_INCOME;
    if b.from_pence.is_none() && b.below_pence.is_none() {
        return Err(bad(&["incomeBand"], "An income band needs a lower or an upper end"));
    }
    if b.from_pence.is_some_and(|f| !range.contains(&f)) || b.below_pence.is_some_and(|f| !range.contains(&f)) {
        return Err(bad(
            &["incomeBand"],
            "An income band's ends must be from 0 to £1bn, in pence",
        ));
    }
    if let (Some(from), Some(below)) = (b.from_pence, b.below_pence) {
        if from >= below {
            return Err(bad(
                &["incomeBand"],
                "An income band's lower end must be below its upper end",
            ));
        }
    }
    match income {
        Some(i) if b.contains(i) => Ok(()),
        _ => Err(bad(
            &["annualIncomePence"],
            "Give the income as a figure inside its band",
        )),
    }
}

/// Checks a profile as given; the first problem is the error.
pub fn parse_profile(input: ProfileIn) -> Result<Profile, ApiError> {
    let annual_income_pence = input.annual_income_pence;
    let income_band = input.income_band.map(IncomeBand::from);
    if !(-90.0..=90.0).contains(&input.lat) || !input.lat.is_finite() {
        return Err(bad(&["location", "lat"], "Latitude must be from -90 to 90"));
    }
    if !(-180.0..=180.0).contains(&input.lon) || !input.lon.is_finite() {
        return Err(bad(&["location", "lon"], "Longitude must be from -180 to 180"));
    }
    let postcode = input
        .postcode
        .map(|p| p.trim().to_ascii_uppercase())
        .filter(|p| !p.is_empty());
    if postcode
        .as_deref()
        .is_some_and(|p| p.len() > 16 || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '))
    {
        return Err(bad(&["postcode"], "A postcode is up to 16 letters, digits and spaces"));
    }
    if !(1..=30).contains(&input.members) {
        return Err(bad(&["members"], "A household has 1 to 30 members"));
    }
    if annual_income_pence.is_some_and(|i| !(Pence::ZERO..=MAX_INCOME).contains(&i)) {
        return Err(bad(&["annualIncomePence"], "Income must be from 0 to £1bn, in pence"));
    }
    if let Some(b) = &income_band {
        check_band(b, annual_income_pence)?;
    }
    if !(0..=20).contains(&input.cars_owned) {
        return Err(bad(&["carsOwned"], "Cars owned must be from 0 to 20"));
    }
    let given = input.benefits.unwrap_or_default();
    if given.len() > 100 {
        return Err(bad(&["benefits"], "At most 20 benefits"));
    }
    let mut benefits: Vec<String> = Vec::new();
    for b in given {
        let b = b.trim().to_ascii_lowercase().replace(' ', "_");
        if b.is_empty() || b.len() > 60 {
            return Err(bad(&["benefits"], "Each benefit is a name of 1 to 60 characters"));
        }
        text::check_chars("benefits", "A benefit", &b, false)?;
        if !benefits.contains(&b) {
            benefits.push(b);
        }
    }
    if benefits.len() > 20 {
        return Err(bad(&["benefits"], "At most 20 benefits"));
    }
    if input.lead_age.is_some_and(|a| !(16..=120).contains(&a)) {
        return Err(bad(&["leadAge"], "The lead member's age must be from 16 to 120"));
    }
    if !(1..=16).contains(&input.needs.seats) {
        return Err(bad(&["needs", "seats"], "Seats needed must be from 1 to 16"));
    }
    Ok(Profile {
        lat: input.lat,
        lon: input.lon,
        postcode,
        members: input.members,
        annual_income_pence,
        income_band,
        cars_owned: input.cars_owned,
        blue_badge: input.blue_badge,
        benefits,
        lead_age: input.lead_age,
        needs: input.needs,
    })
}

impl Profile {
    pub fn facts(&self) -> Facts {
        Facts {
            members: Some(self.members.into()),
            annual_income_pence: self.annual_income_pence,
            income_band: self.income_band,
            cars_owned: Some(self.cars_owned.into()),
            blue_badge: Some(self.blue_badge),
            benefits: Some(self.benefits.clone()),
            lead_age: self.lead_age.map(Into::into),
            needs: Needs {
                seats: Some(self.needs.seats.into()),
                wheelchair_accessible: Some(self.needs.wheelchair_accessible),
                electric_preferred: Some(self.needs.electric_preferred),
            },
        }
    }
}

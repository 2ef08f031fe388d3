//! How a booking's money divides between household, council, provider and
//! platform.

use roundabout_api::Pence;

/// The platform's fee on `base` at `basis_points` (1/100 of a percent),
/// rounded half up to the penny.
pub fn platform_fee(base: Pence, basis_points: i64) -> Pence {
    let fee = (i128::from(base.get()) * i128::from(basis_points) + 5_000) / 10_000;
    Pence(i64::try_from(fee).unwrap_or(if fee < 0 { i64::MIN } else { i64::MAX }))
}

/// A destination charge's split: the household's card payment goes to the
/// provider's connected account less `application_fee`, and the platform
/// later transfers `subsidy_transfer` so the provider receives `base − fee`
/// in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestinationSplit {
    pub application_fee: Pence,
    pub subsidy_transfer: Pence,
}

/// The split when the household pays `household` of `base` and the platform
/// keeps `fee`. The application fee cannot exceed the card payment itself.
pub fn destination_split(base: Pence, household: Pence, fee: Pence) -> DestinationSplit {
    let application_fee = fee.min(household);
    let provider_total = base - fee;
    DestinationSplit {
        application_fee,
        subsidy_transfer: provider_total - (household - application_fee),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_half_up() {
        assert_eq!(platform_fee(Pence(10_000), 500), Pence(500));
        assert_eq!(platform_fee(Pence(999), 500), Pence(50));
        assert_eq!(platform_fee(Pence(0), 500), Pence(0));
        assert_eq!(platform_fee(Pence(i64::MAX), 10_000), Pence(i64::MAX));
    }

    #[test]
    fn provider_always_gets_base_minus_fee() {
        for (base, household) in [(10_000, 6_000), (10_000, 100), (10_000, 0), (10_000, 10_000), (1, 1)] {
            let (base, household) = (Pence(base), Pence(household));
            let fee = platform_fee(base, 500);
            let s = destination_split(base, household, fee);
            assert!(s.application_fee <= household);
            assert!(s.subsidy_transfer >= Pence::ZERO, "{base} {household}");
            assert_eq!(household - s.application_fee + s.subsidy_transfer, base - fee);
        }
    }
}

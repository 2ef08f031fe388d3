//! Money: whole pence in 64 bits.

use std::{
    fmt,
    iter::Sum,
    ops::{Add, AddAssign, Neg, Sub, SubAssign},
};

use serde::{Deserialize, Serialize};

/// An amount of money in whole pence (GBP). Negative amounts are allowed
/// (refunds, credits); arithmetic saturates rather than wrapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Pence(pub i64);

impl Pence {
    pub const ZERO: Pence = Pence(0);

    pub const fn new(pence: i64) -> Self {
        Pence(pence)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The amount as a 32-bit integer, or `None` where it does not fit
    /// (callers refuse rather than cap).
    pub fn to_i32(self) -> Option<i32> {
        i32::try_from(self.0).ok()
    }
}

impl From<i64> for Pence {
    fn from(p: i64) -> Self {
        Pence(p)
    }
}

impl From<i32> for Pence {
    fn from(p: i32) -> Self {
        Pence(i64::from(p))
    }
}

impl From<Pence> for i64 {
    fn from(p: Pence) -> Self {
        p.0
    }
}

impl Add for Pence {
    type Output = Pence;
    fn add(self, rhs: Pence) -> Pence {
        Pence(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Pence {
    fn add_assign(&mut self, rhs: Pence) {
        *self = *self + rhs;
    }
}

impl Sub for Pence {
    type Output = Pence;
    fn sub(self, rhs: Pence) -> Pence {
        Pence(self.0.saturating_sub(rhs.0))
    }
}

impl SubAssign for Pence {
    fn sub_assign(&mut self, rhs: Pence) {
        *self = *self - rhs;
    }
}

impl Neg for Pence {
    type Output = Pence;
    fn neg(self) -> Pence {
        Pence(self.0.saturating_neg())
    }
}

impl Sum for Pence {
    fn sum<I: Iterator<Item = Pence>>(iter: I) -> Pence {
        iter.fold(Pence::ZERO, Add::add)
    }
}

/// Pounds and pence with the sign first: `-£0.50`, `£24.00`, `£1,234.56`.
impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = abs / 100;
        let pence = abs % 100;
        let digits = pounds.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}£{grouped}.{pence:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_pounds_and_pence_with_the_sign_first() {
        assert_eq!(Pence(2400).to_string(), "£24.00");
        assert_eq!(Pence(-50).to_string(), "-£0.50");
        assert_eq!(Pence(123_456).to_string(), "£1,234.56");
        assert_eq!(Pence(100_000_000_000).to_string(), "£1,000,000,000.00");
        assert_eq!(Pence(i64::MIN).to_string(), "-£92,233,720,368,547,758.08");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Pence(i64::MAX) + Pence(1), Pence(i64::MAX));
        assert_eq!(-Pence(i64::MIN), Pence(i64::MAX));
        assert_eq!([Pence(1), Pence(2)].into_iter().sum::<Pence>(), Pence(3));
        assert_eq!(Pence(3_000_000_000).to_i32(), None);
    }

    #[test]
    fn travels_as_a_bare_number() {
        assert_eq!(serde_json::to_string(&Pence(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<Pence>("-7").unwrap(), Pence(-7));
    }
}

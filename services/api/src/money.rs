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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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

    /// `self + rhs`, or `None` on overflow.
    pub fn checked_add(self, rhs: Pence) -> Option<Pence> {
        self.0.checked_add(rhs.0).map(Pence)
    }

    /// `self - rhs`, or `None` on overflow.
    pub fn checked_sub(self, rhs: Pence) -> Option<Pence> {
        self.0.checked_sub(rhs.0).map(Pence)
    }

    /// `self × n`, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Pence> {
        self.0.checked_mul(n).map(Pence)
    }

    /// `self × n`, saturating at the bounds.
    pub fn saturating_mul(self, n: i64) -> Pence {
        Pence(self.0.saturating_mul(n))
    }

    /// `self ÷ n` rounded towards zero (a lease's month of its whole
    /// term), or `None` when `n` is zero.
    pub fn checked_div(self, n: i64) -> Option<Pence> {
        self.0.checked_div(n).map(Pence)
    }

    /// `self × bp / 10 000` rounded towards zero: a share given in basis
    /// points (`4_000` is 40%), worked in 128 bits and saturating at the
    /// bounds of 64.
    pub fn basis_points(self, bp: i32) -> Pence {
        let share = i128::from(self.0) * i128::from(bp) / 10_000;
        Pence(i64::try_from(share).unwrap_or(if share < 0 { i64::MIN } else { i64::MAX }))
    }

    /// `self × part / whole` rounded half up (away from zero for a
    /// negative share) to the penny, worked in 128 bits: the part of an
    /// amount that goes with `part` of `whole` (a fee given back with part
    /// of a price). `None` when `whole` is zero or the share does not fit.
    pub fn proportion(self, part: Pence, whole: Pence) -> Option<Pence> {
        if whole.0 == 0 {
            return None;
        }
        let num = i128::from(self.0) * i128::from(part.0);
        let den = i128::from(whole.0);
        let half = den.abs() / 2;
        let rounded = if (num < 0) == (den < 0) {
            num + half * den.signum()
        } else {
            num - half * den.signum()
        };
        i64::try_from(rounded / den).ok().map(Pence)
    }

    /// Zero for a negative amount, else the amount.
    pub fn at_least_zero(self) -> Pence {
        self.max(Pence::ZERO)
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
        let abs = self.0.unsigned_abs();
        write!(f, "{}£{}.{:02}", sign(self.0), grouped(abs / 100), abs % 100)
    }
}

impl Pence {
    /// The GOV.UK way for people: whole pounds without pence (`£24`,
    /// `£31,000`), else pounds and pence (`£12.30`); `-£0.50`.
    pub fn short(self) -> Short {
        Short(self)
    }

    /// A plain decimal for spreadsheets and form fields: `1234.50`,
    /// `-0.50`; no pound sign, no grouping.
    pub fn decimal(self) -> Decimal {
        Decimal(self)
    }

    /// Pounds as people type them: `6.50`, `£6.50`, `6`, `4.`, `£25,000`,
    /// with at most two decimal places and twelve digits of pounds; `None`
    /// for anything else (negative amounts, `.5`, `1e3`).
    pub fn parse_pounds(raw: &str) -> Option<Pence> {
        let s = raw.trim().trim_start_matches('£').replace(',', "");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        if whole.is_empty()
            || whole.len() > 12
            || !whole.bytes().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = format!("{frac:0<2}").parse().ok()?;
        whole.checked_mul(100)?.checked_add(frac).map(Pence)
    }
}

/// [`Pence::short`]: `£24`, `£12.30`, `-£0.50`.
#[derive(Debug, Clone, Copy)]
pub struct Short(Pence);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0 .0.unsigned_abs();
        let sign = sign(self.0 .0);
        match abs % 100 {
            0 => write!(f, "{sign}£{}", grouped(abs / 100)),
            p => write!(f, "{sign}£{}.{p:02}", grouped(abs / 100)),
        }
    }
}

/// [`Pence::decimal`]: `1234.50`, `-0.50`.
#[derive(Debug, Clone, Copy)]
pub struct Decimal(Pence);

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0 .0.unsigned_abs();
        write!(f, "{}{}.{:02}", sign(self.0 .0), abs / 100, abs % 100)
    }
}

fn sign(pence: i64) -> &'static str {
    if pence < 0 {
        "-"
    } else {
        ""
    }
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    fn the_short_form_drops_whole_pence() {
        assert_eq!(Pence(2400).short().to_string(), "£24");
        assert_eq!(Pence(1230).short().to_string(), "£12.30");
        assert_eq!(Pence(3_100_000).short().to_string(), "£31,000");
        assert_eq!(Pence(20_000_000).short().to_string(), "£200,000");
        assert_eq!(Pence(5).short().to_string(), "£0.05");
        assert_eq!(Pence(-50).short().to_string(), "-£0.50");
        assert_eq!(Pence(-2400).short().to_string(), "-£24");
    }

    #[test]
    fn the_decimal_form_is_plain() {
        assert_eq!(Pence(123_450).decimal().to_string(), "1234.50");
        assert_eq!(Pence(650).decimal().to_string(), "6.50");
        assert_eq!(Pence(-50).decimal().to_string(), "-0.50");
        assert_eq!(Pence(-1605).decimal().to_string(), "-16.05");
        assert_eq!(Pence(0).decimal().to_string(), "0.00");
    }

    #[test]
    fn pounds_are_read_as_people_type_them() {
        for (raw, want) in [
            ("6.50", Some(650)),
            ("£45", Some(4500)),
            ("1,000.5", Some(100_050)),
            ("£25,000.5", Some(2_500_050)),
            ("25000", Some(2_500_000)),
            ("4.", Some(400)),
            ("£0.99", Some(99)),
            (" 7 ", Some(700)),
            ("6.505", None),
            ("six", None),
            (".5", None),
            ("-5", None),
            ("1e3", None),
            ("", None),
            ("1000000000000", None),
        ] {
            assert_eq!(Pence::parse_pounds(raw), want.map(Pence), "{raw}");
        }
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Pence(i64::MAX) + Pence(1), Pence(i64::MAX));
        assert_eq!(-Pence(i64::MIN), Pence(i64::MAX));
        assert_eq!([Pence(1), Pence(2)].into_iter().sum::<Pence>(), Pence(3));
        assert_eq!(Pence(3_000_000_000).to_i32(), None);
    }

    #[test]
    fn checked_arithmetic_refuses_overflow() {
        assert_eq!(Pence(5).checked_add(Pence(7)), Some(Pence(12)));
        assert_eq!(Pence(i64::MAX).checked_add(Pence(1)), None);
        assert_eq!(Pence(5).checked_sub(Pence(7)), Some(Pence(-2)));
        assert_eq!(Pence(i64::MIN).checked_sub(Pence(1)), None);
        assert_eq!(Pence(12_000).checked_mul(12), Some(Pence(144_000)));
        assert_eq!(Pence(i64::MAX / 2 + 1).checked_mul(2), None);
        assert_eq!(Pence(i64::MAX).saturating_mul(2), Pence(i64::MAX));
        assert_eq!(Pence(i64::MIN).saturating_mul(2), Pence(i64::MIN));
        assert_eq!(Pence(480_000).checked_div(12), Some(Pence(40_000)));
        assert_eq!(Pence(-7).checked_div(2), Some(Pence(-3)));
        assert_eq!(Pence(1).checked_div(0), None);
        assert_eq!(Pence(-3).at_least_zero(), Pence::ZERO);
        assert_eq!(Pence(3).at_least_zero(), Pence(3));
    }

    #[test]
    fn proportion_rounds_half_up() {
        // The fee given back with a cancellation: (fee × returned + base / 2) / base.
        assert_eq!(Pence(500).proportion(Pence(6_000), Pence(10_000)), Some(Pence(300)));
        assert_eq!(Pence(50).proportion(Pence(333), Pence(999)), Some(Pence(17)));
        assert_eq!(Pence(1).proportion(Pence(1), Pence(2)), Some(Pence(1)));
        assert_eq!(Pence(1).proportion(Pence(1), Pence(3)), Some(Pence::ZERO));
        assert_eq!(Pence(-1).proportion(Pence(1), Pence(2)), Some(Pence(-1)));
        assert_eq!(Pence(5).proportion(Pence(1), Pence::ZERO), None);
        assert_eq!(Pence(i64::MAX).proportion(Pence(i64::MAX), Pence(1)), None);
        assert_eq!(
            Pence(i64::MAX).proportion(Pence(i64::MAX), Pence(i64::MAX)),
            Some(Pence(i64::MAX))
        );
    }

    #[test]
    fn basis_points_round_towards_zero_and_saturate() {
        assert_eq!(Pence(5_000).basis_points(4_000), Pence(2_000));
        assert_eq!(Pence(999).basis_points(3_333), Pence(332));
        assert_eq!(Pence(-999).basis_points(3_333), Pence(-332));
        assert_eq!(Pence(5_000).basis_points(0), Pence::ZERO);
        assert_eq!(Pence(i64::MAX).basis_points(10_000), Pence(i64::MAX));
        assert_eq!(Pence(i64::MAX).basis_points(i32::MAX), Pence(i64::MAX));
        assert_eq!(Pence(i64::MAX).basis_points(i32::MIN), Pence(i64::MIN));
    }

    #[test]
    fn travels_as_a_bare_number() {
        assert_eq!(serde_json::to_string(&Pence(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<Pence>("-7").unwrap(), Pence(-7));
    }
}

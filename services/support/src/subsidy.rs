//! The subsidy arithmetic of `docs/RULES.md`, shared by eligibility (which owns
//! schemes, quotes and budgets) and bookings (which prices every offer of a
//! search with the terms eligibility gives it, without a call per price).
//! Pure functions over amounts of [`Pence`]: the rules of who is eligible
//! and the budget itself stay in eligibility.

/// The terms eligibility gives per eligible scheme (declared in the contract).
pub use roundabout_api::eligibility::SchemeTerms;
use roundabout_api::Pence;

/// The subsidy for a base price: `min(base × bp / 10000, cap, remaining)`;
/// for a lease of `months` the cap applies per month and the whole term
/// counts against the budget.
pub fn amount(base: Pence, bp: i32, cap: Option<Pence>, lease_months: Option<i32>, remaining: Pence) -> Pence {
    let pct = |b: Pence| b.at_least_zero().basis_points(bp);
    let capped = |x: Pence| cap.map_or(x, |c| x.min(c));
    let amount = match lease_months {
        Some(m) if m > 0 => {
            let months = i64::from(m);
            let monthly = base.checked_div(months).unwrap_or(Pence::ZERO);
            capped(pct(monthly)).saturating_mul(months)
        }
        _ => capped(pct(base)),
    };
    amount.min(remaining.at_least_zero()).at_least_zero()
}

/// The best single scheme for a base price (schemes do not stack): the
/// highest amount above zero; a tie goes to the scheme whose name sorts
/// first.
pub fn best(terms: &[SchemeTerms], base: Pence, lease_months: Option<i32>) -> Option<(Pence, &SchemeTerms)> {
    terms
        .iter()
        .map(|t| {
            let a = amount(
                base,
                t.percent_basis_points,
                t.cap_per_booking_pence,
                lease_months,
                t.remaining_pence,
            );
            (a, t)
        })
        .filter(|(a, _)| *a > Pence::ZERO)
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.scheme_name.cmp(&a.1.scheme_name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// `amount` over bare numbers of pence, to keep the cases short.
    fn amount_of(base: i64, bp: i32, cap: Option<i64>, months: Option<i32>, remaining: i64) -> i64 {
        amount(Pence(base), bp, cap.map(Pence), months, Pence(remaining)).get()
    }

    #[test]
    fn amount_follows_the_brief() {
        // 40% of £50 = £20, under a £120 cap.
        assert_eq!(amount_of(5_000, 4_000, Some(12_000), None, 1_000_000), 2_000);
        // 40% of £500 = £200, capped at £120.
        assert_eq!(amount_of(50_000, 4_000, Some(12_000), None, 1_000_000), 12_000);
        // Lease: £400 a month for 12 months; 40% = £160 a month, capped at £120 a month.
        assert_eq!(amount_of(480_000, 4_000, Some(12_000), Some(12), 1_000_000), 144_000);
        // The remaining budget bounds it.
        assert_eq!(amount_of(50_000, 4_000, Some(12_000), None, 5_000), 5_000);
        assert_eq!(amount_of(50_000, 4_000, None, None, -5), 0);
    }

    #[test]
    fn amount_never_exceeds_the_base_the_cap_or_the_budget() {
        // A small deterministic generator instead of a property-testing crate.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |max: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % (max as u64 + 1)) as i64
        };
        for _ in 0..20_000 {
            let base = next(100_000_000);
            let bp = next(10_000) as i32;
            let cap = (next(3) > 0).then(|| next(100_000_000));
            let months = (next(1) == 1).then(|| 1 + next(35) as i32);
            let remaining = next(100_000_000_000) - 1_000;
            let a = amount_of(base, bp, cap, months, remaining);
            assert!(
                a >= 0 && a <= base && a <= remaining.max(0),
                "{base} {bp} {cap:?} {months:?} {remaining}: {a}"
            );
            if let Some(c) = cap {
                assert!(a <= c.saturating_mul(i64::from(months.unwrap_or(1))));
            }
        }
    }

    fn terms(name: &str, bp: i32, cap: Option<i64>, remaining: i64) -> SchemeTerms {
        SchemeTerms {
            scheme_id: Uuid::new_v4(),
            scheme_version: 1,
            scheme_name: name.into(),
            percent_basis_points: bp,
            cap_per_booking_pence: cap.map(Pence),
            remaining_pence: Pence(remaining),
        }
    }

    #[test]
    fn best_takes_the_highest_amount_then_the_first_name() {
        let all = [
            terms("B scheme", 4_000, Some(1_000), 1_000_000),
            terms("A scheme", 2_000, None, 1_000_000),
            terms("C scheme", 5_000, None, 0),
        ];
        // £50: B pays min(£20, £10) = £10, A pays £10, C has no budget left.
        let (a, t) = best(&all, Pence(5_000), None).unwrap();
        assert_eq!((a, t.scheme_name.as_str()), (Pence(1_000), "A scheme"));
        // £100: A pays £20, B £10.
        let (a, t) = best(&all, Pence(10_000), None).unwrap();
        assert_eq!((a, t.scheme_name.as_str()), (Pence(2_000), "A scheme"));
        assert!(best(&all[2..], Pence(10_000), None).is_none());
        assert!(best(&[], Pence(10_000), None).is_none());
    }
}

//! The double-entry ledger's transactions.
//!
//! Every money movement is a transaction of entries whose amounts (pence,
//! signed) sum to zero. Positive amounts are what an account holds or is
//! owed; negative, what it owes or has earned. Accounts:
//!
//! | account | meaning |
//! |---|---|
//! | `cash:stripe` | money at the processor, on the platform's account |
//! | `receivable:household:<id>` | an invoiced share the household owes |
//! | `receivable:council:<id>` | subsidy the council owes the platform |
//! | `payable:provider:<id>` | what the platform owes the provider |
//! | `revenue:platform_fee` | the platform's fees |
//!
//! The database enforces the balance again (a deferred constraint trigger),
//! so an unbalanced transaction can never be committed.

use roundabout_api::Pence;
use uuid::Uuid;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub account: String,
    pub amount: Pence,
}

/// A balanced set of entries with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub kind: &'static str,
    pub entries: Vec<Entry>,
}

impl Transaction {
    fn new(kind: &'static str, entries: impl IntoIterator<Item = (String, Pence)>) -> Self {
        let entries: Vec<Entry> = entries
            .into_iter()
            .filter(|(_, amount)| *amount != Pence::ZERO)
            .map(|(account, amount)| Entry { account, amount })
            .collect();
        debug_assert_eq!(
            entries.iter().map(|e| e.amount).sum::<Pence>(),
            Pence::ZERO,
            "{kind} does not balance"
        );
        Self { kind, entries }
    }

    pub fn sum(&self) -> Pence {
        self.entries.iter().map(|e| e.amount).sum()
    }
}

pub const CASH: &str = "cash:stripe";
pub const FEES: &str = "revenue:platform_fee";

pub fn household_receivable(id: Uuid) -> String {
    format!("receivable:household:{id}")
}
pub fn council_receivable(id: Uuid) -> String {
    format!("receivable:council:{id}")
}
pub fn provider_payable(id: Uuid) -> String {
    format!("payable:provider:{id}")
}

/// Parties of a booking's money.
#[derive(Debug, Clone, Copy)]
pub struct Parties {
    pub household: Uuid,
    pub council: Uuid,
    pub provider: Uuid,
}

/// Whether the household's share came in by card or is owed on an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Card,
    Invoice,
}

/// A booking (or a lease month) is paid: the household's share by card or
/// invoice, the subsidy owed by the council, the provider owed `base − fee`,
/// the platform earning `fee`.
pub fn charge(p: Parties, via: Settlement, base: Pence, subsidy: Pence, fee: Pence) -> Transaction {
    let household = base - subsidy;
    let source = match via {
        Settlement::Card => CASH.to_string(),
        Settlement::Invoice => household_receivable(p.household),
    };
    Transaction::new(
        "charge",
        [
            (source, household),
            (council_receivable(p.council), subsidy),
            (provider_payable(p.provider), -(base - fee)),
            (FEES.to_string(), -fee),
        ],
    )
}

/// A cancellation: `refund` of the household's share goes back, the whole
/// `subsidy` commitment is released, and the provider and platform give up
/// their parts in proportion to what was returned.
pub fn cancellation(
    p: Parties,
    via: Settlement,
    base: Pence,
    subsidy: Pence,
    fee: Pence,
    refund: Pence,
) -> Transaction {
    let returned = refund + subsidy;
    // Rounded half up; nothing when the base is nothing. Every amount here
    // is at most a booking's price, so the share always fits.
    let fee_back = fee.proportion(returned, base).unwrap_or(Pence::ZERO);
    let source = match via {
        Settlement::Card => CASH.to_string(),
        Settlement::Invoice => household_receivable(p.household),
    };
    Transaction::new(
        "cancellation",
        [
            (source, -refund),
            (council_receivable(p.council), -subsidy),
            (provider_payable(p.provider), returned - fee_back),
            (FEES.to_string(), fee_back),
        ],
    )
}

/// Money paid out to the provider's connected account.
pub fn payout(provider: Uuid, amount: Pence) -> Transaction {
    Transaction::new(
        "payout",
        [(provider_payable(provider), amount), (CASH.to_string(), -amount)],
    )
}

/// The kind of the transaction that stands for purged ones.
pub const BROUGHT_FORWARD: &str = "brought_forward";

/// What purged transactions summed to per account, as one transaction: the
/// balances of every account stay what they were. The purged transactions
/// each balanced, so their sums do too.
pub fn brought_forward(sums: impl IntoIterator<Item = (String, Pence)>) -> Transaction {
    Transaction::new(BROUGHT_FORWARD, sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties() -> Parties {
        Parties {
            household: Uuid::new_v4(),
            council: Uuid::new_v4(),
            provider: Uuid::new_v4(),
        }
    }

    #[test]
    fn every_transaction_balances() {
        let p = parties();
        // Bases, subsidies, fees and refunds over a grid of awkward values.
        for base in [0i64, 1, 99, 4_000, 12_345, 1_000_000] {
            for subsidy in [0, 1, base / 3, base] {
                let (base, subsidy) = (Pence(base), Pence(subsidy));
                let fee = crate::domain::split::platform_fee(base, 750);
                for via in [Settlement::Card, Settlement::Invoice] {
                    assert_eq!(charge(p, via, base, subsidy, fee).sum(), Pence::ZERO);
                    let share = base - subsidy;
                    for refund in [Pence::ZERO, Pence(share.get() / 2), share] {
                        assert_eq!(cancellation(p, via, base, subsidy, fee, refund).sum(), Pence::ZERO);
                    }
                }
                assert_eq!(payout(p.provider, base).sum(), Pence::ZERO);
            }
        }
    }

    #[test]
    fn a_full_cancellation_returns_everything() {
        let p = parties();
        let c = charge(p, Settlement::Card, Pence(10_000), Pence(4_000), Pence(500));
        let x = cancellation(
            p,
            Settlement::Card,
            Pence(10_000),
            Pence(4_000),
            Pence(500),
            Pence(6_000),
        );
        let mut balances = std::collections::HashMap::new();
        for e in c.entries.iter().chain(&x.entries) {
            *balances.entry(e.account.clone()).or_insert(Pence::ZERO) += e.amount;
        }
        assert!(balances.values().all(|v| *v == Pence::ZERO), "{balances:?}");
    }
}

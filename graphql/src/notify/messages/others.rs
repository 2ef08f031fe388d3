//! The messages that are not about one booking's own course: a provider's
//! standing, a lease's monthly payment, a scheme's budget, an officer's
//! action for a household, and the erasure's confirmation.

use roundabout_api::{eligibility::CouncilData, inventory::ProviderData};
use roundabout_notify::Channel;

use super::{capitalise, council_ways, written, Template, Written};

/// A provider's members hear that a council approved or suspended it.
pub fn provider_standing(
    e: &roundabout_api::events::ProviderStandingEvent,
    provider: &ProviderData,
    council: &CouncilData,
    site: &str,
) -> (Template, Written) {
    let c = &council.name;
    if e.status == "SUSPENDED" {
        (
            Template::ProviderSuspended,
            written(
                format!("{c} has suspended {} on Roundabout", provider.name),
                format!(
                    "{c} has suspended {} on Roundabout.\n\nResidents of {c} can no longer find or book your \
                     vehicles. Bookings already made still stand.\n\n# If you need help\n\nTo ask why, or what to \
                     do next, {}.",
                    provider.name,
                    council_ways(council)
                ),
                &[("provider", provider.name.clone()), ("council", c.clone())],
            ),
        )
    } else {
        (
            Template::ProviderApproved,
            written(
                format!("{c} has approved {} on Roundabout", provider.name),
                format!(
                    "{c} has approved {} on Roundabout.\n\n# What happens next\n\nResidents of {c} can now find \
                     and book the vehicles you publish. Sign in at {site} to add vehicles, set prices and see \
                     bookings.\n\n# If you need help\n\n{}.",
                    provider.name,
                    capitalise(&council_ways(council))
                ),
                &[("provider", provider.name.clone()), ("council", c.clone())],
            ),
        )
    }
}

/// A household hears that a lease's monthly payment was taken, or failed.
pub fn lease_instalment(
    e: &roundabout_api::events::LeaseInstalmentEvent,
    paid: bool,
    provider: &ProviderData,
    council: &CouncilData,
    channel: Channel,
    site: &str,
) -> (Template, Written) {
    let r = roundabout_api::events::reference(e.booking_id);
    let amount = e.amount_pence.short();
    let month = e.month;
    let fields = [
        ("reference", r.clone()),
        ("month", month.to_string()),
        ("amount", amount.to_string()),
    ];
    if paid {
        let body = if channel == Channel::Sms {
            format!("Roundabout: we have taken {amount} for month {month} of your lease {r}.")
        } else {
            format!(
                "We have taken {amount} for month {month} of your lease from {}.\n\nReference: {r}\n\n\
                 {} pays the rest of the monthly price.\n\n# If you need help\n\nIf this payment looks wrong, {}.",
                provider.name,
                council.name,
                council_ways(council)
            )
        };
        (
            Template::LeaseInstalmentPaid,
            written(
                format!("Lease payment taken: month {month}, reference {r}"),
                body,
                &fields,
            ),
        )
    } else {
        let body = if channel == Channel::Sms {
            format!("Roundabout: we could not take {amount} for month {month} of your lease {r}. Sign in at {site} to check your card.")
        } else {
            format!(
                "We could not take {amount} for month {month} of your lease from {}.\n\nReference: {r}\n\n\
                 # What happens next\n\nWe will try again in the next few days. Check that your card has not \
                 expired and has enough money on it. You can sign in at {site} to see your lease.\n\n\
                 # If you need help\n\nIf you are finding it hard to pay, {}. They may be able to help.",
                provider.name,
                council_ways(council)
            )
        };
        (
            Template::LeaseInstalmentFailed,
            written(
                format!("We could not take your lease payment, reference {r}"),
                body,
                &fields,
            ),
        )
    }
}

/// A council's officers hear that a scheme's committed subsidy reached 80 % or all of its budget.
pub fn scheme_budget(e: &roundabout_api::events::SchemeBudgetEvent, site: &str) -> (Template, Written) {
    let name = &e.scheme_name;
    let left = (e.budget_pence - e.committed_pence).at_least_zero();
    let fields = [
        ("scheme", name.clone()),
        ("percent", e.threshold_percent.to_string()),
        ("budget", e.budget_pence.short().to_string()),
        ("committed", e.committed_pence.short().to_string()),
    ];
    if e.threshold_percent >= 100 {
        (
            Template::SchemeBudget100,
            written(
                format!("{name}: the whole budget is committed"),
                format!(
                    "All of the budget for {name} is now committed to bookings.\n\nBudget: {}\nCommitted: {}\n\n\
                     # What happens next\n\nHouseholds can no longer get this scheme's subsidy: new bookings are \
                     offered at the full price. To let more households use it, raise the budget in a new version of \
                     the scheme: sign in at {site}",
                    e.budget_pence.short(),
                    e.committed_pence.short()
                ),
                &fields,
            ),
        )
    } else {
        (
            Template::SchemeBudget80,
            written(
                format!("{name}: {}% of the budget is committed", e.threshold_percent),
                format!(
                    "{}% of the budget for {name} is now committed to bookings.\n\nBudget: {}\nCommitted: {}\n\
                     Left: {}\n\n# What happens next\n\nWhen all of it is committed, households can no longer get \
                     this scheme's subsidy. To keep it going, raise the budget in a new version of the scheme: sign in at {site}",
                    e.threshold_percent,
                    e.budget_pence.short(),
                    e.committed_pence.short(),
                    left.short()
                ),
                &fields,
            ),
        )
    }
}

/// A household hears that a council officer `what` ("booked a vehicle for you").
pub fn written_for_officer_action(what: &str, channel: Channel, site: &str) -> Written {
    let body = if channel == Channel::Sms {
        format!("Roundabout: a council officer {what}. If you did not ask for this, contact your council.")
    } else {
        format!(
            "A council officer {what}, as you asked.\n\nTo see everything officers have done for you, sign in at \
             {site} and go to Your data.\n\n# If you did not ask for this\n\nContact your council and \
             tell them. They can see which officer did it and when."
        )
    };
    written(format!("A council officer {what}"), body, &[])
}

/// A household hears that its account is closed and its data erased.
pub fn account_closed(channel: Channel) -> Written {
    let body = if channel == Channel::Sms {
        "Roundabout: your account is closed and your personal details have been deleted.".to_string()
    } else {
        "Your Roundabout account is closed and your personal details have been deleted.\n\n\
         We keep a record of payments and refunds, under a number rather than your name, because the law \
         says we must keep financial records for 6 years.\n\nThis is the last message we will send you. Once \
         it is sent, we delete the address it went to.\n\n# If you did not ask for this\n\n\
         Contact your council."
            .to_string()
    };
    written("Your Roundabout account is closed".into(), body, &[])
}

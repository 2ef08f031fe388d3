//! What a household is told about its money, in words that claim no more
//! than has happened. An invoice is a bill the household has still to pay:
//! Roundabout never learns that it was paid, so it never says "paid" of
//! one, and cancelling takes the amount off the bill rather than
//! "refunding" it. A card payment is held when booked, taken when the
//! booking is confirmed, and refunded to the card.

use crate::pages::vocabulary::pounds;

/// How a booking's share is being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Card,
    Invoice,
    /// The council pays it all.
    Nothing,
}

impl Method {
    pub fn parse(method: &str) -> Self {
        match method {
            "CARD" => Self::Card,
            "INVOICE" => Self::Invoice,
            _ => Self::Nothing,
        }
    }
}

/// The "Payment" row of a booking: `status` is the API's `PaymentStatus`,
/// `amount` the household's share and `refunded` what was given back (or
/// taken off the invoice) so far.
pub fn payment(method: Method, status: &str, amount: i64, refunded: i64) -> String {
    let share = pounds(amount);
    match (method, status) {
        (Method::Nothing, _) | (_, "NOT_REQUIRED") => "Nothing to pay: the council pays it all".into(),
        (Method::Card, "REQUIRES_ACTION") => {
            format!("{share} by card: your bank needs you to confirm the payment")
        }
        (Method::Card, "AUTHORISED") => format!("{share} by card: held on your card, not taken yet"),
        (Method::Card, "CAPTURED") => format!("{share} paid by card"),
        (Method::Card, "PARTIALLY_REFUNDED") => {
            format!("{share} paid by card, {} refunded to your card", pounds(refunded))
        }
        (Method::Card, "REFUNDED") => format!("{share} paid by card, all refunded to your card"),
        (Method::Card, "CANCELLED") => "Nothing taken: the hold on your card was released".into(),
        (Method::Card, _) => "The card payment did not go through: nothing was taken".into(),
        (Method::Invoice, "PARTIALLY_REFUNDED") => format!(
            "{} to pay by invoice ({} taken off when the booking was cancelled)",
            pounds(amount - refunded),
            pounds(refunded)
        ),
        (Method::Invoice, "REFUNDED" | "CANCELLED" | "FAILED") => "Nothing to pay: the invoice was cancelled".into(),
        (Method::Invoice, _) => format!("{share} to pay by invoice"),
    }
}

/// What cancelling now gives back, said before the household confirms.
pub fn if_cancelled(method: Method, refund: i64, share: i64) -> String {
    match method {
        _ if refund <= 0 && share <= 0 => "If you cancel now, there is nothing to pay or get back.".into(),
        Method::Invoice if refund >= share => {
            format!(
                "If you cancel now, you will not have to pay the {} on your invoice.",
                pounds(share)
            )
        }
        Method::Invoice if refund > 0 => format!(
            "If you cancel now, {} comes off your invoice and you still pay {}.",
            pounds(refund),
            pounds(share - refund)
        ),
        Method::Invoice => format!(
            "If you cancel now, you still pay the {} on your invoice.",
            pounds(share)
        ),
        _ if refund > 0 => format!("If you cancel now, you get {} back on your card.", pounds(refund)),
        _ => "If you cancel now, you get nothing back.".into(),
    }
}

/// The message after cancelling (`whose`: "Your" or, for an officer, "The").
pub fn cancelled(whose: &str, method: Method, refund: i64, share: i64) -> String {
    let done = format!("{whose} booking is cancelled.");
    match method {
        Method::Invoice if refund > 0 && refund >= share => {
            format!(
                "{done} There is nothing to pay: the {} is taken off the invoice.",
                pounds(refund)
            )
        }
        Method::Invoice if refund > 0 => format!(
            "{done} {} is taken off the invoice; {} is still to pay.",
            pounds(refund),
            pounds(share - refund)
        ),
        Method::Invoice if share > 0 => format!("{done} The {} on the invoice is still to pay.", pounds(share)),
        Method::Card if refund > 0 => format!(
            "{done} {} is being refunded to the card. It can take up to 10 working days to show.",
            pounds(refund)
        ),
        _ => done,
    }
}

/// The "Cancelled" row: when, and what came back.
pub fn cancellation(method: Method, when: &str, refund: i64) -> String {
    match method {
        _ if refund <= 0 => format!("{when}, nothing given back"),
        Method::Invoice => format!("{when}, {} taken off the invoice", pounds(refund)),
        _ => format!("{when}, {} refunded to the card", pounds(refund)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoice_is_never_said_to_be_paid_or_refunded() {
        for status in ["AUTHORISED", "CAPTURED"] {
            let words = payment(Method::Invoice, status, 1170, 0);
            assert_eq!(words, "£11.70 to pay by invoice");
        }
        assert_eq!(
            payment(Method::Invoice, "PARTIALLY_REFUNDED", 1170, 585),
            "£5.85 to pay by invoice (£5.85 taken off when the booking was cancelled)"
        );
        assert_eq!(
            payment(Method::Invoice, "REFUNDED", 1170, 1170),
            "Nothing to pay: the invoice was cancelled"
        );
        for (refund, share) in [(1170, 1170), (585, 1170), (0, 1170)] {
            for words in [
                if_cancelled(Method::Invoice, refund, share),
                cancelled("Your", Method::Invoice, refund, share),
                cancellation(Method::Invoice, "1 May", refund),
                payment(Method::Invoice, "CAPTURED", share, refund),
            ] {
                let lower = words.to_lowercase();
                assert!(!lower.contains("paid") && !lower.contains("refund"), "{words}");
            }
        }
        assert_eq!(
            cancelled("Your", Method::Invoice, 1170, 1170),
            "Your booking is cancelled. There is nothing to pay: the £11.70 is taken off the invoice."
        );
        assert_eq!(
            if_cancelled(Method::Invoice, 1170, 1170),
            "If you cancel now, you will not have to pay the £11.70 on your invoice."
        );
    }

    #[test]
    fn a_card_is_paid_only_once_taken() {
        assert_eq!(
            payment(Method::Card, "AUTHORISED", 1170, 0),
            "£11.70 by card: held on your card, not taken yet"
        );
        assert_eq!(payment(Method::Card, "CAPTURED", 1170, 0), "£11.70 paid by card");
        assert_eq!(
            payment(Method::Card, "PARTIALLY_REFUNDED", 1170, 585),
            "£11.70 paid by card, £5.85 refunded to your card"
        );
        assert_eq!(
            payment(Method::Card, "FAILED", 1170, 0),
            "The card payment did not go through: nothing was taken"
        );
        assert_eq!(
            cancelled("Your", Method::Card, 585, 1170),
            "Your booking is cancelled. £5.85 is being refunded to the card. It can take up to 10 working days to show."
        );
        assert_eq!(cancelled("The", Method::Card, 0, 1170), "The booking is cancelled.");
        assert_eq!(
            payment(Method::Nothing, "NOT_REQUIRED", 0, 0),
            "Nothing to pay: the council pays it all"
        );
    }
}

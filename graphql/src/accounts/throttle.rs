//! Sign-in throttling per account, in the gateway's database so that every
//! replica sees the same count.
//!
//! An attempt is counted before its password is checked, so a burst of
//! parallel guesses cannot slip past the count while the hashes run. After
//! `free` failures in a row, each further attempt pauses sign-in to that
//! account for `base · 2^(n-1)` seconds (at most `max`); during a pause no
//! password is checked at all, not even the right one. A success clears the
//! count; a day without attempts starts it afresh.

use sqlx::PgExecutor;

use crate::config::AbuseLimits;

/// The outcome of asking to check a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check it; the attempt is counted as a failure until [`succeeded`] clears it.
    Allowed,
    /// Sign-in to this account is paused for this many more seconds.
    Paused { retry_after_secs: i64 },
}

/// Counts an attempt for `email` unless its sign-in is paused.
pub async fn attempt(db: impl PgExecutor<'_> + Copy, email: &str, limits: &AbuseLimits) -> sqlx::Result<Attempt> {
    let counted = sqlx::query_scalar!(
        "insert into sign_in_throttle as t (email, failures, updated_at) values ($1, 1, now())
         on conflict (email) do update set
            failures = case when t.updated_at < now() - interval '1 day' then 1 else t.failures + 1 end,
            paused_until = case
                when t.updated_at < now() - interval '1 day' then null
                when t.failures + 1 > $2::bigint then now() + make_interval(secs => least(
                    $3::double precision * power(2::double precision, least(t.failures - $2, 30)),
                    $4::double precision))
                else t.paused_until end,
            updated_at = now()
         where t.paused_until is null or t.paused_until <= now()
         returning failures",
        email,
        i64::from(limits.sign_in_free_failures),
        limits.sign_in_backoff_secs as f64,
        limits.sign_in_max_backoff_secs as f64,
    )
    .fetch_optional(db)
    .await?;
    if counted.is_some() {
        return Ok(Attempt::Allowed);
    }
    let remaining = sqlx::query_scalar!(
        "select extract(epoch from paused_until - now())::double precision from sign_in_throttle where email = $1",
        email,
    )
    .fetch_optional(db)
    .await?
    .flatten();
    Ok(Attempt::Paused {
        retry_after_secs: remaining.map_or(1, |s| s.ceil().max(1.0) as i64),
    })
}

/// Clears the count after the right password.
pub async fn succeeded(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from sign_in_throttle where email = $1", email)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes counts untouched for `days` days whose pause is over, at most
/// `batch`. (A count untouched for a day no longer throttles: the next
/// attempt starts it afresh. It is kept longer as the record of guessing
/// against the account.)
pub async fn purge(db: impl PgExecutor<'_>, days: i32, batch: i64) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "delete from sign_in_throttle where email in (
            select email from sign_in_throttle
            where updated_at < now() - make_interval(days => $1) and (paused_until is null or paused_until < now())
            limit $2)",
        days,
        batch,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// "2 minutes", "1 minute", "45 seconds": how long to wait, in words.
pub fn wait_in_words(secs: i64) -> String {
    if secs >= 120 {
        format!("{} minutes", (secs + 59) / 60)
    } else if secs >= 60 {
        "1 minute".to_string()
    } else if secs == 1 {
        "1 second".to_string()
    } else {
        format!("{secs} seconds")
    }
}

#[cfg(test)]
mod tests {
    use super::wait_in_words;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(wait_in_words(1), "1 second");
        assert_eq!(wait_in_words(45), "45 seconds");
        assert_eq!(wait_in_words(61), "1 minute");
        assert_eq!(wait_in_words(900), "15 minutes");
        assert_eq!(wait_in_words(121), "3 minutes");
    }
}

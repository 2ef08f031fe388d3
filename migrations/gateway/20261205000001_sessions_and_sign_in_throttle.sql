-- Sessions a person can end. Every bearer token names one row; a token is
-- honoured only while its session is neither ended nor expired, so signing
-- out, signing out everywhere and changing the password take effect at once
-- on every replica.
create table sessions (
    id uuid primary key,
    user_id uuid not null constraint sessions_user_fk references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    -- Set when the session is signed out (or ended by a password change).
    ended_at timestamptz
);
create index sessions_user_live_idx on sessions (user_id) where ended_at is null;
create index sessions_expires_idx on sessions (expires_at);

-- Sign-in throttling per account (by the email tried, known or not), kept
-- here so that it holds across every replica of the gateway. `failures`
-- counts attempts since the last success, including ones still being
-- checked; past the free allowance each attempt pauses the account's
-- sign-in for twice as long as the one before.
create table sign_in_throttle (
    email text primary key,
    failures integer not null constraint sign_in_throttle_failures_check check (failures >= 0),
    paused_until timestamptz,
    updated_at timestamptz not null default now()
);
create index sign_in_throttle_updated_idx on sign_in_throttle (updated_at);

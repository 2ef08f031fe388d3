-- Closing an account: the sign-in is refused from the request on
-- (`users.closed_at`), and the household's data is erased in every part by
-- a process driven from `erasures` (one row per household, its step
-- recorded after each part answered; see graphql/src/erasure.rs).
alter table users add column closed_at timestamptz;

create table erasures (
    household_id uuid primary key,
    council_id uuid not null,
    -- Who asked: the household itself, or an officer (or admin) on its behalf.
    requested_by text not null constraint erasures_requested_by_check check (requested_by in ('HOUSEHOLD', 'OFFICER')),
    officer_user_id uuid,
    requested_at timestamptz not null default now(),
    step text not null constraint erasures_step_check check (step in (
        'CANCEL_BOOKINGS', 'BOOKINGS', 'PAYMENTS', 'ELIGIBILITY', 'ACCOUNT', 'DONE')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    completed_at timestamptz
);
create index erasures_due_idx on erasures (next_attempt_at) where step <> 'DONE';

-- An officer's download of a household's data, and an officer's request to
-- erase it, are assisted actions too.
alter table assisted_actions drop constraint assisted_actions_action_check,
    add constraint assisted_actions_action_check check (action in (
        'PROFILE_READ', 'ELIGIBILITY_READ', 'PROFILE_UPDATE', 'OFFERS_SEARCH', 'BOOKING', 'CANCELLATION',
        'DATA_EXPORT', 'ERASURE_REQUEST'));

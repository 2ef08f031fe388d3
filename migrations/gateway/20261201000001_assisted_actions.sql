-- The audit log of assisted actions: an officer (or admin) acting for a
-- household of their council that cannot use the web. A row is written
-- PENDING before the action is sent to the service that owns it and marked
-- with its outcome after, so an action that happened is never missing from
-- the log (at worst it stays PENDING when the gateway stopped in between).
create table assisted_actions (
    id bigserial primary key,
    officer_user_id uuid not null constraint assisted_actions_officer_fk references users (id),
    officer_name text not null,
    council_id uuid not null,
    household_id uuid not null,
    action text not null constraint assisted_actions_action_check check (action in (
        'PROFILE_READ', 'ELIGIBILITY_READ', 'PROFILE_UPDATE', 'OFFERS_SEARCH', 'BOOKING', 'CANCELLATION')),
    -- What the action was about: the booking for BOOKING and CANCELLATION.
    target_id uuid,
    outcome text not null default 'PENDING' constraint assisted_actions_outcome_check check (outcome in (
        'PENDING', 'SUCCEEDED', 'REFUSED', 'FAILED')),
    -- The refusal's code, or a short note on the result.
    detail text,
    at timestamptz not null default now(),
    finished_at timestamptz
);
create index assisted_actions_household_idx on assisted_actions (household_id, id);
create index assisted_actions_council_idx on assisted_actions (council_id, id);

-- Finding a household's account by email or name within a council.
create index memberships_household_council_idx on memberships (council_id, household_id) where role = 'HOUSEHOLD';

-- Notifications: what Roundabout tells people (graphql/src/notify/).
--
-- Events from the services are recorded once (`notification_events`); each
-- becomes one notification per recipient and channel, written with its
-- content and address before anything is sent. The sender claims due rows
-- (`for update skip locked`, with a lease), sends, and records the
-- transport's answer; see docs/ARCHITECTURE.md, "Notifications".

-- How a household wants to hear from Roundabout. No row: email, to the
-- household's account addresses.
create table contact_preferences (
    household_id uuid primary key,
    channel text not null constraint contact_preferences_channel_check check (channel in ('EMAIL', 'SMS', 'LETTER')),
    phone text,
    address_lines text[] not null default '{}',
    postcode text,
    updated_at timestamptz not null default now(),
    -- The officer who set it for the household, if one did.
    updated_by_officer uuid,
    constraint contact_preferences_sms_check check (channel <> 'SMS' or phone is not null),
    constraint contact_preferences_letter_check check (
        channel <> 'LETTER' or (postcode is not null and cardinality(address_lines) between 1 and 6))
);

-- Every event taken from a service, once.
create table notification_events (
    event_id uuid primary key,
    source text not null,
    kind text not null,
    occurred_at timestamptz not null,
    recorded_at timestamptz not null default now()
);
create index notification_events_recorded_idx on notification_events (recorded_at);

create table notifications (
    id uuid primary key,
    event_id uuid not null,
    -- booking_confirmed, booking_cancelled, booking_reminder, …
    template text not null,
    -- Who it is for: a household (its accounts or its chosen phone or
    -- address), or a provider's or council's user.
    recipient_kind text not null constraint notifications_recipient_kind_check check (recipient_kind in ('HOUSEHOLD', 'PROVIDER', 'OFFICER')),
    recipient_id uuid not null,
    household_id uuid,
    council_id uuid,
    booking_id uuid,
    channel text not null constraint notifications_channel_check check (channel in ('EMAIL', 'SMS', 'LETTER')),
    address jsonb not null,
    subject text not null,
    body text not null,
    personalisation jsonb not null default '{}',
    attachments jsonb not null default '[]',
    -- PENDING: to send (from send_after); SENDING: handed to a transport,
    -- its answer not yet recorded; SENT: accepted, delivery followed;
    -- DELIVERED; FAILED (given up, with the reason); WITHDRAWN (no longer
    -- true: a reminder of a booking since cancelled, a person erased).
    status text not null default 'PENDING' constraint notifications_status_check check (status in (
        'PENDING', 'SENDING', 'SENT', 'DELIVERED', 'FAILED', 'WITHDRAWN')),
    send_after timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    claimed_until timestamptz,
    attempts integer not null default 0,
    transport text,
    transport_id text,
    last_error text,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    delivered_at timestamptz,
    failed_at timestamptz,
    constraint notifications_once unique (event_id, template, recipient_id, channel)
);
create index notifications_due_idx on notifications (next_attempt_at) where status in ('PENDING', 'SENDING', 'SENT');
create index notifications_household_idx on notifications (household_id, created_at);
create index notifications_booking_idx on notifications (booking_id) where status = 'PENDING';
create index notifications_transport_idx on notifications (transport, created_at);
create index notifications_finished_idx on notifications (created_at) where status in ('DELIVERED', 'FAILED', 'WITHDRAWN');

-- An officer setting how a household hears from Roundabout is an assisted action.
alter table assisted_actions drop constraint assisted_actions_action_check,
    add constraint assisted_actions_action_check check (action in (
        'PROFILE_READ', 'ELIGIBILITY_READ', 'PROFILE_UPDATE', 'OFFERS_SEARCH', 'BOOKING', 'CANCELLATION',
        'DATA_EXPORT', 'ERASURE_REQUEST', 'CONTACT_UPDATE'));

-- User accounts and their memberships (which household, provider or council
-- a user belongs to, and in what role).
create table users (
    id uuid primary key,
    -- Stored lower-cased; compared lower-cased.
    email text not null constraint users_email_lower check (email = lower(email)),
    password_hash text not null,
    display_name text,
    created_at timestamptz not null default now()
);
create unique index users_email_key on users (email);

create table memberships (
    id bigserial primary key,
    user_id uuid not null constraint memberships_user_fk references users (id) on delete cascade,
    role text not null constraint memberships_role_check check (role in ('HOUSEHOLD', 'PROVIDER', 'OFFICER', 'ADMIN')),
    council_id uuid,
    provider_id uuid,
    household_id uuid,
    created_at timestamptz not null default now(),
    constraint memberships_shape check (
        (role = 'HOUSEHOLD' and household_id is not null and council_id is not null and provider_id is null)
        or (role = 'PROVIDER' and provider_id is not null and council_id is null and household_id is null)
        or (role = 'OFFICER' and council_id is not null and provider_id is null and household_id is null)
        or (role = 'ADMIN' and council_id is null and provider_id is null and household_id is null)
    )
);
create unique index memberships_unique_key on memberships (
    user_id, role,
    coalesce(council_id, '00000000-0000-0000-0000-000000000000'),
    coalesce(provider_id, '00000000-0000-0000-0000-000000000000')
);
create index memberships_user_idx on memberships (user_id);

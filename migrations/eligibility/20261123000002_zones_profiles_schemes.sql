-- Zones, household profiles, schemes with versions, test cases, budgets,
-- and the audit tables (decisions, officers' reads of profiles).
create extension if not exists btree_gist;

create table zones (
    id uuid primary key,
    council_id uuid not null constraint zones_council_fk references councils (id),
    name text not null constraint zones_name_length check (char_length(name) between 1 and 200),
    -- A validated GeoJSON Polygon or MultiPolygon geometry (WGS84).
    geometry jsonb not null,
    min_lon double precision not null,
    min_lat double precision not null,
    max_lon double precision not null,
    max_lat double precision not null,
    created_at timestamptz not null default now(),
    constraint zones_council_name_key unique (council_id, name)
);

-- The facts of a household (the rule catalogue) and the zones containing it.
create table household_profiles (
    household_id uuid primary key constraint household_profiles_household_fk references households (id),
    -- Copied from households so a council's profiles are one index range.
    council_id uuid not null constraint household_profiles_council_fk references councils (id),
    lat double precision not null constraint household_profiles_lat_range check (lat between -90 and 90),
    lon double precision not null constraint household_profiles_lon_range check (lon between -180 and 180),
    postcode text constraint household_profiles_postcode_length check (char_length(postcode) <= 16),
    members integer not null constraint household_profiles_members_range check (members between 1 and 30),
    annual_income_pence bigint constraint household_profiles_income_range check (annual_income_pence between 0 and 100000000000),
    cars_owned integer not null constraint household_profiles_cars_range check (cars_owned between 0 and 20),
    blue_badge boolean not null,
    benefits text[] not null default '{}',
    lead_age integer constraint household_profiles_lead_age_range check (lead_age between 16 and 120),
    needs_seats integer not null constraint household_profiles_seats_range check (needs_seats between 1 and 16),
    needs_wheelchair_accessible boolean not null,
    needs_electric_preferred boolean not null,
    zone_ids uuid[] not null default '{}',
    updated_at timestamptz not null default now()
);
create index household_profiles_council_idx on household_profiles (council_id);

-- Every read of a profile by someone other than the household itself.
create table profile_reads (
    id bigserial primary key,
    household_id uuid not null constraint profile_reads_household_fk references households (id),
    reader_kind text not null,
    reader_user_id uuid,
    reader_name text,
    read_at timestamptz not null default now()
);
create index profile_reads_household_idx on profile_reads (household_id, read_at);

-- A scheme across its versions: what a budget is kept against.
create table scheme_lines (
    id uuid primary key,
    council_id uuid not null constraint scheme_lines_council_fk references councils (id),
    -- The budget of the latest published version (0 until one is).
    budget_pence bigint not null default 0 constraint scheme_lines_budget_range check (budget_pence >= 0),
    created_at timestamptz not null default now()
);

-- One version of a scheme. Published versions (status other than DRAFT) are
-- immutable but for their status and the end of their period.
create table schemes (
    id uuid primary key,
    line_id uuid not null constraint schemes_line_fk references scheme_lines (id),
    council_id uuid not null constraint schemes_council_fk references councils (id),
    version integer not null constraint schemes_version_positive check (version >= 1),
    name text not null constraint schemes_name_length check (char_length(name) between 1 and 200),
    description text not null default '' constraint schemes_description_length check (char_length(description) <= 5000),
    status text not null constraint schemes_status_known check (status in ('DRAFT', 'ACTIVE', 'PAUSED', 'CLOSED')),
    zone_ids uuid[] not null default '{}',
    -- [{"id", "label", "rule", "fail_text"}], each rule validated on save.
    criteria jsonb not null default '[]',
    percent_basis_points integer not null constraint schemes_percent_range check (percent_basis_points between 0 and 10000),
    cap_per_booking_pence bigint constraint schemes_cap_range check (cap_per_booking_pence between 0 and 100000000),
    applies_to text[] not null constraint schemes_applies_to_known check (applies_to <@ array['HIRE', 'LEASE']::text[]),
    budget_pence bigint not null constraint schemes_budget_range check (budget_pence between 0 and 100000000000),
    effective_from timestamptz,
    effective_to timestamptz,
    published_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint schemes_line_version_key unique (line_id, version),
    constraint schemes_effective_period check (effective_to is null or effective_from is null or effective_to >= effective_from),
    constraint schemes_published_has_start check (status = 'DRAFT' or effective_from is not null),
    -- Two published versions of one scheme never apply at the same time.
    constraint schemes_no_overlapping_versions exclude using gist (
        line_id with =,
        tstzrange(effective_from, effective_to) with &&
    ) where (status <> 'DRAFT')
);
create index schemes_council_idx on schemes (council_id, status);
create unique index schemes_one_draft_per_line on schemes (line_id) where status = 'DRAFT';

create table scheme_test_cases (
    id uuid primary key,
    scheme_id uuid not null constraint scheme_test_cases_scheme_fk references schemes (id),
    name text not null constraint scheme_test_cases_name_length check (char_length(name) between 1 and 200),
    facts jsonb not null,
    expect_eligible boolean not null,
    last_result boolean,
    created_at timestamptz not null default now(),
    constraint scheme_test_cases_name_key unique (scheme_id, name)
);

-- Budget held or committed for a booking, one row per booking.
create table budget_allocations (
    booking_id uuid primary key,
    line_id uuid not null constraint budget_allocations_line_fk references scheme_lines (id),
    scheme_id uuid not null constraint budget_allocations_scheme_fk references schemes (id),
    household_id uuid,
    amount_pence bigint not null constraint budget_allocations_amount_range check (amount_pence between 0 and 100000000000),
    state text not null constraint budget_allocations_state_known check (state in ('HELD', 'COMMITTED', 'RELEASED')),
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint budget_allocations_held_expires check (state <> 'HELD' or expires_at is not null)
);
create index budget_allocations_line_idx on budget_allocations (line_id, state);

-- Every decision shown or used, with the scheme version it was made under.
create table eligibility_decisions (
    id bigserial primary key,
    household_id uuid not null constraint eligibility_decisions_household_fk references households (id),
    scheme_id uuid not null constraint eligibility_decisions_scheme_fk references schemes (id),
    scheme_version integer not null,
    eligible boolean not null,
    reasons jsonb not null,
    facts jsonb,
    purpose text not null,
    decided_at timestamptz not null default now()
);
create index eligibility_decisions_household_idx on eligibility_decisions (household_id, decided_at);

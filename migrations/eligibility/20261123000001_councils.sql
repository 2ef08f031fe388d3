-- Councils with their boundaries, households, and the outbox.
create table outbox (
    id bigserial primary key,
    destination text not null,
    path text not null,
    payload jsonb not null,
    idempotency_key text not null constraint outbox_idempotency_key_key unique,
    created_at timestamptz not null default now(),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    delivered_at timestamptz,
    dead_at timestamptz
);
create index outbox_due_idx on outbox (next_attempt_at) where delivered_at is null and dead_at is null;

create table councils (
    id uuid primary key,
    name text not null constraint councils_name_length check (char_length(name) between 1 and 200),
    code text not null constraint councils_code_key unique,
    -- A validated GeoJSON Polygon or MultiPolygon geometry (WGS84).
    boundary jsonb not null,
    -- Bounding box of the boundary, for cheap pre-filtering.
    min_lon double precision not null,
    min_lat double precision not null,
    max_lon double precision not null,
    max_lat double precision not null,
    created_at timestamptz not null default now()
);

create table households (
    id uuid primary key,
    council_id uuid not null constraint households_council_fk references councils (id),
    created_at timestamptz not null default now()
);
create index households_council_idx on households (council_id);

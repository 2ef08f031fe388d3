-- Council boundaries (a read-only cache of eligibility's), provider
-- applications and approvals per council, vehicles with pricing, and the
-- change feed the in-memory geo index of every replica follows.

-- A copy of eligibility's council, fetched once: boundaries are immutable.
create table council_areas (
    id uuid primary key,
    code text not null,
    name text not null,
    -- A validated GeoJSON Polygon or MultiPolygon geometry (WGS84).
    boundary jsonb not null,
    min_lon double precision not null,
    min_lat double precision not null,
    max_lon double precision not null,
    max_lat double precision not null,
    fetched_at timestamptz not null default now()
);

-- Every change to a vehicle or an approval takes the next number of this
-- sequence and records its transaction id; replicas read changes in
-- (transaction, sequence) order below the oldest running transaction, so a
-- change that commits late is never skipped.
create sequence inventory_change_seq;

create function inventory_stamp_change() returns trigger language plpgsql as $$
begin
    new.change_seq := nextval('inventory_change_seq');
    new.change_xid := pg_current_xact_id();
    new.updated_at := now();
    return new;
end;
$$;

create table provider_councils (
    provider_id uuid not null constraint provider_councils_provider_fk references providers (id),
    council_id uuid not null constraint provider_councils_council_fk references council_areas (id),
    status text not null default 'PENDING'
        constraint provider_councils_status_check check (status in ('PENDING', 'APPROVED', 'SUSPENDED')),
    applied_at timestamptz not null default now(),
    decided_by uuid,
    updated_at timestamptz not null default now(),
    change_seq bigint not null default 0,
    change_xid xid8 not null default pg_current_xact_id(),
    constraint provider_councils_pkey primary key (provider_id, council_id)
);
create index provider_councils_council_idx on provider_councils (council_id, status);
create index provider_councils_change_idx on provider_councils (change_xid, change_seq);
create trigger provider_councils_stamp before insert or update on provider_councils
    for each row execute function inventory_stamp_change();

create table vehicles (
    id uuid primary key,
    provider_id uuid not null constraint vehicles_provider_fk references providers (id),
    -- Insertion order: the stable order of a provider's fleet and its cursors.
    list_seq bigint generated always as identity constraint vehicles_list_seq_key unique,
    kind text not null
        constraint vehicles_kind_check check (kind in ('CAR', 'VAN', 'WAV', 'MINIBUS', 'EBIKE', 'CARGO_BIKE')),
    make text not null constraint vehicles_make_length check (char_length(make) between 1 and 100),
    model text not null constraint vehicles_model_length check (char_length(model) between 1 and 100),
    -- Normalised: upper case without spaces.
    registration text constraint vehicles_registration_key unique,
    seats integer not null constraint vehicles_seats_range check (seats between 1 and 16),
    propulsion text not null
        constraint vehicles_propulsion_check
        check (propulsion in ('ELECTRIC', 'HYBRID', 'PETROL', 'DIESEL', 'HUMAN', 'ELECTRIC_ASSIST')),
    range_km integer constraint vehicles_range_km_range check (range_km between 0 and 2000),
    co2_grams_per_km integer constraint vehicles_co2_range check (co2_grams_per_km between 0 and 1000),
    wheelchair_accessible boolean not null,
    lat double precision not null constraint vehicles_lat_range check (lat between -90 and 90),
    lon double precision not null constraint vehicles_lon_range check (lon between -180 and 180),
    status text not null default 'AVAILABLE'
        constraint vehicles_status_check check (status in ('AVAILABLE', 'MAINTENANCE', 'RETIRED')),
    currency text not null default 'GBP' constraint vehicles_currency_check check (currency ~ '^[A-Z]{3}$'),
    per_hour_pence bigint constraint vehicles_per_hour_range check (per_hour_pence between 1 and 100000000),
    per_day_pence bigint constraint vehicles_per_day_range check (per_day_pence between 1 and 100000000),
    per_month_lease_pence bigint
        constraint vehicles_per_month_range check (per_month_lease_pence between 1 and 100000000),
    deposit_pence bigint not null default 0
        constraint vehicles_deposit_range check (deposit_pence between 0 and 100000000),
    constraint vehicles_price_present
        check (per_hour_pence is not null or per_day_pence is not null or per_month_lease_pence is not null),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    change_seq bigint not null default 0,
    change_xid xid8 not null default pg_current_xact_id()
);
create index vehicles_provider_idx on vehicles (provider_id, list_seq);
create index vehicles_change_idx on vehicles (change_xid, change_seq);
create trigger vehicles_stamp before insert or update on vehicles
    for each row execute function inventory_stamp_change();

-- A council's postcode lookup: full postcodes or postcode districts (the
-- outward code), upper case without spaces, with their coordinates. Officers
-- import them from a CSV in the ONS Postcode Directory's shape.
create table postcodes (
    council_id uuid not null references councils (id),
    postcode text not null,
    lat double precision not null,
    lon double precision not null,
    constraint postcodes_pkey primary key (council_id, postcode),
    constraint postcodes_postcode_shape check (postcode ~ '^[A-Z]{1,2}[0-9][A-Z0-9]?([0-9][A-Z]{2})?$'),
    constraint postcodes_lat_range check (lat between -90 and 90),
    constraint postcodes_lon_range check (lon between -180 and 180)
);

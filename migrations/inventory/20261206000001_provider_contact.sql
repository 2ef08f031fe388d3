-- Where households collect a provider's vehicles and how they reach it.
alter table providers
    add column pickup_address text
        constraint providers_pickup_address_length check (char_length(pickup_address) between 1 and 500),
    add column contact_phone text
        constraint providers_contact_phone_length check (char_length(contact_phone) between 1 and 40),
    add column contact_email text
        constraint providers_contact_email_length check (char_length(contact_email) between 3 and 254);

-- What a council's privacy notice and the accessibility statement name:
-- its data protection officer, a postal address, and how residents report
-- an accessibility problem. Each is optional; the pages fall back to the
-- council's contact details for residents.
alter table councils
    add column data_protection_officer text
        constraint councils_data_protection_officer_length check (char_length(data_protection_officer) between 1 and 200),
    add column data_protection_email text
        constraint councils_data_protection_email_length check (char_length(data_protection_email) between 3 and 254),
    add column postal_address text
        constraint councils_postal_address_length check (char_length(postal_address) between 1 and 500),
    add column accessibility_email text
        constraint councils_accessibility_email_length check (char_length(accessibility_email) between 3 and 254),
    add column accessibility_phone text
        constraint councils_accessibility_phone_length check (char_length(accessibility_phone) between 1 and 40);

-- How residents reach the council about its schemes (shown on bookings).
alter table councils
    add column contact_email text
        constraint councils_contact_email_length check (char_length(contact_email) between 3 and 254),
    add column contact_phone text
        constraint councils_contact_phone_length check (char_length(contact_phone) between 1 and 40);

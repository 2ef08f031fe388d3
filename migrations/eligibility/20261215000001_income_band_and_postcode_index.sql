-- A household's income may be given as a band (as the web's questions ask
-- it) rather than a figure: the band is kept beside the figure inside it,
-- so explanations show what the household chose, never an invented figure.
alter table household_profiles
    add column income_band_from_pence bigint,
    add column income_band_below_pence bigint,
    add constraint household_profiles_income_band_ends
        check ((income_band_from_pence is null or income_band_from_pence between 0 and 100000000000)
           and (income_band_below_pence is null or income_band_below_pence between 0 and 100000000000)
           and (income_band_from_pence is null or income_band_below_pence is null
                or income_band_from_pence < income_band_below_pence)),
    add constraint household_profiles_income_in_band
        check ((income_band_from_pence is null and income_band_below_pence is null)
            or (annual_income_pence is not null
                and (income_band_from_pence is null or annual_income_pence >= income_band_from_pence)
                and (income_band_below_pence is null or annual_income_pence < income_band_below_pence)));

-- Finding the councils that cover a postcode (the signed-out checker).
create index postcodes_postcode_idx on postcodes (postcode);

-- The codes postaux of a page of communes are read by code INSEE: the primary key
-- (code_postal, code_insee) serves the filter by code postal, not this lookup.
CREATE INDEX communes_codes_postaux_commune ON communes_codes_postaux (code_insee, code_postal);

-- People are matched on more than a name: an identity document other than a resident ID
-- (passport, travel permit), the date of birth (given, or read from a valid resident ID),
-- and the street address beside the city.
ALTER TABLE staging.party ADD COLUMN id_document TEXT;
ALTER TABLE staging.party ADD COLUMN date_of_birth DATE;

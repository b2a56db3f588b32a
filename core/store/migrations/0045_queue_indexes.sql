-- The queue by district and category (HQ's view per district, a district's
-- dispatchers by kind of fault) walks this index newest first instead of
-- filtering the requests' primary key (see README, Performance).
CREATE INDEX requests_district_category_idx ON requests (district_id, category_id, id);

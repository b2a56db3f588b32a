-- A request filed through Open311 may link to media kept elsewhere
-- (GeoReport v2, POST requests: media_url).
ALTER TABLE requests ADD COLUMN media_url TEXT NOT NULL DEFAULT '';

-- A city whose last migration failed: the error, kept out of service until
-- a later run migrates it. Empty for every healthy city.
ALTER TABLE {{C}}tenants ADD COLUMN migration_error TEXT NOT NULL DEFAULT '';

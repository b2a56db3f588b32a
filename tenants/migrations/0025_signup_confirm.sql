ALTER TABLE {{C}}signups ADD COLUMN confirm_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE {{C}}signups ADD COLUMN confirmed_at {{TS}};
UPDATE {{C}}signups SET confirmed_at = created_at;
CREATE INDEX signups_confirm_hash_idx ON {{C}}signups (confirm_hash)

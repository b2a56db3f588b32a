CREATE TABLE {{C}}plugin_catalog (
	id {{ID}},
	name TEXT NOT NULL,
	version TEXT NOT NULL,
	binary_path TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	UNIQUE (name, version)
)

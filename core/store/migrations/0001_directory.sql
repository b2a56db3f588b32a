CREATE TABLE districts (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	name_ru TEXT NOT NULL,
	name_en TEXT NOT NULL
);

CREATE TABLE category_groups (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	name_ru TEXT NOT NULL,
	name_en TEXT NOT NULL,
	position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE categories (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	group_code TEXT NOT NULL DEFAULT '',
	name_ru TEXT NOT NULL,
	name_en TEXT NOT NULL,
	emergency BOOLEAN NOT NULL DEFAULT FALSE,
	default_priority TEXT NOT NULL DEFAULT 'normal',
	reaction_minutes INTEGER NOT NULL,
	resolution_minutes INTEGER NOT NULL,
	working_time BOOLEAN NOT NULL DEFAULT FALSE,
	photo_required BOOLEAN NOT NULL DEFAULT FALSE,
	citizen_visible BOOLEAN NOT NULL DEFAULT TRUE,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	utility TEXT NOT NULL DEFAULT ''
);

CREATE TABLE organizations (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	name_ru TEXT NOT NULL,
	name_en TEXT NOT NULL,
	phone TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	utility TEXT NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE organization_districts (
	organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	district_id BIGINT NOT NULL REFERENCES districts (id) ON DELETE CASCADE,
	PRIMARY KEY (organization_id, district_id)
);

CREATE TABLE organization_categories (
	organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
	PRIMARY KEY (organization_id, category_id)
);

CREATE TABLE buildings (
	id {{ID}},
	registry_id TEXT NOT NULL UNIQUE,
	address_ru TEXT NOT NULL,
	address_en TEXT NOT NULL DEFAULT '',
	district_id BIGINT NOT NULL REFERENCES districts (id),
	management_company_id BIGINT REFERENCES organizations (id),
	apartments INTEGER NOT NULL DEFAULT 0,
	lat DOUBLE PRECISION NOT NULL DEFAULT 0,
	lon DOUBLE PRECISION NOT NULL DEFAULT 0,
	search_text TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL
);

CREATE INDEX buildings_district_idx ON buildings (district_id);

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE calendar_days (
	day TEXT PRIMARY KEY,
	working BOOLEAN NOT NULL,
	name TEXT NOT NULL DEFAULT ''
);

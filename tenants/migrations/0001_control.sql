CREATE TABLE {{C}}tenants (
	id {{ID}},
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	status TEXT NOT NULL,
	plan TEXT NOT NULL DEFAULT 'trial',
	locale TEXT NOT NULL DEFAULT 'ru',
	timezone TEXT NOT NULL DEFAULT 'Europe/Moscow',
	demo BOOLEAN NOT NULL DEFAULT FALSE,
	schema_version INTEGER NOT NULL DEFAULT 0,
	stripe_customer_id TEXT NOT NULL DEFAULT '',
	stripe_subscription_id TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);

CREATE TABLE {{C}}tenant_domains (
	domain TEXT PRIMARY KEY,
	tenant_id BIGINT NOT NULL REFERENCES {{C}}tenants (id) ON DELETE CASCADE
);

CREATE TABLE {{C}}vendor_users (
	id {{ID}},
	login TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL DEFAULT 'vendor_admin',
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{TS}} NOT NULL
);

CREATE TABLE {{C}}audit_log (
	id {{ID}},
	at {{TS}} NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	tenant_slug TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_tenant_idx ON {{C}}audit_log (tenant_slug, id)

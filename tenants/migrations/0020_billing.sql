CREATE TABLE {{C}}signups (
	tenant_slug TEXT PRIMARY KEY,
	admin_name TEXT NOT NULL,
	admin_email TEXT NOT NULL,
	plan TEXT NOT NULL,
	checkout_session_id TEXT NOT NULL DEFAULT '',
	checkout_url TEXT NOT NULL DEFAULT '',
	paid BOOLEAN NOT NULL DEFAULT FALSE,
	provision_took_ms BIGINT NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	provisioned_at {{TS}}
);

CREATE TABLE {{C}}billing_events (
	id TEXT PRIMARY KEY,
	type TEXT NOT NULL,
	created BIGINT NOT NULL,
	tenant_slug TEXT NOT NULL DEFAULT '',
	received_at {{TS}} NOT NULL
);

CREATE TABLE {{C}}tenant_billing (
	tenant_slug TEXT PRIMARY KEY,
	subscription_status TEXT NOT NULL DEFAULT '',
	subscription_at BIGINT NOT NULL DEFAULT 0,
	invoice_at BIGINT NOT NULL DEFAULT 0,
	past_due_since {{TS}},
	billing_suspended BOOLEAN NOT NULL DEFAULT FALSE,
	updated_at {{TS}} NOT NULL
);

CREATE TABLE {{C}}usage_reports (
	tenant_slug TEXT NOT NULL,
	period TEXT NOT NULL,
	seq INTEGER NOT NULL,
	quantity BIGINT NOT NULL,
	identifier TEXT NOT NULL UNIQUE,
	created_at {{TS}} NOT NULL,
	reported_at {{TS}},
	PRIMARY KEY (tenant_slug, period, seq)
);

CREATE TABLE {{C}}set_password_tokens (
	hash TEXT PRIMARY KEY,
	tenant_slug TEXT NOT NULL,
	login TEXT NOT NULL,
	expires_at {{TS}} NOT NULL,
	used_at {{TS}},
	created_at {{TS}} NOT NULL
);

CREATE INDEX tenants_stripe_customer_idx ON {{C}}tenants (stripe_customer_id)

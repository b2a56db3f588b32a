-- HQ's weekly summary: who gets it by e-mail, and to whom each week's was
-- sent, so a re-run of the weekly job sends nobody the same week twice.
CREATE TABLE summary_subscriptions (
	user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	created_at {{TS}} NOT NULL
);

CREATE TABLE summary_mailings (
	week TEXT NOT NULL,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	sent_at {{TS}} NOT NULL,
	PRIMARY KEY (week, user_id)
);

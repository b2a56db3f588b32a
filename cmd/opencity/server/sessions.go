package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/opencity/opencity/core/web/session"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
)

// SessionConfig sets the page sessions: their absolute lifetime
// (OPENCITY_SESSION_LIFETIME, default 24h), their idle timeout
// (OPENCITY_SESSION_IDLE, default none) and whether the cookie is sent only
// over HTTPS even when a TLS-terminating proxy speaks plain HTTP to the
// server (OPENCITY_SECURE_COOKIES=true).
type SessionConfig struct {
	Lifetime, Idle time.Duration
	Secure         bool
	Err            error // a malformed setting, reported by NewServer
}

// SessionConfigFromEnv reads the page sessions' settings.
func SessionConfigFromEnv(getenv func(string) string) SessionConfig {
	var c SessionConfig
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"OPENCITY_SESSION_LIFETIME", &c.Lifetime}, {"OPENCITY_SESSION_IDLE", &c.Idle}} {
		if v := getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				c.Err = fmt.Errorf("%s=%q: want a positive duration such as 8h", d.name, v)
			}
			*d.to = x
		}
	}
	if v := getenv("OPENCITY_SECURE_COOKIES"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			c.Err = fmt.Errorf("OPENCITY_SECURE_COOKIES=%q: want true or false", v)
		}
		c.Secure = on
	}
	return c
}

func (c SessionConfig) options() session.Options {
	return session.Options{Lifetime: c.Lifetime, IdleTimeout: c.Idle, Secure: c.Secure}
}

// expireSessions removes the expired page sessions of the control plane and
// every city once an hour.
func expireSessions(b *tenants.Backend) {
	b.Jobs.Every(jobs.Periodic{Every: time.Hour, Enqueue: func(ctx context.Context, _ *jobs.Queue, _ time.Time) error {
		n, err := b.DeleteExpiredSessions(ctx, time.Now())
		if n > 0 {
			slog.InfoContext(ctx, "expired page sessions removed", "count", n)
		}
		return err
	}})
}

package tenants

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

// Version is this build's release, "major.minor.patch"; a release build sets
// it with -ldflags "-X github.com/opencity/opencity/tenants.Version=1.4.2".
// Dedicated installations report it in their heartbeat.
var Version = "1.0.0"

// Installation is a dedicated installation of the vendor's fleet as its last
// heartbeat described it.
type Installation struct {
	ID        int64      `bun:"id,pk,autoincrement"`
	Name      string     `bun:"name,notnull"`
	TokenHash string     `bun:"token_hash,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
	Heartbeat
	LastHeartbeatAt *time.Time `bun:"last_heartbeat_at"`
}

// Heartbeat is what a dedicated installation reports: its Version, its
// Health ("ok" or what is wrong), the number of its cities, the requests it
// processed since its start, and each city's schema version.
type Heartbeat struct {
	Version        string         `bun:"version,notnull" json:"version"`
	Health         string         `bun:"health,notnull" json:"health"`
	Cities         int            `bun:"cities,notnull" json:"cities"`
	Requests       int64          `bun:"requests,notnull" json:"requests"`
	SchemaVersions map[string]int `bun:"schema_versions,notnull" json:"schema_versions"`
}

// Alerts of a fleet installation.
const (
	AlertSilent   = "silent"   // no heartbeat for longer than the silence limit
	AlertOutdated = "outdated" // reports a version older than the vendor's
)

// Alerts says what is wrong with the installation at now: silent when its
// last heartbeat (or, with none yet, its registration) is more than silence
// ago, outdated when its version is older than current. A revoked
// installation has no alerts.
func (i Installation) Alerts(now time.Time, silence time.Duration, current string) []string {
	if i.RevokedAt != nil {
		return nil
	}
	var out []string
	last := i.CreatedAt
	if i.LastHeartbeatAt != nil {
		last = *i.LastHeartbeatAt
	}
	if now.Sub(last) > silence {
		out = append(out, AlertSilent)
	}
	if i.LastHeartbeatAt != nil && CompareVersions(i.Version, current) < 0 {
		out = append(out, AlertOutdated)
	}
	return out
}

// CompareVersions compares dotted numeric versions ("1.10.0" > "1.9.3", a
// leading "v" ignored, a missing part counts as 0): -1, 0 or 1. A part that
// is not a number counts as 0, so a malformed version is older.
func CompareVersions(a, b string) int {
	pa := strings.Split(strings.TrimPrefix(a, "v"), ".")
	pb := strings.Split(strings.TrimPrefix(b, "v"), ".")
	for k := 0; k < max(len(pa), len(pb)); k++ {
		var x, y int
		if k < len(pa) {
			x, _ = strconv.Atoi(pa[k])
		}
		if k < len(pb) {
			y, _ = strconv.Atoi(pb[k])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// RegisterInstallation adds a dedicated installation and returns its
// heartbeat token, shown once; only its hash is kept. The token
// authenticates heartbeats and nothing else. Errors: EINVALID for an empty
// or over-long name, ECONFLICT for a name already taken.
func (b *Backend) RegisterInstallation(ctx context.Context, name string, now time.Time) (*Installation, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		f := core.FieldErrors{}
		f.Add("name", "error.required_200")
		return nil, "", f.Err()
	}
	n, err := b.Control.NewSelect().ModelTableExpr("?", b.table("installations")).Where("name = ?", name).Count(ctx)
	if err != nil {
		return nil, "", err
	}
	if n > 0 {
		f := core.FieldErrors{}
		f.Add("name", "error.installation_exists")
		return nil, "", f.Err()
	}
	token := "hb_" + core.NewToken()
	in := &Installation{Name: name, TokenHash: core.HashToken(token), CreatedAt: now.UTC(),
		Heartbeat: Heartbeat{SchemaVersions: map[string]int{}}}
	if _, err := b.Control.NewInsert().Model(in).ModelTableExpr("?", b.table("installations")).Returning("id").Exec(ctx); err != nil {
		return nil, "", err
	}
	return in, token, nil
}

// RevokeInstallation stops the installation's token from authenticating;
// core.ErrNotFound for an unknown id.
func (b *Backend) RevokeInstallation(ctx context.Context, id int64, now time.Time) error {
	res, err := b.Control.NewUpdate().ModelTableExpr("?", b.table("installations")).
		Set("revoked_at = ?", now.UTC()).Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.NotFound("installation")
	}
	return nil
}

// RecordHeartbeat stores a heartbeat of the installation holding token.
// Errors: EUNAUTHORIZED (nothing stored) for a token that is not an
// installation's or was revoked; EINVALID for a report without a version.
func (b *Backend) RecordHeartbeat(ctx context.Context, token string, hb Heartbeat, now time.Time) (*Installation, error) {
	var in Installation
	err := b.Control.NewSelect().Model(&in).ModelTableExpr("? AS installation", b.table("installations")).
		Where("token_hash = ? AND revoked_at IS NULL", core.HashToken(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(core.EUNAUTHORIZED, "error.bad_heartbeat_token")
	}
	if err != nil {
		return nil, err
	}
	f := core.FieldErrors{}
	if hb.Version = strings.TrimSpace(hb.Version); hb.Version == "" || len(hb.Version) > 50 {
		f.Add("version", "error.required")
	}
	if len(hb.Health) > 500 {
		f.Add("health", "error.too_long")
	}
	if hb.Cities < 0 {
		f.Add("cities", "error.not_negative")
	}
	if hb.Requests < 0 {
		f.Add("requests", "error.not_negative")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if hb.SchemaVersions == nil {
		hb.SchemaVersions = map[string]int{}
	}
	sv, _ := json.Marshal(hb.SchemaVersions)
	at := now.UTC()
	_, err = b.Control.NewUpdate().ModelTableExpr("?", b.table("installations")).
		Set("version = ?, health = ?, cities = ?, requests = ?, schema_versions = ?, last_heartbeat_at = ?",
			hb.Version, hb.Health, hb.Cities, hb.Requests, string(sv), at).
		Where("id = ?", in.ID).Exec(ctx)
	if err != nil {
		return nil, err
	}
	in.Heartbeat, in.LastHeartbeatAt = hb, &at
	return &in, nil
}

// Installations lists the fleet by name.
func (b *Backend) Installations(ctx context.Context) ([]Installation, error) {
	var out []Installation
	err := b.Control.NewSelect().Model(&out).ModelTableExpr("? AS installation", b.table("installations")).
		Order("name").Scan(ctx)
	return out, err
}

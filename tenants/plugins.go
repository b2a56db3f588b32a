package tenants

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

// PluginEntry is one routing plugin of the vendor's catalog, pinned by the
// SHA-256 of its binary: the host verifies it before every start.
type PluginEntry struct {
	ID          int64     `bun:"id,pk,autoincrement"`
	Name        string    `bun:"name,notnull"`
	Version     string    `bun:"version,notnull"`
	BinaryPath  string    `bun:"binary_path,notnull"`
	SHA256      string    `bun:"sha256,notnull"`
	Description string    `bun:"description,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
}

// Ref is the entry's "name@version", as cities select it.
func (e PluginEntry) Ref() string { return e.Name + "@" + e.Version }

// pluginVersionRE is the shape of a plugin's version; its name is a slug.
var pluginVersionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$`)

// ParsePluginRef splits "name@version" and checks both parts.
func ParsePluginRef(ref string) (name, version string, err error) {
	name, version, ok := strings.Cut(ref, "@")
	if !ok || !core.ValidSlug(name) || !pluginVersionRE.MatchString(version) {
		return "", "", core.E(core.EINVALID, "error.plugin_ref_got", "Ref", ref)
	}
	return name, version, nil
}

// FileSHA256 returns the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// AddPlugin records a plugin binary in the catalog with its checksum, taken
// now. An existing name@version is re-pinned to the new binary and checksum.
func (b *Backend) AddPlugin(ctx context.Context, actor, name, version, binary, description string) (*PluginEntry, error) {
	if _, _, err := ParsePluginRef(name + "@" + version); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return nil, core.E(core.EINVALID, "error.not_executable", "File", binary)
	}
	sum, err := FileSHA256(abs)
	if err != nil {
		return nil, err
	}
	e := &PluginEntry{Name: name, Version: version, BinaryPath: abs, SHA256: sum, Description: description, CreatedAt: time.Now().UTC()}
	_, err = b.Control.NewInsert().Model(e).ModelTableExpr("?", b.table("plugin_catalog")).
		On("CONFLICT (name, version) DO UPDATE").
		Set("binary_path = EXCLUDED.binary_path, sha256 = EXCLUDED.sha256, description = EXCLUDED.description").
		Returning("id").Exec(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.Registry().Audit(ctx, actor, "plugin.add", "", fmt.Sprintf("%s %s sha256=%s", e.Ref(), abs, sum)); err != nil {
		return nil, err
	}
	return e, nil
}

// Plugin returns the catalog entry name@version.
func (b *Backend) Plugin(ctx context.Context, name, version string) (*PluginEntry, error) {
	e := new(PluginEntry)
	err := b.Control.NewSelect().Model(e).ModelTableExpr("? AS plugin_entry", b.table("plugin_catalog")).
		Where("name = ? AND version = ?", name, version).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(core.ENOTFOUND, "error.plugin_not_in_catalog", "Name", name, "Version", version)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Plugins lists the catalog by name and version.
func (b *Backend) Plugins(ctx context.Context) ([]PluginEntry, error) {
	var es []PluginEntry
	err := b.Control.NewSelect().Model(&es).ModelTableExpr("? AS plugin_entry", b.table("plugin_catalog")).
		Order("name", "version").Scan(ctx)
	return es, err
}

package httpapi

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// redoclyVersion is the @redocly/cli release .ci/test installs; it runs on
// Node.js 20.19 or later.
const redoclyVersion = "2.77.0"

// redocly finds the Redocly CLI: $REDOCLY, then the copy .ci/test installs
// under the user's cache folder, then PATH.
func redocly(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REDOCLY"); p != "" {
		return p
	}
	if dir, err := os.UserCacheDir(); err == nil {
		p := filepath.Join(dir, "opencity", "redocly-"+redoclyVersion, "node_modules", ".bin", "redocly")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("redocly"); err == nil {
		return p
	}
	dir, _ := os.UserCacheDir()
	t.Fatalf("the Redocly CLI is missing: run `make test` (it installs it), or by hand (Node.js 20.19+ and npm):\n"+
		"    npm install --prefix %s @redocly/cli@%s\nor set REDOCLY to a redocly executable",
		filepath.Join(dir, "opencity", "redocly-"+redoclyVersion), redoclyVersion)
	return ""
}

// The generated description passes an independent linter, Redocly's
// recommended rules, without errors or warnings. The one rule skipped asks
// for a license URL, which a proprietary license does not have.
func TestOpenAPIPassesRedoclyLint(t *testing.T) {
	bin := redocly(t)
	b, err := json.MarshalIndent((&API{}).OpenAPI(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(doc, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "lint", "--format=stylish", "--skip-rule=info-license-strict", doc)
	cmd.Dir = dir
	// Redocly's anonymous usage report would need the network.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redocly lint failed: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "warning") && !strings.Contains(string(out), "no warnings") {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, " warning ") {
				t.Errorf("redocly: %s", strings.TrimSpace(line))
			}
		}
	}
	if !strings.Contains(string(out), "Your API description is valid") {
		t.Errorf("redocly did not call the description valid:\n%s", out)
	}
}

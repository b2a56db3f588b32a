package deploytest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("this test needs %s: apt-get install -y %s (make test installs it)", name, pkg)
	}
	return p
}

// The unit parses without a complaint and its sandbox rates OK (an
// exposure below 5.0) by systemd's own analysis.
func TestSystemdUnitSecurity(t *testing.T) {
	analyze := needTool(t, "systemd-analyze", "systemd")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(analyze, "security", "--offline=yes", "--no-pager", filepath.Join(repoRoot, "deploy/opencity.service"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Errorf("systemd does not accept every line of the unit:\n%s", s)
	}
	m := regexp.MustCompile(`Overall exposure level for opencity\.service: ([0-9.]+) (\w+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no overall rating in:\n%s", stdout.String())
	}
	level, _ := strconv.ParseFloat(m[1], 64)
	if level >= 5 || (m[2] != "OK" && m[2] != "SAFE" && m[2] != "PERFECT") {
		t.Errorf("exposure %s %s, want OK or better:\n%s", m[1], m[2], stdout.String())
	}
	unit, _ := os.ReadFile(filepath.Join(repoRoot, "deploy/opencity.service"))
	for _, want := range []string{"User=opencity", "NoNewPrivileges=true", "ProtectSystem=strict", "StateDirectory=opencity", "OPENCITY_DEMO=false"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %s", want)
		}
	}
}

// The sysusers entry creates the unit's user and group.
func TestSysusersEntry(t *testing.T) {
	sysusers := needTool(t, "systemd-sysusers", "systemd")
	entry, _ := filepath.Abs(filepath.Join(repoRoot, "deploy/opencity.sysusers"))
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sysusers, "--dry-run", "--root="+root, entry).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-sysusers: %v\n%s", err, out)
	}
	for _, want := range []string{"Creating group 'opencity'", "Creating user 'opencity'"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("systemd-sysusers --dry-run:\n%s\nwant %q", out, want)
		}
	}
}

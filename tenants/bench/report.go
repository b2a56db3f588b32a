package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Figure is one measured line of the results table, beside its baseline
// from the same run and its target.
type Figure struct {
	Scenario string `json:"scenario"`
	Measured string `json:"measured"`
	Baseline string `json:"baseline"`
	Target   string `json:"target"`
	// Verdict is "met", "missed" or "" when the line has no target.
	Verdict string `json:"verdict"`
}

// Report is a whole bench run.
type Report struct {
	Machine string `json:"machine"`
	// Database is the PostgreSQL's version and the settings the figures
	// depend on (see DatabaseSettings).
	Database   string    `json:"database"`
	Date       time.Time `json:"date"`
	Conditions string    `json:"conditions"`
	Command    string    `json:"command"`
	Figures    []Figure  `json:"figures"`
}

// Verdict says "met" or "missed".
func Verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// Machine describes the host: CPU model, cores, memory and Go version.
func Machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/1024/1024)
		}
	}
	if cpu == "" {
		cpu = runtime.GOARCH
	}
	return fmt.Sprintf("%s, %d cores%s, %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// DatabaseSettings describes the PostgreSQL of db for the report: its
// version and the settings the figures depend on (autovacuum, which clears
// the dead rows of the run's writes; shared_buffers; synchronous_commit,
// which sets what a commit waits for; max_connections), e.g. "PostgreSQL
// 15.20, autovacuum on, shared_buffers 128MB, synchronous_commit on,
// max_connections 100". It returns autovacuum's value apart.
func DatabaseSettings(ctx context.Context, db bun.IDB) (desc, autovacuum string, err error) {
	var version, buffers, commit, conns string
	err = db.NewRaw(`SELECT current_setting('server_version'), current_setting('autovacuum'), current_setting('shared_buffers'),
		current_setting('synchronous_commit'), current_setting('max_connections')`).Scan(ctx, &version, &autovacuum, &buffers, &commit, &conns)
	if err != nil {
		return "", "", fmt.Errorf("the database's settings: %w", err)
	}
	if v, _, ok := strings.Cut(version, " "); ok {
		version = v
	}
	return fmt.Sprintf("PostgreSQL %s, autovacuum %s, shared_buffers %s, synchronous_commit %s, max_connections %s",
		version, autovacuum, buffers, commit, conns), autovacuum, nil
}

// LoadAverage is the 1-, 5- and 15-minute load of the host ("" when unknown).
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Markdown renders the report as the README's results section.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s.\n\n", r.Date.UTC().Format("2006-01-02 15:04 UTC"), r.Machine)
	if r.Database != "" {
		fmt.Fprintf(&b, "Database: %s.\n\n", r.Database)
	}
	if r.Conditions != "" {
		fmt.Fprintf(&b, "Conditions: %s\n\n", r.Conditions)
	}
	if r.Command != "" {
		fmt.Fprintf(&b, "Command: `%s`\n\n", r.Command)
	}
	b.WriteString("| scenario | measured | baseline (same run) | target | |\n|---|---|---|---|---|\n")
	for _, f := range r.Figures {
		v := f.Verdict
		switch v {
		case "met":
			v = "✅ met"
		case "missed":
			v = "❌ missed"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(f.Scenario), cell(f.Measured), cell(f.Baseline), cell(f.Target), v)
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

// Save writes the report as JSON.
func (r Report) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadReport reads a report saved by Save.
func LoadReport(path string) (Report, error) {
	var r Report
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

// Readme markers delimit the generated results section.
const (
	ReadmeStart = "<!-- bench:start -->"
	ReadmeEnd   = "<!-- bench:end -->"
)

// ReplaceSection puts section between the markers of doc; a doc without
// markers gets them, with the section, appended.
func ReplaceSection(doc []byte, section string) ([]byte, error) {
	body := ReadmeStart + "\n" + strings.TrimSpace(section) + "\n" + ReadmeEnd
	i := bytes.Index(doc, []byte(ReadmeStart))
	j := bytes.Index(doc, []byte(ReadmeEnd))
	switch {
	case i < 0 && j < 0:
		out := bytes.TrimRight(doc, "\n")
		return append(out, []byte("\n\n"+body+"\n")...), nil
	case i < 0 || j < i:
		return nil, fmt.Errorf("the markers %s … %s are broken", ReadmeStart, ReadmeEnd)
	}
	out := append([]byte{}, doc[:i]...)
	out = append(out, body...)
	return append(out, doc[j+len(ReadmeEnd):]...), nil
}

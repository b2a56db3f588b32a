package deploytest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

const repoRoot = "../.."

// instructions reads a Containerfile: one entry per instruction, its
// keyword upper-cased, continuation lines joined.
func instructions(t *testing.T, path string) [][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cur += line
		kw, rest, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(kw), strings.TrimSpace(rest)})
		cur = ""
	}
	return out
}

var pinned = regexp.MustCompile(`^[a-z0-9.\-/]+(:[\w.\-]+)?@sha256:[0-9a-f]{64}$`)

// The image: pinned bases, the non-root user owning /data, production mode.
func TestContainerfile(t *testing.T) {
	ins := instructions(t, filepath.Join(repoRoot, "deploy/Containerfile"))
	args := map[string]string{}
	stages := map[string]bool{}
	var final []([2]string)
	for _, in := range ins {
		switch in[0] {
		case "ARG":
			if k, v, ok := strings.Cut(in[1], "="); ok {
				args[k] = v
			}
		case "FROM":
			f := strings.Fields(in[1])
			image := f[0]
			if m := regexp.MustCompile(`^\$\{?(\w+)\}?$`).FindStringSubmatch(image); m != nil {
				image = args[m[1]]
			}
			if !pinned.MatchString(image) && !stages[image] {
				t.Errorf("FROM %s: the base image is not pinned by digest", in[1])
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stages[f[2]] = true
			}
			final = nil
		}
		final = append(final, in)
	}
	want := map[string]bool{
		"USER 65532:65532": false,
		"COPY --from=build --chown=65532:65532 /rootfs/data /data": false,
		`CMD ["serve"]`: false,
	}
	demoOff := false
	for _, in := range final {
		line := in[0] + " " + in[1]
		if _, ok := want[line]; ok {
			want[line] = true
		}
		if in[0] == "ENV" && strings.Contains(" "+in[1]+" ", " OPENCITY_DEMO=false ") {
			demoOff = true
		}
	}
	for line, seen := range want {
		if !seen {
			t.Errorf("the final stage lacks %q", line)
		}
	}
	if !demoOff {
		t.Error("the image does not start in production mode (ENV OPENCITY_DEMO=false)")
	}
}

// The build context leaves out what the build does not need and keeps
// every file it does, by Docker's own .dockerignore rules.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatalf("no .dockerignore: %v", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(p string) bool {
		t.Helper()
		m, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, p := range []string{".git/config", "data/control.db", "data/cities/kazan.db", "opencity", "deploy/test/go.mod",
		"cmd/opencity/cli_test.go", "deploy/helm/opencity/values.yaml"} {
		if !excluded(p) {
			t.Errorf("%s is sent to the image build", p)
		}
	}
	// Every file of the repository that a build of the three binaries reads.
	list := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}`, "./cmd/opencity", "./plugins/cities/kazan", "./plugins/cities/nizhny-novgorod")
	list.Dir = repoRoot
	list.Env = append(os.Environ(), "CGO_ENABLED=0") // as the image builds
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, _ := filepath.Abs(repoRoot)
	needed := []string{"go.mod", "go.sum"}
	for _, p := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(rel, "..") {
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	if len(needed) < 50 {
		t.Fatalf("go list found %d files of the build", len(needed))
	}
	for _, p := range needed {
		if excluded(p) {
			t.Errorf("the build needs %s, which .dockerignore leaves out", p)
		}
	}
}

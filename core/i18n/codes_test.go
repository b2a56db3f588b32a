package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, two directories up from this package.
const repoRoot = "../.."

// sections are the catalog sections of the packages whose pages look up
// "<section>.<code>" before "<code>".
var sections = map[string]string{
	"admin/cityconsole":   "console",
	"admin/vendorconsole": "vendor",
	"tenants/signup":      "signup",
}

var codeShape = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// known reports whether code is in the catalog, in the section of dir or
// at the top.
func known(dir, code string) bool {
	c := Embedded()
	if c.Has(Default, code) {
		return true
	}
	for pkg, sec := range sections {
		if strings.HasPrefix(dir, pkg) && c.Has(Default, sec+"."+code) {
			return true
		}
	}
	return false
}

// knownPrefix reports whether some code starts with prefix (for codes
// built in a template with printf "status.%s").
func knownPrefix(dir, prefix string) bool {
	for _, code := range Embedded().Codes(Default) {
		if strings.HasPrefix(code, prefix) {
			return true
		}
		for pkg, sec := range sections {
			if strings.HasPrefix(dir, pkg) && strings.HasPrefix(code, sec+"."+prefix) {
				return true
			}
		}
	}
	return false
}

var (
	tmplT       = regexp.MustCompile(`\bT "([^"]+)"`)
	tmplPrintf  = regexp.MustCompile(`\bT \(printf "([^"%]*)%`)
	tmplLabel   = regexp.MustCompile(`"(?:Label|Hint|Question|Title)" "([^"]+)"`)
	tmplComment = regexp.MustCompile(`(?s)\{\{/\*.*?\*/\}\}`)
)

// TestTemplatesNameKnownCodes fails when a template names a message code
// the catalog does not have.
func TestTemplatesNameKnownCodes(t *testing.T) {
	n := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") || !strings.Contains(path, "templates") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		n++
		text := tmplComment.ReplaceAllString(string(data), "")
		for _, re := range []*regexp.Regexp{tmplT, tmplLabel} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				if !known(rel, m[1]) {
					t.Errorf("%s names %q, which the catalog (core/i18n/locales) does not have", rel, m[1])
				}
			}
		}
		for _, m := range tmplPrintf.FindAllStringSubmatch(text, -1) {
			if !knownPrefix(rel, m[1]) {
				t.Errorf("%s builds codes %q…, none of which the catalog has", rel, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("scanned %d templates; is the repository layout what the test expects?", n)
	}
}

// codeArgs says which argument of a call is a message code: core.E(kind,
// code), core.M(code), FieldErrors.Add(field, code), i18n.Text(lang,
// code), i18n.Code(code), kit.Error(c, status, title, text), a page's
// T(code) and Page(c, title).
var codeArgs = map[string][]int{"E": {1}, "M": {0}, "Add": {1}, "Text": {1}, "Code": {0}, "T": {0}, "Page": {1}, "Error": {2, 3}}

// TestGoNamesKnownCodes fails when Go code passes prose where a message
// code belongs, or names a code the catalog does not have.
func TestGoNamesKnownCodes(t *testing.T) {
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != repoRoot && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".pb.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		n++
		check := func(e ast.Expr, strict bool) {
			switch x := e.(type) {
			case *ast.BasicLit:
				if x.Kind != token.STRING {
					return
				}
				s, _ := strconv.Unquote(x.Value)
				switch {
				case s == "":
				case strings.Contains(s, " "):
					t.Errorf("%s: %q is prose where a message code belongs", fset.Position(x.Pos()), s)
				case codeShape.MatchString(s) && (strict || strings.ContainsAny(s, "._")) && !known(rel, s):
					t.Errorf("%s: %q is not in the catalog (core/i18n/locales)", fset.Position(x.Pos()), s)
				}
			case *ast.BinaryExpr:
				for _, side := range []ast.Expr{x.X, x.Y} {
					if lit, ok := side.(*ast.BasicLit); ok && lit.Kind == token.STRING && x.Op == token.ADD {
						s, _ := strconv.Unquote(lit.Value)
						if strings.Contains(s, " ") {
							t.Errorf("%s: prose built with + where a message code belongs", fset.Position(x.Pos()))
						}
					}
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Sprintf" || sel.Sel.Name == "Error") && len(x.Args) <= 3 {
					t.Errorf("%s: %s() where a message code belongs; pass a code and arguments instead", fset.Position(x.Pos()), sel.Sel.Name)
				}
			}
		}
		ast.Inspect(f, func(node ast.Node) bool {
			switch x := node.(type) {
			case *ast.CallExpr:
				name := ""
				pkg := ""
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					if id, ok := fn.X.(*ast.Ident); ok {
						pkg = id.Name
					}
				}
				idx, ok := codeArgs[name]
				if !ok {
					return true
				}
				// Text and Code are the catalog's only under i18n; Add takes
				// codes on FieldErrors (any code-shaped literal is checked,
				// single words are left alone: url.Values.Add("lang", "en")).
				if (name == "Text" || name == "Code") && pkg != "i18n" {
					return true
				}
				if name == "Error" && (len(x.Args) != 4 || pkg == "slog" || strings.Contains(pkg, "log")) {
					return true // kit.Error(c, status, title, text), not a logger's
				}
				strict := name != "Add"
				for _, i := range idx {
					if i < len(x.Args) {
						check(x.Args[i], strict)
					}
				}
			case *ast.ValueSpec: // const codeMsg = "error.code_shape", MsgPlan = …
				for i, id := range x.Names {
					if (strings.HasPrefix(id.Name, "Msg") || strings.HasSuffix(id.Name, "Msg")) && i < len(x.Values) {
						check(x.Values[i], true)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && (k.Name == "Message" || k.Name == "Flash" || k.Name == "Banner") {
					check(x.Value, false)
				}
			case *ast.AssignStmt:
				for i, l := range x.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Flash" || sel.Sel.Name == "Title") && i < len(x.Rhs) {
						check(x.Rhs[i], true)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("scanned %d Go files; is the repository layout what the test expects?", n)
	}
}

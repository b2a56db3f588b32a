package i18n

import (
	"slices"
	"strings"
	"testing"
)

// pluralForms are the CLDR plural categories of cardinal numbers each
// language needs (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html).
var pluralForms = map[string][]string{
	"ru": {"few", "many", "one", "other"},
	"en": {"one", "other"},
}

func TestEmbeddedCatalogLoads(t *testing.T) {
	c := Embedded()
	for _, l := range Languages {
		if len(c.Codes(l)) == 0 {
			t.Fatalf("%s: no messages", l)
		}
	}
}

// TestEveryCodeInEveryLanguage fails when a code lacks a language, when a
// plural message lacks a form its language needs, or when the languages'
// texts of one code use different arguments.
func TestEveryCodeInEveryLanguage(t *testing.T) {
	raw := map[string]map[string]map[string]string{}
	for _, l := range Languages {
		r, err := Raw(l)
		if err != nil {
			t.Fatal(err)
		}
		raw[l] = r
	}
	for _, l := range Languages {
		for code, forms := range raw[l] {
			for _, other := range Languages {
				if _, ok := raw[other][code]; !ok {
					t.Errorf("%s is in %s.json but not in %s.json", code, l, other)
				}
			}
			if len(forms) > 1 || forms["one"] != "" {
				var have []string
				for f := range forms {
					have = append(have, f)
				}
				slices.Sort(have)
				if !slices.Equal(have, pluralForms[l]) {
					t.Errorf("%s in %s: plural forms %v, want %v", code, l, have, pluralForms[l])
				}
			}
			for _, other := range Languages {
				if of, ok := raw[other][code]; ok && !slices.Equal(Placeholders(forms["other"]), Placeholders(of["other"])) {
					t.Errorf("%s: %s uses %v, %s uses %v", code, l, Placeholders(forms["other"]), other, Placeholders(of["other"]))
				}
			}
			for f, text := range forms {
				if strings.TrimSpace(text) == "" && code != "none" {
					t.Errorf("%s in %s: form %s is empty", code, l, f)
				}
			}
		}
	}
}

func TestPlurals(t *testing.T) {
	for _, tc := range []struct {
		lang, code string
		n          int
		want       string
	}{
		{"ru", "n_users", 1, "1 пользователь"},
		{"ru", "n_users", 3, "3 пользователя"},
		{"ru", "n_users", 11, "11 пользователей"},
		{"ru", "n_users", 21, "21 пользователь"},
		{"ru", "n_organizations", 22, "22 организации"},
		{"ru", "n_organizations", 25, "25 организаций"},
		{"en", "n_users", 1, "1 user"},
		{"en", "n_users", 22, "22 users"},
	} {
		if got := Text(tc.lang, tc.code, Args(CountArg, tc.n)); got != tc.want {
			t.Errorf("%s %s %d = %q, want %q", tc.lang, tc.code, tc.n, got, tc.want)
		}
	}
}

func TestTextFallsBackToTheCode(t *testing.T) {
	if got := Text("ru", "no.such.code", nil); got != "no.such.code" {
		t.Fatalf("unknown code rendered as %q", got)
	}
	if got := Text("de", "nav.home", nil); got != Text(Default, "nav.home", nil) {
		t.Fatalf("unsupported language: %q", got)
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct{ user, city, accept, want string }{
		{"", "", "", "ru"},
		{"en", "ru", "ru", "en"},               // the user's choice first
		{"", "ru", "en-US,en;q=0.9", "ru"},     // the city's locale before the browser
		{"", "en-GB", "ru", "en"},              // a regional locale
		{"", "", "de,en;q=0.8,ru;q=0.5", "en"}, // the browser, by quality
		{"", "", "ru;q=0.1,en;q=0.9", "en"},
		{"fr", "de", "de", "ru"}, // nothing supported: the default
	} {
		if got := Choose(tc.user, tc.city, tc.accept); got != tc.want {
			t.Errorf("Choose(%q, %q, %q) = %q, want %q", tc.user, tc.city, tc.accept, got, tc.want)
		}
	}
}

// A message stored as JSON and read back renders the same, nested
// messages and plural counts included.
func TestMsgRoundTrip(t *testing.T) {
	m := M("event.route", "Reason", M("route.no_rule_skipped", "Skipped", []Msg{
		M("route.skipped", "Rule", 2, "Name", "Лифты", "Miss", M("route.miss.no_supplier", "Utility", Code("utility.water")))}),
		"Source", "rules")
	v, err := m.Value()
	if err != nil {
		t.Fatal(err)
	}
	var back Msg
	if err := back.Scan(v); err != nil {
		t.Fatal(err)
	}
	want := "ни одно правило не подошло: на разбор диспетчеру (правило 2 «Лифты» пропущено: нет действующего поставщика ресурса «вода») [rules]"
	if got := m.Text("ru"); got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
	if got := back.Text("ru"); got != want {
		t.Errorf("read back %q, want %q", got, want)
	}
	if got := M("event.auto_closed", "Count", 21).Text("ru"); got != "закрыто автоматически: нет подтверждения в течение 21 дня" {
		t.Errorf("plural: %q", got)
	}
	var none Msg
	if err := none.Scan(""); err != nil || !none.IsZero() {
		t.Errorf("empty note: %v %v", none, err)
	}
}

// Package i18n is OpenCity's one message catalog: every text a person reads
// — page words, problem details, field errors, history events, routing
// reasons — in Russian and English. The texts live in locales/<lang>.json
// (go-i18n's JSON format, embedded in the binary); a message is named by
// its code ("error.required", "nav.home") and takes named arguments that
// its text uses as {{.Name}}. Plurals follow the CLDR rules of the language
// (github.com/nicksnyder/go-i18n/v2): a message with plural forms is chosen
// by its "Count" argument, e.g. {"one": "{{.Count}} пользователь",
// "few": "{{.Count}} пользователя", "many": "{{.Count}} пользователей"}.
//
// The package imports nothing of OpenCity, so the domain and every adapter
// can render from it.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Languages the catalog speaks; the first is the default.
var Languages = []string{"ru", "en"}

// Default is the language used when nothing else chooses one.
const Default = "ru"

// CountArg is the argument that chooses a plural form.
const CountArg = "Count"

// Catalog is the parsed catalog: one localizer per language.
type Catalog struct {
	bundle *goi18n.Bundle
	loc    map[string]*goi18n.Localizer
	codes  map[string]map[string]bool   // language → codes it defines
	raw    map[string]map[string]string // language → code → its text as written (one-form messages)
}

// Load parses the catalog files of fsys (a directory of <lang>.json).
func Load(fsys fs.FS) (*Catalog, error) {
	b := goi18n.NewBundle(language.Make(Default))
	c := &Catalog{bundle: b, loc: map[string]*goi18n.Localizer{}, codes: map[string]map[string]bool{}, raw: map[string]map[string]string{}}
	for _, l := range Languages {
		name := l + ".json"
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		c.codes[l] = map[string]bool{}
		c.raw[l] = map[string]string{}
		for _, m := range mf.Messages {
			c.codes[l][m.ID] = true
			if m.Other != "" && m.One == "" && m.Few == "" && m.Many == "" {
				c.raw[l][m.ID] = m.Other
			}
		}
		c.loc[l] = goi18n.NewLocalizer(b, l)
	}
	return c, nil
}

var embedded = sync.OnceValue(func() *Catalog {
	sub, err := fs.Sub(files, "locales")
	if err != nil {
		panic(err)
	}
	c, err := Load(sub)
	if err != nil {
		panic(err) // the embedded files are checked by the package's tests
	}
	return c
})

// Embedded is the catalog compiled into the binary.
func Embedded() *Catalog { return embedded() }

// Has reports whether code is defined in lang.
func (c *Catalog) Has(lang, code string) bool { return c.codes[lang][code] }

// Codes lists the codes defined in lang, sorted.
func (c *Catalog) Codes(lang string) []string {
	out := make([]string, 0, len(c.codes[lang]))
	for k := range c.codes[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Text renders code in lang with its named arguments. An argument named
// Count chooses the plural form. A code the catalog does not know is
// returned as it is (the completeness test keeps that from happening).
func (c *Catalog) Text(lang, code string, args map[string]any) string {
	return c.TextNamed(lang, code, args, nil)
}

// Namer renders a plain argument value as a name in the reader's language
// (a directory code as the entry's name); ok is false to keep the value.
type Namer func(arg, value string) (name string, ok bool)

// TextNamed is Text with the string arguments, in this message and in the
// messages among its arguments, passed through names (nil for none).
func (c *Catalog) TextNamed(lang, code string, args map[string]any, names Namer) string {
	if code == "" {
		return ""
	}
	l, ok := c.loc[lang]
	if !ok {
		l = c.loc[Default]
	}
	if !c.codes[Default][code] && !c.codes[lang][code] {
		return code
	}
	args = c.resolve(lang, args, names)
	cfg := &goi18n.LocalizeConfig{MessageID: code, TemplateData: args}
	if n, ok := args[CountArg]; ok {
		if f, isFloat := n.(float64); isFloat { // a count read back from JSON
			n = strconv.FormatFloat(f, 'f', -1, 64)
		}
		cfg.PluralCount = n
	}
	s, err := l.Localize(cfg)
	if err != nil && s == "" {
		return code
	}
	return s
}

// Code is an argument that is itself a message of the catalog, rendered in
// the same language: E(ECONFLICT, "error.transition", "Status", i18n.Code("status.new")).
type Code string

// MarshalJSON keeps a Code a message when stored: {"code": "status.new"}.
func (c Code) MarshalJSON() ([]byte, error) { return json.Marshal(Msg{Code: string(c)}) }

// resolve renders the arguments of args that are messages themselves (a
// Code, a Msg, a list of Msgs) in lang.
func (c *Catalog) resolve(lang string, args map[string]any, names Namer) map[string]any {
	var out map[string]any
	set := func(k string, s string) {
		if out == nil {
			out = make(map[string]any, len(args))
			for k2, v2 := range args {
				out[k2] = v2
			}
		}
		out[k] = s
	}
	for k, v := range args {
		switch x := v.(type) {
		case Code:
			set(k, c.Text(lang, string(x), nil))
		case string:
			if names != nil {
				if n, ok := names(k, x); ok {
					set(k, n)
				}
			}
		case []Msg:
			parts := make([]string, len(x))
			for i, m := range x {
				parts[i] = c.TextNamed(lang, m.Code, m.Args, names)
			}
			set(k, strings.Join(parts, "; "))
		case []any:
			parts := make([]string, 0, len(x))
			for _, e := range x {
				if m, ok := asMsg(e); ok {
					parts = append(parts, c.TextNamed(lang, m.Code, m.Args, names))
				}
			}
			set(k, strings.Join(parts, "; "))
		default:
			if m, ok := asMsg(v); ok {
				set(k, c.TextNamed(lang, m.Code, m.Args, names))
			} else if t, ok := asTexts(v); ok {
				set(k, t.In(lang))
			}
		}
	}
	if out == nil {
		return args
	}
	return out
}

// Raw returns the text of a one-form message as written in the catalog,
// its {{.Name}} arguments unrendered ("" for an unknown code), so that it
// can serve as the default of a template a city may edit.
func (c *Catalog) Raw(lang, code string) string {
	if s, ok := c.raw[lang][code]; ok {
		return s
	}
	return c.raw[Default][code]
}

// Source is Catalog.Raw of the embedded catalog: a message's text as
// written, for a template that starts from it.
func Source(lang, code string) string { return Embedded().Raw(lang, code) }

// Text renders code in lang from the embedded catalog.
func Text(lang, code string, args map[string]any) string {
	return Embedded().Text(lang, code, args)
}

// Args turns key/value pairs ("Max", 200, "Field", "name") into named
// arguments; a key that is not a string is printed with %v.
func Args(kv ...any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		if i+1 < len(kv) {
			m[k] = kv[i+1]
		} else {
			m[k] = ""
		}
	}
	return m
}

// Supported reports whether the catalog speaks lang.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Choose is the one rule that picks the language a person reads: their
// own choice (a saved preference or the page's language switch), else the
// city's locale ("ru", "en", "ru-RU"…), else the browser's Accept-Language
// header (RFC 9110 §12.5.4, quality values honoured), else Default. Empty
// or unsupported values are skipped.
func Choose(userChoice, cityLocale, acceptLanguage string) string {
	for _, v := range []string{userChoice, cityLocale} {
		if l := base(v); l != "" {
			return l
		}
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil {
			for _, t := range tags {
				if l := base(t.String()); l != "" {
					return l
				}
			}
		}
	}
	return Default
}

// base is the supported language of a tag like "ru-RU", "" when none.
func base(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if Supported(tag) {
		return tag
	}
	return ""
}

// Placeholders lists the argument names a text uses ({{.Max}} → "Max").
func Placeholders(text string) []string {
	var out []string
	for {
		i := strings.Index(text, "{{.")
		if i < 0 {
			break
		}
		text = text[i+3:]
		j := strings.IndexAny(text, " }|")
		if j < 0 {
			break
		}
		out = append(out, text[:j])
		text = text[j:]
	}
	sort.Strings(out)
	return out
}

// rawFile is a catalog file read as plain JSON, for the checks of tests.
type rawFile map[string]json.RawMessage

// Raw returns the messages of lang's file as written: each code with its
// forms ("other" for a plain text; "one", "few", "many", "other" … for a
// plural one). It reads the embedded files; tests use it to check forms
// and placeholders across languages.
func Raw(lang string) (map[string]map[string]string, error) {
	data, err := files.ReadFile(path.Join("locales", lang+".json"))
	if err != nil {
		return nil, err
	}
	var f rawFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for code, raw := range f {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[code] = map[string]string{"other": s}
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(raw, &forms); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", lang, code, err)
		}
		out[code] = forms
	}
	return out, nil
}

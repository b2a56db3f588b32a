package i18n

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Msg is a text for a person kept as data: the code of a catalog message
// and its named arguments, rendered in the reader's language only when
// shown. An argument may itself be a Code, a Msg or a list of Msgs (joined
// with "; "), rendered in the same language; that is how a routing
// decision names the rule and the reason inside its own sentence.
//
// A Msg is stored as its JSON ({"code": …, "args": {…}}; "" for none) in a
// text column: it implements sql.Scanner and driver.Valuer.
type Msg struct {
	Code string         `json:"code"`
	Args map[string]any `json:"args,omitempty"`
}

// M builds a Msg from a code and key/value pairs of arguments.
func M(code string, kv ...any) Msg { return Msg{Code: code, Args: Args(kv...)} }

// Text renders the message in lang from the embedded catalog.
func (m Msg) Text(lang string) string { return Text(lang, m.Code, m.Args) }

// IsZero reports whether there is no message.
func (m Msg) IsZero() bool { return m.Code == "" }

// Value stores the message as JSON text, "" for none.
func (m Msg) Value() (driver.Value, error) {
	if m.Code == "" {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// Scan reads a message stored by Value.
func (m *Msg) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("i18n: cannot scan %T into a Msg", src)
	}
	*m = Msg{}
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), m)
}

// asMsg reads an argument that is a message: a Msg, or the map a Msg
// becomes after a JSON round trip.
// Texts is an argument a person wrote in each language (an outage's notice
// to residents), by language; a message shows the reader's, else the
// default language's, else any. Stored as JSON it reads back as a map of
// languages, which Texts recognizes too.
type Texts map[string]string

// In returns the text for lang.
func (t Texts) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	if s := t[Default]; s != "" {
		return s
	}
	for _, l := range Languages {
		if s := t[l]; s != "" {
			return s
		}
	}
	return ""
}

// asTexts reads an argument as Texts: one itself, or a JSON object whose
// keys are all languages of the catalog and whose values are strings.
func asTexts(v any) (Texts, bool) {
	switch x := v.(type) {
	case Texts:
		return x, true
	case map[string]any:
		if len(x) == 0 {
			return nil, false
		}
		t := Texts{}
		for k, s := range x {
			str, ok := s.(string)
			if !ok || !slices.Contains(Languages, k) {
				return nil, false
			}
			t[k] = str
		}
		return t, true
	}
	return nil, false
}

func asMsg(v any) (Msg, bool) {
	switch x := v.(type) {
	case Msg:
		return x, true
	case *Msg:
		if x != nil {
			return *x, true
		}
	case map[string]any:
		code, ok := x["code"].(string)
		if !ok {
			return Msg{}, false
		}
		args, _ := x["args"].(map[string]any)
		return Msg{Code: code, Args: args}, true
	}
	return Msg{}, false
}

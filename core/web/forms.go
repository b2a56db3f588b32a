package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// MaxForm bounds a form body (uploads use their own limit).
const MaxForm = 1 << 20

// Form is a submitted form with the errors of its conversions: decoding a
// field that is not a number records a message for that field, shown next
// to it like the domain's own field errors.
type Form struct {
	Values url.Values
	Errors core.FieldErrors
}

// ReadForm parses the body (url-encoded or multipart) of a request.
func ReadForm(c *gin.Context) *Form {
	r := c.Request
	if r.Body != nil && r.Form == nil {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			_ = r.ParseMultipartForm(32 << 20)
		} else {
			r.Body = http.MaxBytesReader(c.Writer, r.Body, MaxForm)
			_ = r.ParseForm()
		}
	}
	v := url.Values{}
	if r.PostForm != nil {
		for k, vs := range r.PostForm {
			v[k] = vs
		}
	}
	if r.MultipartForm != nil {
		for k, vs := range r.MultipartForm.Value {
			v[k] = vs
		}
	}
	return &Form{Values: v, Errors: core.FieldErrors{}}
}

// String is a field's value without surrounding spaces.
func (f *Form) String(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// Bool is true for a ticked checkbox ("on", "true", "1", "yes").
func (f *Form) Bool(name string) bool {
	switch strings.ToLower(f.String(name)) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// Int64 is a whole number field; empty is 0.
func (f *Form) Int64(name string) int64 {
	p := f.OptInt64(name)
	if p == nil {
		return 0
	}
	return *p
}

// OptInt64 is a whole number field; empty is nil.
func (f *Form) OptInt64(name string) *int64 {
	s := f.String(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.Errors.Add(name, "error.not_integer")
		return nil
	}
	return &n
}

// Duration is a field like "2h", "30m", "1h30m" or "2ч 30мин"; a bare
// number is hours.
// Empty is 0.
func (f *Form) Duration(name string) time.Duration {
	s := strings.ReplaceAll(f.String(name), " ", "")
	s = russianUnits.Replace(strings.ToLower(s))
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64); err == nil {
		return time.Duration(n * float64(time.Hour))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		f.Errors.Add(name, "error.duration")
		return 0
	}
	return d
}

// russianUnits lets a duration be written as on a Russian page: "2ч30мин".
var russianUnits = strings.NewReplacer("мин", "m", "м", "m", "ч", "h")

// Err is the conversion errors as an EINVALID *core.Error, nil when none.
func (f *Form) Err() error { return f.Errors.Err() }

// Confirmed reports whether a destructive form was sent with its explicit
// confirmation checkbox ticked (name "confirm").
func Confirmed(f *Form) bool { return f.Bool("confirm") }

// Confirmation is the confirmation step of a destructive action: a page
// restating what will happen, with the form's own fields kept hidden, a
// checkbox to tick and the button that posts to Action again.
type Confirmation struct {
	Question string     // message key (or text) saying what will happen
	Subject  string     // what it happens to: a city's name, a rule's number
	Action   string     // the URL the confirmed form posts to
	Back     string     // where "cancel" goes
	Hidden   url.Values // fields to send again (csrf and confirm are added)
	Danger   bool       // red button
}

// Confirm renders the confirmation step; when the form was sent without
// ticking the box, the box carries its message.
func (k *Kit) Confirm(c *gin.Context, p *Page, cf Confirmation) {
	if p.Errors == nil {
		p.Errors = core.FieldErrors{}
	}
	if cf.Hidden != nil {
		h := url.Values{}
		for key, vs := range cf.Hidden {
			if key != "confirm" && key != "csrf_token" {
				h[key] = vs
			}
		}
		cf.Hidden = h
		if _, sent := cf.Hidden["confirm_step"]; sent {
			p.Errors["confirm"] = core.M("confirm_required")
		}
		cf.Hidden.Set("confirm_step", "1")
	} else {
		cf.Hidden = url.Values{"confirm_step": {"1"}}
	}
	p.Title = "confirm_title"
	p.Data = cf
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	k.views.Render(c, status, "confirm.html", p)
}

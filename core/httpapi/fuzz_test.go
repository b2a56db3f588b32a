package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// fuzzServers are one demo server per backend for a fuzz target: every
// input goes to both.
func fuzzServers(f *testing.F) []*servertest.Server {
	f.Helper()
	var out []*servertest.Server
	for _, kind := range tenanttest.Kinds {
		out = append(out, servertest.Start(f, kind))
	}
	return out
}

// strictCredentials decodes body as the one JSON object a login takes,
// with nothing after it; ok is false for anything else.
func strictCredentials(body []byte) (login, password string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in struct {
		Login    *string `json:"login"`
		Password *string `json:"password"`
	}
	if err := dec.Decode(&in); err != nil || in.Login == nil || in.Password == nil {
		return "", "", false
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return "", "", false
	}
	return *in.Login, *in.Password, true
}

// FuzzLoginBody sends any body to the city API's login, on both backends:
// never a 5xx, every refusal a problem document, and a token only for a
// body that is exactly one JSON object with a demo account's login and
// password — trailing data, a second object or an unknown field never log
// anyone in.
func FuzzLoginBody(f *testing.F) {
	f.Add([]byte(`{"login":"citizen","password":"demo"}`))
	f.Add([]byte(`{"login":"citizen","password":"demo"}}`))
	f.Add([]byte(`{"login":"citizen","password":"demo"}{"login":"x"}`))
	f.Add([]byte(`{"login":"citizen","password":"demo","role":"city_admin"}`))
	f.Add([]byte(`{"login":"CITIZEN ","password":"demo"}`))
	f.Add([]byte(`{"login":["citizen"],"password":"demo"}`))
	f.Add([]byte(`{"login":"citizen","password":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	servers := fuzzServers(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range servers {
			r := s.WithT(t).Call("POST", "/t/kazan/api/v1/auth/token", "", body)
			if r.Status >= 500 {
				t.Fatalf("%s: %d for %q: %s", s.DB.Kind, r.Status, body, r.Body)
			}
			if r.Status != http.StatusCreated {
				if ctype := r.Header.Get("Content-Type"); ctype != "application/problem+json" {
					t.Fatalf("%s: %d as %q for %q", s.DB.Kind, r.Status, ctype, body)
				}
				continue
			}
			login, password, ok := strictCredentials(body)
			if !ok || password != "demo" || !strings.Contains(" admin dispatcher operator analyst citizen ", " "+strings.ToLower(strings.TrimSpace(login))+" ") {
				t.Fatalf("%s: a token for %q", s.DB.Kind, body)
			}
		}
	})
}

// FuzzIntakeJSON sends any body to the intake as a dispatcher, on both
// backends: never a 5xx, every refusal a problem document with a message,
// and every request it accepts can be read back as JSON.
func FuzzIntakeJSON(f *testing.F) {
	f.Add([]byte(`{"category":"lift","building_id":1,"description":"Лифт не работает","applicant":{"name":"Иван","phone":"+7 917 123-45-67"}}`))
	f.Add([]byte(`{"category":"lift","location":{"lat":55.79,"lon":49.12},"description":"x","applicant":{"phone":"+79171234567"}}`))
	f.Add([]byte(`{"category":"lift","location":{"lat":1e400,"lon":49.12},"description":"x","applicant":{"phone":"+79171234567"}}`))
	f.Add([]byte(`{"category":"lift","address":"ул. Баумана, 1","description":"x","priority":"emergency","channel":"external","applicant":{"email":"a@b.c"}}`))
	f.Add([]byte(`{"category":"lift","building_id":-1,"description":"\u0000"}`))
	f.Add([]byte(`{"category":"lift","building_id":9223372036854775807,"description":"x","applicant":{"phone":"1"}}`))
	f.Add([]byte(`{"category":"lift","building_id":1,"description":"x"}}`))
	f.Add([]byte(`{"category":{"code":"lift"}}`))
	f.Add([]byte(`null`))
	servers := fuzzServers(f)
	tokens := make([]string, len(servers))
	for i, s := range servers {
		tokens[i] = s.Login("kazan", "dispatcher")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for i, s := range servers {
			c := s.WithT(t)
			answer := c.Call("POST", "/t/kazan/api/v1/requests", tokens[i], body)
			if answer.Status >= 500 {
				t.Fatalf("%s: %d for %q: %s", s.DB.Kind, answer.Status, body, answer.Body)
			}
			if answer.Status != http.StatusCreated && answer.Status != http.StatusOK {
				var p struct {
					Detail string `json:"detail"`
				}
				if ctype := answer.Header.Get("Content-Type"); ctype != "application/problem+json" || json.Unmarshal(answer.Body, &p) != nil || p.Detail == "" {
					t.Fatalf("%s: %d as %q without a message for %q: %s", s.DB.Kind, answer.Status, ctype, body, answer.Body)
				}
				continue
			}
			var r struct {
				Number string `json:"number"`
			}
			if err := json.Unmarshal(answer.Body, &r); err != nil || r.Number == "" {
				t.Fatalf("%s: accepted without a number: %s", s.DB.Kind, answer.Body)
			}
			got := c.Call("GET", "/t/kazan/api/v1/requests/"+r.Number, tokens[i], nil)
			if got.Status != http.StatusOK || !json.Valid(got.Body) {
				t.Fatalf("%s: request %s from %q reads back as %d: %s", s.DB.Kind, r.Number, body, got.Status, got.Body)
			}
		}
	})
}

// TestNotANumberCoordinates is the attacker who types NaN where a number
// belongs — a point on the portal form, coordinates in a registry CSV —
// which would be stored and then break every answer that shows it: both
// are refused with a field message and nothing is stored.
func TestNotANumberCoordinates(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit, admin := s.Login("kazan", "citizen"), s.Login("kazan", "admin")
			before := s.Call("GET", "/t/kazan/api/v1/requests?total=true", cit, nil).JSON(t)["total"]
			r := s.Page("POST", "/t/kazan/new", cit, map[string]string{"category": "lift", "location.lat": "NaN",
				"location.lon": "nan", "description": "Лифт", "applicant.phone": "+79171234567"}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "от −90 до 90") {
				t.Errorf("portal with NaN coordinates: %d %.500s", r.Status, r.Body)
			}
			if after := s.Call("GET", "/t/kazan/api/v1/requests?total=true", cit, nil).JSON(t)["total"]; after != before {
				t.Errorf("a request was stored: %v → %v", before, after)
			}
			csv := "registry_id,address_ru,district,lat,lon\nNAN-1,ул. Баумана 1,vakhitovsky,NaN,49.1\n"
			req, _ := http.NewRequest("POST", s.URL()+"/t/kazan/api/v1/buildings/import", strings.NewReader(csv))
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "text/csv")
			rep := s.Do(req)
			if rep.Status >= 300 || !strings.Contains(string(rep.Body), `"field":"lat"`) {
				t.Errorf("CSV with a NaN latitude: %d %s", rep.Status, rep.Body)
			}
			if g := s.Call("GET", "/t/kazan/api/v1/buildings?q=NAN-1", admin, nil); g.Status != http.StatusOK || strings.Contains(string(g.Body), "NAN-1") {
				t.Errorf("the NaN building was stored: %d %s", g.Status, g.Body)
			}
		})
	}
}

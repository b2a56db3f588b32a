package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
)

func TestRegisterAndPasswords(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := "/t/kazan/api/v1"
			bad := s.Call("POST", base+"/auth/register", "", map[string]string{"email": "nope@", "phone": "call me", "password": "short"})
			f := bad.Fields(t)
			if bad.Status != 422 || f["email"] == nil || f["phone"] == nil || f["password"] == nil {
				t.Errorf("bad registration: %d %s", bad.Status, bad.Body)
			}
			if r := s.Call("POST", base+"/auth/register", "", map[string]string{"password": "long enough"}); r.Status != 422 || r.Fields(t)["email"] == nil {
				t.Errorf("registration without e-mail or phone: %d %s", r.Status, r.Body)
			}
			ok := s.Call("POST", base+"/auth/register", "", map[string]string{"email": "Anna@Example.org", "password": "anna's password", "name": "Анна"})
			if ok.Status != 201 || ok.JSON(t)["role"] != "citizen" || ok.JSON(t)["login"] != "anna@example.org" {
				t.Fatalf("registration: %d %s", ok.Status, ok.Body)
			}
			if r := s.Call("POST", base+"/auth/register", "", map[string]string{"email": "anna@example.org", "password": "another password"}); r.Status != 409 {
				t.Errorf("duplicate registration: %d %s", r.Status, r.Body)
			}
			byPhone := s.Call("POST", base+"/auth/register", "", map[string]string{"phone": "+7 (917) 555-44-33", "password": "phone password"})
			if byPhone.Status != 201 || byPhone.JSON(t)["login"] != "+79175554433" {
				t.Errorf("registration by phone: %d %s", byPhone.Status, byPhone.Body)
			}
			// The same e-mail is free in another city.
			if r := s.Call("POST", "/t/nizhnekamsk/api/v1/auth/register", "", map[string]string{"email": "anna@example.org", "password": "anna's password"}); r.Status != 201 {
				t.Errorf("registration in another city: %d %s", r.Status, r.Body)
			}
			one := s.LoginPassword("kazan", "anna@example.org", "anna's password")
			two := s.LoginPassword("kazan", "ANNA@example.org", "anna's password")
			s.Submit("kazan", one, "registered citizen's request")

			if r := s.Call("POST", base+"/auth/password", one, map[string]string{"current": "wrong", "new": "a new password"}); r.Status != 422 || r.Fields(t)["current"] == nil {
				t.Errorf("wrong current password: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/auth/password", one, map[string]string{"current": "anna's password", "new": "short"}); r.Status != 422 || r.Fields(t)["new"] == nil {
				t.Errorf("short new password: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/auth/password", one, map[string]string{"current": "anna's password", "new": "a new password"}); r.Status != 204 {
				t.Fatalf("change password: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", base+"/requests", two, nil); r.Status != 401 {
				t.Errorf("the other session survived a password change: %d", r.Status)
			}
			if r := s.Call("GET", base+"/requests", one, nil); r.Status != 200 {
				t.Errorf("the session that changed the password was ended: %d", r.Status)
			}
			if r := s.Call("POST", base+"/auth/token", "", map[string]string{"login": "anna@example.org", "password": "anna's password"}); r.Status != 401 {
				t.Errorf("old password still works: %d", r.Status)
			}
			s.LoginPassword("kazan", "anna@example.org", "a new password")

			if r := s.Call("POST", base+"/auth/logout", one, nil); r.Status != 204 {
				t.Fatalf("logout: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", base+"/requests", one, nil); r.Status != 401 {
				t.Errorf("token works after logout: %d", r.Status)
			}
		})
	}
}

func TestLoginLockout(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			wrong := map[string]string{"login": "dispatcher", "password": "guess"}
			for i := 0; i < 5; i++ {
				start := time.Now()
				if r := s.Call("POST", "/t/kazan/api/v1/auth/token", "", wrong); r.Status != 401 {
					t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
				}
				if took, slow := time.Since(start), time.Duration(i+1)*core.LoginSlowdown; took < slow {
					t.Errorf("failure %d answered in %v, want at least %v", i+1, took, slow)
				}
			}
			for _, body := range []map[string]string{wrong, {"login": "Dispatcher ", "password": "demo"}} {
				r := s.Call("POST", "/t/kazan/api/v1/auth/token", "", body)
				if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || bytes.Contains(r.Body, []byte(`"token":`)) {
					t.Errorf("locked login %v: %d %q %s", body, r.Status, r.Header.Get("Retry-After"), r.Body)
				}
			}
			// Other logins and the same login in another city are not locked.
			s.Login("kazan", "analyst")
			s.Login("nizhnekamsk", "dispatcher")
		})
	}
}

func TestInvitesUsersAndAPITokens(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := "/t/kazan/api/v1"
			admin := s.Login("kazan", "admin")
			for _, tc := range []struct {
				body  map[string]any
				field string
			}{
				{map[string]any{"login": "x", "role": "dispatcher"}, "login"},
				{map[string]any{"login": "boss", "role": "vendor_admin"}, "role"},
				{map[string]any{"login": "boss", "role": "anonymous"}, "role"},
				{map[string]any{"login": "boss", "role": "Boss!"}, "role"},
				{map[string]any{"login": "boss", "role": "org_operator", "organization_id": 987654}, "organization_id"},
			} {
				r := s.Call("POST", base+"/users", admin, tc.body)
				if r.Status != 422 || r.Fields(t)[tc.field] == nil {
					t.Errorf("invite %v: %d %s", tc.body, r.Status, r.Body)
				}
			}
			r := s.Call("POST", base+"/users", admin, map[string]any{"login": "inspector", "name": "Инспектор", "role": "dispatcher"})
			if r.Status != 201 {
				t.Fatalf("invite: %d %s", r.Status, r.Body)
			}
			user := r.JSON(t)["user"].(map[string]any)
			id := int64(user["id"].(float64))
			invite := r.JSON(t)["invite_token"].(string)
			if r := s.Call("POST", base+"/auth/token", "", map[string]string{"login": "inspector", "password": "!"}); r.Status != 401 {
				t.Errorf("invited user logs in before setting a password: %d", r.Status)
			}
			if r := s.Call("POST", "/t/nizhnekamsk/api/v1/auth/invite", "", map[string]string{"token": invite, "password": "inspector pw"}); r.Status != 404 {
				t.Errorf("kazan invite redeemed in nizhnekamsk: %d", r.Status)
			}
			if r := s.Call("POST", base+"/auth/invite", "", map[string]string{"token": invite, "password": "inspector pw"}); r.Status != 200 {
				t.Fatalf("redeem: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/auth/invite", "", map[string]string{"token": invite, "password": "hijacked pw"}); r.Status != 404 {
				t.Errorf("invite redeemed twice: %d", r.Status)
			}
			insp := s.LoginPassword("kazan", "inspector", "inspector pw")
			if r := s.Call("POST", base+"/users", insp, map[string]any{"login": "x2", "role": "city_admin"}); r.Status != 403 {
				t.Errorf("a dispatcher invited a user: %d", r.Status)
			}
			if r := s.Call("PATCH", base+"/users/"+itoa(id), admin, map[string]any{"role": "vendor_admin"}); r.Status != 422 {
				t.Errorf("vendor role granted: %d %s", r.Status, r.Body)
			}
			me := s.Call("GET", base+"/users", admin, nil)
			if me.Status != 200 || !strings.Contains(string(me.Body), `"login":"inspector"`) || strings.Contains(string(me.Body), "~") ||
				strings.Contains(string(me.Body), "password") {
				t.Errorf("user list: %d %s", me.Status, me.Body)
			}
			if r := s.Call("PATCH", base+"/users/"+itoa(id), admin, map[string]any{"active": false}); r.Status != 200 {
				t.Fatalf("deactivate: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", base+"/requests", insp, nil); r.Status != 401 {
				t.Errorf("deactivated user's token still works: %d", r.Status)
			}

			// API tokens: shown once, stored hashed, bound to their role, revocable.
			r = s.Call("POST", base+"/tokens", admin, map[string]string{"name": "1C export", "role": "analyst"})
			if r.Status != 201 {
				t.Fatalf("API token: %d %s", r.Status, r.Body)
			}
			raw, tid := r.JSON(t)["token"].(string), itoa(int64(r.JSON(t)["id"].(float64)))
			if list := s.Call("GET", base+"/tokens", admin, nil); list.Status != 200 || bytes.Contains(list.Body, []byte(raw)) || !bytes.Contains(list.Body, []byte("1C export")) {
				t.Errorf("token list: %d %s", list.Status, list.Body)
			}
			if r := s.Call("GET", base+"/requests", raw, nil); r.Status != 200 {
				t.Errorf("analyst API token reads requests: %d", r.Status)
			}
			if r := s.Call("POST", base+"/requests", raw, map[string]any{"category": "lift", "building_id": 1, "description": "x"}); r.Status != 403 {
				t.Errorf("analyst API token created a request: %d", r.Status)
			}
			if r := s.Call("GET", "/t/nizhnekamsk/api/v1/requests", raw, nil); r.Status != 401 {
				t.Errorf("kazan API token in nizhnekamsk: %d", r.Status)
			}
			if r := s.Call("DELETE", "/t/nizhnekamsk/api/v1/tokens/"+tid, s.Login("nizhnekamsk", "admin"), nil); r.Status == 204 {
				if r := s.Call("GET", base+"/requests", raw, nil); r.Status != 200 {
					t.Errorf("nizhnekamsk's admin revoked a kazan token")
				}
			}
			if r := s.Call("DELETE", base+"/tokens/"+tid, admin, nil); r.Status != 204 {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", base+"/requests", raw, nil); r.Status != 401 {
				t.Errorf("revoked API token works: %d", r.Status)
			}
			if r := s.Call("DELETE", base+"/tokens/999999", admin, nil); r.Status != 404 {
				t.Errorf("revoke unknown token: %d", r.Status)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAnonymousRequests(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := "/t/kazan/api/v1"
			body := map[string]any{"category": "lift", "building_id": 1, "description": "Лифт стоит, подъезд 2",
				"applicant": map[string]string{"name": "Пётр Аноним", "phone": "+7 917 222-33-44"}}
			if r := s.Call("POST", base+"/public/requests", "", body); r.Status != 403 {
				t.Errorf("anonymous submission while the city forbids it: %d %s", r.Status, r.Body)
			}
			admin := s.Login("kazan", "admin")
			if r := s.Call("PUT", base+"/settings/access", admin, map[string]any{"anonymous_submissions": "yes"}); r.Status != 422 {
				t.Errorf("bad setting: %d %s", r.Status, r.Body)
			}
			if r := s.Call("PUT", base+"/settings/access", admin, map[string]any{"anonymous_submissions": true}); r.Status != 200 || r.JSON(t)["anonymous_submissions"] != true {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/public/requests", "", map[string]any{"category": "lift", "description": ""}); r.Status != 422 {
				t.Errorf("invalid anonymous submission: %d %s", r.Status, r.Body)
			}
			r := s.Call("POST", base+"/public/requests", "", body)
			if r.Status != 201 {
				t.Fatalf("anonymous submission: %d %s", r.Status, r.Body)
			}
			code := r.JSON(t)["tracking_code"].(string)
			number := r.JSON(t)["number"].(string)
			for _, c := range []string{code, strings.ToLower(strings.ReplaceAll(code, "-", ""))} {
				got := s.Call("GET", base+"/public/requests/"+c, "", nil)
				if got.Status != 200 || !bytes.Contains(got.Body, []byte("Лифт стоит")) || !bytes.Contains(got.Body, []byte(number)) {
					t.Errorf("follow by %s: %d %s", c, got.Status, got.Body)
				}
				for _, private := range []string{"Пётр", "222-33-44", "applicant", "organization_id"} {
					if bytes.Contains(got.Body, []byte(private)) {
						t.Errorf("public view shows %q: %s", private, got.Body)
					}
				}
			}
			if r := s.Call("GET", "/t/nizhnekamsk/api/v1/public/requests/"+code, "", nil); r.Status != 404 || bytes.Contains(r.Body, []byte("Лифт")) {
				t.Errorf("kazan tracking code in nizhnekamsk: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", base+"/public/requests/AAAA-BBBB-CCCC-DDDD", "", nil); r.Status != 404 {
				t.Errorf("unknown code: %d", r.Status)
			}
			// Staff see the anonymous request in their lists like any other.
			disp := s.Call("GET", base+"/requests/"+number, s.Login("kazan", "dispatcher"), nil)
			if disp.Status != 200 || !bytes.Contains(disp.Body, []byte("Пётр Аноним")) {
				t.Errorf("dispatcher reads the anonymous request: %d %s", disp.Status, disp.Body)
			}
			// A citizen does not see anonymous requests as theirs.
			if r := s.Call("GET", base+"/requests/"+number, s.Login("kazan", "citizen"), nil); r.Status != 404 {
				t.Errorf("citizen reads an anonymous request: %d", r.Status)
			}
		})
	}
}

func TestVendorAPI(t *testing.T) {
	s := servertest.StartOne(t)
	if r := s.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "vendor", "password": "wrong"}); r.Status != 401 {
		t.Errorf("wrong vendor password: %d", r.Status)
	}
	if r := s.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "admin", "password": "demo"}); r.Status != 401 {
		t.Errorf("a city admin logged into the vendor API: %d", r.Status)
	}
	r := s.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "vendor", "password": "demo"})
	if r.Status != 201 {
		t.Fatalf("vendor login: %d %s", r.Status, r.Body)
	}
	vt := r.JSON(t)["token"].(string)
	list := s.Call("GET", "/api/v1/vendor/tenants", vt, nil)
	for _, slug := range []string{"kazan", "nizhnekamsk", "nizhny-novgorod"} {
		if list.Status != 200 || !bytes.Contains(list.Body, []byte(`"slug":"`+slug+`"`)) {
			t.Errorf("tenant list lacks %s: %d %s", slug, list.Status, list.Body)
		}
	}
	if r := s.Call("GET", "/api/v1/vendor/tenants", s.Login("kazan", "admin"), nil); r.Status != 401 {
		t.Errorf("city admin token in the vendor API: %d", r.Status)
	}
	if r := s.Call("GET", "/t/kazan/api/v1/users", vt, nil); r.Status != 401 {
		t.Errorf("vendor token in a city: %d", r.Status)
	}
	// Repeated failures lock the vendor login too.
	for i := 0; i < 5; i++ {
		s.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "vendor", "password": "guess"})
	}
	if r := s.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "vendor", "password": "demo"}); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("locked vendor login: %d %s", r.Status, r.Body)
	}
	// A vendor user whose role lost the global policy is refused.
	if _, err := s.Backend.Control.NewRaw("UPDATE ? SET role = 'vendor_support'", s.Backend.ControlTable("vendor_users")).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := s.Call("GET", "/api/v1/vendor/tenants", vt, nil); r.Status != 403 {
		t.Errorf("vendor role without the policy: %d", r.Status)
	}
}

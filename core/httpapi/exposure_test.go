package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// A dispatcher merges one citizen's request into another citizen's. The
// first citizen, and the anonymous author of a third merged request, then
// walk every payload they can receive — API request, list, history and
// photos; pages request, my requests and tracking — and must find nothing
// the other citizen wrote or is: name, phone, e-mail, description, comments,
// reopen reason, rating, photo file names. They still follow the original's
// status and the answers staff made public.
func TestLinkedRequestsCarryNoOneElsesData(t *testing.T) {
	secrets := []string{"Алиса Секретова", "111-22-33", "alice.secret@", "ORIGINAL-DESCRIPTION",
		"ALICE-COMMENT", "alice-photo-name", "ALICE-REOPEN", "ALICE-RATING"}
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := "/t/kazan/api/v1"
			s.AddUser(t, "kazan", core.User{Login: "alice", Name: "Алиса Секретова", Phone: "+7 917 111-22-33", Email: "alice.secret@example.org", Role: core.RoleCitizen}, "")
			alice, bob := s.Login("kazan", "alice"), s.Login("kazan", "citizen")
			disp, op, admin := s.Login("kazan", "dispatcher"), s.Login("kazan", "operator"), s.Login("kazan", "admin")
			var org string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT o.code FROM organizations AS o JOIN users AS u ON u.organization_id = o.id WHERE u.login = 'operator'").Scan(ctx, &org)
			})

			// Alice's request, with everything she can add to it.
			r := s.Call("POST", base+"/requests", alice, map[string]any{"category": "yard-improvement", "building_id": 1,
				"description": "ORIGINAL-DESCRIPTION яма"})
			if r.Status != 201 {
				t.Fatalf("alice submits: %d %s", r.Status, r.Body)
			}
			orig := r.JSON(t)["number"].(string)
			if r := s.Call("POST", base+"/requests/"+orig+"/comments", alice, map[string]any{"comment": "ALICE-COMMENT звоните после 18"}); r.Status != 201 {
				t.Fatalf("alice comments: %d %s", r.Status, r.Body)
			}
			if r := s.Upload("kazan", alice, orig, "alice-photo-name.png", apitest.PNG(t)); r.Status != 201 {
				t.Fatalf("alice's photo: %d %s", r.Status, r.Body)
			}
			s.MustAct("kazan", disp, orig, "assign", map[string]string{"organization": org, "comment": "STAFF-ASSIGN-ANSWER"}, "assigned")
			if r := s.Call("POST", base+"/requests/"+orig+"/comments", disp, map[string]any{"comment": "STAFF-PUBLIC-NOTE"}); r.Status != 201 {
				t.Fatalf("public note: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/requests/"+orig+"/comments", disp, map[string]any{"comment": "STAFF-INTERNAL-NOTE", "public": false}); r.Status != 201 {
				t.Fatalf("internal note: %d %s", r.Status, r.Body)
			}
			s.MustAct("kazan", op, orig, "accept", nil, "accepted")
			s.MustAct("kazan", op, orig, "resolve", map[string]string{"comment": "STAFF-RESOLVED-ANSWER"}, "resolved")
			s.MustAct("kazan", alice, orig, "reopen", map[string]string{"comment": "ALICE-REOPEN не починили"}, "reopened")
			s.MustAct("kazan", op, orig, "accept", nil, "accepted")
			s.MustAct("kazan", op, orig, "resolve", map[string]string{"comment": "STAFF-SECOND-ANSWER"}, "resolved")
			if r := s.Call("POST", base+"/requests/"+orig+"/rating", alice, map[string]any{"rating": 2, "comment": "ALICE-RATING долго"}); r.Status != 200 {
				t.Fatalf("alice rates: %d %s", r.Status, r.Body)
			}
			var alicePhoto int64
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT a.id FROM attachments AS a JOIN requests AS r ON r.id = a.request_id WHERE r.number = ?", orig).Scan(ctx, &alicePhoto)
			})

			// Bob's request and an anonymous one are merged into Alice's.
			dup := s.Submit("kazan", bob, "и у нас яма")
			s.MustAct("kazan", disp, dup, "duplicate", map[string]string{"original": orig}, "duplicate")
			if r := s.Call("PUT", base+"/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			r = s.Call("POST", base+"/public/requests", "", map[string]any{"category": "lift", "building_id": 1,
				"description": "аноним", "applicant": map[string]string{"phone": "+7 917 000-00-09"}})
			if r.Status != 201 {
				t.Fatalf("anonymous: %d %s", r.Status, r.Body)
			}
			anon, code := r.JSON(t)["number"].(string), r.JSON(t)["tracking_code"].(string)
			s.MustAct("kazan", disp, anon, "duplicate", map[string]string{"original": orig}, "duplicate")

			// Every payload Bob and the anonymous author can receive.
			payloads := map[string]string{}
			got := s.Call("GET", base+"/requests/"+dup, bob, nil)
			if got.Status != 200 {
				t.Fatalf("bob reads his request: %d %s", got.Status, got.Body)
			}
			payloads["API request"] = string(got.Body)
			for _, p := range []string{"/requests?limit=100", "/requests?limit=100&q=яма", "/requests/" + orig,
				fmt.Sprintf("/requests/%s/photos/%d", dup, alicePhoto), fmt.Sprintf("/requests/%s/photos/%d", orig, alicePhoto),
				"/public/requests/" + code} {
				tok := bob
				if strings.HasPrefix(p, "/public/") {
					tok = ""
				}
				payloads["API "+p] = string(s.Call("GET", base+p, tok, nil).Body)
			}
			// Open311 with Bob's token as its api_key: one request, the
			// list and the updates feed.
			key := "api_key=" + url.QueryEscape(bob)
			for _, p := range []string{"requests/" + dup + ".json", "requests/" + orig + ".json", "requests.json?" + key,
				"requests.json?service_request_id=" + dup + "," + orig, "servicerequestupdates.xml", "servicerequestupdates.json"} {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				payloads["Open311 "+p] = string(s.Call("GET", "/t/kazan/open311/v2/"+p+sep+key, "", nil).Body)
			}
			if !strings.Contains(payloads["Open311 requests/"+dup+".json"], dup) {
				t.Errorf("Open311 does not show bob his own request: %s", payloads["Open311 requests/"+dup+".json"])
			}
			// Alice's photo itself, not only its name: neither through the
			// API nor the pages, by the original's number or Bob's.
			page := webtest.LogIn(t, s.URL(), "/t/kazan/login", "bob", "citizen")
			for _, number := range []string{dup, orig} {
				if r := s.Call("GET", fmt.Sprintf("%s/requests/%s/photos/%d", base, number, alicePhoto), bob, nil); r.Status == http.StatusOK {
					t.Errorf("bob gets alice's photo through the API as %s", number)
				}
				if status, _, _ := page.Get(t, s.URL(), fmt.Sprintf("/t/kazan/requests/%s/photos/%d", number, alicePhoto)); status == http.StatusOK {
					t.Errorf("bob gets alice's photo through the pages as %s", number)
				}
			}
			for _, p := range []string{"/t/kazan/requests/" + dup, "/t/kazan/my/", "/t/kazan/requests/" + orig, "/t/kazan/", "/t/kazan/statistics"} {
				status, _, body := page.Get(t, s.URL(), p)
				if p == "/t/kazan/requests/"+dup && status != 200 {
					t.Errorf("bob's request page: %d", status)
				}
				payloads["page "+p] = body
			}
			stranger := webtest.LogIn(t, s.URL(), "/t/kazan/login", "anonymous", "")
			_, _, payloads["page tracking"] = stranger.Get(t, s.URL(), "/t/kazan/track/"+code)
			for where, body := range payloads {
				for _, secret := range secrets {
					if strings.Contains(body, secret) {
						t.Errorf("%s shows Alice's %q:\n%s", where, secret, apitest.Truncate([]byte(body)))
					}
				}
				for _, internal := range []string{"STAFF-INTERNAL-NOTE"} {
					if strings.Contains(body, internal) {
						t.Errorf("%s shows an internal note", where)
					}
				}
			}

			// What Bob does see of the original: its status changes and the
			// staff's public answers.
			v := got.JSON(t)
			o, _ := v["original"].(map[string]any)
			if o == nil || o["number"] != orig || o["status"] != "resolved" {
				t.Fatalf("bob's view of the original: %v", v["original"])
			}
			trail := payloads["API request"]
			for _, answer := range []string{"STAFF-ASSIGN-ANSWER", "STAFF-PUBLIC-NOTE", "STAFF-RESOLVED-ANSWER", "STAFF-SECOND-ANSWER", `"to":"resolved"`, `"kind":"reopen"`} {
				if !strings.Contains(trail, answer) {
					t.Errorf("bob does not see %s of the original: %s", answer, trail)
				}
			}
			// Alice herself still reads all of her own request.
			mine := string(s.Call("GET", base+"/requests/"+orig, alice, nil).Body)
			for _, own := range []string{"ALICE-COMMENT", "alice-photo-name", "ALICE-REOPEN", "Алиса Секретова"} {
				if !strings.Contains(mine, own) {
					t.Errorf("alice no longer sees her own %q", own)
				}
			}
			if r := s.Call("GET", fmt.Sprintf("%s/requests/%s/photos/%d", base, orig, alicePhoto), alice, nil); r.Status != http.StatusOK {
				t.Errorf("alice's own photo: %d", r.Status)
			}
		})
	}
}

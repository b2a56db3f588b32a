package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Photos: type and size checked, stored under the data folder, visible by
// the request's visibility; a category that needs a photo of the work cannot
// be resolved without one. Comments are public or internal.
func TestPhotosAndComments(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit, disp, op, admin := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator"), s.Login("kazan", "admin")
			n := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "yard-improvement", "building_id": 1,
				"description": "Фото прилагаю"}).JSON(t)["number"].(string) // yards wait in triage
			img := apitest.PNG(t)
			r := s.Upload("kazan", cit, n, "../../etc/passwd.png", img)
			if r.Status != 201 {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			ph := r.JSON(t)
			if ph["content_type"] != "image/png" || ph["file_name"] != "passwd.png" {
				t.Errorf("photo %v", ph)
			}
			for name, data := range map[string][]byte{
				"script.png": []byte("<script>alert(1)</script>"),
				"empty.jpg":  {},
				"huge.jpg":   append([]byte("\xff\xd8\xff\xe0"), make([]byte, 11<<20)...),
			} {
				want := 422
				if name == "huge.jpg" {
					want = 413 // the body is over the route's bound
				}
				if r := s.Upload("kazan", cit, n, name, data); r.Status != want {
					t.Errorf("%s: %d %s", name, r.Status, apitest.Truncate(r.Body))
				}
			}
			get := func(token, url string) int {
				req, _ := http.NewRequest("GET", s.URL()+"/t/kazan/api/v1/"+url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				if resp.StatusCode == 200 && !bytes.Equal(b.Bytes(), img) {
					t.Errorf("%s served other bytes", url)
				}
				return resp.StatusCode
			}
			url := ph["url"].(string)
			if get(cit, url) != 200 || get(disp, url) != 200 {
				t.Error("the photo is not served to the citizen and the dispatcher")
			}
			if code := get(op, url); code != 404 {
				t.Errorf("an operator of no organization reads the photo: %d", code)
			}
			if code := get(s.Login("nizhnekamsk", "admin"), strings.Replace(url, n, n, 1)); code != 401 {
				t.Errorf("another city's token: %d", code)
			}

			// Comments: the dispatcher's internal note stays internal.
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+n+"/comments", disp, map[string]any{"comment": "Позвонить в УК", "public": false}); r.Status != 201 {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			s.Call("POST", "/t/kazan/api/v1/requests/"+n+"/comments", cit, map[string]any{"comment": "Жду", "public": false})
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+n+"/comments", cit, map[string]any{"comment": "  "}); r.Status != 422 {
				t.Errorf("empty comment: %d", r.Status)
			}
			citView := fmt.Sprint(s.Get("kazan", cit, n)["history"])
			if strings.Contains(citView, "Позвонить") || !strings.Contains(citView, "Жду") {
				t.Errorf("the citizen's history: %s", citView)
			}
			if !strings.Contains(fmt.Sprint(s.Get("kazan", disp, n)["history"]), "Позвонить") {
				t.Error("the dispatcher misses the internal note")
			}

			// Yard work now needs a photo of the work to be resolved.
			cat := s.Call("GET", "/t/kazan/api/v1/categories/yard-improvement", admin, nil).JSON(t)
			cat["photo_required"] = true
			delete(cat, "id")
			if r := s.Call("PUT", "/t/kazan/api/v1/categories/yard-improvement", admin, cat); r.Status != 200 {
				t.Fatalf("category: %d %s", r.Status, r.Body)
			}
			s.MustAct("kazan", disp, n, "assign", map[string]string{"organization": "uk-aviastroitel"}, "assigned")
			s.MustAct("kazan", op, n, "accept", nil, "accepted")
			if r := s.Act("kazan", op, n, "resolve", map[string]string{"comment": "Починили"}); r.Status != 422 || !strings.Contains(string(r.Body), "photo") {
				t.Errorf("resolve without a photo of the work: %d %s", r.Status, r.Body)
			}
			if r := s.Upload("kazan", op, n, "work.png", img, "public", "true"); r.Status != 201 {
				t.Fatalf("operator's photo: %d %s", r.Status, r.Body)
			}
			s.MustAct("kazan", op, n, "resolve", map[string]string{"comment": "Починили"}, "resolved")
		})
	}
}

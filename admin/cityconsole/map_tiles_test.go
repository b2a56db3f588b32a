package cityconsole_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The city admin sets HQ's map tiles in the console's settings: a URL
// that is no http(s) template with {z}, {x} and {y} and a credit over
// 200 characters are refused beside their fields in Russian, with what
// was typed kept; a good one brings the tiles and OpenStreetMap's credit
// to the map, then the city's own credit; clearing it leaves the plain
// map without a credit. The analyst cannot change it.
func TestMapTilesInTheConsole(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			cit := s.Login("kazan", "citizen")
			s.Submit("kazan", cit, "Лифт стоит")
			admin := webtest.LogIn(t, base, "/t/kazan/login?lang=ru", "admin", "admin")
			post := func(u *webtest.Session, form url.Values) (int, string, string) {
				t.Helper()
				form.Set("csrf_token", u.CSRF)
				resp, err := u.Client.PostForm(base+"/t/kazan/admin/settings", form)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, resp.Header.Get("Location"), string(b)
			}
			form := func(tiles, credit string) url.Values {
				return url.Values{"work_start": {"09:00"}, "work_end": {"18:00"}, "weekend": {"0", "6"}, "auto_close_days": {"5"},
					"map_tile_url": {tiles}, "map_tile_credit": {credit}}
			}
			_, _, page := admin.Get(t, base, "/t/kazan/admin/settings")
			if !strings.Contains(page, `name="map_tile_url"`) || !strings.Contains(page, "Сервер подложки для карты штаба") ||
				!strings.Contains(page, `name="map_tile_credit"`) {
				t.Fatalf("the settings form has no tile fields: %s", page)
			}
			for _, bad := range []string{"javascript:alert(1)", "https://tiles.example.org/tile.png", "ftp://tiles.example.org/{z}/{x}/{y}.png"} {
				status, _, body := post(admin, form(bad, ""))
				if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-map_tile_url">нужен адрес http или https`) ||
					!strings.Contains(body, `value="`+strings.ReplaceAll(bad, "&", "&amp;")+`"`) {
					t.Errorf("tile URL %q: %d %s", bad, status, body)
				}
			}
			status, _, body := post(admin, form("https://tiles.example.org/{z}/{x}/{y}.png", strings.Repeat("©", 201)))
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-map_tile_credit">`) {
				t.Errorf("a long credit: %d %s", status, body)
			}

			analyst := s.Login("kazan", "analyst")
			mapPage := func() string {
				t.Helper()
				r := s.Page("GET", "/t/kazan/hq/map", analyst, nil, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("the map: %d %s", r.Status, r.Body)
				}
				return string(r.Body)
			}
			if m := mapPage(); strings.Contains(m, `class="map-tile"`) || strings.Contains(m, `id="map-credit"`) {
				t.Errorf("the map without a tile server shows tiles or a credit")
			}
			if status, loc, body := post(admin, form(" https://{s}.tiles.example.org/{z}/{x}/{y}.png ", "")); status != http.StatusSeeOther {
				t.Fatalf("a good tile server: %d %s %s", status, loc, body)
			}
			if _, _, page := admin.Get(t, base, "/t/kazan/admin/settings"); !strings.Contains(page, `value="https://{s}.tiles.example.org/{z}/{x}/{y}.png"`) {
				t.Errorf("the form does not show the stored tile server")
			}
			m := mapPage()
			if !strings.Contains(m, `href="https://a.tiles.example.org/`) || !strings.Contains(m, `id="map-credit" `) ||
				!strings.Contains(m, ">© участники OpenStreetMap</text>") {
				t.Errorf("the map with tiles: %s", m)
			}
			if status, _, _ := post(admin, form("https://tiles.example.org/{z}/{x}/{y}.png", "© ООО «Карты» & OpenStreetMap")); status != http.StatusSeeOther {
				t.Fatalf("a credit: %d", status)
			}
			if m := mapPage(); !strings.Contains(m, ">© ООО «Карты» &amp; OpenStreetMap</text>") {
				t.Errorf("the map's credit: %s", m)
			}
			got := s.Call("GET", "/t/kazan/api/v1/analytics/map", analyst, nil).JSON(t)
			if got["credit"] != "© ООО «Карты» & OpenStreetMap" || got["tile_url"] != "https://tiles.example.org/{z}/{x}/{y}.png" {
				t.Errorf("the map API: credit %v, tiles %v", got["credit"], got["tile_url"])
			}

			// The analyst may not change the settings.
			a := webtest.LogIn(t, base, "/t/kazan/login?lang=ru", "analyst", "analyst")
			if status, _, _ := post(a, form("", "")); status != http.StatusForbidden {
				t.Errorf("the analyst changed the settings: %d", status)
			}
			// Clearing the tile server: the plain map, no credit.
			if status, _, _ := post(admin, form("", "© ООО «Карты»")); status != http.StatusSeeOther {
				t.Fatalf("clearing the tile server: %d", status)
			}
			if m := mapPage(); strings.Contains(m, `class="map-tile"`) || strings.Contains(m, `id="map-credit"`) {
				t.Errorf("the map after clearing the tile server shows tiles or a credit")
			}
		})
	}
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The map places the period's requests on their buildings, projected by
// Web Mercator at the largest zoom that fits the city, leaves off and
// counts the building without coordinates and the request without a
// building, outlines the districts from their buildings, places the hot
// spots, and lays tiles only when the city names a tile server. Every
// figure computed by hand (zoom 14; b1 at 55.80, 49.10 and b2 at 55.78,
// 49.14 are 466.0 × 414.5 pixels apart, centred in 960 × 640), on both
// backends.
func TestMap(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := openHQCity(t, kind, "hqmap")
			err := c.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				for _, b := range []struct {
					reg      string
					lat, lon *float64
				}{{"b1", core.Coord(55.80), core.Coord(49.10)}, {"b2", core.Coord(55.78), core.Coord(49.14)}, {"b3", nil, nil}} {
					if _, err := tx.NewRaw("UPDATE buildings SET lat = ?, lon = ? WHERE registry_id = ?", b.lat, b.lon, b.reg).Exec(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, c.loc) }
			const cit = "hq-citizen"
			for i := range 5 {
				c.file(t, day(1+i, 9), cit, "b1", "street-lighting")
			}
			c.file(t, day(2, 10), cit, "b1", "roof-leak")
			c.file(t, day(3, 10), cit, "b2", "roof-leak")
			c.file(t, day(4, 10), cit, "b3", "roof-leak")
			c.file(t, day(5, 10), cit, "b3", "roof-leak")
			c.file(t, day(6, 10), cit, "", "roof-leak")
			analyst := c.people["hq-analyst"]
			f := core.HQFilter{From: "2026-11-01", To: "2026-11-10"}
			m, err := c.hq.Map(ctx, analyst, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			got = append(got, fmt.Sprintf("zoom=%d size=%dx%d unplaced=%d/%d none=%d tiles=%d", m.Zoom, m.Width, m.Height,
				m.Unplaced, m.UnplacedRequests, m.NoBuilding, len(m.Tiles)))
			for _, p := range m.Points {
				got = append(got, fmt.Sprintf("point %s %s n=%d at %.1f,%.1f", p.Address, p.District, p.Count, p.X, p.Y))
			}
			for _, d := range m.Districts {
				got = append(got, fmt.Sprintf("district %s %v", d.Code, d.Outline))
			}
			for _, h := range m.HotSpots {
				got = append(got, fmt.Sprintf("hot %s %s at %.1f,%.1f", h.Level, h.Name("ru"), h.X, h.Y))
			}
			want := []string{
				"zoom=14 size=960x640 unplaced=1/2 none=1 tiles=0",
				"point ул. Тестовая, b1 north n=6 at 247.0,112.8",
				"point ул. Тестовая, b2 north n=1 at 713.0,527.2",
				"district north [[247 112.8] [713 527.2]]",
				"hot building ул. Тестовая, b1 at 247.0,112.8",
				"hot district Северный at 480.0,320.0",
				"hot street ул. Тестовая at 480.0,320.0",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("map:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			// A tile server: the tiles under the map, 5 × 4 at zoom 14.
			if err := c.st.SetSetting(ctx, core.SettingMapTiles, "https://tiles.example.org/{z}/{x}/{y}.png"); err != nil {
				t.Fatal(err)
			}
			m, err = c.hq.Map(ctx, analyst, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Tiles) != 20 || m.Tiles[0].URL != "https://tiles.example.org/14/10425/5117.png" ||
				m.Tiles[19].URL != "https://tiles.example.org/14/10429/5120.png" {
				t.Errorf("tiles: %d %+v", len(m.Tiles), m.Tiles)
			}
			if _, err := c.hq.Map(ctx, c.people["op-mc-a"], f); err == nil {
				t.Error("an operator read the map")
			}
		})
	}
}

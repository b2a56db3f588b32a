package pages

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

// shownMap is the map as the template draws it in SVG: every coordinate
// already projected by core.Analytics.Map.
type shownMap struct {
	Width, Height int
	Tiles         []core.MapTile
	Districts     []shownOutline
	// Points are the buildings' circles, written here rather than by the
	// template: a big city has thousands, and each of their fields cost
	// the template's escaping more than the page's whole rest.
	Points    template.HTML
	HotSpots  []shownDot
	Note      string // what is left off the map
	TilesHost string // the tile server, when tiles are drawn
	Credit    string // the map data's credit, when tiles are drawn
}

type shownOutline struct {
	Points, Label string
	LabelX        float64
	LabelY        float64
	Shape         string // "polygon", "line" or "point"
	X1, Y1        float64
	X2, Y2        float64
}

type shownDot struct {
	X, Y, R float64
	Title   string
	Link    string
	ID      string
}

// mapPageRows bounds the map's table on the page: the buildings with the
// most requests; the exports list every building on the map.
const mapPageRows = 100

// mapTable lists the map's points: the buildings with their requests, the
// most first (then by address and id). For the page it keeps the mapPageRows
// first and returns the note that says so ("" when it keeps them all);
// for the exports it lists every building.
func mapTable(pg *web.Page, m *core.CityMap, page bool) (t *hqTable, note string) {
	t = &hqTable{Name: "map", Title: pg.T("hq.map"), Columns: []hqColumn{
		{"hq.address", cellText}, {"hq.district", cellText}, {"hq.received", cellCount}, {"hq.lat", cellDecimal}, {"hq.lon", cellDecimal}}}
	points := slices.Clone(m.Points)
	slices.SortFunc(points, func(a, b core.MapPoint) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Address, b.Address); c != 0 {
			return c
		}
		return cmp.Compare(a.BuildingID, b.BuildingID)
	})
	if page && len(points) > mapPageRows {
		note = pg.T("hq.map_rows", "Shown", mapPageRows, "All", len(points))
		points = points[:mapPageRows]
	}
	for _, p := range points {
		lat, lon := p.Lat, p.Lon
		t.Rows = append(t.Rows, []hqCell{text(p.Address), text(pg.District(p.District)), count(p.Count),
			{Kind: cellDecimal, Num: lat}, {Kind: cellDecimal, Num: lon}})
	}
	return t, note
}

// showMap turns the map into what the template draws.
func showMap(pg *web.Page, m *core.CityMap, link func(core.HotSpot) string) *shownMap {
	s := &shownMap{Width: m.Width, Height: m.Height, Tiles: m.Tiles}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, d := range m.Districts {
		o := shownOutline{Label: core.LocalName(d.NameRU, d.NameEN, pg.Lang)}
		var pts []string
		var cx, cy float64
		for _, p := range d.Outline {
			pts = append(pts, f(p[0])+","+f(p[1]))
			cx, cy = cx+p[0], cy+p[1]
		}
		o.Points = strings.Join(pts, " ")
		o.LabelX, o.LabelY = cx/float64(len(d.Outline)), cy/float64(len(d.Outline))
		switch len(d.Outline) {
		case 1:
			o.Shape, o.X1, o.Y1 = "point", d.Outline[0][0], d.Outline[0][1]
		case 2:
			o.Shape, o.X1, o.Y1, o.X2, o.Y2 = "line", d.Outline[0][0], d.Outline[0][1], d.Outline[1][0], d.Outline[1][1]
		default:
			o.Shape = "polygon"
		}
		s.Districts = append(s.Districts, o)
	}
	s.Points = mapPoints(pg, m.Points)
	for i, h := range m.HotSpots {
		cat := pg.Category(h.Category)
		if h.Group {
			cat = pg.Group(h.Category)
		}
		s.HotSpots = append(s.HotSpots, shownDot{X: h.X, Y: h.Y, R: 12, Link: link(h.HotSpot), ID: fmt.Sprintf("hotspot-%d", i+1),
			Title: h.Name(pg.Lang) + " — " + cat + ": " + pg.T("hq.map_hot", "Count", h.Count,
				"Ratio", localNumber(strconv.FormatFloat(h.Ratio, 'f', 1, 64), pg.Lang))})
	}
	s.Note = pg.T("hq.map_left_off", "Buildings", m.Unplaced, "Requests", m.UnplacedRequests, "NoBuilding", m.NoBuilding)
	if m.TileURL != "" {
		if u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(m.TileURL)); err == nil {
			s.TilesHost = pg.T("hq.map_tiles", "Host", u.Host)
		}
		s.Credit = m.Credit
		if s.Credit == "" {
			s.Credit = pg.T("hq.map_credit_osm")
		}
	}
	return s
}

// mapPoints draws the points as SVG circles, each titled with its address
// and requests, byte for byte as the template would: its numbers as %v
// prints them (the same as strconv's shortest 'f' for tenths of a pixel
// and radii of 3 to 20) and its texts escaped by attrText.
func mapPoints(pg *web.Page, points []core.MapPoint) template.HTML {
	// A city's thousands of points share a few dozen counts: each count's
	// words are made once.
	counted := map[int64]string{}
	b := make([]byte, 0, 160*len(points))
	for _, p := range points {
		n, ok := counted[p.Count]
		if !ok {
			n = attrText.Replace(pg.T("hq.map_requests", "Count", p.Count))
			counted[p.Count] = n
		}
		b = append(b, `<circle class="map-point" id="point-`...)
		b = strconv.AppendInt(b, p.BuildingID, 10)
		b = append(b, `" cx="`...)
		b = strconv.AppendFloat(b, p.X, 'f', -1, 64)
		b = append(b, `" cy="`...)
		b = strconv.AppendFloat(b, p.Y, 'f', -1, 64)
		b = append(b, `" r="`...)
		b = strconv.AppendFloat(b, math.Min(20, 3+2*math.Sqrt(float64(p.Count))), 'f', -1, 64)
		b = append(b, `"><title>`...)
		b = append(b, attrText.Replace(p.Address)...)
		b = append(b, ": "...)
		b = append(b, n...)
		b = append(b, "</title></circle>"...)
	}
	return template.HTML(b)
}

// attrText escapes a text as html/template does in an attribute's value
// and in a title.
var attrText = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// tileOrigin is the scheme and host of a tile URL template, for the page's
// Content-Security-Policy.
func tileOrigin(tiles string) string {
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(tiles))
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// hqMap shows the period's requests and hot spots on the map: on the tile
// server's tiles when the city has one, else on a plain background.
func (p *Pages) hqMap(c *gin.Context) {
	ct, actor := city(c)
	pg, d, err := p.hqPage(c, "hq.map", "map")
	if err != nil {
		p.fail(c, err)
		return
	}
	query := c.Request.URL.Query()
	m, err := p.analytics(ct).Map(c.Request.Context(), actor, httpapi.HQFilter(query))
	var t *hqTable
	if err == nil {
		hq := hqBase(ct)
		t, d.Note = mapTable(pg, m, c.Query("format") == "")
		d.Map = showMap(pg, m, func(h core.HotSpot) string { return hotSpotsLink(hq, query, h) })
		if o := tileOrigin(m.TileURL); o != "" && len(m.Tiles) > 0 {
			c.Header("Content-Security-Policy", strings.Replace(web.ContentSecurityPolicy, "img-src 'self' data:", "img-src 'self' data: "+o, 1))
		}
	}
	p.hqAnswer(c, pg, d, t, err)
}

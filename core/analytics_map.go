package core

import (
	"context"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SettingMapTiles is the city setting naming a tile server for HQ's map:
// an OSM-compatible URL template with {z}, {x} and {y} (and optionally
// {s}, taken as "a"), e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png.
// Without it the map is drawn on a plain background.
const SettingMapTiles = "map_tile_url"

// SettingMapCredit is the credit of the map data under the tiles, shown
// with them (the tile server's terms ask for it); empty means
// OpenStreetMap's ("© OpenStreetMap contributors", in the reader's
// language).
const SettingMapCredit = "map_tile_credit"

// MaxMapCredit bounds SettingMapCredit, in characters.
const MaxMapCredit = 200

// ValidTileURL reports whether u is an http(s) URL template with {z}, {x}
// and {y}.
func ValidTileURL(u string) bool {
	p, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(u))
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" &&
		strings.Contains(u, "{z}") && strings.Contains(u, "{x}") && strings.Contains(u, "{y}")
}

// Web Mercator (EPSG:3857, "Popular Visualisation Pseudo-Mercator"): the
// sphere of radius R = 6378137 m, the WGS 84 semi-major axis, projected as
//
//	x = R·λ,  y = R·ln(tan(π/4 + φ/2))
//
// with λ, φ the longitude and latitude in radians; tiles at zoom z split
// the square ±πR into 2^z × 2^z tiles of 256 pixels, y growing southward.
// Sources: IOGP Publication 373-7-2, Geomatics Guidance Note 7 part 2,
// §1.3.3.2 (method EPSG:1024); OpenStreetMap wiki, "Slippy map tilenames".
const (
	mercatorR = 6378137.0
	// MercatorMaxLat is where the projection's square ends (≈85.0511°).
	MercatorMaxLat = 85.05112877980659
	tileSize       = 256
)

// WebMercator projects a latitude and longitude in degrees to EPSG:3857
// metres; latitudes beyond ±MercatorMaxLat are clamped.
func WebMercator(lat, lon float64) (x, y float64) {
	lat = math.Max(-MercatorMaxLat, math.Min(MercatorMaxLat, lat))
	x = mercatorR * lon * math.Pi / 180
	y = mercatorR * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
	return x, y
}

// worldUnit is a point's place in the whole world's map as fractions of
// its side (0…1, y growing southward): its pixel at zoom z is these times
// worldSize(z), exactly, the size being a power of two.
func worldUnit(lat, lon float64) (ux, uy float64) {
	x, y := WebMercator(lat, lon)
	return (x + math.Pi*mercatorR) / (2 * math.Pi * mercatorR), (math.Pi*mercatorR - y) / (2 * math.Pi * mercatorR)
}

// worldSize is the whole world's map side in pixels at zoom z.
func worldSize(z int) float64 { return float64(tileSize) * math.Pow(2, float64(z)) }

// MapBuilding is a registry building as the map draws it: its address,
// district and point (WGS84 degrees, when Placed).
type MapBuilding struct {
	ID         int64
	AddressRU  string
	DistrictID int64
	Lat, Lon   float64
	Placed     bool
}

// MapPoint is a building with requests, placed on the map (X, Y in the
// map's pixels).
type MapPoint struct {
	BuildingID int64   `json:"building_id"`
	Address    string  `json:"address"`
	District   string  `json:"district"`
	Lat        float64 `json:"lat"`
	Lon        float64 `json:"lon"`
	X          float64 `json:"x"`
	Y          float64 `json:"y"`
	Count      int64   `json:"count"` // requests in the period
}

// MapDistrict is a district's outline: the registry has no district
// polygons, so the outline is the convex hull (Andrew's monotone chain)
// of the district's buildings that have coordinates, in the map's pixels;
// one or two buildings give a point or a line.
type MapDistrict struct {
	Code    string       `json:"code"`
	NameRU  string       `json:"name_ru"`
	NameEN  string       `json:"name_en"`
	Outline [][2]float64 `json:"outline"`
}

// MapHotSpot is a hot spot placed on the map.
type MapHotSpot struct {
	HotSpot
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// MapTile is a tile of the tile server and its place in the map's pixels.
type MapTile struct {
	URL string  `json:"url"`
	X   float64 `json:"x"`
	Y   float64 `json:"y"`
}

// CityMap is HQ's map of a period's requests and hot spots, projected on
// the server (Web Mercator) into Width × Height pixels at Zoom.
type CityMap struct {
	Filter  HQFilter  `json:"filter"`
	Width   int       `json:"width"`
	Height  int       `json:"height"`
	Zoom    int       `json:"zoom"`
	Tiles   []MapTile `json:"tiles"` // none without SettingMapTiles
	TileURL string    `json:"tile_url"`
	// Credit is SettingMapCredit, shown with the tiles; "" for
	// OpenStreetMap's.
	Credit    string        `json:"credit"`
	Districts []MapDistrict `json:"districts"`
	Points    []MapPoint    `json:"points"`
	HotSpots  []MapHotSpot  `json:"hotspots"`
	// Unplaced counts the buildings with requests in the period and no
	// coordinates, and UnplacedRequests their requests; NoBuilding the
	// requests naming no building. None of them is on the map.
	Unplaced         int64 `json:"unplaced_buildings"`
	UnplacedRequests int64 `json:"unplaced_requests"`
	NoBuilding       int64 `json:"no_building_requests"`
}

// The map's size in pixels and the margin kept around what it shows.
const (
	MapWidth  = 960
	MapHeight = 640
	mapMargin = 32
	maxZoom   = 18
)

// Map places f's requests (per building) and hot spots on the map of the
// city's buildings, with the districts' outlines, at the largest zoom
// that shows all of them.
func (a *Analytics) Map(ctx context.Context, actor Actor, f HQFilter) (*CityMap, error) {
	h, err := a.resolveFilter(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	// The hot spots' counts of the period are its requests per building too.
	hs, rows, err := a.hotSpots(ctx, h, HotSpotLimits{})
	if err != nil {
		return nil, err
	}
	registry, err := a.Store.MapBuildings(ctx)
	if err != nil {
		return nil, err
	}
	tiles, err := a.Store.Setting(ctx, SettingMapTiles)
	if err != nil {
		return nil, err
	}
	credit := ""
	if tiles != "" {
		if credit, err = a.Store.Setting(ctx, SettingMapCredit); err != nil {
			return nil, err
		}
	}
	m := &CityMap{Filter: h.f, Width: MapWidth, Height: MapHeight, Tiles: []MapTile{}, Districts: []MapDistrict{},
		Points: []MapPoint{}, HotSpots: []MapHotSpot{}}
	// The view: every placed building of the city (or of the district
	// filtered), so that the map keeps its frame from one period to the
	// next; each projected once, in the world's units.
	var placed []placedBuilding
	var minX, minY, maxX, maxY float64 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range registry {
		b := &registry[i]
		if b.Placed && (h.districts == nil || h.districts[b.DistrictID]) {
			ux, uy := worldUnit(b.Lat, b.Lon)
			placed = append(placed, placedBuilding{district: b.DistrictID, ux: ux, uy: uy})
			minX, minY, maxX, maxY = math.Min(minX, ux), math.Min(minY, uy), math.Max(maxX, ux), math.Max(maxY, uy)
		}
	}
	if len(placed) == 0 {
		minX, minY, maxX, maxY = 0, 0, 0, 0
	} else {
		m.Zoom = fitZoom(maxX-minX, maxY-minY)
	}
	size := worldSize(m.Zoom)
	minX, minY, maxX, maxY = minX*size, minY*size, maxX*size, maxY*size
	// The map's left top corner in the world's pixels: the view centred.
	ox, oy := (minX+maxX)/2-float64(m.Width)/2, (minY+maxY)/2-float64(m.Height)/2
	// pixel places a point of the world's units on the map, to a tenth of
	// a pixel.
	pixel := func(ux, uy float64) [2]float64 {
		return [2]float64{math.Round((ux*size-ox)*10) / 10, math.Round((uy*size-oy)*10) / 10}
	}
	at := func(lat, lon float64) (float64, float64) {
		p := pixel(worldUnit(lat, lon))
		return p[0], p[1]
	}
	received := map[int64]int64{}
	for _, r := range rows {
		received[r.BuildingID] += r.Current
	}
	// The registry's buildings with requests, in its order (by id): the
	// points'. What is left of received names no building of the registry.
	for i := range registry {
		b := &registry[i]
		n, ok := received[b.ID]
		if !ok {
			continue
		}
		delete(received, b.ID)
		switch {
		case n == 0:
		case !b.Placed:
			m.Unplaced++
			m.UnplacedRequests += n
		default:
			p := MapPoint{BuildingID: b.ID, Address: b.AddressRU, Lat: b.Lat, Lon: b.Lon, Count: n}
			if d := h.dir.District(b.DistrictID); d != nil {
				p.District = d.Code
			}
			p.X, p.Y = at(b.Lat, b.Lon)
			m.Points = append(m.Points, p)
		}
	}
	for _, n := range received {
		m.NoBuilding += n
	}
	outlines := map[int64][][2]float64{}
	for _, b := range placed {
		outlines[b.district] = append(outlines[b.district], pixel(b.ux, b.uy))
	}
	for _, d := range h.dir.Districts {
		if pts := outlines[d.ID]; len(pts) > 0 {
			m.Districts = append(m.Districts, MapDistrict{Code: d.Code, NameRU: d.NameRU, NameEN: d.NameEN, Outline: ConvexHull(pts)})
		}
	}
	for _, s := range hs.Rows {
		if s.Lat != nil && s.Lon != nil {
			x, y := at(*s.Lat, *s.Lon)
			m.HotSpots = append(m.HotSpots, MapHotSpot{HotSpot: s, X: x, Y: y})
		}
	}
	if tiles != "" && ValidTileURL(tiles) {
		m.TileURL, m.Credit = tiles, credit
		n := 1 << m.Zoom
		for ty := int(math.Floor(oy / tileSize)); float64(ty*tileSize) < oy+float64(m.Height); ty++ {
			for tx := int(math.Floor(ox / tileSize)); float64(tx*tileSize) < ox+float64(m.Width); tx++ {
				if ty < 0 || ty >= n {
					continue
				}
				wx := ((tx % n) + n) % n
				u := strings.NewReplacer("{z}", strconv.Itoa(m.Zoom), "{x}", strconv.Itoa(wx), "{y}", strconv.Itoa(ty), "{s}", "a").Replace(tiles)
				m.Tiles = append(m.Tiles, MapTile{URL: u, X: float64(tx*tileSize) - ox, Y: float64(ty*tileSize) - oy})
			}
		}
	}
	return m, nil
}

// placedBuilding is a building with coordinates: its district and its
// place in the world's units (worldUnit).
type placedBuilding struct {
	district int64
	ux, uy   float64
}

// fitZoom is the largest zoom (at most maxZoom) at which a view w × h in
// the world's units (worldUnit) fits the map inside its margins.
func fitZoom(w, h float64) int {
	for z := maxZoom; z > 0; z-- {
		if size := worldSize(z); w*size <= MapWidth-2*mapMargin && h*size <= MapHeight-2*mapMargin {
			return z
		}
	}
	return 0
}

// ConvexHull returns the convex hull of points, counter-clockwise in a
// y-down plane's terms, without repeated or collinear points (Andrew's
// monotone chain: A. M. Andrew, "Another efficient algorithm for convex
// hulls in two dimensions", Information Processing Letters 9(5), 1979).
func ConvexHull(points [][2]float64) [][2]float64 {
	ps := append([][2]float64(nil), points...)
	sort.Slice(ps, func(i, j int) bool {
		if ps[i][0] != ps[j][0] {
			return ps[i][0] < ps[j][0]
		}
		return ps[i][1] < ps[j][1]
	})
	uniq := ps[:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			uniq = append(uniq, p)
		}
	}
	ps = uniq
	if len(ps) < 3 {
		return ps
	}
	cross := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	hull := make([][2]float64, 0, 2*len(ps))
	for _, p := range ps {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull[:len(hull)-1]
}

package core

import (
	"fmt"
	"math"
	"testing"
)

// Web Mercator against values worked out by hand from the formula
// (x = Rλ, y = R ln tan(π/4 + φ/2), R = 6378137) and the projection's
// published extent (±20037508.34 m at ±180° and ±85.0511°).
func TestWebMercator(t *testing.T) {
	for _, tc := range []struct {
		lat, lon, x, y float64
	}{
		{0, 0, 0, 0},
		{0, 180, 20037508.34, 0},
		{MercatorMaxLat, -180, -20037508.34, 20037508.34},
		{89.9, 0, 0, 20037508.34}, // clamped
		{55.79, 49.12, 5468013.39, 7516723.67},
	} {
		x, y := WebMercator(tc.lat, tc.lon)
		if math.Abs(x-tc.x) > 0.01 || math.Abs(y-tc.y) > 0.01 {
			t.Errorf("%v, %v: %.2f, %.2f; want %.2f, %.2f", tc.lat, tc.lon, x, y, tc.x, tc.y)
		}
	}
}

func TestConvexHull(t *testing.T) {
	for _, tc := range []struct {
		in   [][2]float64
		want string
	}{
		{nil, "[]"},
		{[][2]float64{{1, 1}, {1, 1}}, "[[1 1]]"},
		{[][2]float64{{0, 0}, {2, 2}, {1, 1}}, "[[0 0] [2 2]]"},
		{[][2]float64{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {2, 2}, {2, 0}, {1, 3}}, "[[0 0] [4 0] [4 4] [0 4]]"},
	} {
		if got := fmt.Sprint(ConvexHull(tc.in)); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestValidTileURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://tile.openstreetmap.org/{z}/{x}/{y}.png": true,
		"http://{s}.tiles.local/{z}/{x}/{y}":             true,
		"https://tile.openstreetmap.org/{z}/{x}.png":     false,
		"javascript:alert(1)//{z}/{x}/{y}":               false,
		"ftp://tiles.example.org/{z}/{x}/{y}.png":        false,
		"": false,
	} {
		if ValidTileURL(u) != ok {
			t.Errorf("%q: %v", u, !ok)
		}
	}
}

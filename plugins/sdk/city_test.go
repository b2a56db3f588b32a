package sdk

import (
	"testing"
	"time"
)

// The SDK's clock helpers are OpenCity's own rule (core/clock, tested
// there in full): a plugin's night window reads as a city's routing rule's
// window does, 24:00 included.
func TestClockIsTheCitysRule(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 1, 1, h, m, 0, 0, time.UTC) }
	if !InWindow(at(23, 59), "22:00", "07:00") || InWindow(at(7, 0), "22:00", "07:00") || !InWindow(at(23, 59), "18:00", "24:00") {
		t.Error("InWindow differs from the city's rule")
	}
	if ValidClock("7:00") || ValidClock("24:01") || !ValidClock("07:00") || !ValidClock("24:00") {
		t.Error("ValidClock differs from the city's rule")
	}
}

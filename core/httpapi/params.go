package httpapi

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// parseID reads a positive decimal id.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err == nil && id <= 0 {
		err = strconv.ErrRange
	}
	return id, err
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(c *gin.Context, f core.FieldErrors, name string, def, lo, hi int) int {
	s := c.Query(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		f.Add(name, "error.number_range", "Min", lo, "Max", hi)
		return def
	}
	return n
}

// boolParam reads true/false.
func boolParam(c *gin.Context, f core.FieldErrors, name string) bool {
	switch c.Query(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	f.Add(name, "error.bool")
	return false
}

// timeParam reads an RFC 3339 instant or a date, taken as midnight in the
// city's time zone.
func timeParam(c *gin.Context, f core.FieldErrors, name string, loc *time.Location) *time.Time {
	s := c.Query(name)
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return &t
	}
	f.Add(name, "error.date")
	return nil
}

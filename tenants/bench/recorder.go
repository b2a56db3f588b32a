package bench

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Recorder collects the latencies and the failures of a mixed load by
// route group, safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errs   map[string]int
	failed map[string]int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}, failed: map[string]int{}}
}

// Time runs op, records how long it took under group, or its failure, and
// reports whether it succeeded.
func (r *Recorder) Time(group string, op func() error) bool {
	start := time.Now()
	err := op()
	took := time.Since(start)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed[group]++
		key := group + ": " + err.Error()
		var se *StatusError
		if errors.As(err, &se) {
			key = fmt.Sprintf("%d %s %s: %s", se.Status, se.Method, group, se.Body[:min(len(se.Body), 120)])
		}
		r.errs[key]++
		return false
	}
	r.lat[group] = append(r.lat[group], took)
	return true
}

// GroupFigures are one route group's successful operations, failures and
// latency percentiles.
type GroupFigures struct {
	Ops, Errors   int
	P50, P95, P99 time.Duration
}

// Group returns the figures of group.
func (r *Recorder) Group(group string) GroupFigures {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := slices.Clone(r.lat[group])
	g := GroupFigures{Ops: len(lat), Errors: r.failed[group]}
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		g.P50, g.P95, g.P99 = q(0.50), q(0.95), q(0.99)
	}
	return g
}

// Totals are all successful operations and failures.
func (r *Recorder) Totals() (ops, errs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lat {
		ops += len(l)
	}
	for _, n := range r.failed {
		errs += n
	}
	return ops, errs
}

// Errors lists the failures, most frequent first, each as "count× status
// method group: the start of the answer".
func (r *Recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.errs))
	for k := range r.errs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.errs[keys[i]] != r.errs[keys[j]] {
			return r.errs[keys[i]] > r.errs[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%d× %s", r.errs[k], k)
	}
	return out
}

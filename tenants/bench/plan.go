// Package bench generates a realistic request history for a city and drives
// load at a running server, so OpenCity's performance budget can be measured
// beside baselines taken in the same run on the same machine.
package bench

import (
	"math"
	"time"
)

// History describes the request history to generate.
type History struct {
	Requests int       // total requests (2,000,000 for the budget)
	Years    int       // span of the history, ending at End (7)
	End      time.Time // the day after the last generated day, in city time
	Seed     uint64    // the same seed gives the same history
	// Buildings is the size of the generated buildings registry (5,000).
	Buildings int
}

// Defaults fills zero fields with the budget's history: 2 million requests
// over seven years up to today.
func (h History) Defaults(loc *time.Location) History {
	if h.Requests == 0 {
		h.Requests = 2_000_000
	}
	if h.Years == 0 {
		h.Years = 7
	}
	if h.End.IsZero() {
		now := time.Now().In(loc)
		h.End = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	}
	if h.Buildings == 0 {
		h.Buildings = 5000
	}
	if h.Seed == 0 {
		h.Seed = 2011
	}
	return h
}

// Start is the first generated day.
func (h History) Start() time.Time { return h.End.AddDate(-h.Years, 0, 0) }

// seasonFactor is how much busier a day is than an ordinary one: the start
// of the heating season (the first half of October) brings three times the
// usual flow, the second half twice.
func seasonFactor(day time.Time) float64 {
	if day.Month() != time.October {
		return 1
	}
	if day.Day() <= 15 {
		return 3
	}
	return 2
}

// growthFloor is the share of the final year's flow the service had in its
// first year: Open Kazan grew to ~1,000 requests a day; 2 million over seven
// years means an early flow of about 40 % of that.
const growthFloor = 0.39

// DailyCounts splits h.Requests over the days from Start to End: a linear
// growth from growthFloor to full flow, times the heating-season peak. The
// counts add up to h.Requests exactly (largest remainders).
func (h History) DailyCounts() []int {
	start := h.Start()
	n := 0
	for d := start; d.Before(h.End); d = d.AddDate(0, 0, 1) {
		n++
	}
	weights := make([]float64, n)
	total := 0.0
	i := 0
	for d := start; d.Before(h.End); d = d.AddDate(0, 0, 1) {
		g := growthFloor + (1-growthFloor)*float64(i)/math.Max(1, float64(n-1))
		weights[i] = g * seasonFactor(d)
		total += weights[i]
		i++
	}
	counts := make([]int, n)
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, n)
	sum := 0
	for i, w := range weights {
		x := float64(h.Requests) * w / total
		counts[i] = int(x)
		sum += counts[i]
		rems[i] = rem{i, x - float64(counts[i])}
	}
	// Hand the remaining requests to the days with the largest remainders,
	// found by a partial selection (few are left, at most one per day).
	left := h.Requests - sum
	for ; left > 0; left-- {
		best := -1
		for j := range rems {
			if rems[j].r >= 0 && (best < 0 || rems[j].r > rems[best].r) {
				best = j
			}
		}
		counts[rems[best].i]++
		rems[best].r = -1
	}
	return counts
}

// Share is a code with its weight in a mix.
type Share struct {
	Code   string
	Weight int
}

// CategoryMix is how often each starter category is asked for: power supply,
// water-network faults and yard improvement are the most frequent (Open
// Kazan's figures), wishes the rarest. The weights add up to 100.
var CategoryMix = []Share{
	{"power-supply", 17}, {"water-network-fault", 15}, {"yard-improvement", 14}, {"heating", 10},
	{"hot-water", 7}, {"lift", 7}, {"sewerage", 6}, {"entrance-cleaning", 6}, {"waste-removal", 6},
	{"roof-leak", 5}, {"street-lighting", 4}, {"wishes", 3},
}

// ChannelMix: most requests come through the call centre.
var ChannelMix = []Share{{"call_centre", 55}, {"portal", 25}, {"mobile", 18}, {"external", 2}}

// settledMix is the outcome of requests older than a week: mostly closed.
var settledMix = []Share{{"closed", 91}, {"rejected", 5}, {"duplicate", 4}}

// recentMix is the state of the last week's requests: still being worked.
var recentMix = []Share{{"new", 5}, {"assigned", 20}, {"accepted", 15}, {"in_progress", 20}, {"resolved", 25}, {"closed", 15}}

// hourWeights shape a day: few requests at night, most in the morning and
// the early evening.
var hourWeights = [24]int{1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 8, 7, 7, 7, 7, 8, 9, 9, 8, 6, 4, 3, 2}

// pick returns the code whose cumulative weight covers x in [0, total).
func pick(mix []Share, x int) string {
	for _, s := range mix {
		if x < s.Weight {
			return s.Code
		}
		x -= s.Weight
	}
	return mix[len(mix)-1].Code
}

func totalWeight(mix []Share) int {
	t := 0
	for _, s := range mix {
		t += s.Weight
	}
	return t
}

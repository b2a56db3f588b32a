package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/opencity/opencity/core"
)

// generated is one request of the history with its events.
type generated struct {
	R      core.Request
	Events []core.RequestEvent
}

// dayPlan places one day of the history: its requests get the ids from
// FirstID and the numbers of the year from FirstNumber on.
type dayPlan struct {
	Index       int
	Day         time.Time // midnight, city time
	Count       int
	FirstID     int64
	FirstNumber int64
}

// plans lays out every day: ids continue from firstID, numbers continue each
// year's counter (counters maps the year to the last number used).
func plans(h History, firstID int64, counters map[int]int64) []dayPlan {
	counts := h.DailyCounts()
	out := make([]dayPlan, 0, len(counts))
	next := map[int]int64{}
	for y, n := range counters {
		next[y] = n
	}
	id := firstID
	day := h.Start()
	for i, n := range counts {
		p := dayPlan{Index: i, Day: day, Count: n, FirstID: id, FirstNumber: next[day.Year()] + 1}
		out = append(out, p)
		id += int64(n)
		next[day.Year()] += int64(n)
		day = day.AddDate(0, 0, 1)
	}
	return out
}

var descriptions = map[string][]string{
	"power-supply":        {"Нет света в квартире", "Отключилось электричество во всём подъезде", "Искрит щиток на площадке"},
	"water-network-fault": {"Прорыв трубы во дворе", "Нет холодной воды", "Течёт вода из колодца на дороге"},
	"yard-improvement":    {"Сломаны качели на детской площадке", "Разбита скамейка во дворе", "Яма во дворе после ремонта"},
	"heating":             {"Холодные батареи", "Не включили отопление", "Течёт радиатор в подъезде"},
	"hot-water":           {"Нет горячей воды", "Горячая вода еле тёплая"},
	"lift":                {"Не работает лифт", "Лифт застрял между этажами"},
	"sewerage":            {"Засор канализации в подвале", "Запах из подвала, течёт канализация"},
	"entrance-cleaning":   {"Подъезд не убирается неделю", "Грязно на лестнице"},
	"waste-removal":       {"Не вывезли мусор", "Переполнены контейнеры"},
	"roof-leak":           {"Протекает крыша на последнем этаже", "Течёт с потолка после дождя"},
	"street-lighting":     {"Не горит фонарь у дома", "Темно во дворе, нет освещения"},
	"wishes":              {"Предлагаю установить велопарковку", "Просим озеленить двор"},
}

// generateDay produces the requests of one day, in id order, with statuses
// by age relative to now: what is older than a week is settled (mostly
// closed), the last week's requests are still being worked. It depends only
// on h.Seed and p, so days can be generated in any order.
func (c *city) generateDay(h History, p dayPlan, now time.Time) []generated {
	rng := rand.New(rand.NewPCG(h.Seed, uint64(p.Index)+1))
	secs := make([]int, p.Count)
	hourTotal := 0
	for _, w := range hourWeights {
		hourTotal += w
	}
	for i := range secs {
		x := rng.IntN(hourTotal)
		hour := 0
		for ; x >= hourWeights[hour]; hour++ {
			x -= hourWeights[hour]
		}
		secs[i] = hour*3600 + rng.IntN(3600)
	}
	slices.Sort(secs)
	out := make([]generated, p.Count)
	catTotal, chanTotal := totalWeight(CategoryMix), totalWeight(ChannelMix)
	for i := range out {
		created := p.Day.Add(time.Duration(secs[i]) * time.Second).UTC()
		cat := c.categories[pick(CategoryMix, rng.IntN(catTotal))]
		b := c.buildings[rng.IntN(len(c.buildings))]
		r := core.Request{
			ID: p.FirstID + int64(i), Number: fmt.Sprintf("%d-%06d", p.Day.Year(), p.FirstNumber+int64(i)),
			Channel: core.Channel(pick(ChannelMix, rng.IntN(chanTotal))), Status: core.StatusNew,
			Priority: cat.DefaultPriority, CategoryID: cat.ID, CategoryCode: cat.Code,
			BuildingID: &b.ID, DistrictID: &b.DistrictID, Address: b.AddressRU,
			Apartment:   fmt.Sprint(1 + rng.IntN(max(1, b.Apartments))),
			Description: descriptions[cat.Code][rng.IntN(len(descriptions[cat.Code]))],
			CreatedAt:   created, UpdatedAt: created, CreatedDay: p.Day.Format(time.DateOnly),
		}
		if r.Channel == core.ChannelPortal || r.Channel == core.ChannelMobile {
			citizen := c.citizens[rng.IntN(len(c.citizens))]
			r.CitizenID, r.CreatedBy = &citizen, citizen
			r.ApplicantName = fmt.Sprintf("Житель %d", citizen)
		} else {
			r.CreatedBy = c.dispatcher[rng.IntN(len(c.dispatcher))]
			r.ApplicantName, r.ApplicantPhone = "Заявитель по телефону", fmt.Sprintf("+79%02d%03d%02d%02d",
				rng.IntN(100), rng.IntN(1000), rng.IntN(100), rng.IntN(100))
		}
		r.SearchText = core.SearchDocument(&r)
		mix := settledMix
		if now.Sub(created) < 7*24*time.Hour {
			mix = recentMix
		}
		status := core.Status(pick(mix, rng.IntN(totalWeight(mix))))
		if status == core.StatusDuplicate && i == 0 {
			status = core.StatusRejected
		}
		var dupOf int64
		if status == core.StatusDuplicate {
			dupOf = p.FirstID + int64(rng.IntN(i))
		}
		out[i] = c.lifecycle(rng, r, cat, b, status, dupOf, now)
	}
	return out
}

// lifecycle walks r from intake to status, recording each step as an event
// the way the lifecycle would, and stops early when a step would lie after
// now.
func (c *city) lifecycle(rng *rand.Rand, r core.Request, cat core.Category, b core.Building, status core.Status,
	dupOf int64, now time.Time) generated {
	t := r.CreatedAt
	creator := r.CreatedBy
	g := generated{}
	ev := func(kind string, at time.Time, actor *int64, from, to core.Status, org *int64, comment string, public bool) {
		g.Events = append(g.Events, core.RequestEvent{RequestID: r.ID, ActorID: actor, Kind: kind, OrganizationID: org,
			FromState: string(from), ToState: string(to), Comment: comment, Public: public, CreatedAt: at})
		r.UpdatedAt = at
	}
	note := func(m core.Msg) { g.Events[len(g.Events)-1].Note = m } // of the last event
	ev("created", t, &creator, "", core.StatusNew, nil, "", true)
	// As intake and the sweep keep them: the first cycle runs from intake,
	// its deadlines by the city's working calendar, its times from its start.
	done := func() generated {
		r.Cycle = 1
		r.ComputeCycle(&cat, c.cal, r.CreatedAt)
		g.R = r
		return g
	}
	dispatcher := c.dispatcher[rng.IntN(len(c.dispatcher))]
	if status == core.StatusRejected || status == core.StatusDuplicate {
		ev("triage", t, nil, core.StatusNew, core.StatusNew, nil, "", false)
		note(core.M("event.route", "Reason", core.M("route.none"), "Source", core.SourceArg("bench")))
		at := t.Add(time.Duration(5+rng.IntN(120)) * time.Minute)
		if at.After(now) {
			return done()
		}
		if status == core.StatusRejected {
			ev(string(core.ActionReject), at, &dispatcher, core.StatusNew, core.StatusRejected, nil, "не относится к ЖКХ", true)
		} else {
			r.DuplicateOf = &dupOf
			ev(string(core.ActionDuplicate), at, &dispatcher, core.StatusNew, core.StatusDuplicate, nil, "повторная заявка", true)
		}
		r.Status = status
		return done()
	}
	d := core.ApplyRules(c.rules, c.dir, core.RouteInput{Request: &r, Category: cat, Building: &b, At: t})
	org := d.OrganizationID
	if d.Triage || org == 0 {
		ev("triage", t, nil, core.StatusNew, core.StatusNew, nil, "", false)
		note(core.M("event.route", "Reason", d.Reason, "Source", core.SourceArg("rules")))
		if status == core.StatusNew {
			return done()
		}
		t = t.Add(time.Duration(2+rng.IntN(30)) * time.Minute)
		org = c.contractor[rng.IntN(len(c.contractor))]
		if t.After(now) {
			return done()
		}
		ev(string(core.ActionAssign), t, &dispatcher, core.StatusNew, core.StatusAssigned, &org, "", true)
	} else {
		if status == core.StatusNew {
			status = core.StatusAssigned // the rules placed it at once
		}
		ev(string(core.ActionAssign), t, nil, core.StatusNew, core.StatusAssigned, &org, "", false)
		note(core.M("event.route", "Reason", d.Reason, "Source", core.SourceArg("rules")))
	}
	r.Status, r.OrganizationID = core.StatusAssigned, &org
	assigned := t
	react, resolve := time.Duration(cat.ReactionMinutes)*time.Minute, time.Duration(cat.ResolutionMinutes)*time.Minute
	rd, sd := assigned.Add(react), assigned.Add(resolve)
	r.AssignedAt, r.ReactionDueAt, r.ResolutionDueAt = &assigned, &rd, &sd
	op := c.operators[org]
	var opID *int64
	if op != 0 {
		opID = &op
	}
	steps := []struct {
		status core.Status
		kind   core.Action
		after  time.Duration
	}{
		{core.StatusAccepted, core.ActionAccept, frac(rng, react, 0.1, 0.9, 1.0, 3.0)},
		{core.StatusInProgress, core.ActionStart, time.Duration(rng.IntN(120)) * time.Minute},
		{core.StatusResolved, core.ActionResolve, 0}, // until the resolution time drawn below
		{core.StatusClosed, core.ActionClose, time.Duration(1+rng.IntN(72)) * time.Hour},
	}
	resolvedAt := assigned.Add(frac(rng, resolve, 0.2, 0.95, 1.0, 2.0))
	for _, s := range steps {
		if r.Status == status {
			break
		}
		at := t.Add(s.after)
		if s.status == core.StatusResolved {
			at = resolvedAt
			if at.Before(t.Add(time.Minute)) {
				at = t.Add(time.Minute)
			}
		}
		if at.After(now) {
			break
		}
		from := r.Status
		switch s.status {
		case core.StatusAccepted:
			r.AcceptedAt = &at
			sec := int64(at.Sub(assigned).Seconds())
			r.ReactionSeconds = &sec
			ev(string(s.kind), at, opID, from, s.status, nil, "", true)
		case core.StatusResolved:
			r.ResolvedAt = &at
			sec := int64(at.Sub(assigned).Seconds())
			r.ResolutionSeconds = &sec
			ev(string(s.kind), at, opID, from, s.status, nil, "Работы выполнены", true)
		case core.StatusClosed:
			r.ClosedAt = &at
			ev(string(s.kind), at, &creator, from, s.status, nil, "", true)
			if rng.IntN(10) < 4 {
				stars := 3 + rng.IntN(3)
				r.Rating = &stars
			}
		default:
			ev(string(s.kind), at, opID, from, s.status, nil, "", true)
		}
		r.Status, t = s.status, at
	}
	return done()
}

// frac is a duration of a deadline d: mostly within [lo, hi) of it, and in
// one case of twenty late, within [lateLo, lateHi).
func frac(rng *rand.Rand, d time.Duration, lo, hi, lateLo, lateHi float64) time.Duration {
	if rng.IntN(20) == 0 {
		lo, hi = lateLo, lateHi
	}
	return time.Duration(float64(d) * (lo + (hi-lo)*rng.Float64()))
}

package core

import (
	"context"
	"slices"
	"strings"
	"time"
)

// ObjWishes is the decisions of the headquarters' weekly review of wishes:
// the city admin records them at the meeting; analysts read the list
// (ObjAnalytics) but decide nothing.
const ObjWishes = "wishes"

// Decisions of the weekly review on a wish.
const (
	WishPlanned        = "planned"         // included in a plan, with the date it is planned for
	WishAlreadyPlanned = "already_planned" // the plan already holds it
	WishPassed         = "passed"          // passed to an organization, which gets it assigned
	WishDeclined       = "declined"        // declined, with a reason
)

// WishDecisions lists the decisions in the order the meeting's form shows.
var WishDecisions = []string{WishPlanned, WishAlreadyPlanned, WishPassed, WishDeclined}

// WishDecision is the review's decision on one wish, recorded with who
// took it and when; a later decision on the same wish replaces it (the
// request's history keeps both).
type WishDecision struct {
	RequestID      int64     `bun:"request_id,pk" json:"-"`
	Decision       string    `bun:"decision,notnull" json:"decision"`
	PlanDate       string    `bun:"plan_date,notnull" json:"plan_date,omitempty"` // YYYY-MM-DD, planned only
	OrganizationID *int64    `bun:"organization_id" json:"-"`
	Reason         string    `bun:"reason,notnull" json:"reason,omitempty"`
	Week           string    `bun:"week,notnull" json:"week"` // the ISO week of the review
	DecidedBy      int64     `bun:"decided_by,notnull" json:"-"`
	DecidedAt      time.Time `bun:"decided_at,notnull" json:"decided_at"`

	Organization  string `bun:"-" json:"organization,omitempty"` // code, passed only
	DecidedByName string `bun:"decided_by_name,scanonly" json:"decided_by"`
}

// WishDecisionStore keeps the review's decisions.
type WishDecisionStore interface {
	// SaveWishDecision stores d for its request and appends ev to the
	// request's history, in one transaction.
	SaveWishDecision(ctx context.Context, d *WishDecision, ev *RequestEvent) error
	// WishDecisions returns the decisions on the given requests, by
	// request id.
	WishDecisions(ctx context.Context, requestIDs []int64) (map[int64]*WishDecision, error)
	// WishesDecidedIn returns the wishes decided at the review of an ISO
	// week, with their current status, by number.
	WishesDecidedIn(ctx context.Context, a Actor, week string) ([]Request, error)
}

// WishCluster is a set of similar wishes of one category in a week: they
// share most of their significant words, so the meeting takes them as one
// item.
type WishCluster struct {
	Category  Category
	Districts []District
	Requests  []Request
	// Decided holds the decision of each request that has one, by id.
	Decided map[int64]*WishDecision
}

// Numbers lists the cluster's request numbers.
func (c WishCluster) Numbers() []string {
	out := make([]string, len(c.Requests))
	for i, r := range c.Requests {
		out[i] = r.Number
	}
	return out
}

// similarity is the share of significant words two wishes have in common
// (Jaccard index of their stemmed word sets) at and above which they are
// one cluster.
const similarity = 0.4

// wishWords are the stemmed words of a wish's text that tell it apart:
// folded as searches fold them, without words of fewer than three letters.
func wishWords(text string) map[string]bool {
	out := map[string]bool{}
	for _, w := range foldWords(text) {
		if len([]rune(w)) < 3 || wishStopWords[w] {
			continue
		}
		out[stem(w)] = true
	}
	return out
}

var wishStopWords = map[string]bool{"для": true, "что": true, "как": true, "это": true, "или": true, "нас": true, "наш": true,
	"нам": true, "все": true, "при": true, "без": true, "под": true, "над": true, "очень": true, "просим": true, "прошу": true,
	"пожалуйста": true, "нужно": true, "надо": true, "хотим": true, "хотелось": true, "было": true, "бы": true, "the": true, "and": true}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return float64(n) / float64(len(a)+len(b)-n)
}

// clusterWishes groups the week's wishes of each category by the
// similarity of their texts (single linkage: a wish joins a cluster when it
// is similar to any of its wishes). Clusters are ordered by category, then
// largest first.
func clusterWishes(rs []Request, dir *Directory) []WishCluster {
	type item struct {
		r     Request
		words map[string]bool
	}
	byCat := map[int64][]item{}
	var cats []int64
	for _, r := range rs {
		if _, ok := byCat[r.CategoryID]; !ok {
			cats = append(cats, r.CategoryID)
		}
		byCat[r.CategoryID] = append(byCat[r.CategoryID], item{r, wishWords(r.Description)})
	}
	var out []WishCluster
	for _, cid := range cats {
		items := byCat[cid]
		parent := make([]int, len(items))
		for i := range parent {
			parent[i] = i
		}
		var find func(int) int
		find = func(i int) int {
			for parent[i] != i {
				parent[i] = parent[parent[i]]
				i = parent[i]
			}
			return i
		}
		for i := range items {
			for j := i + 1; j < len(items); j++ {
				if jaccard(items[i].words, items[j].words) >= similarity {
					parent[find(j)] = find(i)
				}
			}
		}
		at := map[int]int{}
		var cs []WishCluster
		for i, it := range items {
			root := find(i)
			k, ok := at[root]
			if !ok {
				k = len(cs)
				at[root] = k
				c := WishCluster{}
				if cat := dir.Category(cid); cat != nil {
					c.Category = *cat
				}
				cs = append(cs, c)
			}
			cs[k].Requests = append(cs[k].Requests, it.r)
			if it.r.DistrictID != nil {
				if d := dir.District(*it.r.DistrictID); d != nil && !slices.ContainsFunc(cs[k].Districts, func(x District) bool { return x.ID == d.ID }) {
					cs[k].Districts = append(cs[k].Districts, *d)
				}
			}
		}
		slices.SortStableFunc(cs, func(a, b WishCluster) int { return len(b.Requests) - len(a.Requests) })
		out = append(out, cs...)
	}
	return out
}

// WishDecisionInput is the meeting's decision on a cluster of wishes.
type WishDecisionInput struct {
	Numbers      []string `json:"numbers"`  // the wishes it applies to
	Decision     string   `json:"decision"` // one of WishDecisions
	PlanDate     string   `json:"plan_date"`
	Organization string   `json:"organization"` // code, for passed
	Reason       string   `json:"reason"`       // required for declined
}

// MaxWishDecision bounds the wishes one decision applies to.
const MaxWishDecision = 500

// Decide records the review's decision on the wishes in.Numbers at the
// review of the current week: EINVALID with field errors for a missing
// plan date, organization or reason, an unknown decision, or a number that
// is not one of the city's wishes; EFORBIDDEN for anyone but the city
// admin. Each wish gets the decision and a public history event that its
// citizen sees in their language; a wish passed to an organization is
// assigned to it through the lifecycle. It returns the decided requests.
func (w *Wishes) Decide(ctx context.Context, a Actor, in WishDecisionInput) ([]Request, error) {
	if err := w.Gate.Allow(ctx, a, ObjWishes, ActUpdate); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	in.Decision, in.PlanDate, in.Organization, in.Reason = strings.TrimSpace(in.Decision), strings.TrimSpace(in.PlanDate),
		strings.TrimSpace(in.Organization), strings.TrimSpace(in.Reason)
	dir, err := w.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	d := &WishDecision{Decision: in.Decision, Reason: in.Reason, Week: ISOWeek(w.Now().In(w.Location)), DecidedBy: a.UserID,
		DecidedAt: w.Now().UTC()}
	var org *Organization
	switch in.Decision {
	case WishPlanned:
		if in.PlanDate == "" {
			fe.Add("plan_date", "error.required")
		} else if _, err := time.Parse(time.DateOnly, in.PlanDate); err != nil {
			fe.Add("plan_date", "error.not_date", "Value", in.PlanDate)
		} else {
			d.PlanDate = in.PlanDate
		}
	case WishAlreadyPlanned:
	case WishPassed:
		if org = dir.OrganizationByCode(in.Organization); in.Organization == "" {
			fe.Add("organization", "error.required")
		} else if org == nil || !org.Active {
			fe.Add("organization", "error.no_active_organization")
		} else {
			d.OrganizationID, d.Organization = &org.ID, org.Code
		}
	case WishDeclined:
		if in.Reason == "" {
			fe.Add("reason", "error.required")
		}
	default:
		fe.Add("decision", "error.one_of", "List", strings.Join(WishDecisions, ", "))
	}
	numbers := slices.Compact(slices.Sorted(slices.Values(in.Numbers)))
	if len(numbers) == 0 || numbers[0] == "" {
		fe.Add("numbers", "error.required")
	} else if len(numbers) > MaxWishDecision {
		fe.Add("numbers", "error.too_many_wishes", "Max", MaxWishDecision)
	}
	var rs []Request
	if len(fe) == 0 {
		for _, n := range numbers {
			r, err := w.Requests.Store.RequestByNumber(ctx, a, n)
			if err != nil || !dir.Category(r.CategoryID).Wish() {
				fe.Add("numbers", "error.not_wish", "Number", n)
				break
			}
			rs = append(rs, *r)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	note := M("event.wish_" + in.Decision)
	switch in.Decision {
	case WishPlanned:
		note = M("event.wish_planned", "Date", in.PlanDate)
	case WishPassed:
		note = M("event.wish_passed", "Org", org.Code)
	}
	out := make([]Request, 0, len(rs))
	for _, r := range rs {
		if in.Decision == WishPassed && r.Status == StatusNew {
			if _, err := w.Requests.Act(ctx, a, r.Number, ActionAssign, ActionInput{Organization: org.Code, Comment: in.Reason}); err != nil {
				return out, err
			}
		}
		dd := *d
		dd.RequestID = r.ID
		ev := &RequestEvent{RequestID: r.ID, ActorID: &a.UserID, Kind: "wish_decision", Note: note, Comment: in.Reason,
			Public: true, CreatedAt: d.DecidedAt}
		if err := w.Decisions.SaveWishDecision(ctx, &dd, ev); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

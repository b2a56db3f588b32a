package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opencity/opencity/core/i18n"
)

// SummarySubscription tells whether the actor gets the weekly summary by
// e-mail. Only HQ (ObjAnalytics, read) has one.
func (a *Analytics) SummarySubscription(ctx context.Context, actor Actor) (bool, error) {
	if err := a.Gate.Allow(ctx, actor, ObjAnalytics, ActRead); err != nil {
		return false, err
	}
	return a.Store.SummarySubscribed(ctx, actor.UserID)
}

// SubscribeSummary turns the actor's own weekly summary e-mail on or off;
// only HQ (ObjAnalytics, read) may have one.
func (a *Analytics) SubscribeSummary(ctx context.Context, actor Actor, on bool) error {
	if err := a.Gate.Allow(ctx, actor, ObjAnalytics, ActRead); err != nil {
		return err
	}
	return a.Store.SetSummarySubscription(ctx, actor.UserID, on, a.Now())
}

// SummaryMail is what the weekly mailing needs besides the city: the
// language of the e-mails (the city's locale), the page's address with
// "?week=" to append (its XLSX adds "&format=xlsx"), and the way to send.
type SummaryMail struct {
	Lang string
	Link string // e.g. https://opencity.example/t/kazan/hq/summary
	Send func(ctx context.Context, to, subject, text string) error
}

// MailWeeklySummary sends week's summary to every subscriber with an
// e-mail address who has not had it yet, each as they may see it (the
// subscriber is the actor: one who lost HQ's rights gets nothing), and
// records each one sent, so that a re-run sends nobody the same week
// twice. It returns how many it sent; a failed send stops the run (the
// job retries the rest).
func (a *Analytics) MailWeeklySummary(ctx context.Context, week string, m SummaryMail) (sent int, err error) {
	us, err := a.Store.SummarySubscribers(ctx)
	if err != nil {
		return 0, err
	}
	for _, u := range us {
		if strings.TrimSpace(u.Email) == "" {
			continue
		}
		done, err := a.Store.SummarySent(ctx, week, u.ID)
		if err != nil || done {
			if err != nil {
				return sent, err
			}
			continue
		}
		actor := Actor{UserID: u.ID, Role: u.Role, Name: u.Name, Email: u.Email}
		if u.OrganizationID != nil {
			actor.OrganizationID = *u.OrganizationID
		}
		s, err := a.WeeklySummary(ctx, actor, week)
		if ErrorCode(err) == EFORBIDDEN {
			continue
		}
		if err != nil {
			return sent, err
		}
		subject, text := summaryText(m.Lang, s, m.Link)
		if err := m.Send(ctx, u.Email, subject, text); err != nil {
			return sent, fmt.Errorf("weekly summary to user %d: %w", u.ID, err)
		}
		if err := a.Store.MarkSummarySent(ctx, week, u.ID, a.Now()); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// summaryText writes the summary e-mail in lang: the week's main figures
// beside the week before, how many hot spots and overdue requests there
// are, and the links to the page and its workbook.
func summaryText(lang string, s *WeeklySummary, link string) (subject, text string) {
	day := func(d string) string {
		t, _ := time.Parse(time.DateOnly, d)
		return t.Format("02.01.2006")
	}
	span := day(s.Current.Period.From) + "–" + day(s.Current.Period.To)
	pct := func(v *float64) string {
		if v == nil {
			return "—"
		}
		out := fmt.Sprintf("%.1f%%", *v*100)
		if lang == "ru" {
			out = strings.Replace(out, ".", ",", 1)
		}
		return out
	}
	c, p := s.Current.Figures, s.Previous.Figures
	page := link + "?week=" + s.Week
	args := map[string]any{"Span": span, "Received": c.Received, "ReceivedBefore": p.Received,
		"Resolution": pct(c.ResolutionShare), "ResolutionBefore": pct(p.ResolutionShare),
		"Reaction": pct(c.ReactionShare), "ReactionBefore": pct(p.ReactionShare),
		"HotSpots": len(s.HotSpots.Rows), "Overdue": s.OverdueTotal, "Page": page, "XLSX": page + "&format=xlsx"}
	return i18n.Text(lang, "mail.summary_subject", args), i18n.Text(lang, "mail.summary_text", args)
}

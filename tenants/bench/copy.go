package bench

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

// copyText appends values in PostgreSQL's COPY text format.
type copyText struct{ b *bytes.Buffer }

func (c copyText) sep() { c.b.WriteByte('\t') }

func (c copyText) str(s string) {
	if strings.ContainsAny(s, "\\\t\n\r") {
		s = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
	}
	c.b.WriteString(s)
}

func (c copyText) int(n int64) { c.b.Write(strconv.AppendInt(c.b.AvailableBuffer(), n, 10)) }

func (c copyText) null() { c.b.WriteString(`\N`) }

func (c copyText) intp(p *int64) {
	if p == nil {
		c.null()
		return
	}
	c.int(*p)
}

func (c copyText) time(t time.Time) {
	c.b.Write(t.UTC().AppendFormat(c.b.AvailableBuffer(), "2006-01-02 15:04:05.999999Z07:00"))
}

func (c copyText) timep(t *time.Time) {
	if t == nil {
		c.null()
		return
	}
	c.time(*t)
}

// encodeRequest writes r as one COPY line in the order of requestColumns.
func encodeRequest(b *bytes.Buffer, r *core.Request) {
	c := copyText{b}
	c.int(r.ID)
	for _, s := range []string{r.Number, string(r.Channel), string(r.Status), string(r.Priority)} {
		c.sep()
		c.str(s)
	}
	c.sep()
	c.int(r.CategoryID)
	c.sep()
	c.intp(r.BuildingID)
	c.sep()
	c.intp(r.DistrictID)
	for _, s := range []string{r.Address, r.Apartment, r.Description, r.ApplicantName, r.ApplicantPhone} {
		c.sep()
		c.str(s)
	}
	c.sep()
	c.intp(r.CitizenID)
	c.sep()
	c.int(r.CreatedBy)
	c.sep()
	c.intp(r.OrganizationID)
	c.sep()
	c.intp(r.DuplicateOf)
	for _, t := range []*time.Time{r.ReactionDueAt, r.ResolutionDueAt, r.AssignedAt, r.AcceptedAt, r.ResolvedAt, r.ClosedAt} {
		c.sep()
		c.timep(t)
	}
	c.sep()
	c.intp(r.ReactionSeconds)
	c.sep()
	c.intp(r.ResolutionSeconds)
	c.sep()
	if r.Rating == nil {
		c.null()
	} else {
		c.int(int64(*r.Rating))
	}
	c.sep()
	c.str(r.SearchText)
	c.sep()
	c.time(r.CreatedAt)
	c.sep()
	c.time(r.UpdatedAt)
	c.sep()
	c.str(r.CreatedDay)
	b.WriteByte('\n')
}

// encodeEvent writes e as one COPY line in the order of eventColumns.
func encodeEvent(b *bytes.Buffer, e *core.RequestEvent) {
	c := copyText{b}
	c.int(e.RequestID)
	c.sep()
	c.intp(e.ActorID)
	c.sep()
	c.str(e.Kind)
	c.sep()
	c.intp(e.OrganizationID)
	note, _ := e.Note.Value()
	for _, s := range []string{e.FromState, e.ToState, note.(string), e.Comment} {
		c.sep()
		c.str(s)
	}
	c.sep()
	if e.Public {
		c.b.WriteByte('t')
	} else {
		c.b.WriteByte('f')
	}
	c.sep()
	c.time(e.CreatedAt)
	b.WriteByte('\n')
}

package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

// copyText appends rows in PostgreSQL's COPY text format
// (https://www.postgresql.org/docs/15/sql-copy.html, "Text Format").
type copyText struct{ b *bytes.Buffer }

var copyEscapes = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// row writes vs as one line, tab-separated: strings escaped, integers in
// decimal, times in UTC with microseconds, booleans as t and f, and a nil
// pointer as NULL (\N). Any other type is a programming error and panics.
func (c copyText) row(vs ...any) {
	for i, v := range vs {
		if i > 0 {
			c.b.WriteByte('\t')
		}
		switch v := v.(type) {
		case string:
			if strings.ContainsAny(v, "\\\t\n\r") {
				v = copyEscapes.Replace(v)
			}
			c.b.WriteString(v)
		case int:
			c.b.Write(strconv.AppendInt(c.b.AvailableBuffer(), int64(v), 10))
		case int64:
			c.b.Write(strconv.AppendInt(c.b.AvailableBuffer(), v, 10))
		case *int64:
			if v == nil {
				c.null()
			} else {
				c.b.Write(strconv.AppendInt(c.b.AvailableBuffer(), *v, 10))
			}
		case *int:
			if v == nil {
				c.null()
			} else {
				c.b.Write(strconv.AppendInt(c.b.AvailableBuffer(), int64(*v), 10))
			}
		case time.Time:
			c.b.Write(v.UTC().AppendFormat(c.b.AvailableBuffer(), "2006-01-02 15:04:05.999999Z07:00"))
		case *time.Time:
			if v == nil {
				c.null()
			} else {
				c.b.Write(v.UTC().AppendFormat(c.b.AvailableBuffer(), "2006-01-02 15:04:05.999999Z07:00"))
			}
		case bool:
			if v {
				c.b.WriteByte('t')
			} else {
				c.b.WriteByte('f')
			}
		default:
			panic(fmt.Sprintf("bench: no COPY text form for %T", v))
		}
	}
	c.b.WriteByte('\n')
}

func (c copyText) null() { c.b.WriteString(`\N`) }

// encodeRequest writes r as one COPY line in the order of requestColumns.
func encodeRequest(b *bytes.Buffer, r *core.Request) {
	copyText{b}.row(r.ID, r.Number, string(r.Channel), string(r.Status), string(r.Priority),
		r.CategoryID, r.BuildingID, r.DistrictID,
		r.Address, r.Apartment, r.Description, r.ApplicantName, r.ApplicantPhone,
		r.CitizenID, r.CreatedBy, r.OrganizationID, r.DuplicateOf,
		r.ReactionDueAt, r.ResolutionDueAt, r.AssignedAt, r.AcceptedAt, r.ResolvedAt, r.ClosedAt,
		r.ReactionSeconds, r.ResolutionSeconds, r.Rating,
		r.SearchText, r.CreatedAt, r.UpdatedAt, r.CreatedDay, r.Cycle, r.CycleStartedAt)
}

// encodeCycle writes c as one COPY line in the order of cycleColumns.
func encodeCycle(b *bytes.Buffer, c *core.RequestCycle) {
	copyText{b}.row(c.RequestID, c.Cycle, c.StartedAt, c.OrganizationID, c.ReactionDueAt, c.ResolutionDueAt,
		c.AcceptedAt, c.ResolvedAt, c.ClosedAt, c.ReactionSeconds, c.ResolutionSeconds,
		c.ReactionLate, c.ResolutionLate, c.EscalationLevel)
}

// encodeEvent writes e as one COPY line in the order of eventColumns.
func encodeEvent(b *bytes.Buffer, e *core.RequestEvent) {
	note, _ := e.Note.Value()
	copyText{b}.row(e.RequestID, e.ActorID, e.Kind, e.OrganizationID,
		e.FromState, e.ToState, note.(string), e.Comment, e.Public, e.CreatedAt)
}

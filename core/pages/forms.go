package pages

import (
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencity/opencity/core"
)

// The form fields of a new request carry the names of core's field errors
// (applicant.phone, location.lat …), so a domain error lands next to its
// field without a mapping table.
const (
	fCategory   = "category"
	fBuilding   = "building_id"
	fAddress    = "address"
	fApartment  = "apartment"
	fEntrance   = "entrance"
	fLat        = "location.lat"
	fLon        = "location.lon"
	fDesc       = "description"
	fName       = "applicant.name"
	fPhone      = "applicant.phone"
	fEmail      = "applicant.email"
	fEmergency  = "emergency"
	fComment    = "comment"
	fOrg        = "organization"
	fOriginal   = "original"
	fRating     = "rating"
	fPhoto      = "photo"
	fSearch     = "q"
	fFormKey    = "form_key"
	fFind       = "find"
	fPublicNote = "public"
	fMatches    = "matches"
	fJoin       = "join"
	fFollows    = "follows"
)

// newRequestForm reads a call-taking or portal form into intake's input. It
// reports only what the form itself cannot express (a building id or a
// coordinate that is not a number); everything else is intake's to judge.
func newRequestForm(form url.Values) (core.NewRequest, core.FieldErrors) {
	f := core.FieldErrors{}
	in := core.NewRequest{
		Category: form.Get(fCategory), Address: form.Get(fAddress), Apartment: form.Get(fApartment),
		Entrance: form.Get(fEntrance), Description: form.Get(fDesc),
		Applicant: core.Applicant{Name: form.Get(fName), Phone: form.Get(fPhone), Email: form.Get(fEmail)},
		Follows:   form.Get(fFollows),
	}
	if v := strings.TrimSpace(form.Get(fBuilding)); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.Add(fBuilding, "error.not_integer")
		} else {
			in.BuildingID = &id
		}
	}
	lat, lon := strings.TrimSpace(form.Get(fLat)), strings.TrimSpace(form.Get(fLon))
	if lat != "" || lon != "" {
		var loc core.Location
		var err error
		if loc.Lat, err = parseCoord(lat); err != nil {
			f.Add(fLat, "error.not_number")
		}
		if loc.Lon, err = parseCoord(lon); err != nil {
			f.Add(fLon, "error.not_number")
		}
		in.Location = &loc
	}
	if form.Get(fEmergency) != "" {
		in.Priority = core.PriorityEmergency
	}
	return in, f
}

// parseCoord reads a coordinate written with a point or a comma.
func parseCoord(s string) (float64, error) {
	return strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
}

// fieldErrors returns the field messages of a domain error, nil for other
// errors.
func fieldErrors(err error) core.FieldErrors {
	var e *core.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return nil
}

// formWide makes the message of an intake field the request forms have no
// input for (priority and channel, which a role may be refused) the form's
// own message, so the refusal is explained on the page.
func formWide(err error) error {
	var e *core.Error
	if !errors.As(err, &e) {
		return err
	}
	for _, f := range []string{"priority", "channel"} {
		if m, ok := e.Fields[f]; ok {
			out := *e
			out.Fields = maps.Clone(e.Fields)
			out.Fields["form"] = m
			return &out
		}
	}
	return err
}

package core

import (
	"context"
	"errors"
	"strings"
)

// MsgNULCharacter is the field message of text holding a NUL character
// (U+0000), which no person types: PostgreSQL cannot store it in text and
// SQLite would, so both refuse it alike.
const MsgNULCharacter = "error.nul_character"

// Check judges a submission as intake does and reports every fault at
// once: the shape of each field (Validate, with the phone number read in
// the city's phone region and kept in E.164 form), what the actor's role may
// set (CheckSetters), the idempotency key, and whether the category and the
// building exist. extra holds faults found before (a form field that is not
// a number) and is merged in, so a person fixing a form is never shown
// one round of errors after another. It returns the category and building
// when in is acceptable, an EINVALID *Error with every field message
// otherwise.
func (s *Requests) Check(ctx context.Context, actor Actor, in *NewRequest, key string, extra FieldErrors) (*Category, *Building, error) {
	f, err := s.checkShape(ctx, actor, in, key, extra)
	if err != nil {
		return nil, nil, err
	}
	return s.lookup(ctx, in, f)
}

// addFields merges the field messages of an EINVALID error into f; any
// other error is returned.
func addFields(f FieldErrors, err error) error {
	var e *Error
	if err == nil {
		return nil
	}
	if !errors.As(err, &e) || e.Code != EINVALID || len(e.Fields) == 0 {
		return err
	}
	for k, m := range e.Fields {
		f.AddMsg(k, m)
	}
	return nil
}

// checkShape is Check without the lookups: the faults of in that need no
// storage but the city's phone region.
func (s *Requests) checkShape(ctx context.Context, actor Actor, in *NewRequest, key string, extra FieldErrors) (FieldErrors, error) {
	in.Normalize()
	region, err := s.Store.PhoneRegion(ctx)
	if err != nil {
		return nil, err
	}
	f := FieldErrors{}
	for k, m := range extra {
		f.AddMsg(k, m)
	}
	if err := addFields(f, in.Validate(region)); err != nil {
		return nil, err
	}
	if err := addFields(f, in.CheckSetters(actor)); err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(key)) > MaxIdempotencyKey {
		f.Add("Idempotency-Key", "error.max_200")
	}
	return f, nil
}

// lookup finds the category and building in names, adding unknown ones to
// the faults f found before; it answers every fault at once.
func (s *Requests) lookup(ctx context.Context, in *NewRequest, f FieldErrors) (*Category, *Building, error) {
	var cat *Category
	var building *Building
	if _, bad := f["building_id"]; !bad && in.Category != "" && !strings.ContainsRune(in.Category, 0) {
		var err error
		cat, building, err = s.Store.IntakeLookup(ctx, in.Category, in.BuildingID)
		if err := addFields(f, err); err != nil {
			return nil, nil, err
		}
	}
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	return cat, building, nil
}

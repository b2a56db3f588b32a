package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/store"
)

// photosCmd runs `opencity photos clean [--city SLUG]`: photos stored
// before uploads were re-encoded still carry their EXIF (GPS position,
// device) and XMP; this re-encodes them as new uploads are.
func photosCmd(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "clean" {
		return errors.New("usage: opencity photos clean [--city SLUG]")
	}
	fs := newFlags("photos clean [--city SLUG]", "Re-encodes the stored photos that still carry metadata (EXIF, GPS, XMP, comments),\n"+
		"applying their orientation, as uploads are today. Safe to run again: clean photos are left alone.", out)
	only := fs.String("city", "", "only this city")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	photos, err := server.OpenPhotos(ctx, cfg)
	if err != nil {
		return err
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, t := range ts {
		if *only != "" && t.Slug != *only {
			continue
		}
		found = true
		st, err := b.Store(t.Slug)
		if err != nil {
			fmt.Fprintf(out, "%-18s skipped: %v\n", t.Slug, err)
			continue
		}
		r, err := cleanCityPhotos(ctx, photos, t.Slug, st)
		if err != nil {
			fmt.Fprintf(out, "%-18s skipped: %v\n", t.Slug, err)
			continue
		}
		fmt.Fprintf(out, "%-18s %d photos, %d re-encoded, %d missing in storage, %d unreadable (left as they are)\n",
			t.Slug, r.total, r.cleaned, r.missing, r.unreadable)
	}
	if *only != "" && !found {
		return fmt.Errorf("no city %q", *only)
	}
	return nil
}

type cleanReport struct{ total, cleaned, missing, unreadable int }

// cleanCityPhotos re-encodes one city's photos that carry metadata, points
// their records at the new files and removes the old files no record uses.
func cleanCityPhotos(ctx context.Context, photos core.Blobs, slug string, st *store.Store) (cleanReport, error) {
	var r cleanReport
	atts, err := st.AllAttachments(ctx)
	if err != nil {
		return r, err
	}
	r.total = len(atts)
	replaced := map[string]bool{}
	for i := range atts {
		a := &atts[i]
		key := httpapi.PhotoKey(a)
		data, err := readBlob(ctx, photos, slug, key)
		if errors.Is(err, core.ErrNotFound) {
			r.missing++
			continue
		}
		if err != nil {
			return r, err
		}
		if !httpapi.PhotoHasMetadata(data, a.ContentType) {
			continue
		}
		clean, ctype, err := httpapi.CleanPhoto(data)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				return r, err
			}
			r.unreadable++
			continue
		}
		hash, err := httpapi.WritePhotoFile(ctx, photos, slug, clean, ctype)
		if err != nil {
			return r, err
		}
		if err := st.ReplaceAttachmentFile(ctx, a.ID, hash, ctype, int64(len(clean))); err != nil {
			return r, err
		}
		replaced[key] = true
		r.cleaned++
	}
	if len(replaced) == 0 {
		return r, nil
	}
	atts, err = st.AllAttachments(ctx)
	if err != nil {
		return r, err
	}
	for i := range atts {
		delete(replaced, httpapi.PhotoKey(&atts[i]))
	}
	for key := range replaced {
		if err := photos.Delete(ctx, slug, key); err != nil {
			return r, err
		}
	}
	return r, nil
}

// readBlob reads a whole stored file; a missing one is core.ErrNotFound.
func readBlob(ctx context.Context, photos core.Blobs, city, key string) ([]byte, error) {
	f, err := photos.Open(ctx, city, key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

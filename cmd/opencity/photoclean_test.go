package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// exifAPP1 is an APP1 segment (marker, length, "Exif\0\0", a big-endian
// TIFF header) with IFD0 holding Orientation = orientation and a pointer to
// a GPS IFD placing the camera at 55°47′N — what a phone writes.
func exifAPP1(orientation uint16) []byte {
	var t bytes.Buffer
	be := binary.BigEndian
	w := func(v any) { _ = binary.Write(&t, be, v) }
	t.WriteString("MM")
	w(uint16(42))
	w(uint32(8)) // IFD0 right after the header
	// IFD0 at 8: two entries, then the next-IFD offset; 2+24+4 = 30 bytes.
	w(uint16(2))
	w([]uint16{0x0112, 3}) // Orientation, SHORT
	w(uint32(1))
	w([]uint16{orientation, 0})
	w([]uint16{0x8825, 4}) // GPSInfo IFD pointer, LONG
	w(uint32(1))
	w(uint32(38))
	w(uint32(0))
	// GPS IFD at 38: latitude reference and latitude; its rationals at 68.
	w(uint16(2))
	w([]uint16{0x0001, 2}) // GPSLatitudeRef, ASCII "N\0"
	w(uint32(2))
	t.Write([]byte{'N', 0, 0, 0})
	w([]uint16{0x0002, 5}) // GPSLatitude, three RATIONALs
	w(uint32(3))
	w(uint32(68))
	w(uint32(0))
	w([]uint32{55, 1, 47, 1, 0, 1})
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	return segment(0xE1, payload)
}

// segment is a JPEG marker segment with its length.
func segment(marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// phoneJPEG is a 40×20 JPEG, red on the left half and blue on the right,
// stored sideways as phones do: EXIF orientation 6 (turn 90° clockwise to
// show), with a GPS position, an XMP packet and a comment naming the device.
func phoneJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= 20 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>55,47N</exif:GPSLatitude></x:xmpmeta>"))
	com := segment(0xFE, []byte("PhoneMaker Model X serial 0042"))
	out := append([]byte{}, raw[:2]...) // SOI
	out = append(out, exifAPP1(6)...)
	out = append(out, xmp...)
	out = append(out, com...)
	return append(out, raw[2:]...)
}

// mostly says which of red and blue dominates the pixel.
func mostly(c color.Color) string {
	r, _, b, _ := c.RGBA()
	switch {
	case r > 2*b:
		return "red"
	case b > 2*r:
		return "blue"
	}
	return "mixed"
}

// TestPhotosLoseMetadata is the citizen whose phone writes their position
// into every photo, and the attacker who sends a photo format the server
// cannot read: through the API and the portal form, the stored and served
// photo carries no EXIF, GPS, XMP or comment and has the orientation
// applied to its pixels; a HEIC photo is refused with a message in the
// page's language next to the photo field, the rest of the form kept.
func TestPhotosLoseMetadata(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			cit := s.login("kazan", "citizen")
			number := s.submit("kazan", cit, "Фото с телефона")
			photo := phoneJPEG(t)
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(photo)); err != nil || cfg.Width != 40 {
				t.Fatalf("the test's own JPEG: %v %+v", err, cfg)
			}
			r := s.upload("kazan", cit, number, "IMG_0001.jpg", photo)
			if r.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			ph := r.json(t)
			req, _ := http.NewRequest("GET", s.URL()+"/t/kazan/api/v1/"+ph["url"].(string), nil)
			req.Header.Set("Authorization", "Bearer "+cit)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("served: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if int64(len(stored)) != int64(ph["size"].(float64)) {
				t.Errorf("size %v recorded, %d served", ph["size"], len(stored))
			}
			for _, leak := range []string{"Exif", "MM\x00\x2a", "ns.adobe.com", "GPSLatitude", "PhoneMaker"} {
				if bytes.Contains(stored, []byte(leak)) {
					t.Errorf("the stored photo still carries %q", leak)
				}
			}
			if bytes.Contains(stored, []byte{0xFF, 0xE1}) {
				t.Error("the stored photo still has an APP1 segment")
			}
			img, err := jpeg.Decode(bytes.NewReader(stored))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
				t.Fatalf("stored %dx%d, want 20x40 (turned upright)", b.Dx(), b.Dy())
			}
			if top, bottom := mostly(img.At(10, 5)), mostly(img.At(10, 35)); top != "red" || bottom != "blue" {
				t.Errorf("after turning: top %s, bottom %s; want red over blue", top, bottom)
			}

			// The portal form: a HEIC photo is refused in Russian next to the
			// photo field, and the description typed stays in the form.
			heic := append([]byte{0, 0, 0, 0x18}, []byte("ftypheic\x00\x00\x00\x00mif1heic")...)
			heic = append(heic, make([]byte, 2048)...)
			form := map[string]string{"category": "lift", "building_id": "1", "description": "Подъезд 3, лифт стоит",
				"applicant.phone": "+79171234567"}
			pr := s.page("POST", "/t/kazan/new?lang=ru", cit, form, heic)
			body := string(pr.Body)
			if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(body, "HEIC") ||
				!strings.Contains(body, "отправьте JPEG") || !strings.Contains(body, "Подъезд 3, лифт стоит") {
				t.Errorf("HEIC on the portal: %d %.3000s", pr.Status, body)
			}
			// Through the API: the same field message, in English.
			r = s.upload("kazan", cit, number, "IMG_0002.HEIC", heic)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "HEIC") {
				t.Errorf("HEIC through the API: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestPhotoBombRefused is the attacker who sends a small PNG declaring a
// huge canvas: it is refused by its header, before any pixel is decoded.
func TestPhotoBombRefused(t *testing.T) {
	s := startServer(t, "sqlite")
	cit := s.login("kazan", "citizen")
	number := s.submit("kazan", cit, "bomb")
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	bomb := b.Bytes()
	// The IHDR chunk: length at 8, type at 12, width and height at 16 and
	// 20, its CRC (over type and data) at 29. Claim 20000×20000.
	binary.BigEndian.PutUint32(bomb[16:], 20000)
	binary.BigEndian.PutUint32(bomb[20:], 20000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	r := s.upload("kazan", cit, number, "bomb.png", bomb)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "50 мегапикселей") { // Kazan speaks Russian
		t.Errorf("a 400-megapixel PNG: %d %s", r.Status, r.Body)
	}
}

// TestPhotosCleanCommand: photos stored before uploads were re-encoded
// still carry the phone's GPS position; `opencity photos clean` re-encodes
// them (turned upright, metadata gone), removes the old file, leaves clean
// photos alone and does nothing the second time.
func TestPhotosCleanCommand(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			ctx := context.Background()
			cit := s.login("kazan", "citizen")
			number := s.submit("kazan", cit, "Старое фото")
			city, err := s.Cities.BySlug(ctx, "kazan")
			if err != nil {
				t.Fatal(err)
			}
			staff := core.Actor{Role: core.RoleDispatcher}
			old, err := httpapi.StorePhoto(ctx, s.Photos(), city, staff, number, "old.jpg", phoneJPEG(t), "image/jpeg", true, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			plain, err := httpapi.StorePhoto(ctx, s.Photos(), city, staff, number, "plain.png", pngBytes(t), "image/png", true, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			oldPath := filepath.Join(s.db.DataDir, "uploads", "kazan", httpapi.PhotoKey(old))
			var out bytes.Buffer
			if err := run(ctx, []string{"photos", "clean"}, env(s.db), &out); err != nil {
				t.Fatalf("photos clean: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "kazan") || !strings.Contains(out.String(), "2 photos, 1 re-encoded") {
				t.Errorf("report:\n%s", out.String())
			}
			if _, err := os.Stat(oldPath); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the old file with the GPS position is still on disk: %v", err)
			}
			if _, err := os.Stat(filepath.Join(s.db.DataDir, "uploads", "kazan", httpapi.PhotoKey(plain))); err != nil {
				t.Errorf("the clean PNG was touched: %v", err)
			}
			got := s.photoBytes(t, cit, "requests/"+number+"/photos/"+itoa(old.ID))
			if bytes.Contains(got, []byte("Exif")) || bytes.Contains(got, []byte("ns.adobe.com")) || bytes.Contains(got, []byte("PhoneMaker")) {
				t.Error("the re-encoded photo still carries metadata")
			}
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(got)); err != nil || cfg.Width != 20 || cfg.Height != 40 {
				t.Errorf("re-encoded photo: %v %+v, want 20x40", err, cfg)
			}
			out.Reset()
			if err := run(ctx, []string{"photos", "clean", "--city", "kazan"}, env(s.db), &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "2 photos, 0 re-encoded") {
				t.Errorf("second run:\n%s", out.String())
			}
		})
	}
}

// photoBytes fetches a photo through the API.
func (s *testServer) photoBytes(t *testing.T, token, url string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+"/t/kazan/api/v1/"+url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// TestPhotosLoseMetadataOnEveryUploadRoute sends the phone's photo, GPS
// position and all, through every route that takes a photo — the API, the
// portal's form, the anonymous report, the call form, a request page's
// photo form and the resolve form — and reads every stored file: none
// carries the metadata, and each route with a photo field stored its photo.
func TestPhotosLoseMetadataOnEveryUploadRoute(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			cit, disp, op := s.login("kazan", "citizen"), s.login("kazan", "dispatcher"), s.login("kazan", "operator")
			admin := s.login("kazan", "admin")
			if r := s.call("PUT", "/t/kazan/api/v1/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("anonymous submissions on: %d %s", r.Status, r.Body)
			}
			var org string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT o.code FROM organizations AS o JOIN users AS u ON u.organization_id = o.id WHERE u.login = 'operator'").Scan(ctx, &org)
			})
			photo := phoneJPEG(t)
			intake := func(mark string) map[string]string {
				return map[string]string{"category": "lift", "building_id": "1", "description": mark, "applicant.phone": "+79171234567"}
			}
			mine := s.submit("kazan", cit, "PHOTO-PAGE-FORM")
			resolved := s.submit("kazan", disp, "PHOTO-RESOLVE")
			if got := s.Get("kazan", disp, resolved); got["status"] != "assigned" {
				s.MustAct("kazan", disp, resolved, "assign", map[string]string{"organization": org}, "assigned")
			}
			s.MustAct("kazan", op, resolved, "accept", nil, "accepted")
			api := s.submit("kazan", cit, "PHOTO-API")
			if r := s.upload("kazan", cit, api, "IMG_0001.jpg", photo); r.Status != http.StatusCreated {
				t.Fatalf("API upload: %d %s", r.Status, r.Body)
			}
			for _, f := range []struct{ route, token, path, mark string }{
				{"portal form", cit, "/t/kazan/new", "PHOTO-NEW"},
				{"anonymous report", "", "/t/kazan/report", "PHOTO-REPORT"},
				{"call form", disp, "/t/kazan/desk/call", "PHOTO-CALL"},
				{"request page", cit, "/t/kazan/requests/" + mine + "/photo", ""},
				{"resolve form", op, "/t/kazan/requests/" + resolved + "/resolve", ""},
			} {
				form := intake(f.mark)
				if f.mark == "" {
					form = map[string]string{"comment": "Готово"}
				}
				if r := s.page("POST", f.path, f.token, form, photo); r.Status != http.StatusSeeOther {
					t.Errorf("%s: %d %.500s", f.route, r.Status, r.Body)
				}
			}
			var stored []string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw(`SELECT r.description FROM attachments AS a JOIN requests AS r ON r.id = a.request_id
					WHERE r.description LIKE 'PHOTO-%' ORDER BY 1`).Scan(ctx, &stored)
			})
			// The anonymous report has no photo field: a photo posted to it
			// anyway is not kept.
			if want := []string{"PHOTO-API", "PHOTO-CALL", "PHOTO-NEW", "PHOTO-PAGE-FORM", "PHOTO-RESOLVE"}; strings.Join(stored, ",") != strings.Join(want, ",") {
				t.Errorf("requests with a stored photo: %v, want %v", stored, want)
			}
			files := 0
			err := filepath.WalkDir(filepath.Join(s.DB.DataDir, "uploads"), func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				files++
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				for _, leak := range []string{"Exif", "ns.adobe.com", "GPSLatitude", "PhoneMaker"} {
					if bytes.Contains(b, []byte(leak)) {
						t.Errorf("the stored %s still carries %q", filepath.Base(p), leak)
					}
				}
				return nil
			})
			if err != nil || files == 0 {
				t.Fatalf("the stored photos: %d files, %v", files, err)
			}
		})
	}
}

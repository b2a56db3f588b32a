package httpapi_test

import (
	"bytes"
	"context"
	"encoding/binary"
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

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

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
			s := servertest.Start(t, kind)
			cit := s.Login("kazan", "citizen")
			number := s.Submit("kazan", cit, "Фото с телефона")
			photo := apitest.PhoneJPEG(t)
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(photo)); err != nil || cfg.Width != 40 {
				t.Fatalf("the test's own JPEG: %v %+v", err, cfg)
			}
			r := s.Upload("kazan", cit, number, "IMG_0001.jpg", photo)
			if r.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			ph := r.JSON(t)
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
			pr := s.Page("POST", "/t/kazan/new?lang=ru", cit, form, heic)
			body := string(pr.Body)
			if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(body, "HEIC") ||
				!strings.Contains(body, "отправьте JPEG") || !strings.Contains(body, "Подъезд 3, лифт стоит") {
				t.Errorf("HEIC on the portal: %d %.3000s", pr.Status, body)
			}
			// Through the API: the same field message, in English.
			r = s.Upload("kazan", cit, number, "IMG_0002.HEIC", heic)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "HEIC") {
				t.Errorf("HEIC through the API: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestPhotoBombRefused is the attacker who sends a small PNG declaring a
// huge canvas: it is refused by its header, before any pixel is decoded.
func TestPhotoBombRefused(t *testing.T) {
	s := servertest.StartOne(t)
	cit := s.Login("kazan", "citizen")
	number := s.Submit("kazan", cit, "bomb")
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
	r := s.Upload("kazan", cit, number, "bomb.png", bomb)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "50 мегапикселей") { // Kazan speaks Russian
		t.Errorf("a 400-megapixel PNG: %d %s", r.Status, r.Body)
	}
}

// TestPhotosLoseMetadataOnEveryUploadRoute sends the phone's photo, GPS
// position and all, through every route that takes a photo — the API, the
// portal's form, the anonymous report, the call form, a request page's
// photo form and the resolve form — and reads every stored file: none
// carries the metadata, and each route with a photo field stored its photo.
func TestPhotosLoseMetadataOnEveryUploadRoute(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit, disp, op := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator")
			admin := s.Login("kazan", "admin")
			if r := s.Call("PUT", "/t/kazan/api/v1/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
				t.Fatalf("anonymous submissions on: %d %s", r.Status, r.Body)
			}
			var org string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT o.code FROM organizations AS o JOIN users AS u ON u.organization_id = o.id WHERE u.login = 'operator'").Scan(ctx, &org)
			})
			photo := apitest.PhoneJPEG(t)
			intake := func(mark string) map[string]string {
				return map[string]string{"category": "lift", "building_id": "1", "description": mark, "applicant.phone": "+79171234567"}
			}
			mine := s.Submit("kazan", cit, "PHOTO-PAGE-FORM")
			resolved := s.Submit("kazan", disp, "PHOTO-RESOLVE")
			if got := s.Get("kazan", disp, resolved); got["status"] != "assigned" {
				s.MustAct("kazan", disp, resolved, "assign", map[string]string{"organization": org}, "assigned")
			}
			s.MustAct("kazan", op, resolved, "accept", nil, "accepted")
			api := s.Submit("kazan", cit, "PHOTO-API")
			if r := s.Upload("kazan", cit, api, "IMG_0001.jpg", photo); r.Status != http.StatusCreated {
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
				if r := s.Page("POST", f.path, f.token, form, photo); r.Status != http.StatusSeeOther {
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

package main

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
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
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

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
			old, err := httpapi.StorePhoto(ctx, s.Photos(), city, staff, number, "old.jpg", apitest.PhoneJPEG(t), "image/jpeg", true, time.Now())
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

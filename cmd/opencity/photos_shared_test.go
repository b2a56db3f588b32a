package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/blobstore"
	"github.com/opencity/opencity/core/blobstore/s3test"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// colorPNG is a 6×6 PNG of one colour.
func colorPNG(t *testing.T, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 6, 6))
	for i := range img.Pix {
		img.Pix[i] = []uint8{c.R, c.G, c.B, c.A}[i%4]
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPhotosOnSharedStorage: two replicas share one database and one
// bucket of a real S3-compatible server (SeaweedFS). A photo uploaded
// through one replica's API is served by the other, nothing lands in the
// local data folders, another city reaches neither the photo nor its key,
// and `opencity photos clean` works on the bucket.
func TestPhotosOnSharedStorage(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := tenanttest.New(t, kind)
			bucket := s3test.Start(t, "opencity-photos")
			photos := server.PhotoStorage{S3: bucket}
			// SQLite keeps its database in the data folder, so both
			// replicas use that one; PostgreSQL replicas get folders of
			// their own.
			dirB := db.DataDir
			if db.DatabaseURL != "" {
				dirB = t.TempDir()
			}
			start := func(dir string, demo bool) *testServer {
				return wrap(t, servertest.StartConfig(t, db, server.Config{DatabaseURL: db.DatabaseURL, DataDir: dir, Demo: demo,
					BaseDomain: "opencity.test", Photos: photos}))
			}
			a, b := start(db.DataDir, true), start(dirB, false)

			citA, citB := a.login("kazan", "citizen"), b.login("kazan", "citizen")
			n := a.submit("kazan", citA, "Фото с двух серверов")
			upA := a.upload("kazan", citA, n, "red.png", colorPNG(t, color.RGBA{200, 20, 20, 255}))
			upB := b.upload("kazan", citB, n, "blue.png", colorPNG(t, color.RGBA{20, 20, 200, 255}))
			if upA.Status != 201 || upB.Status != 201 {
				t.Fatalf("uploads: %d %s / %d %s", upA.Status, upA.Body, upB.Status, upB.Body)
			}
			get := func(s *testServer, city, token, url string) response {
				return s.call("GET", "/t/"+city+"/api/v1/"+url, token, nil)
			}
			urlA, urlB := upA.json(t)["url"].(string), upB.json(t)["url"].(string)
			served := map[string][]byte{}
			for _, u := range []string{urlA, urlB} {
				fromA, fromB := get(a, "kazan", citA, u), get(b, "kazan", citB, u)
				if fromA.Status != 200 || fromB.Status != 200 {
					t.Fatalf("GET %s: replica A %d %s, replica B %d %s", u, fromA.Status, fromA.Body, fromB.Status, fromB.Body)
				}
				if !bytes.Equal(fromA.Body, fromB.Body) || fromA.Header.Get("Content-Type") != "image/png" {
					t.Errorf("GET %s: the replicas serve different bytes (%d, %d) or type %q", u, len(fromA.Body), len(fromB.Body), fromA.Header.Get("Content-Type"))
				}
				if _, err := png.Decode(bytes.NewReader(fromA.Body)); err != nil {
					t.Errorf("GET %s: not a PNG: %v", u, err)
				}
				served[u] = fromA.Body
			}
			if bytes.Equal(served[urlA], served[urlB]) {
				t.Error("the two photos are served as the same file")
			}
			for _, dir := range []string{db.DataDir, dirB} {
				if _, err := os.Stat(filepath.Join(dir, "uploads")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("photos written to the local folder %s: %v", dir, err)
				}
			}

			// Another city: not through its API, not by the key.
			other := b.login("nizhnekamsk", "citizen")
			if r := get(b, "nizhnekamsk", other, urlA); r.Status != 404 {
				t.Errorf("nizhnekamsk reads kazan's photo: %d %s", r.Status, r.Body)
			}
			store, err := blobstore.NewS3(ctx, bucket)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(served[urlA])
			key := hex.EncodeToString(sum[:]) + ".png"
			if f, err := store.Open(ctx, "kazan", key); err != nil {
				t.Errorf("kazan's photo is not in the bucket under its key: %v", err)
			} else {
				f.Close()
			}
			if _, err := store.Open(ctx, "nizhnekamsk", key); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("nizhnekamsk opens kazan's key: %v", err)
			}
			if _, err := store.Open(ctx, "nizhnekamsk/../kazan", key); err == nil || errors.Is(err, core.ErrNotFound) {
				t.Errorf("a city name climbing into kazan's prefix: %v", err)
			}

			// The maintenance command reads and writes the same bucket.
			var out bytes.Buffer
			s3env := env(db, "OPENCITY_S3_ENDPOINT", bucket.Endpoint, "OPENCITY_S3_BUCKET", bucket.Bucket,
				"OPENCITY_S3_ACCESS_KEY", bucket.AccessKey, "OPENCITY_S3_SECRET_KEY", bucket.SecretKey,
				"OPENCITY_S3_REGION", bucket.Region, "OPENCITY_S3_USE_SSL", "false")
			if err := run(ctx, []string{"photos", "clean", "--city", "kazan"}, s3env, &out); err != nil {
				t.Fatalf("photos clean: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "2 photos, 0 re-encoded, 0 missing") {
				t.Errorf("photos clean on the bucket:\n%s", out.String())
			}
		})
	}
}

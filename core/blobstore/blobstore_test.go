package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/blobstore"
	"github.com/opencity/opencity/core/blobstore/s3test"
)

// TestBlobs runs one contract on both backends: the local folder and a
// bucket of a real S3-compatible server (SeaweedFS).
func TestBlobs(t *testing.T) {
	t.Run("local", func(t *testing.T) { contract(t, blobstore.Local{Dir: t.TempDir()}) })
	t.Run("s3", func(t *testing.T) {
		cfg := s3test.Start(t, "photos")
		s, err := blobstore.NewS3(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		contract(t, s)
	})
}

func key(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) + ".png"
}

// contract: what is put reads back (seeking too) in its own city only, a
// missing file is core.ErrNotFound, names that could leave a city's space
// are refused before anything is stored, and Delete is idempotent.
func contract(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	data := []byte("a photo of a broken lift")
	k := key(data)
	if err := b.Put(ctx, "kazan", k, data, "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "kazan", k, data, "image/png"); err != nil {
		t.Fatalf("the same content again: %v", err)
	}
	f, err := b.Open(ctx, "kazan", k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
	if _, err := f.Seek(2, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if tail, _ := io.ReadAll(f); !bytes.Equal(tail, data[2:]) {
		t.Errorf("after Seek(2): %q", tail)
	}
	f.Close()

	// Another city does not see kazan's key.
	if _, err := b.Open(ctx, "nizhnekamsk", k); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("nizhnekamsk opens kazan's key: %v", err)
	}
	if _, err := b.Open(ctx, "kazan", key([]byte("never stored"))); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("a missing key: %v", err)
	}
	for _, n := range [][2]string{
		{"nizhnekamsk/../kazan", k}, {"..", "kazan/" + k}, {"nizhnekamsk", "../kazan/" + k},
		{"Kazan", k}, {"", k}, {"kazan", "photo.png"}, {"kazan", k + "/x"}, {"kazan", ""},
	} {
		if _, err := b.Open(ctx, n[0], n[1]); err == nil || errors.Is(err, core.ErrNotFound) {
			t.Errorf("Open(%q, %q) = %v, want a refused name", n[0], n[1], err)
		}
		if err := b.Put(ctx, n[0], n[1], data, "image/png"); err == nil {
			t.Errorf("Put(%q, %q) accepted", n[0], n[1])
		}
		if err := b.Delete(ctx, n[0], n[1]); err == nil {
			t.Errorf("Delete(%q, %q) accepted", n[0], n[1])
		}
	}

	if err := b.Delete(ctx, "nizhnekamsk", k); err != nil {
		t.Fatal(err)
	}
	if f, err := b.Open(ctx, "kazan", k); err != nil {
		t.Errorf("nizhnekamsk's Delete removed kazan's file: %v", err)
	} else {
		f.Close()
	}
	for range 2 {
		if err := b.Delete(ctx, "kazan", k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Open(ctx, "kazan", k); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("after Delete: %v", err)
	}
}

package server_test

import (
	"context"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core/blobstore"
)

// TestPhotoStorageSettings: the S3 settings are read from the environment,
// and incomplete or misspelt ones stop the server instead of silently
// keeping photos on the local disk.
func TestPhotoStorageSettings(t *testing.T) {
	get := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if p := server.PhotoStorageFromEnv(get()); p.Err != nil || p.S3.Endpoint != "" {
		t.Errorf("nothing set: %+v", p)
	}
	p := server.PhotoStorageFromEnv(get("OPENCITY_S3_ENDPOINT", "s3.example.org", "OPENCITY_S3_BUCKET", "photos",
		"OPENCITY_S3_ACCESS_KEY", "ak", "OPENCITY_S3_SECRET_KEY", "sk", "OPENCITY_S3_REGION", "eu-central-1"))
	want := blobstore.S3Config{Endpoint: "s3.example.org", Bucket: "photos", AccessKey: "ak", SecretKey: "sk", Region: "eu-central-1", UseSSL: true}
	if p.Err != nil || p.S3 != want {
		t.Errorf("all set: %+v, want %+v", p, want)
	}
	for _, bad := range [][]string{
		{"OPENCITY_S3_ENDPOINT", "s3.example.org", "OPENCITY_S3_BUCKET", "photos", "OPENCITY_S3_USE_SSL", "maybe"},
		{"OPENCITY_S3_ENDPOINT", "s3.example.org"},
		{"OPENCITY_S3_BUCKET", "photos"},
	} {
		p := server.PhotoStorageFromEnv(get(bad...))
		if p.Err == nil {
			t.Errorf("%v accepted", bad)
			continue
		}
		if _, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Photos: p}); err == nil {
			t.Errorf("%v: the server started", bad)
		}
	}
}

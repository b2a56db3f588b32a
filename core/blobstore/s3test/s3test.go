// Package s3test runs SeaweedFS, a real S3-compatible server, for tests
// that keep files in a bucket.
package s3test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/opencity/opencity/core/blobstore"
	"github.com/opencity/opencity/core/testproc"
)

// Version is the SeaweedFS module version the tests run.
const Version = "v0.0.0-20261109003541-7506e5f91cd6"

// Install is how to get the weed binary the tests need. `go install
// …/weed@version` is refused (SeaweedFS's go.mod has replace directives),
// so it is built inside the downloaded module; about 20 minutes on two
// busy cores the first time.
const Install = `(cd / && go mod download github.com/seaweedfs/seaweedfs@` + Version + `)` +
	` && (cd "$(go env GOMODCACHE)/github.com/seaweedfs/seaweedfs@` + Version +
	`" && go build -o "$(go env GOPATH)/bin/weed" ./weed)`

// Access and secret key of the server's one identity.
const (
	AccessKey = "opencity-test"
	SecretKey = "opencity-test-secret"
)

// Start runs `weed server -s3` (master, volume, filer and S3 gateway in
// one process) on free ports of 127.0.0.1 with a data folder of the test,
// until the test ends, and returns the settings of bucket, which it
// creates. A missing binary fails the test with the command that installs
// it.
func Start(tb testing.TB, bucket string) blobstore.S3Config {
	tb.Helper()
	bin, err := testproc.Find("weed")
	if err != nil {
		tb.Fatalf("SeaweedFS (weed, an S3-compatible server) is needed by the shared photo storage tests; install:\n%s", Install)
	}
	dir := tb.TempDir()
	p := func() string { return fmt.Sprint(testproc.FreePort(tb)) }
	s3Port := p()
	cmd := exec.Command(bin, "server", "-dir="+dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+p(), "-master.port.grpc="+p(), "-master.telemetry=false", "-master.volumeSizeLimitMB=32",
		"-volume.port="+p(), "-volume.port.grpc="+p(), "-volume.max=4",
		"-filer", "-filer.port="+p(), "-filer.port.grpc="+p(),
		"-s3", "-s3.port="+s3Port, "-s3.port.grpc="+p(), "-s3.port.iceberg=0", "-s3.port.lance=0")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+AccessKey, "AWS_SECRET_ACCESS_KEY="+SecretKey)
	logs := testproc.Start(tb, cmd)
	cfg := blobstore.S3Config{Endpoint: "127.0.0.1:" + s3Port, Bucket: bucket,
		AccessKey: AccessKey, SecretKey: SecretKey, Region: "us-east-1"}
	testproc.WaitReady(tb, "SeaweedFS", 60*time.Second, 200*time.Millisecond, logs, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := blobstore.NewS3(ctx, cfg)
		return err
	})
	return cfg
}

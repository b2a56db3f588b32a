package blobstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/opencity/opencity/core"
)

// S3Config says where an S3-compatible bucket is (AWS S3, MinIO,
// SeaweedFS, Ceph RGW, …).
type S3Config struct {
	Endpoint  string // host[:port], no scheme, e.g. "s3.eu-central-1.amazonaws.com"
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // "" lets the client ask the server
	UseSSL    bool   // https rather than http
}

// S3 keeps files in one bucket as objects named <city>/<key>.
type S3 struct {
	client *minio.Client
	bucket string
}

var _ core.Blobs = (*S3)(nil)

// NewS3 connects to the bucket of cfg and checks that it is there,
// creating it when it is missing and the credentials allow that. It fails
// when the endpoint cannot be reached or the bucket is missing and cannot
// be created.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("S3 storage needs an endpoint and a bucket")
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseSSL, Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 storage at %s: %w", cfg.Endpoint, err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("S3 storage at %s, bucket %q: %w", cfg.Endpoint, cfg.Bucket, err)
	}
	if !ok {
		err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil {
			// Another replica starting at the same moment may have made it.
			if again, _ := c.BucketExists(ctx, cfg.Bucket); again {
				err = nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("S3 storage at %s: bucket %q is missing and could not be created: %w", cfg.Endpoint, cfg.Bucket, err)
		}
	}
	return &S3{client: c, bucket: cfg.Bucket}, nil
}

func objectName(city, key string) (string, error) {
	if err := core.CheckBlobName(city, key); err != nil {
		return "", err
	}
	return city + "/" + key, nil
}

// Put uploads the object; the same key always carries the same content,
// so a concurrent or repeated Put is harmless.
func (s *S3) Put(ctx context.Context, city, key string, data []byte, contentType string) error {
	name, err := objectName(city, key)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType})
	return err
}

// Open returns the object, which reads and seeks with ranged requests; a
// missing object is core.ErrNotFound.
func (s *S3) Open(ctx context.Context, city, key string) (io.ReadSeekCloser, error) {
	name, err := objectName(city, key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).StatusCode == http.StatusNotFound {
			return nil, core.ErrNotFound
		}
		return nil, err
	}
	return obj, nil
}

// Delete removes the object; S3 answers a missing one with success.
func (s *S3) Delete(ctx context.Context, city, key string) error {
	name, err := objectName(city, key)
	if err != nil {
		return err
	}
	return s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
}

package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/blobstore"
)

// PhotoStorage says where photos are kept: an S3-compatible bucket when
// S3.Endpoint is set (OPENCITY_S3_*), otherwise the folder
// <OPENCITY_DATA>/uploads. Err is a setting that could not be read.
type PhotoStorage struct {
	S3  blobstore.S3Config
	Err error
}

// PhotoStorageFromEnv reads OPENCITY_S3_ENDPOINT, _BUCKET, _ACCESS_KEY,
// _SECRET_KEY, _REGION and _USE_SSL (true unless false or 0).
func PhotoStorageFromEnv(getenv func(string) string) PhotoStorage {
	p := PhotoStorage{S3: blobstore.S3Config{
		Endpoint:  strings.TrimSpace(getenv("OPENCITY_S3_ENDPOINT")),
		Bucket:    strings.TrimSpace(getenv("OPENCITY_S3_BUCKET")),
		AccessKey: getenv("OPENCITY_S3_ACCESS_KEY"),
		SecretKey: getenv("OPENCITY_S3_SECRET_KEY"),
		Region:    strings.TrimSpace(getenv("OPENCITY_S3_REGION")),
		UseSSL:    true,
	}}
	if v := strings.TrimSpace(getenv("OPENCITY_S3_USE_SSL")); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			p.Err = fmt.Errorf("OPENCITY_S3_USE_SSL=%q: want true or false", v)
		}
		p.S3.UseSSL = on
	}
	if p.S3.Endpoint == "" && p.Err == nil && (p.S3.Bucket != "" || p.S3.AccessKey != "") {
		p.Err = fmt.Errorf("OPENCITY_S3_BUCKET or OPENCITY_S3_ACCESS_KEY is set without OPENCITY_S3_ENDPOINT")
	}
	if p.S3.Endpoint != "" && p.S3.Bucket == "" && p.Err == nil {
		p.Err = fmt.Errorf("OPENCITY_S3_ENDPOINT is set without OPENCITY_S3_BUCKET")
	}
	return p
}

// OpenPhotos opens the configured photo storage; an S3 bucket must be
// reachable (it is created when missing and the keys allow it).
func OpenPhotos(ctx context.Context, cfg Config) (core.Blobs, error) {
	if cfg.Photos.Err != nil {
		return nil, cfg.Photos.Err
	}
	if cfg.Photos.S3.Endpoint == "" {
		return blobstore.Local{Dir: filepath.Join(cfg.DataDir, "uploads")}, nil
	}
	return blobstore.NewS3(ctx, cfg.Photos.S3)
}

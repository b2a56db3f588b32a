// Package blobstore keeps the cities' files for core.Blobs: in a local
// folder (Local, the default) or in an S3-compatible bucket (S3).
package blobstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opencity/opencity/core"
)

// Local keeps files under a folder, one subfolder per city:
// <Dir>/<city>/<key>. Only one machine (or a shared file system) sees them.
type Local struct{ Dir string }

var _ core.Blobs = Local{}

func (l Local) path(city, key string) (string, error) {
	if err := core.CheckBlobName(city, key); err != nil {
		return "", err
	}
	return filepath.Join(l.Dir, city, key), nil
}

// Put writes the file once, through a temporary file renamed into place:
// an existing file of that name is the same content and is left alone.
func (l Local) Put(_ context.Context, city, key string, data []byte, _ string) error {
	path, err := l.path(city, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".tmp" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Open opens the file; a missing one is core.ErrNotFound.
func (l Local) Open(_ context.Context, city, key string) (io.ReadSeekCloser, error) {
	path, err := l.path(city, key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, core.ErrNotFound
	}
	return f, err
}

// Delete removes the file if it is there.
func (l Local) Delete(_ context.Context, city, key string) error {
	path, err := l.path(city, key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

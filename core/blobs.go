package core

import (
	"context"
	"fmt"
	"io"
	"regexp"
)

// Blobs keeps the cities' files (photos) outside the database: in a local
// folder, or in an S3-compatible bucket that every replica sees. A file is
// named by its city's slug and a key made of its hex SHA-256 and an
// extension, so a key names one content: writing it again is harmless.
// Implementations check both with CheckBlobName before touching anything,
// so no key leaves its city's space.
type Blobs interface {
	// Put stores data (of MIME type contentType) as city/key.
	Put(ctx context.Context, city, key string, data []byte, contentType string) error
	// Open returns city/key for reading and seeking; the caller closes
	// it. A missing file is ErrNotFound.
	Open(ctx context.Context, city, key string) (io.ReadSeekCloser, error)
	// Delete removes city/key; a missing file is not an error.
	Delete(ctx context.Context, city, key string) error
}

// blobKeyRE is a hex SHA-256 with an optional short extension.
var blobKeyRE = regexp.MustCompile(`^[0-9a-f]{64}(\.[a-z0-9]{1,5})?$`)

// CheckBlobName reports an error unless city is a valid slug (ValidSlug)
// and key a lowercase hex SHA-256 optionally followed by an extension of
// up to five letters or digits ("…e3b0.jpg"): nothing that could climb
// out of a folder or into another city's prefix.
func CheckBlobName(city, key string) error {
	if !ValidSlug(city) || !blobKeyRE.MatchString(key) {
		return fmt.Errorf("blob name %q/%q: want a city slug and a SHA-256 key", city, key)
	}
	return nil
}

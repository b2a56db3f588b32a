package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// AssetPrefix is where every package's assets are served:
// /static/<checksum>/<package>/<file>.
const AssetPrefix = "/static/"

type asset struct {
	body []byte
	sum  string
	mime string
}

// Assets holds the static files of every page package in memory, each
// served under a URL carrying its content checksum, so it can be cached
// for a year and a new version gets a new URL.
type Assets struct {
	mu    sync.RWMutex
	files map[string]asset // "admin/console.css" → file
}

// Add registers every file of fsys under the namespace ns ("web", "admin",
// "desk" …); later calls with the same names replace the files.
func (a *Assets) Add(ns string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.mu.Lock()
		if a.files == nil {
			a.files = map[string]asset{}
		}
		a.files[ns+"/"+p] = asset{body: b, sum: hex.EncodeToString(s[:])[:16], mime: ct}
		a.mu.Unlock()
		return nil
	})
}

// URL returns the checksummed URL of a registered file ("admin/console.css").
// An unknown name is a programming error shown in the page as a broken link.
func (a *Assets) URL(name string) string {
	a.mu.RLock()
	f, ok := a.files[name]
	a.mu.RUnlock()
	if !ok {
		return AssetPrefix + "missing/" + name
	}
	return fmt.Sprintf("%s%s/%s", AssetPrefix, f.sum, name)
}

// serve answers GET /static/<sum>/<name>: the file with a one-year
// immutable cache when the checksum matches, a short-lived redirect to the
// current URL when it is stale, 404 otherwise.
func (a *Assets) serve(c *gin.Context) {
	sum, name, ok := strings.Cut(strings.TrimPrefix(c.Param("path"), "/"), "/")
	a.mu.RLock()
	f, found := a.files[name]
	a.mu.RUnlock()
	switch {
	case !ok || !found:
		c.String(http.StatusNotFound, "no such file")
	case f.sum != sum:
		c.Header("Cache-Control", "no-cache")
		c.Redirect(http.StatusFound, a.URL(name))
	default:
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Data(http.StatusOK, f.mime, f.body)
	}
}

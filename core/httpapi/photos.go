package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// MaxPhoto bounds one photo.
const MaxPhoto = 10 << 20

// photoTypes are the accepted photo types, detected from the content.
var photoTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

type attachmentStore interface {
	AddAttachment(ctx context.Context, a core.Actor, number string, att *core.Attachment) error
	Attachments(ctx context.Context, requestID int64, publicOnly bool) ([]core.Attachment, error)
	Attachment(ctx context.Context, a core.Actor, number string, id int64) (*core.Attachment, error)
}

type attachmentJSON struct {
	ID          int64     `json:"id"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	URL         string    `json:"url"`
	Public      bool      `json:"public"`
	CreatedAt   time.Time `json:"created_at"`
}

func attachmentView(a core.Attachment, number string) attachmentJSON {
	return attachmentJSON{ID: a.ID, FileName: a.FileName, ContentType: a.ContentType, Size: a.Size,
		URL: "requests/" + number + "/photos/" + strconv.FormatInt(a.ID, 10), Public: a.Public, CreatedAt: a.CreatedAt}
}

func invalidPhoto(msg core.Msg) error {
	return &core.Error{Code: core.EINVALID, Message: "error.photo_rejected", Fields: core.FieldErrors{"photo": msg}}
}

// uploadPhoto stores a photo in the city's storage under its SHA-256 and
// records it on the request.
func (a *API) uploadPhoto(c *Call, _ none) (*attachmentJSON, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxPhoto+1<<16)
	fh, err := c.FormFile("photo")
	if err != nil {
		return nil, PhotoFormError(err)
	}
	public := c.PostForm("public") != "false" || c.Actor.Role == core.RoleCitizen
	att, err := SavePhoto(c.Ctx, a.Photos, c.City, c.Actor, c.Param("number"), fh, public, a.Now())
	if err != nil {
		return nil, err
	}
	v := attachmentView(*att, c.Param("number"))
	return &v, nil
}

// PhotoFormError explains why the multipart field photo could not be read:
// too large, or not sent as a file.
func PhotoFormError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return invalidPhoto(core.M("error.photo_too_large"))
	}
	return invalidPhoto(core.M("error.photo_multipart"))
}

// ReadPhoto reads an uploaded photo and checks it: JPEG, PNG or WebP by
// content, at most 10 MB and MaxPhotoPixels. It returns the photo as
// CleanPhoto re-encodes it, and its content type.
func ReadPhoto(fh *multipart.FileHeader) ([]byte, string, error) {
	if fh.Size > MaxPhoto {
		return nil, "", invalidPhoto(core.M("error.photo_too_large"))
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPhoto+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > MaxPhoto {
		return nil, "", invalidPhoto(core.M("error.photo_too_large"))
	}
	return CleanPhoto(data)
}

// SavePhoto checks an uploaded photo with ReadPhoto and stores it with
// StorePhoto. The API and the pages both use it.
func SavePhoto(ctx context.Context, photos core.Blobs, city *City, actor core.Actor, number string,
	fh *multipart.FileHeader, public bool, now time.Time) (*core.Attachment, error) {
	data, ctype, err := ReadPhoto(fh)
	if err != nil {
		return nil, err
	}
	return StorePhoto(ctx, photos, city, actor, number, fh.Filename, data, ctype, public, now)
}

// StorePhoto keeps a checked photo in the city's storage under its
// SHA-256 and records it on the request the actor can see. data and ctype
// must come from ReadPhoto or CleanPhoto, which leave the uploader's
// metadata behind.
func StorePhoto(ctx context.Context, photos core.Blobs, city *City, actor core.Actor, number, fileName string,
	data []byte, ctype string, public bool, now time.Time) (*core.Attachment, error) {
	hash, err := WritePhotoFile(ctx, photos, city.Slug, data, ctype)
	if err != nil {
		return nil, err
	}
	ext := photoTypes[ctype]
	name := filepath.Base(strings.ReplaceAll(fileName, "\\", "/"))
	if len([]rune(name)) > 200 || name == "." || name == "/" {
		name = hash[:12] + ext
	}
	att := &core.Attachment{FileName: name, ContentType: ctype, Size: int64(len(data)), SHA256: hash, Public: public, CreatedAt: now.UTC()}
	if err := city.Store.AddAttachment(ctx, actor, number, att); err != nil {
		return nil, err
	}
	return att, nil
}

// WritePhotoFile keeps photo bytes of type ctype in the city's storage
// under PhotoKey (written once: a key names one content) and returns the
// hex SHA-256.
func WritePhotoFile(ctx context.Context, photos core.Blobs, city string, data []byte, ctype string) (string, error) {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	return hash, photos.Put(ctx, city, hash+photoTypes[ctype], data, ctype)
}

// PhotoKey is the key of a stored photo in its city's storage: its
// SHA-256 and the extension of its type.
func PhotoKey(att *core.Attachment) string {
	return att.SHA256 + photoTypes[att.ContentType]
}

// ServePhoto answers with a stored photo of the city, ranges and
// conditional requests included. A photo whose file is gone is
// core.ErrNotFound; nothing is written then.
func ServePhoto(c *gin.Context, photos core.Blobs, city string, att *core.Attachment) error {
	f, err := photos.Open(c.Request.Context(), city, PhotoKey(att))
	if err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return core.E(core.ENOTFOUND, "error.photo_not_found")
		}
		return err
	}
	defer f.Close()
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Type", att.ContentType)
	http.ServeContent(c.Writer, c.Request, PhotoKey(att), att.CreatedAt, f)
	return nil
}

func (a *API) getPhoto(c *gin.Context) {
	ctx := c.Request.Context()
	city := CityFromContext(ctx)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		WriteProblem(c, core.E(core.ENOTFOUND, "error.photo_not_found"))
		return
	}
	att, err := city.Store.Attachment(ctx, ActorFromContext(ctx), c.Param("number"), id)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	if err := ServePhoto(c, a.Photos, city.Slug, att); err != nil {
		WriteProblem(c, err)
	}
}

package httpapi

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"

	"github.com/disintegration/imaging"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	_ "golang.org/x/image/webp" // WebP decoding for image.DecodeConfig and imaging.Decode
)

// MaxPhotoPixels bounds a photo's decoded size: 50 megapixels, above the
// largest mode of phone cameras, so that a small file cannot unpack into
// gigabytes of pixels.
const MaxPhotoPixels = 50_000_000

// photoJPEGQuality is the quality of re-encoded JPEG photos (1–100).
const photoJPEGQuality = 90

// CleanPhoto decodes an uploaded photo (JPEG, PNG or WebP, recognised by
// content) and encodes it again, so that what is stored and served is
// pixels only: the EXIF orientation is applied to the pixels
// (github.com/disintegration/imaging), and EXIF (GPS position, device,
// time), XMP, ICC profiles and comments are left behind. A PNG stays a
// PNG; JPEG and WebP become JPEG, or PNG when the WebP has transparency. It
// returns the new bytes and their content type, or an EINVALID error for
// the field photo: not an image, a HEIC/AVIF photo from a phone, or over
// MaxPhotoPixels.
func CleanPhoto(data []byte) ([]byte, string, error) {
	if len(data) == 0 {
		return nil, "", invalidPhoto(core.M("error.file_empty"))
	}
	if isHEIF(data) {
		return nil, "", invalidPhoto(core.M("error.photo_heic"))
	}
	ctype := http.DetectContentType(data)
	if _, ok := photoTypes[ctype]; !ok {
		return nil, "", invalidPhoto(core.M("error.photo_type", "Kind", fileKind(ctype)))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", invalidPhoto(core.M("error.photo_unreadable"))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPhotoPixels {
		return nil, "", invalidPhoto(core.M("error.photo_megapixels"))
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, "", invalidPhoto(core.M("error.photo_unreadable"))
	}
	var buf bytes.Buffer
	if ctype == "image/png" || (ctype == "image/webp" && !opaque(img)) {
		if err := png.Encode(&buf, img); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), "image/png", nil
	}
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: photoJPEGQuality}); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "image/jpeg", nil
}

// opaque reports whether an image has no transparent pixel.
func opaque(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return !ok || o.Opaque()
}

// isHEIF recognises the ISO base media files phones write their photos in
// (HEIC, HEIF, AVIF): an "ftyp" box whose brand is one of theirs.
func isHEIF(b []byte) bool {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return false
	}
	switch string(b[8:12]) {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1", "avif", "avis":
		return true
	}
	return false
}

// PhotoHasMetadata reports whether stored photo bytes carry more than the
// pixels CleanPhoto writes: a JPEG with an APPn or COM segment (EXIF, XMP,
// ICC, comments), a PNG with a chunk beyond IHDR, PLTE, tRNS, IDAT and
// IEND (eXIf, text, time, ICC), or any other type (CleanPhoto writes only
// JPEG and PNG). Bytes it cannot walk count as carrying metadata.
func PhotoHasMetadata(data []byte, ctype string) bool {
	switch ctype {
	case "image/jpeg":
		return jpegHasMetadata(data)
	case "image/png":
		return pngHasMetadata(data)
	}
	return true
}

func jpegHasMetadata(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return true
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return true
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xDA: // start of scan: no metadata segment comes before the image data ends here
			return false
		case m >= 0xD0 && m <= 0xD9 || m == 0x01: // markers without a length
			i += 2
			continue
		case m >= 0xE0 && m <= 0xEF || m == 0xFE:
			return true
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	return true
}

func pngHasMetadata(b []byte) bool {
	if len(b) < 8 || string(b[:8]) != "\x89PNG\r\n\x1a\n" {
		return true
	}
	for i := 8; i+8 <= len(b); {
		n := int(b[i])<<24 | int(b[i+1])<<16 | int(b[i+2])<<8 | int(b[i+3])
		switch string(b[i+4 : i+8]) {
		case "IEND":
			return false
		case "IHDR", "PLTE", "tRNS", "IDAT":
		default:
			return true
		}
		if n < 0 || n > len(b) {
			return true
		}
		i += 12 + n
	}
	return true
}

// fileKind names what a refused file is, for a person (catalog filekind.*),
// from its content type as http.DetectContentType sniffs it.
func fileKind(ctype string) i18n.Code {
	ctype, _, _ = strings.Cut(ctype, ";")
	switch ctype {
	case "image/gif", "image/bmp", "image/x-icon", "image/svg+xml", "application/pdf", "application/zip":
		return i18n.Code("filekind." + strings.NewReplacer("image/", "", "application/", "", "x-", "", "+xml", "").Replace(ctype))
	}
	for _, top := range []string{"text", "video", "audio", "font"} {
		if strings.HasPrefix(ctype, top+"/") {
			return i18n.Code("filekind." + top)
		}
	}
	return i18n.Code("filekind.other")
}

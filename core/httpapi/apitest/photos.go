package apitest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// PhoneJPEG is a 40×20 JPEG, red on the left half and blue on the right,
// stored sideways as phones do: EXIF orientation 6 (turn 90° clockwise to
// show), with a GPS position, an XMP packet and a comment naming the device.
func PhoneJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= 20 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>55,47N</exif:GPSLatitude></x:xmpmeta>"))
	com := segment(0xFE, []byte("PhoneMaker Model X serial 0042"))
	out := append([]byte{}, raw[:2]...) // SOI
	out = append(out, exifAPP1(6)...)
	out = append(out, xmp...)
	out = append(out, com...)
	return append(out, raw[2:]...)
}

// exifAPP1 is an APP1 segment (marker, length, "Exif\0\0", a big-endian
// TIFF header) with IFD0 holding Orientation = orientation and a pointer to
// a GPS IFD placing the camera at 55°47′N — what a phone writes.
func exifAPP1(orientation uint16) []byte {
	var t bytes.Buffer
	be := binary.BigEndian
	w := func(v any) { _ = binary.Write(&t, be, v) }
	t.WriteString("MM")
	w(uint16(42))
	w(uint32(8)) // IFD0 right after the header
	// IFD0 at 8: two entries, then the next-IFD offset; 2+24+4 = 30 bytes.
	w(uint16(2))
	w([]uint16{0x0112, 3}) // Orientation, SHORT
	w(uint32(1))
	w([]uint16{orientation, 0})
	w([]uint16{0x8825, 4}) // GPSInfo IFD pointer, LONG
	w(uint32(1))
	w(uint32(38))
	w(uint32(0))
	// GPS IFD at 38: latitude reference and latitude; its rationals at 68.
	w(uint16(2))
	w([]uint16{0x0001, 2}) // GPSLatitudeRef, ASCII "N\0"
	w(uint32(2))
	t.Write([]byte{'N', 0, 0, 0})
	w([]uint16{0x0002, 5}) // GPSLatitude, three RATIONALs
	w(uint32(3))
	w(uint32(68))
	w(uint32(0))
	w([]uint32{55, 1, 47, 1, 0, 1})
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	return segment(0xE1, payload)
}

// segment is a JPEG marker segment with its length.
func segment(marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

package apitest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"testing"
)

// PNG is a valid 4×4 PNG image with one red pixel.
func PNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Upload posts a photo file named name to a request, with the extra form
// fields given as name, value pairs.
func (c *Client) Upload(city, token, number, name string, data []byte, fields ...string) Response {
	c.T.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		w.WriteField(fields[i], fields[i+1])
	}
	fw, _ := w.CreateFormFile("photo", name)
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", c.Base+"/t/"+city+"/api/v1/requests/"+number+"/photos", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

// TryRoute asks the city's router where a request would go (routing/test)
// and returns the decision.
func (c *Client) TryRoute(city, token string, body map[string]any) map[string]any {
	c.T.Helper()
	r := c.Call("POST", "/t/"+city+"/api/v1/routing/test", token, body)
	if r.Status != http.StatusOK {
		c.T.Fatalf("routing test %v: %d %s", body, r.Status, r.Body)
	}
	return r.JSON(c.T)
}

// OrgCode is the code of a routing decision's or a request's organization
// ("" when none).
func OrgCode(m map[string]any) string {
	o, _ := m["organization"].(map[string]any)
	code, _ := o["code"].(string)
	return code
}

package clienttest

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/clienttest/client"
)

// TestFlow runs the README's first request through the client oapi-codegen
// generated a moment ago, against the server at $OPENCITY_API (a city's
// /api/v1). TestGeneratedClient copies this file next to the generated
// client in a temporary module and runs it there.
func TestFlow(t *testing.T) {
	api := os.Getenv("OPENCITY_API")
	if api == "" {
		t.Fatal("OPENCITY_API is not set: run TestGeneratedClient in cmd/opencity/clienttest, which starts a server and sets it")
	}
	ctx := context.Background()
	anon, err := client.NewClientWithResponses(api)
	if err != nil {
		t.Fatal(err)
	}
	login := func(name string) *client.ClientWithResponses {
		t.Helper()
		r, err := anon.PostAuthTokenWithResponse(ctx, client.PostAuthTokenJSONRequestBody{Login: ptr(name), Password: ptr("demo")})
		if err != nil {
			t.Fatal(err)
		}
		if r.JSON201 == nil || r.JSON201.Token == "" {
			t.Fatalf("token for %s: %d %s", name, r.StatusCode(), r.Body)
		}
		token := r.JSON201.Token
		c, err := client.NewClientWithResponses(api, client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// The README's first request, sent twice with one key.
	citizen := login("citizen")
	in := client.PostRequestsJSONRequestBody{Category: ptr("lift"), BuildingId: ptr(1), Description: ptr("Лифт не работает")}
	key := &client.PostRequestsParams{IdempotencyKey: ptr("first-try")}
	first, err := citizen.PostRequestsWithResponse(ctx, key, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.JSON201 == nil {
		t.Fatalf("submit: %d %s", first.StatusCode(), first.Body)
	}
	number := first.JSON201.Number
	again, err := citizen.PostRequestsWithResponse(ctx, key, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.JSON200 == nil || again.JSON200.Number != number {
		t.Fatalf("retry with the same Idempotency-Key: %d %s, want 200 with %s", again.StatusCode(), again.Body, number)
	}

	got, err := citizen.GetRequestsByNumberWithResponse(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON200 == nil || got.JSON200.Number != number || got.JSON200.Category != "lift" {
		t.Fatalf("get %s: %d %s", number, got.StatusCode(), got.Body)
	}

	// A photo, as a multipart form (oapi-codegen leaves encoding it to the
	// caller).
	var img bytes.Buffer
	pic := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		pic.Set(x, x%48, color.RGBA{200, 30, 30, 255})
	}
	if err := png.Encode(&img, pic); err != nil {
		t.Fatal(err)
	}
	body, contentType := multipartBody(t, "lift.png", img.Bytes(), "photo")
	up, err := citizen.PostRequestsByNumberPhotosWithBodyWithResponse(ctx, number, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	if up.JSON201 == nil || up.JSON201.Id == 0 {
		t.Fatalf("photo upload: %d %s", up.StatusCode(), up.Body)
	}
	photo, err := citizen.GetRequestsByNumberPhotosByIdWithResponse(ctx, number, strconv.Itoa(up.JSON201.Id))
	if err != nil {
		t.Fatal(err)
	}
	if photo.StatusCode() != http.StatusOK {
		t.Fatalf("photo download: %d %s", photo.StatusCode(), photo.Body)
	}
	if m, _, err := image.Decode(bytes.NewReader(photo.Body)); err != nil || m.Bounds().Dx() != 64 {
		t.Fatalf("the downloaded photo (%s) does not decode to the uploaded one: %v", photo.HTTPResponse.Header.Get("Content-Type"), err)
	}

	// The buildings registry: a CSV in, the same building out.
	admin := login("admin")
	rows := "registry_id;address_ru;address_en;district;management_company;apartments;lat;lon\n" +
		"CLIENT-1;ул. Генерированная, д. 1;1 Generated St;sovetsky;uk-sovetsky-kvartal;12;55.79;49.12\n"
	imp, err := admin.PostBuildingsImportWithBodyWithResponse(ctx, "text/csv", strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	if imp.JSON200 == nil || imp.JSON200.Created != 1 || len(imp.JSON200.Errors) != 0 {
		t.Fatalf("CSV import: %d %s", imp.StatusCode(), imp.Body)
	}
	body, contentType = multipartBody(t, "buildings.csv", []byte(rows), "file")
	imp, err = admin.PostBuildingsImportWithBodyWithResponse(ctx, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	if imp.JSON200 == nil || imp.JSON200.Unchanged != 1 {
		t.Fatalf("CSV import as a multipart form: %d %s", imp.StatusCode(), imp.Body)
	}
	exp, err := admin.GetBuildingsExportWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp.StatusCode() != http.StatusOK || !strings.HasPrefix(exp.HTTPResponse.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", exp.StatusCode(), exp.HTTPResponse.Header.Get("Content-Type"))
	}
	// For Russian Excel: a BOM and ';' in a Russian city.
	if !bytes.HasPrefix(exp.Body, []byte("\ufeff")) {
		t.Fatalf("export without a BOM: %.100q", exp.Body)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(exp.Body, []byte("\ufeff"))))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%.300s", err, exp.Body)
	}
	found := false
	for _, rec := range records {
		found = found || rec[0] == "CLIENT-1" && rec[1] == "ул. Генерированная, д. 1"
	}
	if !found {
		t.Fatalf("the imported building is not in the export (%d rows):\n%.300s", len(records), exp.Body)
	}
}

// multipartBody is a multipart/form-data body with one file in field.
func multipartBody(t *testing.T, name string, data []byte, field string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	f, err := w.CreateFormFile(field, name)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(fmt.Errorf("multipart: %w", err))
	}
	return &b, w.FormDataContentType()
}

func ptr[T any](v T) *T { return &v }

package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// ruRegistry is a registry as a Russian office keeps it: Russian headers,
// districts and management companies by name (with or without the legal
// form, quotes and the word "район"), decimal commas, a building whose
// point nobody measured.
var ruRegistry = [][]string{
	{"Номер в реестре", "Адрес по-русски", "Адрес по-английски", "Код района", "Код управляющей компании", "Квартир", "Широта", "Долгота"},
	{"RU-0001", "ул. Ёлочная, д. 1", "", "Авиастроительный район", "УК «Жилкомсервис Авиастроительного района»", "40", "55,8512", "49,0921"},
	{"RU-0002", "ул. Вишнёвая, д. 2", "", "вахитовский", "ООО «УК „Центр-Вахитовский“»", "12", "", ""},
	{"RU-0003", "ул. Нет, д. 3", "", "Атлантида", "", "5", "55,7", "49,1"},
}

// A buildings file saved by Russian Excel — Windows-1251 and ';', or an
// XLSX workbook — is read, its names resolved, on both backends.
func TestBuildingsFromRussianSpreadsheets(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			admin := s.Login("kazan", "admin")
			var lines []string
			for _, row := range ruRegistry {
				lines = append(lines, strings.Join(row, ";"))
			}
			cp1251, err := charmap.Windows1251.NewEncoder().String(strings.Join(lines, "\r\n") + "\r\n")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(cp1251, "Номер") {
				t.Fatal("the file is not in Windows-1251")
			}
			post := func(ctype string, body []byte) map[string]any {
				t.Helper()
				req, _ := http.NewRequest("POST", s.URL()+"/t/kazan/api/v1/buildings/import", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+admin)
				req.Header.Set("Content-Type", ctype)
				r := s.Do(req)
				if r.Status != 200 {
					t.Fatalf("import: %d %s", r.Status, apitest.Truncate(r.Body))
				}
				return r.JSON(t)
			}
			rep := post("text/csv", []byte(cp1251))
			errs, _ := rep["errors"].([]any)
			if rep["created"] != float64(2) || len(errs) != 1 {
				t.Fatalf("Windows-1251 import: %v", rep)
			}
			if e := errs[0].(map[string]any); e["row"] != float64(4) || e["field"] != "district" || !strings.Contains(e["message"].(string), "Атлантида") {
				t.Errorf("the unknown district: %v", e)
			}
			list := s.Call("GET", "/t/kazan/api/v1/buildings?q="+url.QueryEscape("ёлочная"), admin, nil).JSON(t)
			items, _ := list["items"].([]any)
			if len(items) != 1 {
				t.Fatalf("buildings: %v", list)
			}
			b := items[0].(map[string]any)
			if b["address_ru"] != "ул. Ёлочная, д. 1" || b["district"] != "aviastroitelny" || b["management_company"] != "uk-aviastroitel" || b["lat"] != 55.8512 {
				t.Errorf("building: %v", b)
			}

			// No coordinates: unknown, not the Gulf of Guinea.
			list = s.Call("GET", "/t/kazan/api/v1/buildings?q="+url.QueryEscape("вишнёвая"), admin, nil).JSON(t)
			if items, _ := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["lat"] != nil ||
				items[0].(map[string]any)["lon"] != nil || items[0].(map[string]any)["management_company"] != "uk-vakhitovsky" {
				t.Errorf("a building without coordinates: %v", list)
			}
			half := "registry_id;address_ru;district;lat;lon\nRU-0009;ул. Половинная, 9;sovetsky;55,8;\n"
			if r := s.Call("POST", "/t/kazan/api/v1/buildings/import", admin, half, "Content-Type", "text/csv"); r.Status != 200 ||
				!strings.Contains(string(r.Body), `"field":"lat"`) {
				t.Errorf("half a point: %d %s", r.Status, r.Body)
			}

			// The same registry as an XLSX workbook, uploaded as a form's
			// file: nothing changes, the unknown district is reported again.
			f := excelize.NewFile()
			for i, row := range ruRegistry {
				for j, v := range row {
					cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
					if err := f.SetCellValue("Sheet1", cell, v); err != nil {
						t.Fatal(err)
					}
				}
			}
			var book bytes.Buffer
			if err := f.Write(&book); err != nil {
				t.Fatal(err)
			}
			var form bytes.Buffer
			mw := multipart.NewWriter(&form)
			fw, _ := mw.CreateFormFile("file", "реестр.xlsx")
			fw.Write(book.Bytes())
			mw.Close()
			rep = post(mw.FormDataContentType(), form.Bytes())
			if errs, _ := rep["errors"].([]any); rep["unchanged"] != float64(2) || rep["created"] != float64(0) || len(errs) != 1 {
				t.Errorf("XLSX import: %v", rep)
			}
			// As the body, with its own media type; a broken workbook is a 422.
			req, _ := http.NewRequest("POST", s.URL()+"/t/kazan/api/v1/buildings/import", bytes.NewReader(book.Bytes()[:200]))
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
			if r := s.Do(req); r.Status != 422 || !strings.Contains(string(r.Body), "file") {
				t.Errorf("broken workbook: %d %s", r.Status, r.Body)
			}
		})
	}
}

package core

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseBuildingsCSV feeds the buildings import any bytes: it never
// panics; every row it accepts is a valid building (finite coordinates in
// range, apartments in range, required fields present), every refused row
// says which row and field; and the accepted rows, exported and imported
// again, come back the same.
func FuzzParseBuildingsCSV(f *testing.F) {
	f.Add([]byte("registry_id,address_ru,district,apartments,lat,lon\nK-1,ул. Баумана 1,vakhitovsky,120,55.79,49.12\n"))
	f.Add([]byte("\xef\xbb\xbfregistry_id;address_ru;address_en;district;management_company;apartments;lat;lon\r\nK-2;ул. Пушкина 2;;kirovsky;uk-1;12,0;55,7;49,1\r\n"))
	f.Add([]byte("registry_id,address_ru,district,lat\nK-3,\"ул. \"\"Кавычки\"\"\",vakhitovsky,NaN\nK-3,x,y,1e400\n"))
	f.Add([]byte("registry_id,address_ru,district\n\"unterminated,x,y\n"))
	f.Add([]byte("registry_id,address_ru,district,apartments\nK-4,a,b,9223372036854775808\nK-5,a,b,-0\nK-6,a,b,+Inf\n"))
	f.Add([]byte("nonsense"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, bad, err := ParseBuildingsCSV(bytes.NewReader(data))
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("a file is refused as %s: %v", ErrorCode(err), err)
			}
			return
		}
		for _, e := range bad {
			if e.Row < 2 || e.Field == "" || e.Msg.Code == "" {
				t.Fatalf("a refused row without its place or reason: %+v", e)
			}
		}
		var bs []Building
		for _, r := range rows {
			b := r.Building
			for _, p := range []*float64{b.Lat, b.Lon} {
				if v := p; v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
					t.Fatalf("row %d accepted with a coordinate %v", r.Row, v)
				}
			}
			check := b
			if err := check.Validate(); err != nil {
				t.Fatalf("row %d accepted but invalid: %v", r.Row, err)
			}
			bs = append(bs, b)
		}
		if len(rows) == 0 {
			return
		}
		var out bytes.Buffer
		if err := WriteBuildingsCSV(&out, bs, "ru", ';'); err != nil {
			t.Fatal(err)
		}
		again, bad2, err := ParseBuildingsCSV(&out)
		if err != nil || len(bad2) > 0 || len(again) != len(rows) {
			t.Fatalf("the export of %d accepted rows imports as %d rows, %v refused, error %v:\n%s", len(rows), len(again), bad2, err, out.String())
		}
		for i := range rows {
			if !reflect.DeepEqual(again[i].Building, rows[i].Building) && !strings.Contains(rows[i].Building.RegistryID, "\r") {
				t.Fatalf("row %d: %+v exported and imported as %+v", rows[i].Row, rows[i].Building, again[i].Building)
			}
		}
	})
}

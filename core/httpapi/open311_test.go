package httpapi_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The documents of GeoReport v2 as its examples show them
// (https://wiki.open311.org/GeoReport_v2, Service_Discovery) and of
// FixMyStreet's updates extension: written here from the specification,
// not from the server's types, so a renamed element fails.
type (
	o311Discovery struct {
		Changeset  string `json:"changeset"`
		Contact    string `json:"contact"`
		KeyService string `json:"key_service"`
		Endpoints  []struct {
			Specification string   `json:"specification"`
			URL           string   `json:"url"`
			Changeset     string   `json:"changeset"`
			Type          string   `json:"type"`
			Formats       []string `json:"formats"`
		} `json:"endpoints"`
	}
	o311Service struct {
		ServiceCode string `json:"service_code"`
		ServiceName string `json:"service_name"`
		Description string `json:"description"`
		Metadata    bool   `json:"metadata"`
		Type        string `json:"type"`
		Keywords    string `json:"keywords"`
		Group       string `json:"group"`
	}
	o311Definition struct {
		ServiceCode string `json:"service_code"`
		Attributes  []struct {
			Variable            bool    `json:"variable"`
			Code                string  `json:"code"`
			Datatype            string  `json:"datatype"`
			Required            bool    `json:"required"`
			DatatypeDescription *string `json:"datatype_description"`
			Order               int     `json:"order"`
			Description         string  `json:"description"`
			Values              []struct {
				Key  string `json:"key"`
				Name string `json:"name"`
			} `json:"values"`
		} `json:"attributes"`
	}
	o311Created struct {
		ServiceRequestID string  `json:"service_request_id"`
		ServiceNotice    *string `json:"service_notice"`
		AccountID        *string `json:"account_id"`
	}
	o311Request struct {
		ServiceRequestID  string   `json:"service_request_id"`
		Status            string   `json:"status"`
		StatusNotes       *string  `json:"status_notes"`
		ServiceName       string   `json:"service_name"`
		ServiceCode       string   `json:"service_code"`
		Description       *string  `json:"description"`
		AgencyResponsible *string  `json:"agency_responsible"`
		ServiceNotice     *string  `json:"service_notice"`
		RequestedDatetime string   `json:"requested_datetime"`
		UpdatedDatetime   string   `json:"updated_datetime"`
		ExpectedDatetime  string   `json:"expected_datetime"`
		Address           string   `json:"address"`
		AddressID         string   `json:"address_id"`
		Zipcode           *string  `json:"zipcode"`
		Lat               *float64 `json:"lat"`
		Long              *float64 `json:"long"`
		MediaURL          string   `json:"media_url"`
	}
	o311Update struct {
		UpdateID           string `json:"update_id"`
		ServiceRequestID   string `json:"service_request_id"`
		Status             string `json:"status"`
		ExternalStatusCode string `json:"external_status_code"`
		UpdatedDatetime    string `json:"updated_datetime"`
		Description        string `json:"description"`
		MediaURL           string `json:"media_url"`
	}
	o311Error struct {
		Code        int    `json:"code" xml:"code"`
		Description string `json:"description" xml:"description"`
	}
)

// o311Elements are the elements each XML document may hold, by root.
var o311Elements = map[string][]string{
	"discovery": {"changeset", "contact", "key_service", "endpoints", "endpoint", "specification", "url", "type", "formats", "format"},
	"services":  {"service", "service_code", "service_name", "description", "metadata", "type", "keywords", "group"},
	"service_definition": {"service_code", "attributes", "attribute", "variable", "code", "datatype", "required",
		"datatype_description", "order", "description", "values", "value", "key", "name"},
	"service_requests": {"request", "service_request_id", "token", "service_notice", "account_id", "status", "status_notes",
		"service_name", "service_code", "description", "agency_responsible", "requested_datetime", "updated_datetime",
		"expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"},
	"service_request_updates": {"request_update", "update_id", "service_request_id", "status", "external_status_code",
		"updated_datetime", "description", "media_url"},
	"errors": {"error", "code", "description"},
}

// o311Answer is an answer of the endpoint.
type o311Answer struct {
	Status int
	Type   string
	Body   []byte
}

func o311Call(t *testing.T, s *servertest.Server, method, path string, form url.Values, host string) o311Answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return o311Answer{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

// strictJSON decodes an answer into v, refusing any field v lacks.
func strictJSON(t *testing.T, a o311Answer, v any) {
	t.Helper()
	if !strings.HasPrefix(a.Type, "application/json") {
		t.Fatalf("content type %q: %s", a.Type, a.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(a.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%v in %s", err, a.Body)
	}
}

// strictXML checks the declaration, the root element and that every
// element is one the specification names for that root, and decodes the
// answer into v when v is not nil.
func strictXML(t *testing.T, a o311Answer, root string, v any) {
	t.Helper()
	if !strings.HasPrefix(a.Type, "text/xml") {
		t.Fatalf("content type %q: %s", a.Type, a.Body)
	}
	if !bytes.HasPrefix(a.Body, []byte(`<?xml version="1.0" encoding="utf-8"?>`)) {
		t.Fatalf("no XML declaration: %s", a.Body)
	}
	dec := xml.NewDecoder(bytes.NewReader(a.Body))
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%v in %s", err, a.Body)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			if depth == 0 && name != root {
				t.Fatalf("root <%s>, want <%s>: %s", name, root, a.Body)
			}
			if depth > 0 && !slices.Contains(o311Elements[root], name) {
				t.Errorf("<%s> is no element of <%s> in the specification: %s", name, root, a.Body)
			}
			if len(el.Attr) > 0 {
				t.Errorf("<%s> has attributes %v", name, el.Attr)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if v != nil {
		if err := xml.Unmarshal(a.Body, v); err != nil {
			t.Fatal(err)
		}
	}
}

// Open311 GeoReport v2 in each city: discovery, services, definitions,
// posting and reading requests and updates in XML and JSON as the
// specification's examples show them, with no contact data in what is
// read, and attacks from another city refused.
func TestOpen311(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := "/t/kazan/open311/v2/"
			citizen := s.Login("kazan", "citizen")
			dispatcher := s.Login("kazan", "dispatcher")

			// Discovery names this endpoint with both formats.
			var disc o311Discovery
			strictJSON(t, o311Call(t, s, "GET", base+"discovery.json", nil, ""), &disc)
			if len(disc.Endpoints) != 1 || disc.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" ||
				!strings.HasSuffix(disc.Endpoints[0].URL, "/t/kazan/open311/v2") || len(disc.Endpoints[0].Formats) != 2 {
				t.Errorf("discovery: %+v", disc)
			}
			strictXML(t, o311Call(t, s, "GET", base+"discovery.xml", nil, ""), "discovery", nil)

			// Services: the citizen-visible categories, each with metadata.
			var services []o311Service
			strictJSON(t, o311Call(t, s, "GET", base+"services.json", nil, ""), &services)
			i := slices.IndexFunc(services, func(x o311Service) bool { return x.ServiceCode == "lift" })
			if i < 0 || !services[i].Metadata || services[i].Type != "realtime" || services[i].ServiceName == "" || services[i].Group == "" {
				t.Fatalf("services: %+v", services)
			}
			var xmlServices struct {
				Items []o311Service `xml:"service"`
			}
			strictXML(t, o311Call(t, s, "GET", base+"services.xml", nil, ""), "services", &xmlServices)
			if len(xmlServices.Items) != len(services) {
				t.Errorf("%d services in XML, %d in JSON", len(xmlServices.Items), len(services))
			}
			// By host, the same city.
			if a := o311Call(t, s, "GET", "/open311/v2/services.json", nil, "kazan.opencity.test"); a.Status != 200 || !bytes.Contains(a.Body, []byte(`"lift"`)) {
				t.Errorf("by host: %d %s", a.Status, a.Body)
			}

			var def o311Definition
			strictJSON(t, o311Call(t, s, "GET", base+"services/lift.json", nil, ""), &def)
			if def.ServiceCode != "lift" || len(def.Attributes) != 2 || def.Attributes[0].Code != "apartment" || def.Attributes[0].Order != 1 {
				t.Errorf("definition: %+v", def)
			}
			strictXML(t, o311Call(t, s, "GET", base+"services/lift.xml", nil, ""), "service_definition", nil)
			notFound := o311Call(t, s, "GET", base+"services/no-such.xml", nil, "")
			if notFound.Status != 404 {
				t.Errorf("unknown service: %d %s", notFound.Status, notFound.Body)
			}
			strictXML(t, notFound, "errors", nil)

			// POST requests with a citizen's token.
			secret := "Лифт застрял, open311 " + kind
			form := url.Values{"api_key": {citizen}, "jurisdiction_id": {"kazan"}, "service_code": {"lift"},
				"address_id": {"KZN-000001"}, "attribute[apartment]": {"12"}, "attribute[entrance]": {"2"},
				"email": {"ivan@example.org"}, "first_name": {"Иван"}, "last_name": {"Open311ов"}, "phone": {"+7 917 555-01-99"},
				"description": {secret}, "media_url": {"https://photos.example.org/lift.jpg"}, "device_id": {"d1"}}
			var created []o311Created
			post := o311Call(t, s, "POST", base+"requests.json", form, "")
			if post.Status != 200 {
				t.Fatalf("post: %d %s", post.Status, post.Body)
			}
			strictJSON(t, post, &created)
			if len(created) != 1 || created[0].ServiceRequestID == "" || created[0].AccountID != nil {
				t.Fatalf("created: %s", post.Body)
			}
			number := created[0].ServiceRequestID
			staff := s.Call("GET", "/t/kazan/api/v1/requests/"+number, dispatcher, nil).JSON(t)
			if staff["channel"] != "open311" || staff["apartment"] != "12" || staff["entrance"] != "2" || staff["building_id"] != float64(1) {
				t.Errorf("stored request: %v", staff)
			}
			if app, _ := staff["applicant"].(map[string]any); app["name"] != "Иван Open311ов" || app["email"] != "ivan@example.org" {
				t.Errorf("applicant: %v", staff["applicant"])
			}
			xmlPost := o311Call(t, s, "POST", base+"requests.xml", form, "")
			strictXML(t, xmlPost, "service_requests", nil)
			if xmlPost.Status != 200 || !bytes.Contains(xmlPost.Body, []byte("<account_id></account_id>")) {
				t.Errorf("xml post: %d %s", xmlPost.Status, xmlPost.Body)
			}

			// GET requests/{id} and GET requests: no contact data.
			for _, tok := range []string{dispatcher, citizen} {
				var one []o311Request
				a := o311Call(t, s, "GET", base+"requests/"+number+".json?api_key="+url.QueryEscape(tok), nil, "")
				strictJSON(t, a, &one)
				if len(one) != 1 || one[0].ServiceRequestID != number || one[0].Status != "open" || one[0].AddressID != "KZN-000001" ||
					one[0].MediaURL != "https://photos.example.org/lift.jpg" || one[0].ServiceCode != "lift" || one[0].Lat == nil {
					t.Errorf("request: %s", a.Body)
				}
				if _, err := time.Parse(time.RFC3339, one[0].RequestedDatetime); err != nil {
					t.Errorf("requested_datetime: %v", err)
				}
				list := o311Call(t, s, "GET", base+"requests.xml?status=open&service_code=lift&api_key="+url.QueryEscape(tok), nil, "")
				strictXML(t, list, "service_requests", nil)
				for _, body := range [][]byte{a.Body, list.Body} {
					for _, pd := range []string{"ivan@example.org", "Open311ов", "555-01-99", "79175550199"} {
						if bytes.Contains(body, []byte(pd)) {
							t.Errorf("contact data %q read through Open311: %s", pd, body)
						}
					}
				}
				if list.Status != 200 || !bytes.Contains(list.Body, []byte("<service_request_id>"+number+"</service_request_id>")) {
					t.Errorf("list: %d %s", list.Status, list.Body)
				}
			}
			var ids []o311Request
			strictJSON(t, o311Call(t, s, "GET", base+"requests.json?service_request_id="+number+",2099-000001&api_key="+url.QueryEscape(dispatcher), nil, ""), &ids)
			if len(ids) != 1 {
				t.Errorf("by ids: %+v", ids)
			}
			var closed []o311Request
			strictJSON(t, o311Call(t, s, "GET", base+"requests.json?status=closed&api_key="+url.QueryEscape(dispatcher), nil, ""), &closed)
			if slices.ContainsFunc(closed, func(r o311Request) bool { return r.ServiceRequestID == number }) {
				t.Errorf("an open request listed as closed")
			}

			// Updates (FixMyStreet): the request's history, extended statuses.
			var updates []o311Update
			strictJSON(t, o311Call(t, s, "GET", base+"servicerequestupdates.json?api_key="+url.QueryEscape(dispatcher), nil, ""), &updates)
			if !slices.ContainsFunc(updates, func(u o311Update) bool {
				return u.ServiceRequestID == number && u.Status == "open" && u.ExternalStatusCode == "new"
			}) {
				t.Errorf("updates: %+v", updates)
			}
			strictXML(t, o311Call(t, s, "GET", base+"servicerequestupdates.xml?api_key="+url.QueryEscape(dispatcher), nil, ""), "service_request_updates", nil)

			// What a client gets wrong, and what an attacker tries.
			nkmCitizen := s.Login("nizhnekamsk", "citizen")
			nkmDispatcher := s.Login("nizhnekamsk", "dispatcher")
			day := time.Now().UTC()
			with := func(k, v string) url.Values {
				f := url.Values{}
				for key, vs := range form {
					f[key] = vs
				}
				f.Set(k, v)
				return f
			}
			bad := []struct {
				name, method, path string
				form               url.Values
				status             int
				says               string
			}{
				{"no api_key", "POST", base + "requests.xml", with("api_key", ""), 403, ""},
				{"another city's token", "POST", base + "requests.xml", with("api_key", nkmCitizen), 403, ""},
				{"another city's jurisdiction", "POST", base + "requests.xml", with("jurisdiction_id", "nizhnekamsk"), 404, "jurisdiction_id"},
				{"jurisdiction on a read", "GET", base + "services.json?jurisdiction_id=nizhnekamsk", nil, 404, "jurisdiction_id"},
				{"unknown service", "POST", base + "requests.json", with("service_code", "no-such"), 404, "service_code"},
				{"no service", "POST", base + "requests.json", with("service_code", ""), 400, "service_code"},
				{"broken attribute key", "POST", base + "requests.json", with("attribute[apartment", "1"), 400, "attribute[apartment"},
				{"nested attribute key", "POST", base + "requests.json", with("attribute[a][b]", "1"), 400, "attribute[a][b]"},
				{"attributes key", "POST", base + "requests.json", with("attributes[apartment]", "1"), 400, "attributes[apartment]"},
				{"unknown attribute", "POST", base + "requests.json", with("attribute[colour]", "red"), 400, "attribute[colour]"},
				{"lat without long", "POST", base + "requests.json", with("long", ""), 0, ""},
				{"lat alone", "POST", base + "requests.json", with("lat", "55.8"), 400, "lat"},
				{"not a media url", "POST", base + "requests.json", with("media_url", "javascript:alert(1)"), 400, "media_url"},
				{"unknown address_id", "POST", base + "requests.json", with("address_id", "NKM-000001"), 400, "address_id"},
				{"window over 90 days", "GET", base + "requests.json?api_key=" + url.QueryEscape(dispatcher) + "&start_date=" +
					day.AddDate(0, 0, -100).Format(time.RFC3339) + "&end_date=" + day.Format(time.RFC3339), nil, 400, "end_date"},
				{"updates window over 90 days", "GET", base + "servicerequestupdates.json?api_key=" + url.QueryEscape(dispatcher) + "&start_date=" +
					day.AddDate(0, 0, -91).Format(time.RFC3339) + "&end_date=" + day.Format(time.RFC3339), nil, 400, "end_date"},
				{"date without zone", "GET", base + "requests.json?api_key=" + url.QueryEscape(dispatcher) + "&start_date=2026-01-01T00:00:00", nil, 400, "start_date"},
				{"bad status", "GET", base + "requests.json?status=pending&api_key=" + url.QueryEscape(dispatcher), nil, 400, "status"},
				{"list without key", "GET", base + "requests.json", nil, 403, ""},
				{"another city's token reads", "GET", base + "requests/" + number + ".json?api_key=" + url.QueryEscape(nkmDispatcher), nil, 403, ""},
				{"another city's request", "GET", "/t/nizhnekamsk/open311/v2/requests/" + number + ".json?api_key=" + url.QueryEscape(nkmDispatcher), nil, 0, ""},
				{"token", "GET", base + "tokens/abc.json", nil, 404, ""},
				{"unknown resource", "GET", base + "requests.csv", nil, 404, ""},
				{"unknown city", "GET", "/t/nowhere/open311/v2/services.xml", nil, 404, ""},
			}
			for _, c := range bad {
				a := o311Call(t, s, c.method, c.path, c.form, "")
				if bytes.Contains(a.Body, []byte(secret)) {
					t.Errorf("%s: kazan's request read: %s", c.name, a.Body)
				}
				if c.status == 0 {
					if a.Status >= 500 {
						t.Errorf("%s: %d %s", c.name, a.Status, a.Body)
					}
					continue
				}
				if a.Status != c.status {
					t.Errorf("%s: %d, want %d: %s", c.name, a.Status, c.status, a.Body)
					continue
				}
				var errs []o311Error
				if strings.Contains(c.path, ".json") {
					strictJSON(t, a, &errs)
				} else {
					var x struct {
						Items []o311Error `xml:"error"`
					}
					strictXML(t, a, "errors", &x)
					errs = x.Items
				}
				if len(errs) == 0 || errs[0].Code != c.status || errs[0].Description == "" {
					t.Errorf("%s: error document %s", c.name, a.Body)
				}
				if c.says != "" && !slices.ContainsFunc(errs, func(e o311Error) bool { return strings.HasPrefix(e.Description, c.says+": ") }) {
					t.Errorf("%s: no error names %s: %s", c.name, c.says, a.Body)
				}
			}
			// Nizhnekamsk's own request of the same number is what its
			// dispatcher reads there, never kazan's.
			a := o311Call(t, s, "GET", "/t/nizhnekamsk/open311/v2/requests.json?service_request_id="+number+"&api_key="+url.QueryEscape(nkmDispatcher), nil, "")
			if a.Status != 200 || bytes.Contains(a.Body, []byte(secret)) {
				t.Errorf("nizhnekamsk by id: %d %s", a.Status, a.Body)
			}
		})
	}
}

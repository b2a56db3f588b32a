// Package open311 holds the wire formats of Open311 GeoReport v2: the
// documents a server answers in XML and JSON, with the element names,
// root elements and date format of the specification's examples, and the
// reading of what a client sends (the format of a resource, attribute[…]
// keys, dates).
//
// Sources: GeoReport v2, https://wiki.open311.org/GeoReport_v2 (also
// github.com/open311/open311.github.io, GeoReport/v2/index.md); Service
// Discovery, https://wiki.open311.org/Service_Discovery; the updates
// extension FixMyStreet reads, GET servicerequestupdates with its extended
// statuses, https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Proposed-differences-to-Open311
// and .../Open311-FMS-Additional-states.
package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Specification is the token of GeoReport v2 in a discovery document.
const Specification = "http://wiki.open311.org/GeoReport_v2"

// Format is the format a client names by the extension of a resource.
type Format string

// The formats of GeoReport v2: XML is required, JSON optional.
const (
	XML  Format = "xml"
	JSON Format = "json"
)

// MediaTypes are the content types of the formats, as a discovery document
// lists them.
var MediaTypes = map[Format]string{XML: "text/xml", JSON: "application/json"}

// ContentType is the Content-Type header of an answer in f.
func (f Format) ContentType() string { return MediaTypes[f] + "; charset=utf-8" }

// SplitFormat cuts "services.xml" into "services" and XML; ok is false
// without a known format.
func SplitFormat(name string) (resource string, f Format, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return "", "", false
	}
	f = Format(name[i+1:])
	if f != XML && f != JSON {
		return "", "", false
	}
	return name[:i], f, true
}

// Document is an answer: V marshals as XML under its own root element,
// JSON is what the JSON form marshals (a list is a bare array, as in the
// specification's examples).
type Document interface {
	JSON() any
}

// Encode writes d in f: XML with the declaration the specification asks
// for, JSON without trailing newline.
func Encode(f Format, d Document) ([]byte, error) {
	if f == JSON {
		return json.Marshal(d.JSON())
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	if err := xml.NewEncoder(&b).Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Time writes t in the W3C date format of the specification, in loc (the
// city's zone), with its offset (Z for UTC).
func Time(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}

// ParseTime reads a W3C date-time with its zone ("Z" or "+03:00"), as
// start_date and end_date are given.
func ParseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	return t, err == nil
}

// Discovery is the service discovery document.
type Discovery struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

// Endpoint is one API a discovery document names.
type Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"` // production or test
	Formats       []string `xml:"formats>format" json:"formats"`
}

// JSON implements Document.
func (d Discovery) JSON() any { return d }

// Services is the service list.
type Services struct {
	XMLName xml.Name  `xml:"services"`
	Items   []Service `xml:"service"`
}

// JSON implements Document.
func (d Services) JSON() any { return nonNil(d.Items) }

// Service is one service (for OpenCity, a category a citizen may choose).
type Service struct {
	ServiceCode string `xml:"service_code" json:"service_code"`
	ServiceName string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"` // realtime, batch or blackbox
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

// ServiceDefinition is the attributes of one service.
type ServiceDefinition struct {
	XMLName     xml.Name    `xml:"service_definition" json:"-"`
	ServiceCode string      `xml:"service_code" json:"service_code"`
	Attributes  []Attribute `xml:"attributes>attribute" json:"attributes"`
}

// JSON implements Document.
func (d ServiceDefinition) JSON() any {
	d.Attributes = nonNil(d.Attributes)
	return d
}

// Attribute is one attribute of a service definition. Datatype is one of
// string, number, datetime, text, singlevaluelist, multivaluelist.
type Attribute struct {
	Variable            bool    `xml:"variable" json:"variable"`
	Code                string  `xml:"code" json:"code"`
	Datatype            string  `xml:"datatype" json:"datatype"`
	Required            bool    `xml:"required" json:"required"`
	DatatypeDescription string  `xml:"datatype_description" json:"datatype_description"`
	Order               int     `xml:"order" json:"order"`
	Description         string  `xml:"description" json:"description"`
	Values              []Value `xml:"values>value,omitempty" json:"values,omitempty"`
}

// Value is one choice of a list attribute.
type Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// ServiceRequests is a list of requests under the specification's
// service_requests root, one request element each: the answer of POST
// requests, GET tokens/{token} and GET requests.
type ServiceRequests[T any] struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []T      `xml:"request"`
}

// JSON implements Document.
func (d ServiceRequests[T]) JSON() any { return nonNil(d.Items) }

// Created answers POST requests: the request made at once (no token).
type Created = ServiceRequests[CreatedRequest]

// CreatedRequest is the id of a request made, with what the city says it
// will do.
type CreatedRequest struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	ServiceNotice    string `xml:"service_notice" json:"service_notice"`
	AccountID        Null   `xml:"account_id" json:"account_id"`
}

// Null is text that JSON writes as null when empty, as the
// specification's examples write fields with no value; XML writes an
// empty element.
type Null string

// MarshalJSON implements json.Marshaler.
func (n Null) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(n))
}

// Tokens answers GET tokens/{token}.
type Tokens = ServiceRequests[TokenRequest]

// TokenRequest is the request a token stands for.
type TokenRequest struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
}

// Requests answers GET requests and GET requests/{id}.
type Requests = ServiceRequests[Request]

// Request is a service request as GET requests shows it: no contact data
// of the person who made it (the specification has none).
type Request struct {
	ServiceRequestID  string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"` // open or closed
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	Description       string   `xml:"description" json:"description"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string   `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string   `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string   `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string   `xml:"expected_datetime,omitempty" json:"expected_datetime,omitempty"`
	Address           string   `xml:"address" json:"address"`
	AddressID         string   `xml:"address_id" json:"address_id"`
	Zipcode           string   `xml:"zipcode" json:"zipcode"`
	Lat               *float64 `xml:"lat" json:"lat"`
	Long              *float64 `xml:"long" json:"long"`
	MediaURL          string   `xml:"media_url" json:"media_url"`
}

// Updates answers GET servicerequestupdates (FixMyStreet's extension).
type Updates struct {
	XMLName xml.Name `xml:"service_request_updates"`
	Items   []Update `xml:"request_update"`
}

// JSON implements Document.
func (d Updates) JSON() any { return nonNil(d.Items) }

// Update is one change of a request: Status is an extended status
// (ExtendedStatuses), ExternalStatusCode the server's own status.
type Update struct {
	UpdateID           string `xml:"update_id" json:"update_id"`
	ServiceRequestID   string `xml:"service_request_id" json:"service_request_id"`
	Status             string `xml:"status" json:"status"`
	ExternalStatusCode string `xml:"external_status_code" json:"external_status_code"`
	UpdatedDatetime    string `xml:"updated_datetime" json:"updated_datetime"`
	Description        string `xml:"description" json:"description"`
	MediaURL           string `xml:"media_url" json:"media_url"`
}

// ExtendedStatuses are the statuses of FixMyStreet's extension (the
// Open311-FMS-Additional-states page), written in lower case as
// FixMyStreet's own endpoints write them.
var ExtendedStatuses = []string{"open", "closed", "fixed", "in_progress", "action_scheduled", "investigating",
	"duplicate", "not_councils_responsibility", "no_further_action", "internal_referral"}

// Errors is an error document; each error's code is the HTTP status.
type Errors struct {
	XMLName xml.Name `xml:"errors"`
	Items   []Error  `xml:"error"`
}

// JSON implements Document.
func (d Errors) JSON() any { return nonNil(d.Items) }

// Error is one error: a code and a description meant for the user.
type Error struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// attributeKey is the shape of an attribute's form key: attribute[code],
// or attribute[code][] for one of several values.
var attributeKey = regexp.MustCompile(`^attribute\[([A-Za-z0-9_-]{1,64})\](\[\])?$`)

// Attributes reads the attribute[code] fields of a posted form into
// values by code. Any other key that begins with "attribute" is returned
// in bad: a client that means an attribute and wrote it wrong is told so
// rather than ignored.
func Attributes(form map[string][]string) (values map[string][]string, bad []string) {
	values = map[string][]string{}
	for k, vs := range form {
		if !strings.HasPrefix(k, "attribute") {
			continue
		}
		m := attributeKey.FindStringSubmatch(k)
		if m == nil {
			bad = append(bad, k)
			continue
		}
		values[m[1]] = append(values[m[1]], vs...)
	}
	sort.Strings(bad)
	return values, bad
}

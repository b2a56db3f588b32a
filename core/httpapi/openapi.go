package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// The OpenAPI 3 description is generated from the route table, so a route
// cannot exist without being described, and its schemas come from the very
// types the handlers encode.

// enums are the domain's own lists, so the description and the validation
// cannot disagree.
var enums = map[reflect.Type][]string{
	reflect.TypeOf(core.Status("")):   core.Names(core.Statuses),
	reflect.TypeOf(core.Priority("")): core.Names(core.Priorities),
	reflect.TypeOf(core.Channel("")):  core.Names(core.Channels),
	reflect.TypeOf(core.Queue("")):    core.Names(core.Queues),
	reflect.TypeOf(core.DeskSort("")): core.Names(core.DeskSorts),
}

// taggedEnums are the domain's lists for plain string fields, named by the
// field's enum tag (`enum:"org_kinds"`); "" is allowed where the field is
// optional.
var taggedEnums = map[string][]string{
	"org_kinds":    core.OrgKinds,
	"utilities":    append([]string{""}, core.Utilities...),
	"rule_targets": core.Targets,
	"deadlines":    core.Deadlines,
	"leagues":      core.Leagues,
	"any_channel":  append([]string{""}, core.Names(core.Channels)...),
	"league_ranks": core.LeagueRanks,
	"place_levels": core.PlaceLevels,
	"outage_kinds": core.OutageKinds,
	"trend_steps":  core.TrendSteps,
}

type schemaGen struct {
	components map[string]any
	// input describes request bodies: the domain validates which fields are
	// needed, so nothing is marked required, and names get an Input suffix.
	input bool
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.Index(name, "["); i >= 0 {
		// listOf[github.com/…/core.District] → listOfDistrict
		inner := name[i+1 : len(name)-1]
		inner = inner[strings.LastIndex(inner, ".")+1:]
		name = name[:i] + inner
	}
	name = nonWord.ReplaceAllString(name, "")
	return strings.ToUpper(name[:1]) + name[1:]
}

// schema returns the JSON schema of t, registering named structs as
// components.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		s := g.schema(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			// OpenAPI 3.0 ignores nullable without a type; every component
			// is an object.
			return map[string]any{"type": "object", "allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	}
	if e, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": e}
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		return map[string]any{} // any JSON value
	}
	if t == reflect.TypeOf(time.Time{}) {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if g.input {
			name += "Input"
		}
		if _, ok := g.components[name]; !ok {
			g.components[name] = map[string]any{} // guards recursion
			g.components[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// fieldDocs is a body type that says who may set each of its fields (the
// domain decides it, e.g. core.IntakeFields).
type fieldDocs interface{ FieldDoc(name string) string }

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		sort.Strings(required)
		o["required"] = required
	}
	return o
}

// fields describes the fields of struct t into props; an embedded struct
// without a JSON name gives its fields, as encoding/json writes them.
func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	docs, _ := reflect.Zero(t).Interface().(fieldDocs)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		prop := g.schema(f.Type)
		if name := f.Tag.Get("enum"); name != "" {
			e, ok := taggedEnums[name]
			if !ok {
				panic("openapi: no domain list for enum tag " + name + " of " + t.Name() + "." + f.Name)
			}
			prop["enum"] = e
		}
		doc := f.Tag.Get("doc")
		if doc == "" && docs != nil && g.input {
			doc = docs.FieldDoc(name)
		}
		if doc != "" {
			if _, isRef := prop["$ref"]; isRef {
				prop = map[string]any{"allOf": []any{prop}}
			}
			prop["description"] = doc
		}
		props[name] = prop
		if !g.input && !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

var ginParam = regexp.MustCompile(`:([a-z_]+)`)

// OpenAPIPath turns a gin path into an OpenAPI one.
func OpenAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// OpenAPI builds the description of the city API (OpenAPI 3.0.3). Every
// operation answers its success status, a problem document for a client
// error (4XX) and 503 with Retry-After (seconds) while the city's database
// is unreachable; operations open without a token say so with an empty
// security list.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	g.components["Problem"] = g.object(reflect.TypeOf(Problem{}))
	problemBody := map[string]any{ProblemJSON: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}
	retryAfter := map[string]any{"Retry-After": map[string]any{"$ref": "#/components/headers/RetryAfter"}}
	responses := map[string]any{
		"Problem": map[string]any{"description": "a problem: what is wrong, with a message per field for invalid input", "content": problemBody},
		"Unavailable": map[string]any{"description": "the city's database is unreachable for now; retry after Retry-After seconds",
			"headers": retryAfter, "content": problemBody},
		"TooManyRequests": map[string]any{"description": "too many attempts; retry after Retry-After seconds",
			"headers": retryAfter, "content": problemBody},
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/responses/" + name} }
	paths := map[string]any{}
	for _, rt := range a.Routes() {
		path := OpenAPIPath(rt.Path)
		if path == "" {
			path = "/"
		}
		op := map[string]any{"summary": rt.Summary, "operationId": operationID(rt)}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			schema := map[string]any{"type": q.Type}
			if e, ok := rt.Enums[q.Name]; ok {
				schema["enum"] = e
			}
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Doc, "schema": schema})
		}
		for _, h := range rt.Headers {
			params = append(params, map[string]any{"name": h.Name, "in": "header", "description": h.Doc, "schema": map[string]any{"type": h.Type}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.In != nil {
			in := &schemaGen{components: g.components, input: true}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": in.schema(reflect.TypeOf(rt.In))}}}
		}
		if u := rt.Upload; u != nil {
			op["requestBody"] = map[string]any{"required": true, "content": uploadContent(u)}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Out != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Out))}}
		}
		if len(rt.Produces) > 0 {
			content := map[string]any{}
			for _, mt := range rt.Produces {
				content[mt] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			ok["content"] = content
		}
		resp := map[string]any{strconv.Itoa(rt.Status): ok, "4XX": ref("Problem"), "503": ref("Unavailable"), "default": ref("Problem")}
		if rt.Throttled {
			resp["429"] = ref("TooManyRequests")
		}
		if rt.Also != 0 {
			also := map[string]any{"description": http.StatusText(rt.Also)}
			for k, v := range ok {
				if k != "description" {
					also[k] = v
				}
			}
			resp[strconv.Itoa(rt.Also)] = also
		}
		op["responses"] = resp
		switch {
		case (rt.Obj != "" && rt.Guard != guardAnonymous) || rt.Guard == guardSelf:
			op["security"] = []any{map[string]any{"bearer": []any{}}}
		default:
			op["security"] = []any{} // open to anyone, no token
		}
		if rt.Obj != "" {
			op["x-access"] = rt.Obj + ":" + rt.Act
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "OpenCity city API", "version": "1",
			"description": "One city's API: requests, their lifecycle and the city directory. Errors are application/problem+json.",
			"license":     map[string]any{"name": "Proprietary: provided to cities under their OpenCity agreement"}},
		"servers": []any{map[string]any{"url": "/t/{slug}/api/v1", "variables": map[string]any{"slug": map[string]any{"default": "kazan"}}}},
		"paths":   paths,
		"components": map[string]any{"schemas": g.components, "responses": responses,
			"headers": map[string]any{"RetryAfter": map[string]any{
				"description": "seconds to wait before trying again (RFC 9110, section 10.2.3)",
				"schema":      map[string]any{"type": "integer", "minimum": 1}}},
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

// uploadContent is the request body of a route that takes a file: a
// multipart form, and the raw file where the route accepts it.
func uploadContent(u *Upload) map[string]any {
	props := map[string]any{u.File: map[string]any{"type": "string", "format": "binary"}}
	for _, f := range u.Fields {
		props[f.Name] = map[string]any{"type": f.Type, "description": f.Doc}
	}
	content := map[string]any{"multipart/form-data": map[string]any{"schema": map[string]any{
		"type": "object", "properties": props, "required": []any{u.File}}}}
	for _, mt := range u.Raw {
		content[mt] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
	}
	return content
}

func operationID(rt Route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, p := range strings.Split(rt.Path, "/") {
		switch {
		case strings.HasPrefix(p, ":"):
			parts = append(parts, "by", p[1:])
		case p != "":
			parts = append(parts, p)
		}
	}
	return nonWord.ReplaceAllString(strings.Join(parts, "_"), "_")
}

// openapi serves the description of this API, built on the first call.
func (a *API) openapi() gin.HandlerFunc {
	doc := sync.OnceValue(a.OpenAPI)
	return func(c *gin.Context) { c.JSON(http.StatusOK, doc()) }
}

package httpapi_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

func TestRoutingRulesAPI(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			admin := s.Login("kazan", "admin")
			base := "/t/kazan/api/v1/routing"
			orgs := s.OrgIDs(t, "kazan")

			// Every city starts with the built-in rules.
			r := s.Call("GET", base+"/settings", admin, nil)
			if r.Status != 200 || r.JSON(t)["router"] != "rules" {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			items := s.Call("GET", base+"/rules", admin, nil).JSON(t)["items"].([]any)
			if len(items) != 2 {
				t.Fatalf("default rules: %v", items)
			}
			got := s.TryRoute("kazan", admin, map[string]any{"category": "lift", "building_id": 1})
			if apitest.OrgCode(got) != "uk-aviastroitel" || got["source"] != "rules" {
				t.Errorf("lift by default rules: %v", got)
			}
			got = s.TryRoute("kazan", admin, map[string]any{"category": "power-supply", "address": "ул. Копылова, д. 3"})
			if apitest.OrgCode(got) != "energosbyt-kazan" || got["building_id"] != float64(1) {
				t.Errorf("power by address: %v", got)
			}
			got = s.TryRoute("kazan", admin, map[string]any{"category": "yard-improvement", "building_id": 1})
			if got["triage"] != true || !strings.Contains(got["reason"].(string), "на разбор диспетчеру") {
				t.Errorf("yard without a rule: %v", got)
			}

			// Bad rules are refused field by field.
			bad := []struct {
				name  string
				body  any
				field string
			}{
				{"unknown category", map[string]any{"name": "x", "category": "teleport", "target": "triage"}, "category"},
				{"unknown district", map[string]any{"name": "x", "district": "atlantis", "target": "triage"}, "district"},
				{"unknown organization", map[string]any{"name": "x", "target": "organization", "organization_id": 999999}, "organization_id"},
				{"unknown building", map[string]any{"name": "x", "building_id": 999999, "target": "triage"}, "building_id"},
				{"no organization", map[string]any{"name": "x", "target": "organization"}, "organization_id"},
				{"unknown target", map[string]any{"name": "x", "target": "mayor"}, "target"},
				{"half a window", map[string]any{"name": "x", "time_from": "22:00", "target": "triage"}, "time_to"},
				{"bad clock", map[string]any{"name": "x", "time_from": "25:00", "time_to": "07:00", "target": "triage"}, "time_from"},
				{"no name", map[string]any{"target": "triage"}, "name"},
				{"unknown field", `{"name":"x","target":"triage","colour":1}`, "colour"},
			}
			for _, c := range bad {
				r := s.Call("POST", base+"/rules", admin, c.body)
				if r.Status != 422 || r.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
					continue
				}
				if errs, _ := r.JSON(t)["errors"].(map[string]any); errs[c.field] == nil {
					t.Errorf("%s: no message for %s: %s", c.name, c.field, r.Body)
				}
			}

			// A yard rule for one district, then a night rule put first.
			r = s.Call("POST", base+"/rules", admin, map[string]any{"name": "Yards in the north", "category": "yard-improvement",
				"district": "aviastroitelny", "target": "organization", "organization_id": orgs["blago-sever"]})
			if r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			yard := int64(r.JSON(t)["id"].(float64))
			got = s.TryRoute("kazan", admin, map[string]any{"category": "yard-improvement", "building_id": 1})
			if apitest.OrgCode(got) != "blago-sever" || !strings.Contains(got["reason"].(string), "Yards in the north") {
				t.Errorf("yard rule: %v", got)
			}
			r = s.Call("POST", base+"/rules", admin, map[string]any{"name": "Night emergencies", "emergency": true,
				"time_from": "22:00", "time_to": "07:00", "target": "organization", "organization_id": orgs["emergency-service"]})
			if r.Status != 201 {
				t.Fatalf("create night rule: %d %s", r.Status, r.Body)
			}
			night := int64(r.JSON(t)["id"].(float64))
			at := "2026-03-10T23:30:00+03:00"
			if got = s.TryRoute("kazan", admin, map[string]any{"category": "lift", "building_id": 1, "at": at}); apitest.OrgCode(got) != "uk-aviastroitel" {
				t.Errorf("night rule last must not win over the lift rule: %v", got)
			}
			ids := []int64{night}
			for _, it := range s.Call("GET", base+"/rules", admin, nil).JSON(t)["items"].([]any) {
				if id := int64(it.(map[string]any)["id"].(float64)); id != night {
					ids = append(ids, id)
				}
			}
			if r := s.Call("POST", base+"/rules/reorder", admin, map[string]any{"ids": ids[:2]}); r.Status != 422 {
				t.Errorf("partial reorder: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/rules/reorder", admin, map[string]any{"ids": ids}); r.Status != 200 {
				t.Fatalf("reorder: %d %s", r.Status, r.Body)
			}
			if got = s.TryRoute("kazan", admin, map[string]any{"category": "lift", "building_id": 1, "at": at}); apitest.OrgCode(got) != "emergency-service" {
				t.Errorf("night rule first: %v", got)
			}
			if got = s.TryRoute("kazan", admin, map[string]any{"category": "lift", "building_id": 1, "at": "2026-03-10T12:00:00+03:00"}); apitest.OrgCode(got) != "uk-aviastroitel" {
				t.Errorf("lift at noon: %v", got)
			}

			// Update, delete, and a rule id of this city means nothing in another.
			r = s.Call("PUT", fmt.Sprintf("%s/rules/%d", base, yard), admin, map[string]any{"name": "Yards everywhere",
				"category": "yard-improvement", "target": "organization", "organization_id": orgs["zeleny-dvor"]})
			if r.Status != 200 {
				t.Fatalf("update: %d %s", r.Status, r.Body)
			}
			if got = s.TryRoute("kazan", admin, map[string]any{"category": "yard-improvement", "building_id": 1}); apitest.OrgCode(got) != "zeleny-dvor" {
				t.Errorf("after update: %v", got)
			}
			other := s.Login("nizhnekamsk", "admin")
			if r := s.Call("DELETE", fmt.Sprintf("/t/nizhnekamsk/api/v1/routing/rules/%d", yard+100), other, nil); r.Status != 404 {
				t.Errorf("foreign delete: %d %s", r.Status, r.Body)
			}
			if r := s.Call("DELETE", fmt.Sprintf("%s/rules/%d", base, yard), admin, nil); r.Status != 204 {
				t.Errorf("delete: %d %s", r.Status, r.Body)
			}
			if r := s.Call("DELETE", fmt.Sprintf("%s/rules/%d", base, yard), admin, nil); r.Status != 404 {
				t.Errorf("delete twice: %d %s", r.Status, r.Body)
			}

			// Test routing with bad input.
			for name, body := range map[string]map[string]any{
				"category":    {"category": "teleport", "building_id": 1},
				"building_id": {"category": "lift", "building_id": 999999},
			} {
				if r := s.Call("POST", base+"/test", admin, body); r.Status != 422 || !bytes.Contains(r.Body, []byte(`"`+name+`"`)) {
					t.Errorf("routing test with bad %s: %d %s", name, r.Status, r.Body)
				}
			}
			if r := s.Call("POST", base+"/test", admin, map[string]any{"category": "lift"}); r.Status != 422 {
				t.Errorf("routing test without a place: %d %s", r.Status, r.Body)
			}

			// Who may do what.
			disp := s.Login("kazan", "dispatcher")
			if r := s.Call("GET", base+"/rules", disp, nil); r.Status != 200 {
				t.Errorf("dispatcher read: %d", r.Status)
			}
			if r := s.Call("POST", base+"/rules", disp, map[string]any{"name": "x", "target": "triage"}); r.Status != 403 {
				t.Errorf("dispatcher create: %d", r.Status)
			}
			cit := s.Login("kazan", "citizen")
			for _, c := range []struct{ method, path string }{{"GET", "/rules"}, {"GET", "/settings"}, {"PUT", "/settings"}, {"POST", "/test"}} {
				if r := s.Call(c.method, base+c.path, cit, map[string]any{}); r.Status != 403 {
					t.Errorf("citizen %s %s: %d", c.method, c.path, r.Status)
				}
			}
			if r := s.Call("GET", base+"/rules", "", nil); r.Status != 401 {
				t.Errorf("anonymous: %d", r.Status)
			}
			if r := s.Call("GET", "/t/nizhnekamsk/api/v1/routing/rules", admin, nil); r.Status != 401 {
				t.Errorf("Kazan's token in Nizhnekamsk: %d", r.Status)
			}
		})
	}
}

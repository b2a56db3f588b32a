package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The demo city Kazan routes through its real plugin process when the
// server is given the binary, and the city admin can switch routers.
func TestDemoKazanRoutesThroughItsPlugin(t *testing.T) {
	db := tenanttest.New(t, "postgres")
	ts := wrap(t, servertest.StartConfig(t, db, server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: true,
		KazanPlugin: kazanPlugin(t)}))
	admin := ts.login("kazan", "admin")
	base := "/t/kazan/api/v1/routing"
	r := ts.call("GET", base+"/settings", admin, nil)
	if r.Status != 200 || r.json(t)["plugin"] != server.DemoKazanRef {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	night := map[string]any{"category": "lift", "building_id": 1, "at": "2026-03-10T23:30:00+03:00"}
	var got map[string]any
	deadline := time.Now().Add(15 * time.Second)
	for { // the plugin starts in the background
		got = ts.tryRoute("kazan", admin, night)
		if got["source"] == "plugin:"+server.DemoKazanRef || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if orgCode(got) != "emergency-service" || got["source"] != "plugin:"+server.DemoKazanRef {
		t.Fatalf("night emergency through the plugin: %v", got)
	}
	got = ts.tryRoute("kazan", admin, map[string]any{"category": "yard-improvement", "building_id": 1})
	if orgCode(got) != "blago-sever" {
		t.Errorf("yard through the plugin: %v", got)
	}

	// Unknown plugins and malformed settings are refused.
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"router": "plugin", "plugin": "moscow@9.9.9"}, "plugin"},
		{map[string]any{"router": "plugin", "plugin": "no version"}, "plugin"},
		{map[string]any{"router": "plugin", "plugin": server.DemoKazanRef, "config": []int{1}}, "config"},
		{map[string]any{"router": "oracle"}, "router"},
	} {
		r := ts.call("PUT", base+"/settings", admin, c.body)
		if r.Status != 422 || !bytes.Contains(r.Body, []byte(`"`+c.field+`"`)) {
			t.Errorf("settings %v: %d %s", c.body, r.Status, r.Body)
		}
	}
	// A config change reaches the plugin: a shorter night.
	r = ts.call("PUT", base+"/settings", admin, map[string]any{"router": "plugin", "plugin": server.DemoKazanRef,
		"config": map[string]any{"night_from": "23:45", "night_to": "06:00"}})
	if r.Status != 200 {
		t.Fatalf("put settings: %d %s", r.Status, r.Body)
	}
	if got = ts.tryRoute("kazan", admin, night); orgCode(got) != "uk-aviastroitel" || got["source"] != "plugin:"+server.DemoKazanRef {
		t.Errorf("after the config change: %v", got)
	}
	// Back to the built-in rules.
	if r = ts.call("PUT", base+"/settings", admin, map[string]any{"router": "rules"}); r.Status != 200 {
		t.Fatalf("rules: %d %s", r.Status, r.Body)
	}
	if got = ts.tryRoute("kazan", admin, night); got["source"] != "rules" {
		t.Errorf("after switching to rules: %v", got)
	}
	if r := ts.call("PUT", base+"/settings", ts.login("kazan", "dispatcher"), map[string]any{"router": "rules"}); r.Status != http.StatusForbidden {
		t.Errorf("dispatcher changed the router: %d", r.Status)
	}
}

func TestPluginCLI(t *testing.T) {
	db := tenanttest.New(t, "sqlite")
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, env(db), &out)
		return out.String(), err
	}
	if _, err := cli("seed", "--demo"); err != nil {
		t.Fatal(err)
	}
	bin := kazanPlugin(t)
	out, err := cli("plugin", "add", "--name", "kazan", "--version", "1.0.0", "--binary", bin)
	if err != nil || !strings.Contains(out, "sha256 ") {
		t.Fatalf("add: %v %s", err, out)
	}
	if _, err := cli("plugin", "add", "--name", "Kazan!", "--version", "1", "--binary", bin); err == nil {
		t.Error("a bad plugin name was accepted")
	}
	if _, err := cli("plugin", "add", "--name", "kazan", "--version", "2", "--binary", "/nonexistent"); err == nil {
		t.Error("a missing binary was accepted")
	}
	if out, err = cli("plugin", "assign", "--city", "kazan", "--plugin", "kazan@1.0.0", "--config", `{"night_from":"23:00","night_to":"06:00"}`); err != nil ||
		!strings.Contains(out, "routes through plugin kazan@1.0.0") {
		t.Fatalf("assign: %v %s", err, out)
	}
	if _, err := cli("plugin", "assign", "--city", "kazan", "--plugin", "kazan@9"); err == nil {
		t.Error("assigned a plugin that is not in the catalog")
	}
	if _, err := cli("plugin", "assign", "--city", "atlantis", "--plugin", "rules"); err == nil {
		t.Error("assigned a router to an unknown city")
	}
	out, _ = cli("plugin", "list")
	if !regexpLine(out, "kazan@1.0.0", "ok") {
		t.Errorf("list:\n%s", out)
	}
	f, _ := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("tampered"))
	f.Close()
	out, _ = cli("plugin", "list")
	if !regexpLine(out, "kazan@1.0.0", "MISMATCH") {
		t.Errorf("list after tampering:\n%s", out)
	}
}

// Command testplugin is a routing plugin for the host's tests: by its city
// config it answers, hangs past any deadline, or crashes.
package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/opencity/opencity/plugins/sdk"
)

type config struct {
	Mode string `json:"mode"` // "", "hang" or "crash"
	Org  string `json:"org"`
}

type testRouter struct{}

func (testRouter) Route(city *sdk.City, r sdk.Request) (sdk.Decision, error) {
	var c config
	_ = json.Unmarshal(city.Config, &c)
	switch c.Mode {
	case "hang":
		time.Sleep(time.Minute)
	case "crash":
		os.Exit(3)
	}
	if o := city.Organization(c.Org); o != nil {
		return sdk.Assign(o, "test plugin: %s", c.Org), nil
	}
	return sdk.Triage("test plugin: no org"), nil
}

func main() { sdk.Serve(testRouter{}) }

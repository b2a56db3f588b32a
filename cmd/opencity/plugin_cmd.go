package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
)

// pluginCmd manages the vendor's routing plugin catalog and which router a
// city uses.
func pluginCmd(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("plugin needs a subcommand: add, list or assign")
	}
	switch args[0] {
	case "add":
		return pluginAdd(ctx, cfg, args[1:], out)
	case "list":
		return pluginList(ctx, cfg, out)
	case "assign":
		return pluginAssign(ctx, cfg, args[1:], out)
	}
	return fmt.Errorf("unknown plugin subcommand %q: use add, list or assign", args[0])
}

func pluginAdd(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("plugin add --name NAME --version VERSION --binary PATH",
		"Adds a routing plugin binary to the catalog, pinned by its SHA-256 (computed now).\n"+
			"The server verifies the checksum before every start and refuses a changed binary.\n"+
			"Build one with: go build -o opencity-kazan ./plugins/cities/kazan", out)
	name := fs.String("name", "", "plugin name, e.g. kazan")
	version := fs.String("version", "", "plugin version, e.g. 1.0.0")
	binary := fs.String("binary", "", "path of the plugin executable")
	desc := fs.String("description", "", "what the plugin does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *version == "" || *binary == "" {
		return errors.New("plugin add needs --name, --version and --binary")
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	e, err := b.AddPlugin(ctx, "cli", *name, *version, *binary, *desc)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(out, "plugin %s: %s\nsha256 %s\n", e.Ref(), e.BinaryPath, e.SHA256)
	return nil
}

func pluginList(ctx context.Context, cfg server.Config, out io.Writer) error {
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	es, err := b.Plugins(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PLUGIN\tSHA256\tBINARY\tCHECK")
	for _, e := range es {
		check := "ok"
		switch sum, err := tenants.FileSHA256(e.BinaryPath); {
		case err != nil:
			check = "missing"
		case sum != e.SHA256:
			check = "MISMATCH: will not start"
		}
		fmt.Fprintf(w, "%s\t%s…\t%s\t%s\n", e.Ref(), e.SHA256[:16], e.BinaryPath, check)
	}
	return w.Flush()
}

func pluginAssign(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("plugin assign --city SLUG --plugin NAME@VERSION [--config JSON]",
		"Selects a catalog plugin as the city's router (--plugin rules goes back to the built-in rules).", out)
	city := fs.String("city", "", "the city's slug")
	ref := fs.String("plugin", "", "name@version from the catalog, or rules")
	config := fs.String("config", "", "the plugin's JSON config for this city (default: keep the current one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *city == "" || *ref == "" {
		return errors.New("plugin assign needs --city and --plugin")
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	if _, err := b.Registry().Get(ctx, *city); err != nil {
		return describe(err)
	}
	plugin := *ref
	if plugin == "rules" {
		plugin = ""
	} else {
		name, version, err := tenants.ParsePluginRef(plugin)
		if err != nil {
			return describe(err)
		}
		if _, err := b.Plugin(ctx, name, version); err != nil {
			return describe(err)
		}
	}
	st, err := b.Store(*city)
	if err != nil {
		return err
	}
	cur, err := st.RoutingSettings(ctx)
	if err != nil {
		return err
	}
	set := core.RoutingSettings{Plugin: plugin, Config: cur.Config}
	if *config != "" {
		var obj map[string]any
		if json.Unmarshal([]byte(*config), &obj) != nil {
			return errors.New("--config must be a JSON object")
		}
		set.Config = json.RawMessage(*config)
	}
	if _, err := st.SetRoutingSettings(ctx, set); err != nil {
		return describe(err)
	}
	if err := b.Registry().Audit(ctx, "cli", "routing.assign", *city, *ref); err != nil {
		return err
	}
	if plugin == "" {
		fmt.Fprintf(out, "%s routes by its built-in rules\n", *city)
	} else {
		fmt.Fprintf(out, "%s routes through plugin %s, then its built-in rules, then triage\n", *city, plugin)
	}
	return nil
}

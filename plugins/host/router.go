package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/plugins/proto/routingv1"
	"google.golang.org/protobuf/proto"
)

// CityStore is what a city router reads from the city's storage.
type CityStore interface {
	core.RoutingStore
	RoutingSettings(ctx context.Context) (core.RoutingSettings, error)
}

// CityRouter returns the router of one city: its plugin when it selected one,
// then its built-in rules, then the dispatcher's triage queue. It never
// returns an error: every request gets a decision whose Source and Reason
// tell which router decided and why a fallback was taken.
func (h *Host) CityRouter(slug string, loc *time.Location, st CityStore) core.Router {
	if loc == nil {
		loc = time.UTC
	}
	return &cityRouter{h: h, slug: slug, loc: loc, st: st}
}

type cityRouter struct {
	h    *Host
	slug string
	loc  *time.Location
	st   CityStore
}

// Decision sources.
const (
	SourceRules         = "rules"
	SourceFallbackRules = "fallback:rules"
	SourceTriage        = "fallback:triage"
)

func (r *cityRouter) Route(ctx context.Context, in core.RouteInput) (core.Decision, error) {
	var pluginNote core.Msg
	set, err := r.st.RoutingSettings(ctx)
	if err != nil {
		pluginNote = core.M("route.settings_unreadable", "Error", err.Error())
	} else if set.Plugin != "" {
		d, err := r.viaPlugin(ctx, set, in)
		if err == nil {
			return d, nil
		}
		slog.WarnContext(ctx, "plugin routing failed; falling back to the built-in rules", "city", r.slug, "plugin", set.Plugin, "err", err)
		pluginNote = core.M("route.plugin_failed", "Plugin", set.Plugin, "Error", err.Error())
	}
	d, err := core.RulesRouter{Store: r.st}.Route(ctx, in)
	if err != nil {
		reason := core.M("route.rules_failed", "Error", err.Error())
		if !pluginNote.IsZero() {
			reason = core.M("route.after", "First", pluginNote, "Then", reason)
		}
		return core.Decision{Triage: true, Reason: reason, Source: SourceTriage}, nil
	}
	if !pluginNote.IsZero() {
		d.Source = SourceFallbackRules
		d.Reason = core.M("route.after_builtin", "First", pluginNote, "Then", d.Reason)
	}
	return d, nil
}

func (r *cityRouter) viaPlugin(ctx context.Context, set core.RoutingSettings, in core.RouteInput) (core.Decision, error) {
	snap, err := r.h.snapshot(ctx, r.slug, r.loc, set, r.st)
	if err != nil {
		return core.Decision{}, err
	}
	req := &routingv1.RouteRequest{Category: in.Category.Code, At: in.At.In(r.loc).Format(time.RFC3339)}
	if in.Request != nil {
		req.Priority, req.Channel, req.Address = string(in.Request.Priority), string(in.Request.Channel), in.Request.Address
		if in.Request.DistrictID != nil {
			req.District = snap.districts[*in.Request.DistrictID]
		}
	}
	if req.Priority == "" {
		req.Priority = string(in.Category.DefaultPriority)
	}
	if in.Building != nil {
		req.BuildingId = in.Building.ID
		req.District = snap.districts[in.Building.DistrictID]
	}
	resp, err := r.h.Route(ctx, set.Plugin, snap.conf, req)
	if err != nil {
		return core.Decision{}, err
	}
	d := core.Decision{Triage: resp.GetTriage(), Priority: core.Priority(resp.GetPriority()), Reason: core.M("route.plugin", "Plugin", set.Plugin, "Text", resp.GetReason()),
		Source: "plugin:" + set.Plugin}
	if d.Priority != "" && !d.Priority.Valid() {
		return core.Decision{}, fmt.Errorf("answered an unknown priority %q", d.Priority)
	}
	if resp.GetReason() == "" {
		d.Reason = core.M("route.plugin_decided", "Plugin", set.Plugin)
	}
	if d.Triage {
		return d, nil
	}
	id, ok := snap.orgs[resp.GetOrganization()]
	if !ok {
		return core.Decision{}, fmt.Errorf("answered organization %q, which is not an active organization of the city", resp.GetOrganization())
	}
	d.OrganizationID = id
	return d, nil
}

// citySnapshot is a city's Configure message with the lookups that turn the
// plugin's codes back into ids.
type citySnapshot struct {
	conf      *routingv1.ConfigureRequest
	orgs      map[string]int64
	districts map[int64]string
	settings  time.Time
	plugin    string
	loaded    time.Time
}

// snapshot returns the city's current Configure message, re-reading the
// directory at most once per SnapshotTTL or when the settings changed. Its
// version is a hash of the content, so an unchanged directory is not pushed
// again.
func (h *Host) snapshot(ctx context.Context, slug string, loc *time.Location, set core.RoutingSettings, st CityStore) (*citySnapshot, error) {
	h.mu.Lock()
	s := h.cities[slug]
	h.mu.Unlock()
	if s != nil && s.settings.Equal(set.UpdatedAt) && s.plugin == set.Plugin && time.Since(s.loaded) < h.opts.SnapshotTTL {
		return s, nil
	}
	dir, err := st.Directory(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	s = buildSnapshot(slug, loc, set, dir)
	h.mu.Lock()
	h.cities[slug] = s
	h.mu.Unlock()
	return s, nil
}

func buildSnapshot(slug string, loc *time.Location, set core.RoutingSettings, dir *core.Directory) *citySnapshot {
	s := &citySnapshot{orgs: map[string]int64{}, districts: map[int64]string{}, settings: set.UpdatedAt,
		plugin: set.Plugin, loaded: time.Now()}
	pd := &routingv1.Directory{Timezone: loc.String()}
	for _, k := range dir.Categories {
		if k.Active {
			pd.Categories = append(pd.Categories, &routingv1.Category{Code: k.Code, Group: k.GroupCode, Emergency: k.Emergency,
				Utility: k.Utility, DefaultPriority: string(k.DefaultPriority)})
		}
	}
	for _, d := range dir.Districts {
		s.districts[d.ID] = d.Code
		pd.Districts = append(pd.Districts, &routingv1.District{Id: d.ID, Code: d.Code, Name: d.NameRU})
	}
	orgCodes := map[int64]string{}
	for _, o := range dir.Organizations {
		orgCodes[o.ID] = o.Code
		if !o.Active {
			continue
		}
		s.orgs[o.Code] = o.ID
		po := &routingv1.Organization{Id: o.ID, Code: o.Code, Kind: o.Kind, Utility: o.Utility, Name: o.NameRU}
		for _, d := range dir.OrgDistricts[o.ID] {
			po.Districts = append(po.Districts, s.districts[d])
		}
		pd.Organizations = append(pd.Organizations, po)
	}
	for _, b := range dir.Buildings {
		pb := &routingv1.Building{Id: b.ID, RegistryId: b.RegistryID, Address: b.AddressRU, District: s.districts[b.DistrictID]}
		if b.ManagementCompanyID != nil {
			pb.ManagementCompany = orgCodes[*b.ManagementCompanyID]
		}
		pd.Buildings = append(pd.Buildings, pb)
	}
	s.conf = &routingv1.ConfigureRequest{City: slug, ConfigJson: set.Config, Directory: pd}
	raw, _ := proto.MarshalOptions{Deterministic: true}.Marshal(s.conf)
	sum := sha256.Sum256(raw)
	s.conf.Snapshot = hex.EncodeToString(sum[:8])
	return s
}

// ConfigureRequest is the Configure message the host sends a plugin for a
// city: its config and its directory, versioned by a hash of the content.
func ConfigureRequest(slug string, loc *time.Location, set core.RoutingSettings, dir *core.Directory) *routingv1.ConfigureRequest {
	return buildSnapshot(slug, loc, set, dir).conf
}

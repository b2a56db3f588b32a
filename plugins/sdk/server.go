package sdk

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/opencity/opencity/plugins/proto/routingv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// server is the plugin side of the gRPC service: it keeps each city's
// config and directory, keyed by city, and hands Route to the author's Router.
type server struct {
	routingv1.UnimplementedRouterServer
	impl Router
	log  hclog.Logger

	mu     sync.RWMutex
	cities map[string]*City
}

func newServer(impl Router, log hclog.Logger) *server {
	return &server{impl: impl, log: log, cities: map[string]*City{}}
}

func (s *server) Configure(_ context.Context, in *routingv1.ConfigureRequest) (*routingv1.ConfigureResponse, error) {
	if in.GetCity() == "" {
		return nil, status.Error(codes.InvalidArgument, "city is required")
	}
	cfg := in.GetConfigJson()
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	if !json.Valid(cfg) {
		return nil, status.Error(codes.InvalidArgument, "config is not valid JSON")
	}
	in.ConfigJson = cfg
	if v, ok := s.impl.(ConfigValidator); ok {
		if err := v.ValidateConfig(in.GetCity(), cfg); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "config of %s: %v", in.GetCity(), err)
		}
	}
	c, err := newCity(in)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.mu.Lock()
	s.cities[c.Slug] = c
	s.mu.Unlock()
	s.log.Info("city configured", "city", c.Slug, "snapshot", c.Snapshot,
		"organizations", len(c.orgList), "buildings", len(c.buildings))
	return &routingv1.ConfigureResponse{}, nil
}

func (s *server) Route(_ context.Context, in *routingv1.RouteRequest) (*routingv1.RouteResponse, error) {
	s.mu.RLock()
	c := s.cities[in.GetCity()]
	s.mu.RUnlock()
	if c == nil || c.Snapshot != in.GetSnapshot() {
		return nil, status.Errorf(codes.FailedPrecondition, "city %q is not configured with snapshot %q", in.GetCity(), in.GetSnapshot())
	}
	at, err := time.Parse(time.RFC3339, in.GetAt())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "at: %v", err)
	}
	req := Request{Category: c.Category(in.GetCategory()), District: in.GetDistrict(), Priority: in.GetPriority(),
		Channel: in.GetChannel(), Address: in.GetAddress(), At: at.In(c.Location)}
	if req.Category == nil {
		return nil, status.Errorf(codes.InvalidArgument, "unknown category %q", in.GetCategory())
	}
	if in.GetBuildingId() != 0 {
		req.Building = c.Building(in.GetBuildingId())
		if req.Building != nil && req.District == "" {
			req.District = req.Building.GetDistrict()
		}
	}
	d, err := s.impl.Route(c, req)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &routingv1.RouteResponse{Organization: d.Organization, Triage: d.Triage, Priority: d.Priority, Reason: d.Reason}, nil
}

// Package sdk is the contract between OpenCity and a city's routing plugin,
// and the kit a plugin author uses: a plugin is a small main that calls
// Serve with a Router. The host and the plugins share the handshake and the
// plugin map declared here, so a plugin built against another protocol
// version is refused at start.
package sdk

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/opencity/opencity/plugins/proto/routingv1"
	"google.golang.org/grpc"
)

// ProtocolVersion is the version of the routing contract. It changes when
// routing.proto changes incompatibly.
const ProtocolVersion = 1

// PluginName is the name of the routing service in the plugin map.
const PluginName = "router"

// Handshake is checked by both sides before anything else: a binary that is
// not an OpenCity routing plugin, or speaks another protocol version, is
// refused.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "OPENCITY_ROUTING_PLUGIN",
	MagicCookieValue: "c8f6a0e2-routing-rules",
}

// GRPCPlugin adapts the routing service to go-plugin. The host uses it with
// a nil Impl; a plugin sets Impl.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Router
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	routingv1.RegisterRouterServer(s, newServer(p.Impl, Logger()))
	return nil
}

// GRPCClient implements plugin.GRPCPlugin: the host gets a RouterClient.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return routingv1.NewRouterClient(c), nil
}

// PluginMap returns the plugin set both sides dispense from.
func PluginMap(impl Router) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl}}
}

var logger = hclog.New(&hclog.LoggerOptions{
	Name:       "plugin",
	Output:     os.Stderr,
	JSONFormat: true,
	Level:      hclog.Info,
})

// Logger is the plugin's logger. It writes JSON lines to stderr, which the
// host reads and re-logs with the plugin's name; stdout belongs to the
// go-plugin protocol and must never be written to.
func Logger() hclog.Logger { return logger }

// Serve runs r as a routing plugin until the host stops it. It also exits
// when the host dies without stopping it (the plugin is re-parented), so no
// plugin process outlives its server.
func Serve(r Router) {
	go exitWithParent(os.Getppid(), time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginMap(r),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// exitWithParent polls the parent process id: once it changes, the host has
// died and the plugin exits.
func exitWithParent(parent int, every time.Duration) {
	for {
		time.Sleep(every)
		if os.Getppid() != parent {
			logger.Warn("the host process is gone; exiting")
			os.Exit(2)
		}
	}
}

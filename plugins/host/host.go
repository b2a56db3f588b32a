// Package host runs the cities' routing plugins for OpenCity: it starts one
// process per catalog entry (name@version) shared by every city that selected
// it, verifies the binary's SHA-256 before every start, puts a deadline on
// every call, restarts a crashed or hung process, and — through CityRouter —
// falls back to the city's built-in rules and then to triage, so a request is
// never lost.
package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/opencity/opencity/plugins/proto/routingv1"
	"github.com/opencity/opencity/plugins/sdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Entry is one plugin of the vendor's catalog.
type Entry struct {
	Name, Version string
	Path          string // absolute path of the binary
	SHA256        string // hex checksum the binary must have
}

// Ref is "name@version".
func (e Entry) Ref() string { return e.Name + "@" + e.Version }

// Catalog finds catalog entries. It is read before every start, so a
// re-pinned entry takes effect at the next (re)start.
type Catalog interface {
	Lookup(ctx context.Context, ref string) (Entry, error)
}

// ErrChecksum means a plugin binary does not match its catalog checksum; the
// host refuses to start it.
var ErrChecksum = errors.New("plugin binary does not match its catalog checksum")

// ErrClosed is returned once the host is closed.
var ErrClosed = errors.New("plugin host is closed")

// Options tune a Host; zero values take the defaults.
type Options struct {
	Catalog          Catalog
	CallTimeout      time.Duration // each Route call; default 200 ms
	ConfigureTimeout time.Duration // each Configure call; default 2 s
	StartTimeout     time.Duration // handshake of a new process; default 10 s
	SnapshotTTL      time.Duration // how often a city's directory is re-read; default 10 s
	// Output receives the plugins' hclog lines (default os.Stderr).
	Output io.Writer
	// OnRefused is told when a binary fails its checksum (for the audit log).
	OnRefused func(ref string, err error)
	// OnCall is told of every Route call: the plugin, how long the call
	// took and its error (nil on success). The server's metrics use it.
	OnCall func(ref string, took time.Duration, err error)
	// OnRestart is told when a plugin's process starts again after a crash
	// or a hang (not of its first start).
	OnRestart func(ref string)
}

// Host owns the plugin processes.
type Host struct {
	opts Options
	log  hclog.Logger

	mu     sync.Mutex
	procs  map[string]*process
	cities map[string]*citySnapshot
	closed bool
}

// New returns a host; processes start on first use or with Prepare.
func New(opts Options) *Host {
	if opts.CallTimeout == 0 {
		opts.CallTimeout = 200 * time.Millisecond
	}
	if opts.ConfigureTimeout == 0 {
		opts.ConfigureTimeout = 2 * time.Second
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 10 * time.Second
	}
	if opts.SnapshotTTL == 0 {
		opts.SnapshotTTL = 10 * time.Second
	}
	if opts.Output == nil {
		opts.Output = os.Stderr
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "plugin-host", Output: opts.Output, Level: hclog.Info})
	return &Host{opts: opts, log: log, procs: map[string]*process{}, cities: map[string]*citySnapshot{}}
}

// CallTimeout is the deadline of each Route call.
func (h *Host) CallTimeout() time.Duration { return h.opts.CallTimeout }

func (h *Host) process(ref string) (*process, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	p, ok := h.procs[ref]
	if !ok {
		p = &process{h: h, ref: ref}
		h.procs[ref] = p
	}
	return p, nil
}

// Prepare starts the process of ref (if it is not running) and waits for it,
// bounded by ctx rather than the call deadline.
func (h *Host) Prepare(ctx context.Context, ref string) error {
	p, err := h.process(ref)
	if err != nil {
		return err
	}
	_, err = p.get(ctx, true)
	return err
}

// Starts is how many processes of ref were started so far.
func (h *Host) Starts(ref string) int {
	h.mu.Lock()
	p := h.procs[ref]
	h.mu.Unlock()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// Pid returns the process id of ref's running plugin, 0 when none runs.
func (h *Host) Pid(ref string) int {
	h.mu.Lock()
	p := h.procs[ref]
	h.mu.Unlock()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil || p.cur.client.Exited() {
		return 0
	}
	if rc := p.cur.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Route asks ref's plugin where req goes, configuring the city first when
// this process has not seen its current snapshot. The call has the host's
// deadline; a timeout or a dead connection recycles the process.
func (h *Host) Route(ctx context.Context, ref string, conf *routingv1.ConfigureRequest, req *routingv1.RouteRequest) (resp *routingv1.RouteResponse, err error) {
	if h.opts.OnCall != nil {
		start := time.Now()
		defer func() { h.opts.OnCall(ref, time.Since(start), err) }()
	}
	p, err := h.process(ref)
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, h.opts.CallTimeout)
	c, err := p.get(startCtx, false)
	cancel()
	if err != nil {
		return nil, err
	}
	req.City, req.Snapshot = conf.GetCity(), conf.GetSnapshot()
	for attempt := 0; ; attempt++ {
		if !c.configured(conf.GetCity(), conf.GetSnapshot()) {
			cctx, cancel := context.WithTimeout(ctx, h.opts.ConfigureTimeout)
			_, err := c.rpc.Configure(cctx, conf)
			cancel()
			if err != nil {
				p.failed(c, err)
				return nil, fmt.Errorf("configure %s: %w", conf.GetCity(), err)
			}
			c.markConfigured(conf.GetCity(), conf.GetSnapshot())
		}
		cctx, cancel := context.WithTimeout(ctx, h.opts.CallTimeout)
		resp, err := c.rpc.Route(cctx, req)
		cancel()
		if status.Code(err) == codes.FailedPrecondition && attempt == 0 {
			c.markConfigured(conf.GetCity(), "")
			continue
		}
		if err != nil {
			p.failed(c, err)
			return nil, err
		}
		return resp, nil
	}
}

// Close stops every plugin process.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	procs := h.procs
	h.procs = map[string]*process{}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
	return nil
}

// verify compares the binary's SHA-256 with the catalog's.
func verify(e Entry) error {
	f, err := os.Open(e.Path)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", e.Ref(), err)
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != e.SHA256 {
		return fmt.Errorf("%w: %s at %s has sha256 %s, the catalog pins %s", ErrChecksum, e.Ref(), e.Path, got, e.SHA256)
	}
	return nil
}

// newClient builds the go-plugin client of a verified entry. go-plugin
// checks the checksum once more as it starts the binary (SecureConfig).
func (h *Host) newClient(e Entry) (*plugin.Client, error) {
	sum, err := hex.DecodeString(e.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: catalog checksum of %s is not hex", ErrChecksum, e.Ref())
	}
	cmd := exec.Command(e.Path)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	return plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginMap(nil),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     h.opts.StartTimeout,
		Logger:           h.log.Named(e.Ref()),
		SkipHostEnv:      true,
	}), nil
}

func (h *Host) refused(ref string, err error) {
	slog.Error("plugin refused", "plugin", ref, "err", err)
	if h.opts.OnRefused != nil {
		h.opts.OnRefused(ref, err)
	}
}

// CatalogFunc adapts a function to Catalog.
type CatalogFunc func(ctx context.Context, ref string) (Entry, error)

// Lookup implements Catalog.
func (f CatalogFunc) Lookup(ctx context.Context, ref string) (Entry, error) { return f(ctx, ref) }

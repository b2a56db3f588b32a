package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/opencity/opencity/plugins/proto/routingv1"
	"github.com/opencity/opencity/plugins/sdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// restartBackoff bounds restarts: after a failed start, or a second crash
// within this time, calls fall back at once until it has passed, so a
// plugin that crashes on every call is restarted at most about once a
// second rather than once a request.
const restartBackoff = time.Second

// process is the one running instance of a catalog entry.
type process struct {
	h   *Host
	ref string

	mu        sync.Mutex
	cur       *conn
	starting  chan struct{}
	startErr  error
	retryAt   time.Time // no new start before this, except from Prepare
	lastCrash time.Time
	starts    int
}

// conn is one started process: its client and the cities it knows.
type conn struct {
	rpc    routingv1.RouterClient
	client *plugin.Client

	mu     sync.Mutex
	cities map[string]string // city → configured snapshot
}

func (c *conn) configured(city, snapshot string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot != "" && c.cities[city] == snapshot
}

func (c *conn) markConfigured(city, snapshot string) {
	c.mu.Lock()
	c.cities[city] = snapshot
	c.mu.Unlock()
}

// get returns the running process, starting it in the background when it is
// not running, and waits for it at most until ctx ends.
func (p *process) get(ctx context.Context, force bool) (*conn, error) {
	p.mu.Lock()
	if p.cur != nil && !p.cur.client.Exited() {
		c := p.cur
		p.mu.Unlock()
		return c, nil
	}
	if p.cur != nil {
		slog.Warn("plugin process exited; restarting", "plugin", p.ref)
		go p.cur.client.Kill()
		p.cur = nil
		p.noteCrash()
	}
	if p.starting == nil {
		if wait := time.Until(p.retryAt); wait > 0 && !force {
			err := fmt.Errorf("plugin %s is backing off after a failure for %s more", p.ref, wait.Round(time.Millisecond))
			if p.startErr != nil {
				err = fmt.Errorf("%w (last start: %v)", err, p.startErr)
			}
			p.mu.Unlock()
			return nil, err
		}
		p.starting = make(chan struct{})
		go p.start(p.starting)
	}
	ch := p.starting
	p.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("plugin %s is starting: %w", p.ref, ctx.Err())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return nil, p.startErr
	}
	return p.cur, nil
}

// start verifies the binary and starts it; it always closes done.
func (p *process) start(done chan struct{}) {
	c, err := p.launch()
	p.mu.Lock()
	defer p.mu.Unlock()
	defer close(done)
	p.starting = nil
	if err != nil {
		p.startErr, p.retryAt = err, time.Now().Add(restartBackoff)
		slog.Error("plugin did not start", "plugin", p.ref, "err", err)
		return
	}
	p.h.mu.Lock()
	closed := p.h.closed
	p.h.mu.Unlock()
	if closed {
		c.client.Kill()
		p.startErr = ErrClosed
		return
	}
	p.cur, p.startErr = c, nil
	if p.starts > 0 {
		slog.Info("plugin restarted", "plugin", p.ref, "restarts", p.starts)
		if p.h.opts.OnRestart != nil {
			p.h.opts.OnRestart(p.ref)
		}
	}
	p.starts++
}

// noteCrash records a crash or hang; a second one within restartBackoff
// holds further starts until it has passed. Called with p.mu held.
func (p *process) noteCrash() {
	now := time.Now()
	if now.Sub(p.lastCrash) < restartBackoff {
		p.retryAt = now.Add(restartBackoff)
	}
	p.lastCrash = now
}

func (p *process) launch() (*conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.h.opts.StartTimeout)
	defer cancel()
	if p.h.opts.Catalog == nil {
		return nil, errors.New("no plugin catalog")
	}
	e, err := p.h.opts.Catalog.Lookup(ctx, p.ref)
	if err != nil {
		return nil, err
	}
	if err := verify(e); err != nil {
		if errors.Is(err, ErrChecksum) {
			p.h.refused(p.ref, err)
		}
		return nil, err
	}
	client, err := p.h.newClient(e)
	if err != nil {
		return nil, err
	}
	proto, err := client.Client()
	if err != nil {
		client.Kill()
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			err = fmt.Errorf("%w: %s changed while starting", ErrChecksum, e.Ref())
			p.h.refused(p.ref, err)
		}
		return nil, fmt.Errorf("start plugin %s: %w", e.Ref(), err)
	}
	raw, err := proto.Dispense(sdk.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: %w", e.Ref(), err)
	}
	rpc, ok := raw.(routingv1.RouterClient)
	if !ok {
		client.Kill()
		return nil, fmt.Errorf("plugin %s does not serve the routing contract", e.Ref())
	}
	return &conn{rpc: rpc, client: client, cities: map[string]string{}}, nil
}

// failed decides what an error of a call on c means: a deadline or a broken
// connection means the process is hung or gone, so it is killed and the next
// call starts a new one; an answer-level error leaves it running.
func (p *process) failed(c *conn, err error) {
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Unavailable:
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == c {
		slog.Warn("plugin hung or crashed; killing it, the next call restarts it", "plugin", p.ref, "err", err)
		p.cur = nil
		go c.client.Kill()
		p.noteCrash()
	}
}

// stop kills the process and waits for a start in flight.
func (p *process) stop() {
	p.mu.Lock()
	ch := p.starting
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
	p.mu.Lock()
	c := p.cur
	p.cur = nil
	p.mu.Unlock()
	if c != nil {
		c.client.Kill()
	}
}

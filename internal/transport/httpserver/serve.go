package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
)

// Timeouts of the http.Server Run builds. There is no write timeout: it
// would cut SSE streams, which last as long as their sessions.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second // the whole request, body included
	IdleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// DefaultShutdownTimeout is RunOptions.ShutdownTimeout's default.
	DefaultShutdownTimeout = 10 * time.Second
)

// DefaultMaxConnections is RunOptions.MaxConnections's default.
const DefaultMaxConnections = 1024

// RunOptions configure Run.
type RunOptions struct {
	// MaxConnections caps the connections open at once: past it the
	// listener accepts no more until one closes (netutil.LimitListener),
	// and further clients wait in the kernel's backlog (default
	// DefaultMaxConnections; --max-connections).
	MaxConnections int
	// DrainDelay is how long the server keeps listening once ctx is done,
	// while /healthz and new sessions get 503, so that a load balancer sees
	// it leave before it stops accepting (--drain-delay; zero: stop at
	// once).
	DrainDelay time.Duration
	// ShutdownTimeout bounds how long calls in flight may finish once the
	// listener is closed (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// Metrics, when set, counts the open connections; nil collects nothing.
	Metrics *metrics.Metrics
	// Logger gets the shutdown's and net/http's own messages (default:
	// discard).
	Logger *slog.Logger

	// afterDrainDelay replaces time.After for the drain delay, in tests.
	afterDrainDelay func(time.Duration) <-chan time.Time
}

// Run serves h on ln until ctx is done, then shuts down gracefully:
//
//  1. Draining, for DrainDelay: the listener stays open and every request is
//     served, but /healthz and new sessions get 503, and responses close
//     their connections.
//  2. The listener closes and idle connections with it; calls in flight
//     finish, for up to ShutdownTimeout. Long-lived streams end once they
//     owe nothing (an SSE session's stream once it has delivered the
//     responses to the calls posted to it, a listening stream once no call
//     is in flight) and a second has passed for the client to handle what
//     it read; a stream whose client stopped reading ends at its write
//     deadline. What is still running when ShutdownTimeout has passed is
//     cut off.
//
// Calls that only wait (get_oauth_status with waitSeconds) end at once when
// ctx is done, if the tools were given ctx.Done() as
// tools.Options.StopWaiting. Run then stops h's background work and
// returns nil; it returns an error only when serving fails.
func Run(ctx context.Context, ln net.Listener, h *Handler, opts RunOptions) error {
	defer h.close()
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.afterDrainDelay == nil {
		opts.afterDrainDelay = time.After
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	fresh := trackConns(srv, opts.Metrics)
	opts.Metrics.SetLimit("max-connections", opts.MaxConnections)
	// golang.org/x/net's LimitListener, not a limiter of our own: it is
	// the one the Go team keeps for this, and it releases a slot exactly
	// when a connection closes.
	ln = netutil.LimitListener(ln, opts.MaxConnections)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	// Each response from now on closes its connection (see Handler); idle
	// connections stay until the listener closes, for a client may be
	// sending a request on one right now.
	h.startDraining()
	if opts.DrainDelay > 0 {
		opts.Logger.Info("draining: still listening; /healthz and new sessions get 503", "drain_delay", opts.DrainDelay)
		select {
		case <-opts.afterDrainDelay(opts.DrainDelay):
		case err := <-served:
			return err
		}
	}
	opts.Logger.Info("shutting down: no new connections; waiting for calls in flight", "grace", opts.ShutdownTimeout)
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
	defer cancel()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		h.drain(grace)
	}()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(grace) }()
	// Shutdown treats a connection that has not sent a request yet as busy
	// for 5 s; no call is in flight on it, so close it now.
	fresh.close()
	err := <-shut
	<-drained
	if err != nil {
		opts.Logger.Warn("calls still in flight after the grace period were cut off", "grace", opts.ShutdownTimeout)
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	opts.Logger.Info("stopped")
	return nil
}

// freshConns are the connections that have not sent a request yet.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// trackConns makes srv record its fresh connections, and count its open
// ones in m.
func trackConns(srv *http.Server, m *metrics.Metrics) *freshConns {
	f := &freshConns{conns: map[net.Conn]struct{}{}}
	srv.ConnState = func(c net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			m.ConnectionOpened()
		case http.StateClosed, http.StateHijacked:
			m.ConnectionClosed()
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if state == http.StateNew {
			f.conns[c] = struct{}{}
		} else {
			delete(f.conns, c)
		}
	}
	return f
}

// close closes the fresh connections.
func (f *freshConns) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
		delete(f.conns, c)
	}
}

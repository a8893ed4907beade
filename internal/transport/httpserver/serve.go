package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
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

// RunOptions configure Run.
type RunOptions struct {
	// ShutdownTimeout bounds how long calls in flight may finish once ctx is
	// done (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// Logger gets the shutdown's and net/http's own messages (default:
	// discard).
	Logger *slog.Logger
}

// Run serves h on ln until ctx is done, then shuts down gracefully: the
// listener closes and idle connections with it, calls in flight finish, and
// Run returns nil. Long-lived streams end once they owe nothing (an SSE
// session's stream once it has delivered the responses to the calls posted
// to it, a listening stream once no call is in flight) and a second has
// passed for the client to handle what it read. What is still running when
// ShutdownTimeout has passed is cut off, and Run returns nil too. Run returns
// an error only when serving fails.
func Run(ctx context.Context, ln net.Listener, h *Handler, opts RunOptions) error {
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	fresh := trackFreshConns(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
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

// trackFreshConns makes srv record its fresh connections.
func trackFreshConns(srv *http.Server) *freshConns {
	f := &freshConns{conns: map[net.Conn]struct{}{}}
	srv.ConnState = func(c net.Conn, state http.ConnState) {
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

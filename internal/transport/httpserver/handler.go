package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
)

// Transport selects the MCP transport a Handler serves.
type Transport int

const (
	// Streamable is the streamable HTTP transport at MCPPath.
	Streamable Transport = iota
	// SSE is the legacy HTTP+SSE transport: SSEPath and MessagePath.
	SSE
)

// String names the transport for logs.
func (t Transport) String() string {
	if t == SSE {
		return "sse"
	}
	return "streamable-http"
}

// Options configure New.
type Options struct {
	// Transport is the transport served: Streamable (/mcp) or SSE.
	Transport Transport
	// Stateless serves streamable HTTP without sessions, so that replicas
	// need no load-balancer affinity. Ignored for SSE.
	Stateless bool
	// Loopback says the server listens on a loopback address (IsLoopback).
	// Only then do requests without a key use DefaultKey; otherwise they
	// get 401.
	Loopback bool
	// DefaultKey is the server's own API key; empty for none.
	DefaultKey string
	// AllowedOrigins extends the default Origin allowlist (http and https
	// on localhost, 127.0.0.1 and [::1], any port).
	AllowedOrigins []string
	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Limits bound the sessions, streams, calls in flight and writes that
	// clients can make the handler hold; zero fields take DefaultLimits.
	Limits Limits
	// Metrics, when set, counts sessions, streams and refusals by cap (see
	// internal/metrics); nil collects nothing.
	Metrics *metrics.Metrics
	// Logger gets one line per request (default: discard).
	Logger *slog.Logger
}

// Handler is the whole HTTP surface of the server (see the package doc for
// its chain of middleware). Serve it with Run, which also drains it and
// stops its background work.
type Handler struct {
	chain        http.Handler
	streams      *streams
	metrics      *metrics.Metrics
	writeTimeout time.Duration
	// draining is set when the server starts to shut down: /healthz and
	// new sessions get 503 from then on.
	draining atomic.Bool
	// stop ends the transport's background work (mcp-go's session
	// sweeper); nil when there is none.
	stop func()
	// sessions are the streamable HTTP sessions; nil for SSE and
	// stateless.
	sessions *sessionTable
}

// ServeHTTP serves r through the handler's chain, every write to the
// client under the write deadline (see deadlineWriter).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		// Clients reconnect, through the load balancer, to a server that
		// stays.
		w.Header().Set("Connection", "close")
	}
	dw := newDeadlineWriter(w, h.writeTimeout)
	// The last bytes of the response (the end of a chunked body) are
	// written after the chain returns: they get a deadline of their own.
	defer dw.arm()
	h.chain.ServeHTTP(dw, r.WithContext(context.WithValue(r.Context(), writerKey{}, dw)))
}

// New returns the Handler serving srv, the MCP server, as opts say. Its
// tools must take their API client from the request context (RequestClient).
func New(srv *server.MCPServer, opts Options) (*Handler, error) {
	if srv == nil {
		return nil, errors.New("httpserver: no MCP server")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	origins, err := newOriginPolicy(opts.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	keys := keyPolicy{loopback: opts.Loopback, defaultKey: opts.DefaultKey}
	limits := opts.Limits.withDefaults()
	h := &Handler{streams: newStreams(limits.MaxStreamsPerKey, opts.Metrics), metrics: opts.Metrics, writeTimeout: limits.WriteTimeout}
	for _, l := range []struct {
		cap string
		v   int
	}{{capMaxStreamsPerKey, limits.MaxStreamsPerKey}, {capMaxInflightPerSession, limits.MaxInflightPerSession}} {
		opts.Metrics.SetLimit(l.cap, l.v)
	}

	var transport http.Handler
	var paths []string
	switch opts.Transport {
	case SSE:
		transport, paths = newSSETransport(srv, keys, h, limits, opts.Logger), []string{SSEPath, MessagePath}
	case Streamable:
		st := newStreamableTransport(srv, keys, opts.Stateless, h, limits, opts.Logger)
		transport, paths, h.stop, h.sessions = st, []string{MCPPath}, st.close, st.sessions
	default:
		return nil, errors.New("httpserver: unknown transport")
	}

	mux := http.NewServeMux()
	mux.HandleFunc(HealthPath, h.health)
	mcp := refuseRebinding(keys.gate(limitBody(opts.MaxBodyBytes, transport)))
	for _, p := range paths {
		mux.Handle(p, mcp)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	h.chain = logRequests(opts.Logger, origins.check(mux))
	return h, nil
}

// startDraining makes /healthz and new sessions get 503: the server is
// about to stop listening.
func (h *Handler) startDraining() { h.draining.Store(true) }

// drain ends the handler's long-lived streams, each once it owes its client
// no response, or all of them when ctx is done.
func (h *Handler) drain(ctx context.Context) { h.streams.drain(ctx) }

// close stops the handler's background work.
func (h *Handler) close() {
	if h.stop != nil {
		h.stop()
	}
}

// onSessionEnd runs f with the id of every session mcp-go unregisters
// (server.Hooks' OnUnregisterSession), adding the hook to srv's hooks, or
// giving srv hooks if it has none. It must run before srv serves.
func onSessionEnd(srv *server.MCPServer, f func(id string)) {
	hook := func(_ context.Context, s server.ClientSession) { f(s.SessionID()) }
	if hooks := srv.GetHooks(); hooks != nil {
		hooks.AddOnUnregisterSession(hook)
		return
	}
	hooks := &server.Hooks{}
	hooks.AddOnUnregisterSession(hook)
	server.WithHooks(hooks)(srv)
}

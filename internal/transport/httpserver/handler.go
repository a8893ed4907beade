package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/mark3labs/mcp-go/server"
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
	// Logger gets one line per request (default: discard).
	Logger *slog.Logger
}

// Handler is the whole HTTP surface of the server (see the package doc for
// its chain of middleware). Serve it with Run, which also drains it.
type Handler struct {
	http.Handler
	streams *streams
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
	h := &Handler{streams: newStreams()}

	var transport http.Handler
	var paths []string
	switch opts.Transport {
	case SSE:
		transport, paths = newSSETransport(srv, keys, h.streams), []string{SSEPath, MessagePath}
	case Streamable:
		transport, paths = newStreamableTransport(srv, keys, opts.Stateless, h.streams, opts.Logger), []string{MCPPath}
	default:
		return nil, errors.New("httpserver: unknown transport")
	}

	mux := http.NewServeMux()
	mux.HandleFunc(HealthPath, health)
	mcp := keys.gate(limitBody(opts.MaxBodyBytes, transport))
	for _, p := range paths {
		mux.Handle(p, mcp)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	h.Handler = logRequests(opts.Logger, origins.check(mux))
	return h, nil
}

// drain ends the handler's long-lived streams, each once it owes its client
// no response, or all of them when ctx is done.
func (h *Handler) drain(ctx context.Context) { h.streams.drain(ctx) }

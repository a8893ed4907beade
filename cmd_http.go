package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
	"github.com/alfe-mcp/alfe-mcp/internal/transport/httpserver"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// runHTTP serves MCP over streamable HTTP at /mcp until SIGINT or SIGTERM.
func runHTTP(ctx context.Context, e env, cfg config.Config) int {
	return serveHTTP(ctx, e, cfg, httpserver.Streamable)
}

// serveHTTP serves MCP over transport on cfg.Addr until ctx is done, then
// lets calls in flight finish for up to cfg.ShutdownTimeout. Each request's
// upstream calls use its own bearer key; the configured key, if any, serves
// requests without one only on a loopback address. Exit 0 after a shutdown,
// 1 when it cannot listen or serve, 2 for a configuration error.
func serveHTTP(ctx context.Context, e env, cfg config.Config, transport httpserver.Transport) int {
	e, closeLogs := logInBackground(e)
	defer closeLogs()
	if err := httpserver.ValidateOrigins(cfg.AllowedOrigins); err != nil {
		return e.fail(2, "%v", err)
	}
	var m *metrics.Metrics
	if cfg.MetricsAddr != "" {
		m = metrics.New(tools.Names())
	}
	// The signal that starts the drain also ends the calls that only wait.
	a, err := newServingApp(e, cfg, serving{clientFor: httpserver.RequestClient, stopWaiting: ctx.Done(), metrics: m})
	if err != nil {
		return e.fail(2, "%v", err)
	}
	defer a.Close()
	defaultKey := cfg.APIKey
	if a.sandbox != nil {
		defaultKey = sandboxKey
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.logger.Error("cannot listen", "addr", cfg.Addr, "error", err)
		return 1
	}
	loopback := httpserver.IsLoopback(ln.Addr())
	h, err := httpserver.New(a.server, httpserver.Options{
		Transport:      transport,
		Stateless:      cfg.Stateless,
		Loopback:       loopback,
		DefaultKey:     defaultKey,
		AllowedOrigins: cfg.AllowedOrigins,
		Limits: httpserver.Limits{
			MaxStreamsPerKey:      cfg.MaxStreamsPerKey,
			MaxInflightPerSession: cfg.MaxInflightPerSession,
			WriteTimeout:          time.Duration(cfg.WriteTimeout),
			SessionIdleTimeout:    time.Duration(cfg.SessionIdleTimeout),
			MaxSessions:           cfg.MaxSessions,
			MaxSessionsPerKey:     cfg.MaxSessionsPerKey,
		},
		Metrics: m,
		Logger:  a.logger,
	})
	if err != nil {
		ln.Close()
		return e.fail(2, "%v", err)
	}

	path := httpserver.MCPPath
	if transport == httpserver.SSE {
		path = httpserver.SSEPath
	}
	keyless := "401 (send Authorization: Bearer <agent API key>)"
	if loopback && defaultKey != "" {
		keyless = "use the server's own key"
	}
	a.logger.Info("alfe-mcp serving",
		"transport", transport.String(),
		"url", serveURL(ln.Addr(), path), "addr", ln.Addr().String(),
		"stateless", cfg.Stateless && transport == httpserver.Streamable,
		"requests_without_key", keyless,
		"version", buildVersion(), "api", a.client.BaseURL(), "read_only", cfg.ReadOnly, "config", cfg.File)
	if !loopback {
		a.logger.Warn("listening beyond loopback: every request must carry its own key; put a TLS-terminating proxy in front")
	}
	if cfg.Stateless && transport == httpserver.SSE {
		a.logger.Warn("--stateless applies to the http command only; SSE sessions are always stateful")
	}

	if m != nil {
		stopMetrics, err := serveMetrics(cfg.MetricsAddr, m, a.logger)
		if err != nil {
			ln.Close()
			a.logger.Error("cannot listen for metrics", "addr", cfg.MetricsAddr, "error", err)
			return 1
		}
		defer stopMetrics()
	}
	if err := httpserver.Run(ctx, ln, h, httpserver.RunOptions{
		MaxConnections:  cfg.MaxConnections,
		DrainDelay:      time.Duration(cfg.DrainDelay),
		ShutdownTimeout: time.Duration(cfg.ShutdownTimeout),
		Metrics:         m,
		Logger:          a.logger,
	}); err != nil {
		a.logger.Error("HTTP server stopped", "error", err)
		return 1
	}
	return 0
}

// serveMetrics serves m at /metrics on addr, a listener of its own (so
// that the metrics never share the MCP port's exposure), until the
// returned function stops it.
func serveMetrics(addr string, m *metrics.Metrics, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: httpserver.ReadHeaderTimeout,
		ReadTimeout:       httpserver.ReadTimeout,
		WriteTimeout:      httpserver.ReadTimeout,
		IdleTimeout:       httpserver.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	logger.Info("metrics", "url", serveURL(ln.Addr(), "/metrics"), "addr", ln.Addr().String())
	return func() {
		_ = srv.Close()
		<-done
	}, nil
}

// serveURL is the URL of path on a server listening on addr. A listener on
// every interface (0.0.0.0, ::) has no address of its own to print: it is
// reached on this machine as localhost.
func serveURL(addr net.Addr, path string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + path
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + path
}

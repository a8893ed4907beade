package main

import (
	"context"
	"net"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/internal/transport/httpserver"
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
	if err := httpserver.ValidateOrigins(cfg.AllowedOrigins); err != nil {
		return e.fail(2, "%v", err)
	}
	a, err := newServingApp(e, cfg, serving{clientFor: httpserver.RequestClient})
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
		Logger:         a.logger,
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
		"url", "http://"+ln.Addr().String()+path,
		"stateless", cfg.Stateless && transport == httpserver.Streamable,
		"requests_without_key", keyless,
		"version", buildVersion(), "api", a.client.BaseURL(), "read_only", cfg.ReadOnly, "config", cfg.File)
	if !loopback {
		a.logger.Warn("listening beyond loopback: every request must carry its own key; put a TLS-terminating proxy in front")
	}
	if cfg.Stateless && transport == httpserver.SSE {
		a.logger.Warn("--stateless applies to the http command only; SSE sessions are always stateful")
	}

	if err := httpserver.Run(ctx, ln, h, httpserver.RunOptions{
		ShutdownTimeout: time.Duration(cfg.ShutdownTimeout),
		Logger:          a.logger,
	}); err != nil {
		a.logger.Error("HTTP server stopped", "error", err)
		return 1
	}
	return 0
}

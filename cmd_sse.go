package main

import (
	"context"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/internal/transport/httpserver"
)

// runSSE serves MCP over the legacy HTTP+SSE transport (GET /sse opens a
// session's stream, POST /message carries its messages) until SIGINT or
// SIGTERM. See serveHTTP.
func runSSE(ctx context.Context, e env, cfg config.Config) int {
	return serveHTTP(ctx, e, cfg, httpserver.SSE)
}

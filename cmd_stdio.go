package main

import (
	"context"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/internal/transport/stdio"
)

// runStdio serves MCP over stdin and stdout until stdin ends or a signal
// arrives. Logs go to stderr: stdout carries the protocol.
func runStdio(ctx context.Context, e env, cfg config.Config) int {
	// The end of input ends the calls that only wait (an OAuth wait responds
	// with its last status at once); the others get stdio.DefaultDrainTimeout.
	endOfInput := make(chan struct{})
	e, closeLogs := logInBackground(e)
	defer closeLogs()
	a, err := newServingApp(e, cfg, serving{stopWaiting: endOfInput})
	if err != nil {
		return e.fail(2, "%v", err)
	}
	defer a.Close()
	a.logger.Info("alfe-mcp serving on stdio", "version", buildVersion(), "api", a.client.BaseURL(), "read_only", cfg.ReadOnly, "config", cfg.File)
	opts := stdio.Options{Logger: a.logger, EndOfInput: func() { close(endOfInput) }}
	if err := stdio.ServeWith(ctx, a.server, e.stdin, e.stdout, opts); err != nil {
		a.logger.Error("stdio server stopped", "error", err)
		return 1
	}
	a.logger.Debug("alfe-mcp stopped")
	return 0
}

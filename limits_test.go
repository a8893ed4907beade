package main

import (
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/internal/transport/httpserver"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// The defaults of the flags of the HTTP transports are the transport's own:
// config does not import httpserver, so this test holds the two together.
func TestLimitDefaultsAreTheTransports(t *testing.T) {
	cfg, lim := config.Defaults(), httpserver.DefaultLimits()
	for _, c := range []struct {
		flag      string
		got, want any
	}{
		{"max-connections", cfg.MaxConnections, httpserver.DefaultMaxConnections},
		{"max-streams-per-key", cfg.MaxStreamsPerKey, lim.MaxStreamsPerKey},
		{"max-inflight-per-session", cfg.MaxInflightPerSession, lim.MaxInflightPerSession},
		{"write-timeout", time.Duration(cfg.WriteTimeout), lim.WriteTimeout},
		{"session-idle-timeout", time.Duration(cfg.SessionIdleTimeout), lim.SessionIdleTimeout},
		{"max-sessions", cfg.MaxSessions, lim.MaxSessions},
		{"max-sessions-per-key", cfg.MaxSessionsPerKey, lim.MaxSessionsPerKey},
		{"shutdown-timeout", time.Duration(cfg.ShutdownTimeout), httpserver.DefaultShutdownTimeout},
		{"max-subscriptions-per-session", cfg.MaxSubscriptionsPerSession, tools.DefaultMaxSubscriptions},
	} {
		if c.got != c.want {
			t.Errorf("--%s defaults to %v in config, %v in httpserver", c.flag, c.got, c.want)
		}
	}
}

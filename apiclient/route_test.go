package apiclient

import (
	"context"
	"testing"
)

// Every exchange names its route's template, which never carries an id a
// caller sent: metrics label upstream requests with it.
func TestExchangeRoute(t *testing.T) {
	for _, tc := range []struct {
		name  string
		call  func(ctx context.Context, c *Client) error
		route string
	}{
		{"list", func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err }, "/agent/integrations"},
		{"registry", func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err }, "/integrations/registry"},
		{"install", func(ctx context.Context, c *Client) error {
			_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "secret-id"})
			return err
		}, "/agent/integrations"},
		{"config", func(ctx context.Context, c *Client) error {
			_, err := c.GetIntegrationConfig(ctx, "secret-id")
			return err
		}, routeIntegrationConfig},
		{"update", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateIntegrationConfig(ctx, "secret-id", map[string]any{"a": 1})
			return err
		}, routeIntegration},
		{"remove", func(ctx context.Context, c *Client) error { return c.RemoveIntegration(ctx, "secret-id") }, routeIntegration},
		{"oauth url", func(ctx context.Context, c *Client) error { _, err := c.GetOAuthURL(ctx, "secret-id", nil); return err }, "/agent/integrations/oauth/url"},
		{"oauth status", func(ctx context.Context, c *Client) error { _, err := c.GetOAuthStatus(ctx, "secret-id"); return err }, "/agent/integrations/oauth/status"},
		{"whoami", func(ctx context.Context, c *Client) error { _, err := c.Whoami(ctx); return err }, "/agent/identity/whoami"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log exchangeLog
			u := newUpstream(t, respond(500, `{"error":"boom"}`))
			c := newClient(t, u.URL, func(o *Options) { o.Observe = log.observe; o.MaxAttempts = 1 })
			_ = tc.call(t.Context(), c)
			evs := log.exchanges()
			if len(evs) != 1 {
				t.Fatalf("%d exchanges, want 1", len(evs))
			}
			if evs[0].Route != tc.route {
				t.Errorf("route %q, want %q (path %s)", evs[0].Route, tc.route, evs[0].Path)
			}
		})
	}
}

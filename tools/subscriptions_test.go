package tools_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

const (
	integrationsURI = "alfe://integrations"
	slackConfigURI  = "alfe://integrations/slack/config"
)

// heard counts the resource notifications a client receives.
type heard struct {
	testutil.Changes
	mu          sync.Mutex
	updated     map[string]int // notifications/resources/updated by URI
	listChanged int
	acks        int // notifications/subscriptions/acknowledged
}

func listenTo(c *client.Client) *heard {
	h := &heard{updated: map[string]int{}}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		h.mu.Lock()
		switch n.Method {
		case mcp.MethodNotificationResourceUpdated:
			uri, _ := n.Params.AdditionalFields["uri"].(string)
			h.updated[uri]++
		case mcp.MethodNotificationResourcesListChanged:
			h.listChanged++
		case string(mcp.MethodNotificationSubscriptionsAcknowledged):
			h.acks++
		}
		h.mu.Unlock()
		h.Changed()
	})
	return h
}

// state returns what h heard.
func (h *heard) state() (map[string]int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.updated), h.listChanged
}

// expect waits until h heard at least updated and listChanged in all, and
// fails unless it heard exactly that: notifications reach one client in
// the order they are sent, so any extra one sent before the last expected
// has arrived by then.
func (h *heard) expect(t *testing.T, step string, updated map[string]int, listChanged int) {
	t.Helper()
	waitFor(t, step+": the notifications did not arrive", &h.Changes, func() bool {
		got, lc := h.state()
		for uri, n := range updated {
			if got[uri] < n {
				return false
			}
		}
		return lc >= listChanged
	})
	got, lc := h.state()
	if !maps.Equal(got, updated) || lc != listChanged {
		t.Errorf("%s: heard updates %v and %d list changes; want %v and %d", step, got, lc, updated, listChanged)
	}
}

// subscribe subscribes c to uris: resources/subscribe (legacy), or a
// subscriptions/listen stream that also asks for list changes (2026-07-28),
// which this waits to be acknowledged, and which ends with the test.
func subscribe(t *testing.T, c *client.Client, h *heard, e era, uris ...string) {
	t.Helper()
	if e.Name == "legacy" {
		for _, uri := range uris {
			req := mcp.SubscribeRequest{}
			req.Params.URI = uri
			//lint:ignore SA1019 resources/subscribe is the legacy era's way, which this tests
			if err := c.Subscribe(context.Background(), req); err != nil {
				t.Fatalf("resources/subscribe %s: %v", uri, err)
			}
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := c.ListenAsync(ctx, mcp.SubscriptionFilter{ResourceSubscriptions: uris, ResourcesListChanged: true}, func(err error) {
		if ctx.Err() == nil && !strings.Contains(err.Error(), "transport closed") {
			t.Errorf("subscriptions/listen: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	waitFor(t, "subscriptions/listen was not acknowledged", &h.Changes, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.acks > 0
	})
}

// TestResourceSubscriptions: over stdio in both eras, a client subscribed
// to alfe://integrations and to slack's config resource hears of every
// change made through the server, for each URI it affects: an install (and
// the list of resources changes), a config update, an account connected, a
// removal (and the list changes); resources/list lists the config resource
// of each installed integration. A legacy client that unsubscribes hears
// no more of that URI.
func TestResourceSubscriptions(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		sb := newSandbox(t)
		f := newFixture(t, sb.URL(), serverOptions{})
		c := f.connectStdio(t, e, nil)
		h := listenTo(c)
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		initialize(t, c, e)
		if caps := c.GetServerCapabilities().Resources; caps == nil || !caps.Subscribe || !caps.ListChanged {
			t.Fatalf("resources capability %+v, want subscribe and listChanged", caps)
		}
		subscribe(t, c, h, e, integrationsURI, slackConfigURI)

		wantSuccess(t, callTool(t, c, "install_integration", map[string]any{"integrationId": "slack"}))
		h.expect(t, "install", map[string]int{integrationsURI: 1, slackConfigURI: 1}, 1)
		if !listed(t, c, slackConfigURI) {
			t.Errorf("resources/list does not list %s after the install", slackConfigURI)
		}

		wantSuccess(t, callTool(t, c, "update_integration_config", map[string]any{"integrationId": "slack", "config": map[string]any{"channel": "general"}}))
		h.expect(t, "config update", map[string]int{integrationsURI: 2, slackConfigURI: 2}, 1)

		link := wantSuccess(t, callTool(t, c, "get_oauth_url", map[string]any{"provider": "slack"}))
		if err := testutil.Decide(context.Background(), link["url"].(string), "approve"); err != nil {
			t.Fatal(err)
		}
		wantSuccess(t, callTool(t, c, "get_oauth_status", map[string]any{"provider": "slack"}))
		h.expect(t, "account connected", map[string]int{integrationsURI: 3, slackConfigURI: 2}, 1)

		wantSuccess(t, callTool(t, c, "remove_integration", map[string]any{"integrationId": "slack"}))
		h.expect(t, "removal", map[string]int{integrationsURI: 4, slackConfigURI: 3}, 2)
		if listed(t, c, slackConfigURI) {
			t.Errorf("resources/list still lists %s after the removal", slackConfigURI)
		}

		if e.Name == "legacy" {
			req := mcp.UnsubscribeRequest{}
			req.Params.URI = slackConfigURI
			//lint:ignore SA1019 resources/unsubscribe is the legacy era's way, which this tests
			if err := c.Unsubscribe(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			wantSuccess(t, callTool(t, c, "install_integration", map[string]any{"integrationId": "slack"}))
			h.expect(t, "install after unsubscribing", map[string]int{integrationsURI: 5, slackConfigURI: 3}, 3)
		}
	})
}

// listed reports whether resources/list lists uri.
func listed(t *testing.T, c *client.Client, uri string) bool {
	t.Helper()
	res, err := c.ListResources(context.Background(), mcp.ListResourcesRequest{})
	if err != nil {
		t.Fatalf("resources/list: %v", err)
	}
	for _, r := range res.Resources {
		if r.URI == uri {
			return true
		}
	}
	return false
}

// TestSubscriptionsBounded: a session is recorded as subscribed to at most
// Options.MaxSubscriptions URIs, and only to URIs the server notifies of;
// its record goes when the session ends (stdio's end of input, in the
// legacy era) or its subscriptions/listen stream does (2026-07-28).
func TestSubscriptionsBounded(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		sb := newSandbox(t)
		f := newFixture(t, sb.URL(), serverOptions{tools: func(o *tools.Options) { o.MaxSubscriptions = 2 }})
		c := f.connectStdio(t, e, nil)
		h := listenTo(c)
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		initialize(t, c, e)
		var uris []string
		for i := range 4 {
			uris = append(uris, fmt.Sprintf("alfe://integrations/id%d/config", i))
		}
		subscribe(t, c, h, e, append([]string{"alfe://registry", "https://example.com/x", "alfe://integrations/../config"}, uris...)...)
		if _, n := f.subscriptions(); n != 2 {
			t.Errorf("subscribed to %d URIs, want 2 (the cap)", n)
		}
		f.waitForLog(t, "resource subscription not recorded", "max=2")

		_ = c.Close() // the end of input (legacy) and of the listen stream (modern)
		waitFor(t, "the record outlived its session", &f.subscribed, func() bool {
			subscribers, _ := f.subscriptions()
			return subscribers == 0
		})
	})
}

// TestSubscriptionsEndWithInProcessSession: mcp-go's in-process client
// registers a legacy session of its own: its subscriptions are recorded,
// heard, and forgotten when it closes.
func TestSubscriptionsEndWithInProcessSession(t *testing.T) {
	e := eraNamed(t, "legacy")
	sb := newSandbox(t)
	f := newFixture(t, sb.URL(), serverOptions{})
	c := f.connect(t, e, inProcess)
	h := listenTo(c)
	subscribe(t, c, h, e, integrationsURI)
	wantSuccess(t, callTool(t, c, "install_integration", map[string]any{"integrationId": "slack"}))
	h.expect(t, "install", map[string]int{integrationsURI: 1}, 1)
	_ = c.Close()
	waitFor(t, "the record outlived its session", &f.subscribed, func() bool {
		subscribers, _ := f.subscriptions()
		return subscribers == 0
	})
	if strings.Contains(f.logs.String(), testKey) {
		t.Errorf("the logs carry the key")
	}
}

package httpserver

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// listener records the resource notifications one go-sdk client hears.
type listener struct {
	testutil.Changes
	mu          sync.Mutex
	updated     []string
	listChanged int
}

func (l *listener) options() *sdk.ClientOptions {
	return &sdk.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *sdk.ResourceUpdatedNotificationRequest) {
			l.mu.Lock()
			l.updated = append(l.updated, req.Params.URI)
			l.mu.Unlock()
			l.Changed()
		},
		ResourceListChangedHandler: func(context.Context, *sdk.ResourceListChangedRequest) {
			l.mu.Lock()
			l.listChanged++
			l.mu.Unlock()
			l.Changed()
		},
	}
}

func (l *listener) heard() ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.updated), l.listChanged
}

// TestSubscriptionsPerKey: two go-sdk clients with different keys, over
// stateful streamable HTTP in both eras, subscribe to alfe://integrations;
// each hears of its own agent's changes and never of the other's, though
// the URIs are the same. Every agent's sessions are told apart by the key
// each request carries.
func TestSubscriptionsPerKey(t *testing.T) {
	for _, era := range []string{legacy, modern} {
		t.Run(eraName(era), func(t *testing.T) {
			var (
				listens   testutil.Changes
				mu        sync.Mutex
				listening int
			)
			ts := startServerWith(t, setup{opts: Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey},
				hooks: func(h *server.Hooks) {
					// After the tools' own hook has recorded the stream.
					h.AddBeforeSubscriptionsListen(func(_ context.Context, _ any, req *mcp.SubscriptionsListenRequest) {
						if slices.Contains(req.Params.Notifications.ResourceSubscriptions, "alfe://integrations") {
							mu.Lock()
							listening++
							mu.Unlock()
							listens.Changed()
						}
					})
				}})
			a, b := &listener{}, &listener{}
			csA := connectWith(t, ts, Streamable, keyA, era, a.options())
			csB := connectWith(t, ts, Streamable, keyB, era, b.options())
			for _, cs := range []*sdk.ClientSession{csA, csB} {
				if err := cs.Subscribe(t.Context(), &sdk.SubscribeParams{URI: "alfe://integrations"}); err != nil {
					t.Fatalf("subscribe: %v", err)
				}
			}
			if era == modern { // Subscribe opens the listen stream in the background
				waitFor(t, "both listen streams", &listens, func() bool { mu.Lock(); defer mu.Unlock(); return listening == 2 })
			}

			call := func(cs *sdk.ClientSession, tool string, args map[string]any) {
				t.Helper()
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: tool, Arguments: args})
				if err != nil || res.IsError {
					t.Fatalf("%s: %v %s", tool, err, resultText(res))
				}
			}
			call(csA, "install_integration", map[string]any{"integrationId": "slack"})
			call(csB, "install_integration", map[string]any{"integrationId": "stripe"})
			// A last change of each agent: its notification comes after any
			// the other's changes would have sent it.
			call(csA, "update_integration_config", map[string]any{"integrationId": "slack", "config": map[string]any{"x": 1}})
			call(csB, "update_integration_config", map[string]any{"integrationId": "stripe", "config": map[string]any{"x": 1}})
			for name, l := range map[string]*listener{"A": a, "B": b} {
				waitFor(t, name+"'s notifications", &l.Changes, func() bool {
					updated, lc := l.heard()
					return len(updated) >= 2 && lc >= 1
				})
				updated, lc := l.heard()
				if !slices.Equal(updated, []string{"alfe://integrations", "alfe://integrations"}) || lc != 1 {
					t.Errorf("client %s heard updates %q and %d list changes; want its own 2 updates and 1 list change", name, updated, lc)
				}
			}
		})
	}
}

package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// TestConsentOverEveryTransport: get_oauth_url from a go-sdk client that
// declared URL-mode elicitation, over every transport in both eras. Where
// the transport can carry the question (a stateful streamable HTTP session
// in both eras; stateless streamable HTTP from 2026-07-28) the host shows
// the consent page, the person approves on the sandbox's consent page, the
// result says connected without the URL, and the client gets
// notifications/elicitation/complete for the elicitation's id. Elsewhere
// (SSE; stateless HTTP with a legacy client) the result carries the link.
func TestConsentOverEveryTransport(t *testing.T) {
	shown := map[string]map[string]bool{
		"sse":                  {legacy: false, modern: false},
		"streamable":           {legacy: true, modern: true},
		"streamable-stateless": {legacy: false, modern: true},
	}
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServer(t, Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey})
				h := &urlHost{}
				cs := connectWith(t, ts, tc.transport, keyA, era, &sdk.ClientOptions{
					Capabilities:               &sdk.ClientCapabilities{Elicitation: &sdk.ElicitationCapabilities{URL: &sdk.URLElicitationCapabilities{}}},
					ElicitationHandler:         h.elicit,
					ElicitationCompleteHandler: h.complete,
				})
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "get_oauth_url", Arguments: map[string]any{"provider": "github"}})
				if err != nil {
					t.Fatalf("get_oauth_url: %v", err)
				}
				if res.IsError {
					t.Fatalf("isError: %s", resultText(res))
				}
				var out struct {
					Status string `json:"status"`
					URL    string `json:"url"`
				}
				if err := json.Unmarshal([]byte(resultText(res)), &out); err != nil {
					t.Fatalf("result %q: %v", resultText(res), err)
				}
				if !shown[tc.name][era] {
					if out.Status != "link" || !strings.Contains(out.URL, "/sandbox/oauth/consent?state=") || len(h.ids()) != 0 {
						t.Errorf("status %q, url %q, shown %d times; want the link", out.Status, out.URL, len(h.ids()))
					}
					return
				}
				if out.Status != "connected" || out.URL != "" {
					t.Fatalf("status %q, url %q; want connected without the url: %s", out.Status, out.URL, resultText(res))
				}
				ids := h.ids()
				if len(ids) != 1 {
					t.Fatalf("shown %d times, want once", len(ids))
				}
				waitFor(t, "notifications/elicitation/complete", &h.Changes, func() bool { return len(h.completed()) > 0 })
				if got := h.completed(); len(got) != 1 || got[0] != ids[0] {
					t.Errorf("completions %q, want one for %q", got, ids[0])
				}
			})
		}
	}
}

// urlHost shows consent pages as a person approving them would: it posts
// the approval to the sandbox's consent page, then accepts.
type urlHost struct {
	testutil.Changes
	mu        sync.Mutex
	shown     []string // elicitation ids
	completes []string
}

func (h *urlHost) elicit(ctx context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
	if req.Params.Mode != "url" {
		return &sdk.ElicitResult{Action: "decline"}, nil
	}
	h.mu.Lock()
	h.shown = append(h.shown, req.Params.ElicitationID)
	h.mu.Unlock()
	if err := testutil.Decide(ctx, req.Params.URL, "approve"); err != nil {
		return nil, err
	}
	return &sdk.ElicitResult{Action: "accept"}, nil
}

func (h *urlHost) complete(_ context.Context, req *sdk.ElicitationCompleteNotificationRequest) {
	h.mu.Lock()
	h.completes = append(h.completes, req.Params.ElicitationID)
	h.mu.Unlock()
	h.Changed()
}

func (h *urlHost) ids() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.shown...)
}

func (h *urlHost) completed() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.completes...)
}

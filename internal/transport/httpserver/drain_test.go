package httpserver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// The order of a shutdown with a drain delay, over each transport: when
// the server is told to stop, an OAuth wait in flight responds at once with
// its last status and a note to ask again; /healthz turns 503 while the
// listener still accepts; new sessions get 503 naming the drain, while
// calls of existing sessions (and 2026-07-28 calls, which have none) are
// served; once the delay is over (an injected clock), the listener closes
// and Run returns.
func TestDrainOrder(t *testing.T) {
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServerWith(t, setup{opts: Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey},
					run: RunOptions{DrainDelay: 1 << 62}}) // ends only when the test says
				hc := ownClient(t)
				cs := connect(t, ts, tc.transport, keyA, era)

				waited := testutil.CallInBackground(t.Context(), cs, "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": 50})
				waitFor(t, "the OAuth wait to poll the upstream", &ts.up.Changes, func() bool {
					for _, r := range ts.up.Requests() {
						if r.Path == "/agent/integrations/oauth/status" {
							return true
						}
					}
					return false
				})

				ts.stop() // SIGTERM
				got := <-waited
				if got.Err != nil {
					t.Fatalf("the OAuth wait: %v", got.Err)
				}
				text := allText(got.Result)
				if got.Result.IsError || !strings.Contains(text, `"connected":false`) || !strings.Contains(text, "call get_oauth_status again") {
					t.Fatalf("the OAuth wait's result is %q, want its last status and a note to ask again", text)
				}

				waitFor(t, "the drain to begin", &ts.logs.Changes, func() bool { return strings.Contains(ts.logs.String(), "draining:") })
				if r := ts.do(t, hc, "GET", HealthPath, "", "", ""); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "draining") {
					t.Errorf("/healthz while draining: %d %s", r.status, r.body)
				}
				switch {
				case tc.transport == SSE:
					if r, _ := openStream(t, ts, hc, SSEPath, keyB, ""); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "shutting down") {
						t.Errorf("a new session while draining: %d %s", r.status, r.body)
					}
				case !tc.stateless:
					r := ts.do(t, hc, "POST", MCPPath, keyB, "", initLegacy)
					if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "shutting down") {
						t.Errorf("a new session while draining: %d %s", r.status, r.body)
					}
				}
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}})
				if err != nil || res.IsError {
					t.Fatalf("a call of an existing client while draining: %v %v", err, res)
				}

				ts.drainDelay <- time.Time{}
				waitListenerClosed(t, ts)
				if err := ts.wait(); err != nil {
					t.Errorf("Run: %v", err)
				}
			})
		}
	}
}

// allText joins the text blocks of a result.
func allText(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
			b.WriteString("\n")
		}
	}
	return b.String()
}

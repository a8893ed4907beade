package tools_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestUpstreamFaultsBecomeErrorResults makes the upstream fail in each way it
// can: every failing call is an isError result with a message a model can act
// on (never a JSON-RPC error), and the same client's next call succeeds.
func TestUpstreamFaultsBecomeErrorResults(t *testing.T) {
	tests := []struct {
		name    string
		fault   http.HandlerFunc
		timeout time.Duration // API client timeout; default 10 s
		tool    string
		args    map[string]any
		want    []string // fragments of the message
	}{
		{
			name: "500", tool: "install_integration", args: map[string]any{"integrationId": "github"},
			fault: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusInternalServerError, `{"error":{"code":"internal","message":"database unavailable"}}`)
			},
			want: []string{"500", "database unavailable", "Alfe's side", "retry"},
		},
		{
			name: "404 on get_integration_config", tool: "get_integration_config", args: map[string]any{"integrationId": "posthog"},
			fault: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusNotFound, `{"error":{"code":"not_found","message":"integration 'posthog' is not installed"}}`)
			},
			want: []string{"'posthog'", "not installed", "list_integrations"},
		},
		{
			name: "401", tool: "get_registry", args: nil,
			fault: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"unauthorized","message":"invalid API key"}}`)
			},
			want: []string{"401", "ALFE_API_KEY"},
		},
		{
			name: "429 with Retry-After", tool: "get_oauth_url", args: map[string]any{"provider": "github"},
			fault: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "7")
				writeJSON(w, http.StatusTooManyRequests, `{"message":"slow down"}`)
			},
			want: []string{"rate limited", "retry after 7 s"},
		},
		{
			name: "malformed JSON with 200", tool: "get_oauth_status", args: map[string]any{"provider": "github"},
			fault: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, `{"data": {"provider": "github", "connected": tr`)
			},
			want: []string{"unexpected response", "not valid JSON"},
		},
		{
			name: "timeout", tool: "update_integration_config", args: map[string]any{"integrationId": "memory", "config": map[string]any{"autoRecall": false}},
			timeout: 200 * time.Millisecond,
			fault: func(_ http.ResponseWriter, r *http.Request) {
				// Read the body first: only then does net/http watch the
				// connection and cancel the request's context when the
				// client gives up and closes it.
				_, _ = io.Copy(io.Discard, r.Body)
				<-r.Context().Done() // never responds
			},
			want: []string{"timed out", "PATCH /agent/integrations/memory", "retry"},
		},
		{
			name: "connection reset", tool: "remove_integration", args: map[string]any{"integrationId": "github"},
			fault: resetConnection,
			want:  []string{"could not reach the alfe api", "retry"},
		},
	}
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Every route faults except GET /agent/integrations, which the
				// sandbox serves: list_integrations is the next call.
				sb := sandbox.NewHandler(sandbox.Options{APIKey: testKey})
				upstream := newCountingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodGet && r.URL.Path == "/agent/integrations" {
						sb.ServeHTTP(w, r)
						return
					}
					tt.fault(w, r)
				}))
				f := newFixture(t, upstream.URL, serverOptions{timeout: tt.timeout})
				c := f.connect(t, e, tr)

				text := wantError(t, callTool(t, c, tt.tool, tt.args), tt.want...)
				t.Logf("%s: %s", tt.tool, text)
				if upstream.requests.Load() == 0 {
					t.Errorf("the upstream was never called; the fault was not exercised")
				}
				if strings.HasPrefix(text, "Internal error") {
					t.Errorf("fault reported as an internal error: %s", text)
				}

				out := wantSuccess(t, callTool(t, c, "list_integrations", nil))
				wantIDs(t, out, "integrationId", "github", "memory")

				if logLine(f.logs.String(), "tool call", "tool="+tt.tool, "outcome=error_result") == "" {
					t.Errorf("no error_result log line for the failed %s call:\n%s", tt.tool, f.logs.String())
				}
			})
		}
	})
}

// TestPanicBecomesErrorResult registers, next to the catalogue and behind the
// same middleware, a tool whose handler panics: the call is an isError result
// without a stack trace, the stack goes to the log, and the server keeps
// serving.
func TestPanicBecomesErrorResult(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		sb := newSandbox(t)
		f := newFixture(t, sb.URL(), serverOptions{})
		tools.AddPanickingToolForTest(f.srv, f.opts)
		c := f.connect(t, e, tr)

		for range 2 { // a second panic is handled like the first
			wantError(t, callTool(t, c, tools.PanickingToolName, nil), "internal error", tools.PanickingToolName, "still running")
		}
		if logs := f.logs.String(); !strings.Contains(logs, "tool panicked") || !strings.Contains(logs, "goroutine") {
			t.Errorf("the panic and its stack are not in the log:\n%s", logs)
		}

		out := wantSuccess(t, callTool(t, c, "get_integration_config", map[string]any{"integrationId": "memory"}))
		if out["integrationId"] != "memory" {
			t.Errorf("call after the panic = %v", out)
		}
	})
}

// writeJSON writes a raw body with the JSON content type.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// resetConnection drops the connection without a response, with a TCP reset.
func resetConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST instead of FIN
	}
	_ = conn.Close()
}

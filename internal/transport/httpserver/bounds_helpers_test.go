package httpserver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// Helpers of the tests of the bounds, the drain and the metrics.

// forEachSessionTransport runs f, as subtests, over each transport with
// sessions: SSE, and streamable HTTP that is not stateless.
func forEachSessionTransport(t *testing.T, f func(t *testing.T, tc transportCase)) {
	for _, tc := range transportCases {
		if !tc.stateless {
			t.Run(tc.name, func(t *testing.T) { f(t, tc) })
		}
	}
}

// rpcError reads the JSON-RPC error of a refusal.
func rpcError(t *testing.T, body string) (id json.RawMessage, code int, message string) {
	t.Helper()
	var m struct {
		ID    json.RawMessage `json:"id"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Error == nil {
		t.Fatalf("not a JSON-RPC error: %s", body)
	}
	return m.ID, m.Error.Code, m.Error.Message
}

// wantRefusal checks a refusal: its status, Retry-After, and a JSON-RPC
// error naming the flag.
func wantRefusal(t *testing.T, r reply, status int, flag string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
	if _, code, msg := rpcError(t, r.body); code != rpcServerError || !strings.Contains(msg, "--"+flag) {
		t.Errorf("error %d %q does not name --%s", code, msg, flag)
	}
}

// waitFor waits for cond to hold, checking it after each of c's changes,
// and fails the test after a minute: a generous bound on a hang, not on how
// fast the event comes.
func waitFor(t *testing.T, what string, c *testutil.Changes, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := c.Wait(ctx, cond); err != nil {
		t.Fatalf("gave up waiting for %s", what)
	}
}

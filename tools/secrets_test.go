package tools_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestAPIKeyNeverLeaks runs every tool against an upstream that echoes the
// bearer header it receives back in success bodies, error bodies of every
// shape, and malformed responses. The key must not appear in any result (text
// or structuredContent) nor in the debug log, which is written WITHOUT the
// logger's redaction: the code itself must never put the key there.
func TestAPIKeyNeverLeaks(t *testing.T) {
	type call struct {
		tool string
		args map[string]any
	}
	// Every tool with its row of the shared test table (echoKey says what
	// the upstream responds to each), and one more status of another shape.
	var calls []call
	for _, name := range tools.Names() {
		calls = append(calls, call{name, testutil.ToolCallOf(t, name).Args})
	}
	calls = append(calls, call{"get_oauth_status", map[string]any{"provider": "google"}})
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		upstream := newCountingUpstream(t, http.HandlerFunc(echoKey))
		f := newFixture(t, upstream.URL, serverOptions{})
		c := f.connect(t, e, tr)
		for _, call := range calls {
			res := callTool(t, c, call.tool, call.args)
			wire, err := json.Marshal(res)
			if err != nil {
				t.Fatalf("%s: marshal result: %v", call.tool, err)
			}
			if strings.Contains(string(wire), testKey) || strings.Contains(string(res.RawStructuredContent), testKey) {
				t.Errorf("%s: the API key is in the result: %s", call.tool, wire)
			}
			// Every response but the malformed one quotes the key: it must
			// reach the result redacted, proving the echo was exercised.
			if echoed := call.tool != "get_oauth_url"; echoed && !strings.Contains(string(wire), "[REDACTED]") {
				t.Errorf("%s: the echoed key is not visibly redacted; was the echo exercised? %s", call.tool, wire)
			}
		}
		if got := upstream.requests.Load(); got < int64(len(calls)) {
			t.Errorf("upstream saw %d requests, want at least %d", got, len(calls))
		}
		logs := f.logs.String()
		if !strings.Contains(logs, "upstream request") {
			t.Fatalf("no debug line in the log; is it at debug level?\n%s", logs)
		}
		if strings.Contains(logs, testKey) {
			t.Errorf("the API key is in the log:\n%s", logs)
		}
	})
}

// echoKey responds on every route with the Authorization header it received, in a
// different place and shape per route.
func echoKey(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization") // "Bearer sk_live_..."
	key := strings.TrimPrefix(auth, "Bearer ")
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	w.Header().Set("X-Echo", auth)
	w.Header().Set("X-Request-Id", "req-"+key) // error messages quote the request id
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/agent/integrations": // 200, the key in config and extra fields
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"data":[{"integrationId":"github","status":"active","version":"1.0.3","config":{"token":%s,"nested":{"auth":%s}},"owner":%s}]}`,
			q(key), q(auth), q(key)))
	case r.URL.Path == "/integrations/registry": // 200, the key in name and description
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"data":{"integrations":[{"id":"github","name":%s,"description":"uses key %s","category":"developer"}],"debug":%s}}`,
			q(key), key, q(auth)))
	case r.Method == http.MethodPost: // 500, JSON
		writeJSON(w, http.StatusInternalServerError, fmt.Sprintf(`{"error":{"code":%s,"message":"install failed for %s"}}`, q(key), auth))
	case strings.HasSuffix(r.URL.Path, "/config"): // 404, JSON with a message
		writeJSON(w, http.StatusNotFound, fmt.Sprintf(`{"message":"no config for key %s","data":{"error":%s}}`, key, q(key)))
	case r.Method == http.MethodPatch: // 401, plain text
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, "key %s is not valid (%s)", key, auth)
	case r.Method == http.MethodDelete: // 429, an HTML page
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Retry-After", "60") // longer than the client waits: no retry
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = fmt.Fprintf(w, "<html><head><title>Too many requests for %s</title></head><body>%s</body></html>", key, auth)
	case strings.HasSuffix(r.URL.Path, "/oauth/url"): // 200, malformed JSON
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"data":{"url":"https://example.test/?k=%s`, key))
	case strings.HasSuffix(r.URL.Path, "/oauth/status") && r.URL.Query().Get("provider") == "github": // 400, an error string
		writeJSON(w, http.StatusBadRequest, fmt.Sprintf(`{"error":"unknown provider for %s"}`, key))
	case strings.HasSuffix(r.URL.Path, "/oauth/status"): // 200, the key next to connected
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"data":{"provider":"google","connected":true,"account":%s}}`, q(key)))
	default: // 404, JSON
		writeJSON(w, http.StatusNotFound, fmt.Sprintf(`{"error":{"message":"no route for %s"}}`, auth))
	}
}

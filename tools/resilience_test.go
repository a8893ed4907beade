package tools_test

// The fault matrix of the resilience issue: an httptest upstream fails in
// every way an API can, and each failing call goes through the whole MCP
// path (mcp-go's in-process client, both protocol eras). For each fault the
// upstream sees the expected number of attempts (GET, PATCH and DELETE retry
// what is transient; POST never retries), the result is an isError result
// that names the problem, the debug log shows each attempt, and the server
// responds to the next call.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// faultRow is one fault, one tool, and what must come of it.
type faultRow struct {
	name     string
	tool     string
	args     map[string]any
	fault    http.HandlerFunc // nil: the connection is refused
	timeout  time.Duration    // API client timeout; default 10 s
	attempts int              // upstream requests the call must make
	want     []string         // fragments of the isError text; nil: a success
	// minGap, when set, is the least time between two attempts (a
	// Retry-After in seconds, which the client must honour).
	minGap time.Duration
}

var (
	getRegistryArgs  map[string]any
	getConfigArgs    = map[string]any{"integrationId": "memory"}
	oauthStatusArgs  = map[string]any{"provider": "github"}
	oauthURLArgs     = map[string]any{"provider": "github", "scopes": []any{"repo"}}
	installArgs      = map[string]any{"integrationId": "github", "version": "1.0.3"}
	updateConfigArgs = map[string]any{"integrationId": "memory", "config": map[string]any{"autoRecall": false}}
	removeArgs       = map[string]any{"integrationId": "memory"}
)

// retries is the client's default number of attempts.
const retries = apiclient.DefaultMaxAttempts

func faultMatrix() []faultRow {
	const nginx502 = `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>`
	status := func(code int, body string, headers ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i+1 < len(headers); i += 2 {
				w.Header().Set(headers[i], headers[i+1])
			}
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}
	}
	retryAfterDate := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// Two seconds ahead, truncated to the second: a wait of 1 to 2 s.
			date := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
			status(code, `{"error":{"message":"rate limit exceeded"}}`, "Retry-After", date)(w, r)
		}
	}
	headersStall := func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	bodyStalls := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":{"integrations":[`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	hugeBody := func(w http.ResponseWriter, r *http.Request) {
		// 5 MiB without a Content-Length, over the client's 4 MiB cap.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"integrations":[`))
		chunk := []byte(strings.Repeat(`{"id":"x"},`, 1<<10))
		for written := 0; written < 5<<20 && r.Context().Err() == nil; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`{"id":"y"}]}}`))
	}
	hugeRegistry := func(w http.ResponseWriter, _ *http.Request) {
		// A valid registry of about 1.5 MiB: under the client's cap, over
		// the 1 MiB result cap of the tools.
		entries := make([]map[string]any, 1500)
		for i := range entries {
			entries[i] = map[string]any{"id": fmt.Sprintf("int%04d", i), "name": "Integration", "description": strings.Repeat("d", 1000)}
		}
		writeData(w, http.StatusOK, map[string]any{"integrations": entries})
	}
	truncated := status(200, `{"data":{"integrations":[{"id":"github","name":"Git`)
	textOK := status(200, "OK", "Content-Type", "text/plain; charset=utf-8")
	portal := status(200, "<html><head><title>Sign in to the Wi-Fi</title></head></html>", "Content-Type", "text/html")

	return []faultRow{
		{name: "500/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1,
			fault: status(500, `{"error":{"code":"internal","message":"database unavailable"}}`),
			want:  []string{"500 Internal Server Error", "database unavailable", "Alfe's side"}},
		{name: "500/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: status(500, `{"error":{"code":"internal","message":"database unavailable"}}`),
			want:  []string{"500 Internal Server Error", "database unavailable"}},

		{name: "502/GET", tool: "get_integration_config", args: getConfigArgs, attempts: retries,
			fault: status(502, `{"message":"upstream connect error"}`),
			want:  []string{"502 Bad Gateway", "upstream connect error", "after 3 attempts"}},
		{name: "502/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: status(502, `{"message":"upstream connect error"}`),
			want:  []string{"502 Bad Gateway", "upstream connect error", "may have taken effect", "list_integrations to check"}},

		{name: "503 Retry-After/GET", tool: "get_oauth_status", args: oauthStatusArgs, attempts: retries, minGap: time.Second,
			fault: status(503, `{"error":{"message":"maintenance"}}`, "Retry-After", "1"),
			want:  []string{"503 Service Unavailable", "maintenance", "after 3 attempts", "retry after 1 s"}},
		{name: "503 Retry-After/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: status(503, `{"error":{"message":"maintenance"}}`, "Retry-After", "1"),
			want:  []string{"503 Service Unavailable", "maintenance"}},

		{name: "504/PATCH", tool: "update_integration_config", args: updateConfigArgs, attempts: retries,
			fault: status(504, ``),
			want:  []string{"504 Gateway Timeout", "after 3 attempts"}},

		{name: "429 Retry-After seconds/GET", tool: "get_oauth_url", args: oauthURLArgs, attempts: retries, minGap: time.Second,
			fault: status(429, `{"message":"slow down"}`, "Retry-After", "1"),
			want:  []string{"rate limited", "slow down", "after 3 attempts", "retry after 1 s"}},
		{name: "429 Retry-After seconds/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: status(429, `{"message":"slow down"}`, "Retry-After", "1"),
			want:  []string{"rate limited", "slow down", "retry after 1 s"}},
		{name: "429 Retry-After date/GET", tool: "get_registry", args: getRegistryArgs, attempts: retries,
			fault: retryAfterDate(429),
			want:  []string{"rate limited", "rate limit exceeded", "after 3 attempts"}},
		{name: "429 Retry-After date/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: retryAfterDate(429),
			want:  []string{"rate limited", "rate limit exceeded"}},
		{name: "429 Retry-After over the cap/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1,
			fault: status(429, `{"message":"quota exhausted"}`, "Retry-After", "120"),
			want:  []string{"rate limited", "quota exhausted", "retry after 120 s"}},

		{name: "headers slower than the timeout/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1,
			timeout: 300 * time.Millisecond, fault: headersStall,
			want: []string{"did not respond in time", "GET /integrations/registry"}},
		{name: "headers slower than the timeout/POST", tool: "install_integration", args: installArgs, attempts: 1,
			timeout: 300 * time.Millisecond, fault: headersStall,
			want: []string{"did not respond in time", "300 ms", "POST /agent/integrations", "list_integrations to check"}},

		{name: "body stalls/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1,
			timeout: 300 * time.Millisecond, fault: bodyStalls,
			want: []string{"did not respond in time", "GET /integrations/registry"}},
		{name: "body stalls/POST", tool: "install_integration", args: installArgs, attempts: 1,
			timeout: 300 * time.Millisecond, fault: bodyStalls,
			want: []string{"did not respond in time", "POST /agent/integrations", "list_integrations to check"}},

		{name: "connection reset/GET", tool: "get_oauth_status", args: oauthStatusArgs, attempts: retries,
			fault: resetConnection,
			want:  []string{"could not reach the alfe api after 3 attempts", "reset"}},
		{name: "connection reset/DELETE", tool: "remove_integration", args: removeArgs, attempts: retries,
			fault: resetConnection,
			want:  []string{"could not reach the alfe api after 3 attempts"}},
		{name: "connection reset/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: resetConnection,
			want:  []string{"could not reach the alfe api", "reset", "list_integrations to check"}},

		{name: "connection refused/GET", tool: "get_registry", args: getRegistryArgs, attempts: retries,
			want: []string{"could not reach the alfe api after 3 attempts", "refused"}},
		{name: "connection refused/POST", tool: "install_integration", args: installArgs, attempts: 1,
			want: []string{"could not reach the alfe api", "refused"}},

		{name: "truncated JSON/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1, fault: truncated,
			want: []string{"unexpected response", "not valid JSON"}},
		{name: "truncated JSON/POST", tool: "install_integration", args: installArgs, attempts: 1, fault: truncated,
			want: []string{"unexpected response", "not valid JSON"}},

		{name: "HTML error page/GET", tool: "get_integration_config", args: getConfigArgs, attempts: retries,
			fault: status(502, nginx502, "Content-Type", "text/html"),
			want:  []string{"502 Bad Gateway", "after 3 attempts"}},
		{name: "HTML error page/POST", tool: "install_integration", args: installArgs, attempts: 1,
			fault: status(502, nginx502, "Content-Type", "text/html"),
			want:  []string{"502 Bad Gateway", "list_integrations to check"}},

		{name: "empty 200/GET", tool: "get_oauth_status", args: oauthStatusArgs, attempts: 1, fault: status(200, ""),
			want: []string{"unexpected response", "200 OK", "no data"}},
		// An install whose response has no record succeeds (documented in
		// apiclient): the result names only the integration.
		{name: "empty 200/POST", tool: "install_integration", args: installArgs, attempts: 1, fault: status(200, "")},

		{name: "204/GET", tool: "get_integration_config", args: getConfigArgs, attempts: 1, fault: status(204, ""),
			want: []string{"unexpected response", "204 No Content", "not a JSON object"}},
		{name: "204/POST", tool: "install_integration", args: installArgs, attempts: 1, fault: status(204, "")},

		{name: "huge body/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1, fault: hugeBody,
			want: []string{"too large", "over the limit of 4194304"}},
		{name: "huge body/POST", tool: "install_integration", args: installArgs, attempts: 1, fault: hugeBody,
			want: []string{"too large", "over the limit of 4194304"}},
		{name: "huge result/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1, fault: hugeRegistry,
			want: []string{"too large to return", "MiB", "limit of 1 MiB", "pass query"}},

		{name: "wrong content type/GET", tool: "get_oauth_status", args: oauthStatusArgs, attempts: 1, fault: textOK,
			want: []string{"unexpected response", "not valid JSON", "text/plain"}},
		{name: "wrong content type/POST", tool: "install_integration", args: installArgs, attempts: 1, fault: textOK,
			want: []string{"unexpected response", "not valid JSON", "text/plain"}},
		{name: "HTML on 200/GET", tool: "get_registry", args: getRegistryArgs, attempts: 1, fault: portal,
			want: []string{"unexpected response", "text/html"}},
	}
}

// faultUpstream serves GET /agent/integrations from the sandbox (the call
// after the fault) and sends every other request to the fault, counting
// them and their arrival times.
type faultUpstream struct {
	url     string
	mu      sync.Mutex
	arrived []time.Time
}

func (u *faultUpstream) faultTimes() []time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]time.Time(nil), u.arrived...)
}

func newFaultUpstream(t *testing.T, fault http.HandlerFunc) *faultUpstream {
	t.Helper()
	u := &faultUpstream{}
	sb := sandbox.NewHandler(sandbox.Options{APIKey: testKey})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/agent/integrations" {
			sb.ServeHTTP(w, r)
			return
		}
		u.mu.Lock()
		u.arrived = append(u.arrived, time.Now())
		u.mu.Unlock()
		// Read the body first: net/http notices that the client went away
		// (and cancels r.Context()) only once the body has been read.
		_, _ = io.Copy(io.Discard, r.Body)
		fault(w, r)
	})
	if fault != nil {
		srv := httptest.NewServer(handler)
		t.Cleanup(srv.Close)
		u.url = srv.URL
		return u
	}
	// Connection refused: nothing listens on the port until the fault has
	// been seen; then the sandbox takes the port over for the next call.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	u.url = "http://" + addr
	return u
}

// relisten serves the sandbox on the refused port, for the next call.
func (u *faultUpstream) relisten(t *testing.T) {
	t.Helper()
	addr := strings.TrimPrefix(u.url, "http://")
	var ln net.Listener
	var err error
	for range 50 { // the port is ours unless another process grabbed it
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(sandbox.NewHandler(sandbox.Options{APIKey: testKey}))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

func TestFaultMatrix(t *testing.T) {
	for _, e := range eras {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			for _, row := range faultMatrix() {
				t.Run(row.name, func(t *testing.T) {
					t.Parallel()
					runFault(t, e, row)
				})
			}
		})
	}
}

func runFault(t *testing.T, e era, row faultRow) {
	u := newFaultUpstream(t, row.fault)
	f := newFixture(t, u.url, serverOptions{timeout: row.timeout})
	c := f.connect(t, e, inProcess)

	res := callTool(t, c, row.tool, row.args)
	var text string
	if row.want == nil {
		wantSuccess(t, res)
	} else {
		text = wantError(t, res, row.want...)
		t.Logf("isError result: %s", text)
		if strings.HasPrefix(text, "Internal error") {
			t.Errorf("fault reported as an internal error: %s", text)
		}
		if row.attempts == 1 && strings.Contains(text, "attempts") {
			t.Errorf("a single attempt reported as several: %s", text)
		}
	}

	// The attempts: as the upstream counted them, and as the debug log shows
	// them (the only count there is when the connection is refused).
	logs := f.logs.String()
	if row.fault != nil {
		times := u.faultTimes()
		if len(times) != row.attempts {
			t.Errorf("upstream got %d requests, want %d; result: %s", len(times), row.attempts, text)
		}
		for i := 1; row.minGap > 0 && i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < row.minGap {
				t.Errorf("attempt %d came %v after the previous one, before the Retry-After of %v", i+1, gap, row.minGap)
			}
		}
	}
	if got := strings.Count(logs, "upstream request"); got != row.attempts {
		t.Errorf("%d upstream requests logged, want %d:\n%s", got, row.attempts, logs)
	}
	for n := 1; n <= row.attempts; n++ {
		if !strings.Contains(logs, fmt.Sprintf("attempt=%d", n)) {
			t.Errorf("no debug log line for attempt %d:\n%s", n, logs)
		}
	}
	if strings.Contains(logs, testKey) {
		t.Errorf("the key is in the log:\n%s", logs)
	}

	// The server responds to the next call.
	if row.fault == nil {
		u.relisten(t)
	}
	out := wantSuccess(t, callTool(t, c, "list_integrations", nil))
	if _, ok := out["integrations"]; !ok {
		t.Errorf("next call's result %v", out)
	}
}

// TestResultSizeCap checks the cap on results with a small configured cap:
// a result over it is an isError result with its size and how to narrow it;
// a filter that narrows it gives a success.
func TestResultSizeCap(t *testing.T) {
	sb := newSandbox(t)
	const limit = 400 // bytes: the registry and the two installs are larger, one entry is not
	f := newFixture(t, sb.URL(), serverOptions{tools: func(o *tools.Options) { o.MaxResultBytes = limit }})
	forEachEra(t, func(t *testing.T, e era) {
		c := f.connect(t, e, inProcess)
		text := wantError(t, callTool(t, c, "get_registry", nil), "too large to return", "get_registry", "bytes", "limit of 400 bytes", "pass query")
		if strings.Contains(text, `"integrations"`) {
			t.Errorf("the oversized result leaked into the error: %s", text)
		}
		wantError(t, callTool(t, c, "list_integrations", nil), "too large to return", "pass status")
		out := wantSuccess(t, callTool(t, c, "get_registry", map[string]any{"query": "posthog"}))
		wantIDs(t, out, "id", "posthog")
	})
}

// TestCancelDuringBackoff cancels a call while the server waits to retry it
// (a 503 asking for a 5 s Retry-After): the wait ends at once, so the call
// makes no second attempt, and the server responds to the next call. Asserted by
// the attempt count, not by time.
func TestCancelDuringBackoff(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		u := newFaultUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, `{"message":"maintenance"}`)
		})
		f := newFixture(t, u.url, serverOptions{timeout: time.Minute})
		c := f.connect(t, e, tr)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for range 1000 { // bounded: 10 s
				if len(u.faultTimes()) > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
		}()
		// Over stdio the client gets its context's error; in process, the
		// handler's own response to the cancellation.
		if res, err := callToolErr(ctx, c, "get_registry", nil, nil); err == nil {
			wantError(t, res, "cancelled")
		}
		// The handler has returned once its log line is written.
		waitFor(t, "the cancelled call's log line", func() bool {
			return strings.Contains(f.logs.String(), "tool=get_registry")
		})
		if n := len(u.faultTimes()); n != 1 {
			t.Errorf("upstream got %d requests, want 1: the backoff wait was not cut short", n)
		}
		if logs := f.logs.String(); !strings.Contains(logs, "upstream_requests=1") {
			t.Errorf("the call's log line does not show a single upstream request:\n%s", logs)
		}
		wantSuccess(t, callTool(t, c, "list_integrations", nil))
	})
}

package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// checkServing runs `alfe-mcp command args...` with a key of its own and,
// in each era, checks what the binary's wiring decides: a client with a key
// gets the catalogue and its calls carry that key; a client without one, on
// loopback, is served with the server's key. (Every tool over every HTTP
// transport, and each defence, are tested in process by
// internal/transport/httpserver.)
func checkServing(t *testing.T, command string, args ...string) {
	for _, e := range sdkEras {
		t.Run(e.name, func(t *testing.T) {
			api := testutil.NewRecorder(t)
			s := serve(t, api, []string{"ALFE_API_KEY=" + serverKey}, command, args...)
			cs := s.connect(t, clientKey, e.version)
			wantCatalogue(t, cs)
			callReaches(t, cs, api, "list_integrations", "Bearer "+clientKey)
			callReaches(t, s.connect(t, "", e.version), api, "list_integrations", "Bearer "+serverKey)
		})
	}
}

// checkNoKeyAnywhere: a server started without a key of its own responds
// 401 to a request without one (asking for a bearer key), sends nothing to the
// API, and serves a client that brings a key.
func checkNoKeyAnywhere(t *testing.T, command, method, path string) {
	api := testutil.NewRecorder(t)
	s := serve(t, api, nil, command)
	resp := request(t, method, s.base+path, nil, initializeBody)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("status %d, WWW-Authenticate %q; want 401 and Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if got := api.Requests(); len(got) != 0 {
		t.Errorf("the API got %v", got)
	}
	callReaches(t, s.connect(t, clientKey, sdkEras[0].version), api, "list_integrations", "Bearer "+clientKey)
}

func TestHTTP(t *testing.T) {
	t.Run("sessions", func(t *testing.T) { checkServing(t, "http") })
	t.Run("stateless", func(t *testing.T) { checkServing(t, "http", "--stateless") })
	t.Run("no key anywhere", func(t *testing.T) { checkNoKeyAnywhere(t, "http", http.MethodPost, "/mcp") })
}

// TestHTTPAllowedOrigins: --allowed-origins reaches the origin check, and
// the server logs each request as JSON.
func TestHTTPAllowedOrigins(t *testing.T) {
	api := testutil.NewRecorder(t)
	s := serve(t, api, []string{"ALFE_API_KEY=" + serverKey}, "http", "--stateless", "--allowed-origins", "https://app.example.com")
	for _, tt := range []struct {
		origin string
		status int
	}{
		{"https://app.example.com", http.StatusOK},
		{"https://evil.example", http.StatusForbidden},
	} {
		before := len(api.Requests())
		resp := request(t, http.MethodPost, s.base+"/mcp", map[string]string{"Origin": tt.origin}, callListBody)
		if resp.StatusCode != tt.status {
			t.Errorf("Origin %s: status %d, want %d: %s", tt.origin, resp.StatusCode, tt.status, resp.Body)
		}
		if reached := len(api.Requests()) > before; reached != (tt.status == http.StatusOK) {
			t.Errorf("Origin %s: the call reached the API: %v", tt.origin, reached)
		}
	}
	s.waitForLog(t, `"msg":"http request","method":"POST","path":"/mcp","status":403`)
}

// TestHTTPDrainsOnSIGTERM: on SIGTERM, alfe-mcp http drains. An OAuth wait
// in flight responds at once with its last status and a note to call again;
// while the listener still accepts, /healthz gets 503, and so does a new
// session. (The drain delay is an hour here and the test kills the process
// once it has seen the drain; the delay's end is tested in httpserver with
// an injected clock.)
func TestHTTPDrainsOnSIGTERM(t *testing.T) {
	api := testutil.NewRecorder(t)
	s := serve(t, api, nil, "http", "--drain-delay", "1h", "--log-level", "debug")
	defer s.kill(t)
	cs := s.connect(t, clientKey, sdkEras[0].version) // legacy: a session
	waited := testutil.CallInBackground(t.Context(), cs, "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": 50})
	// The wait has read a status and is waiting for the next poll.
	s.waitForLog(t, `"msg":"upstream request"`, `"path":"/agent/integrations/oauth/status"`)

	s.terminate(t)
	got := <-waited
	if got.Err != nil || got.Result.IsError || len(got.Result.Content) != 2 || !strings.Contains(sdkText(got.Result), "connected") {
		t.Fatalf("the OAuth wait's response: %v %s", got.Err, sdkText(got.Result))
	}
	if note, ok := got.Result.Content[1].(*sdk.TextContent); !ok || !strings.Contains(note.Text, "call get_oauth_status again") {
		t.Errorf("no note to call again: %s", sdkText(got.Result))
	}
	s.waitForLog(t, "draining")
	if resp := request(t, http.MethodGet, s.base+"/healthz", nil, ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz while draining: %d, want 503", resp.StatusCode)
	}
	if resp := request(t, http.MethodPost, s.base+"/mcp", map[string]string{"Authorization": "Bearer " + clientKey}, initializeBody); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a new session while draining: %d, want 503: %s", resp.StatusCode, resp.Body)
	}
}

// TestHTTPSubscriptionCap: --max-subscriptions-per-session reaches the
// subscriptions a session may hold: past it a subscription is acknowledged
// (mcp-go's hooks cannot refuse one) but not recorded, and a warning names
// the cap.
func TestHTTPSubscriptionCap(t *testing.T) {
	api := testutil.NewRecorder(t)
	s := serve(t, api, nil, "http", "--max-subscriptions-per-session", "1")
	cs := s.connect(t, clientKey, sdkEras[0].version) // legacy: a session
	for _, uri := range []string{"alfe://integrations", "alfe://integrations/github/config"} {
		if err := cs.Subscribe(t.Context(), &sdk.SubscribeParams{URI: uri}); err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
	}
	line := s.waitForLog(t, `"msg":"resource subscription not recorded`, `"max":1`)
	if !strings.Contains(line, "alfe://integrations/github/config") {
		t.Errorf("the warning does not name the second URI: %s", line)
	}
}

// sdkText joins the text blocks of res ("" for a nil res).
func sdkText(res *sdk.CallToolResult) string {
	if res == nil {
		return ""
	}
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// TestHTTPConfigErrors: a configuration that only the HTTP commands check
// exits 2 before listening.
func TestHTTPConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"http", "--allowed-origins", "example.com"}, `allowed origin "example.com"`},
		{[]string{"sse", "--allowed-origins", "https://ok.example,ftp://x"}, `allowed origin "ftp://x"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			runBinary(t, []string{"ALFE_API_KEY=" + serverKey}, tt.args...).want(t, 2, nil, tt.want)
		})
	}
}

// initializeBody is a legacy initialize request.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// callListBody calls list_integrations; a stateless server needs no session.
const callListBody = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`

// response is what request read.
type response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

// request sends one request and reads the whole response (only the status
// and headers of an SSE stream).
func request(t *testing.T, method, url string, header map[string]string, body string) response {
	t.Helper()
	var r io.Reader
	if method != http.MethodGet {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if method == http.MethodGet && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return response{resp.StatusCode, resp.Header, ""}
	}
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

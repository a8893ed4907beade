package main

// Tests of the HTTP transports (alfe-mcp http and sse) of the built binary
// (binPath, built by TestMain), with the official MCP Go SDK as an
// independent client, against a recording emulator of the Alfe API.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Keys of the remote tests: two clients' and the server's own. The
// emulator accepts any key.
const (
	remoteKeyA      = "alfe_sk_REMOTE_CLIENT_A_5e1d"
	remoteKeyB      = "alfe_sk_REMOTE_CLIENT_B_90af"
	remoteServerKey = "alfe_sk_REMOTE_SERVER_c3b2"
)

var remoteKeys = []string{remoteKeyA, remoteKeyB, remoteServerKey}

// Protocol eras: legacy (initialize, sessions) and the go-sdk's latest, the
// stateless 2026-07-28.
const (
	eraLegacy = "2025-11-25"
	eraModern = ""
)

// apiRequest is one request that reached the API.
type apiRequest = testutil.Request

// newRecordingAPI is the sandbox emulator behind a recorder.
func newRecordingAPI(t *testing.T) *testutil.Recorder { return testutil.NewRecorder(t) }

// remoteServer is the binary serving http or sse on a free loopback port.
type remoteServer struct {
	base   string // http://127.0.0.1:port
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, once exited is closed
	term   sync.Once     // SIGTERM is sent once: a second one would kill
}

// terminate sends SIGTERM, once.
func (rs *remoteServer) terminate() {
	rs.term.Do(func() { _ = rs.cmd.Process.Signal(syscall.SIGTERM) })
}

// startRemote runs `alfe-mcp command --addr 127.0.0.1:0 --api-url api
// --log-format json args...` with env, and waits for it to serve. At the end
// of the test it is stopped with SIGTERM and must exit 0, with no key in its
// logs.
func startRemote(t *testing.T, api *testutil.Recorder, env []string, command string, args ...string) *remoteServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	t.Cleanup(cancel)
	// No drain delay: these tests stop the server at their end, and no load
	// balancer watches it (the drain has tests of its own).
	argv := append([]string{command, "--addr", "127.0.0.1:0", "--api-url", api.URL, "--log-format", "json", "--drain-delay", "0s"}, args...)
	cmd := exec.CommandContext(ctx, binPath, argv...)
	cmd.Env = childEnv(env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	rs := &remoteServer{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			rs.stderr.Write([]byte(line + "\n"))
			var rec struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "alfe-mcp serving" {
				served <- rec.URL
			}
		}
		rs.err = cmd.Wait()
		close(rs.exited)
	}()
	select {
	case u := <-served:
		rs.base = strings.TrimSuffix(strings.TrimSuffix(u, "/mcp"), "/sse")
	case <-rs.exited:
		t.Fatalf("alfe-mcp %s exited: %v\n%s", command, rs.err, rs.stderr.String())
	}
	t.Cleanup(func() {
		if code := rs.stop(t); code != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, rs.stderr.String())
		}
		for _, k := range remoteKeys {
			if strings.Contains(rs.stderr.String(), k) {
				t.Errorf("a key appears in the logs:\n%s", rs.stderr.String())
			}
		}
	})
	return rs
}

// stop sends SIGTERM (unless sent already), waits for the exit and returns
// the exit status.
func (rs *remoteServer) stop(t *testing.T) int {
	t.Helper()
	select {
	case <-rs.exited:
	default:
		rs.terminate()
		<-rs.exited
	}
	var exitErr *exec.ExitError
	if rs.err != nil && !errors.As(rs.err, &exitErr) {
		t.Fatalf("wait: %v", rs.err)
	}
	return rs.cmd.ProcessState.ExitCode()
}

// bearerTransport adds Authorization: Bearer key (none when key is empty).
type bearerTransport struct {
	key  string
	next http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.key != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.next.RoundTrip(r)
}

// remoteMode is one way the binary serves MCP.
type remoteMode struct {
	name    string
	command string   // stdio, http or sse
	args    []string // extra flags
	era     string
}

func (m remoteMode) endpoint(base string) string {
	if m.command == "sse" {
		return base + "/sse"
	}
	return base + "/mcp"
}

var remoteModes = []remoteMode{
	{"sse/legacy", "sse", nil, eraLegacy},
	{"sse/modern", "sse", nil, eraModern},
	{"http/legacy", "http", nil, eraLegacy},
	{"http/modern", "http", nil, eraModern},
	{"http-stateless/legacy", "http", []string{"--stateless"}, eraLegacy},
	{"http-stateless/modern", "http", []string{"--stateless"}, eraModern},
}

// connectRemote opens a go-sdk session to rs with key ("" for none).
func connectRemote(t *testing.T, m remoteMode, rs *remoteServer, key string) *sdk.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: bearerTransport{key: key, next: &http.Transport{}}}
	t.Cleanup(hc.CloseIdleConnections)
	var tr sdk.Transport
	if m.command == "sse" {
		tr = &sdk.SSEClientTransport{Endpoint: m.endpoint(rs.base), HTTPClient: hc}
	} else {
		tr = &sdk.StreamableClientTransport{Endpoint: m.endpoint(rs.base), HTTPClient: hc, MaxRetries: -1}
	}
	return connectSDK(t, tr, m.era)
}

func connectSDK(t *testing.T, tr sdk.Transport, era string) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "alfe-mcp-remote-test", Version: "1"}, nil)
	cs, err := c.Connect(t.Context(), tr, &sdk.ClientSessionOptions{ProtocolVersion: era})
	if err != nil {
		t.Fatalf("connect (protocol %q): %v", era, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// remoteCalls call every tool once; each makes one request of the API.
var remoteCalls = []struct {
	tool         string
	args         map[string]any
	method, path string
}{
	{"list_integrations", map[string]any{}, "GET", "/agent/integrations"},
	{"get_registry", map[string]any{"query": "git"}, "GET", "/integrations/registry"},
	{"install_integration", map[string]any{"integrationId": "notion"}, "POST", "/agent/integrations"},
	{"get_integration_config", map[string]any{"integrationId": "memory"}, "GET", "/agent/integrations/memory/config"},
	{"update_integration_config", map[string]any{"integrationId": "memory", "config": map[string]any{"autoRecall": false}}, "PATCH", "/agent/integrations/memory"},
	{"remove_integration", map[string]any{"integrationId": "github"}, "DELETE", "/agent/integrations/github"},
	{"get_oauth_url", map[string]any{"provider": "github", "scopes": []string{"repo"}}, "GET", "/agent/integrations/oauth/url"},
	{"get_oauth_status", map[string]any{"provider": "github"}, "GET", "/agent/integrations/oauth/status"},
}

func sdkText(res *sdk.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// callEveryTool lists the tools and calls each, checking what reached the
// API: one request per call, carrying wantAuth.
func callEveryTool(t *testing.T, cs *sdk.ClientSession, api *testutil.Recorder, wantAuth string) {
	t.Helper()
	list, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(list.Tools) != 8 {
		t.Fatalf("tools/list: %d tools, want 8", len(list.Tools))
	}
	for _, c := range remoteCalls {
		before := len(api.Requests())
		res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: c.tool, Arguments: c.args})
		if err != nil {
			t.Fatalf("%s: %v", c.tool, err)
		}
		if res.IsError {
			t.Fatalf("%s: isError: %s", c.tool, sdkText(res))
		}
		if res.StructuredContent == nil {
			t.Errorf("%s: no structuredContent", c.tool)
		}
		got := api.Requests()[before:]
		if want := []apiRequest{{Method: c.method, Path: c.path, Auth: wantAuth}}; !slices.Equal(got, want) {
			t.Errorf("%s reached the API as %v, want %v", c.tool, got, want)
		}
	}
	before := len(api.Requests())
	if _, err := cs.ReadResource(t.Context(), &sdk.ReadResourceParams{URI: "alfe://integrations"}); err != nil {
		t.Fatalf("resources/read: %v", err)
	}
	if got, want := api.Requests()[before:], []apiRequest{{Method: "GET", Path: "/agent/integrations", Auth: wantAuth}}; !slices.Equal(got, want) {
		t.Errorf("resources/read reached the API as %v, want %v", got, want)
	}
}

// The SDK client initializes, lists the eight tools and calls each over
// every transport and era; each call reaches the API once with the client's
// key (over stdio: the configured key).
func TestRemoteEveryTool(t *testing.T) {
	for _, era := range []string{eraLegacy, eraModern} {
		t.Run("stdio/"+map[string]string{eraLegacy: "legacy", eraModern: "modern"}[era], func(t *testing.T) {
			api := newRecordingAPI(t)
			cmd := exec.Command(binPath, "stdio", "--api-url", api.URL)
			cmd.Env = childEnv("ALFE_API_KEY=" + remoteKeyA)
			cs := connectSDK(t, &sdk.CommandTransport{Command: cmd}, era)
			callEveryTool(t, cs, api, "Bearer "+remoteKeyA)
		})
	}
	for _, m := range remoteModes {
		t.Run(m.name, func(t *testing.T) {
			api := newRecordingAPI(t)
			rs := startRemote(t, api, []string{"ALFE_API_KEY=" + remoteServerKey}, m.command, m.args...)
			cs := connectRemote(t, m, rs, remoteKeyA)
			callEveryTool(t, cs, api, "Bearer "+remoteKeyA)
		})
	}
}

// Two clients with different keys call at once: each API request carries
// the key of the client whose call made it.
func TestRemoteConcurrentKeys(t *testing.T) {
	const calls = 10
	for _, m := range remoteModes {
		t.Run(m.name, func(t *testing.T) {
			api := newRecordingAPI(t)
			rs := startRemote(t, api, []string{"ALFE_API_KEY=" + remoteServerKey}, m.command, m.args...)
			clients := map[string]*sdk.ClientSession{
				"alpha": connectRemote(t, m, rs, remoteKeyA),
				"bravo": connectRemote(t, m, rs, remoteKeyB),
			}
			var wg sync.WaitGroup
			errs := make(chan error, 2*calls)
			for prefix, cs := range clients {
				for i := range calls {
					wg.Go(func() {
						id := fmt.Sprintf("%s-%d", prefix, i)
						res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "get_integration_config", Arguments: map[string]any{"integrationId": id}})
						switch {
						case err != nil:
							errs <- fmt.Errorf("%s: %v", id, err)
						case !strings.Contains(sdkText(res), id): // not installed: an isError result naming it
							errs <- fmt.Errorf("%s: %s", id, sdkText(res))
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			want := map[string]string{"alpha": "Bearer " + remoteKeyA, "bravo": "Bearer " + remoteKeyB}
			got := api.Requests()
			if len(got) != 2*calls {
				t.Fatalf("the API got %d requests, want %d", len(got), 2*calls)
			}
			for _, r := range got {
				prefix, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/agent/integrations/"), "-")
				if r.Auth != want[prefix] {
					t.Errorf("%s %s carried another client's key", r.Method, r.Path)
				}
			}
		})
	}
}

// On loopback a client without a key uses the server's configured key; a
// server without one answers 401 with WWW-Authenticate.
func TestRemoteKeyless(t *testing.T) {
	for _, m := range remoteModes {
		if m.name != "sse/legacy" && m.name != "http/legacy" && m.name != "http-stateless/modern" {
			continue
		}
		t.Run(m.name+"/configured key", func(t *testing.T) {
			api := newRecordingAPI(t)
			rs := startRemote(t, api, []string{"ALFE_API_KEY=" + remoteServerKey}, m.command, m.args...)
			cs := connectRemote(t, m, rs, "")
			res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}})
			if err != nil || res.IsError {
				t.Fatalf("call: %v %+v", err, res)
			}
			if got, want := api.Requests(), []apiRequest{{Method: "GET", Path: "/agent/integrations", Auth: "Bearer " + remoteServerKey}}; !slices.Equal(got, want) {
				t.Errorf("the API got %v, want %v", got, want)
			}
		})
		t.Run(m.name+"/no key anywhere", func(t *testing.T) {
			api := newRecordingAPI(t)
			rs := startRemote(t, api, nil, m.command, m.args...)
			method := "POST"
			if m.command == "sse" {
				method = "GET"
			}
			resp := rawRequest(t, method, m.endpoint(rs.base), nil, initializeBody)
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("status %d, WWW-Authenticate %q; want 401 and Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
			if got := api.Requests(); len(got) != 0 {
				t.Errorf("the API got %v", got)
			}
			// With a key of its own the client is served.
			cs := connectRemote(t, m, rs, remoteKeyB)
			if res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}}); err != nil || res.IsError {
				t.Fatalf("call with a key: %v %+v", err, res)
			}
		})
	}
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// callListBody needs no session on a stateless server.
const callListBody = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`

type rawResponse struct {
	StatusCode int
	Header     http.Header
	Body       string
}

// rawRequest sends one request and reads the whole answer (an SSE stream's
// status only).
func rawRequest(t *testing.T, method, url string, header map[string]string, body string) rawResponse {
	t.Helper()
	var r io.Reader
	if method != "GET" {
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
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") && method == "GET" {
		return rawResponse{resp.StatusCode, resp.Header, ""}
	}
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{resp.StatusCode, resp.Header, string(b)}
}

// Origin, body size, malformed keys and /healthz, against the binary.
func TestRemoteDefences(t *testing.T) {
	api := newRecordingAPI(t)
	rs := startRemote(t, api, []string{"ALFE_API_KEY=" + remoteServerKey}, "http", "--stateless", "--allowed-origins", "https://app.example.com")
	auth := "Bearer " + remoteKeyA
	big := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_registry","arguments":{"query":"` + strings.Repeat("a", 2<<20) + `"}}}`
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantAPI    bool // the request reaches the API
	}{
		{"healthz", "GET", "/healthz", nil, "", 200, false},
		{"foreign origin", "POST", "/mcp", map[string]string{"Origin": "https://evil.example", "Authorization": auth}, callListBody, 403, false},
		{"foreign origin, healthz", "GET", "/healthz", map[string]string{"Origin": "https://evil.example"}, "", 403, false},
		{"own origin", "POST", "/mcp", map[string]string{"Origin": "http://localhost:6274", "Authorization": auth}, callListBody, 200, true},
		{"allowed origin", "POST", "/mcp", map[string]string{"Origin": "https://app.example.com", "Authorization": auth}, callListBody, 200, true},
		{"no origin", "POST", "/mcp", map[string]string{"Authorization": auth}, callListBody, 200, true},
		{"malformed Authorization", "POST", "/mcp", map[string]string{"Authorization": "Bearer"}, callListBody, 400, false},
		{"2 MiB body", "POST", "/mcp", map[string]string{"Authorization": auth}, big, 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.Requests())
			resp := rawRequest(t, tt.method, rs.base+tt.path, tt.header, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.path == "/healthz" && tt.wantStatus == 200 && strings.TrimSpace(resp.Body) != `{"status":"ok"}` {
				t.Errorf("healthz: %s", resp.Body)
			}
			got := api.Requests()[before:]
			if tt.wantAPI && (len(got) != 1 || got[0].Auth != auth) {
				t.Errorf("the API got %v, want one request with the client's key", got)
			}
			if !tt.wantAPI && len(got) != 0 {
				t.Errorf("the API got %v, want nothing", got)
			}
		})
	}
	// One line per request; it is written as the request ends.
	for _, want := range []string{`"msg":"http request","method":"POST","path":"/mcp","status":403`, `"status":413`, `"path":"/healthz","status":200`} {
		waitForLog(t, rs, want)
	}
}

// SIGTERM while a slow call is in flight: the call completes, then the
// binary exits 0.
func TestRemoteShutdownLetsCallFinish(t *testing.T) {
	for _, m := range remoteModes {
		t.Run(m.name, func(t *testing.T) {
			api := newRecordingAPI(t)
			rs := startRemote(t, api, nil, m.command, m.args...)
			cs := connectRemote(t, m, rs, remoteKeyA)
			release := api.Hold("/agent/integrations")
			defer release()
			type outcome struct {
				res *sdk.CallToolResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}})
				done <- outcome{res, err}
			}()
			<-api.Entered
			rs.terminate()
			waitForLog(t, rs, "shutting down")
			release()
			got := <-done
			if got.err != nil {
				rs.stop(t)
				t.Fatalf("the call in flight failed: %v\n%s", got.err, rs.stderr.String())
			}
			if got.res.IsError || !strings.Contains(sdkText(got.res), "memory") {
				t.Fatalf("the call in flight: %s", sdkText(got.res))
			}
			if code := rs.stop(t); code != 0 {
				t.Errorf("exit status %d, want 0\n%s", code, rs.stderr.String())
			}
			if strings.Contains(rs.stderr.String(), "cut off") {
				t.Errorf("a call was cut off:\n%s", rs.stderr.String())
			}
		})
	}
}

// waitForLog returns once the server has logged a line containing s.
func waitForLog(t *testing.T, rs *remoteServer, s string) {
	t.Helper()
	for !strings.Contains(rs.stderr.String(), s) {
		select {
		case <-rs.exited:
			t.Fatalf("exited before logging %q:\n%s", s, rs.stderr.String())
		case <-t.Context().Done():
			t.Fatalf("no %q in the logs", s)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Configuration errors of the HTTP commands exit 2 before listening.
func TestRemoteConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"http", "--allowed-origins", "example.com"}, `allowed origin "example.com"`},
		{[]string{"sse", "--allowed-origins", "https://ok.example,ftp://x"}, `allowed origin "ftp://x"`},
		{[]string{"http", "--addr", "nonsense"}, `listen address "nonsense"`},
		{[]string{"sse", "--shutdown-timeout", "-1s"}, "shutdown timeout must not be negative"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runBinary(t, []string{"ALFE_API_KEY=" + remoteServerKey}, "", tt.args...)
			if res.code != 2 || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", res.code, res.stderr, tt.want)
			}
			if strings.Contains(res.stderr, remoteServerKey) {
				t.Errorf("the key appears in stderr")
			}
		})
	}
}

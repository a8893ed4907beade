// Package e2e holds alfe-mcp's end-to-end tests. In process, through the
// MCP protocol against the sandbox: the whole install → connect → remove
// flow, the consent page over HTTP and in a headless browser, the resources
// and the prompt (flow_test.go, resources_test.go, browser_test.go; this
// file is their harness). Of the binary, run as a host or a person runs
// it, one file per command: stdio_test.go, http_test.go, sse_test.go,
// call_test.go, check_test.go, cli_test.go (the others and the exit
// statuses), with process_test.go their harness. Of the release's
// artefacts: archives, bundles, the image, Kubernetes, go install. Only
// loopback addresses are used.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/logging"
	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// apiKey is the key the tests' server sends to the sandbox, which accepts no
// other. No result, page or log line may carry it.
const apiKey = "sk_test_E2E_SECRET_1234"

// waitLimit bounds each wait for something asynchronous, so that a broken
// server fails a test instead of hanging it. It is never asserted on.
const waitLimit = 20 * time.Second

// era is a generation of the MCP protocol (see testutil.Eras).
type era = testutil.Era

var eras = testutil.Eras()

// forEachEra runs f once per protocol era, as subtests.
func forEachEra(t *testing.T, f func(t *testing.T, e era)) {
	t.Helper()
	for _, e := range eras {
		t.Run(e.Name, func(t *testing.T) { f(t, e) })
	}
}

// stack is a sandbox and an MCP server in front of it, built as app.go builds
// them for --sandbox: sandbox.Listen → apiclient.New → tools.NewServer.
type stack struct {
	sb   *sandbox.Server
	logs *syncBuffer
	srv  *server.MCPServer

	statusPolls atomic.Int64 // GET /agent/integrations/oauth/status exchanges
}

// newStack starts a sandbox with opts (its APIKey is forced to apiKey) and
// the server in front of it. The logger writes at debug level without the
// redacting safety net, so that a leaked key would show.
func newStack(t *testing.T, opts sandbox.Options) *stack {
	t.Helper()
	opts.APIKey = apiKey
	sb, err := sandbox.Listen(opts)
	if err != nil {
		t.Fatalf("sandbox.Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("sandbox close: %v", err)
		}
	})
	st := &stack{sb: sb, logs: &syncBuffer{}}
	logger := logging.New(st.logs, logging.Options{Level: "debug"})
	observe := tools.ObserveExchanges(logger)
	api, err := apiclient.New(apiclient.Options{
		BaseURL:   sb.URL(),
		APIKey:    apiKey,
		UserAgent: "alfe-mcp/e2e",
		Timeout:   waitLimit,
		Observe: func(ctx context.Context, ev apiclient.Exchange) {
			if ev.Path == "/agent/integrations/oauth/status" {
				st.statusPolls.Add(1)
			}
			observe(ctx, ev)
		},
	})
	if err != nil {
		t.Fatalf("apiclient.New: %v", err)
	}
	t.Cleanup(api.CloseIdleConnections)
	srv, err := tools.NewServer(tools.Options{
		Client:       tools.StaticClient(api),
		Logger:       logger,
		Version:      "e2e",
		PollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("tools.NewServer: %v", err)
	}
	st.srv = srv
	t.Cleanup(func() {
		if strings.Contains(st.logs.String(), apiKey) {
			t.Errorf("the logs carry the API key:\n%s", st.logs.String())
		}
	})
	return st
}

// connect returns an in-process client of the stack's server, initialized in
// era e, with no elicitation capability. It fails the test unless the client
// negotiated e's protocol version.
func (st *stack) connect(t *testing.T, e era) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClientWithOptions(st.srv, e.Opts...)
	if err != nil {
		t.Fatalf("in-process client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("client start: %v", err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "alfe-mcp-e2e", Version: "1.0.0"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize (%s): %v", e.Name, err)
	}
	if got := c.ProtocolVersion(); got != e.Version {
		t.Fatalf("negotiated protocol version %q, want %q (%s era)", got, e.Version, e.Name)
	}
	return c
}

// call calls a tool and fails the test on a JSON-RPC error: every failure of
// a tool must be an isError result.
func call(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	res, err := callCtx(ctx, c, name, args)
	if err != nil {
		t.Fatalf("%s: JSON-RPC error instead of a result: %v", name, err)
	}
	return res
}

func callCtx(ctx context.Context, c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

// text joins the result's text blocks.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// ok checks that res is a success and decodes its structured content into a
// value of type T.
func ok[T any](t *testing.T, name string, res *mcp.CallToolResult) T {
	t.Helper()
	var out T
	if res.IsError {
		t.Fatalf("%s: isError result: %s", name, text(res))
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil || res.StructuredContent == nil {
		t.Fatalf("%s: no usable structuredContent (%v); text: %s", name, err, text(res))
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: structuredContent %s does not decode: %v", name, raw, err)
	}
	if strings.Contains(string(raw), apiKey) || strings.Contains(text(res), apiKey) {
		t.Fatalf("%s: the result carries the API key", name)
	}
	return out
}

// failed checks that res is an isError result mentioning every fragment
// (case-insensitively) and returns its text.
func failed(t *testing.T, name string, res *mcp.CallToolResult, fragments ...string) string {
	t.Helper()
	msg := text(res)
	if !res.IsError {
		t.Fatalf("%s: isError is false, want true; text: %s", name, msg)
	}
	for _, f := range fragments {
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(f)) {
			t.Errorf("%s: error text does not mention %q: %s", name, f, msg)
		}
	}
	return msg
}

// The tools' structured outputs, as far as the tests read them.
type (
	registryEntry struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Provider string   `json:"provider"`
		Scopes   []string `json:"scopes"`
	}
	registryOut struct {
		Integrations []registryEntry `json:"integrations"`
	}
	installRecord struct {
		IntegrationID string         `json:"integrationId"`
		Status        string         `json:"status"`
		Version       string         `json:"version"`
		Config        map[string]any `json:"config"`
	}
	listOut struct {
		Integrations []installRecord `json:"integrations"`
	}
	configOut struct {
		IntegrationID string         `json:"integrationId"`
		Config        map[string]any `json:"config"`
	}
	oauthURLOut struct {
		URL       string `json:"url"`
		ExpiresIn int64  `json:"expiresIn"`
	}
	oauthStatusOut struct {
		Provider  string `json:"provider"`
		Connected bool   `json:"connected"`
	}
	removeOut struct {
		IntegrationID string `json:"integrationId"`
		Removed       bool   `json:"removed"`
	}
)

// slackScopes are the scopes of the sandbox's Slack entry: the consent page
// must list each.
var slackScopes = []string{"app_mentions:read", "channels:history", "chat:write", "im:history", "im:write", "users:read"}

// getOAuthURL calls get_oauth_url for provider and checks that the URL is a
// consent page of the stack's own sandbox.
func (st *stack) getOAuthURL(t *testing.T, c *client.Client, provider string) string {
	t.Helper()
	out := ok[oauthURLOut](t, "get_oauth_url", call(t, c, "get_oauth_url", map[string]any{"provider": provider}))
	if want := st.sb.URL() + "/sandbox/oauth/consent?state="; !strings.HasPrefix(out.URL, want) || len(out.URL) == len(want) {
		t.Fatalf("get_oauth_url: url %q, want a consent page under %s", out.URL, want)
	}
	if out.ExpiresIn <= 0 {
		t.Errorf("get_oauth_url: expiresIn %d, want > 0", out.ExpiresIn)
	}
	return out.URL
}

// oauthStatus calls get_oauth_status once (no wait).
func oauthStatus(t *testing.T, c *client.Client, provider string) oauthStatusOut {
	t.Helper()
	out := ok[oauthStatusOut](t, "get_oauth_status", call(t, c, "get_oauth_status", map[string]any{"provider": provider}))
	if out.Provider != provider {
		t.Errorf("get_oauth_status: provider %q, want %q", out.Provider, provider)
	}
	return out
}

// statusOf returns the status of integration id in list_integrations, or ""
// when it is not installed.
func statusOf(t *testing.T, c *client.Client, id string) string {
	t.Helper()
	for _, in := range ok[listOut](t, "list_integrations", call(t, c, "list_integrations", nil)).Integrations {
		if in.IntegrationID == id {
			return in.Status
		}
	}
	return ""
}

// page is a fetched consent page (or its result page).
type page struct {
	status int
	header http.Header
	body   string
}

// httpClient talks to the sandbox's pages; it never follows redirects (the
// pages do not redirect).
var httpClient = &http.Client{
	Timeout:       waitLimit,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func readPage(t *testing.T, resp *http.Response, err error) page {
	t.Helper()
	if err != nil {
		t.Fatalf("consent page: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("consent page: read: %v", err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// fetch GETs a consent URL.
func fetch(t *testing.T, consentURL string) page {
	t.Helper()
	resp, err := httpClient.Get(consentURL)
	return readPage(t, resp, err)
}

var (
	formRe  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	stateRe = regexp.MustCompile(`<input type="hidden" name="state" value="([^"]+)">`)
)

// form returns the absolute action URL and the hidden state of the consent
// page's form.
func (p page) form(t *testing.T, consentURL string) (action, state string) {
	t.Helper()
	m := formRe.FindStringSubmatch(p.body)
	s := stateRe.FindStringSubmatch(p.body)
	if m == nil || s == nil {
		t.Fatalf("consent page has no decision form:\n%s", p.body)
	}
	base, err := url.Parse(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := url.Parse(m[1])
	if err != nil {
		t.Fatalf("form action %q: %v", m[1], err)
	}
	return base.ResolveReference(ref).String(), s[1]
}

// decide POSTs decision ("approve" or "deny") to the form's action, as the
// page's buttons do.
func decide(t *testing.T, action, state, decision string) page {
	t.Helper()
	resp, err := httpClient.PostForm(action, url.Values{"state": {state}, "decision": {decision}})
	return readPage(t, resp, err)
}

// wantPage checks a page's status, content type and text fragments.
func wantPage(t *testing.T, what string, p page, status int, fragments ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d", what, p.status, status)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q, want text/html", what, ct)
	}
	for _, f := range fragments {
		if !strings.Contains(p.body, f) {
			t.Errorf("%s: page does not contain %q", what, f)
		}
	}
	if strings.Contains(p.body, apiKey) {
		t.Errorf("%s: page carries the API key", what)
	}
}

// clock is a settable clock for sandbox.Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// describe is a compact rendering of a value for failure messages.
func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// syncBuffer collects output safely across goroutines.
type syncBuffer = testutil.SyncBuffer

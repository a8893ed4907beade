package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey uses every character a bearer token (RFC 6750 b64token) may carry.
const testKey = "alfe_sk-Ab.C~d+e/f=="

// testUA is the User-Agent the test clients send.
const testUA = "alfe-mcp/1.2.3"

// captured is one request as the upstream saw it.
type captured struct {
	Method      string
	EscapedPath string
	RawQuery    string
	Query       url.Values
	Header      http.Header
	Body        []byte
	ContentLen  int64
}

// upstream is an httptest server that records every request.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
}

// requests returns the requests recorded so far.
func (u *upstream) requests() []captured {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]captured(nil), u.reqs...)
}

// only returns the single recorded request, failing the test otherwise.
func (u *upstream) only(t *testing.T) captured {
	t.Helper()
	reqs := u.requests()
	if len(reqs) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// newUpstream starts a server that records each request and then runs h.
func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, captured{
			Method:      r.Method,
			EscapedPath: r.URL.EscapedPath(),
			RawQuery:    r.URL.RawQuery,
			Query:       r.URL.Query(),
			Header:      r.Header.Clone(),
			Body:        body,
			ContentLen:  r.ContentLength,
		})
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// respond is a handler that replies with a fixed status, headers and body.
func respond(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if w.Header().Get("Content-Type") == "" && body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// newClient returns a client of base with the test key and user agent, whose
// retries do not wait (skipWait); mods adjust its options.
func newClient(t *testing.T, base string, mods ...func(*Options)) *Client {
	t.Helper()
	opts := Options{BaseURL: base, APIKey: testKey, UserAgent: testUA, Timeout: 10 * time.Second, Wait: skipWait}
	for _, m := range mods {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// skipWait replaces the backoff wait of test clients: it returns at once,
// unless ctx is already done, so retries need no real waiting.
func skipWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// serveOnce starts an upstream responding status/body and a client of it.
func serveOnce(t *testing.T, status int, body string, headers ...string) (*upstream, *Client) {
	t.Helper()
	u := newUpstream(t, respond(status, body, headers...))
	return u, newClient(t, u.URL)
}

// jsonEqual reports whether a and b hold the same JSON value (numbers
// compared exactly).
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(decodeAny(t, a), decodeAny(t, b))
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// mustMarshal marshals v or fails the test.
func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// call is one client method, run for its error and its marshalled result.
type call struct {
	name string
	run  func(ctx context.Context, c *Client) (any, error)
}

// allCalls runs every method of the client once with valid arguments.
var allCalls = []call{
	{"ListIntegrations", func(ctx context.Context, c *Client) (any, error) { return c.ListIntegrations(ctx) }},
	{"GetRegistry", func(ctx context.Context, c *Client) (any, error) { return c.GetRegistry(ctx) }},
	{"InstallIntegration", func(ctx context.Context, c *Client) (any, error) {
		return c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github"})
	}},
	{"GetIntegrationConfig", func(ctx context.Context, c *Client) (any, error) { return c.GetIntegrationConfig(ctx, "github") }},
	{"UpdateIntegrationConfig", func(ctx context.Context, c *Client) (any, error) {
		return c.UpdateIntegrationConfig(ctx, "github", map[string]any{"defaultBranch": "develop"})
	}},
	{"RemoveIntegration", func(ctx context.Context, c *Client) (any, error) { return nil, c.RemoveIntegration(ctx, "github") }},
	{"GetOAuthURL", func(ctx context.Context, c *Client) (any, error) {
		return c.GetOAuthURL(ctx, "github", []string{"repo", "read:org"})
	}},
	{"GetOAuthStatus", func(ctx context.Context, c *Client) (any, error) { return c.GetOAuthStatus(ctx, "github") }},
	{"Whoami", func(ctx context.Context, c *Client) (any, error) { return c.Whoami(ctx) }},
}

// asAPIError returns the *APIError in err's chain or fails the test.
func asAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	return apiErr
}

// asDecodeError returns the *DecodeError in err's chain or fails the test.
func asDecodeError(t *testing.T, err error) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	return de
}

// assertNoKey fails the test when s contains the key, also in the form that
// collapsing its whitespace to single spaces gives.
func assertNoKey(t *testing.T, what, s, key string) {
	t.Helper()
	if strings.Contains(s, key) || strings.Contains(s, strings.Join(strings.Fields(key), " ")) {
		t.Errorf("%s contains the API key: %s", what, s)
	}
}

// closedAddr returns the address of a loopback listener that has been closed.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hijacker returns a handler that takes over the connection and runs f on it.
func hijacker(t *testing.T, f func(net.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		f(conn)
	}
}

// resetConn drops the connection with a TCP reset, before any response.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// exchangeLog records the exchanges an Options.Observe hook sees; it is safe
// for concurrent use.
type exchangeLog struct {
	mu  sync.Mutex
	evs []Exchange
}

// observe is an Options.Observe that records ev.
func (l *exchangeLog) observe(_ context.Context, ev Exchange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

// exchanges returns the exchanges recorded so far, in order.
func (l *exchangeLog) exchanges() []Exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Exchange(nil), l.evs...)
}

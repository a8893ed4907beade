package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "sk_test_sandbox"

// fakeClock is an injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testClient talks to a sandbox over real HTTP.
type testClient struct {
	t    *testing.T
	base string
	key  string
	hc   *http.Client
}

// resp is a response read in full.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func newTestServer(t *testing.T, opts Options) *testClient {
	t.Helper()
	srv := httptest.NewServer(NewHandler(opts))
	t.Cleanup(srv.Close)
	key := opts.APIKey
	if key == "" {
		key = testKey
	}
	return &testClient{t: t, base: srv.URL, key: key, hc: srv.Client()}
}

// do sends a request. body is nil (none), a string (sent raw) or a value (JSON-encoded).
func (c *testClient) do(method, path string, body any) resp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req)
}

func (c *testClient) send(req *http.Request) resp {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// getPage fetches an absolute URL without credentials (as a browser would).
func (c *testClient) getPage(u string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	return c.send(req)
}

// decide posts the consent form without credentials (as a browser would).
func (c *testClient) decide(state, decision string) resp {
	c.t.Helper()
	form := url.Values{"state": {state}, "decision": {decision}}
	req, err := http.NewRequest(http.MethodPost, c.base+"/sandbox/oauth/decision", strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(req)
}

// data checks the success envelope and JSON content type, and decodes data into v.
func (r resp) data(t *testing.T, wantStatus int, v any) {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", r.status, wantStatus, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("body is not a JSON object: %v; %s", err, r.body)
	}
	raw, ok := env["data"]
	if !ok || len(env) != 1 {
		t.Fatalf("body is not a {\"data\": ...} envelope: %s", r.body)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("decode data: %v; %s", err, raw)
		}
	}
}

// apiError checks the error body shape and returns its code and message.
func (r resp) apiError(t *testing.T, wantStatus int) (code, message string) {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", r.status, wantStatus, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Error == nil {
		t.Fatalf("not an error body: %v; %s", err, r.body)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error code or message empty: %s", r.body)
	}
	return body.Error.Code, body.Error.Message
}

// record mirrors the install record.
type record struct {
	IntegrationID string         `json:"integrationId"`
	Name          string         `json:"name"`
	Status        string         `json:"status"`
	Version       string         `json:"version"`
	Config        map[string]any `json:"config"`
	InstalledAt   string         `json:"installedAt"`
	UpdatedAt     string         `json:"updatedAt"`
}

func (c *testClient) installs() map[string]record {
	c.t.Helper()
	var list []record
	c.do(http.MethodGet, "/agent/integrations", nil).data(c.t, http.StatusOK, &list)
	out := map[string]record{}
	for _, r := range list {
		out[r.IntegrationID] = r
	}
	return out
}

func (c *testClient) connected(provider string) bool {
	c.t.Helper()
	var st struct {
		Provider  string `json:"provider"`
		Connected bool   `json:"connected"`
	}
	c.do(http.MethodGet, "/agent/integrations/oauth/status?provider="+url.QueryEscape(provider), nil).data(c.t, http.StatusOK, &st)
	if st.Provider != provider {
		c.t.Fatalf("status provider = %q, want %q", st.Provider, provider)
	}
	return st.Connected
}

// consentURL asks for a consent URL and returns it with its state.
func (c *testClient) consentURL(query string) (consent string, state string, expiresIn int) {
	c.t.Helper()
	var d struct {
		URL       string `json:"url"`
		ExpiresIn int    `json:"expiresIn"`
	}
	c.do(http.MethodGet, "/agent/integrations/oauth/url?"+query, nil).data(c.t, http.StatusOK, &d)
	u, err := url.Parse(d.URL)
	if err != nil {
		c.t.Fatalf("parse url %q: %v", d.URL, err)
	}
	return d.URL, u.Query().Get("state"), d.ExpiresIn
}

package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		want    string // BaseURL() when accepted
		wantErr bool
	}{
		{name: "default", base: "", want: DefaultBaseURL},
		{name: "https", base: "https://api.alfe.ai", want: "https://api.alfe.ai"},
		{name: "trailing slash", base: "https://api.alfe.ai/", want: "https://api.alfe.ai"},
		{name: "http with port", base: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{name: "path prefix", base: "http://127.0.0.1:8080/prefix/", want: "http://127.0.0.1:8080/prefix"},
		{name: "upper-case scheme", base: "HTTPS://api.alfe.ai", want: "https://api.alfe.ai"},
		{name: "ftp", base: "ftp://api.alfe.ai", wantErr: true},
		{name: "ws", base: "ws://api.alfe.ai", wantErr: true},
		{name: "relative path", base: "/agent", wantErr: true},
		{name: "bare host", base: "api.alfe.ai", wantErr: true},
		{name: "host and port without scheme", base: "localhost:8080", wantErr: true},
		{name: "no host", base: "http://", wantErr: true},
		{name: "no host with path", base: "http:///agent", wantErr: true},
		{name: "query", base: "https://api.alfe.ai/?x=1", wantErr: true},
		{name: "query without path", base: "https://api.alfe.ai?key=secret", wantErr: true},
		{name: "fragment", base: "https://api.alfe.ai/#frag", wantErr: true},
		{name: "user info", base: "https://user:pass@api.alfe.ai", wantErr: true},
		{name: "unparseable", base: "http://api.alfe.ai/%zz", wantErr: true},
		{name: "missing scheme", base: "://api.alfe.ai", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{BaseURL: tt.base, APIKey: testKey})
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("New(%q) = %v, want an error wrapping ErrInvalidArgument", tt.base, err)
				}
				if c != nil {
					t.Errorf("New(%q) returned a client with its error", tt.base)
				}
				assertNoKey(t, "error", err.Error(), testKey)
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.base, err)
			}
			if got := c.BaseURL(); got != tt.want {
				t.Errorf("BaseURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout() != DefaultTimeout {
		t.Errorf("Timeout() = %v, want %v", c.Timeout(), DefaultTimeout)
	}
	if c.maxBody != DefaultMaxResponseBytes {
		t.Errorf("max body = %d, want %d", c.maxBody, DefaultMaxResponseBytes)
	}
	c, err = New(Options{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout() >= 0 {
		t.Errorf("Timeout() = %v, want the negative value kept (no timeout)", c.Timeout())
	}
	tr := NewTransport()
	if tr.MaxIdleConnsPerHost != DefaultMaxIdleConnsPerHost {
		t.Errorf("NewTransport().MaxIdleConnsPerHost = %d, want %d", tr.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	}
}

// TestRequests checks the exact request every method sends.
func TestRequests(t *testing.T) {
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *Client) error
		answer string // 200 body; "" answers 204
		method string
		path   string
		query  string // decoded with url.ParseQuery and compared; "" means no query at all
		body   string // JSON; "" means no body
	}{
		{
			name:   "ListIntegrations",
			call:   func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err },
			answer: `{"data":[]}`,
			method: "GET", path: "/agent/integrations",
		},
		{
			name:   "GetRegistry",
			call:   func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err },
			answer: `{"data":{"integrations":[]}}`,
			method: "GET", path: "/integrations/registry",
		},
		{
			name: "InstallIntegration id only",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github"})
				return err
			},
			answer: `{"data":{"integrationId":"github","status":"installed"}}`,
			method: "POST", path: "/agent/integrations",
			body: `{"integrationId":"github"}`,
		},
		{
			name: "InstallIntegration empty config is omitted",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github", Config: map[string]any{}})
				return err
			},
			answer: `{"data":{"integrationId":"github"}}`,
			method: "POST", path: "/agent/integrations",
			body: `{"integrationId":"github"}`,
		},
		{
			name: "InstallIntegration with version and config",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{
					IntegrationID: "memory",
					Version:       "1.0.5",
					Config:        map[string]any{"autoCapture": true, "captureMaxChars": 500},
				})
				return err
			},
			answer: `{"data":{"integrationId":"memory"}}`,
			method: "POST", path: "/agent/integrations",
			body: `{"integrationId":"memory","version":"1.0.5","config":{"autoCapture":true,"captureMaxChars":500}}`,
		},
		{
			name: "GetIntegrationConfig",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetIntegrationConfig(ctx, "github")
				return err
			},
			answer: `{"data":{"defaultBranch":"main"}}`,
			method: "GET", path: "/agent/integrations/github/config",
		},
		{
			name: "UpdateIntegrationConfig",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", map[string]any{"defaultBranch": "develop"})
				return err
			},
			answer: `{"data":{"integrationId":"github"}}`,
			method: "PATCH", path: "/agent/integrations/github",
			body: `{"config":{"defaultBranch":"develop"}}`,
		},
		{
			name: "UpdateIntegrationConfig nil config",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", nil)
				return err
			},
			answer: `{"data":null}`,
			method: "PATCH", path: "/agent/integrations/github",
			body: `{"config":{}}`,
		},
		{
			name:   "RemoveIntegration",
			call:   func(ctx context.Context, c *Client) error { return c.RemoveIntegration(ctx, "github") },
			method: "DELETE", path: "/agent/integrations/github",
		},
		{
			name: "GetOAuthURL with scopes",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", []string{"repo", "read:org"})
				return err
			},
			answer: `{"data":{"url":"https://github.com/login/oauth/authorize?x=1","expiresIn":600}}`,
			method: "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github&scopes=repo,read:org",
		},
		{
			name: "GetOAuthURL one scope",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "google", []string{"email"})
				return err
			},
			answer: `{"data":{"url":"https://accounts.google.com/o/oauth2"}}`,
			method: "GET", path: "/agent/integrations/oauth/url",
			query: "provider=google&scopes=email",
		},
		{
			name: "GetOAuthURL nil scopes",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", nil)
				return err
			},
			answer: `{"data":{"url":"https://github.com/login/oauth/authorize"}}`,
			method: "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github",
		},
		{
			name: "GetOAuthURL empty scopes",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", []string{})
				return err
			},
			answer: `{"data":{"url":"https://github.com/login/oauth/authorize"}}`,
			method: "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github",
		},
		{
			name:   "GetOAuthStatus",
			call:   func(ctx context.Context, c *Client) error { _, err := c.GetOAuthStatus(ctx, "github"); return err },
			answer: `{"data":{"provider":"github","connected":true}}`,
			method: "GET", path: "/agent/integrations/oauth/status",
			query: "provider=github",
		},
		{
			name:   "Whoami",
			call:   func(ctx context.Context, c *Client) error { _, err := c.Whoami(ctx); return err },
			answer: `{"data":{"agentId":"agt_1","tenantId":"ten_1"}}`,
			method: "GET", path: "/agent/identity/whoami",
		},
	}
	for _, prefix := range []string{"", "/prefix", "/prefix/", "/a/b%20c/"} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/base%s", tt.name, strings.ReplaceAll(prefix, "/", "_")), func(t *testing.T) {
				status := http.StatusOK
				if tt.answer == "" {
					status = http.StatusNoContent
				}
				u := newUpstream(t, answer(status, tt.answer))
				c := newClient(t, u.URL+prefix)
				if err := tt.call(t.Context(), c); err != nil {
					t.Fatalf("call: %v", err)
				}
				r := u.only(t)
				if r.Method != tt.method {
					t.Errorf("method = %s, want %s", r.Method, tt.method)
				}
				wantPath := strings.TrimRight(prefix, "/") + tt.path
				if r.EscapedPath != wantPath {
					t.Errorf("path = %s, want %s", r.EscapedPath, wantPath)
				}
				if tt.query == "" {
					if r.RawQuery != "" {
						t.Errorf("query = %q, want none", r.RawQuery)
					}
				} else {
					want, err := url.ParseQuery(tt.query)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(r.Query) != fmt.Sprint(want) {
						t.Errorf("query = %v (raw %q), want %v", r.Query, r.RawQuery, want)
					}
				}
				checkHeader(t, r.Header, "Authorization", "Bearer "+testKey)
				checkHeader(t, r.Header, "User-Agent", testUA)
				checkHeader(t, r.Header, "Accept", "application/json")
				if tt.body == "" {
					if len(r.Body) != 0 || r.ContentLen > 0 {
						t.Errorf("body = %q, want none", r.Body)
					}
					if ct := r.Header.Values("Content-Type"); len(ct) != 0 {
						t.Errorf("Content-Type = %q without a body", ct)
					}
				} else {
					checkHeader(t, r.Header, "Content-Type", "application/json")
					if !jsonEqual(t, r.Body, []byte(tt.body)) {
						t.Errorf("body = %s, want %s", r.Body, tt.body)
					}
				}
			})
		}
	}
}

func checkHeader(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	if got := h.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s = %q, want exactly %q", name, got, want)
	}
}

func TestOAuthScopesOneParameter(t *testing.T) {
	u, c := serveOnce(t, 200, `{"data":{"url":"https://x.test/consent"}}`)
	if _, err := c.GetOAuthURL(t.Context(), "github", []string{"repo", "read:org", "user:email"}); err != nil {
		t.Fatal(err)
	}
	r := u.only(t)
	if got := r.Query["scopes"]; len(got) != 1 || got[0] != "repo,read:org,user:email" {
		t.Errorf("scopes = %q, want one comma-joined value", got)
	}
	if n := strings.Count(r.RawQuery, "scopes="); n != 1 {
		t.Errorf("raw query %q has %d scopes parameters, want 1", r.RawQuery, n)
	}
}

func TestDefaultUserAgent(t *testing.T) {
	u := newUpstream(t, answer(200, `{"data":[]}`))
	c := newClient(t, u.URL, func(o *Options) { o.UserAgent = "" })
	if _, err := c.ListIntegrations(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkHeader(t, u.only(t).Header, "User-Agent", "alfe-mcp/dev")
}

// TestPathEscaping checks that any id reaches the upstream as one escaped
// segment, never a dot segment or a slash.
func TestPathEscaping(t *testing.T) {
	ids := []struct {
		id   string
		want string // escaped segment
	}{
		{"github", "github"},
		{"a/b", "a%2Fb"},
		{"..", "%2E%2E"},
		{".", "%2E"},
		{"...", "%2E%2E%2E"},
		{"a b", "a%20b"},
		{"x%2Fy", "x%252Fy"},
		{"ü", "%C3%BC"},
		{"a?b#c", "a%3Fb%23c"},
		{"a;b", "a%3Bb"},
		{"../../etc", "..%2F..%2Fetc"},
		{`a\b`, "a%5Cb"},
	}
	methods := []struct {
		name   string
		suffix string
		call   func(ctx context.Context, c *Client, id string) error
	}{
		{"GetIntegrationConfig", "/config", func(ctx context.Context, c *Client, id string) error {
			_, err := c.GetIntegrationConfig(ctx, id)
			return err
		}},
		{"UpdateIntegrationConfig", "", func(ctx context.Context, c *Client, id string) error {
			_, err := c.UpdateIntegrationConfig(ctx, id, map[string]any{"k": "v"})
			return err
		}},
		{"RemoveIntegration", "", func(ctx context.Context, c *Client, id string) error {
			return c.RemoveIntegration(ctx, id)
		}},
	}
	for _, m := range methods {
		for _, tt := range ids {
			t.Run(m.name+"/"+tt.id, func(t *testing.T) {
				u := newUpstream(t, answer(200, `{"data":{}}`))
				c := newClient(t, u.URL+"/p")
				if err := m.call(t.Context(), c, tt.id); err != nil {
					t.Fatalf("call: %v", err)
				}
				r := u.only(t)
				want := "/p/agent/integrations/" + tt.want + m.suffix
				if r.EscapedPath != want {
					t.Errorf("path = %s, want %s", r.EscapedPath, want)
				}
				segs := strings.Split(r.EscapedPath, "/")
				wantSegs := 5
				if m.suffix != "" {
					wantSegs++
				}
				if len(segs) != wantSegs {
					t.Fatalf("path %s has %d segments, want %d", r.EscapedPath, len(segs), wantSegs)
				}
				seg := segs[4]
				if seg == "." || seg == ".." {
					t.Errorf("segment %q is a dot segment", seg)
				}
				if got, err := url.PathUnescape(seg); err != nil || got != tt.id {
					t.Errorf("segment %q unescapes to %q (%v), want %q", seg, got, err, tt.id)
				}
			})
		}
	}
}

// TestInvalidArguments checks that refused arguments make no request.
func TestInvalidArguments(t *testing.T) {
	tests := []struct {
		name string
		call func(ctx context.Context, c *Client) error
	}{
		{"GetIntegrationConfig empty id", func(ctx context.Context, c *Client) error {
			_, err := c.GetIntegrationConfig(ctx, "")
			return err
		}},
		{"UpdateIntegrationConfig empty id", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateIntegrationConfig(ctx, "", map[string]any{"a": 1})
			return err
		}},
		{"RemoveIntegration empty id", func(ctx context.Context, c *Client) error {
			return c.RemoveIntegration(ctx, "")
		}},
		{"InstallIntegration empty id", func(ctx context.Context, c *Client) error {
			_, err := c.InstallIntegration(ctx, InstallRequest{Version: "1.0.0"})
			return err
		}},
		{"GetOAuthURL empty provider", func(ctx context.Context, c *Client) error {
			_, err := c.GetOAuthURL(ctx, "", []string{"repo"})
			return err
		}},
		{"GetOAuthURL empty scope", func(ctx context.Context, c *Client) error {
			_, err := c.GetOAuthURL(ctx, "github", []string{"repo", ""})
			return err
		}},
		{"GetOAuthURL scope with the separator", func(ctx context.Context, c *Client) error {
			_, err := c.GetOAuthURL(ctx, "github", []string{"repo,read:org"})
			return err
		}},
		{"GetOAuthStatus empty provider", func(ctx context.Context, c *Client) error {
			_, err := c.GetOAuthStatus(ctx, "")
			return err
		}},
		{"UpdateIntegrationConfig unencodable config", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateIntegrationConfig(ctx, "github", map[string]any{"f": func() {}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var observed atomic.Int32
			u := newUpstream(t, answer(200, `{"data":{}}`))
			c := newClient(t, u.URL, func(o *Options) {
				o.Observe = func(context.Context, Exchange) { observed.Add(1) }
			})
			err := tt.call(t.Context(), c)
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidArgument", err)
			}
			if n := len(u.requests()); n != 0 {
				t.Errorf("upstream got %d requests, want none", n)
			}
			if n := observed.Load(); n != 0 {
				t.Errorf("Observe called %d times, want 0", n)
			}
		})
	}
}

// TestCustomHTTPClient checks that Options.HTTPClient carries the requests.
func TestCustomHTTPClient(t *testing.T) {
	u := newUpstream(t, answer(200, `{"data":[]}`))
	var trips atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		trips.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newClient(t, u.URL, func(o *Options) { o.HTTPClient = hc })
	if _, err := c.ListIntegrations(t.Context()); err != nil {
		t.Fatal(err)
	}
	if trips.Load() != 1 {
		t.Errorf("custom client carried %d requests, want 1", trips.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestResponseTooLarge(t *testing.T) {
	const limit = 1024
	envelope := func(n int) string { // a valid envelope of exactly n bytes
		s := `{"data":[]}`
		return s + strings.Repeat(" ", n-len(s))
	}
	tests := []struct {
		name    string
		status  int
		body    string
		chunked bool
		wantErr bool
	}{
		{name: "at the limit", status: 200, body: envelope(limit)},
		{name: "at the limit chunked", status: 200, body: envelope(limit), chunked: true},
		{name: "one over with length", status: 200, body: envelope(limit + 1), wantErr: true},
		{name: "one over chunked", status: 200, body: envelope(limit + 1), chunked: true, wantErr: true},
		{name: "far over with length", status: 200, body: envelope(64 * limit), wantErr: true},
		{name: "error answer over with length", status: 500, body: strings.Repeat("x", 2*limit), wantErr: true},
		{name: "error answer over chunked", status: 500, body: strings.Repeat("x", 2*limit), chunked: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(tt.body)))
				}
				w.WriteHeader(tt.status)
				if tt.chunked { // flush in small pieces so that no length is known
					for i := 0; i < len(tt.body); i += 100 {
						_, _ = io.WriteString(w, tt.body[i:min(i+100, len(tt.body))])
						w.(http.Flusher).Flush()
					}
					return
				}
				_, _ = io.WriteString(w, tt.body)
			})
			c := newClient(t, u.URL, func(o *Options) { o.MaxResponseBytes = limit })
			_, err := c.ListIntegrations(t.Context())
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("err = %v, want one wrapping ErrResponseTooLarge", err)
			}
			if !strings.Contains(err.Error(), "GET /agent/integrations") {
				t.Errorf("err %q does not name the request", err)
			}
		})
	}
}

// TestResponseTooLargeStreamNotReadWhole streams an answer that never ends
// until the client goes away: the client must give up after the cap, not
// read on until its timeout.
func TestResponseTooLargeStreamNotReadWhole(t *testing.T) {
	const limit = 4096
	var written atomic.Int64
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"data":[`)
		chunk := strings.Repeat(`"xxxxxxxxxxxxxx",`, 1024)
		for written.Load() < 8<<20 {
			n, err := io.WriteString(w, chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done() // never end the body: only the client can
	})
	c := newClient(t, u.URL, func(o *Options) {
		o.MaxResponseBytes = limit
		o.Timeout = 30 * time.Second
	})
	_, err := c.ListIntegrations(t.Context())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want one wrapping ErrResponseTooLarge", err)
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		t.Fatalf("err = %v: the client read the stream until its timeout", err)
	}
}

// TestResponseTooLargeByLength checks that an answer whose Content-Length is
// over the cap is refused without reading it: the body here never arrives.
func TestResponseTooLargeByLength(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(1<<30))
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"data":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newClient(t, u.URL, func(o *Options) { o.MaxResponseBytes = 4096 })
	_, err := c.GetRegistry(t.Context())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want one wrapping ErrResponseTooLarge", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(1<<30)) {
		t.Errorf("err %q does not give the announced size", err)
	}
}

// TestTimeouts checks that stalls give a *TimeoutError that is a
// context.DeadlineExceeded.
func TestTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"headers stall", func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"body stalls after headers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"data":[`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
		{"error body stalls after headers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"error":`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var evs []Exchange
			u := newUpstream(t, tt.handler)
			c := newClient(t, u.URL, func(o *Options) {
				o.Timeout = 100 * time.Millisecond
				o.Observe = func(_ context.Context, ev Exchange) {
					mu.Lock()
					evs = append(evs, ev)
					mu.Unlock()
				}
			})
			_, err := c.ListIntegrations(t.Context())
			var te *TimeoutError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want a *TimeoutError", err, err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(err, context.DeadlineExceeded) = false for %v", err)
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("a timeout is reported as a cancellation: %v", err)
			}
			if te.Method != "GET" || te.Path != "/agent/integrations" || te.After != 100*time.Millisecond {
				t.Errorf("TimeoutError = %+v", te)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(evs) != 1 || evs[0].Err != err {
				t.Errorf("Observe got %+v, want one exchange with the returned error", evs)
			}
		})
	}
}

// TestCallerDeadlineWithoutClientTimeout checks a caller's deadline when the
// client's own timeout is disabled.
func TestCallerDeadlineWithoutClientTimeout(t *testing.T) {
	u := newUpstream(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newClient(t, u.URL, func(o *Options) { o.Timeout = -1 })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.ListIntegrations(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestCancellation checks that a caller's cancellation is reported as such,
// not as a timeout.
func TestCancellation(t *testing.T) {
	errShutdown := errors.New("shutting down")
	tests := []struct {
		name      string
		ctx       func(parent context.Context) (context.Context, func())
		wantCause error
	}{
		{"cancel", func(p context.Context) (context.Context, func()) {
			ctx, cancel := context.WithCancel(p)
			return ctx, cancel
		}, nil},
		{"cancel with cause", func(p context.Context) (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(p)
			return ctx, func() { cancel(errShutdown) }
		}, errShutdown},
	}
	stalls := []struct {
		name    string
		handler func(arrived chan<- struct{}) http.HandlerFunc
	}{
		{"before headers", func(arrived chan<- struct{}) http.HandlerFunc {
			return func(_ http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
		{"during body", func(arrived chan<- struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				_, _ = io.WriteString(w, `{"data":[`)
				w.(http.Flusher).Flush()
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
	}
	for _, tt := range tests {
		for _, st := range stalls {
			t.Run(tt.name+"/"+st.name, func(t *testing.T) {
				arrived := make(chan struct{}, 1)
				u := newUpstream(t, st.handler(arrived))
				c := newClient(t, u.URL)
				ctx, cancel := tt.ctx(t.Context())
				go func() {
					<-arrived
					cancel()
				}()
				_, err := c.ListIntegrations(ctx)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v (%T), want one satisfying errors.Is(err, context.Canceled)", err, err)
				}
				var te *TimeoutError
				if errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("a cancellation is reported as a timeout: %v", err)
				}
				if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
					t.Errorf("err = %v, want it to carry the cause %v", err, tt.wantCause)
				}
			})
		}
	}
	t.Run("already cancelled", func(t *testing.T) {
		u := newUpstream(t, answer(200, `{"data":[]}`))
		c := newClient(t, u.URL)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.ListIntegrations(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := len(u.requests()); n != 0 {
			t.Errorf("upstream got %d requests after cancellation", n)
		}
	})
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

func TestNetworkErrors(t *testing.T) {
	tests := []struct {
		name     string
		base     func(t *testing.T) string
		attempts int // GET retries failures before any answer arrived
	}{
		{"connection refused", func(t *testing.T) string { return "http://" + closedAddr(t) }, DefaultMaxAttempts},
		{"connection reset", func(t *testing.T) string {
			return newUpstream(t, hijacker(t, func(conn net.Conn) {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close with RST
				}
				conn.Close()
			})).URL
		}, DefaultMaxAttempts},
		{"connection closed mid-body", func(t *testing.T) string {
			return newUpstream(t, hijacker(t, func(conn net.Conn) {
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":[")
				conn.Close()
			})).URL
		}, 1},
		{"malformed answer", func(t *testing.T) string {
			return newUpstream(t, hijacker(t, func(conn net.Conn) {
				_, _ = io.WriteString(conn, "this is not HTTP\r\n\r\n")
				conn.Close()
			})).URL
		}, DefaultMaxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var evs []Exchange
			var mu sync.Mutex
			c := newClient(t, tt.base(t), func(o *Options) {
				o.Observe = func(_ context.Context, ev Exchange) {
					mu.Lock()
					evs = append(evs, ev)
					mu.Unlock()
				}
			})
			_, err := c.ListIntegrations(t.Context())
			var ne *NetworkError
			if !errors.As(err, &ne) {
				t.Fatalf("err = %v (%T), want a *NetworkError", err, err)
			}
			if ne.Err == nil || ne.Method != "GET" || ne.Path != "/agent/integrations" {
				t.Errorf("NetworkError = %+v", ne)
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a network error is reported as a context error: %v", err)
			}
			if !strings.Contains(err.Error(), "GET /agent/integrations") {
				t.Errorf("err %q does not name the request", err)
			}
			if ne.Attempts != tt.attempts {
				t.Errorf("NetworkError.Attempts = %d, want %d", ne.Attempts, tt.attempts)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(evs) != tt.attempts || evs[len(evs)-1].Err != err {
				t.Fatalf("Observe got %+v, want %d exchanges, the last with the returned error", evs, tt.attempts)
			}
			for i, ev := range evs {
				if ev.Attempt != i+1 {
					t.Errorf("exchange %d has Attempt %d", i, ev.Attempt)
				}
				if tt.name != "connection closed mid-body" && ev.StatusCode != 0 {
					t.Errorf("Observe status = %d, want 0 when no answer arrived", ev.StatusCode)
				}
			}
		})
	}
	t.Run("refused is a net.OpError", func(t *testing.T) {
		c := newClient(t, "http://"+closedAddr(t))
		_, err := c.Whoami(t.Context())
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("err = %v: its chain lost the *net.OpError", err)
		}
	})
}

// barrier releases its waiters once n of them have arrived, or fails them
// after a generous deadline instead of hanging the test.
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

// wait returns false when the others did not arrive in time.
func (b *barrier) wait(ctx context.Context) bool {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return true
	case <-ctx.Done():
		return false
	case <-time.After(15 * time.Second):
		return false
	}
}

// TestConnectionReuse holds n concurrent requests at once, twice: the second
// round, half of it through WithAPIKey copies, must reuse the first round's
// connections.
func TestConnectionReuse(t *testing.T) {
	const n = 16
	var (
		newConns atomic.Int64
		bar      atomic.Pointer[barrier]
		mu       sync.Mutex
		keys     = map[string]int{}
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bar.Load().wait(r.Context()) {
			http.Error(w, "barrier: not all requests arrived in time", http.StatusGatewayTimeout)
			return
		}
		mu.Lock()
		keys[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":[]}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(o *Options) { o.Timeout = 30 * time.Second })

	round := func(clientFor func(i int) *Client) {
		t.Helper()
		bar.Store(newBarrier(n))
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, err := clientFor(i).ListIntegrations(t.Context())
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("request: %v", err)
			}
		}
	}

	round(func(int) *Client { return c })
	warm := newConns.Load()
	if warm != n {
		t.Errorf("warm-up round opened %d connections, want %d", warm, n)
	}

	round(func(i int) *Client {
		if i%2 == 0 {
			return c
		}
		return c.WithAPIKey(fmt.Sprintf("copy-key-%d", i))
	})
	if got := newConns.Load(); got != warm {
		t.Errorf("second round opened %d new connections, want 0", got-warm)
	}

	mu.Lock()
	defer mu.Unlock()
	if keys[testKey] != n+n/2 {
		t.Errorf("original key sent %d times, want %d", keys[testKey], n+n/2)
	}
	for i := 1; i < n; i += 2 {
		if k := fmt.Sprintf("copy-key-%d", i); keys[k] != 1 {
			t.Errorf("copy key %s sent %d times, want 1", k, keys[k])
		}
	}
}

func TestWithAPIKey(t *testing.T) {
	u := newUpstream(t, answer(200, `{"data":{"agentId":"agt_1","tenantId":"t"}}`))
	c := newClient(t, u.URL)
	cp := c.WithAPIKey("other-key")
	if cp == c {
		t.Fatal("WithAPIKey returned the same client")
	}
	if cp.BaseURL() != c.BaseURL() || cp.Timeout() != c.Timeout() {
		t.Errorf("copy has base %q timeout %v, want %q %v", cp.BaseURL(), cp.Timeout(), c.BaseURL(), c.Timeout())
	}
	for _, step := range []struct {
		c    *Client
		want string
	}{{cp, "other-key"}, {c, testKey}, {cp, "other-key"}} {
		if _, err := step.c.Whoami(t.Context()); err != nil {
			t.Fatal(err)
		}
		reqs := u.requests()
		checkHeader(t, reqs[len(reqs)-1].Header, "Authorization", "Bearer "+step.want)
	}
}

// TestObserve checks that the hook sees each exchange once, with its
// outcome.
func TestObserve(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		call    func(ctx context.Context, c *Client) error
		method  string
		path    string
		status  int
		wantErr bool
		maxBody int64
	}{
		{
			name:    "success",
			handler: answer(200, `{"data":{"defaultBranch":"main"}}`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetIntegrationConfig(ctx, "a/b")
				return err
			},
			method: "GET", path: "/agent/integrations/a%2Fb/config", status: 200,
		},
		{
			name:    "no content",
			handler: answer(204, ""),
			call:    func(ctx context.Context, c *Client) error { return c.RemoveIntegration(ctx, "..") },
			method:  "DELETE", path: "/agent/integrations/%2E%2E", status: 204,
		},
		{
			name:    "api error",
			handler: answer(404, `{"error":{"code":"not_found","message":"not installed"}}`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", map[string]any{"a": 1})
				return err
			},
			method: "PATCH", path: "/agent/integrations/github", status: 404, wantErr: true,
		},
		{
			name:    "decode error of the envelope",
			handler: answer(200, `not json`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github"})
				return err
			},
			method: "POST", path: "/agent/integrations", status: 200, wantErr: true,
		},
		{
			name:    "too large",
			handler: answer(200, `{"data":[`+strings.Repeat(`1,`, 100)+`1]}`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", []string{"repo"})
				return err
			},
			method: "GET", path: "/agent/integrations/oauth/url", status: 200, wantErr: true, maxBody: 50,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var evs []Exchange
			u := newUpstream(t, tt.handler)
			c := newClient(t, u.URL, func(o *Options) {
				o.MaxResponseBytes = tt.maxBody
				o.Observe = func(ctx context.Context, ev Exchange) {
					if ctx == nil {
						t.Error("Observe got a nil context")
					}
					mu.Lock()
					evs = append(evs, ev)
					mu.Unlock()
				}
			})
			err := tt.call(t.Context(), c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(evs) != 1 {
				t.Fatalf("Observe called %d times, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Method != tt.method || ev.Path != tt.path || ev.StatusCode != tt.status {
				t.Errorf("Exchange = %s %s %d, want %s %s %d", ev.Method, ev.Path, ev.StatusCode, tt.method, tt.path, tt.status)
			}
			if ev.Err != err {
				t.Errorf("Exchange.Err = %v, want the returned error %v", ev.Err, err)
			}
			if ev.Duration < 0 {
				t.Errorf("Exchange.Duration = %v", ev.Duration)
			}
		})
	}
	t.Run("data of the wrong shape", func(t *testing.T) {
		// The envelope decodes, so the exchange succeeded; the method's own
		// check of the data fails the call after it.
		var evs []Exchange
		u := newUpstream(t, answer(200, `{"data":"not an object"}`))
		c := newClient(t, u.URL, func(o *Options) {
			o.Observe = func(_ context.Context, ev Exchange) { evs = append(evs, ev) }
		})
		_, err := c.Whoami(t.Context())
		asDecodeError(t, err)
		if len(evs) != 1 || evs[0].Err != nil || evs[0].StatusCode != 200 {
			t.Fatalf("Observe got %+v, want one exchange with status 200 and no error", evs)
		}
	})
	t.Run("no response", func(t *testing.T) {
		var evs []Exchange
		c := newClient(t, "http://"+closedAddr(t), func(o *Options) {
			o.Observe = func(_ context.Context, ev Exchange) { evs = append(evs, ev) }
		})
		_, err := c.GetOAuthStatus(t.Context(), "github")
		if len(evs) != DefaultMaxAttempts || err == nil || evs[len(evs)-1].Err != err {
			t.Fatalf("Observe got %+v for err %v, want %d exchanges, the last with the error", evs, err, DefaultMaxAttempts)
		}
		for i, ev := range evs {
			if ev.StatusCode != 0 || ev.Attempt != i+1 || ev.Path != "/agent/integrations/oauth/status" || ev.Method != "GET" {
				t.Errorf("exchange %d = %+v, want GET /agent/integrations/oauth/status, status 0, attempt %d", i, ev, i+1)
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var count atomic.Int32
		u := newUpstream(t, answer(200, `{"data":[]}`))
		c := newClient(t, u.URL, func(o *Options) {
			o.Observe = func(context.Context, Exchange) { count.Add(1) }
		})
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { _, _ = c.ListIntegrations(t.Context()) })
		}
		wg.Wait()
		if count.Load() != 20 {
			t.Errorf("Observe called %d times for 20 calls", count.Load())
		}
	})
}

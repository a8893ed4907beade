package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// The requests each method sends: route, query, headers and body, the
// escaping of ids in paths, and the arguments refused before any request.

// TestRequests checks the exact request every method sends.
func TestRequests(t *testing.T) {
	tests := []struct {
		name     string
		call     func(ctx context.Context, c *Client) error
		response string // 200 body; "" responds 204
		method   string
		path     string
		query    string // decoded with url.ParseQuery and compared (a parameter sent twice has two values); "" means no query at all
		body     string // JSON; "" means no body
	}{
		{
			name:     "ListIntegrations",
			call:     func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err },
			response: `{"data":[]}`,
			method:   "GET", path: "/agent/integrations",
		},
		{
			name:     "GetRegistry",
			call:     func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err },
			response: `{"data":{"integrations":[]}}`,
			method:   "GET", path: "/integrations/registry",
		},
		{
			name: "InstallIntegration id only",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github"})
				return err
			},
			response: `{"data":{"integrationId":"github","status":"installed"}}`,
			method:   "POST", path: "/agent/integrations",
			body: `{"integrationId":"github"}`,
		},
		{
			name: "InstallIntegration empty config is omitted",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github", Config: map[string]any{}})
				return err
			},
			response: `{"data":{"integrationId":"github"}}`,
			method:   "POST", path: "/agent/integrations",
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
			response: `{"data":{"integrationId":"memory"}}`,
			method:   "POST", path: "/agent/integrations",
			body: `{"integrationId":"memory","version":"1.0.5","config":{"autoCapture":true,"captureMaxChars":500}}`,
		},
		{
			name: "GetIntegrationConfig",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetIntegrationConfig(ctx, "github")
				return err
			},
			response: `{"data":{"defaultBranch":"main"}}`,
			method:   "GET", path: "/agent/integrations/github/config",
		},
		{
			name: "UpdateIntegrationConfig",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", map[string]any{"defaultBranch": "develop"})
				return err
			},
			response: `{"data":{"integrationId":"github"}}`,
			method:   "PATCH", path: "/agent/integrations/github",
			body: `{"config":{"defaultBranch":"develop"}}`,
		},
		{
			name: "UpdateIntegrationConfig nil config",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", nil)
				return err
			},
			response: `{"data":null}`,
			method:   "PATCH", path: "/agent/integrations/github",
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
			response: `{"data":{"url":"https://github.com/login/oauth/authorize?x=1","expiresIn":600}}`,
			method:   "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github&scopes=repo,read:org",
		},
		{
			name: "GetOAuthURL three scopes, one parameter",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", []string{"repo", "read:org", "user:email"})
				return err
			},
			response: `{"data":{"url":"https://x.test/consent"}}`,
			method:   "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github&scopes=repo,read:org,user:email",
		},
		{
			name: "GetOAuthURL one scope",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "google", []string{"email"})
				return err
			},
			response: `{"data":{"url":"https://accounts.google.com/o/oauth2"}}`,
			method:   "GET", path: "/agent/integrations/oauth/url",
			query: "provider=google&scopes=email",
		},
		{
			name: "GetOAuthURL nil scopes",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", nil)
				return err
			},
			response: `{"data":{"url":"https://github.com/login/oauth/authorize"}}`,
			method:   "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github",
		},
		{
			name: "GetOAuthURL empty scopes",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", []string{})
				return err
			},
			response: `{"data":{"url":"https://github.com/login/oauth/authorize"}}`,
			method:   "GET", path: "/agent/integrations/oauth/url",
			query: "provider=github",
		},
		{
			name:     "GetOAuthStatus",
			call:     func(ctx context.Context, c *Client) error { _, err := c.GetOAuthStatus(ctx, "github"); return err },
			response: `{"data":{"provider":"github","connected":true}}`,
			method:   "GET", path: "/agent/integrations/oauth/status",
			query: "provider=github",
		},
		{
			name:     "Whoami",
			call:     func(ctx context.Context, c *Client) error { _, err := c.Whoami(ctx); return err },
			response: `{"data":{"agentId":"agt_1","tenantId":"ten_1"}}`,
			method:   "GET", path: "/agent/identity/whoami",
		},
	}
	for _, prefix := range []string{"", "/prefix", "/prefix/", "/a/b%20c/"} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/base%s", tt.name, strings.ReplaceAll(prefix, "/", "_")), func(t *testing.T) {
				status := http.StatusOK
				if tt.response == "" {
					status = http.StatusNoContent
				}
				u := newUpstream(t, respond(status, tt.response))
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

func TestDefaultUserAgent(t *testing.T) {
	u := newUpstream(t, respond(200, `{"data":[]}`))
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
				u := newUpstream(t, respond(200, `{"data":{}}`))
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
			u := newUpstream(t, respond(200, `{"data":{}}`))
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

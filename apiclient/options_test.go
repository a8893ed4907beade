package apiclient

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
)

// New and its Options: the base URL, the defaults, a custom HTTP client and
// copies made by WithAPIKey.

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

// TestCustomHTTPClient checks that Options.HTTPClient carries the requests.
func TestCustomHTTPClient(t *testing.T) {
	u := newUpstream(t, respond(200, `{"data":[]}`))
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

func TestWithAPIKey(t *testing.T) {
	u := newUpstream(t, respond(200, `{"data":{"agentId":"agt_1","tenantId":"t"}}`))
	c := newClient(t, u.URL)
	cp := c.WithAPIKey("other_key_0123456789")
	if cp == c {
		t.Fatal("WithAPIKey returned the same client")
	}
	if cp.BaseURL() != c.BaseURL() || cp.Timeout() != c.Timeout() {
		t.Errorf("copy has base %q timeout %v, want %q %v", cp.BaseURL(), cp.Timeout(), c.BaseURL(), c.Timeout())
	}
	for _, step := range []struct {
		c    *Client
		want string
	}{{cp, "other_key_0123456789"}, {c, testKey}, {cp, "other_key_0123456789"}} {
		if _, err := step.c.Whoami(t.Context()); err != nil {
			t.Fatal(err)
		}
		reqs := u.requests()
		checkHeader(t, reqs[len(reqs)-1].Header, "Authorization", "Bearer "+step.want)
	}
}

package apiclient

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The Observe hook: one Exchange per attempt, with its outcome.

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
			handler: respond(200, `{"data":{"defaultBranch":"main"}}`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetIntegrationConfig(ctx, "a/b")
				return err
			},
			method: "GET", path: "/agent/integrations/a%2Fb/config", status: 200,
		},
		{
			name:    "no content",
			handler: respond(204, ""),
			call:    func(ctx context.Context, c *Client) error { return c.RemoveIntegration(ctx, "..") },
			method:  "DELETE", path: "/agent/integrations/%2E%2E", status: 204,
		},
		{
			name:    "api error",
			handler: respond(404, `{"error":{"code":"not_found","message":"not installed"}}`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", map[string]any{"a": 1})
				return err
			},
			method: "PATCH", path: "/agent/integrations/github", status: 404, wantErr: true,
		},
		{
			name:    "decode error of the envelope",
			handler: respond(200, `not json`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github"})
				return err
			},
			method: "POST", path: "/agent/integrations", status: 200, wantErr: true,
		},
		{
			name:    "too large",
			handler: respond(200, `{"data":[`+strings.Repeat(`1,`, 100)+`1]}`),
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetOAuthURL(ctx, "github", []string{"repo"})
				return err
			},
			method: "GET", path: "/agent/integrations/oauth/url", status: 200, wantErr: true, maxBody: 50,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log exchangeLog
			u := newUpstream(t, tt.handler)
			c := newClient(t, u.URL, func(o *Options) {
				o.MaxResponseBytes = tt.maxBody
				o.Observe = func(ctx context.Context, ev Exchange) {
					if ctx == nil {
						t.Error("Observe got a nil context")
					}
					log.observe(ctx, ev)
				}
			})
			err := tt.call(t.Context(), c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			evs := log.exchanges()
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
		var log exchangeLog
		u := newUpstream(t, respond(200, `{"data":"not an object"}`))
		c := newClient(t, u.URL, func(o *Options) { o.Observe = log.observe })
		_, err := c.Whoami(t.Context())
		asDecodeError(t, err)
		if evs := log.exchanges(); len(evs) != 1 || evs[0].Err != nil || evs[0].StatusCode != 200 {
			t.Fatalf("Observe got %+v, want one exchange with status 200 and no error", evs)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var count atomic.Int32
		u := newUpstream(t, respond(200, `{"data":[]}`))
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

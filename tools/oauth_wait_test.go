package tools_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// statusUpstream serves GET /agent/integrations/oauth/status, counting the
// polls of each provider; a provider is connected from its connectAt-th poll
// on (never when connectAt is 0).
type statusUpstream struct {
	*countingUpstream
	connectAt int64
	mu        sync.Mutex
	polls     map[string]int64
}

func newStatusUpstream(t *testing.T, connectAt int64) *statusUpstream {
	t.Helper()
	u := &statusUpstream{connectAt: connectAt, polls: map[string]int64{}}
	u.countingUpstream = newCountingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/agent/integrations/oauth/status" {
			writeJSON(w, http.StatusNotFound, `{"error":{"message":"no such route"}}`)
			return
		}
		provider := r.URL.Query().Get("provider")
		u.mu.Lock()
		u.polls[provider]++
		n := u.polls[provider]
		u.mu.Unlock()
		writeData(w, http.StatusOK, map[string]any{"provider": provider, "connected": u.connectAt > 0 && n >= u.connectAt})
	}))
	return u
}

func (u *statusUpstream) pollsOf(provider string) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.polls[provider]
}

// progressLog collects the notifications/progress a client receives.
type progressLog struct {
	mu     sync.Mutex
	byTok  map[string][]map[string]any
	others int // progress notifications whose token is not a string
}

func collectProgress(c *client.Client) *progressLog {
	p := &progressLog{byTok: map[string][]map[string]any{}}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" {
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		fields := n.Params.AdditionalFields
		if tok, ok := fields["progressToken"].(string); ok {
			p.byTok[tok] = append(p.byTok[tok], fields)
		} else {
			p.others++
		}
	})
	return p
}

func (p *progressLog) count(tok string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byTok[tok])
}

// TestOAuthStatusWaitReturnsOnConnection: with waitSeconds, get_oauth_status
// returns as soon as the account is connected (on the upstream's 3rd poll,
// long before the 50 s are over), and sends notifications/progress while it
// waits only when the request carries a progress token.
func TestOAuthStatusWaitReturnsOnConnection(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		upstream := newStatusUpstream(t, 3)
		f := newFixture(t, upstream.URL, serverOptions{})
		c := f.connect(t, e, tr)
		progress := collectProgress(c)

		calls := []struct {
			provider string
			token    string // "" sends no _meta at all
		}{
			{"github", "tok-github"},
			{"google", ""},
			{"slack", "tok-slack"},
		}
		for _, call := range calls {
			var meta *mcp.Meta
			if call.token != "" {
				meta = &mcp.Meta{ProgressToken: call.token}
			}
			res, err := callToolErr(context.Background(), c, "get_oauth_status", map[string]any{"provider": call.provider, "waitSeconds": 50}, meta)
			if err != nil {
				t.Fatalf("%s: %v", call.provider, err)
			}
			out := wantSuccess(t, res)
			if out["connected"] != true || out["provider"] != call.provider {
				t.Errorf("%s: result %v, want connected", call.provider, out)
			}
			// Connected on the 3rd poll, so exactly 3 polls: the call did not
			// wait out its 50 seconds (about 5000 polls at this interval).
			if n := upstream.pollsOf(call.provider); n != 3 {
				t.Errorf("%s: upstream polled %d times, want 3", call.provider, n)
			}
		}

		// Notifications reach the client in the order the server sends them,
		// so once tok-slack's two have arrived, any from the earlier calls
		// (with tok-github, or without a token) have arrived too.
		waitFor(t, "the progress notifications of the last call did not arrive", func() bool { return progress.count("tok-slack") >= 2 })
		progress.mu.Lock()
		defer progress.mu.Unlock()
		if progress.others != 0 || len(progress.byTok) != 2 {
			t.Errorf("progress notifications for tokens %v and %d without a string token; want only tok-github and tok-slack (none for the call without a token)",
				keys(progress.byTok), progress.others)
		}
		for _, tok := range []string{"tok-github", "tok-slack"} {
			got := progress.byTok[tok]
			if len(got) != 2 { // one after each of the 2 polls that found no connection
				t.Errorf("%s: %d progress notifications, want 2", tok, len(got))
			}
			last := -1.0
			for _, n := range got {
				p, _ := n["progress"].(float64)
				if p <= last {
					t.Errorf("%s: progress %v does not increase (after %v)", tok, p, last)
				}
				last = p
				if n["total"] != float64(50) {
					t.Errorf("%s: total = %v, want 50", tok, n["total"])
				}
				if msg, _ := n["message"].(string); !strings.Contains(msg, strings.TrimPrefix(tok, "tok-")) {
					t.Errorf("%s: message %q does not name the provider", tok, msg)
				}
			}
		}
	})
}

// TestOAuthStatusWaitZeroChecksOnce: without waitSeconds, one poll.
func TestOAuthStatusWaitZeroChecksOnce(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		upstream := newStatusUpstream(t, 0)
		f := newFixture(t, upstream.URL, serverOptions{})
		c := f.connect(t, e, tr)
		for _, args := range []map[string]any{{"provider": "notion"}, {"provider": "notion", "waitSeconds": 0}} {
			before := upstream.pollsOf("notion")
			out := wantSuccess(t, callTool(t, c, "get_oauth_status", args))
			if out["connected"] != false {
				t.Errorf("result %v, want not connected", out)
			}
			if n := upstream.pollsOf("notion") - before; n != 1 {
				t.Errorf("%v: %d polls, want 1", args, n)
			}
		}
	})
}

// TestOAuthStatusWaitStopsWhenCancelled cancels a waiting get_oauth_status:
// polling stops at once (at most one poll already under way gets through) and
// the server keeps serving. In process, the call's context is the handler's;
// over stdio, mcp-go's client sends notifications/cancelled.
func TestOAuthStatusWaitStopsWhenCancelled(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		upstream := newStatusUpstream(t, 0) // never connected
		f := newFixture(t, upstream.URL, serverOptions{})
		c := f.connect(t, e, tr)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := callToolErr(ctx, c, "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": 50}, nil)
			done <- err
		}()
		waitFor(t, "get_oauth_status never polled 3 times", func() bool { return upstream.pollsOf("github") >= 3 })
		atCancel := upstream.pollsOf("github")
		cancel()

		select {
		case <-done: // a result (in process) or the context's error (stdio)
		case <-time.After(waitLimit):
			t.Fatalf("the cancelled call did not return within %s", waitLimit)
		}
		// The server logs the call when its handler has returned: with the
		// cancellation ignored, that would take the full 50 seconds.
		waitFor(t, "the handler did not stop after the cancellation", func() bool {
			return logLine(f.logs.String(), "tool call", "tool=get_oauth_status") != ""
		})
		time.Sleep(3 * pollInterval) // room for polls that should not happen
		if extra := upstream.pollsOf("github") - atCancel; extra > 1 {
			t.Errorf("upstream polled %d more times after the cancellation, want at most 1", extra)
		}

		out := wantSuccess(t, callTool(t, c, "get_oauth_status", map[string]any{"provider": "google"}))
		if out["provider"] != "google" {
			t.Errorf("call after the cancellation = %v", out)
		}
	})
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

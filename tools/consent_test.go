package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// urlCaps declares URL-mode elicitation (and forms), formCaps forms only.
var (
	urlCaps  = mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{Form: &struct{}{}, URL: &struct{}{}}}
	formCaps = mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{Form: &struct{}{}}}
)

// host is a client's UI as a person uses it: it shows the consent page the
// server asks it to (URL mode), and the person responds with action; with
// approve, the person also approves on the sandbox's consent page, through
// its HTTP endpoint, before the host responds. With fail, the host's
// handler fails instead; with block, the person never responds.
type host struct {
	action        mcp.ElicitationResponseAction
	approve, fail bool
	block         bool
	sandbox       *sandbox.Server

	testutil.Changes // Changed when a request is shown or a completion arrives
	mu               sync.Mutex
	shown            []mcp.ElicitationParams
	completed        []string // the elicitationIds of notifications/elicitation/complete
	released         chan struct{}
	releaseOnce      sync.Once
}

func newHost(sb *sandbox.Server, action mcp.ElicitationResponseAction) *host {
	return &host{sandbox: sb, action: action, released: make(chan struct{})}
}

func (h *host) release() { h.releaseOnce.Do(func() { close(h.released) }) }

// Elicit shows the request to the person.
func (h *host) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	h.mu.Lock()
	h.shown = append(h.shown, req.Params)
	h.mu.Unlock()
	h.Changed()
	switch {
	case h.fail:
		return nil, errors.New("Method not found")
	case h.block:
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-h.released:
			return nil, errors.New("the test ended")
		}
	}
	if h.approve && req.Params.Mode == mcp.ElicitationModeURL {
		if err := testutil.Decide(ctx, req.Params.URL, "approve"); err != nil {
			return nil, err
		}
	}
	res := &mcp.ElicitationResult{}
	res.Action = h.action
	return res, nil
}

// listen records the client's notifications/elicitation/complete.
func (h *host) listen(c *client.Client) {
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/elicitation/complete" {
			return
		}
		id, _ := n.Params.AdditionalFields["elicitationId"].(string)
		h.mu.Lock()
		h.completed = append(h.completed, id)
		h.mu.Unlock()
		h.Changed()
	})
}

func (h *host) requests() []mcp.ElicitationParams {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]mcp.ElicitationParams(nil), h.shown...)
}

func (h *host) completions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.completed...)
}

// TestConsentShownByTheHost: get_oauth_url over stdio with mcp-go's
// client, in both eras, for each kind of client and each way the person
// and the client can respond. A client that declared URL mode is asked to
// show the page (mode url, an elicitationId, a message naming the provider
// and the scopes); the result never carries the URL then, and once the
// person approved on the sandbox's consent page the call returns connected
// and the client gets notifications/elicitation/complete for that
// elicitationId. Any other client gets the link. No failure is a protocol
// error.
func TestConsentShownByTheHost(t *testing.T) {
	rows := []struct {
		name    string
		caps    mcp.ClientCapabilities
		action  mcp.ElicitationResponseAction
		approve bool
		fail    bool
		tamper  func(era string) lineRewrite
		ttl     time.Duration // the sandbox's consent page lifetime; 0: 10 minutes
		want    schemasStatus
		asked   bool     // the host was asked to show the page
		note    []string // fragments of a second text block
	}{
		{name: "approved", caps: urlCaps, action: mcp.ElicitationResponseActionAccept, approve: true, want: "connected", asked: true},
		{name: "opened, not approved in time", caps: urlCaps, action: mcp.ElicitationResponseActionAccept, ttl: time.Second, want: "shown", asked: true},
		{name: "declined", caps: urlCaps, action: mcp.ElicitationResponseActionDecline, want: "declined", asked: true},
		{name: "cancelled", caps: urlCaps, action: mcp.ElicitationResponseActionCancel, want: "cancelled", asked: true},
		{name: "nonsense action", caps: urlCaps, action: mcp.ElicitationResponseActionAccept, tamper: nonsenseConsent(`{"action":"maybe"}`),
			want: "link", asked: true, note: []string{"could not show", "maybe"}},
		{name: "form-only client", caps: formCaps, want: "link"},
		{name: "client without elicitation", caps: mcp.ClientCapabilities{}, want: "link"},
	}
	for _, e := range eras {
		for _, row := range rows {
			t.Run(e.Name+"/"+row.name, func(t *testing.T) {
				sb, err := sandbox.Listen(sandbox.Options{APIKey: testKey, OAuthURLTTL: row.ttl})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = sb.Close() })
				f := newFixture(t, sb.URL(), serverOptions{})
				h := newHost(sb, row.action)
				h.approve, h.fail = row.approve, row.fail
				t.Cleanup(h.release)
				c := f.connectStdioWith(t, e, askingWiring(h, e, row.tamper, false))
				h.listen(c)
				if err := c.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				initializeWith(t, c, e, row.caps)

				res, err := callToolErr(context.Background(), c, "get_oauth_url", map[string]any{"provider": "github", "scopes": []string{"repo", "read:org"}}, &mcp.Meta{ProgressToken: "tok"})
				if err != nil {
					t.Fatalf("a protocol error instead of a result: %v", err)
				}
				out := consentOutput(t, res, row.note...)
				if out.Status != row.want {
					t.Fatalf("status %q, want %q: %s", out.Status, row.want, text(res))
				}
				shown := h.requests()
				if got := len(shown) > 0; got != row.asked {
					t.Fatalf("host asked: %v, want %v", got, row.asked)
				}
				if row.want == "link" {
					if !strings.HasPrefix(out.URL, sb.URL()+"/sandbox/oauth/consent?state=") {
						t.Errorf("url %q is not the sandbox's consent page", out.URL)
					}
				} else if out.URL != "" || strings.Contains(text(res), "/sandbox/oauth/consent") {
					t.Errorf("the result carries the consent URL although the host showed it: %s", text(res))
				}
				if !row.asked {
					return
				}
				p := shown[0]
				if p.Mode != mcp.ElicitationModeURL || p.ElicitationID == "" || !strings.HasPrefix(p.URL, sb.URL()+"/sandbox/oauth/consent?state=") {
					t.Errorf("request shown: mode %q, id %q, url %q; want mode url, an id and the consent page", p.Mode, p.ElicitationID, p.URL)
				}
				for _, frag := range []string{"github", "repo, read:org"} {
					if !strings.Contains(p.Message, frag) {
						t.Errorf("message %q does not name %q", p.Message, frag)
					}
				}
				if row.want == "connected" {
					waitFor(t, "no notifications/elicitation/complete", &h.Changes, func() bool { return len(h.completions()) > 0 })
					if got := h.completions(); len(got) != 1 || got[0] != p.ElicitationID {
						t.Errorf("completions for %q, want one for %q", got, p.ElicitationID)
					}
					status := wantSuccess(t, callTool(t, c, "get_oauth_status", map[string]any{"provider": "github"}))
					if status["connected"] != true {
						t.Errorf("get_oauth_status after the consent: %v", status)
					}
				} else if got := h.completions(); len(got) != 0 {
					t.Errorf("notifications/elicitation/complete %q without a connection", got)
				}
			})
		}
	}
}

// schemasStatus is a consent status, as the output's JSON says it.
type schemasStatus = string

// consentOut is get_oauth_url's output.
type consentOut struct {
	Status    string
	URL       string
	ExpiresIn float64
}

// consentOutput checks res is a success whose first text block is its
// structuredContent, and whose second, if note has fragments, holds them.
func consentOutput(t *testing.T, res *mcp.CallToolResult, note ...string) consentOut {
	t.Helper()
	if res.IsError {
		t.Fatalf("isError result: %s", text(res))
	}
	want := 1
	if len(note) > 0 {
		want = 2
	}
	if len(res.Content) != want {
		t.Fatalf("%d content blocks, want %d: %s", len(res.Content), want, text(res))
	}
	if len(note) > 0 {
		tc, _ := mcp.AsTextContent(res.Content[1])
		for _, f := range note {
			if !strings.Contains(strings.ToLower(tc.Text), strings.ToLower(f)) {
				t.Errorf("note %q does not mention %q", tc.Text, f)
			}
		}
		res = &mcp.CallToolResult{Content: res.Content[:1], StructuredContent: res.StructuredContent}
	}
	m := wantSuccess(t, res)
	out := consentOut{}
	out.Status, _ = m["status"].(string)
	out.URL, _ = m["url"].(string)
	out.ExpiresIn, _ = m["expiresIn"].(float64)
	return out
}

// nonsenseConsent replaces the person's response to the consent page with
// result (see nonsense).
func nonsenseConsent(result string) func(era string) lineRewrite {
	return func(era string) lineRewrite {
		if era == "legacy" {
			return nonsense(result)(era)
		}
		return func(line []byte) []byte {
			return rewriteRetry(line, func(params map[string]any) {
				params["inputResponses"] = map[string]any{"oauth_consent": rawJSON(result)}
			})
		}
	}
}

// TestConsentWithoutTransportCapabilities: a request no transport reported
// on (mcp-go's in-process client) cannot carry the question: the link, in
// both eras, even from a client that declared URL mode.
func TestConsentWithoutTransportCapabilities(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		sb := newSandbox(t)
		f := newFixture(t, sb.URL(), serverOptions{})
		h := newHost(sb, mcp.ElicitationResponseActionAccept)
		c, err := client.NewInProcessClientWithOptions(f.srv, append(e.Opts, client.WithElicitationHandler(h))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		initializeWith(t, c, e, urlCaps)
		out := consentOutput(t, callTool(t, c, "get_oauth_url", map[string]any{"provider": "github"}))
		if out.Status != "link" || out.URL == "" || len(h.requests()) != 0 {
			t.Errorf("status %q, url %q, host asked %d times; want the link and no question", out.Status, out.URL, len(h.requests()))
		}
	})
}

// TestConsentRoundTripFailures: the ways the round trip fails that only
// one era has, over stdio. Legacy: the client answers with a JSON-RPC
// error (the link, with a note), the person never responds in time or the
// server stops waiting (an isError result saying to call again), the pipe
// cannot carry the request (the link). 2026-07-28: the client's retry
// carries no response (an isError result). In every case the server keeps
// serving.
func TestConsentRoundTripFailures(t *testing.T) {
	rows := []struct {
		era           string
		name          string
		fail, block   bool
		tamper        func(era string) lineRewrite
		timeout       time.Duration
		stop          bool
		undeliverable bool
		wantLink      bool
		text          []string
	}{
		{era: "legacy", name: "JSON-RPC error -32601", fail: true, tamper: methodNotFound, wantLink: true, text: []string{"could not show", "Method not found"}},
		{era: "legacy", name: "no response in time", block: true, timeout: time.Nanosecond, text: []string{"did not respond", "get_oauth_url again"}},
		{era: "legacy", name: "server stops waiting", block: true, stop: true, text: []string{"stopped waiting", "get_oauth_url again"}},
		{era: "legacy", name: "transport cannot deliver", undeliverable: true, wantLink: true, text: []string{"could not show"}},
		{era: "modern", name: "retry without the response", tamper: func(string) lineRewrite {
			return func(line []byte) []byte {
				return rewriteRetry(line, func(params map[string]any) {
					params["inputResponses"] = map[string]any{"other": rawJSON(`{"action":"accept"}`)}
				})
			}
		}, text: []string{"without the user's response", "get_oauth_url again"}},
	}
	for _, row := range rows {
		e := eraNamed(t, row.era)
		t.Run(row.era+"/"+row.name, func(t *testing.T) {
			sb := newSandbox(t)
			stopWaiting := make(chan struct{})
			f := newFixture(t, sb.URL(), serverOptions{tools: func(o *tools.Options) {
				o.ElicitationTimeout = row.timeout
				if row.stop {
					o.StopWaiting = stopWaiting
				}
			}})
			h := newHost(sb, mcp.ElicitationResponseActionAccept)
			h.fail, h.block = row.fail, row.block
			t.Cleanup(h.release)
			if row.stop {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
					defer cancel()
					_ = h.Wait(ctx, func() bool { return len(h.requests()) > 0 })
					close(stopWaiting)
				}()
			}
			c := f.connectStdioWith(t, e, askingWiring(h, e, row.tamper, row.undeliverable))
			if err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			initializeWith(t, c, e, urlCaps)
			res := callTool(t, c, "get_oauth_url", map[string]any{"provider": "github"})
			if row.wantLink {
				out := consentOutput(t, res, row.text...)
				if out.Status != "link" || out.URL == "" {
					t.Errorf("status %q, url %q; want the link", out.Status, out.URL)
				}
			} else {
				t.Logf("isError result: %s", wantError(t, res, row.text...))
			}
			wantSuccess(t, callTool(t, c, "get_oauth_status", map[string]any{"provider": "github"}))
		})
	}
}

// TestConsentWatchEnds: once the person accepted, the watch ends when the
// call is cancelled (no result, as the client asked) or when the server
// stops waiting (status shown, with a note to keep waiting), in both eras.
func TestConsentWatchEnds(t *testing.T) {
	for _, how := range []string{"cancelled", "stopped"} {
		t.Run(how, func(t *testing.T) {
			forEachEra(t, func(t *testing.T, e era) {
				up := newStatusUpstream(t, 0) // never connected
				consent := newCountingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/agent/integrations/oauth/url" {
						writeData(w, http.StatusOK, map[string]any{"url": "https://consent.example/x", "expiresIn": 600})
						return
					}
					up.Config.Handler.ServeHTTP(w, r)
				}))
				stopWaiting := make(chan struct{})
				f := newFixture(t, consent.URL, serverOptions{tools: func(o *tools.Options) {
					if how == "stopped" {
						o.StopWaiting = stopWaiting
					}
				}})
				h := newHost(nil, mcp.ElicitationResponseActionAccept)
				c := f.connectStdioWith(t, e, stdioWiring{clientOpts: []client.ClientOption{client.WithElicitationHandler(h)}})
				if err := c.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				initializeWith(t, c, e, urlCaps)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() {
					// The watch has begun once the status was polled twice.
					wctx, wcancel := context.WithTimeout(ctx, waitLimit)
					defer wcancel()
					_ = up.Wait(wctx, func() bool { return up.pollsOf("github") >= 2 })
					if how == "stopped" {
						close(stopWaiting)
					} else {
						cancel()
					}
				}()
				res, err := callToolErr(ctx, c, "get_oauth_url", map[string]any{"provider": "github"}, nil)
				if how == "cancelled" {
					if err == nil {
						t.Fatalf("the cancelled call returned a result: %s", text(res))
					}
					// The watch's handler returned: it is logged (with the
					// cancellation's error), long before its 50 seconds.
					f.waitForLog(t, "tool call", "tool=get_oauth_url", "outcome=error_result")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				out := consentOutput(t, res, "stopped waiting", "get_oauth_status")
				if out.Status != "shown" {
					t.Errorf("status %q, want shown", out.Status)
				}
			})
		})
	}
}

// rawJSON is s as a JSON value of a map a line rewrite marshals.
func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }

// eraNamed returns the era called name.
func eraNamed(t *testing.T, name string) era {
	t.Helper()
	for _, e := range eras {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no era %q", name)
	return era{}
}

package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestRemovalConfirmationFailures: every way the round trip of the removal
// confirmation can fail, over stdio with mcp-go's client, in both eras. A
// legacy client is asked with elicitation/create while the call waits (the
// tools' own bridge); a 2026-07-28 client gets an input_required result and
// calls again with the response. Whatever fails, the call's result is an
// isError result with a next step, never a protocol error, and nothing is
// removed; a failure on the client's side of a 2026-07-28 round trip never
// reaches the server, which then removes nothing either.
func TestRemovalConfirmationFailures(t *testing.T) {
	type outcome int
	const (
		removed    outcome = iota // the integration is removed
		refused                   // an isError result that says why and what next
		clientSide                // the client's own failure: a Go error, no call reaches the server
		noResult                  // the call was cancelled: no response, as the client asked
	)
	rows := []struct {
		name          string
		action        mcp.ElicitationResponseAction // what the user does
		fail          bool                          // the client's handler fails instead
		block         bool                          // the user never answers
		tamper        func(era string) lineRewrite  // what the wire does to the client's response; nil: nothing
		cancel        map[string]bool               // by era: the client cancels the call while it waits
		stop          bool                          // the server stops waiting (Options.StopWaiting) once the user is asked
		timeout       time.Duration                 // tools.Options.ElicitationTimeout; 0: the default
		undeliverable bool                          // the server cannot write elicitation/create
		legacyOnly    bool
		want          map[string]outcome // by era
		text          []string           // fragments of a refusal
	}{
		{name: "accepted", action: mcp.ElicitationResponseActionAccept,
			want: map[string]outcome{"legacy": removed, "modern": removed}},
		{name: "declined", action: mcp.ElicitationResponseActionDecline,
			want: map[string]outcome{"legacy": refused, "modern": refused}, text: []string{"declined", "Nothing was removed."}},
		{name: "cancelled", action: mcp.ElicitationResponseActionCancel,
			want: map[string]outcome{"legacy": refused, "modern": refused}, text: []string{"cancelled", "Nothing was removed."}},
		{name: "JSON-RPC error -32601", fail: true, tamper: methodNotFound,
			want: map[string]outcome{"legacy": refused, "modern": clientSide}, text: []string{"Method not found", "Nothing was removed.", "dashboard"}},
		{name: "nonsense action", action: mcp.ElicitationResponseActionAccept, tamper: nonsense(`{"action":"maybe","content":{"integrationId":"github"}}`),
			want: map[string]outcome{"legacy": refused, "modern": refused}, text: []string{"maybe", "Nothing was removed."}},
		{name: "not an elicitation result", action: mcp.ElicitationResponseActionAccept, tamper: nonsense(`"yes"`),
			want: map[string]outcome{"legacy": refused, "modern": refused}, text: []string{"Nothing was removed."}},
		{name: "accepted without content", action: mcp.ElicitationResponseActionAccept, tamper: nonsense(`{"action":"accept"}`),
			want: map[string]outcome{"legacy": refused, "modern": refused}, text: []string{"Nothing was removed."}},
		{name: "wrong id", action: mcp.ElicitationResponseActionAccept, tamper: wrongID, cancel: map[string]bool{"legacy": true},
			want: map[string]outcome{"legacy": noResult, "modern": refused}, text: []string{"without the user's response", "Nothing was removed."}},
		{name: "no response in time", block: true, timeout: time.Nanosecond, legacyOnly: true,
			want: map[string]outcome{"legacy": refused}, text: []string{"did not respond", "Nothing was removed.", "again"}},
		{name: "server stops waiting", block: true, stop: true, legacyOnly: true,
			want: map[string]outcome{"legacy": refused}, text: []string{"stopped waiting", "shutting down", "Nothing was removed."}},
		{name: "call cancelled while waiting", block: true, cancel: map[string]bool{"legacy": true, "modern": true},
			want: map[string]outcome{"legacy": noResult, "modern": clientSide}},
		{name: "transport cannot deliver", undeliverable: true, legacyOnly: true,
			want: map[string]outcome{"legacy": refused}, text: []string{"could not", "Nothing was removed."}},
	}
	for _, e := range eras {
		for _, row := range rows {
			if row.legacyOnly && e.Name != "legacy" {
				continue
			}
			t.Run(e.Name+"/"+row.name, func(t *testing.T) {
				up, deletes := deleteCounter(t)
				stopWaiting := make(chan struct{})
				f := newFixture(t, up.URL, serverOptions{tools: func(o *tools.Options) {
					o.ElicitationTimeout = row.timeout
					if row.stop {
						o.StopWaiting = stopWaiting
					}
				}})
				user := newUser(row.action, row.fail, row.block)
				t.Cleanup(user.release)
				if row.stop {
					go func() {
						select {
						case <-user.asked: // the call waits for the user
							close(stopWaiting)
						case <-user.released:
						}
					}()
				}
				w := askingWiring(user, e, row.tamper, row.undeliverable)
				w.rewritten = make(chan struct{}, 1)
				c := f.connectStdioWith(t, e, w)
				if err := c.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				initializeWith(t, c, e, mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{Form: &struct{}{}}})

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if row.cancel[e.Name] {
					go func() {
						select {
						case <-user.asked: // the user sees the form: the call waits
						case <-w.rewritten: // the tampered response is on its way
						case <-ctx.Done():
						}
						if row.tamper != nil && e.Name == "legacy" {
							// The server reads its input in order, a
							// response at once: it has read the tampered one
							// when it responds to a request sent after it.
							_, _ = c.ListTools(ctx, mcp.ListToolsRequest{})
						}
						cancel()
					}()
				}
				res, err := callToolErr(ctx, c, "remove_integration", map[string]any{"integrationId": "github"}, nil)
				got := row.want[e.Name]
				switch got {
				case removed:
					if err != nil || res.IsError {
						t.Fatalf("remove_integration: %v %s", err, text(res))
					}
				case refused:
					if err != nil {
						t.Fatalf("a protocol error instead of an isError result: %v", err)
					}
					t.Logf("isError result: %s", wantError(t, res, row.text...))
				case clientSide, noResult:
					if err == nil {
						t.Fatalf("the call returned a result: %s", text(res))
					}
				}
				if got == noResult {
					f.waitForLog(t, "tool call", "tool=remove_integration", "outcome=error_result")
				}
				wantDeletes := int32(0)
				if got == removed {
					wantDeletes = 1
				}
				if n := deletes.Load(); n != wantDeletes {
					t.Errorf("upstream DELETEs = %d, want %d", n, wantDeletes)
				}
				// The server keeps serving.
				wantSuccess(t, callTool(t, c, "get_oauth_status", map[string]any{"provider": "github"}))
			})
		}
	}
}

// user answers the removal confirmation as a person would: action, and
// when accepting, the integration's id typed. With fail, the client's
// handler fails instead (the client then sends a JSON-RPC error, or gives
// up); with block, the user never answers and the form stays open until the
// test ends. asked is closed when the form is first shown.
type user struct {
	action      mcp.ElicitationResponseAction
	fail, block bool

	once, releaseOnce sync.Once
	asked             chan struct{}
	released          chan struct{}
}

func newUser(action mcp.ElicitationResponseAction, fail, block bool) *user {
	return &user{action: action, fail: fail, block: block, asked: make(chan struct{}), released: make(chan struct{})}
}

// release closes the forms left open.
func (u *user) release() { u.releaseOnce.Do(func() { close(u.released) }) }

// Elicit shows the form.
func (u *user) Elicit(ctx context.Context, _ mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	u.once.Do(func() { close(u.asked) })
	if u.fail {
		return nil, errors.New("Method not found")
	}
	if u.block {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-u.released:
			return nil, errors.New("the test ended")
		}
	}
	res := &mcp.ElicitationResult{}
	res.Action = u.action
	if u.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"integrationId": "github"}
	}
	return res, nil
}

// deleteCounter is an upstream that counts DELETEs and responds 204, and
// answers the OAuth status (the call after the removal's).
func deleteCounter(t *testing.T) (*countingUpstream, *atomic.Int32) {
	t.Helper()
	var deletes atomic.Int32
	u := newCountingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete:
			deletes.Add(1)
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/agent/integrations/oauth/status":
			writeData(w, http.StatusOK, map[string]any{"provider": "github", "connected": false})
		default:
			http.NotFound(w, r)
		}
	}))
	return u, &deletes
}

// lineRewrite rewrites one line the client writes; it returns the line
// unchanged when it is not the one to tamper with.
type lineRewrite func(line []byte) []byte

// clientResponse matches the client's response to a request of the server
// (legacy: to elicitation/create), a result or an error.
var clientResponse = regexp.MustCompile(`^\{"jsonrpc":"2\.0","id":(\d+),"(?:result|error)":`)

// methodNotFound: the legacy client answers elicitation/create with
// -32601, as one popular agent framework does. A 2026-07-28 client has no
// such response to send: its own handler fails, and the client gives up.
func methodNotFound(era string) lineRewrite {
	if era != "legacy" {
		return nil
	}
	return func(line []byte) []byte {
		m := clientResponse.FindSubmatch(line)
		if m == nil {
			return line
		}
		return []byte(`{"jsonrpc":"2.0","id":` + string(m[1]) + `,"error":{"code":-32601,"message":"Method not found"}}` + "\n")
	}
}

// nonsense replaces the user's response with result: in the legacy era the
// result of the response to elicitation/create, in 2026-07-28 the input
// response the client's retry carries.
func nonsense(result string) func(era string) lineRewrite {
	return func(era string) lineRewrite {
		return func(line []byte) []byte {
			if era == "legacy" {
				m := clientResponse.FindSubmatch(line)
				if m == nil {
					return line
				}
				return []byte(`{"jsonrpc":"2.0","id":` + string(m[1]) + `,"result":` + result + "}\n")
			}
			return rewriteRetry(line, func(params map[string]any) {
				params["inputResponses"] = map[string]any{"confirm_removal": json.RawMessage(result)}
			})
		}
	}
}

// wrongID answers with an id the server never sent (legacy), or under a key
// the server never asked (2026-07-28).
func wrongID(era string) lineRewrite {
	return func(line []byte) []byte {
		if era == "legacy" {
			m := clientResponse.FindSubmatch(line)
			if m == nil {
				return line
			}
			return bytes.Replace(line, []byte(`"id":`+string(m[1])), []byte(`"id":`+string(m[1])+`000`), 1)
		}
		return rewriteRetry(line, func(params map[string]any) {
			if r, ok := params["inputResponses"].(map[string]any); ok {
				params["inputResponses"] = map[string]any{"not_asked": r["confirm_removal"]}
			}
		})
	}
}

// rewriteRetry applies f to the params of a tools/call that carries input
// responses (a 2026-07-28 retry); other lines pass unchanged.
func rewriteRetry(line []byte, f func(params map[string]any)) []byte {
	if !bytes.Contains(line, []byte(`"inputResponses"`)) {
		return line
	}
	var msg map[string]any
	if json.Unmarshal(line, &msg) != nil {
		return line
	}
	params, _ := msg["params"].(map[string]any)
	if params == nil {
		return line
	}
	f(params)
	out, _ := json.Marshal(msg)
	return append(out, '\n')
}

// lineWriter passes whole lines to next: each rewritten by rewrite, or
// refused with an error when it contains fail.
type lineWriter struct {
	mu        sync.Mutex
	next      io.WriteCloser
	buf       []byte
	rewrite   lineRewrite
	fail      string
	rewritten chan struct{}
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := append([]byte(nil), l.buf[:i+1]...)
		l.buf = l.buf[i+1:]
		if l.fail != "" && bytes.Contains(line, []byte(l.fail)) {
			return 0, errors.New("the pipe to the client broke")
		}
		if l.rewrite != nil {
			out := l.rewrite(line)
			if !bytes.Equal(out, line) && l.rewritten != nil {
				select {
				case l.rewritten <- struct{}{}:
				default:
				}
			}
			line = out
		}
		if _, err := l.next.Write(line); err != nil {
			return 0, err
		}
	}
}

// Close closes next.
func (l *lineWriter) Close() error { return l.next.Close() }

// initializeWith initializes c in era e declaring caps.
// askingWiring wires a stdio client whose elicitation handler is h: the
// wire rewrites the client's lines as tamper says for era e (nil: not at
// all), and, when undeliverable, the server cannot write
// elicitation/create.
func askingWiring(h client.ElicitationHandler, e era, tamper func(era string) lineRewrite, undeliverable bool) stdioWiring {
	w := stdioWiring{clientOpts: []client.ClientOption{client.WithElicitationHandler(h)}}
	if tamper != nil {
		w.toServer = tamper(e.Name)
	}
	if undeliverable {
		w.failFromServer = "elicitation/create"
	}
	return w
}

func initializeWith(t *testing.T, c *client.Client, e era, caps mcp.ClientCapabilities) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "elicitation-test", Version: "1"}
	req.Params.Capabilities = caps
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize (%s): %v", e.Name, err)
	}
	if got := c.ProtocolVersion(); got != e.Version {
		t.Fatalf("negotiated protocol version %q, want %q", got, e.Version)
	}
}

// text is every text block of a result, joined.
func text(res *mcp.CallToolResult) string {
	if res == nil {
		return "<no result>"
	}
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

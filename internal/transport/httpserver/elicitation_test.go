package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestRemovalConfirmationFailuresOverStreamableHTTP: the failures of the
// removal confirmation's round trip with the go-sdk client over streamable
// HTTP with sessions, in both eras (a legacy client is asked with
// elicitation/create on its call's stream and posts its response; a
// 2026-07-28 one gets an input_required result and calls again). Each is an
// isError result with a next step, or the client's own failure, or (a
// cancelled call) no result; never a removal.
func TestRemovalConfirmationFailuresOverStreamableHTTP(t *testing.T) {
	type outcome int
	const (
		refused    outcome = iota + 1 // an isError result
		clientSide                    // the client's own error
	)
	rows := []struct {
		name    string
		user    func(ctx context.Context, asked chan<- struct{}) (*sdk.ElicitResult, error)
		tamper  func(era string, body []byte) []byte // the client's posts; nil: none
		cancel  map[string]bool                      // by era: cancel the call once asked, or once the tampered post is through
		timeout time.Duration
		want    map[string]outcome
		text    []string
	}{
		{name: "declined", user: answer("decline"),
			want: map[string]outcome{legacy: refused, modern: refused}, text: []string{"declined", "Nothing was removed."}},
		{name: "JSON-RPC error -32601", user: func(context.Context, chan<- struct{}) (*sdk.ElicitResult, error) {
			return nil, &jsonrpc.Error{Code: -32601, Message: "Method not found"}
		}, want: map[string]outcome{legacy: refused, modern: clientSide}, text: []string{"Method not found", "Nothing was removed.", "dashboard"}},
		{name: "nonsense", user: answer("accept"), tamper: replaceResponse(`{"action":"maybe"}`),
			want: map[string]outcome{legacy: refused, modern: refused}, text: []string{`"maybe"`, "Nothing was removed."}},
		{name: "wrong id", user: answer("accept"), tamper: misaddress, cancel: map[string]bool{legacy: true},
			want: map[string]outcome{legacy: clientSide, modern: refused}, text: []string{"without the user's response", "Nothing was removed."}},
		// Legacy only: a 2026-07-28 call does not wait for the user (its
		// state expires instead: tools.TestRemoveConfirmationForgedState).
		{name: "no response in time", user: never, timeout: time.Nanosecond,
			want: map[string]outcome{legacy: refused}, text: []string{"did not respond", "Nothing was removed."}},
		{name: "call cancelled while waiting", user: never, cancel: map[string]bool{legacy: true, modern: true},
			want: map[string]outcome{legacy: clientSide, modern: clientSide}},
	}
	for _, era := range []string{legacy, modern} {
		for _, row := range rows {
			if row.want[era] == 0 {
				continue
			}
			t.Run(eraName(era)+"/"+row.name, func(t *testing.T) {
				ts := startServerWith(t, setup{opts: Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey},
					tools: func(o *tools.Options) { o.ElicitationTimeout = row.timeout }})
				asked := make(chan struct{}, 1)
				tampered := make(chan struct{}, 1)
				next := http.RoundTripper(&http.Transport{})
				if row.tamper != nil {
					next = tamperPosts(next, func(b []byte) []byte { return row.tamper(era, b) }, tampered)
				}
				hc := &http.Client{Transport: bearer{key: keyA, next: next}}
				t.Cleanup(hc.CloseIdleConnections)
				userCtx, stopUser := context.WithCancel(context.Background())
				c := sdk.NewClient(&sdk.Implementation{Name: "elicitation-test", Version: "1"}, &sdk.ClientOptions{
					ElicitationHandler: func(ctx context.Context, _ *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
						merged, stop := mergeDone(ctx, userCtx)
						defer stop()
						return row.user(merged, asked)
					},
				})
				cs, err := c.Connect(t.Context(), &sdk.StreamableClientTransport{Endpoint: ts.url + MCPPath, HTTPClient: hc, MaxRetries: -1}, &sdk.ClientSessionOptions{ProtocolVersion: era})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					stopUser() // a form left open closes, so the session can
					_ = cs.Close()
				})

				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if row.cancel[era] {
					go func() {
						select {
						case <-asked:
						case <-tampered:
						case <-ctx.Done():
						}
						cancel()
					}()
				}
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "remove_integration", Arguments: map[string]any{"integrationId": "github"}})
				switch row.want[era] {
				case refused:
					if err != nil {
						t.Fatalf("a protocol error instead of an isError result: %v", err)
					}
					got := resultText(res)
					if !res.IsError {
						t.Fatalf("isError false: %s", got)
					}
					for _, want := range row.text {
						if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
							t.Errorf("result %q lacks %q", got, want)
						}
					}
				case clientSide:
					if err == nil {
						t.Fatalf("the call returned a result: %s", resultText(res))
					}
				}
				if row.cancel[era] {
					// The handler has returned once the call's line is logged.
					waitCtx, stop := context.WithTimeout(t.Context(), waitLimit)
					defer stop()
					if err := ts.logs.Wait(waitCtx, func() bool { return strings.Contains(ts.logs.String(), "tool=remove_integration") }); err != nil {
						t.Fatal("the cancelled call's handler never returned")
					}
				}
				for _, r := range ts.up.Requests() {
					if r.Method == http.MethodDelete {
						t.Errorf("the upstream got %s %s: the integration was removed", r.Method, r.Path)
					}
				}
				// The server keeps serving. (A new session: the go-sdk
				// client ends its own when the server refuses a response to
				// a request it no longer waits for, as for the wrong id.)
				if _, err := connect(t, ts, Streamable, keyA, era).ListTools(t.Context(), nil); err != nil {
					t.Errorf("a session after the failure: %v", err)
				}
			})
		}
	}
}

// answer is a user who responds with action at once (accepting with the
// integration's id typed).
func answer(action string) func(context.Context, chan<- struct{}) (*sdk.ElicitResult, error) {
	return func(_ context.Context, asked chan<- struct{}) (*sdk.ElicitResult, error) {
		notify(asked)
		res := &sdk.ElicitResult{Action: action}
		if action == "accept" {
			res.Content = map[string]any{"integrationId": "github"}
		}
		return res, nil
	}
}

// never is a user who leaves the form open until the call or the test
// ends.
func never(ctx context.Context, asked chan<- struct{}) (*sdk.ElicitResult, error) {
	notify(asked)
	<-ctx.Done()
	return nil, ctx.Err()
}

func notify(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// mergeDone returns a context done when either a or b is.
func mergeDone(a, b context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() { stop(); cancel() }
}

// isClientResponse reports whether body is the client's response to a
// request of the server (a legacy elicitation/create).
func isClientResponse(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, method := m["method"]
	_, result := m["result"]
	return !method && result
}

// replaceResponse makes the user's response result: the result of the
// legacy response, or the input response of the 2026-07-28 retry.
func replaceResponse(result string) func(era string, body []byte) []byte {
	return func(era string, body []byte) []byte {
		return rewriteAnswer(era, body,
			func(msg map[string]any) { msg["result"] = json.RawMessage(result) },
			func(params map[string]any) {
				params["inputResponses"] = map[string]any{"confirm_removal": json.RawMessage(result)}
			})
	}
}

// misaddress answers with an id the server never sent (legacy), or under a
// key it never asked (2026-07-28).
func misaddress(era string, body []byte) []byte {
	return rewriteAnswer(era, body,
		func(msg map[string]any) { msg["id"] = 999999 },
		func(params map[string]any) {
			params["inputResponses"] = map[string]any{"not_asked": map[string]any{"action": "accept", "content": map[string]any{"integrationId": "github"}}}
		})
}

// rewriteAnswer rewrites a post that carries the user's answer: with
// legacyFn the client's response (legacy), with modernFn the params of the
// retry that carries input responses (2026-07-28). Other posts pass.
func rewriteAnswer(era string, body []byte, legacyFn func(msg map[string]any), modernFn func(params map[string]any)) []byte {
	var msg map[string]any
	if json.Unmarshal(body, &msg) != nil {
		return body
	}
	params, _ := msg["params"].(map[string]any)
	switch {
	case era == legacy && isClientResponse(body):
		legacyFn(msg)
	case era == modern && params != nil && params["inputResponses"] != nil:
		modernFn(params)
	default:
		return body
	}
	out, _ := json.Marshal(msg)
	return out
}

// tamperPosts rewrites the body of each POST with f, and once a changed
// body's exchange is over, sends on done.
func tamperPosts(next http.RoundTripper, f func([]byte) []byte, done chan<- struct{}) http.RoundTripper {
	var mu sync.Mutex
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodPost || r.Body == nil {
			return next.RoundTrip(r)
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		out := f(body)
		mu.Unlock()
		changed := !bytes.Equal(out, body)
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(out))
		r.ContentLength = int64(len(out))
		resp, err := next.RoundTrip(r)
		if changed && err == nil && isClientResponse(body) {
			// The server has read the client's response once the
			// response to its post is here.
			rest, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(rest))
			notify(done)
		}
		return resp, err
	})
}

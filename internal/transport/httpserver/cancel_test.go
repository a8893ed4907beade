package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// The cancellation tests call get_oauth_status with waitSeconds (the most,
// 50 s, which only bounds a hang), which polls the upstream, and cancel it
// once it runs (the upstream saw its first poll, or the client got a
// progress notification), never after a time.
const waitCall = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_oauth_status","arguments":{"provider":"github","waitSeconds":50}%s}}`

// cancelOf is the notifications/cancelled of the request id.
func cancelOf(id string) string {
	return `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + id + `,"reason":"the user pressed stop"}}`
}

// TestNoResponseAfterCancellationOverSSE: a go-sdk client cancels a running
// call over the legacy SSE transport (it posts notifications/cancelled):
// the session's stream carries no response for the call's id, in both
// eras, and the session keeps serving. The test ends on an event either
// way: the response on the stream, or the log line of its drop.
func TestNoResponseAfterCancellationOverSSE(t *testing.T) {
	for _, era := range []string{legacy, modern} {
		t.Run(eraName(era), func(t *testing.T) {
			ts := startServer(t, Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey})
			release := ts.up.Hold("/agent/integrations/oauth/status")
			wire := &httpWire{}
			hc := &http.Client{Transport: bearer{key: keyA, next: wire.tap(&http.Transport{})}}
			t.Cleanup(hc.CloseIdleConnections)
			c := sdk.NewClient(&sdk.Implementation{Name: "cancel-test", Version: "1"}, nil)
			cs, err := c.Connect(t.Context(), &sdk.SSEClientTransport{Endpoint: ts.url + SSEPath, HTTPClient: hc}, &sdk.ClientSessionOptions{ProtocolVersion: era})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cs.Close() })

			ctx, cancel := context.WithCancel(t.Context())
			returned := make(chan error, 1)
			go func() {
				_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_oauth_status", Arguments: map[string]any{"provider": "github", "waitSeconds": 50}})
				returned <- err
			}()
			<-ts.up.Entered // the call is running: its first poll is at the upstream
			id := wire.requestID(t, "tools/call")
			cancel()
			if err := <-returned; !errors.Is(err, context.Canceled) {
				t.Fatalf("the cancelled call returned %v", err)
			}
			release()

			dropped := waitDropOrResponse(t, ts.logs, wire, id)
			if line := wire.Response(id); line != "" || !dropped {
				t.Errorf("the stream carried a response to the cancelled request %s: %s", id, line)
			}
			if _, err := cs.ListTools(t.Context(), nil); err != nil {
				t.Fatalf("the session after the cancellation: %v", err)
			}
		})
	}
}

// TestNoResponseAfterCancellationOverStreamableHTTP: on streamable HTTP with
// sessions, a client that keeps the POST of a call open and cancels the
// call (a notifications/cancelled POST of the same session) gets no result
// for it: an SSE-upgraded reply (the call sent progress) closes without a
// response, and a JSON reply carries at most an error saying it was
// cancelled. Raw HTTP: the SDKs' clients close the POST when they cancel, so
// only a client that keeps it open shows what the server sends.
func TestNoResponseAfterCancellationOverStreamableHTTP(t *testing.T) {
	for _, tc := range []struct {
		name string
		meta string // the call's _meta
	}{
		{"JSON reply", ""},
		{"SSE reply", `,"_meta":{"progressToken":"p1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey})
			session := ts.initialize(t, ownClient(t), keyA)
			if got := sendRaw(t, ts, "POST", session, "", `{"jsonrpc":"2.0","method":"notifications/initialized"}`); got.code != http.StatusAccepted {
				t.Fatalf("initialized: %d %s", got.code, got.body)
			}
			sse := tc.meta != ""
			if !sse {
				defer ts.up.Hold("/agent/integrations/oauth/status")()
			}
			type reply struct {
				contentType string
				body        string
				err         error
			}
			replied := make(chan reply, 1)
			progressed := make(chan struct{})
			go func() {
				req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url+MCPPath, strings.NewReader(fmt.Sprintf(waitCall, tc.meta)))
				req.Header.Set("Authorization", "Bearer "+keyA)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("Mcp-Session-Id", session)
				req.Header.Set("Mcp-Protocol-Version", legacy)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					replied <- reply{err: err}
					return
				}
				defer resp.Body.Close()
				var body bytes.Buffer
				if sse {
					// The reply became a stream with the first progress
					// notification: the call runs.
					events := bufio.NewReader(resp.Body)
					first, err := readEvent(events)
					if err != nil || !strings.Contains(first, "notifications/progress") {
						replied <- reply{err: fmt.Errorf("first event %q (%v), want a progress notification", first, err)}
						return
					}
					close(progressed)
					_, err = io.Copy(&body, events) // until the stream ends
					replied <- reply{contentType: resp.Header.Get("Content-Type"), body: body.String(), err: err}
					return
				}
				_, err = io.Copy(&body, resp.Body)
				replied <- reply{contentType: resp.Header.Get("Content-Type"), body: body.String(), err: err}
			}()
			if sse {
				select {
				case <-progressed:
				case r := <-replied:
					t.Fatalf("the call replied before any progress: %+v", r)
				}
			} else {
				<-ts.up.Entered // the call runs: its first poll is held at the upstream
			}
			if got := sendRaw(t, ts, "POST", session, "", cancelOf("42")); got.code != http.StatusAccepted {
				t.Fatalf("the cancellation: %d %s", got.code, got.body)
			}
			r := <-replied
			if r.err != nil {
				t.Fatal(r.err)
			}
			switch {
			case sse && strings.Contains(r.body, `"id":42`):
				t.Errorf("the SSE reply carried a response after the cancellation:\n%s", r.body)
			case !sse && !strings.HasPrefix(r.contentType, "application/json"):
				t.Errorf("the JSON reply has Content-Type %q", r.contentType)
			case !sse:
				var msg struct {
					ID     json.RawMessage `json:"id"`
					Result json.RawMessage `json:"result"`
					Error  *struct {
						Message string `json:"message"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(r.body), &msg); err != nil || msg.Result != nil || msg.Error == nil ||
					string(msg.ID) != "42" || !strings.Contains(strings.ToLower(msg.Error.Message), "cancelled") {
					t.Errorf("the JSON reply after the cancellation is %s, want at most an error saying it was cancelled", r.body)
				}
			}
			if got := sendRaw(t, ts, "POST", session, "", callList); got.code != http.StatusOK || !strings.Contains(got.body, `"result"`) {
				t.Errorf("the session after the cancellation: %d %s", got.code, got.body)
			}
		})
	}
}

// TestCancellationNeedsASession: without a session (a 2026-07-28 client,
// or stateless streamable HTTP), a notifications/cancelled cannot say whose
// request it names, since every client's ids look alike; it is refused
// with 202 and cancels nothing, so another client's call of the same id
// runs on. (Such a client cancels its call by closing the call's request.)
func TestCancellationNeedsASession(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stateless bool
		era       string
	}{
		{"2026-07-28 client", false, modern},
		{"stateless, legacy client", true, legacy},
		{"stateless, 2026-07-28 client", true, modern},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := testutil.NewOAuthStatus(t)
			ts := startServerOn(t, Options{Transport: Streamable, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey}, up.URL)
			wire := &httpWire{}
			hc := &http.Client{Transport: bearer{key: keyA, next: wire.tap(&http.Transport{})}}
			t.Cleanup(hc.CloseIdleConnections)
			c := sdk.NewClient(&sdk.Implementation{Name: "victim", Version: "1"}, nil)
			cs, err := c.Connect(t.Context(), &sdk.StreamableClientTransport{Endpoint: ts.url + MCPPath, HTTPClient: hc, MaxRetries: -1}, &sdk.ClientSessionOptions{ProtocolVersion: tc.era})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cs.Close() })

			type outcome struct {
				res *sdk.CallToolResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "get_oauth_status", Arguments: map[string]any{"provider": "github", "waitSeconds": 50}})
				done <- outcome{res, err}
			}()
			<-up.FirstPoll
			id := wire.requestID(t, "tools/call")

			// Another client (keyB) names the same id.
			body, version := cancelOf(id), ""
			if tc.era == modern {
				version = "2026-07-28"
				body = `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + id + `,"_meta":{` +
					`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"attacker","version":"1"},` +
					`"io.modelcontextprotocol/clientCapabilities":{}}}}`
			}
			req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url+MCPPath, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+keyB)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if version != "" {
				req.Header.Set("Mcp-Protocol-Version", version)
				req.Header.Set("Mcp-Method", "notifications/cancelled")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("the other client's cancellation: %d, want 202", resp.StatusCode)
			}
			up.Connect() // the account connects: the call's next poll sees it

			o := <-done
			if o.err != nil || o.res.IsError || !strings.Contains(resultText(o.res), `"connected":true`) {
				t.Errorf("the call another client tried to cancel: %v %s, want it connected", o.err, resultText(o.res))
			}
		})
	}
}

// startServerOn serves the catalogue over opts' transport against the
// upstream at url (ts.up is not it), polling the OAuth status every 10 ms.
func startServerOn(t *testing.T, opts Options, url string) *testServer {
	t.Helper()
	return startServerWith(t, setup{opts: opts, apiURL: url})
}

// readEvent reads one server-sent event's data.
func readEvent(r *bufio.Reader) (string, error) {
	var data []string
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if rest, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimSpace(rest))
		}
		if line == "" && len(data) > 0 {
			return strings.Join(data, "\n"), nil
		}
		if err != nil {
			return strings.Join(data, "\n"), err
		}
	}
}

// waitDropOrResponse waits until the server logged that it dropped a
// response to a cancelled request, or the wire carried the response to id,
// and reports whether the drop was logged.
func waitDropOrResponse(t *testing.T, logs *testutil.SyncBuffer, wire *httpWire, id string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	dropped := func() bool { return strings.Contains(logs.String(), "dropped the response to a cancelled request") }
	either := func() bool { return dropped() || wire.Response(id) != "" }
	go func() { // the log announces its changes to the wire's waiter
		_ = logs.Wait(ctx, either)
		wire.Changed()
	}()
	if err := wire.Wait(ctx, either); err != nil {
		t.Fatal("neither a response nor its drop came after the cancellation")
	}
	return dropped()
}

// httpWire feeds a testutil.Wire with what a client sends (request
// bodies) and what it reads (response bodies, SSE streams event by event, as
// they arrive).
type httpWire struct{ testutil.Wire }

// tap returns a RoundTripper over next that records into w.
func (w *httpWire) tap(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			w.Sent(body)
		}
		resp, err := next.RoundTrip(r)
		if err != nil {
			return resp, err
		}
		resp.Body = &tee{ReadCloser: resp.Body, w: &w.Wire}
		return resp, nil
	})
}

// tee records a response body as it is read: a JSON body whole, an SSE
// stream event by event.
type tee struct {
	io.ReadCloser
	w    *testutil.Wire
	buf  bytes.Buffer
	done bool
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.buf.Write(p[:n])
	for {
		b := t.buf.Bytes()
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			break
		}
		t.w.Received(sseData(b[:i]))
		t.buf.Next(i + 2)
	}
	if err != nil && !t.done { // the end: what is left is a JSON body
		t.done = true
		t.w.Received(t.buf.Bytes())
	}
	return n, err
}

// requestID returns the raw id of the first request of method sent.
func (w *httpWire) requestID(tb testing.TB, method string) string {
	tb.Helper()
	id, ok := w.RequestID(method)
	if !ok {
		tb.Fatalf("the client sent no %s", method)
	}
	return id
}

// roundTripper is a function that is an http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

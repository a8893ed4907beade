package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// heldUpstream responds to GET /agent/integrations only once released, and
// sends on held as each request arrives.
func heldUpstream(t *testing.T) (url string, held <-chan struct{}, release func()) {
	t.Helper()
	gate := make(chan struct{})
	arrived := make(chan struct{}, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":[]}`)
	}))
	var once atomic.Bool
	release = func() {
		if once.CompareAndSwap(false, true) {
			close(gate)
		}
	}
	t.Cleanup(func() { release(); srv.Close() })
	return srv.URL, arrived, release
}

// waitHeld waits for n requests to arrive at a heldUpstream, failing after
// waitLimit, a bound on a hang.
func waitHeld(t *testing.T, held <-chan struct{}, n int) {
	t.Helper()
	timeout := time.NewTimer(waitLimit)
	defer timeout.Stop()
	for range n {
		select {
		case <-held:
		case <-timeout.C:
			t.Fatalf("gave up waiting for %d requests to reach the upstream", n)
		}
	}
}

// stdioServer serves the catalogue against upstream with ServeWith over a
// pair of pipes, wired as alfe-mcp stdio wires it: the end of input ends
// the calls that only wait, and the others get drain (zero:
// DefaultDrainTimeout). It returns Serve's context and its cancel, the
// input's writer, the output's lines and Serve's result (which the test
// puts back for the cleanup once it has read it).
func stdioServer(t *testing.T, upstream string, drain time.Duration) (ctx context.Context, cancel context.CancelFunc, in *io.PipeWriter, out *bufio.Scanner, done chan error) {
	t.Helper()
	ts := newToolServer(t, upstream)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel = context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() {
		done <- ServeWith(ctx, ts.srv, inR, outW, Options{EndOfInput: ts.endOfInput, DrainTimeout: drain})
		outW.Close()
	}()
	t.Cleanup(func() { cancel(); inW.Close(); <-done })
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return ctx, cancel, inW, sc, done
}

func writeLines(t *testing.T, w io.Writer, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
}

const legacyInit = `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// The end of stdin does not cancel calls already read: their responses still
// come, then the server stops.
func TestEndOfInputDrainsCalls(t *testing.T) {
	upstream, held, release := heldUpstream(t)
	_, _, in, out, done := stdioServer(t, upstream, 0)

	const calls = 8
	writeLines(t, in, legacyInit, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for i := range calls {
		writeLines(t, in, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`, i))
	}
	waitHeld(t, held, calls)
	in.Close() // end of input while every call is in flight
	release()

	responded := map[string]bool{}
	for out.Scan() {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Result *struct {
				IsError bool `json:"isError"`
			} `json:"result"`
		}
		if err := json.Unmarshal(out.Bytes(), &msg); err != nil {
			t.Fatalf("stdout line is not JSON: %s", out.Text())
		}
		if string(msg.ID) == `"init"` {
			continue
		}
		if msg.Result == nil || msg.Result.IsError {
			t.Errorf("call %s did not succeed: %s", msg.ID, out.Text())
		}
		responded[string(msg.ID)] = true
	}
	if len(responded) != calls {
		t.Fatalf("got %d responses after the end of input, want %d", len(responded), calls)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	done <- nil // for the cleanup
}

// Cancelling the server's context ends the wait for responses at once.
func TestCancelEndsDrain(t *testing.T) {
	upstream, held, _ := heldUpstream(t)
	_, cancel, in, out, done := stdioServer(t, upstream, 0)
	go func() {
		for out.Scan() { // a pipe blocks the writer until read
		}
	}()
	writeLines(t, in, legacyInit, `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`)
	waitHeld(t, held, 1)
	in.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		done <- nil
	case <-time.After(waitLimit):
		t.Fatalf("Serve still waiting %s after its context was cancelled", waitLimit)
	}
}

func TestResponseID(t *testing.T) {
	for _, tc := range []struct {
		msg    string
		id     string
		isResp bool
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{}}`, "7", true},
		{`{"jsonrpc":"2.0","id":"a","error":{"code":-32600,"message":"x"}}`, `"a"`, true},
		{`{"jsonrpc":"2.0","id":3,"params":{},"method":"elicitation/create"}`, "", false},
		{`{"jsonrpc":"2.0","method":"notifications/progress","params":{}}`, "", false},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`, "null", true},
		{`not json`, "", false},
	} {
		id, ok := responseID([]byte(tc.msg + "\n"))
		if ok != tc.isResp || (ok && id != tc.id) {
			t.Errorf("responseID(%s) = %q, %v; want %q, %v", tc.msg, id, ok, tc.id, tc.isResp)
		}
	}
}

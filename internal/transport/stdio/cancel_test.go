package stdio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// TestNoResponseAfterCancellation: once the client cancels a running call
// (notifications/cancelled, which mcp-go's client sends when the call's
// context ends), the server sends no response for its id, in both eras,
// and keeps serving. The cancellation comes once the call is running (the
// upstream has seen its first poll of the OAuth status), and the test ends
// on an event either way: the response on the wire, or the server's log
// line saying it dropped it.
func TestNoResponseAfterCancellation(t *testing.T) {
	for _, era := range testutil.Eras() {
		t.Run(era.Name, func(t *testing.T) {
			up := newPollUpstream(t)
			ts := newToolServer(t, up.URL)
			wire := &wireTap{}
			c := ts.connectTapped(t, era, mcp.ClientCapabilities{}, wire)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			returned := make(chan error, 1)
			go func() {
				_, err := callTool(ctx, c, "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": 10})
				returned <- err
			}()
			<-up.firstPoll // the call is running
			id := wire.requestID(t, "tools/call")
			cancel()
			if err := <-returned; !errors.Is(err, context.Canceled) {
				t.Fatalf("the cancelled call returned %v", err)
			}

			waitCtx, stop := context.WithTimeout(context.Background(), waitLimit)
			defer stop()
			dropped := func() bool { return strings.Contains(ts.logs.String(), "dropped the response to a cancelled request") }
			responded := func() bool { return wire.responded(id) != "" }
			go func() { // the wire and the log each announce their changes
				_ = ts.logs.Wait(waitCtx, func() bool { return dropped() || responded() })
				wire.Changed()
			}()
			if err := wire.Wait(waitCtx, func() bool { return dropped() || responded() }); err != nil {
				t.Fatal("neither a response nor its drop came after the cancellation")
			}
			if line := wire.responded(id); line != "" {
				t.Errorf("the server responded to the cancelled request %s: %s", id, line)
			}
			res, err := callTool(context.Background(), c, "get_oauth_status", map[string]any{"provider": "github"})
			if err != nil || res.IsError {
				t.Fatalf("the call after the cancellation: %v %+v", err, res)
			}
		})
	}
}

// pollUpstream answers the OAuth status "not connected", and closes
// firstPoll at the first poll.
type pollUpstream struct {
	*httptest.Server
	firstPoll chan struct{}
	once      sync.Once
}

func newPollUpstream(t *testing.T) *pollUpstream {
	t.Helper()
	u := &pollUpstream{firstPoll: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.once.Do(func() { close(u.firstPoll) })
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"provider":%q,"connected":false}}`, r.URL.Query().Get("provider"))
	}))
	t.Cleanup(u.Close)
	return u
}

// wireTap keeps the lines each side of a stdio connection writes, and
// announces each (testutil.Changes).
type wireTap struct {
	testutil.Changes
	mu                sync.Mutex
	client, server    []string
	clientBuf, srvBuf bytes.Buffer
}

// tapWriter splits what one side writes into lines.
type tapWriter struct {
	tap      *wireTap
	fromServ bool
}

func (w tapWriter) Write(p []byte) (int, error) {
	t := w.tap
	t.mu.Lock()
	buf, lines := &t.clientBuf, &t.client
	if w.fromServ {
		buf, lines = &t.srvBuf, &t.server
	}
	buf.Write(p)
	for {
		line, err := buf.ReadString('\n')
		if err != nil {
			buf.WriteString(line) // an incomplete line waits for its end
			break
		}
		*lines = append(*lines, strings.TrimSpace(line))
	}
	t.mu.Unlock()
	t.Changed()
	return len(p), nil
}

func (t *wireTap) fromServer() tapWriter { return tapWriter{tap: t, fromServ: true} }
func (t *wireTap) fromClient() tapWriter { return tapWriter{tap: t} }

// requestID returns the raw id of the first request of method the client
// wrote.
func (t *wireTap) requestID(tb testing.TB, method string) string {
	tb.Helper()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, line := range t.client {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Method == method && len(m.ID) > 0 {
			return string(m.ID)
		}
	}
	tb.Fatalf("the client sent no %s", method)
	return ""
}

// responded returns the server's response for the raw id, or "".
func (t *wireTap) responded(id string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, line := range t.server {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Method == "" && string(m.ID) == id {
			return line
		}
	}
	return ""
}

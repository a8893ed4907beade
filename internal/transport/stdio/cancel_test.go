package stdio

import (
	"bytes"
	"context"
	"errors"
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
			up := testutil.NewOAuthStatus(t)
			ts := newToolServer(t, up.URL)
			wire := &wireTap{}
			c := ts.connectTapped(t, era, mcp.ClientCapabilities{}, wire)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			returned := make(chan error, 1)
			go func() {
				_, err := callTool(ctx, c, "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": 50})
				returned <- err
			}()
			<-up.FirstPoll // the call is running
			id, ok := wire.RequestID("tools/call")
			if !ok {
				t.Fatal("the client sent no tools/call")
			}
			cancel()
			if err := <-returned; !errors.Is(err, context.Canceled) {
				t.Fatalf("the cancelled call returned %v", err)
			}

			waitCtx, stop := context.WithTimeout(context.Background(), waitLimit)
			defer stop()
			dropped := func() bool { return strings.Contains(ts.logs.String(), "dropped the response to a cancelled request") }
			responded := func() bool { return wire.Response(id) != "" }
			go func() { // the wire and the log each announce their changes
				_ = ts.logs.Wait(waitCtx, func() bool { return dropped() || responded() })
				wire.Changed()
			}()
			if err := wire.Wait(waitCtx, func() bool { return dropped() || responded() }); err != nil {
				t.Fatal("neither a response nor its drop came after the cancellation")
			}
			if line := wire.Response(id); line != "" {
				t.Errorf("the server responded to the cancelled request %s: %s", id, line)
			}
			res, err := callTool(context.Background(), c, "get_oauth_status", map[string]any{"provider": "github"})
			if err != nil || res.IsError {
				t.Fatalf("the call after the cancellation: %v %+v", err, res)
			}
		})
	}
}

// wireTap feeds a testutil.Wire with the lines each side of a stdio
// connection writes.
type wireTap struct {
	testutil.Wire
	mu                sync.Mutex
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
	defer t.mu.Unlock()
	buf, record := &t.clientBuf, t.Sent
	if w.fromServ {
		buf, record = &t.srvBuf, t.Received
	}
	buf.Write(p)
	for {
		line, err := buf.ReadBytes('\n')
		if err != nil {
			buf.Write(line) // an incomplete line waits for its end
			return len(p), nil
		}
		record(line)
	}
}

func (t *wireTap) fromServer() tapWriter { return tapWriter{tap: t, fromServ: true} }
func (t *wireTap) fromClient() tapWriter { return tapWriter{tap: t} }

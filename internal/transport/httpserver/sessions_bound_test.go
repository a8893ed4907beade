package httpserver

import (
	"net/http"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Past --max-sessions-per-key initialize gets 429, past --max-sessions
// 503 with Retry-After, each a JSON-RPC error naming the flag; a session
// ended with DELETE gives its slot back at once. 2026-07-28 requests have
// no session and are served whatever the count.
func TestSessionCaps(t *testing.T) {
	ts := startServerWith(t, setup{opts: Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey,
		Limits: Limits{MaxSessions: 3, MaxSessionsPerKey: 2}}})
	hc := ownClient(t)

	a1 := ts.initialize(t, hc, keyA)
	ts.initialize(t, hc, keyA)
	r := ts.do(t, hc, "POST", MCPPath, keyA, "", initLegacy)
	wantRefusal(t, r, http.StatusTooManyRequests, "max-sessions-per-key")
	if id, _, _ := rpcError(t, r.body); string(id) != "1" {
		t.Errorf("the refusal's id is %s, want the request's (1)", id)
	}
	ts.initialize(t, hc, keyB)
	wantRefusal(t, ts.do(t, hc, "POST", MCPPath, keyB, "", initLegacy), http.StatusServiceUnavailable, "max-sessions")

	// The sessions in the table are served; a modern client has no session
	// and is not refused.
	if r := ts.do(t, hc, "POST", MCPPath, keyA, a1, callList); r.status != http.StatusOK {
		t.Fatalf("a call in a live session: %d %s", r.status, r.body)
	}
	cs := connect(t, ts, Streamable, keyB, modern)
	if res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}}); err != nil || res.IsError {
		t.Fatalf("a 2026-07-28 call while the sessions are full: %v %v", err, res)
	}

	// DELETE frees the slot, and the ended session is unknown, not a
	// terminated id kept forever.
	if r := ts.do(t, hc, "DELETE", MCPPath, keyA, a1, ""); r.status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if got := <-ts.ended; got != a1 {
		t.Fatalf("ended %q, want %q", got, a1)
	}
	if terminated, err := ts.h.sessions.Validate(a1); terminated || err == nil {
		t.Errorf("the deleted session validates as (terminated %v, %v): the table kept it", terminated, err)
	}
	if r := ts.do(t, hc, "POST", MCPPath, keyA, a1, callList); r.status != http.StatusNotFound {
		t.Errorf("a call in the deleted session: %d, want 404", r.status)
	}
	ts.initialize(t, hc, keyB)
}

// A session deleted properly leaves nothing that grows: a thousand
// initialize and DELETE pairs run under a cap of one session, and the table
// is empty after them.
func TestDeletedSessionsLeaveNothing(t *testing.T) {
	ts := startServerWith(t, setup{opts: Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey,
		Limits: Limits{MaxSessions: 1, MaxSessionsPerKey: 1}}})
	hc := ownClient(t)
	for range 1000 {
		id := ts.initialize(t, hc, keyA)
		if r := ts.do(t, hc, "DELETE", MCPPath, keyA, id, ""); r.status != http.StatusOK {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		<-ts.ended
	}
	if n := ts.h.sessions.len(); n != 0 {
		t.Errorf("%d sessions left in the table", n)
	}
}

// A session idle for --session-idle-timeout is swept by mcp-go, which
// unregisters it: the table forgets it (the test waits on that hook, not
// on time), its next request and its DELETE get 404, and its slot serves a
// new session.
func TestIdleSessionIsFreed(t *testing.T) {
	ts := startServerWith(t, setup{opts: Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey,
		Limits: Limits{MaxSessions: 1, SessionIdleTimeout: time.Millisecond}}})
	hc := ownClient(t)
	id := ts.initialize(t, hc, keyA)
	if got := <-ts.ended; got != id {
		t.Fatalf("ended %q, want %q", got, id)
	}
	if r := ts.do(t, hc, "POST", MCPPath, keyA, id, callList); r.status != http.StatusNotFound {
		t.Errorf("a call in the swept session: %d, want 404: %s", r.status, r.body)
	}
	if r := ts.do(t, hc, "DELETE", MCPPath, keyA, id, ""); r.status != http.StatusNotFound {
		t.Errorf("DELETE of the swept session: %d, want 404", r.status)
	}
	if n := ts.h.sessions.len(); n != 0 {
		t.Errorf("%d sessions left in the table", n)
	}
	ts.initialize(t, hc, keyA) // the slot is free again
}

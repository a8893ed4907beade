package httpserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// openStream opens an event stream (GET path) with key and session (""
// for none). It returns the response, with the body read whole unless the
// stream opened, and the body for the caller to read or drop; the stream is
// closed when the test ends.
func openStream(t *testing.T, ts *testServer, hc *http.Client, path, key, session string) (reply, io.ReadCloser) {
	t.Helper()
	req := ts.request(t, "GET", path, key, session, "")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	r := reply{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		r.body = string(b)
	}
	return r, resp.Body
}

// Past --max-streams-per-key a key's next stream gets 429 naming the flag,
// on both transports; another key is not affected, and a closed stream gives
// its place back.
func TestStreamsPerKeyCap(t *testing.T) {
	forEachSessionTransport(t, func(t *testing.T, tc transportCase) {
		ts := startServerWith(t, setup{opts: Options{Transport: tc.transport, Loopback: true, DefaultKey: defaultKey,
			Limits: Limits{MaxStreamsPerKey: 2}}})
		hc := ownClient(t)
		path, session := SSEPath, ""
		if tc.transport == Streamable {
			path, session = MCPPath, ts.initialize(t, hc, keyA)
		}
		_, first := openStream(t, ts, hc, path, keyA, session)
		if r, _ := openStream(t, ts, hc, path, keyA, session); r.status != http.StatusOK {
			t.Fatalf("second stream: %d %s", r.status, r.body)
		}
		r, _ := openStream(t, ts, hc, path, keyA, session)
		wantRefusal(t, r, http.StatusTooManyRequests, "max-streams-per-key")
		if tc.transport == SSE {
			if r, _ := openStream(t, ts, hc, path, keyB, ""); r.status != http.StatusOK {
				t.Fatalf("another key's stream: %d %s", r.status, r.body)
			}
		}
		first.Close()
		waitFor(t, "the closed stream to give its place back", &ts.streams, func() bool {
			return ts.h.streams.held(fingerprintOf(keyA)) < 2
		})
		if r, body := openStream(t, ts, hc, path, keyA, session); r.status != http.StatusOK {
			t.Fatalf("a stream in the place the closed one gave back: %d %s", r.status, r.body)
		} else {
			body.Close()
		}
	})
}

// Past --max-inflight-per-session a session's next request gets 429 with
// a JSON-RPC error of its id naming the flag: on SSE (where POST /message
// responds 202 before the call runs) and on streamable HTTP with sessions.
// Once the calls have their responses, the session takes requests again.
func TestInflightPerSessionCap(t *testing.T) {
	forEachSessionTransport(t, func(t *testing.T, tc transportCase) {
		ts := startServerWith(t, setup{opts: Options{Transport: tc.transport, Loopback: true, DefaultKey: defaultKey,
			Limits: Limits{MaxInflightPerSession: 2}}})
		hc := ownClient(t)
		release := ts.up.Hold("/agent/integrations")
		defer release()
		call := func(id int) string {
			return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`, id)
		}
		var post func(body string) reply
		var responded func(n int)
		switch tc.transport {
		case SSE:
			endpoint, events := openSSEEvents(t, ts, hc, keyA)
			post = func(body string) reply { return ts.do(t, hc, "POST", endpoint, keyA, "", body) }
			responded = func(n int) {
				for range n {
					<-events
				}
			}
		default:
			session := ts.initialize(t, hc, keyA)
			var wg sync.WaitGroup
			t.Cleanup(wg.Wait)
			done := make(chan struct{}, 8)
			post = func(body string) reply {
				if !strings.Contains(body, `"id":3`) && !strings.Contains(body, `"id":4`) {
					wg.Go(func() { ts.do(t, hc, "POST", MCPPath, keyA, session, body); done <- struct{}{} })
					return reply{status: http.StatusAccepted}
				}
				return ts.do(t, hc, "POST", MCPPath, keyA, session, body)
			}
			responded = func(n int) {
				for range n {
					<-done
				}
			}
		}
		for i := 1; i <= 2; i++ {
			if r := post(call(i)); r.status != http.StatusAccepted {
				t.Fatalf("call %d: %d %s", i, r.status, r.body)
			}
		}
		for range 2 {
			<-ts.up.Entered // both calls are at the upstream
		}
		r := post(call(3))
		wantRefusal(t, r, http.StatusTooManyRequests, "max-inflight-per-session")
		if id, _, _ := rpcError(t, r.body); string(id) != "3" {
			t.Errorf("the refusal's id is %s, want 3", id)
		}
		release()
		responded(2)
		if r := post(call(4)); r.status != http.StatusAccepted && r.status != http.StatusOK {
			t.Fatalf("a call once the others had their responses: %d %s", r.status, r.body)
		}
	})
}

// openSSEEvents opens an SSE session with key and returns its message
// endpoint and a channel that receives each JSON-RPC response the stream
// delivers.
func openSSEEvents(t *testing.T, ts *testServer, hc *http.Client, key string) (string, <-chan string) {
	t.Helper()
	r, stream := openStream(t, ts, hc, SSEPath, key, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /sse: %d %s", r.status, r.body)
	}
	sc := bufio.NewScanner(stream)
	endpoint := ""
	for endpoint == "" && sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			endpoint = rest
		}
	}
	events := make(chan string, 64)
	go func() {
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && strings.Contains(data, `"result"`) {
				events <- data
			}
		}
	}()
	return messagePath(t, endpoint), events
}

// messagePath resolves the endpoint an SSE stream announced against the
// stream's URL (it may be relative) and returns its path and query.
func messagePath(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		t.Fatalf("endpoint %q: %v", endpoint, err)
	}
	u = (&url.URL{Path: SSEPath}).ResolveReference(u)
	return u.RequestURI()
}

// smallBuffers makes every accepted connection's send buffer small, so
// that a client that stops reading blocks the server's writes after a few
// KiB rather than megabytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// openUnread opens an SSE stream over a raw connection with a small
// receive buffer, reads up to its endpoint event, and returns the message
// endpoint; from then on the client reads nothing.
func openUnread(t *testing.T, ts *testServer) string {
	t.Helper()
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n", SSEPath, ts.addr, keyA)
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream's head: %v", err)
		}
		if rest, ok := strings.CutPrefix(line, "data: "); ok {
			return messagePath(t, rest)
		}
	}
}

// A stream whose client stops reading ends: at its write deadline, its
// session gone (POST /message gets 404) and what it owed dropped; and at
// shutdown, where a stream stuck in a write is cut rather than waited for
// (here the write deadline and the grace period are an hour: the test
// would time out). Each tools/list response is about 10 KiB: the small
// buffers fill and a write blocks.
func TestUnreadStreamEnds(t *testing.T) {
	t.Run("write deadline", func(t *testing.T) {
		// The session's end waits in mcp-go's unregister hook while the
		// test posts to it: the transport has forgotten the session, mcp-go
		// not yet, and the POST must get 404 (mcp-go's response would be
		// 202 now, a 400 once it has forgotten the session).
		unregistering, resume := make(chan struct{}), make(chan struct{})
		// A second: the stream's blocked write fails after it, and each
		// response to a POST has as long to be written.
		ts, endpoint := startUnread(t, setup{
			opts: Options{Limits: Limits{WriteTimeout: time.Second, MaxInflightPerSession: 1000}},
			unregistering: func(string) {
				close(unregistering)
				<-resume
			},
		})
		// More responses than the buffers hold (the stream may end before
		// the last is posted).
		if r := postLists(t, ts, endpoint, 50); r.status != 0 && r.status != http.StatusNotFound {
			t.Fatalf("POST /message: %d %s", r.status, r.body)
		}
		select {
		case <-unregistering: // the stream ended, and its session with it
		case <-time.After(time.Minute): // only bounds a hang
			t.Fatal("the stream never ended")
		}
		r := ts.do(t, ownClient(t), "POST", endpoint, keyA, "", `{"jsonrpc":"2.0","id":"late","method":"tools/list"}`)
		close(resume)
		if r.status != http.StatusNotFound {
			t.Errorf("POST /message once the stream ended: %d %s, want 404", r.status, r.body)
		}
		ts.stop()
		if err := ts.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		ts, endpoint := startUnread(t, setup{opts: Options{Limits: Limits{WriteTimeout: time.Hour, MaxInflightPerSession: 8}}})
		// Post until the session's calls in flight reach the cap: its
		// stream no longer delivers, it is stuck in a write.
		if r := postLists(t, ts, endpoint, 100000); r.status != http.StatusTooManyRequests {
			t.Fatalf("POST /message: %d %s, want 429 at last", r.status, r.body)
		}
		ts.stop()
		if err := ts.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// startUnread serves SSE as s says (its transport, key and listener set
// here), with small buffers and an hour's grace period, and opens a stream
// that is then never read (openUnread); it returns the server and the
// stream's message endpoint.
func startUnread(t *testing.T, s setup) (*testServer, string) {
	t.Helper()
	s.opts.Transport, s.opts.Loopback, s.opts.DefaultKey = SSE, true, defaultKey
	s.run = RunOptions{ShutdownTimeout: time.Hour}
	s.wrap = func(ln net.Listener) net.Listener { return smallBuffers{ln} }
	ts := startServerWith(t, s)
	return ts, openUnread(t, ts)
}

// postLists posts up to n tools/list requests to an SSE session's
// endpoint and returns the first response that is not 202 (a zero reply
// when every one is).
func postLists(t *testing.T, ts *testServer, endpoint string, n int) reply {
	t.Helper()
	hc := ownClient(t)
	for i := range n {
		r := ts.do(t, hc, "POST", endpoint, keyA, "", fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, i))
		if r.status != http.StatusAccepted {
			return r
		}
	}
	return reply{}
}

// --max-connections holds on the listener: with two connections open, a
// third is not served until one of them closes.
func TestConnectionCap(t *testing.T) {
	ts := startServerWith(t, setup{opts: Options{Transport: Streamable, Stateless: true, Loopback: true, DefaultKey: defaultKey},
		run: RunOptions{MaxConnections: 2}})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Each sends a request and keeps its connection open.
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", ts.addr)
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz on a held connection: %v %v", resp, err)
		}
		held = append(held, c)
	}
	third, err := net.Dial("tcp", ts.addr) // the kernel completes the handshake
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	fmt.Fprintf(third, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", ts.addr)
	served := make(chan error, 1)
	go func() {
		_, err := http.ReadResponse(bufio.NewReader(third), nil)
		served <- err
	}()
	// A bound on the absence of a response: a slow machine can only make
	// this pass, never fail, while the cap holds.
	select {
	case err := <-served:
		t.Fatalf("a third connection was served while two were open (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	held[0].Close()
	if err := <-served; err != nil {
		t.Fatalf("the third connection, once one closed: %v", err)
	}
}

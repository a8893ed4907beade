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

// openStream opens an event stream (GET path) with key and session ("" for
// none), and returns its status, and the body for the caller to read or
// drop; the stream is closed when the test ends.
func openStream(t *testing.T, bs *boundedServer, hc *http.Client, path, key, session string) (int, string, io.ReadCloser) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", bs.url+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", legacy)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Body
	}
	return resp.StatusCode, "", resp.Body
}

// Past --max-streams-per-key a key's next stream gets 429 naming the flag,
// on both transports; another key is not affected, and a closed stream gives
// its place back.
func TestStreamsPerKeyCap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport Transport
	}{{"sse", SSE}, {"streamable", Streamable}} {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBounded(t, bounded{opts: Options{Transport: tc.transport, Loopback: true, DefaultKey: defaultKey,
				Limits: Limits{MaxStreamsPerKey: 2}}})
			hc := ownClient(t)
			path, session := SSEPath, ""
			if tc.transport == Streamable {
				path, session = MCPPath, bs.initialize(t, hc, keyA)
			}
			_, _, first := openStream(t, bs, hc, path, keyA, session)
			if code, body, _ := openStream(t, bs, hc, path, keyA, session); code != http.StatusOK {
				t.Fatalf("second stream: %d %s", code, body)
			}
			code, body, _ := openStream(t, bs, hc, path, keyA, session)
			wantRefusal(t, reply{status: code, header: http.Header{"Retry-After": {"x"}}, body: body}, http.StatusTooManyRequests, "max-streams-per-key")
			if tc.transport == SSE {
				if code, body, _ := openStream(t, bs, hc, path, keyB, ""); code != http.StatusOK {
					t.Fatalf("another key's stream: %d %s", code, body)
				}
			}
			first.Close()
			eventually(t, "the closed stream to give its place back", func() bool {
				code, _, body := openStream(t, bs, hc, path, keyA, session)
				if code == http.StatusOK {
					body.Close()
					return true
				}
				return false
			})
		})
	}
}

// Past --max-inflight-per-session a session's next request gets 429 with
// a JSON-RPC error of its id naming the flag: on SSE (where POST /message
// responds 202 before the call runs) and on streamable HTTP with sessions.
// Once the calls have their responses, the session takes requests again.
func TestInflightPerSessionCap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport Transport
	}{{"sse", SSE}, {"streamable", Streamable}} {
		t.Run(tc.name, func(t *testing.T) {
			bs := startBounded(t, bounded{opts: Options{Transport: tc.transport, Loopback: true, DefaultKey: defaultKey,
				Limits: Limits{MaxInflightPerSession: 2}}})
			hc := ownClient(t)
			release := bs.up.Hold("/agent/integrations")
			defer release()
			call := func(id int) string {
				return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`, id)
			}
			var post func(body string) reply
			var responded func(n int)
			switch tc.transport {
			case SSE:
				endpoint, events := openSSEEvents(t, bs, hc, keyA)
				post = func(body string) reply { return bs.do(t, hc, "POST", endpoint, keyA, "", body) }
				responded = func(n int) {
					for range n {
						<-events
					}
				}
			default:
				session := bs.initialize(t, hc, keyA)
				var wg sync.WaitGroup
				t.Cleanup(wg.Wait)
				done := make(chan struct{}, 8)
				post = func(body string) reply {
					if !strings.Contains(body, `"id":3`) && !strings.Contains(body, `"id":4`) {
						wg.Go(func() { bs.do(t, hc, "POST", MCPPath, keyA, session, body); done <- struct{}{} })
						return reply{status: http.StatusAccepted}
					}
					return bs.do(t, hc, "POST", MCPPath, keyA, session, body)
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
				<-bs.up.Entered // both calls are at the upstream
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
}

// openSSEEvents opens an SSE session with key and returns its message
// endpoint and a channel that receives each JSON-RPC response the stream
// delivers.
func openSSEEvents(t *testing.T, bs *boundedServer, hc *http.Client, key string) (string, <-chan string) {
	t.Helper()
	code, body, stream := openStream(t, bs, hc, SSEPath, key, "")
	if code != http.StatusOK {
		t.Fatalf("GET /sse: %d %s", code, body)
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
func openUnread(t *testing.T, bs *boundedServer) string {
	t.Helper()
	conn, err := net.Dial("tcp", bs.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n", SSEPath, bs.addr, keyA)
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
	list := `{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`
	t.Run("write deadline", func(t *testing.T) {
		bs := startBounded(t, bounded{
			opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey,
				Limits: Limits{WriteTimeout: 50 * time.Millisecond, MaxInflightPerSession: 1000}},
			run:  RunOptions{ShutdownTimeout: time.Hour},
			wrap: func(ln net.Listener) net.Listener { return smallBuffers{ln} },
		})
		endpoint := openUnread(t, bs)
		hc := ownClient(t)
		for i := 0; ; i++ {
			r := bs.do(t, hc, "POST", endpoint, keyA, "", fmt.Sprintf(list, i))
			if r.status == http.StatusNotFound {
				break // the stream ended, and its session with it
			}
			if r.status != http.StatusAccepted {
				t.Fatalf("POST /message: %d %s", r.status, r.body)
			}
			if i > 100000 {
				t.Fatal("the stream never ended")
			}
		}
		bs.stop()
		if err := bs.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		bs := startBounded(t, bounded{
			opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey,
				Limits: Limits{WriteTimeout: time.Hour, MaxInflightPerSession: 8}},
			run:  RunOptions{ShutdownTimeout: time.Hour},
			wrap: func(ln net.Listener) net.Listener { return smallBuffers{ln} },
		})
		endpoint := openUnread(t, bs)
		hc := ownClient(t)
		// Post until the session's calls in flight reach the cap: its
		// stream no longer delivers, it is stuck in a write.
		for i := 0; ; i++ {
			r := bs.do(t, hc, "POST", endpoint, keyA, "", fmt.Sprintf(list, i))
			if r.status == http.StatusTooManyRequests {
				break
			}
			if r.status != http.StatusAccepted {
				t.Fatalf("POST /message: %d %s", r.status, r.body)
			}
		}
		bs.stop()
		if err := bs.wait(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// --max-connections holds on the listener: with two connections open, a
// third is not served until one of them closes.
func TestConnectionCap(t *testing.T) {
	bs := startBounded(t, bounded{opts: Options{Transport: Streamable, Stateless: true, Loopback: true, DefaultKey: defaultKey},
		run: RunOptions{MaxConnections: 2}})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", bs.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Each sends a request and keeps its connection open.
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", bs.addr)
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz on a held connection: %v %v", resp, err)
		}
		held = append(held, c)
	}
	third, err := net.Dial("tcp", bs.addr) // the kernel completes the handshake
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	fmt.Fprintf(third, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", bs.addr)
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

package httpserver

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// Protocol eras a client may speak: the legacy one with initialize and
// sessions, and the stateless 2026-07-28 one.
const (
	legacy = "2025-11-25"
	modern = "" // the go-sdk's latest
)

// transportCase is one way of serving.
type transportCase struct {
	name      string
	transport Transport
	stateless bool
	eras      []string
}

var transportCases = []transportCase{
	{"sse", SSE, false, []string{legacy, modern}},
	{"streamable", Streamable, false, []string{legacy, modern}},
	{"streamable-stateless", Streamable, true, []string{legacy, modern}},
}

// TestEveryToolOverEveryTransport: a go-sdk client lists the catalogue and
// calls every tool with its row of the shared test table, over each
// transport in both eras; each call reaches the upstream once, with the
// client's key, and so does a resource read.
func TestEveryToolOverEveryTransport(t *testing.T) {
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServer(t, Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey})
				cs := connect(t, ts, tc.transport, keyA, era)

				list, err := cs.ListTools(t.Context(), nil)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, tool := range list.Tools {
					names = append(names, tool.Name)
				}
				if want := tools.Names(); !sameNames(names, want) {
					t.Fatalf("tools/list: %v, want the catalogue's %v", names, want)
				}
				for _, name := range tools.Names() {
					call := testutil.ToolCallOf(t, name)
					before := len(ts.up.Requests())
					res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: name, Arguments: call.Args})
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if res.IsError {
						t.Fatalf("%s: isError: %s", name, resultText(res))
					}
					got := ts.up.Requests()[before:]
					want := []seen{{Method: call.Method, Path: call.Path, Auth: "Bearer " + keyA}}
					if !slices.Equal(got, want) {
						t.Errorf("%s reached the upstream as %v, want %v", name, got, want)
					}
				}
				// Resources take their client from the request too.
				before := len(ts.up.Requests())
				if _, err := cs.ReadResource(t.Context(), &sdk.ReadResourceParams{URI: "alfe://integrations"}); err != nil {
					t.Fatalf("resources/read: %v", err)
				}
				if got, want := ts.up.Requests()[before:], []seen{{Method: "GET", Path: "/agent/integrations", Auth: "Bearer " + keyA}}; !slices.Equal(got, want) {
					t.Errorf("resources/read reached the upstream as %v, want %v", got, want)
				}
			})
		}
	}
}

// sameNames reports whether a and b hold the same names, in any order.
func sameNames(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func eraName(v string) string {
	if v == modern {
		return "modern"
	}
	return "legacy-" + v
}

func TestLoopbackWithoutKeyUsesServerKey(t *testing.T) {
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServer(t, Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey})
				cs := connect(t, ts, tc.transport, "", era)
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}})
				if err != nil || res.IsError {
					t.Fatalf("call: %v %v", err, res)
				}
				want := []seen{{Method: "GET", Path: "/agent/integrations", Auth: "Bearer " + defaultKey}}
				if got := ts.up.Requests(); !slices.Equal(got, want) {
					t.Errorf("upstream got %v, want %v", got, want)
				}
			})
		}
	}
}

// Two clients with different keys call at the same time: every upstream
// request carries the key of the client whose call made it.
func TestConcurrentClientsKeepTheirKeys(t *testing.T) {
	const calls = 20
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServer(t, Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey})
				clients := map[string]*sdk.ClientSession{
					"alpha": connect(t, ts, tc.transport, keyA, era),
					"bravo": connect(t, ts, tc.transport, keyB, era),
				}
				var wg sync.WaitGroup
				errs := make(chan error, 2*calls)
				for prefix, cs := range clients {
					for i := range calls {
						wg.Go(func() {
							id := fmt.Sprintf("%s-%d", prefix, i)
							res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "get_integration_config", Arguments: map[string]any{"integrationId": id}})
							switch {
							case err != nil:
								errs <- err
							case !res.IsError || !strings.Contains(resultText(res), id):
								// not installed: a 404 returned as an isError result naming the id
								errs <- fmt.Errorf("%s: unexpected result %q", id, resultText(res))
							}
						})
					}
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				keys := map[string]string{"alpha": "Bearer " + keyA, "bravo": "Bearer " + keyB}
				got := ts.up.Requests()
				if len(got) != 2*calls {
					t.Fatalf("upstream got %d requests, want %d", len(got), 2*calls)
				}
				for _, r := range got {
					prefix, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/agent/integrations/"), "-")
					if r.Auth != keys[prefix] {
						t.Errorf("%s %s carried the other client's key", r.Method, r.Path)
					}
				}
			})
		}
	}
}

// A session is bound to the key that opened it: another key naming it gets
// 404 and nothing reaches the upstream.
func TestSessionsAreBoundToKeys(t *testing.T) {
	t.Run("sse", func(t *testing.T) {
		ts := startServer(t, Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey})
		endpoint := openSSE(t, ts, keyA)
		post := func(key string) int {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url+endpoint, strings.NewReader(callList))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := post(keyB); got != http.StatusNotFound {
			t.Errorf("another key: status %d, want 404", got)
		}
		if got := post(""); got != http.StatusNotFound {
			t.Errorf("no key (the server's): status %d, want 404", got)
		}
		if got := ts.up.Requests(); len(got) != 0 {
			t.Errorf("the upstream got %v", got)
		}
		if got := post(keyA); got != http.StatusAccepted {
			t.Errorf("the opener's key: status %d, want 202", got)
		}
	})
	t.Run("streamable", func(t *testing.T) {
		ts := startServer(t, Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey})
		session := ts.initialize(t, http.DefaultClient, keyA)
		for _, key := range []string{keyB, ""} {
			if r := ts.do(t, http.DefaultClient, "POST", MCPPath, key, session, callList); r.status != http.StatusNotFound {
				t.Errorf("key %q: status %d, want 404: %s", key, r.status, r.body)
			}
		}
		req, _ := http.NewRequestWithContext(t.Context(), "DELETE", ts.url+MCPPath, nil)
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Authorization", "Bearer "+keyB)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("DELETE with another key: %v %v, want 404", resp.StatusCode, err)
		}
		if got := ts.up.Requests(); len(got) != 0 {
			t.Errorf("the upstream got %v", got)
		}
		if r := ts.do(t, http.DefaultClient, "POST", MCPPath, keyA, session, callList); r.status != http.StatusOK {
			t.Errorf("the opener's key: status %d: %s", r.status, r.body)
		}
		if got := ts.up.Requests(); len(got) != 1 || got[0].Auth != "Bearer "+keyA {
			t.Errorf("the upstream got %v", got)
		}
	})
}

// openSSE opens an SSE stream with key and returns the path and query of
// the message endpoint it announces, resolved against the stream's URL; the
// stream stays open until the test ends.
func openSSE(t *testing.T, ts *testServer, key string) string {
	t.Helper()
	stream, err := url.Parse(ts.url + SSEPath)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := url.Parse(sseEndpointEvent(t, ts, key))
	if err != nil {
		t.Fatal(err)
	}
	return stream.ResolveReference(ref).RequestURI()
}

// sseEndpointEvent opens an SSE stream with key and returns the data of its
// endpoint event as sent; the stream stays open until the test ends.
func sseEndpointEvent(t *testing.T, ts *testServer, key string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.url+SSEPath, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("GET /sse: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			go io.Copy(io.Discard, resp.Body)
			return strings.TrimSpace(rest)
		}
	}
	t.Fatal("no endpoint event")
	return ""
}

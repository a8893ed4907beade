package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// callList is a legacy tools/call of list_integrations: in stateless mode it
// needs no session, so a request that passes every check reaches the
// upstream once.
const callList = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`

// bigBody is a JSON-RPC message of 2 MiB.
func bigBody() string {
	return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_registry","arguments":{"query":"` +
		strings.Repeat("x", 2<<20) + `"}}}`
}

func TestRequestChecks(t *testing.T) {
	stateless := Options{Transport: Streamable, Stateless: true, Loopback: true, DefaultKey: defaultKey}
	tests := []struct {
		name    string
		opts    Options
		method  string
		path    string
		header  map[string]string
		host    string    // overrides the Host header
		body    io.Reader // nil: callList
		chunked bool

		wantStatus   int
		wantUpstream string // the Authorization the upstream saw; "" for no upstream request
		wantBody     string // a substring of the response
		wantHeader   map[string]string
	}{
		{name: "healthz without key beyond loopback", opts: Options{Transport: Streamable}, method: "GET", path: "/healthz",
			wantStatus: 200, wantBody: `{"status":"ok"}`, wantHeader: map[string]string{"Content-Type": "application/json"}},
		{name: "healthz on SSE", opts: Options{Transport: SSE}, method: "GET", path: "/healthz", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "healthz from a foreign origin", opts: stateless, method: "GET", path: "/healthz",
			header: map[string]string{"Origin": "https://evil.example"}, wantStatus: 403},
		{name: "foreign origin", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer " + keyA}, wantStatus: 403},
		{name: "foreign origin before a malformed key", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Origin": "http://localhost.evil.example", "Authorization": "Basic x"}, wantStatus: 403},
		{name: "foreign origin on SSE", opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey}, method: "GET", path: "/sse",
			header: map[string]string{"Origin": "https://evil.example"}, wantStatus: 403},
		{name: "own origin", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Origin": "http://localhost:5173", "Authorization": "Bearer " + keyA}, wantStatus: 200, wantUpstream: "Bearer " + keyA},
		{name: "allowed extra origin", opts: Options{Transport: Streamable, Stateless: true, AllowedOrigins: []string{"https://app.example.com"}}, method: "POST", path: "/mcp",
			header: map[string]string{"Origin": "https://app.example.com", "Authorization": "Bearer " + keyA}, wantStatus: 200, wantUpstream: "Bearer " + keyA},
		{name: "no origin", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Authorization": "Bearer " + keyB}, wantStatus: 200, wantUpstream: "Bearer " + keyB},
		{name: "foreign Host on loopback", opts: stateless, method: "POST", path: "/mcp", host: "evil.example",
			header: map[string]string{"Authorization": "Bearer " + keyA}, wantStatus: 403,
			wantBody:   `{"error":"Host header \"evil.example\" on a loopback connection: refused against DNS rebinding`,
			wantHeader: map[string]string{"Content-Type": "application/json"}},
		{name: "foreign Host on loopback, before a malformed key", opts: stateless, method: "POST", path: "/mcp", host: "rebind.example:8080",
			header: map[string]string{"Authorization": "Basic x"}, wantStatus: 403, wantBody: "DNS rebinding"},
		{name: "foreign Host on loopback on SSE", opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey}, method: "GET", path: "/sse",
			host: "evil.example", wantStatus: 403, wantBody: "DNS rebinding"},
		// The connection decides, not the listener: one bound to every
		// interface is reached on loopback too.
		{name: "foreign Host on loopback, a listener beyond loopback", opts: Options{Transport: Streamable, Stateless: true},
			method: "POST", path: "/mcp", host: "evil.example", header: map[string]string{"Authorization": "Bearer " + keyA},
			wantStatus: 403, wantBody: "DNS rebinding"},
		{name: "loopback Host with a port", opts: stateless, method: "POST", path: "/mcp", host: "[::1]:8080",
			header: map[string]string{"Authorization": "Bearer " + keyA}, wantStatus: 200, wantUpstream: "Bearer " + keyA},
		{name: "healthz with a foreign Host", opts: stateless, method: "GET", path: "/healthz", host: "pod-7.example", wantStatus: 200},
		{name: "malformed Authorization", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Authorization": "Token " + keyA}, wantStatus: 400, wantBody: "malformed Authorization"},
		// A bearer that cannot be an agent API key: redaction would
		// corrupt results with it (apiclient.CheckKey).
		{name: "short bearer", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Authorization": "Bearer A"}, wantStatus: 401, wantBody: "1 character; an Alfe agent API key has at least 16",
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="alfe-mcp", error="invalid_token"`}},
		{name: "bearer of 15 characters", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Authorization": "Bearer " + keyA[:15]}, wantStatus: 401, wantBody: "at least 16"},
		{name: "bearer of other characters", opts: stateless, method: "POST", path: "/mcp",
			header: map[string]string{"Authorization": `Bearer sk_live_"quoted"_key`}, wantStatus: 401, wantBody: "character"},
		{name: "short bearer on SSE", opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey}, method: "GET", path: "/sse",
			header: map[string]string{"Authorization": "Bearer A"}, wantStatus: 401, wantBody: "at least 16"},
		{name: "no key beyond loopback", opts: Options{Transport: Streamable, Stateless: true, DefaultKey: defaultKey}, method: "POST", path: "/mcp",
			wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="alfe-mcp"`}},
		{name: "no key beyond loopback on SSE", opts: Options{Transport: SSE, DefaultKey: defaultKey}, method: "GET", path: "/sse",
			wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="alfe-mcp"`}},
		{name: "no key on loopback, none configured", opts: Options{Transport: Streamable, Stateless: true, Loopback: true}, method: "POST", path: "/mcp",
			wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="alfe-mcp"`}},
		{name: "no key on loopback: the server's own", opts: stateless, method: "POST", path: "/mcp",
			wantStatus: 200, wantUpstream: "Bearer " + defaultKey},
		{name: "own key beyond loopback", opts: Options{Transport: Streamable, Stateless: true, DefaultKey: defaultKey}, method: "POST", path: "/mcp",
			header: map[string]string{"Authorization": "Bearer " + keyA}, wantStatus: 200, wantUpstream: "Bearer " + keyA},
		{name: "2 MiB body", opts: stateless, method: "POST", path: "/mcp", body: strings.NewReader(bigBody()),
			header: map[string]string{"Authorization": "Bearer " + keyA}, wantStatus: 413},
		{name: "2 MiB body, chunked", opts: stateless, method: "POST", path: "/mcp", body: strings.NewReader(bigBody()), chunked: true,
			header: map[string]string{"Authorization": "Bearer " + keyA}, wantStatus: 413},
		{name: "2 MiB body on SSE", opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey}, method: "POST", path: "/message?sessionId=x",
			body: strings.NewReader(bigBody()), wantStatus: 413},
		{name: "unknown path", opts: stateless, method: "GET", path: "/admin", wantStatus: 404},
		{name: "SSE message for an unknown session", opts: Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey}, method: "POST", path: "/message?sessionId=nope",
			wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.opts)
			body := tt.body
			if body == nil {
				body = strings.NewReader(callList)
			}
			if tt.chunked {
				body = io.MultiReader(body) // no length: sent chunked
			}
			if tt.method == "GET" {
				body = nil
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.url+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tt.path == "/sse" && resp.StatusCode == 200 {
				t.Fatalf("status 200 (an SSE stream); want %d", tt.wantStatus)
			}
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, got)
			}
			if !strings.Contains(string(got), tt.wantBody) {
				t.Errorf("body %s, want it to contain %s", got, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if resp.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, resp.Header.Get(k), v)
				}
			}
			if resp.StatusCode >= 400 && resp.StatusCode != 404 && !json.Valid(got) && !bytes.Contains(got, []byte("Forbidden")) {
				t.Errorf("error body is not JSON: %s", got)
			}
			reqs := ts.up.Requests()
			switch {
			case tt.wantUpstream == "" && len(reqs) > 0:
				t.Errorf("the upstream got %v, want nothing", reqs)
			case tt.wantUpstream != "" && (len(reqs) != 1 || reqs[0] != seen{Method: "GET", Path: "/agent/integrations", Auth: tt.wantUpstream}):
				t.Errorf("the upstream got %v, want one GET /agent/integrations with %q", reqs, tt.wantUpstream)
			}
		})
	}
}

func TestRequestLog(t *testing.T) {
	ts := startServer(t, Options{Transport: Streamable, Stateless: true, Loopback: true, DefaultKey: defaultKey})
	for _, auth := range []string{"Bearer " + keyA, "Token " + keyB} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.url+"/mcp?secret=q", strings.NewReader(callList))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	logs := ts.logs.String()
	for _, want := range []string{
		`msg="http request" method=POST path=/mcp status=200 duration=`,
		`msg="http request" method=POST path=/mcp status=400 duration=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, never := range []string{keyA, keyB, "secret=q", "Authorization", "Bearer"} {
		if strings.Contains(logs, never) {
			t.Errorf("logs contain %q:\n%s", never, logs)
		}
	}
}

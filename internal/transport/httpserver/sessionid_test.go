package httpserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Messages of the session-header tests, in the legacy era.
const (
	// modernList is a 2026-07-28 tools/list: its _meta carries the
	// protocol version, and it never carries a session id.
	modernList = `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
		`"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},` +
		`"io.modelcontextprotocol/clientCapabilities":{}}}}`
)

// TestSessionHeader: on streamable HTTP with sessions, a legacy-era
// request other than initialize that carries no Mcp-Session-Id gets 400 (the
// transport specification's answer to a missing header), whatever its
// method and whatever it carries (a request, a notification, a response); a
// session id the server does not know, or one that was deleted, gets 404,
// which clients read as "the session ended, start another". A 2026-07-28
// request never carries the header and is served; so is every request on
// stateless streamable HTTP.
func TestSessionHeader(t *testing.T) {
	stateful := Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey}
	stateless := Options{Transport: Streamable, Stateless: true, Loopback: true, DefaultKey: defaultKey}
	const (
		live    = "live"    // the session initialize opened
		deleted = "deleted" // a session opened, then deleted
	)
	tests := []struct {
		name    string
		opts    Options
		method  string
		session string // "", live, deleted, or a literal id
		version string // Mcp-Protocol-Version header, "" for none
		body    string

		wantStatus int
		wantBody   string // a substring of the response
	}{
		{name: "request without the header", opts: stateful, method: "POST", body: callList, wantStatus: 400, wantBody: "Mcp-Session-Id"},
		{name: "request with the version header, without the session", opts: stateful, method: "POST", version: "2025-11-25", body: callList, wantStatus: 400},
		{name: "notification without the header", opts: stateful, method: "POST", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, wantStatus: 400},
		{name: "response without the header", opts: stateful, method: "POST", body: `{"jsonrpc":"2.0","id":3,"result":{"action":"decline"}}`, wantStatus: 400},
		{name: "listening stream without the header", opts: stateful, method: "GET", wantStatus: 400},
		{name: "delete without the header", opts: stateful, method: "DELETE", wantStatus: 400},
		{name: "unknown session", opts: stateful, method: "POST", session: "no-such-session", body: callList, wantStatus: 404},
		{name: "unknown session, listening", opts: stateful, method: "GET", session: "no-such-session", wantStatus: 404},
		{name: "deleted session", opts: stateful, method: "POST", session: deleted, body: callList, wantStatus: 404},
		{name: "live session", opts: stateful, method: "POST", session: live, body: callList, wantStatus: 200, wantBody: `"result"`},
		{name: "initialize needs none", opts: stateful, method: "POST", body: initLegacy, wantStatus: 200, wantBody: `"protocolVersion"`},
		{name: "2026-07-28 request never carries one", opts: stateful, method: "POST", version: "2026-07-28", body: modernList, wantStatus: 200, wantBody: `"tools"`},
		{name: "stateless needs none", opts: stateless, method: "POST", body: callList, wantStatus: 200, wantBody: `"result"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.opts)
			session := tt.session
			switch session {
			case live:
				session = ts.initialize(t, ownClient(t), keyA)
			case deleted:
				session = ts.initialize(t, ownClient(t), keyA)
				if status := sendRaw(t, ts, "DELETE", session, "", ""); status.code != http.StatusOK {
					t.Fatalf("DELETE of the session: %d %s", status.code, status.body)
				}
			}
			got := sendRaw(t, ts, tt.method, session, tt.version, tt.body)
			if got.code != tt.wantStatus || !strings.Contains(got.body, tt.wantBody) {
				t.Errorf("%s: %d %s, want %d with %q", tt.method, got.code, got.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestSessionHeaderRealClients: the go-sdk client, which reads a 404 as the
// end of its session, works over stateful streamable HTTP in both eras.
func TestSessionHeaderRealClients(t *testing.T) {
	for _, era := range []string{legacy, modern} {
		t.Run(eraName(era), func(t *testing.T) {
			ts := startServer(t, Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey})
			cs := connect(t, ts, Streamable, keyA, era)
			for range 2 {
				if _, err := cs.ListTools(t.Context(), &sdk.ListToolsParams{}); err != nil {
					t.Fatalf("tools/list: %v", err)
				}
			}
		})
	}
}

// rawResponse is a status and a body.
type rawResponse struct {
	code int
	body string
}

// sendRaw sends one request to /mcp with keyA, the session and protocol
// version headers when non-empty, and the body when non-empty.
func sendRaw(t *testing.T, ts *testServer, method, session, version, body string) rawResponse {
	t.Helper()
	req := ts.request(t, method, MCPPath, keyA, session, body) // a session's version: legacy
	if version != "" {
		req.Header.Set("Mcp-Protocol-Version", version)
	}
	if version == "2026-07-28" {
		req.Header.Set("Mcp-Method", methodOf(body)) // required in that era
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if method == "GET" {
		// A listening stream that opens stays open: read its status only.
		return rawResponse{code: resp.StatusCode}
	}
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{code: resp.StatusCode, body: string(b)}
}

// methodOf returns the method of a JSON-RPC message, "" for none.
func methodOf(body string) string {
	var m struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal([]byte(body), &m)
	return m.Method
}

package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// elicitor responds to elicitation requests as a user would.
type elicitor struct {
	action mcp.ElicitationResponseAction
	typed  string
	asked  atomic.Int32
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.asked.Add(1)
	res := &mcp.ElicitationResult{}
	res.Action = e.action
	if e.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"integrationId": e.typed}
	}
	return res, nil
}

// deleteCounter is an upstream that counts DELETEs and responds 204.
func deleteCounter(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var deletes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes.Add(1)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &deletes
}

// Capabilities of transports, as the tests report them on each call.
var (
	// everything reaches the client (stdio, stateful streamable HTTP).
	everything = transport.Capabilities{ServerRequests: true, InputRequiredResults: true}
	// nothing but the response reaches it (SSE).
	nothing = transport.Capabilities{}
)

func confirmClient(t *testing.T, upstream string, era string, el *elicitor) *client.Client {
	t.Helper()
	c, err := apiclient.New(apiclient.Options{BaseURL: upstream, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Options{Client: StaticClient(c)})
	if err != nil {
		t.Fatal(err)
	}
	var opts []client.ClientOption
	if era == "legacy" {
		opts = append(opts, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	}
	if el != nil {
		opts = append(opts, client.WithElicitationHandler(el))
	}
	mc, err := client.NewInProcessClientWithOptions(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mc.Close() })
	ctx := context.Background()
	if err := mc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if el != nil {
		init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{Form: &struct{}{}}
	}
	if _, err := mc.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return mc
}

// callRemove calls remove_integration over the in-process client mc, whose
// transport reports can: mcp-go's in-process transport hands the call's
// context to the server as it is.
func callRemove(t *testing.T, mc *client.Client, id string, can transport.Capabilities) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = "remove_integration"
	req.Params.Arguments = map[string]any{"integrationId": id}
	ctx, cancel := context.WithTimeout(transport.WithCapabilities(context.Background(), can), 10*time.Second)
	defer cancel()
	res, err := mc.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("remove_integration: protocol error %v", err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func TestRemoveConfirmation(t *testing.T) {
	cases := []struct {
		name       string
		el         *elicitor // nil: the client cannot elicit
		can        transport.Capabilities
		wantAsked  bool
		wantDelete bool
		wantText   string
	}{
		{"accepted with the right id", &elicitor{action: mcp.ElicitationResponseActionAccept, typed: "github"}, everything, true, true, `"removed":true`},
		{"declined", &elicitor{action: mcp.ElicitationResponseActionDecline}, everything, true, false, "declined the removal of 'github'. Nothing was removed."},
		{"cancelled", &elicitor{action: mcp.ElicitationResponseActionCancel}, everything, true, false, "Nothing was removed."},
		{"wrong id typed", &elicitor{action: mcp.ElicitationResponseActionAccept, typed: "githbu"}, everything, true, false, "does not match 'github'. Nothing was removed."},
		{"client without elicitation proceeds", nil, everything, false, true, `"removed":true`},
		{"transport without elicitation proceeds", &elicitor{action: mcp.ElicitationResponseActionDecline}, nothing, false, true, `"removed":true`},
	}
	for _, era := range []string{"modern", "legacy"} {
		for _, tc := range cases {
			t.Run(era+"/"+tc.name, func(t *testing.T) {
				up, deletes := deleteCounter(t)
				mc := confirmClient(t, up.URL, era, tc.el)
				res := callRemove(t, mc, "github", tc.can)
				got := text(res)
				if !strings.Contains(got, tc.wantText) {
					t.Errorf("result %q does not contain %q", got, tc.wantText)
				}
				if res.IsError == tc.wantDelete {
					t.Errorf("isError = %v, want %v (%s)", res.IsError, !tc.wantDelete, got)
				}
				if asked := tc.el != nil && tc.el.asked.Load() > 0; asked != tc.wantAsked {
					t.Errorf("asked = %v, want %v", asked, tc.wantAsked)
				}
				if n := deletes.Load(); (n > 0) != tc.wantDelete {
					t.Errorf("upstream DELETEs = %d, want delete=%v", n, tc.wantDelete)
				}
			})
		}
	}
}

// The question goes where the transport says it can reach the client, in
// the request's era; elsewhere the removal proceeds unasked.
func TestRemoveConfirmationFollowsTheTransport(t *testing.T) {
	for _, tc := range []struct {
		name      string
		can       transport.Capabilities
		wantAsked map[string]bool // by era
	}{
		{"everything reaches the client", everything, map[string]bool{"legacy": true, "modern": true}},
		{"only requests from the server", transport.Capabilities{ServerRequests: true}, map[string]bool{"legacy": true, "modern": false}},
		{"only input_required results (stateless HTTP)", transport.Capabilities{InputRequiredResults: true}, map[string]bool{"legacy": false, "modern": true}},
		{"nothing reported", nothing, map[string]bool{"legacy": false, "modern": false}},
	} {
		for _, era := range []string{"modern", "legacy"} {
			t.Run(tc.name+"/"+era, func(t *testing.T) {
				up, deletes := deleteCounter(t)
				el := &elicitor{action: mcp.ElicitationResponseActionAccept, typed: "github"}
				res := callRemove(t, confirmClient(t, up.URL, era, el), "github", tc.can)
				if res.IsError {
					t.Fatalf("isError: %s", text(res))
				}
				if asked := el.asked.Load() > 0; asked != tc.wantAsked[era] {
					t.Errorf("asked = %v, want %v", asked, tc.wantAsked[era])
				}
				if n := deletes.Load(); n != 1 {
					t.Errorf("upstream DELETEs = %d, want 1", n)
				}
			})
		}
	}
}

// A modern client that tampers with the request state, or responds without
// one, removes nothing.
func TestRemoveConfirmationForgedState(t *testing.T) {
	up, deletes := deleteCounter(t)
	c, _ := apiclient.New(apiclient.Options{BaseURL: up.URL, APIKey: "k"})
	key, _ := newStateKey(nil)
	other, _ := newStateKey(nil)
	valid := key.sign("github", time.Now().Add(time.Minute))
	expired := key.sign("github", time.Now().Add(-time.Minute))
	forOther := key.sign("slack", time.Now().Add(time.Minute))
	wrongKey := other.sign("github", time.Now().Add(time.Minute))
	enc, _, _ := strings.Cut(valid, ".")
	tampered := enc + ".AAAA"

	for _, tc := range []struct {
		name, state string
		respond     bool
		want        string
	}{
		{"tampered signature", tampered, true, "signature does not match"},
		{"signed by another server", wrongKey, true, "signature does not match"},
		{"expired", expired, true, "expired"},
		{"issued for another integration", forOther, true, "issued for 'slack'"},
		{"garbage", "not-a-state", true, "malformed"},
		{"state without a response", valid, false, "got no response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewServer(Options{Client: StaticClient(c), ConfirmKey: key})
			if err != nil {
				t.Fatal(err)
			}
			params := map[string]any{
				"name":         "remove_integration",
				"arguments":    map[string]any{"integrationId": "github"},
				"requestState": tc.state,
				"_meta": map[string]any{
					"io.modelcontextprotocol/protocolVersion":    mcp.LATEST_PROTOCOL_VERSION,
					"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{"form": map[string]any{}}},
					"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "t", "version": "1"},
				},
			}
			if tc.respond {
				params["inputResponses"] = map[string]any{confirmInputID: map[string]any{"action": "accept", "content": map[string]any{"integrationId": "github"}}}
			}
			msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
			resp := s.HandleMessage(transport.WithCapabilities(context.Background(), everything), msg)
			out, _ := json.Marshal(resp)
			if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "Nothing was removed.") || !strings.Contains(string(out), `"isError":true`) {
				t.Errorf("response %s lacks %q", out, tc.want)
			}
			if deletes.Load() != 0 {
				t.Fatalf("upstream got %d DELETEs", deletes.Load())
			}
		})
	}
}

// Replicas configured with the same ConfirmKey accept each other's
// confirmation states; with different keys they refuse them.
func TestRemoveConfirmationAcrossReplicas(t *testing.T) {
	shared := []byte(strings.Repeat("k", 32))
	for _, tc := range []struct {
		name       string
		keyA, keyB []byte
		wantDelete bool
	}{
		{"same key", shared, shared, true},
		{"random keys", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, deletes := deleteCounter(t)
			c, _ := apiclient.New(apiclient.Options{BaseURL: up.URL, APIKey: "k"})
			a, err := NewServer(Options{Client: StaticClient(c), ConfirmKey: tc.keyA})
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewServer(Options{Client: StaticClient(c), ConfirmKey: tc.keyB})
			if err != nil {
				t.Fatal(err)
			}
			meta := map[string]any{
				"io.modelcontextprotocol/protocolVersion":    mcp.LATEST_PROTOCOL_VERSION,
				"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{"form": map[string]any{}}},
				"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "t", "version": "1"},
			}
			call := func(s interface {
				HandleMessage(context.Context, json.RawMessage) mcp.JSONRPCMessage
			}, extra map[string]any) map[string]any {
				params := map[string]any{"name": "remove_integration", "arguments": map[string]any{"integrationId": "github"}, "_meta": meta}
				for k, v := range extra {
					params[k] = v
				}
				msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
				out, _ := json.Marshal(s.HandleMessage(transport.WithCapabilities(context.Background(), everything), msg))
				var resp struct {
					Result map[string]any `json:"result"`
				}
				if err := json.Unmarshal(out, &resp); err != nil || resp.Result == nil {
					t.Fatalf("response %s", out)
				}
				return resp.Result
			}
			first := call(a, nil) // replica A asks for the confirmation
			state, _ := first["requestState"].(string)
			if state == "" {
				t.Fatalf("replica A did not ask for a confirmation: %v", first)
			}
			call(b, map[string]any{ // the retry lands on replica B
				"requestState":   state,
				"inputResponses": map[string]any{confirmInputID: map[string]any{"action": "accept", "content": map[string]any{"integrationId": "github"}}},
			})
			if got := deletes.Load() == 1; got != tc.wantDelete {
				t.Fatalf("deleted = %v, want %v", got, tc.wantDelete)
			}
		})
	}
}

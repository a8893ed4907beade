package tools_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestServerCapabilities checks what the server says it can do, as a client
// reads it in each era (the initialize result of the legacy handshake, the
// server/discover result of 2026-07-28), over both transports and, on
// stdio, on the wire: tools, resources and prompts, without list-changed
// notifications, and never elicitation, which the specification defines
// only among the capabilities of a client (server.WithElicitation puts it
// among the server's). The removal confirmation, which elicits, works
// without it (TestRemoveConfirmation, and the transports' tests).
func TestServerCapabilities(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		f := newFixture(t, "http://127.0.0.1:1", serverOptions{}) // never called
		var wire *syncBuffer
		var c interface {
			Initialize(context.Context, mcp.InitializeRequest) (*mcp.InitializeResult, error)
		}
		if tr == stdio {
			wire = &syncBuffer{}
			sc := f.connectStdio(t, e, wire)
			if err := sc.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			c = sc
		} else {
			ic := f.connectInProcess(t, e)
			c = ic
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		req := mcp.InitializeRequest{}
		req.Params.ClientInfo = mcp.Implementation{Name: "capabilities-test", Version: "1"}
		res, err := c.Initialize(ctx, req)
		if err != nil {
			t.Fatalf("initialize: %v", err)
		}
		caps := res.Capabilities
		if caps.Elicitation != nil {
			t.Errorf("the server lists elicitation among its capabilities: %+v", caps.Elicitation)
		}
		if caps.Tools == nil || caps.Tools.ListChanged || caps.Resources == nil || caps.Prompts == nil {
			t.Errorf("capabilities %+v, want tools, resources and prompts without listChanged", caps)
		}
		if wire == nil {
			return
		}
		// On the wire: the first response is initialize's or discover's.
		line, _, _ := strings.Cut(wire.String(), "\n")
		var msg struct {
			Result struct {
				Capabilities map[string]json.RawMessage `json:"capabilities"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.Result.Capabilities == nil {
			t.Fatalf("first line on the wire is not a result with capabilities: %s", line)
		}
		if _, ok := msg.Result.Capabilities["elicitation"]; ok {
			t.Errorf("the wire's capabilities list elicitation: %s", line)
		}
	})
}

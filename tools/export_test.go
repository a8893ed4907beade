package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// PanickingToolName is the name of the tool AddPanickingToolForTest adds.
const PanickingToolName = "panicking_tool"

// AddPanickingToolForTest registers on s (built by NewServer with opts) a tool
// whose handler panics. mcp-go applies the server's tool middleware when a
// tool is called, not when it is added, so the tool runs behind exactly the
// middleware of the catalogue's tools.
func AddPanickingToolForTest(s *server.MCPServer, opts Options) {
	t := define(PanickingToolName, "Panic", "Panics, for the recovery test.",
		Hints{ReadOnly: true, Idempotent: true},
		func(context.Context, *Call, schemas.ListIntegrationsInput) (schemas.RemoveIntegrationOutput, error) {
			count(nil, "boom") // a real runtime panic: assignment to entry in nil map
			return schemas.RemoveIntegrationOutput{}, nil
		})
	s.AddTools(t.serverTool(&opts))
}

// count adds one to m[key]; it panics when m is nil, as a handler's bug
// would.
func count(m map[string]int, key string) { m[key]++ }

// NewServerForTest is NewServer, which also returns a function that counts
// the server's subscribers and the URIs they subscribed to; changed, when
// not nil, runs after each change of that record.
func NewServerForTest(opts Options, changed func()) (*server.MCPServer, func() (subscribers, uris int), error) {
	s, subs, err := newServer(opts)
	if err != nil {
		return nil, nil, err
	}
	subs.onChange = changed
	return s, subs.len, nil
}

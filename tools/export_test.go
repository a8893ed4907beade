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

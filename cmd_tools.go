package main

import (
	"context"
	"fmt"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// runTools prints {"tools": [...]} exactly as tools/list returns it for
// this configuration. It needs no API key.
func runTools(_ context.Context, e env, cfg config.Config) int {
	out, err := tools.ListJSON(toolOptions(cfg, nil, nil))
	if err != nil {
		return e.fail(2, "%v", err)
	}
	fmt.Fprintf(e.stdout, "%s\n", out)
	return 0
}

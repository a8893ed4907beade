package main

import (
	"context"
	"fmt"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// runCheck loads the configuration as the server would, calls whoami and
// says whether the key works, and if not what to fix (tools.ExplainCheck).
// It never prints the key.
func runCheck(ctx context.Context, e env, cfg config.Config) int {
	a, err := newApp(e, cfg)
	if err != nil { // errNoKey too: a check that fails, exit 1
		fmt.Fprintf(e.stderr, "not ok: %v\n", err)
		return 1
	}
	defer a.Close()
	id, err := a.client.Whoami(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "not ok: %s\n", tools.ExplainCheck(err, a.client.BaseURL()))
		return 1
	}
	fmt.Fprintf(e.stdout, "ok: agent %s (tenant %s) at %s\n", id.Fields.AgentID, id.Fields.TenantID, a.client.BaseURL())
	return 0
}

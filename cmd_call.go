package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
)

// runCall runs one tool through the full MCP path — an in-process client
// against the same server the other transports serve — and prints the
// result's structured JSON, indented. Exit 1 when the result is an error
// (message on stderr), 2 for a usage error.
func runCall(ctx context.Context, e env, cfg config.Config) int {
	if len(cfg.Args) == 0 {
		fmt.Fprintln(e.stderr, "alfe-mcp: usage: alfe-mcp call TOOL [JSON] [flags], e.g. alfe-mcp call get_registry '{\"query\":\"git\"}' --sandbox")
		return 2
	}
	name, args := cfg.Args[0], json.RawMessage(`{}`)
	if len(cfg.Args) > 1 {
		args = json.RawMessage(cfg.Args[1])
		var obj map[string]any
		if err := json.Unmarshal(args, &obj); err != nil || obj == nil {
			fmt.Fprintf(e.stderr, "alfe-mcp: the arguments of %s must be a JSON object, e.g. '{\"integrationId\":\"github\"}'\n", name)
			return 2
		}
	}

	a, err := newApp(e, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: %v\n", err)
		return 2
	}
	defer a.Close()

	c, err := client.NewInProcessClient(a.server)
	if err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: %v\n", err)
		return 1
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: start client: %v\n", err)
		return 1
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "alfe-mcp call", Version: buildVersion()}
	if _, err := c.Initialize(ctx, init); err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: initialize: %v\n", err)
		return 1
	}
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: list tools: %v\n", err)
		return 1
	}
	var names []string
	for _, t := range list.Tools {
		names = append(names, t.Name)
	}
	if !slices.Contains(names, name) {
		fmt.Fprintf(e.stderr, "alfe-mcp: unknown tool %q; the tools are: %s\n", name, strings.Join(names, ", "))
		return 2
	}

	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: %s: %v\n", name, err)
		return 1
	}
	if res.IsError {
		fmt.Fprintf(e.stderr, "alfe-mcp: %s: %s\n", name, resultText(res))
		return 1
	}
	out, err := structuredJSON(res)
	if err != nil {
		fmt.Fprintf(e.stderr, "alfe-mcp: %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(e.stdout, "%s\n", out)
	return 0
}

// structuredJSON returns the result's structured content indented, or its
// text when it has none.
func structuredJSON(res *mcp.CallToolResult) ([]byte, error) {
	raw := res.RawStructuredContent
	if len(raw) == 0 && res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	if len(raw) == 0 {
		return []byte(resultText(res)), nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// resultText joins the result's text blocks.
func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

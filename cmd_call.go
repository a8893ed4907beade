package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// runCall runs one tool through the full MCP path — an in-process client
// against the same server the other transports serve — and prints the
// result's structured JSON, indented. Exit 1 when the result is an error
// (message on stderr), 2 for a usage error.
func runCall(ctx context.Context, e env, cfg config.Config) int {
	if len(cfg.Args) == 0 {
		return e.fail(2, "usage: alfe-mcp call TOOL [JSON] [flags], e.g. alfe-mcp call get_registry '{\"query\":\"git\"}' --sandbox")
	}
	name, args := cfg.Args[0], json.RawMessage(`{}`)
	if len(cfg.Args) > 1 {
		args = json.RawMessage(cfg.Args[1])
	}
	var obj map[string]any
	argsOK := json.Unmarshal(args, &obj) == nil && obj != nil // said once the tool is known

	a, err := newApp(e, cfg)
	if err != nil {
		return e.fail(2, "%v", err)
	}
	defer a.Close()

	c, err := client.NewInProcessClient(a.server)
	if err != nil {
		return e.fail(1, "%v", err)
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return e.fail(1, "start client: %v", err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "alfe-mcp call", Version: buildVersion()}
	if _, err := c.Initialize(ctx, init); err != nil {
		return e.fail(1, "initialize: %v", err)
	}
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return e.fail(1, "list tools: %v", err)
	}
	var names []string
	var tool mcp.Tool
	for _, t := range list.Tools {
		names = append(names, t.Name)
		if t.Name == name {
			tool = t
		}
	}
	switch {
	case !slices.Contains(names, name) && slices.Contains(tools.Names(), name):
		return e.fail(2, "%s is not served with this configuration (read-only mode or --tools leaves it out); the tools served are: %s", name, strings.Join(names, ", "))
	case !slices.Contains(names, name):
		return e.fail(2, "unknown tool %q; the tools are: %s", name, strings.Join(names, ", "))
	case !argsOK:
		return e.fail(2, "the arguments of %s must be a JSON object (it takes %s), e.g. '{}'", name, argumentNames(tool))
	}

	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return e.fail(1, "%s: %v", name, err)
	}
	if res.IsError {
		return e.fail(1, "%s: %s", name, resultText(res))
	}
	out, err := structuredJSON(res)
	if err != nil {
		return e.fail(1, "%s: %v", name, err)
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

// argumentNames lists the arguments tool takes, from its input schema as
// tools/list gave it, or says it takes none.
func argumentNames(tool mcp.Tool) string {
	var def struct {
		InputSchema struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"inputSchema"`
	}
	if b, err := json.Marshal(tool); err == nil {
		_ = json.Unmarshal(b, &def)
	}
	if len(def.InputSchema.Properties) == 0 {
		return "no arguments"
	}
	return strings.Join(slices.Sorted(maps.Keys(def.InputSchema.Properties)), ", ")
}

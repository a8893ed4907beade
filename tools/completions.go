package tools

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Completions (completion/complete, MCP 2025-11-25 "Completion"): the
// integrationId of the connect_integration prompt completes from the
// registry, that of the config resource template from the installed
// integrations; both match the typed prefix case-insensitively, in the
// API's order, at most maxCompletions. A failure upstream (or a request
// without a key) gives no values, never an error: the host's UI asks as
// the person types, and an error there helps no one. It is logged.

// maxCompletions is the most values a completion holds (the specification's
// bound).
const maxCompletions = 100

// completions is the server's completion provider, of prompts and of
// resource templates (server.WithPromptCompletionProvider,
// server.WithResourceCompletionProvider).
type completions struct{ opts *Options }

// CompletePromptArgument completes connect_integration's integrationId
// from the registry (GET /integrations/registry).
func (c completions) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	if prompt != connectPromptName || arg.Name != "integrationId" {
		return &mcp.Completion{Values: []string{}}, nil
	}
	return c.complete(ctx, arg.Value, func(call *Call) ([]string, error) {
		reg, err := call.Client.GetRegistry(ctx)
		var ids []string
		for _, e := range reg.Fields.Integrations {
			ids = append(ids, e.Fields.Key())
		}
		return ids, err
	}), nil
}

// CompleteResourceArgument completes the config template's integrationId
// from the installed integrations (GET /agent/integrations).
func (c completions) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	if uri != configURITemplate || arg.Name != "integrationId" {
		return &mcp.Completion{Values: []string{}}, nil
	}
	return c.complete(ctx, arg.Value, func(call *Call) ([]string, error) {
		list, err := call.Client.ListIntegrations(ctx)
		var ids []string
		for _, in := range list {
			ids = append(ids, in.Fields.IntegrationID)
		}
		return ids, err
	}), nil
}

// complete returns the ids read that start with prefix, ignoring case,
// without repeats or empty ids: at most maxCompletions, with the total and
// whether there are more.
func (c completions) complete(ctx context.Context, prefix string, read func(*Call) ([]string, error)) *mcp.Completion {
	out := &mcp.Completion{Values: []string{}}
	client, err := c.opts.Client(ctx)
	if err != nil {
		c.opts.Logger.Debug("completion without values", "err", Explain(err))
		return out
	}
	ids, err := read(&Call{Client: client, deps: c.opts})
	if err != nil {
		c.opts.Logger.Warn("completion without values: the Alfe API failed", "err", Explain(err))
		return out
	}
	prefix = strings.ToLower(prefix)
	seen := map[string]bool{}
	total := 0
	for _, id := range ids {
		if id == "" || seen[id] || !strings.HasPrefix(strings.ToLower(id), prefix) {
			continue
		}
		seen[id] = true
		total++
		if len(out.Values) < maxCompletions {
			out.Values = append(out.Values, id)
		}
	}
	out.Total = total
	out.HasMore = total > len(out.Values)
	return out
}

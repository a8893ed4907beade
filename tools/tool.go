package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// Hints are the four MCP tool annotations. Every tool sets all four: mcp-go's
// defaults (destructive, non-idempotent, open-world) are pessimistic.
type Hints struct {
	ReadOnly    bool // readOnlyHint: the tool changes nothing
	Destructive bool // destructiveHint: a change may delete or overwrite (meaningful when not ReadOnly)
	Idempotent  bool // idempotentHint: calling again with the same arguments changes nothing more
	OpenWorld   bool // openWorldHint: the tool reaches outside the server (the Alfe API)
}

// Tool is one MCP tool: its definition and its handler together.
type Tool struct {
	Name        string // e.g. "list_integrations"; ^[a-z0-9_]{1,40}$
	Title       string // human-readable, for hosts' UIs
	Description string // for models: what it does, when to use it, what it returns, what to call next
	Hints       Hints  // the MCP tool annotations
	// InputSchema and OutputSchema are generated at build time from the Go
	// types of the tool's input and output (see schemas.go).
	InputSchema  json.RawMessage
	OutputSchema json.RawMessage
	// inType and outType are those types, for the generator's test.
	inType, outType reflect.Type
	// narrow tells a model how to ask for less when a result is too large.
	narrow string
	// handle decodes and validates the arguments, then runs the tool.
	handle func(ctx context.Context, call *Call, args json.RawMessage) (any, error)
	// err is why the tool cannot be served, such as a missing generated
	// schema; NewServer returns it.
	err error
}

// Call is what a handler gets besides its arguments: the API client for this
// request and the MCP request itself.
type Call struct {
	// Client is the API client of this request, with its key.
	Client *apiclient.Client
	// Request is the MCP request; on a round after a question to the user
	// (elicit.go) it carries the responses and the request state.
	Request mcp.CallToolRequest
	deps    *Options
	// failed are the questions of the previous round whose round trip
	// failed, by id (elicit.go).
	failed map[string]error
}

// Handler is the typed body of a tool: validated input in, output out. An
// error becomes an isError result (see errors.go).
type Handler[In schemas.Input, Out any] func(ctx context.Context, call *Call, in In) (Out, error)

// define builds a Tool from its typed handler; its schemas are the ones
// generated from In and Out (see schemas.go), and a missing one is kept as
// the tool's err.
func define[In schemas.Input, Out any](name, title, description string, hints Hints, h Handler[In, Out]) Tool {
	in, inErr := generatedSchema(name, "input")
	out, outErr := generatedSchema(name, "output")
	return Tool{
		Name:         name,
		Title:        title,
		Description:  description,
		Hints:        hints,
		InputSchema:  in,
		OutputSchema: out,
		inType:       reflect.TypeFor[In](),
		outType:      reflect.TypeFor[Out](),
		err:          errors.Join(inErr, outErr),
		handle: func(ctx context.Context, call *Call, args json.RawMessage) (any, error) {
			var input In
			if err := schemas.Decode(args, &input); err != nil {
				return nil, err
			}
			return h(ctx, call, input)
		},
	}
}

// MCPTool is the tool's MCP definition.
func (t Tool) MCPTool() mcp.Tool {
	return mcp.NewTool(t.Name,
		// The title once: hosts take title before annotations.title (MCP
		// 2025-11-25, Tool: "Display name precedence order is: title,
		// annotations.title, then name"), and tools/list is paid for by
		// every session (issue 13).
		mcp.WithToolTitle(t.Title),
		mcp.WithDescription(t.Description),
		withRawInputSchema(t.InputSchema),
		mcp.WithRawOutputSchema(t.OutputSchema),
		mcp.WithReadOnlyHintAnnotation(t.Hints.ReadOnly),
		mcp.WithDestructiveHintAnnotation(t.Hints.Destructive),
		mcp.WithIdempotentHintAnnotation(t.Hints.Idempotent),
		mcp.WithOpenWorldHintAnnotation(t.Hints.OpenWorld),
	)
}

// withRawInputSchema sets a raw input schema and clears the builder's
// structured one: mcp.WithRawInputSchema alone leaves InputSchema.Type set,
// and the tool then fails to marshal, breaking tools/list for every tool.
func withRawInputSchema(schema json.RawMessage) mcp.ToolOption {
	return func(t *mcp.Tool) {
		t.InputSchema = mcp.ToolInputSchema{}
		t.RawInputSchema = schema
	}
}

// serverTool binds the tool to the server's options.
func (t Tool) serverTool(opts *Options) server.ServerTool {
	return server.ServerTool{
		Tool: t.MCPTool(),
		Handler: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			client, err := opts.Client(ctx)
			if err != nil {
				return errorResult(err), nil
			}
			call := &Call{Client: client, Request: req, deps: opts}
			// A handler may ask the user, and run again with the response
			// (elicit.go).
			return runAsking(ctx, call, opts.ElicitationTimeout, func(call *Call) (*mcp.CallToolResult, *question) {
				out, err := t.handle(ctx, call, rawArguments(call.Request))
				var (
					q       *question
					interim interimResult
				)
				switch {
				case errors.As(err, &q):
					return nil, q
				case errors.As(err, &interim):
					return interim.res, nil
				case err != nil:
					return errorResult(err), nil
				}
				res, _ := structuredResult(t.Name, t.narrow, out, opts.MaxResultBytes)
				return res, nil
			}), nil
		},
	}
}

// rawArguments returns the call's arguments as JSON.
func rawArguments(req mcp.CallToolRequest) json.RawMessage {
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments
	}
	if req.Params.Arguments == nil {
		return nil
	}
	if raw, ok := req.Params.Arguments.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(req.Params.Arguments)
	if err != nil {
		return json.RawMessage(`"unencodable arguments"`)
	}
	return b
}

// jsonAppender is an output that writes its own JSON, byte for byte what
// json.Marshal writes, in one pass (the records of package apiclient and
// the outputs made of them).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// structuredResult returns out as structuredContent and, for hosts that read
// only text, the same JSON as a text block. It is marshalled once. JSON over
// limit bytes gives an isError result saying so instead (see limit.go).
func structuredResult(tool, narrow string, out any, limit int) (*mcp.CallToolResult, error) {
	var b []byte
	var err error
	if a, ok := out.(jsonAppender); ok {
		b, err = a.AppendJSON(nil)
	}
	if b == nil || err != nil {
		b, err = json.Marshal(out) // and its error, word for word
	}
	if err != nil {
		return errorResult(fmt.Errorf("encode result: %w", err)), nil
	}
	if err := checkSize(tool, narrow, len(b), limit); err != nil {
		return errorResult(err), nil
	}
	res := mcp.NewToolResultStructured(json.RawMessage(b), string(b))
	res.RawStructuredContent = b
	return res, nil
}

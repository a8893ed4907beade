// Package tools is alfe-mcp's catalogue: the MCP server that offers the
// tools (one value per tool, definition and handler together, one file per
// domain), their error convention (errors.go), resources and prompt, to
// whichever transport serves it. Handlers take their API client from the
// request through Options.Client, and ask the request's transport what can
// reach the client (internal/transport), so that no handler knows which
// transport carries it.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
)

// Catalogue returns every tool, domain by domain: each domain's file lists
// its own (integrations.go, oauth.go), so that a tool is written in one
// place. tools/list shows them sorted by name.
func Catalogue() []Tool { return slices.Concat(integrationTools(), oauthTools()) }

// Names returns the names of all tools, in catalogue order.
func Names() []string { return names(Catalogue()) }

// names returns the names of tools, in order.
func names(tools []Tool) []string {
	var names []string
	for _, t := range tools {
		names = append(names, t.Name)
	}
	return names
}

// ClientFunc returns the API client for a request, e.g. the server's own
// client over stdio, or one carrying the caller's key over HTTP. It returns
// ErrNoAPIKey when the request has no key.
type ClientFunc func(ctx context.Context) (*apiclient.Client, error)

// StaticClient is a ClientFunc that always returns c.
func StaticClient(c *apiclient.Client) ClientFunc {
	return func(context.Context) (*apiclient.Client, error) { return c, nil }
}

// Options configure NewServer.
type Options struct {
	Client       ClientFunc    // required
	Logger       *slog.Logger  // default: discard
	Version      string        // server version reported to clients
	ReadOnly     bool          // register only read-only tools (--read-only)
	Tools        []string      // if non-empty, register only these tools (--tools)
	PollInterval time.Duration // get_oauth_status polling, default 1s
	// ConfirmKey signs the state of a removal confirmation, which clients
	// echo back (--confirm-key-file); random when empty. Replicas behind one
	// load balancer need the same key.
	ConfirmKey []byte
	// MaxResultBytes caps the JSON of a tool result or resource; a larger one
	// becomes an isError result saying so (default DefaultMaxResultBytes).
	MaxResultBytes int
	// ElicitationTimeout is how long the user has to respond to a question
	// a tool asks (elicit.go): a legacy call waits this long for the
	// response, and the request state a 2026-07-28 client echoes back
	// expires soon after (default DefaultElicitationTimeout).
	ElicitationTimeout time.Duration
	// StopWaiting, once closed, ends the calls that only wait: a
	// get_oauth_status with waitSeconds returns its last status at once,
	// with a note telling the model to call again, and later calls do not
	// wait. The transports close it when they stop: an HTTP server when it
	// starts draining (SIGINT, SIGTERM), stdio at the end of its input.
	// Nil: calls wait as long as they ask.
	StopWaiting <-chan struct{}
	// Metrics, when set, counts tool calls by tool and outcome, with their
	// latency, and the calls in flight (see internal/metrics); nil collects
	// nothing.
	Metrics *metrics.Metrics
	// MaxSubscriptions caps the resource URIs one session (or one
	// 2026-07-28 subscriptions/listen stream) is recorded as subscribed to
	// (subscriptions.go); past it, a subscription is acknowledged but not
	// recorded, and a warning logged (default DefaultMaxSubscriptions).
	MaxSubscriptions int

	signer stateKey       // ConfirmKey, or the random key that stands for it
	subs   *subscriptions // who hears of the changes made through the server
}

// Select returns the tools of the catalogue that opts enable. An unknown
// name in opts.Tools is an error that lists the known ones; so is a tool of
// the catalogue that cannot be served (its generated schema is missing),
// enabled or not.
func Select(opts Options) ([]Tool, error) {
	return selectFrom(Catalogue(), opts)
}

// selectFrom is Select over the tools all.
func selectFrom(all []Tool, opts Options) ([]Tool, error) {
	for _, t := range all {
		if t.err != nil {
			return nil, fmt.Errorf("tools: %w", t.err)
		}
	}
	for _, name := range opts.Tools {
		if !slices.ContainsFunc(all, func(t Tool) bool { return t.Name == name }) {
			return nil, fmt.Errorf("unknown tool %q in the tools to serve; known tools: %s", name, strings.Join(names(all), ", "))
		}
	}
	var enabled []Tool
	for _, t := range all {
		if opts.ReadOnly && !t.Hints.ReadOnly {
			continue
		}
		if len(opts.Tools) > 0 && !slices.Contains(opts.Tools, t.Name) {
			continue
		}
		enabled = append(enabled, t)
	}
	if len(enabled) == 0 {
		// Only read-only mode can leave out every tool named.
		var readOnly []string
		for _, t := range all {
			if t.Hints.ReadOnly {
				readOnly = append(readOnly, t.Name)
			}
		}
		return nil, fmt.Errorf("no tool left to serve: read-only mode leaves out every tool in the tools to serve (%s); name a read-only one (%s) or turn read-only off",
			strings.Join(opts.Tools, ", "), strings.Join(readOnly, ", "))
	}
	return enabled, nil
}

// instructions tell a model how the tools fit together.
const instructions = "Manage this Alfe agent's integrations. Typical flow: list_integrations to see what is installed; " +
	"get_registry to find an integration; install_integration; if it connects an account, get_oauth_url: the client may show the consent page itself; " +
	"if the result's status is link, give the url to the user; unless connected, then get_oauth_status with waitSeconds until connected. " +
	"Read and change settings with get_integration_config and update_integration_config."

// The server's name and title, as clients see them.
const (
	serverName  = "alfe-mcp"
	serverTitle = "Alfe integrations"
)

// NewServer returns an MCP server with the enabled tools registered, a
// recovery middleware that turns panics into isError results, and one log
// line per tool call.
func NewServer(opts Options) (*server.MCPServer, error) {
	s, _, err := newServer(opts)
	return s, err
}

// newServer is NewServer, which also returns the server's record of its
// subscribers.
func newServer(opts Options) (*server.MCPServer, *subscriptions, error) {
	if opts.Client == nil {
		return nil, nil, fmt.Errorf("tools: Options.Client is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.MaxResultBytes <= 0 {
		opts.MaxResultBytes = DefaultMaxResultBytes
	}
	if opts.ElicitationTimeout <= 0 {
		opts.ElicitationTimeout = DefaultElicitationTimeout
	}
	if opts.MaxSubscriptions <= 0 {
		opts.MaxSubscriptions = DefaultMaxSubscriptions
	}
	enabled, err := Select(opts)
	if err != nil {
		return nil, nil, err
	}
	if opts.signer, err = newStateKey(opts.ConfirmKey); err != nil {
		return nil, nil, err
	}
	opts.subs = newSubscriptions(&opts)
	hooks := opts.subs.hooks()
	hooks.AddAfterListResources(listConfigResources(&opts))
	hooks.AddOnSuccess(leanServerInfo(mcp.Implementation{Name: serverName, Version: opts.Version, Title: serverTitle}))
	s := server.NewMCPServer(serverName, opts.Version,
		server.WithTitle(serverTitle),
		server.WithIcons(icons("alfe")...),
		server.WithInstructions(instructions),
		server.WithToolCapabilities(false),
		// No server.WithElicitation: it lists elicitation among the
		// server's capabilities, which the specification defines for
		// clients only. Asking the user needs no option (elicit.go).
		// Subscriptions and list changes: subscriptions.go.
		server.WithResourceCapabilities(true, true),
		server.WithPromptCapabilities(false),
		server.WithCompletions(),
		server.WithPromptCompletionProvider(completions{&opts}),
		server.WithResourceCompletionProvider(completions{&opts}),
		server.WithHooks(hooks),
		server.WithToolHandlerMiddleware(countCalls(opts.Metrics)),
		server.WithToolHandlerMiddleware(logCalls(opts.Logger)),
		server.WithToolHandlerMiddleware(recoverPanics(opts.Logger)),
	)
	serverTools := make([]server.ServerTool, 0, len(enabled))
	for _, t := range enabled {
		serverTools = append(serverTools, t.serverTool(&opts))
	}
	s.AddTools(serverTools...)
	s.AddResources(resources(&opts)...)
	s.AddResourceTemplates(resourceTemplates(&opts)...)
	s.AddPrompts(prompts()...)
	opts.subs.srv = s
	return s, opts.subs, nil
}

// ListJSON returns {"tools": [...]} exactly as tools/list returns it for a
// server built with opts (opts.Client may be nil: no tool is called).
func ListJSON(opts Options) ([]byte, error) {
	if opts.Client == nil {
		opts.Client = func(context.Context) (*apiclient.Client, error) { return nil, ErrNoAPIKey }
	}
	s, err := NewServer(opts)
	if err != nil {
		return nil, err
	}
	resp := s.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("tools/list: %w", err)
	}
	var msg struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &msg); err != nil || msg.Result == nil {
		return nil, fmt.Errorf("tools/list failed: %s", b)
	}
	return msg.Result, nil
}

// Package transport is what the MCP transports tell the tools about each
// request they carry: what, besides the response, can reach its client. The
// transports are its subpackages: stdio serves an MCP server over stdin and
// stdout, httpserver over streamable HTTP and the legacy HTTP+SSE transport.
package transport

import "context"

// Capabilities say what the transport of one request can carry to the
// client besides the response. A tool asks them (CapabilitiesFrom) before it
// puts a question to the user, instead of knowing which transport serves
// it; each transport reports them on every request it serves
// (WithCapabilities).
//
// A question (an elicitation) reaches the client one of two ways, by the
// protocol era of the request (see mcp-go's server/mrtr.go):
//
//   - Before 2026-07-28, as a request from the server (elicitation/create)
//     sent on the client's session while the call waits for the response:
//     mcp-go's bridge turns a handler's input_required result into that
//     request and calls the handler again with the response (ServerRequests).
//   - From 2026-07-28 (SEP-2322, multi round-trip requests), as the call's
//     own result, of type input_required; the client calls again with the
//     responses and the request state, perhaps on another replica
//     (InputRequiredResults).
//
// The zero value, which CapabilitiesFrom returns for a request no transport
// reported on, carries neither: the user is not asked, and the host's own
// confirmation (prompted by the tool's destructive hint) is all there is.
type Capabilities struct {
	// ServerRequests: a request the server sends while it handles this one
	// reaches the client, and the client's response comes back to the
	// handler waiting for it. True where one session owns the connection
	// (stdio) or a session id routes the client's responses to the session
	// waiting for them (stateful streamable HTTP). False on stateless
	// streamable HTTP, where the response comes in a POST of its own that
	// nothing routes back (mcp-go gives every stateless request an
	// ephemeral session under the same empty id, and behind a load balancer
	// the POST may reach another replica), and on SSE, whose mcp-go
	// sessions cannot send such a request (they do not implement
	// server.SessionWithElicitation).
	ServerRequests bool
	// InputRequiredResults: a result of type input_required reaches the
	// client and its retry is served. It travels as the response to the
	// request itself, so every transport that carries 2026-07-28 requests
	// can deliver it; the retry needs no session (the request state it
	// echoes is signed with a key that replicas can share).
	InputRequiredResults bool
}

// capabilitiesKey carries a request's Capabilities in its context.
type capabilitiesKey struct{}

// WithCapabilities returns a copy of ctx that carries c, the capabilities
// of the transport of the request that ctx belongs to.
func WithCapabilities(ctx context.Context, c Capabilities) context.Context {
	return context.WithValue(ctx, capabilitiesKey{}, c)
}

// CapabilitiesFrom returns the capabilities WithCapabilities put in ctx, or
// the zero Capabilities (nothing reaches the client but the response) when
// no transport reported any, as for a request from mcp-go's in-process
// client.
func CapabilitiesFrom(ctx context.Context) Capabilities {
	c, _ := ctx.Value(capabilitiesKey{}).(Capabilities)
	return c
}

package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// canElicit reports whether the client of this request can be asked to fill
// a form: the client declared form elicitation, and the transport can carry
// the question in the request's protocol era (see transport.Capabilities;
// the tools ask the transport rather than know which one serves them).
func canElicit(ctx context.Context) bool {
	can := transport.CapabilitiesFrom(ctx)
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return can.InputRequiredResults && formElicitation(info.ClientCapabilities)
	}
	if !can.ServerRequests {
		return false
	}
	// mcp-go sends the question through the session, which must be able
	// to (server.RequestElicitation fails otherwise) and knows what the
	// client declared in initialize.
	session := server.ClientSessionFromContext(ctx)
	if _, ok := session.(server.SessionWithElicitation); !ok {
		return false
	}
	withInfo, ok := session.(server.SessionWithClientInfo)
	if !ok {
		return false
	}
	caps := withInfo.GetClientCapabilities()
	return formElicitation(&caps)
}

// formElicitation: a client that declares elicitation without modes
// supports forms (the 2025-06-18 shape).
func formElicitation(caps *mcp.ClientCapabilities) bool {
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}

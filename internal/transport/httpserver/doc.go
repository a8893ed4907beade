// Package httpserver serves an MCP server over HTTP, safe by default: the
// legacy HTTP+SSE transport (GET /sse, POST /message) or the streamable HTTP
// transport (/mcp, with or without sessions), behind one chain of
// middleware:
//
//	request log → Origin check → /healthz → key gate → body limit → transport
//
// What each link does:
//
//   - Every request gets one log line: method, path, status, duration; never
//     headers, query strings or bodies (they carry keys and session ids).
//   - An Origin outside the allowlist gets 403 before anything else
//     runs (origin.go). mcp-go's own Host check stays on.
//   - The key gate (keys.go) responds to a malformed Authorization header with
//     400 and, where no key applies, 401 with WWW-Authenticate: Bearer. The
//     key itself reaches the tools through mcp-go's per-request context
//     function (WithHTTPContextFunc, WithSSEContextFunc), so each request's
//     upstream calls use that request's key (RequestClient).
//   - Bodies over the limit get 413 (limit.go).
//   - Sessions are bound to the key that opened them (sessions.go), so that
//     a client holding another client's session id cannot use it.
//   - Each request tells the tools what besides its response can reach the
//     client (transport.Capabilities): on streamable HTTP a request from
//     the server only with sessions, an input_required result always; on
//     SSE neither.
//   - A request the client cancels while it runs gets no response
//     (cancel.go); without a session, a cancellation is refused, since it
//     cannot say whose request it names.
//
// Everything a client can make the server hold is bounded (limits.go,
// Limits): streamable HTTP sessions in all and per key, with an idle
// timeout that frees mcp-go's state (sessions.go), open streams per key
// (streams.go), requests in flight per session, the time of each write
// (deadline.go), and the connections (RunOptions.MaxConnections). Each
// refusal is a JSON-RPC error naming the flag that sets the cap.
//
// Run serves a Handler on a listener and shuts it down gracefully: it
// drains first (the listener stays open while /healthz and new sessions get
// 503), then the listener closes, calls in flight finish (streams stay open
// until the responses they owe are delivered, or their write deadline
// passes), and Run returns.
package httpserver

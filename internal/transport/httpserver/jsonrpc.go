package httpserver

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// rpcShape is what decides the kind of a JSON-RPC message, and what the
// transports read of it before mcp-go does.
type rpcShape struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Params struct {
		// RequestID is what a notifications/cancelled cancels.
		RequestID json.RawMessage `json:"requestId"`
		// Meta names the protocol version in the 2026-07-28 era.
		Meta *mcp.Meta `json:"_meta"`
	} `json:"params"`
}

func (m rpcShape) hasID() bool {
	id := bytes.TrimSpace(m.ID)
	return len(id) > 0 && !bytes.Equal(id, []byte("null"))
}

// isRequest: a method and an id; the sender waits for a response.
func (m rpcShape) isRequest() bool { return m.Method != nil && *m.Method != "" && m.hasID() }

// isResponse: an id and no method.
func (m rpcShape) isResponse() bool { return m.Method == nil && m.hasID() }

// countMessages counts the messages in raw, one JSON-RPC message or a batch,
// for which keep is true. Anything that does not parse counts zero.
func countMessages(raw []byte, keep func(rpcShape) bool) int64 {
	var n int64
	for _, m := range shapes(raw) {
		if keep(m) {
			n++
		}
	}
	return n
}

// requestID returns the id of raw when it is a single JSON-RPC request,
// else nil.
func requestID(raw []byte) json.RawMessage {
	var m rpcShape
	if json.Unmarshal(raw, &m) != nil || !m.isRequest() {
		return nil
	}
	return m.ID
}

// sseData returns the data of one server-sent event ("event: message\ndata:
// {...}\n\n"): its data lines joined by newlines.
func sseData(event []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(event, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if rest, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			out = append(out, bytes.TrimPrefix(rest, []byte(" ")))
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// id is the message's raw JSON id, trimmed.
func (m rpcShape) id() string { return string(bytes.TrimSpace(m.ID)) }

// cancelled is the raw requestId of a notifications/cancelled, or "".
func (m rpcShape) cancelled() string {
	if m.Method == nil || *m.Method != string(mcp.MethodNotificationCancelled) || m.hasID() {
		return ""
	}
	return string(bytes.TrimSpace(m.Params.RequestID))
}

// shapes parses raw, one JSON-RPC message or a batch; nil when it does not
// parse.
func shapes(raw []byte) []rpcShape {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '[' {
		var batch []rpcShape
		if json.Unmarshal(raw, &batch) != nil {
			return nil
		}
		return batch
	}
	var m rpcShape
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return []rpcShape{m}
}

// posted is what a transport reads of a POST's body (one message or a
// batch) before mcp-go does.
type posted struct {
	method    string   // the method of a single message; "" for a response or a batch
	modern    bool     // a message's _meta names a 2026-07-28 (or later) protocol version
	requests  []string // the raw ids of its requests
	cancelled []string // the raw ids its notifications/cancelled name
}

// readPosted reads a POST's body, parsing it once.
func readPosted(body []byte) posted {
	var p posted
	msgs := shapes(body)
	for _, m := range msgs {
		p.modern = p.modern || mcp.IsModernProtocol(m.Params.Meta.ProtocolVersion())
		switch {
		case m.isRequest():
			p.requests = append(p.requests, m.id())
		case m.cancelled() != "":
			p.cancelled = append(p.cancelled, m.cancelled())
		}
	}
	if len(msgs) == 1 && msgs[0].Method != nil && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		p.method = *msgs[0].Method
	}
	return p
}

// responseIDs returns the raw ids of the responses in raw.
func responseIDs(raw []byte) []string {
	var ids []string
	for _, m := range shapes(raw) {
		if m.isResponse() {
			ids = append(ids, m.id())
		}
	}
	return ids
}

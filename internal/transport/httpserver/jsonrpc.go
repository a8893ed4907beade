package httpserver

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// rpcShape is what decides the kind of a JSON-RPC message.
type rpcShape struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Params struct {
		// RequestID is what a notifications/cancelled cancels.
		RequestID json.RawMessage `json:"requestId"`
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

// peeked is what the transports read of one message before mcp-go does.
type peeked struct {
	method string // "" for a response, a batch or what does not parse
	// modern: the message's _meta names a 2026-07-28 (or later) protocol
	// version, as every message of that era does.
	modern bool
}

// peek reads raw's method and era; a batch or anything that does not parse
// reads as the zero peeked.
func peek(raw []byte) peeked {
	var m struct {
		Method string `json:"method"`
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return peeked{}
	}
	return peeked{method: m.Method, modern: mcp.IsModernProtocol(m.Params.Meta.ProtocolVersion())}
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

// requestsAndCancellations returns the raw ids of the requests in raw and
// the raw ids its notifications/cancelled name.
func requestsAndCancellations(raw []byte) (requests, cancelled []string) {
	for _, m := range shapes(raw) {
		switch {
		case m.isRequest():
			requests = append(requests, m.id())
		case m.cancelled() != "":
			cancelled = append(cancelled, m.cancelled())
		}
	}
	return requests, cancelled
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

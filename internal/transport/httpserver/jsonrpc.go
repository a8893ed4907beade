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
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	if raw[0] == '[' {
		var batch []rpcShape
		if json.Unmarshal(raw, &batch) != nil {
			return 0
		}
		var n int64
		for _, m := range batch {
			if keep(m) {
				n++
			}
		}
		return n
	}
	var m rpcShape
	if json.Unmarshal(raw, &m) != nil || !keep(m) {
		return 0
	}
	return 1
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

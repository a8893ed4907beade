package httpserver

import (
	"bytes"
	"encoding/json"
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

// requestID returns the id of raw when it is a single JSON-RPC request,
// else nil.
func requestID(raw []byte) json.RawMessage {
	var m rpcShape
	if json.Unmarshal(raw, &m) != nil || !m.isRequest() {
		return nil
	}
	return m.ID
}

// methodOf returns the method of raw when it is a single JSON-RPC message
// with one, else "".
func methodOf(raw []byte) string {
	var m rpcShape
	if json.Unmarshal(raw, &m) != nil || m.Method == nil {
		return ""
	}
	return *m.Method
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

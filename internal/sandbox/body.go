package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxBodyBytes caps request bodies (1 MiB); larger ones get 413.
const maxBodyBytes = 1 << 20

// readObject reads the request body as a single JSON object and returns its members undecoded.
// Unknown members are left for the caller to ignore. On failure it writes the error response
// (413 for an oversized body, 400 otherwise) and returns ok == false.
func readObject(w http.ResponseWriter, r *http.Request) (fields map[string]json.RawMessage, ok bool) {
	if r.ContentLength > maxBodyBytes {
		writeTooLarge(w)
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeTooLarge(w)
			return nil, false
		}
		badRequest(w, "The request body could not be read.")
		return nil, false
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		badRequest(w, "The request body is empty; send a JSON object.")
		return nil, false
	}
	if !json.Valid(trimmed) {
		badRequest(w, "The request body is not valid JSON; send a JSON object.")
		return nil, false
	}
	if trimmed[0] != '{' {
		badRequest(w, fmt.Sprintf("The request body must be a JSON object, not %s.", jsonKind(trimmed)))
		return nil, false
	}
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		badRequest(w, "The request body is not a valid JSON object.")
		return nil, false
	}
	return fields, true
}

func writeTooLarge(w http.ResponseWriter) {
	writeError(w, http.StatusRequestEntityTooLarge, codePayloadTooLarge, "The request body exceeds the 1 MiB limit.")
}

// isAbsent reports whether a member is missing or JSON null.
func isAbsent(raw json.RawMessage, present bool) bool {
	return !present || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// stringField decodes an optional string member. A missing or null member yields present == false.
func stringField(fields map[string]json.RawMessage, name string) (value string, present bool, err error) {
	raw, ok := fields[name]
	if isAbsent(raw, ok) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", true, fmt.Errorf("field '%s' must be a string, not %s", name, jsonKind(raw))
	}
	return value, true, nil
}

// objectField decodes an optional JSON-object member, keeping numbers exact (json.Number).
// A missing or null member yields present == false.
func objectField(fields map[string]json.RawMessage, name string) (value map[string]any, present bool, err error) {
	raw, ok := fields[name]
	if isAbsent(raw, ok) {
		return nil, false, nil
	}
	trimmed := bytes.TrimSpace(raw)
	if trimmed[0] != '{' {
		return nil, true, fmt.Errorf("field '%s' must be a JSON object, not %s", name, jsonKind(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&value); err != nil {
		return nil, true, fmt.Errorf("field '%s' must be a JSON object", name)
	}
	if value == nil {
		value = map[string]any{}
	}
	return value, true, nil
}

// jsonKind names the kind of a valid JSON value, for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

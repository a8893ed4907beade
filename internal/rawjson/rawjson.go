// Package rawjson holds what the per-call path needs to write JSON it
// already has (a tool result, a record's unknown members) as encoding/json
// would, without encoding it again (issue 13).
package rawjson

import "encoding/json"

// IsCompact reports whether the JSON raw is non-empty and as encoding/json
// writes a json.RawMessage: no whitespace between tokens, and no '<', '>',
// '&', U+2028 or U+2029 unescaped in a string (json.Marshal's output is).
func IsCompact(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString && (c == '<' || c == '>' || c == '&'):
			return false
		case inString && c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9):
			return false
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return !inString
}

// AppendString appends s as a JSON string, as encoding/json writes it. A
// string of printable ASCII, the JSON text of a tool result among them, is
// written here, its quotes and backslashes escaped as the encoder escapes
// them; any other string by the encoder itself (control characters, HTML's
// <, > and &, non-ASCII and invalid UTF-8 have rules of their own).
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // escapes, and invalid UTF-8: the encoder's own rules
			return append(b, q...)
		}
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendRaw appends the valid JSON raw as the encoder writes a
// json.RawMessage: as it is when IsCompact, else compacted and
// HTML-escaped. It fails as the encoder does on invalid JSON.
func AppendRaw(b []byte, raw []byte) ([]byte, error) {
	if IsCompact(raw) {
		return append(b, raw...), nil
	}
	v, err := json.Marshal(json.RawMessage(raw))
	if err != nil {
		return b, err
	}
	return append(b, v...), nil
}

package apiclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/alfe-mcp/alfe-mcp/internal/rawjson"
)

// The API's objects are records: each names the fields the docs show and
// keeps every other field the API returns, so that what the API adds later
// reaches callers. Free-form configuration stays raw JSON (always an
// object): it is passed through byte for byte, never decoded, so numbers
// stay exact and responses cost one parse.

// Record is an object of the agent API: the fields its docs name, in Fields,
// and every other field the object had, kept as raw JSON in Extra.
//
// F is a struct of exported fields with json tags and no JSON methods of its
// own. Decoding matches its JSON names exactly (encoding/json would also
// match them case-insensitively, taking a field the API may add later for a
// documented one); a null leaves a field at its zero value; a
// json.RawMessage field must hold a JSON object. Decoding fails on a body
// that is not a JSON object, or on a named field of the wrong JSON type.
//
// Encoding writes Fields as encoding/json does, then Extra's members in key
// order. A member of Extra that names a field of F, or holds invalid JSON,
// is left out: Extra is a public field, and must not make a record say what
// it does not. The inline tag tells schema generators to flatten Fields into
// the record's own properties; what those properties mean to a model is
// package schemas' business, not this package's.
type Record[F any] struct {
	Fields F                          `json:",inline"` // the fields the docs name
	Extra  map[string]json.RawMessage `json:"-"`       // fields the API returned that F does not name; nil when none
}

// UnmarshalJSON decodes a JSON object into Fields and Extra.
func (r *Record[F]) UnmarshalJSON(b []byte) error {
	return decodeRecord(b, &r.Fields, &r.Extra)
}

// MarshalJSON encodes Fields, then Extra.
func (r Record[F]) MarshalJSON() ([]byte, error) {
	return encodeRecord(r.Fields, r.Extra)
}

// AppendJSON appends the record's JSON to b: byte for byte json.Marshal(r)
// (FuzzRecordAppendJSON), without the encoder's second pass over what
// MarshalJSON returns (issue 13). On an error, b may hold part of it.
func (r Record[F]) AppendJSON(b []byte) ([]byte, error) {
	start := len(b)
	var err error
	// A concrete type, not an interface: r stays on the stack.
	if f, ok := any(&r.Fields).(*IntegrationFields); ok {
		b, err = f.appendJSON(b)
	} else {
		var fields []byte
		fields, err = json.Marshal(r.Fields)
		b = append(b, fields...)
	}
	if err != nil || len(r.Extra) == 0 {
		return b, err
	}
	b = b[:len(b)-1] // without the closing brace
	t := reflect.TypeFor[F]()
	for _, k := range extraKeys(t, r.Extra) {
		if len(b)-start > 1 {
			b = append(b, ',')
		}
		b = rawjson.AppendString(b, k)
		b = append(b, ':')
		// As the encoder writes a raw value: compact, HTML-escaped.
		if b, err = rawjson.AppendRaw(b, r.Extra[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendJSON appends f's JSON to b as json.Marshal(f) writes it: the
// members its tags name, in order, empty ones left out (omitempty), strings
// as the encoder escapes them, Config as the encoder writes a
// json.RawMessage. It fails, as json.Marshal does, on a Config that is not
// valid JSON.
func (f *IntegrationFields) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	first := len(b)
	member := func(name string) {
		if len(b) > first {
			b = append(b, ',')
		}
		b = append(b, name...)
	}
	if f.IntegrationID != "" {
		member(`"integrationId":`)
		b = rawjson.AppendString(b, f.IntegrationID)
	}
	if f.Status != "" {
		member(`"status":`)
		b = rawjson.AppendString(b, f.Status)
	}
	if f.Version != "" {
		member(`"version":`)
		b = rawjson.AppendString(b, f.Version)
	}
	if len(f.Config) > 0 {
		member(`"config":`)
		var err error
		if b, err = rawjson.AppendRaw(b, f.Config); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// isIntegrationField reports whether name is the JSON name of a field of
// IntegrationFields (TestIsIntegrationField holds it to the struct's tags).
func isIntegrationField(name string) bool {
	switch name {
	case "integrationId", "status", "version", "config":
		return true
	}
	return false
}

// Integration is an integration installed on the agent (an install record),
// as GET /agent/integrations lists it and POST /agent/integrations and
// PATCH /agent/integrations/{id} return it.
type Integration = Record[IntegrationFields]

// IntegrationFields are the documented fields of an install record.
type IntegrationFields struct {
	IntegrationID string          `json:"integrationId,omitempty"` // registry id, e.g. "github"
	Status        string          `json:"status,omitempty"`        // lifecycle status as the API reports it, e.g. "active", "pending", "error"
	Version       string          `json:"version,omitempty"`       // installed version, e.g. "1.0.3"
	Config        json.RawMessage `json:"config,omitempty"`        // configuration, a JSON object; nil when absent
}

// Registry is the catalogue of integrations an agent can install
// (GET /integrations/registry).
type Registry = Record[RegistryFields]

// RegistryFields are the documented fields of the registry.
type RegistryFields struct {
	Integrations []RegistryEntry `json:"integrations"` // never nil once GetRegistry returns
}

// RegistryEntry is an integration the registry offers.
type RegistryEntry = Record[RegistryEntryFields]

// RegistryEntryFields are the fields of a registry entry. They are
// undocumented; the id may come as "id" or "integrationId" (see Key).
type RegistryEntryFields struct {
	ID            string `json:"id,omitempty"`            // integration id, e.g. "github"
	IntegrationID string `json:"integrationId,omitempty"` // the id, when the registry names it so
	Name          string `json:"name,omitempty"`          // display name
	Description   string `json:"description,omitempty"`   // what the integration does
	Category      string `json:"category,omitempty"`      // e.g. "developer", "communication"
	Version       string `json:"version,omitempty"`       // latest version
}

// Key returns the entry's id, from whichever field carries it.
func (e RegistryEntryFields) Key() string { return assumedRegistryKey(e) }

// IntegrationConfig is the configuration of an installed integration
// (GET /agent/integrations/{id}/config).
type IntegrationConfig = Record[IntegrationConfigFields]

// IntegrationConfigFields are the fields of an integration's configuration
// record.
type IntegrationConfigFields struct {
	IntegrationID string          `json:"integrationId"` // registry id, e.g. "github"
	Config        json.RawMessage `json:"config"`        // a JSON object; secret values may come masked
}

// OAuthURL is a consent URL to hand to a person
// (GET /agent/integrations/oauth/url).
type OAuthURL = Record[OAuthURLFields]

// OAuthURLFields are the documented fields of a consent URL.
type OAuthURLFields struct {
	URL       string `json:"url"`                 // consent page for a person to open
	ExpiresIn int64  `json:"expiresIn,omitempty"` // seconds until the URL expires; 0 when not given
}

// OAuthStatus says whether the agent has an account of a provider connected
// (GET /agent/integrations/oauth/status).
type OAuthStatus = Record[OAuthStatusFields]

// OAuthStatusFields are the documented fields of an OAuth status.
type OAuthStatusFields struct {
	Provider  string `json:"provider"`  // OAuth provider, e.g. "github"
	Connected bool   `json:"connected"` // true once a person completed the consent
}

// Identity is the agent and tenant the API key belongs to
// (GET /agent/identity/whoami).
type Identity = Record[IdentityFields]

// IdentityFields are the documented fields of an identity.
type IdentityFields struct {
	AgentID  string `json:"agentId"`  // e.g. "agt_123"
	TenantID string `json:"tenantId"` // the agent's tenant, e.g. "ten_9"
}

// decodeRecord decodes the JSON object b into dst (a pointer to a struct)
// in one pass: named fields by their exact JSON names, every other field into
// extra. json.RawMessage fields must hold objects. It checks b once
// (json.Valid) and reads its members once (decodeMembers). The map-based
// decoding it replaced (issue 13) is the reference it is held to in
// FuzzDecodeRecord: the same fields, extra members and errors.
func decodeRecord(b []byte, dst any, extra *map[string]json.RawMessage) error {
	if firstByte(b) != '{' || !json.Valid(b) {
		// Not an object: encoding/json's own error (nil for null).
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return err
		}
		*extra = nil
		return nil
	}
	v := reflect.ValueOf(dst).Elem()
	return decodeMembers(bytes.Clone(b), v, recordFields(v.Type()), extra)
}

// decodeValidRecords decodes data, valid JSON (a response's data, which
// unwrapData has checked), an array of records, into dst, as json.Unmarshal
// would: each record's members read once; the records' raw values point
// into data. An array with an element that is not an object, or data that
// is not an array, is left to json.Unmarshal, errors and all
// (FuzzDecodeRecords).
func decodeValidRecords[F any](data []byte, dst *[]Record[F]) error {
	if firstByte(data) != '[' {
		return json.Unmarshal(data, dst)
	}
	var spans [][2]int // start and end of each element
	for i := skipSpace(data, 0) + 1; ; {
		if i = skipSpace(data, i); i >= len(data) || data[i] == ']' {
			break
		}
		if data[i] != '{' {
			return json.Unmarshal(data, dst)
		}
		end := valueEnd(data, i)
		spans = append(spans, [2]int{i, end})
		if i = skipSpace(data, end); i < len(data) && data[i] == ',' {
			i++
		}
	}
	list := make([]Record[F], len(spans))
	fields := recordFields(reflect.TypeFor[F]())
	for n, e := range spans {
		if err := decodeMembers(data[e[0]:e[1]], reflect.ValueOf(&list[n].Fields).Elem(), fields, &list[n].Extra); err != nil {
			return err
		}
	}
	*dst = list
	return nil
}

// recordField is a named field of a record's Fields struct.
type recordField struct {
	name  string // JSON name
	index int    // in the struct
}

// recordFields lists the named fields of struct type t.
func recordFields(t reflect.Type) []recordField {
	var fields []recordField
	for i := range t.NumField() {
		if name, ok := jsonName(t.Field(i)); ok {
			fields = append(fields, recordField{name: name, index: i})
		}
	}
	return fields
}

// decodeMembers is decodeRecord of a valid JSON object b into v, a Fields
// struct whose named fields are named, that the record may keep: its raw
// values point into b. A duplicate member counts once, its last value, as
// encoding/json has it; a string without escapes is taken as it is, not
// decoded again.
func decodeMembers(b []byte, v reflect.Value, named []recordField, extra *map[string]json.RawMessage) error {
	type field struct {
		recordField
		raw []byte // the member's last value; nil when absent
	}
	var stack [8]field
	fields := stack[:0]
	for _, f := range named {
		fields = append(fields, field{recordField: f})
	}
	var all map[string]json.RawMessage
	for m := (members{b: b}); m.next(); {
		found := false
		for i := range fields {
			if m.keyIs(fields[i].name) {
				fields[i].raw, found = m.raw, true
				break
			}
		}
		if !found {
			if all == nil {
				all = map[string]json.RawMessage{}
			}
			all[m.key()] = m.raw
		}
	}
	for _, f := range fields {
		if f.raw == nil || string(f.raw) == "null" {
			continue
		}
		switch field := v.Field(f.index).Addr().Interface().(type) {
		case *json.RawMessage:
			if f.raw[0] != '{' {
				return fmt.Errorf("field %q is not a JSON object", f.name)
			}
			*field = f.raw
		case *string:
			if s, ok := plainString(f.raw); ok {
				*field = string(s)
				continue
			}
			if err := json.Unmarshal(f.raw, field); err != nil {
				return fmt.Errorf("field %q: %w", f.name, err)
			}
		default:
			if err := json.Unmarshal(f.raw, field); err != nil {
				return fmt.Errorf("field %q: %w", f.name, err)
			}
		}
	}
	*extra = all
	return nil
}

// members iterates over the members of the JSON object b, which must be
// valid JSON (json.Valid): it is not checked again.
type members struct {
	b      []byte
	i      int
	rawKey []byte // the current member's key, as JSON (quoted)
	raw    []byte // and its value
}

// next moves to the next member; false at the end of the object.
func (m *members) next() bool {
	if m.i == 0 {
		m.i = skipSpace(m.b, 0) + 1 // past '{'
	} else if m.i = skipSpace(m.b, m.i); m.i < len(m.b) && m.b[m.i] == ',' {
		m.i++
	} else {
		return false
	}
	m.i = skipSpace(m.b, m.i)
	if m.i >= len(m.b) || m.b[m.i] != '"' {
		return false // '}'
	}
	end := stringEnd(m.b, m.i)
	m.rawKey = m.b[m.i:end]
	m.i = skipSpace(m.b, skipSpace(m.b, end)+1) // past ':'
	end = valueEnd(m.b, m.i)
	m.raw, m.i = m.b[m.i:end], end
	return true
}

// keyIs reports whether the current member's key is name.
func (m *members) keyIs(name string) bool {
	if s, ok := plainString(m.rawKey); ok {
		return string(s) == name
	}
	return m.key() == name
}

// keyEqualFold reports whether the current member's key is name, compared
// as encoding/json matches a key to a field name it does not equal exactly
// (simple Unicode case folding).
func (m *members) keyEqualFold(name string) bool {
	if s, ok := plainString(m.rawKey); ok {
		return bytes.EqualFold(s, []byte(name))
	}
	return strings.EqualFold(m.key(), name)
}

// key is the current member's key, unescaped as encoding/json would.
func (m *members) key() string {
	if s, ok := plainString(m.rawKey); ok {
		return string(s)
	}
	var key string
	json.Unmarshal(m.rawKey, &key) //nolint:errcheck // valid JSON: a string
	return key
}

// plainString returns the text of the JSON string raw when it has no
// escapes and is valid UTF-8 (encoding/json would give the same string).
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return nil, false
	}
	return s, true
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the valid JSON value that starts at
// b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// encodeRecord encodes v (a struct) followed by the fields of extra, in key
// order. Named fields win over Extra, and invalid raw JSON in Extra is left
// out.
func encodeRecord(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	out := b[:len(b)-1] // drop the closing brace
	for _, k := range extraKeys(reflect.TypeOf(v), extra) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		name, _ := json.Marshal(k)
		out = append(out, name...)
		out = append(out, ':')
		out = append(out, extra[k]...)
	}
	return append(out, '}'), nil
}

// extraKeys returns the keys of extra that a record of struct type t
// encodes, in order: not a field of t, and holding valid JSON.
func extraKeys(t reflect.Type, extra map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(extra))
	for k, raw := range extra {
		if !hasJSONField(t, k) && json.Valid(raw) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// hasJSONField reports whether struct type t has a field named name in JSON.
func hasJSONField(t reflect.Type, name string) bool {
	if t == reflect.TypeFor[IntegrationFields]() {
		return isIntegrationField(name) // the per-call path's records: no reflection
	}
	for i := range t.NumField() {
		if n, ok := jsonName(t.Field(i)); ok && n == name {
			return true
		}
	}
	return false
}

// jsonName is a struct field's JSON name, if it has one.
func jsonName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, true
}

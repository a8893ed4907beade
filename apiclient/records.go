package apiclient

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// The records below name the fields the docs show and keep every other field
// the API returns in Extra, so that what the API adds later reaches callers.
// Free-form configuration stays raw JSON (always an object): it is passed
// through byte for byte, never decoded, so numbers stay exact and responses
// cost one parse.

// Integration is an integration installed on the agent (an install record).
type Integration struct {
	IntegrationID string          `json:"integrationId,omitempty" jsonschema_description:"Id of the integration, as in the registry (e.g. github)."`
	Status        string          `json:"status,omitempty" jsonschema_description:"Lifecycle status as the API reports it, e.g. active, pending, error."`
	Version       string          `json:"version,omitempty" jsonschema_description:"Installed version."`
	Config        json.RawMessage `json:"config,omitempty" jsonschema:"type=object" jsonschema_description:"The integration's configuration."`
	// Extra holds fields the API returned that are not named above.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown fields in Extra.
func (r *Integration) UnmarshalJSON(b []byte) error {
	type plain Integration
	return decodeRecord(b, (*plain)(r), &r.Extra)
}

// MarshalJSON writes the named fields and Extra.
func (r Integration) MarshalJSON() ([]byte, error) {
	type plain Integration
	return encodeRecord(plain(r), r.Extra)
}

// RegistryEntry is an integration the registry offers. Its fields are
// undocumented; the id may come as "id" or "integrationId".
type RegistryEntry struct {
	ID            string `json:"id,omitempty" jsonschema_description:"Integration id to pass to install_integration."`
	IntegrationID string `json:"integrationId,omitempty" jsonschema_description:"Integration id, when the registry names it so."`
	Name          string `json:"name,omitempty" jsonschema_description:"Display name."`
	Description   string `json:"description,omitempty" jsonschema_description:"What the integration does."`
	Category      string `json:"category,omitempty" jsonschema_description:"Category, e.g. developer or communication."`
	Version       string `json:"version,omitempty" jsonschema_description:"Latest version."`
	// Extra holds fields the API returned that are not named above.
	Extra map[string]json.RawMessage `json:"-"`
}

// Key returns the entry's id, from whichever field carries it.
func (r RegistryEntry) Key() string { return assumedRegistryKey(r) }

// UnmarshalJSON keeps unknown fields in Extra.
func (r *RegistryEntry) UnmarshalJSON(b []byte) error {
	type plain RegistryEntry
	return decodeRecord(b, (*plain)(r), &r.Extra)
}

// MarshalJSON writes the named fields and Extra.
func (r RegistryEntry) MarshalJSON() ([]byte, error) {
	type plain RegistryEntry
	return encodeRecord(plain(r), r.Extra)
}

// IntegrationConfig is the configuration of an installed integration.
type IntegrationConfig struct {
	IntegrationID string          `json:"integrationId" jsonschema_description:"Id of the integration."`
	Config        json.RawMessage `json:"config" jsonschema:"type=object" jsonschema_description:"The integration's configuration. Secret values may come back masked."`
	// Extra holds fields of the API's record that are not named above.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown fields in Extra.
func (r *IntegrationConfig) UnmarshalJSON(b []byte) error {
	type plain IntegrationConfig
	return decodeRecord(b, (*plain)(r), &r.Extra)
}

// MarshalJSON writes the named fields and Extra.
func (r IntegrationConfig) MarshalJSON() ([]byte, error) {
	type plain IntegrationConfig
	return encodeRecord(plain(r), r.Extra)
}

// OAuthURL is a consent URL to hand to a person.
type OAuthURL struct {
	URL       string `json:"url" jsonschema_description:"Consent page for a person to open in a browser."`
	ExpiresIn int64  `json:"expiresIn,omitempty" jsonschema_description:"Seconds until the URL expires."`
	// Extra holds fields the API returned that are not named above.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown fields in Extra.
func (r *OAuthURL) UnmarshalJSON(b []byte) error {
	type plain OAuthURL
	return decodeRecord(b, (*plain)(r), &r.Extra)
}

// MarshalJSON writes the named fields and Extra.
func (r OAuthURL) MarshalJSON() ([]byte, error) {
	type plain OAuthURL
	return encodeRecord(plain(r), r.Extra)
}

// OAuthStatus says whether the agent has an account of a provider connected.
type OAuthStatus struct {
	Provider  string `json:"provider" jsonschema_description:"OAuth provider, e.g. github."`
	Connected bool   `json:"connected" jsonschema_description:"True once a person has completed the consent and the account is connected."`
	// Extra holds fields the API returned that are not named above.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown fields in Extra.
func (r *OAuthStatus) UnmarshalJSON(b []byte) error {
	type plain OAuthStatus
	return decodeRecord(b, (*plain)(r), &r.Extra)
}

// MarshalJSON writes the named fields and Extra.
func (r OAuthStatus) MarshalJSON() ([]byte, error) {
	type plain OAuthStatus
	return encodeRecord(plain(r), r.Extra)
}

// Identity is the agent and tenant the API key belongs to.
type Identity struct {
	AgentID  string `json:"agentId"`
	TenantID string `json:"tenantId"`
	// Extra holds fields the API returned that are not named above.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown fields in Extra.
func (r *Identity) UnmarshalJSON(b []byte) error {
	type plain Identity
	return decodeRecord(b, (*plain)(r), &r.Extra)
}

// MarshalJSON writes the named fields and Extra.
func (r Identity) MarshalJSON() ([]byte, error) {
	type plain Identity
	return encodeRecord(plain(r), r.Extra)
}

// decodeRecord decodes the JSON object b into dst (a pointer to a struct)
// in one pass: named fields by their exact JSON names, every other field into
// extra. json.RawMessage fields must hold objects.
func decodeRecord(b []byte, dst any, extra *map[string]json.RawMessage) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, ok := jsonName(t.Field(i))
		if !ok {
			continue
		}
		raw, present := all[name]
		if !present {
			continue
		}
		delete(all, name)
		if string(raw) == "null" {
			continue
		}
		field := v.Field(i).Addr().Interface()
		if rm, isRaw := field.(*json.RawMessage); isRaw {
			if firstByte(raw) != '{' {
				return fmt.Errorf("field %q is not a JSON object", name)
			}
			*rm = raw
			continue
		}
		if err := json.Unmarshal(raw, field); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
	}
	if len(all) == 0 {
		all = nil
	}
	*extra = all
	return nil
}

// encodeRecord encodes v (a struct) followed by the fields of extra, in key
// order. Named fields win over Extra, and invalid raw JSON in Extra is left
// out: Extra is a public field.
func encodeRecord(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	t := reflect.TypeOf(v)
	keys := make([]string, 0, len(extra))
	for k, raw := range extra {
		if !hasJSONField(t, k) && json.Valid(raw) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := b[:len(b)-1] // drop the closing brace
	for _, k := range keys {
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

// hasJSONField reports whether struct type t has a field named name in JSON.
func hasJSONField(t reflect.Type, name string) bool {
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

package apiclient

import (
	"encoding/json"
	"reflect"
	"strings"
)

// The records below name the fields the docs show and keep every other field
// the API returns in Extra, so that what the API adds later reaches callers.
// Numbers inside free-form maps are kept exact (json.Number).

// Integration is an integration installed on the agent (an install record).
type Integration struct {
	IntegrationID string         `json:"integrationId,omitempty" jsonschema_description:"Id of the integration, as in the registry (e.g. github)."`
	Status        string         `json:"status,omitempty" jsonschema_description:"Lifecycle status as the API reports it, e.g. active, pending, error."`
	Version       string         `json:"version,omitempty" jsonschema_description:"Installed version."`
	Config        map[string]any `json:"config,omitzero" jsonschema_description:"The integration's configuration."`
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
	IntegrationID string         `json:"integrationId" jsonschema_description:"Id of the integration."`
	Config        map[string]any `json:"config" jsonschema_description:"The integration's configuration. Secret values may come back masked."`
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

// decodeRecord decodes b into dst (a pointer to a struct) and the fields that
// dst's type does not name into extra. Numbers are kept exact.
func decodeRecord(b []byte, dst any, extra *map[string]json.RawMessage) error {
	if err := decodeExact(b, dst); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for _, k := range jsonFieldNames(reflect.TypeOf(dst).Elem()) {
		delete(all, k)
	}
	if len(all) == 0 {
		all = nil
	}
	*extra = all
	return nil
}

// encodeRecord encodes v (a struct) with the fields of extra that v does not
// already carry.
func encodeRecord(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, named := all[k]; !named && json.Valid(raw) {
			all[k] = raw
		}
	}
	return json.Marshal(all)
}

// jsonFieldNames lists the JSON names of t's fields.
func jsonFieldNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

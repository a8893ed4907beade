package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// InstallRequest is the body of an install.
type InstallRequest struct {
	IntegrationID string         // required, e.g. "github"
	Version       string         // optional; the API installs the latest when empty
	Config        map[string]any // optional initial configuration; left out when empty
}

// ListIntegrations returns the integrations installed on the agent
// (GET /agent/integrations). The list is never nil.
func (c *Client) ListIntegrations(ctx context.Context) ([]Integration, error) {
	const method = http.MethodGet
	path := []string{"agent", "integrations"}
	data, status, err := c.do(ctx, request{method: method, path: path})
	if err != nil {
		return nil, err
	}
	var list []Integration
	// data is valid JSON: unwrapData checked it.
	if err := decodeList(data, assumedListWrapperField, func(b []byte) error { return decodeValidRecords(b, &list) }); err != nil {
		return nil, c.decodeError(method, path, status, err)
	}
	if list == nil {
		list = []Integration{}
	}
	return list, nil
}

// GetRegistry returns the registry of installable integrations
// (GET /integrations/registry). Its list is never nil.
func (c *Client) GetRegistry(ctx context.Context) (Registry, error) {
	const method = http.MethodGet
	path := []string{"integrations", "registry"}
	data, status, err := c.do(ctx, request{method: method, path: path})
	if err != nil {
		return Registry{}, err
	}
	var reg Registry
	switch firstByte(data) {
	case '[':
		err = json.Unmarshal(data, &reg.Fields.Integrations)
	case '{':
		err = json.Unmarshal(data, &reg)
		if err == nil && reg.Fields.Integrations == nil {
			err = fmt.Errorf("no %q list", assumedRegistryWrapperField)
		}
	default:
		err = errors.New("no registry list")
	}
	if err != nil {
		return Registry{}, c.decodeError(method, path, status, err)
	}
	if reg.Fields.Integrations == nil {
		reg.Fields.Integrations = []RegistryEntry{}
	}
	return reg, nil
}

// InstallIntegration installs an integration on the agent
// (POST /agent/integrations) and returns the install record. When the API
// responds without a record, the result names only the integration.
func (c *Client) InstallIntegration(ctx context.Context, in InstallRequest) (Integration, error) {
	const method = http.MethodPost
	path := []string{"agent", "integrations"}
	if in.IntegrationID == "" {
		return Integration{}, fmt.Errorf("%w: integration id is empty", ErrInvalidArgument)
	}
	body := map[string]any{assumedInstallBodyIDField: in.IntegrationID}
	if in.Version != "" {
		body["version"] = in.Version
	}
	if len(in.Config) > 0 {
		body["config"] = in.Config
	}
	data, status, err := c.do(ctx, request{method: method, path: path, body: body})
	if err != nil {
		return Integration{}, err
	}
	return c.decodeIntegration(method, path, status, data, in.IntegrationID)
}

// GetIntegrationConfig returns the configuration of an installed integration
// (GET /agent/integrations/{id}/config). A 404 means it is not installed.
func (c *Client) GetIntegrationConfig(ctx context.Context, integrationID string) (IntegrationConfig, error) {
	const method = http.MethodGet
	path := []string{"agent", "integrations", integrationID, "config"}
	data, status, err := c.do(ctx, request{method: method, path: path, route: routeIntegrationConfig})
	if err != nil {
		return IntegrationConfig{}, err
	}
	if firstByte(data) != '{' {
		return IntegrationConfig{}, c.decodeError(method, path, status, errors.New("the config is not a JSON object"))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return IntegrationConfig{}, c.decodeError(method, path, status, err)
	}
	var out IntegrationConfig
	if inner, ok := fields[assumedConfigRecordField]; ok && firstByte(inner) == '{' {
		err = json.Unmarshal(data, &out)
	} else {
		out.Fields.Config = data // the bare config map
	}
	if err != nil {
		return IntegrationConfig{}, c.decodeError(method, path, status, err)
	}
	if out.Fields.IntegrationID == "" {
		out.Fields.IntegrationID = integrationID
	}
	if out.Fields.Config == nil {
		out.Fields.Config = json.RawMessage(`{}`)
	}
	return out, nil
}

// UpdateIntegrationConfig changes the configuration of an installed
// integration (PATCH /agent/integrations/{id}) and returns the install
// record; when the API responds without one, the result names only the
// integration.
func (c *Client) UpdateIntegrationConfig(ctx context.Context, integrationID string, config map[string]any) (Integration, error) {
	const method = http.MethodPatch
	path := []string{"agent", "integrations", integrationID}
	if config == nil {
		config = map[string]any{}
	}
	body := map[string]any{assumedUpdateBodyConfigField: config}
	data, status, err := c.do(ctx, request{method: method, path: path, route: routeIntegration, body: body})
	if err != nil {
		return Integration{}, err
	}
	return c.decodeIntegration(method, path, status, data, integrationID)
}

// RemoveIntegration removes an integration from the agent
// (DELETE /agent/integrations/{id}). A 404 means it was not installed.
func (c *Client) RemoveIntegration(ctx context.Context, integrationID string) error {
	_, _, err := c.do(ctx, request{method: http.MethodDelete, path: []string{"agent", "integrations", integrationID}, route: routeIntegration})
	return err
}

// GetOAuthURL starts an OAuth connect flow for provider and returns the
// consent URL for a person to open
// (GET /agent/integrations/oauth/url?provider=...&scopes=a,b).
func (c *Client) GetOAuthURL(ctx context.Context, provider string, scopes []string) (OAuthURL, error) {
	path := []string{"agent", "integrations", "oauth", "url"}
	if provider == "" {
		return OAuthURL{}, fmt.Errorf("%w: provider is empty", ErrInvalidArgument)
	}
	q := url.Values{"provider": {provider}}
	if len(scopes) > 0 {
		for _, s := range scopes {
			if s == "" || strings.Contains(s, assumedOAuthScopesSeparator) {
				return OAuthURL{}, fmt.Errorf("%w: scope %q is empty or contains %q", ErrInvalidArgument, s, assumedOAuthScopesSeparator)
			}
		}
		q.Set("scopes", strings.Join(scopes, assumedOAuthScopesSeparator))
	}
	return getObject(ctx, c, path, q, func(out *OAuthURL) error {
		if out.Fields.URL == "" {
			return errors.New(`no "url"`)
		}
		return nil
	})
}

// GetOAuthStatus reports whether the agent has an account of provider
// connected (GET /agent/integrations/oauth/status?provider=...).
func (c *Client) GetOAuthStatus(ctx context.Context, provider string) (OAuthStatus, error) {
	path := []string{"agent", "integrations", "oauth", "status"}
	if provider == "" {
		return OAuthStatus{}, fmt.Errorf("%w: provider is empty", ErrInvalidArgument)
	}
	out, err := getObject[OAuthStatus](ctx, c, path, url.Values{"provider": {provider}}, nil)
	if err == nil && out.Fields.Provider == "" {
		out.Fields.Provider = provider
	}
	return out, err
}

// Whoami returns the agent and tenant the API key belongs to
// (GET /agent/identity/whoami).
func (c *Client) Whoami(ctx context.Context) (Identity, error) {
	path := []string{"agent", "identity", "whoami"}
	return getObject(ctx, c, path, nil, func(out *Identity) error {
		if out.Fields.AgentID == "" {
			return errors.New(`no "agentId"`)
		}
		return nil
	})
}

// getObject sends GET path?query and decodes its data, a JSON object, into
// a T; check, when not nil, says what the object lacks. Data of another
// shape, or an object that fails check, is a *DecodeError.
func getObject[T any](ctx context.Context, c *Client, path []string, query url.Values, check func(*T) error) (T, error) {
	var out T
	data, status, err := c.do(ctx, request{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return out, err
	}
	err = decodeObject(data, &out)
	if err == nil && check != nil {
		err = check(&out)
	}
	if err != nil {
		var zero T
		return zero, c.decodeError(http.MethodGet, path, status, err)
	}
	return out, nil
}

// decodeIntegration decodes an install record; an empty response gives a record
// that names only the integration.
func (c *Client) decodeIntegration(method string, path []string, status int, data json.RawMessage, id string) (Integration, error) {
	var out Integration
	if len(data) > 0 {
		if err := decodeObject(data, &out); err != nil {
			return Integration{}, c.decodeError(method, path, status, err)
		}
	}
	if out.Fields.IntegrationID == "" {
		out.Fields.IntegrationID = id
	}
	return out, nil
}

func (c *Client) decodeError(method string, path []string, status int, err error) error {
	p, _ := escapePath(path)
	return &DecodeError{Method: method, Path: p, StatusCode: status, Reason: "its data is not the documented shape", Err: err}
}

// decodeList decodes an array with decode, or an object that wraps it under
// field.
func decodeList(data json.RawMessage, field string, decode func([]byte) error) error {
	switch firstByte(data) {
	case '[':
		return decode(data)
	case '{':
		var wrapper map[string]json.RawMessage
		if err := json.Unmarshal(data, &wrapper); err != nil {
			return err
		}
		inner, ok := wrapper[field]
		if !ok || firstByte(inner) != '[' {
			return fmt.Errorf("an object without a %q list", field)
		}
		return decode(inner)
	case 0:
		return errors.New("no data")
	default:
		return errors.New("not a list")
	}
}

// decodeObject decodes a JSON object into dst.
func decodeObject(data json.RawMessage, dst any) error {
	switch firstByte(data) {
	case '{':
		return json.Unmarshal(data, dst)
	case 0:
		return errors.New("no data")
	default:
		return errors.New("not a JSON object")
	}
}

// decodeExact decodes JSON keeping numbers exact.
func decodeExact(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(dst)
}

// firstByte is the first non-space byte of data, or 0.
func firstByte(data []byte) byte {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

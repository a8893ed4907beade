package schemas

import (
	"reflect"
	"slices"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
)

// One type per tool output. Every output is a JSON object. Records keep every
// field the API returns, so output schemas describe the known fields and
// allow others.

// ListIntegrationsOutput is the output of list_integrations.
type ListIntegrationsOutput struct {
	Integrations []apiclient.Integration `json:"integrations" jsonschema_description:"Installed integrations."`
}

// AppendJSON appends the output's JSON to b: byte for byte json.Marshal(o),
// without the encoder's second pass over each record (see
// apiclient.Record.AppendJSON).
func (o ListIntegrationsOutput) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"integrations":`...)
	if o.Integrations == nil {
		return append(b, "null}"...), nil
	}
	// Room for records of a typical size, so that b grows once, not per record.
	b = slices.Grow(b, 20+192*len(o.Integrations))
	b = append(b, '[')
	for i, it := range o.Integrations {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = it.AppendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, "]}"...), nil
}

// GetRegistryOutput is the output of get_registry: the API's own shape.
type GetRegistryOutput = apiclient.Registry

// IntegrationOutput is the output of install_integration and
// update_integration_config: the install record.
type IntegrationOutput = apiclient.Integration

// IntegrationConfigOutput is the output of get_integration_config.
type IntegrationConfigOutput = apiclient.IntegrationConfig

// RemoveIntegrationOutput is the output of remove_integration.
type RemoveIntegrationOutput struct {
	IntegrationID string `json:"integrationId" jsonschema_description:"Its id."`
	Removed       bool   `json:"removed" jsonschema_description:"True once removed."`
}

// OAuthURLOutput is the output of get_oauth_url: what became of the
// consent page. When the host showed the page to the person itself (MCP
// URL-mode elicitation) the URL is not in the output, so that it never
// passes through the model; otherwise (status link) it is.
type OAuthURLOutput struct {
	Status    ConsentStatus `json:"status" jsonschema:"enum=link,enum=shown,enum=connected,enum=declined,enum=cancelled" jsonschema_description:"link: give url to the person; shown: page shown, not yet connected; connected: done; declined, cancelled: ask before retrying."`
	URL       string        `json:"url,omitempty" jsonschema_description:"Consent page (status link only)."`
	ExpiresIn int64         `json:"expiresIn,omitempty" jsonschema_description:"Seconds until it expires."`
}

// ConsentStatus is what became of a consent page (get_oauth_url's status).
type ConsentStatus string

// The consent statuses.
const (
	ConsentLink      ConsentStatus = "link"      // the URL is in the result, for the model to give the person
	ConsentShown     ConsentStatus = "shown"     // the host showed the page; the account is not connected yet
	ConsentConnected ConsentStatus = "connected" // the host showed the page, and the account is connected
	ConsentDeclined  ConsentStatus = "declined"  // the person declined to open the page
	ConsentCancelled ConsentStatus = "cancelled" // the person dismissed the request
)

// OAuthStatusOutput is the output of get_oauth_status.
type OAuthStatusOutput = apiclient.OAuthStatus

// RecordDescriptions returns what the output schemas tell a model about the
// fields of apiclient's records: for each record's Fields type, a
// description by JSON name. apiclient knows the API and nothing of the
// model, so the descriptions live here, with the outputs that carry the
// records; package schemagen applies them at build time, and fails on a
// property left without a description. Identity is in no output.
func RecordDescriptions() map[reflect.Type]map[string]string {
	return map[reflect.Type]map[string]string{
		reflect.TypeFor[apiclient.IntegrationFields](): {
			"integrationId": "e.g. github.",
			"status":        "e.g. active, pending, error.",
			"version":       "Version.",
			"config":        "Settings.",
		},
		reflect.TypeFor[apiclient.RegistryFields](): {
			"integrations": "Installable integrations.",
		},
		reflect.TypeFor[apiclient.RegistryEntryFields](): {
			"id":            "Id for install_integration.",
			"integrationId": "Alias of id.",
			"name":          "Display name.",
			"description":   "What it does.",
			"category":      "e.g. developer.",
			"version":       "Latest.",
		},
		reflect.TypeFor[apiclient.IntegrationConfigFields](): {
			"integrationId": "Integration id.",
			"config":        "Settings; secret values may be masked.",
		},
		reflect.TypeFor[apiclient.OAuthURLFields](): {
			"url":       "Consent page to open in a browser.",
			"expiresIn": "Seconds until the URL expires.",
		},
		reflect.TypeFor[apiclient.OAuthStatusFields](): {
			"provider":  "OAuth provider.",
			"connected": "True once the account is connected.",
		},
	}
}

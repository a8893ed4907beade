package schemas

import "github.com/alfe-mcp/alfe-mcp/apiclient"

// One type per tool output. Every output is a JSON object. Records keep every
// field the API returns, so output schemas describe the known fields and
// allow others.

// ListIntegrationsOutput is the output of list_integrations.
type ListIntegrationsOutput struct {
	Integrations []apiclient.Integration `json:"integrations" jsonschema_description:"Installed integrations (after the status filter, if any)."`
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
	IntegrationID string `json:"integrationId" jsonschema_description:"Id of the removed integration."`
	Removed       bool   `json:"removed" jsonschema_description:"True: the integration is no longer installed and its tools are off."`
}

// OAuthURLOutput is the output of get_oauth_url.
type OAuthURLOutput = apiclient.OAuthURL

// OAuthStatusOutput is the output of get_oauth_status.
type OAuthStatusOutput = apiclient.OAuthStatus

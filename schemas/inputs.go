package schemas

// One struct per tool input. Field tags give the JSON name, whether the
// argument is required (no omitempty), and the description and rules that end
// up in the tool's input schema; Validate enforces the same rules with
// messages that name the argument.

// ListIntegrationsInput is the input of list_integrations.
type ListIntegrationsInput struct {
	Status string `json:"status,omitempty" jsonschema:"maxLength=64" jsonschema_description:"Only return integrations with this status, e.g. active, pending or error (case-insensitive). Omit to list all."`
}

// Validate checks the arguments.
func (in ListIntegrationsInput) Validate() error {
	return checkLength("status", in.Status, 0, maxFilterLen)
}

// GetRegistryInput is the input of get_registry.
type GetRegistryInput struct {
	Query string `json:"query,omitempty" jsonschema:"maxLength=200" jsonschema_description:"Only return integrations whose id, name, description or category contains this text (case-insensitive). Omit to list all."`
}

// Validate checks the arguments.
func (in GetRegistryInput) Validate() error {
	return checkLength("query", in.Query, 0, maxQueryLen)
}

// InstallIntegrationInput is the input of install_integration.
type InstallIntegrationInput struct {
	IntegrationID string         `json:"integrationId" jsonschema:"minLength=1,maxLength=128,pattern=^[A-Za-z0-9][A-Za-z0-9_.-]*$" jsonschema_description:"Id of the integration to install, as listed by get_registry (e.g. github)."`
	Version       string         `json:"version,omitempty" jsonschema:"maxLength=64,pattern=^[A-Za-z0-9._+-]*$" jsonschema_description:"Version to install, e.g. 1.0.3. Omit for the latest."`
	Config        map[string]any `json:"config,omitempty" jsonschema_description:"Initial configuration as a JSON object (at most 64 KiB). Omit to use the integration's defaults."`
}

// Validate checks the arguments.
func (in InstallIntegrationInput) Validate() error {
	if err := checkID("integrationId", in.IntegrationID); err != nil {
		return err
	}
	return checkVersion(in.Version)
}

// GetIntegrationConfigInput is the input of get_integration_config.
type GetIntegrationConfigInput struct {
	IntegrationID string `json:"integrationId" jsonschema:"minLength=1,maxLength=128,pattern=^[A-Za-z0-9][A-Za-z0-9_.-]*$" jsonschema_description:"Id of an installed integration, as listed by list_integrations (e.g. github)."`
}

// Validate checks the arguments.
func (in GetIntegrationConfigInput) Validate() error {
	return checkID("integrationId", in.IntegrationID)
}

// UpdateIntegrationConfigInput is the input of update_integration_config.
type UpdateIntegrationConfigInput struct {
	IntegrationID string         `json:"integrationId" jsonschema:"minLength=1,maxLength=128,pattern=^[A-Za-z0-9][A-Za-z0-9_.-]*$" jsonschema_description:"Id of an installed integration, as listed by list_integrations (e.g. github)."`
	Config        map[string]any `json:"config" jsonschema_description:"Configuration fields to set, as a JSON object (at most 64 KiB), e.g. {\"defaultBranch\": \"develop\"}."`
}

// Validate checks the arguments.
func (in UpdateIntegrationConfigInput) Validate() error {
	if err := checkID("integrationId", in.IntegrationID); err != nil {
		return err
	}
	if in.Config == nil {
		return &ArgumentError{Argument: "config", Rule: "is required: a JSON object of the fields to set"}
	}
	return nil
}

// RemoveIntegrationInput is the input of remove_integration.
type RemoveIntegrationInput struct {
	IntegrationID string `json:"integrationId" jsonschema:"minLength=1,maxLength=128,pattern=^[A-Za-z0-9][A-Za-z0-9_.-]*$" jsonschema_description:"Id of the installed integration to remove (e.g. github)."`
}

// Validate checks the arguments.
func (in RemoveIntegrationInput) Validate() error {
	return checkID("integrationId", in.IntegrationID)
}

// GetOAuthURLInput is the input of get_oauth_url.
type GetOAuthURLInput struct {
	Provider string   `json:"provider" jsonschema:"minLength=1,maxLength=128,pattern=^[A-Za-z0-9][A-Za-z0-9_.-]*$" jsonschema_description:"OAuth provider of the integration, e.g. github, google, microsoft, slack (see the integration's registry entry)."`
	Scopes   []string `json:"scopes,omitempty" jsonschema:"maxItems=50" jsonschema_description:"OAuth scopes to ask for, e.g. [\"repo\", \"read:org\"]. Each without commas or spaces. Omit for the provider's defaults."`
}

// Validate checks the arguments.
func (in GetOAuthURLInput) Validate() error {
	if err := checkID("provider", in.Provider); err != nil {
		return err
	}
	return checkScopes(in.Scopes)
}

// GetOAuthStatusInput is the input of get_oauth_status.
type GetOAuthStatusInput struct {
	Provider    string `json:"provider" jsonschema:"minLength=1,maxLength=128,pattern=^[A-Za-z0-9][A-Za-z0-9_.-]*$" jsonschema_description:"OAuth provider to check, e.g. github."`
	WaitSeconds int    `json:"waitSeconds,omitempty" jsonschema:"minimum=0,maximum=50" jsonschema_description:"Wait up to this many seconds (0 to 50) for the person to finish connecting, checking about once a second; returns as soon as the account is connected. 0 or omitted checks once."`
}

// Validate checks the arguments.
func (in GetOAuthStatusInput) Validate() error {
	if err := checkID("provider", in.Provider); err != nil {
		return err
	}
	if in.WaitSeconds < 0 || in.WaitSeconds > MaxWaitSeconds {
		return &ArgumentError{Argument: "waitSeconds", Rule: "must be an integer from 0 to 50"}
	}
	return nil
}

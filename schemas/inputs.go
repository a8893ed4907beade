package schemas

// One struct per tool input. Field tags give the JSON name, whether the
// argument is required (no omitempty), and the description that ends up in
// the tool's input schema; the field's type (arguments.go) gives its rule,
// both to the schema and to Validate, whose messages name the argument. A
// description names a limit as {keyword}, e.g. {maxBytes}, and schemagen
// writes the type's value there.

// ListIntegrationsInput is the input of list_integrations.
type ListIntegrationsInput struct {
	Status StatusFilter `json:"status,omitempty" jsonschema_description:"Only this status (any case), e.g. active."`
}

// Validate checks the arguments.
func (in ListIntegrationsInput) Validate() error { return in.Status.check() }

// GetRegistryInput is the input of get_registry.
type GetRegistryInput struct {
	Query Query `json:"query,omitempty" jsonschema_description:"Matches id, name, description or category (any case)."`
}

// Validate checks the arguments.
func (in GetRegistryInput) Validate() error { return in.Query.check() }

// InstallIntegrationInput is the input of install_integration.
type InstallIntegrationInput struct {
	IntegrationID ID      `json:"integrationId" jsonschema_description:"Id from get_registry, e.g. github."`
	Version       Version `json:"version,omitempty" jsonschema_description:"e.g. 1.0.3; omit for the latest."`
	Config        Config  `json:"config,omitempty" jsonschema_description:"Initial settings (at most {maxBytes})."`
}

// Validate checks the arguments.
func (in InstallIntegrationInput) Validate() error {
	if err := in.IntegrationID.check("integrationId"); err != nil {
		return err
	}
	return in.Version.check()
}

// GetIntegrationConfigInput is the input of get_integration_config.
type GetIntegrationConfigInput struct {
	IntegrationID ID `json:"integrationId" jsonschema_description:"Id from list_integrations, e.g. github."`
}

// Validate checks the arguments.
func (in GetIntegrationConfigInput) Validate() error { return in.IntegrationID.check("integrationId") }

// UpdateIntegrationConfigInput is the input of update_integration_config.
type UpdateIntegrationConfigInput struct {
	IntegrationID ID     `json:"integrationId" jsonschema_description:"Id from list_integrations, e.g. github."`
	Config        Config `json:"config" jsonschema_description:"Only the fields to set (at most {maxBytes}), e.g. {\"defaultBranch\":\"develop\"}."`
}

// Validate checks the arguments.
func (in UpdateIntegrationConfigInput) Validate() error {
	if err := in.IntegrationID.check("integrationId"); err != nil {
		return err
	}
	if in.Config == nil {
		return &ArgumentError{Argument: "config", Rule: "is required: a JSON object of the fields to set"}
	}
	return nil
}

// RemoveIntegrationInput is the input of remove_integration.
type RemoveIntegrationInput struct {
	IntegrationID ID `json:"integrationId" jsonschema_description:"Id from list_integrations, e.g. github."`
}

// Validate checks the arguments.
func (in RemoveIntegrationInput) Validate() error { return in.IntegrationID.check("integrationId") }

// GetOAuthURLInput is the input of get_oauth_url.
type GetOAuthURLInput struct {
	Provider ID     `json:"provider" jsonschema_description:"e.g. github (see the registry entry)."`
	Scopes   Scopes `json:"scopes,omitempty" jsonschema_description:"e.g. [\"repo\"], no commas or spaces; omit for the defaults."`
}

// Validate checks the arguments.
func (in GetOAuthURLInput) Validate() error {
	if err := in.Provider.check("provider"); err != nil {
		return err
	}
	return in.Scopes.check()
}

// GetOAuthStatusInput is the input of get_oauth_status.
type GetOAuthStatusInput struct {
	Provider    ID          `json:"provider" jsonschema_description:"OAuth provider, e.g. github."`
	WaitSeconds WaitSeconds `json:"waitSeconds,omitempty" jsonschema_description:"Seconds ({minimum} to {maximum}) to wait for the connection; 0: check once."`
}

// Validate checks the arguments.
func (in GetOAuthStatusInput) Validate() error {
	if err := in.Provider.check("provider"); err != nil {
		return err
	}
	return in.WaitSeconds.check()
}

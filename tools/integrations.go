package tools

import (
	"context"
	"strings"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// The tools that read and change the agent's installed integrations and
// browse the registry. Each is one value: definition and handler together.

// integrationTools are the tools of this file, in catalogue order.
func integrationTools() []Tool {
	return []Tool{
		listIntegrations(),
		getRegistry(),
		installIntegration(),
		getIntegrationConfig(),
		updateIntegrationConfig(),
		removeIntegration(),
	}
}

func listIntegrations() Tool {
	t := define("list_integrations", "List installed integrations",
		"List this agent's installed integrations with status, version and config; status filters. "+
			"Use it first. Returns {integrations: [...]}; next get_integration_config or get_registry.",
		Hints{ReadOnly: true, Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.ListIntegrationsInput) (schemas.ListIntegrationsOutput, error) {
			list, err := call.Client.ListIntegrations(ctx)
			if err != nil {
				return schemas.ListIntegrationsOutput{}, err
			}
			if in.Status != "" {
				kept := list[:0]
				for _, it := range list {
					if strings.EqualFold(it.Fields.Status, string(in.Status)) {
						kept = append(kept, it)
					}
				}
				list = kept
			}
			return schemas.ListIntegrationsOutput{Integrations: list}, nil
		})
	t.narrow = "pass status to list only the integrations with that status, or read one integration with get_integration_config"
	return t
}

func getRegistry() Tool {
	t := define("get_registry", "Browse the integration registry",
		"List the integrations this agent can install; query searches. "+
			"Find the id of one the user asks for. Returns {integrations: [...]}; next install_integration with its id.",
		Hints{ReadOnly: true, Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.GetRegistryInput) (schemas.GetRegistryOutput, error) {
			reg, err := call.Client.GetRegistry(ctx)
			if err != nil {
				return schemas.GetRegistryOutput{}, err
			}
			if q := strings.ToLower(strings.TrimSpace(string(in.Query))); q != "" {
				kept := reg.Fields.Integrations[:0]
				for _, e := range reg.Fields.Integrations {
					if registryMatches(e.Fields, q) {
						kept = append(kept, e)
					}
				}
				reg.Fields.Integrations = kept
			}
			return reg, nil
		})
	t.narrow = "pass query to list only the matching integrations"
	return t
}

// registryMatches reports whether lowercase query q occurs in the entry's
// id, name, description or category.
func registryMatches(e apiclient.RegistryEntryFields, q string) bool {
	for _, field := range [...]string{e.Key(), e.Name, e.Description, e.Category} {
		if strings.Contains(strings.ToLower(field), q) {
			return true
		}
	}
	return false
}

func installIntegration() Tool {
	return define("install_integration", "Install an integration",
		"Install a registry integration on this agent, optionally at a version with initial config; contacts no external service. "+
			"Returns the install record; if it connects an account (status pending, or an OAuth provider), next get_oauth_url.",
		Hints{OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.InstallIntegrationInput) (schemas.IntegrationOutput, error) {
			id := string(in.IntegrationID)
			rec, err := call.Client.InstallIntegration(ctx, apiclient.InstallRequest{
				IntegrationID: id,
				Version:       string(in.Version),
				Config:        in.Config,
			})
			if err != nil {
				return rec, installError(err, id)
			}
			call.deps.subs.changed(ctx, call, change{uris: []string{integrationsURI, configURI(id)}, listChanged: true})
			return rec, nil
		})
}

// installError reads the install-specific statuses.
func installError(err error, id string) error {
	if apiErr, ok := asAPIError(err); ok {
		switch apiErr.StatusCode {
		case 409:
			return failf(err, "integration '%s' is already installed (%s); use get_integration_config and update_integration_config to change it.", id, upstreamDetail(apiErr))
		case 400, 404, 422:
			return failf(err, "the Alfe API refused to install '%s' (%s); check the id and version with get_registry.", id, upstreamDetail(apiErr))
		}
	}
	if outcomeUnknown(err) {
		// An install is never retried: it may have arrived all the same.
		return failf(err, "%s The install of '%s' may have taken effect all the same: call list_integrations to check before installing again.", Explain(err), id)
	}
	return err
}

func getIntegrationConfig() Tool {
	return define("get_integration_config", "Read an integration's config",
		"Read an installed integration's settings, to answer questions about them or before update_integration_config. "+
			"Returns {integrationId, config}.",
		Hints{ReadOnly: true, Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.GetIntegrationConfigInput) (schemas.IntegrationConfigOutput, error) {
			id := string(in.IntegrationID)
			cfg, err := call.Client.GetIntegrationConfig(ctx, id)
			return cfg, notInstalled(err, id)
		})
}

func updateIntegrationConfig() Tool {
	return define("update_integration_config", "Update an integration's config",
		"Change an installed integration's settings: pass only the fields to change. "+
			"Returns the install record; get_integration_config reads the result.",
		Hints{Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.UpdateIntegrationConfigInput) (schemas.IntegrationOutput, error) {
			id := string(in.IntegrationID)
			rec, err := call.Client.UpdateIntegrationConfig(ctx, id, in.Config)
			if err != nil {
				return rec, notInstalled(err, id)
			}
			call.deps.subs.changed(ctx, call, change{uris: []string{integrationsURI, configURI(id)}})
			return rec, nil
		})
}

func removeIntegration() Tool {
	return define("remove_integration", "Remove an integration",
		"Remove an installed integration: its tools turn off and its setup is cleaned up. "+
			"Only when the user asked; they may be asked to confirm by typing the id. Returns {integrationId, removed: true}.",
		Hints{Destructive: true, Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.RemoveIntegrationInput) (schemas.RemoveIntegrationOutput, error) {
			id := string(in.IntegrationID)
			if err := confirmRemoval(ctx, call, id); err != nil {
				return schemas.RemoveIntegrationOutput{}, err
			}
			if err := call.Client.RemoveIntegration(ctx, id); err != nil {
				return schemas.RemoveIntegrationOutput{}, notInstalled(err, id)
			}
			call.deps.subs.changed(ctx, call, change{uris: []string{integrationsURI, configURI(id)}, listChanged: true})
			return schemas.RemoveIntegrationOutput{IntegrationID: id, Removed: true}, nil
		})
}

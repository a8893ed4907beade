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
		"List the integrations installed on this Alfe agent, with each one's status (e.g. active, pending), version and config; pass status to filter. "+
			"Use it first to see what the agent already has. Returns {integrations: [...]}; next, get_integration_config reads one integration's settings and get_registry finds new ones.",
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
		"Browse the registry of integrations this agent can install, with each one's id, name, description, category and latest version; pass query to search. "+
			"Use it to find the id of an integration the user asks for. Returns {integrations: [...]}; next, install one with install_integration and its id.",
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
		"Install an integration from the registry on this agent, optionally at a version and with an initial config; installing records it and makes its settings available, contacting no external service. "+
			"Returns the install record. If the integration connects an account (status pending, or an OAuth provider in its registry entry), next call get_oauth_url and follow its status.",
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
		"Read the configuration of one installed integration. Use it to answer questions about its settings and before update_integration_config. "+
			"Returns {integrationId, config}; fails with 'not installed' when it is not installed (then see list_integrations).",
		Hints{ReadOnly: true, Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.GetIntegrationConfigInput) (schemas.IntegrationConfigOutput, error) {
			id := string(in.IntegrationID)
			cfg, err := call.Client.GetIntegrationConfig(ctx, id)
			return cfg, notInstalled(err, id)
		})
}

func updateIntegrationConfig() Tool {
	return define("update_integration_config", "Update an integration's config",
		"Update configuration fields of an installed integration: pass only the fields to change, e.g. {\"defaultBranch\": \"develop\"}. "+
			"Returns the updated install record; call get_integration_config to read the result.",
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
		"Remove an installed integration from this agent: its tools turn off and what it set up for this agent is cleaned up; other agents are unaffected. "+
			"Only call it when the user asked for the removal; clients that support forms ask the user to confirm by typing the id. Returns {integrationId, removed: true}.",
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

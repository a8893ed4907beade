package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// The resources: read-only JSON views of the same data the read tools return,
// for hosts that let the user attach context.

const (
	integrationsURI   = "alfe://integrations"
	registryURI       = "alfe://registry"
	configURITemplate = "alfe://integrations/{integrationId}/config"
	jsonMIME          = "application/json"
)

// resources returns the static resources, bound to opts.
func resources(opts *Options) []server.ServerResource {
	return []server.ServerResource{
		{
			Resource: mcp.NewResource(integrationsURI, "installed_integrations",
				mcp.WithResourceTitle("Installed integrations"),
				mcp.WithResourceDescription("The integrations installed on this Alfe agent, as list_integrations returns them: {integrations: [...]}. Subscribable."),
				mcp.WithMIMEType(jsonMIME),
				mcp.WithResourceIcons(icons("integrations")...)),
			Handler: readJSON(opts, func(ctx context.Context, call *Call, _ mcp.ReadResourceRequest) (any, error) {
				list, err := call.Client.ListIntegrations(ctx)
				return schemas.ListIntegrationsOutput{Integrations: list}, err
			}),
		},
		{
			Resource: mcp.NewResource(registryURI, "integration_registry",
				mcp.WithResourceTitle("Integration registry"),
				mcp.WithResourceDescription("The integrations this agent can install, as get_registry returns them: {integrations: [...]}."),
				mcp.WithMIMEType(jsonMIME),
				mcp.WithResourceIcons(icons("registry")...)),
			Handler: readJSON(opts, func(ctx context.Context, call *Call, _ mcp.ReadResourceRequest) (any, error) {
				return call.Client.GetRegistry(ctx)
			}),
		},
	}
}

// configDescription describes an integration's config resource.
const configDescription = "The configuration of one installed integration, as get_integration_config returns it: {integrationId, config}. Subscribable."

// listConfigResources is a hook of resources/list (mcp-go lists only the
// static resources): it adds the config resource of each integration
// installed on the agent of the request's key, on the last page, so that a
// host can show them and subscribe to them, and so that an install or a
// removal changes the list (subscriptions.go). When the installed
// integrations cannot be read, the list goes without them (logged).
func listConfigResources(opts *Options) server.OnAfterListResourcesFunc {
	return func(ctx context.Context, _ any, _ *mcp.ListResourcesRequest, res *mcp.ListResourcesResult) {
		if res == nil || res.NextCursor != "" {
			return
		}
		client, err := opts.Client(ctx)
		if err != nil {
			return
		}
		list, err := client.ListIntegrations(ctx)
		if err != nil {
			opts.Logger.Warn("resources/list without the config resources: the installed integrations could not be read", "err", Explain(err))
			return
		}
		ic := icons("config")
		for _, in := range list {
			id := in.Fields.IntegrationID
			if (schemas.GetIntegrationConfigInput{IntegrationID: schemas.ID(id)}).Validate() != nil {
				continue
			}
			res.Resources = append(res.Resources, mcp.NewResource(configURI(id), "integration_config_"+id,
				mcp.WithResourceTitle("Config of "+id),
				mcp.WithResourceDescription(configDescription),
				mcp.WithMIMEType(jsonMIME),
				mcp.WithResourceIcons(ic...)))
		}
	}
}

// resourceTemplates returns the resource templates, bound to opts.
func resourceTemplates(opts *Options) []server.ServerResourceTemplate {
	return []server.ServerResourceTemplate{{
		Template: mcp.NewResourceTemplate(configURITemplate, "integration_config",
			mcp.WithTemplateTitle("Integration config"),
			mcp.WithTemplateDescription(configDescription),
			mcp.WithTemplateMIMEType(jsonMIME),
			mcp.WithTemplateIcons(icons("config")...)),
		Handler: server.ResourceTemplateHandlerFunc(readJSON(opts, func(ctx context.Context, call *Call, req mcp.ReadResourceRequest) (any, error) {
			id := templateArg(req.Params.Arguments["integrationId"])
			if err := (schemas.GetIntegrationConfigInput{IntegrationID: schemas.ID(id)}).Validate(); err != nil {
				return nil, err
			}
			cfg, err := call.Client.GetIntegrationConfig(ctx, id)
			return cfg, notInstalled(err, id)
		})),
	}}
}

// readJSON adapts a reader of data to a resource handler that responds with
// the data as JSON. Failures become errors whose text follows the tools'
// error convention.
func readJSON(opts *Options, read func(ctx context.Context, call *Call, req mcp.ReadResourceRequest) (any, error)) server.ResourceHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		client, err := opts.Client(ctx)
		if err != nil {
			return nil, errors.New(Explain(err))
		}
		v, err := read(ctx, &Call{Client: client, deps: opts}, req)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", req.Params.URI, Explain(err))
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: encode: %w", req.Params.URI, err)
		}
		if len(b) > opts.MaxResultBytes {
			return nil, fmt.Errorf("%s: too large to return: its JSON is %s (%d bytes), over this server's limit of %s; use the tools, which can filter",
				req.Params.URI, prose.ByteSize(len(b)), len(b), prose.ByteSize(opts.MaxResultBytes))
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: jsonMIME, Text: string(b)}}, nil
	}
}

// templateArg is a URI template variable's single value (mcp-go gives lists).
func templateArg(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []string:
		if len(v) == 1 {
			return v[0]
		}
	}
	return ""
}

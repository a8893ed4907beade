package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// connectPromptName is the name of the prompt that connects an integration.
const connectPromptName = "connect_integration"

// prompts returns the prompts: guided flows a user can pick in the host.
func prompts() []server.ServerPrompt {
	return []server.ServerPrompt{{
		Prompt: mcp.NewPrompt(connectPromptName,
			mcp.WithPromptIcons(icons("connect")...),
			mcp.WithPromptTitle("Connect an integration"),
			mcp.WithPromptDescription("Install an integration if needed and connect its account through OAuth, step by step."),
			mcp.WithArgument("integrationId",
				mcp.ArgumentTitle("Integration id"),
				mcp.ArgumentDescription("Id of the integration to connect, e.g. github (see get_registry)."),
				mcp.RequiredArgument()),
		),
		Handler: connectIntegrationPrompt,
	}}
}

func connectIntegrationPrompt(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	id := req.Params.Arguments["integrationId"]
	if err := (schemas.GetIntegrationConfigInput{IntegrationID: schemas.ID(id)}).Validate(); err != nil {
		return nil, err
	}
	text := fmt.Sprintf(`Connect the integration %[1]q to this Alfe agent:
1. Call get_registry with query %[1]q and find the entry whose id is %[1]q. If there is none, tell me and stop. Note how it connects: its OAuth provider and scopes, an API key, or nothing.
2. Call list_integrations. If %[1]q is not installed, call install_integration with integrationId %[1]q.
3. If it connects through OAuth: call get_oauth_url with its provider (and scopes, if the entry lists them). My client may show me the consent page itself; follow the result's status. If it is link, give me the url to open in my browser, and say that it expires in expiresIn seconds. If it is declined or cancelled, ask me before trying again.
4. Unless the status is connected, call get_oauth_status with the provider and waitSeconds %[2]d, and repeat while connected is false, up to about 5 minutes. If the page expires first, call get_oauth_url again.
5. If it needs an API key instead, ask me for it and set it with update_integration_config; never repeat the key back to me.
6. Finally call list_integrations and tell me the status of %[1]q.`, id, schemas.MaxWaitSeconds)
	return mcp.NewGetPromptResult("Connect "+id, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
	}), nil
}

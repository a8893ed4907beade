package sandbox

// Connection methods of registry entries (the "auth" member).
const (
	authOAuth  = "oauth"
	authAPIKey = "api_key"
	authNone   = "none"
)

// registryEntry is one integration of the catalogue, as served by GET /integrations/registry.
type registryEntry struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Category     string        `json:"category"`
	Version      string        `json:"version"`
	Versions     []string      `json:"versions"`
	Auth         string        `json:"auth"`
	Provider     string        `json:"provider,omitempty"`
	Scopes       []string      `json:"scopes,omitempty"`
	ConfigFields []configField `json:"configFields"`
}

// configField describes one configuration key of an integration.
type configField struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Secret      bool     `json:"secret"`
	Required    bool     `json:"required"`
	Default     any      `json:"default,omitempty"`
	Enum        []string `json:"enum,omitempty"`
}

// provider is an OAuth provider shared by one or more registry entries.
type provider struct {
	ID           string
	Name         string   // display name for the consent page
	Scopes       []string // default scopes: the union of its entries' scopes, in catalogue order
	Integrations []string // display names of the entries it connects, in catalogue order
}

// registry is the immutable catalogue built once per Handler.
type registry struct {
	entries   []registryEntry
	byID      map[string]*registryEntry
	providers map[string]*provider
	order     []string // provider ids in catalogue order
}

// newRegistry builds a fresh catalogue: the 14 integrations of API.md's "realistic registry" table,
// in that table's order.
func newRegistry() *registry {
	entries := catalogue()
	reg := &registry{
		entries:   entries,
		byID:      make(map[string]*registryEntry, len(entries)),
		providers: map[string]*provider{},
	}
	for i := range entries {
		e := &entries[i]
		reg.byID[e.ID] = e
		if e.Auth != authOAuth {
			continue
		}
		p := reg.providers[e.Provider]
		if p == nil {
			p = &provider{ID: e.Provider, Name: providerNames()[e.Provider]}
			reg.providers[e.Provider] = p
			reg.order = append(reg.order, e.Provider)
		}
		p.Integrations = append(p.Integrations, e.Name)
		for _, s := range e.Scopes {
			if !contains(p.Scopes, s) {
				p.Scopes = append(p.Scopes, s)
			}
		}
	}
	return reg
}

// secretFields returns the names of an entry's secret configuration keys.
func (e *registryEntry) secretFields() []string {
	var names []string
	for _, f := range e.ConfigFields {
		if f.Secret {
			names = append(names, f.Name)
		}
	}
	return names
}

// defaultConfig returns a fresh config holding the entry's documented defaults.
func (e *registryEntry) defaultConfig() map[string]any {
	cfg := map[string]any{}
	for _, f := range e.ConfigFields {
		if f.Default != nil {
			cfg[f.Name] = f.Default
		}
	}
	return cfg
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func providerNames() map[string]string {
	return map[string]string{
		"github":     "GitHub",
		"google":     "Google",
		"notion":     "Notion",
		"slack":      "Slack",
		"discord":    "Discord",
		"microsoft":  "Microsoft",
		"xero":       "Xero",
		"atlassian":  "Atlassian",
		"salesforce": "Salesforce",
	}
}

// catalogue returns fresh registry entries in API.md's table order.
func catalogue() []registryEntry {
	apiKey := func(desc string) []configField {
		return []configField{{Name: "api_key", Type: "string", Description: desc, Secret: true, Required: true}}
	}
	return []registryEntry{
		{
			ID: "github", Name: "GitHub", Category: "developer",
			Description: "Read and manage repositories, issues and pull requests on GitHub.",
			Version:     "1.0.3", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"},
			Auth: authOAuth, Provider: "github",
			Scopes:       []string{"repo", "read:org"},
			ConfigFields: []configField{},
		},
		{
			ID: "google", Name: "Google Workspace", Category: "productivity",
			Description: "Work with Gmail, Google Calendar and Google Drive.",
			Version:     "1.0.4", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"},
			Auth: authOAuth, Provider: "google",
			Scopes: []string{
				"openid", "email", "profile",
				"https://www.googleapis.com/auth/gmail.modify",
				"https://www.googleapis.com/auth/calendar",
				"https://www.googleapis.com/auth/drive",
			},
			ConfigFields: []configField{},
		},
		{
			ID: "notion", Name: "Notion", Category: "productivity",
			Description: "Search, read and update pages and databases in a Notion workspace.",
			Version:     "1.0.3", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"},
			Auth: authOAuth, Provider: "notion",
			Scopes:       []string{"read_content", "update_content", "insert_content"},
			ConfigFields: []configField{},
		},
		{
			ID: "slack", Name: "Slack", Category: "communication",
			Description: "Give the agent its own Slack bot to read and post messages in channels and DMs.",
			Version:     "1.0.0", Versions: []string{"1.0.0"},
			Auth: authOAuth, Provider: "slack",
			Scopes:       []string{"app_mentions:read", "channels:history", "chat:write", "im:history", "im:write", "users:read"},
			ConfigFields: []configField{},
		},
		{
			ID: "discord", Name: "Discord", Category: "communication",
			Description: "Give the agent its own Discord bot to take part in server channels.",
			Version:     "1.0.0", Versions: []string{"1.0.0"},
			Auth: authOAuth, Provider: "discord",
			Scopes:       []string{"bot", "applications.commands", "identify"},
			ConfigFields: []configField{},
		},
		{
			ID: "teams", Name: "Microsoft Teams", Category: "communication",
			Description: "Let the agent chat and post in Microsoft Teams channels.",
			Version:     "1.0.3", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"},
			Auth: authOAuth, Provider: "microsoft",
			Scopes:       []string{"offline_access", "User.Read", "Team.ReadBasic.All", "Channel.ReadBasic.All", "ChannelMessage.Send", "Chat.ReadWrite"},
			ConfigFields: []configField{},
		},
		{
			ID: "microsoft", Name: "Microsoft 365", Category: "productivity",
			Description: "Work with Outlook mail, calendars and OneDrive files in Microsoft 365.",
			Version:     "1.2.0", Versions: []string{"1.0.0", "1.0.1", "1.1.0", "1.2.0"},
			Auth: authOAuth, Provider: "microsoft",
			Scopes:       []string{"offline_access", "User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Files.ReadWrite.All"},
			ConfigFields: []configField{},
		},
		{
			ID: "xero", Name: "Xero Accounting", Category: "finance",
			Description: "Read and record invoices, contacts and transactions in Xero.",
			Version:     "1.0.3", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"},
			Auth: authOAuth, Provider: "xero",
			Scopes:       []string{"openid", "profile", "email", "offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings.read"},
			ConfigFields: []configField{},
		},
		{
			ID: "atlassian", Name: "Atlassian", Category: "developer",
			Description: "Track Jira issues and read and write Confluence pages.",
			Version:     "1.0.3", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"},
			Auth: authOAuth, Provider: "atlassian",
			Scopes:       []string{"read:jira-work", "write:jira-work", "read:jira-user", "read:confluence-content.all", "write:confluence-content", "offline_access"},
			ConfigFields: []configField{},
		},
		{
			ID: "salesforce", Name: "Salesforce", Category: "crm",
			Description: "Query and update accounts, contacts and opportunities in Salesforce.",
			Version:     "1.0.4", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"},
			Auth: authOAuth, Provider: "salesforce",
			Scopes:       []string{"api", "refresh_token", "id"},
			ConfigFields: []configField{},
		},
		{
			ID: "stripe", Name: "Stripe", Category: "finance",
			Description: "Look up customers, payments and subscriptions in Stripe with a restricted API key.",
			Version:     "1.0.0", Versions: []string{"1.0.0"},
			Auth:         authAPIKey,
			ConfigFields: apiKey("A Stripe restricted API key (rk_live_... or rk_test_...)."),
		},
		{
			ID: "posthog", Name: "PostHog", Category: "analytics",
			Description: "Query product analytics events, insights and feature flags in PostHog.",
			Version:     "1.0.0", Versions: []string{"1.0.0"},
			Auth:         authAPIKey,
			ConfigFields: apiKey("A PostHog personal API key."),
		},
		{
			ID: "memory", Name: "Memory", Category: "platform",
			Description: "Long-term memory that lets the agent capture and recall facts across conversations.",
			Version:     "1.0.5", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"},
			Auth: authNone,
			ConfigFields: []configField{
				{Name: "autoCapture", Type: "boolean", Description: "Capture notable facts from conversations automatically.", Default: true},
				{Name: "autoRecall", Type: "boolean", Description: "Recall relevant memories into the conversation automatically.", Default: true},
				{Name: "captureMaxChars", Type: "integer", Description: "Maximum characters stored per captured memory.", Default: 500},
			},
		},
		{
			ID: "sync", Name: "Sync", Category: "platform",
			Description: "Keeps the agent's workspace data synchronised with the Alfe platform on a schedule.",
			Version:     "1.0.6", Versions: []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5", "1.0.6"},
			Auth: authNone,
			ConfigFields: []configField{
				{Name: "sync_schedule", Type: "string", Description: "How often to synchronise.", Default: "daily", Enum: []string{"realtime", "hourly", "daily", "weekly"}},
			},
		},
	}
}

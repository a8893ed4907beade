package apiclient

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const bigInt = "12345678901234567890" // more than an int64 or a float64 holds exactly

func TestListIntegrationsShapes(t *testing.T) {
	item := `{"integrationId":"github","status":"active","version":"1.0.3","config":{"defaultBranch":"main","limit":` + bigInt + `},"connectedAt":"2025-01-01T00:00:00Z","account":{"login":"octo"}}`
	tests := []struct {
		name string
		body string
		want int
	}{
		{"bare array", `{"data":[` + item + `]}`, 1},
		{"wrapped", `{"data":{"integrations":[` + item + `,` + item + `],"total":2}}`, 2},
		{"empty array", `{"data":[]}`, 0},
		{"empty wrapped", `{"data":{"integrations":[]}}`, 0},
		{"whitespace", " \n{ \"data\" : \n [ " + item + " ] }\n", 1},
		{"extra envelope fields", `{"data":[` + item + `],"meta":{"requestId":"r"}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serveOnce(t, 200, tt.body)
			list, err := c.ListIntegrations(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if list == nil {
				t.Fatal("list is nil")
			}
			if len(list) != tt.want {
				t.Fatalf("len = %d, want %d", len(list), tt.want)
			}
			if out := mustMarshal(t, list); tt.want == 0 && string(out) != "[]" {
				t.Errorf("empty list marshals as %s, want []", out)
			}
			for _, in := range list {
				if in.Fields.IntegrationID != "github" || in.Fields.Status != "active" || in.Fields.Version != "1.0.3" {
					t.Errorf("record = %+v", in)
				}
				if !strings.Contains(string(in.Fields.Config), bigInt) {
					t.Errorf("config = %s, want the exact %s", in.Fields.Config, bigInt)
				}
				if got := string(in.Extra["connectedAt"]); got != `"2025-01-01T00:00:00Z"` {
					t.Errorf("Extra[connectedAt] = %s", got)
				}
				if !jsonEqual(t, mustMarshal(t, in), []byte(item)) {
					t.Errorf("round trip = %s, want %s", mustMarshal(t, in), item)
				}
			}
		})
	}
}

func TestGetRegistryShapes(t *testing.T) {
	entry := `{"id":"github","name":"GitHub","description":"Repos","category":"developer","version":"1.0.3","auth":{"type":"oauth","provider":"github"},"scopes":["repo","read:org"]}`
	tests := []struct {
		name      string
		body      string
		wantLen   int
		wantExtra string // a registry-level Extra key, if any
	}{
		{"wrapped", `{"data":{"integrations":[` + entry + `],"total":1}}`, 1, "total"},
		{"bare array", `{"data":[` + entry + `]}`, 1, ""},
		{"empty wrapped", `{"data":{"integrations":[]}}`, 0, ""},
		{"empty bare", `{"data":[]}`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serveOnce(t, 200, tt.body)
			reg, err := c.GetRegistry(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if reg.Fields.Integrations == nil {
				t.Fatal("Integrations is nil")
			}
			if len(reg.Fields.Integrations) != tt.wantLen {
				t.Fatalf("len = %d, want %d", len(reg.Fields.Integrations), tt.wantLen)
			}
			if tt.wantExtra != "" && reg.Extra[tt.wantExtra] == nil {
				t.Errorf("Extra = %v, want %q kept", reg.Extra, tt.wantExtra)
			}
			out := mustMarshal(t, reg)
			if tt.wantLen == 0 && !strings.Contains(string(out), `"integrations":[]`) {
				t.Errorf("empty registry marshals as %s", out)
			}
			for _, e := range reg.Fields.Integrations {
				if e.Fields.Key() != "github" || e.Fields.Name != "GitHub" || e.Fields.Category != "developer" || e.Fields.Version != "1.0.3" {
					t.Errorf("entry = %+v", e)
				}
				if !jsonEqual(t, mustMarshal(t, e), []byte(entry)) {
					t.Errorf("entry round trip = %s, want %s", mustMarshal(t, e), entry)
				}
			}
			if tt.wantExtra != "" {
				var back map[string]json.RawMessage
				if err := json.Unmarshal(out, &back); err != nil || back[tt.wantExtra] == nil {
					t.Errorf("marshalled registry %s lost %q", out, tt.wantExtra)
				}
			}
		})
	}
}

func TestRegistryEntryKey(t *testing.T) {
	tests := []struct {
		json string
		want string
	}{
		{`{"id":"github"}`, "github"},
		{`{"integrationId":"notion"}`, "notion"},
		{`{"id":"a","integrationId":"b"}`, "a"},
		{`{"name":"nameless"}`, ""},
	}
	for _, tt := range tests {
		var e RegistryEntry
		if err := json.Unmarshal([]byte(tt.json), &e); err != nil {
			t.Fatal(err)
		}
		if got := e.Fields.Key(); got != tt.want {
			t.Errorf("Key() of %s = %q, want %q", tt.json, got, tt.want)
		}
	}
}

func TestGetIntegrationConfigShapes(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantID    string
		want      map[string]any
		wantExtra []string
	}{
		{
			name:   "record",
			body:   `{"data":{"integrationId":"github","config":{"defaultBranch":"develop","limit":` + bigInt + `,"nested":{"a":[1,2.5]}},"updatedAt":"2025-01-01"}}`,
			wantID: "github",
			want: map[string]any{"defaultBranch": "develop", "limit": json.Number(bigInt),
				"nested": map[string]any{"a": []any{json.Number("1"), json.Number("2.5")}}},
			wantExtra: []string{"updatedAt"},
		},
		{
			name:   "record without id",
			body:   `{"data":{"config":{"sync_schedule":"daily"}}}`,
			wantID: "the-arg",
			want:   map[string]any{"sync_schedule": "daily"},
		},
		{
			name:   "bare config map",
			body:   `{"data":{"autoCapture":true,"captureMaxChars":500,"big":` + bigInt + `}}`,
			wantID: "the-arg",
			want:   map[string]any{"autoCapture": true, "captureMaxChars": json.Number("500"), "big": json.Number(bigInt)},
		},
		{
			name:   "bare map with a non-object config field",
			body:   `{"data":{"config":"yaml-text","mode":"x"}}`,
			wantID: "the-arg",
			want:   map[string]any{"config": "yaml-text", "mode": "x"},
		},
		{
			name:   "empty object",
			body:   `{"data":{}}`,
			wantID: "the-arg",
			want:   map[string]any{},
		},
		{
			name:   "record with empty config",
			body:   `{"data":{"integrationId":"github","config":{}}}`,
			wantID: "github",
			want:   map[string]any{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serveOnce(t, 200, tt.body)
			cfg, err := c.GetIntegrationConfig(t.Context(), "the-arg")
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Fields.IntegrationID != tt.wantID {
				t.Errorf("IntegrationID = %q, want %q", cfg.Fields.IntegrationID, tt.wantID)
			}
			if cfg.Fields.Config == nil || !jsonEqual(t, cfg.Fields.Config, mustMarshal(t, tt.want)) {
				t.Errorf("Config = %s, want %#v", cfg.Fields.Config, tt.want)
			}
			for _, k := range tt.wantExtra {
				if cfg.Extra[k] == nil {
					t.Errorf("Extra lost %q: %v", k, cfg.Extra)
				}
			}
			out := string(mustMarshal(t, cfg))
			if strings.Contains(tt.body, bigInt) && !strings.Contains(out, bigInt) {
				t.Errorf("marshalled config %s lost the exact big integer", out)
			}
			for _, k := range tt.wantExtra {
				if !strings.Contains(out, `"`+k+`"`) {
					t.Errorf("marshalled config %s lost %q", out, k)
				}
			}
		})
	}
	t.Run("not installed", func(t *testing.T) {
		_, c := serveOnce(t, 404, `{"error":{"code":"not_found","message":"integration not installed"}}`)
		_, err := c.GetIntegrationConfig(t.Context(), "github")
		apiErr := asAPIError(t, err)
		if apiErr.StatusCode != http.StatusNotFound || apiErr.Path != "/agent/integrations/github/config" {
			t.Errorf("APIError = %+v", apiErr)
		}
	})
}

func TestInstallAndUpdateResponses(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Integration
		extra  string
	}{
		{"record", 201, `{"data":{"integrationId":"github","status":"pending","version":"1.0.3","config":{},"installedAt":"now"}}`,
			Integration{Fields: IntegrationFields{IntegrationID: "github", Status: "pending", Version: "1.0.3", Config: json.RawMessage(`{}`)}}, "installedAt"},
		{"record without id", 200, `{"data":{"status":"active"}}`, Integration{Fields: IntegrationFields{IntegrationID: "github", Status: "active"}}, ""},
		{"null data", 200, `{"data":null}`, Integration{Fields: IntegrationFields{IntegrationID: "github"}}, ""},
		{"empty body", 200, ``, Integration{Fields: IntegrationFields{IntegrationID: "github"}}, ""},
		{"no content", 204, ``, Integration{Fields: IntegrationFields{IntegrationID: "github"}}, ""},
		{"accepted", 202, `{"data":{"integrationId":"github","status":"installing"}}`, Integration{Fields: IntegrationFields{IntegrationID: "github", Status: "installing"}}, ""},
	}
	calls := []struct {
		name string
		run  func(t *testing.T, c *Client) (Integration, error)
	}{
		{"install", func(t *testing.T, c *Client) (Integration, error) {
			return c.InstallIntegration(t.Context(), InstallRequest{IntegrationID: "github"})
		}},
		{"update", func(t *testing.T, c *Client) (Integration, error) {
			return c.UpdateIntegrationConfig(t.Context(), "github", map[string]any{"defaultBranch": "develop"})
		}},
	}
	for _, cl := range calls {
		for _, tt := range tests {
			t.Run(cl.name+"/"+tt.name, func(t *testing.T) {
				_, c := serveOnce(t, tt.status, tt.body)
				got, err := cl.run(t, c)
				if err != nil {
					t.Fatal(err)
				}
				extra := got.Extra
				got.Extra = nil
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("record = %#v, want %#v", got, tt.want)
				}
				if tt.extra != "" && extra[tt.extra] == nil {
					t.Errorf("Extra = %v, want %q kept", extra, tt.extra)
				}
			})
		}
	}
}

func TestRemoveIntegrationResponses(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"no content", 204, ``},
		{"ok empty", 200, ``},
		{"ok null", 200, `{"data":null}`},
		{"ok object", 200, `{"data":{"removed":true,"integrationId":"github"}}`},
		{"ok string", 200, `{"data":"removed"}`},
		{"ok bool", 200, `{"data":true}`},
		{"ok list", 200, `{"data":[]}`},
		{"accepted", 202, `{"data":{"status":"removing"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, c := serveOnce(t, tt.status, tt.body)
			if err := c.RemoveIntegration(t.Context(), "github"); err != nil {
				t.Fatalf("err = %v, want none", err)
			}
			if r := u.only(t); r.Method != http.MethodDelete {
				t.Errorf("method = %s", r.Method)
			}
		})
	}
	t.Run("not installed", func(t *testing.T) {
		_, c := serveOnce(t, 404, `{"error":"not_found","message":"not installed"}`)
		apiErr := asAPIError(t, c.RemoveIntegration(t.Context(), "github"))
		if apiErr.StatusCode != 404 || apiErr.Code != "not_found" || apiErr.Message != "not installed" {
			t.Errorf("APIError = %+v", apiErr)
		}
	})
}

func TestOAuthResponses(t *testing.T) {
	t.Run("url", func(t *testing.T) {
		_, c := serveOnce(t, 200, `{"data":{"url":"https://github.com/login/oauth/authorize?client_id=x&state=y","expiresIn":600,"state":"y"}}`)
		got, err := c.GetOAuthURL(t.Context(), "github", []string{"repo"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Fields.URL != "https://github.com/login/oauth/authorize?client_id=x&state=y" || got.Fields.ExpiresIn != 600 {
			t.Errorf("OAuthURL = %+v", got)
		}
		if string(got.Extra["state"]) != `"y"` {
			t.Errorf("Extra = %v", got.Extra)
		}
		if out := mustMarshal(t, got); !jsonEqual(t, out, []byte(`{"url":"https://github.com/login/oauth/authorize?client_id=x&state=y","expiresIn":600,"state":"y"}`)) {
			t.Errorf("round trip = %s", out)
		}
	})
	t.Run("status", func(t *testing.T) {
		tests := []struct {
			body string
			want OAuthStatus
		}{
			{`{"data":{"provider":"github","connected":true}}`, OAuthStatus{Fields: OAuthStatusFields{Provider: "github", Connected: true}}},
			{`{"data":{"connected":false}}`, OAuthStatus{Fields: OAuthStatusFields{Provider: "slack"}}},
			{`{"data":{"provider":"slack","connected":true,"account":{"team":"T1"}}}`, OAuthStatus{Fields: OAuthStatusFields{Provider: "slack", Connected: true}}},
		}
		for _, tt := range tests {
			_, c := serveOnce(t, 200, tt.body)
			got, err := c.GetOAuthStatus(t.Context(), "slack")
			if err != nil {
				t.Fatal(err)
			}
			extra := got.Extra
			got.Extra = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: status = %+v, want %+v", tt.body, got, tt.want)
			}
			if strings.Contains(tt.body, "account") && extra["account"] == nil {
				t.Errorf("%s: Extra lost account: %v", tt.body, extra)
			}
		}
	})
}

func TestWhoamiResponse(t *testing.T) {
	_, c := serveOnce(t, 200, `{"data":{"agentId":"agt_123","tenantId":"ten_9","name":"Scout","createdAt":1700000000000}}`)
	id, err := c.Whoami(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if id.Fields.AgentID != "agt_123" || id.Fields.TenantID != "ten_9" {
		t.Errorf("Identity = %+v", id)
	}
	if string(id.Extra["name"]) != `"Scout"` || string(id.Extra["createdAt"]) != "1700000000000" {
		t.Errorf("Extra = %v", id.Extra)
	}
}

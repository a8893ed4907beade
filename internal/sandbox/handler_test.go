package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	tests := []struct {
		name   string
		apiKey string // Options.APIKey
		header string // Authorization header; "" sends none
		want   int
	}{
		{"missing header", "", "", http.StatusUnauthorized},
		{"missing header with key set", "secret", "", http.StatusUnauthorized},
		{"wrong scheme", "", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"empty bearer", "", "Bearer ", http.StatusUnauthorized},
		{"wrong key", "secret", "Bearer nope", http.StatusUnauthorized},
		{"right key", "secret", "Bearer secret", http.StatusOK},
		{"scheme case-insensitive", "secret", "bearer secret", http.StatusOK},
		{"any key when none set", "", "Bearer anything", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, Options{APIKey: tt.apiKey})
			for _, path := range []string{"/agent/identity/whoami", "/agent/integrations", "/integrations/registry"} {
				req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				r := c.send(req)
				if tt.want == http.StatusOK {
					r.data(t, http.StatusOK, nil)
					continue
				}
				if code, _ := r.apiError(t, tt.want); code != "unauthorized" {
					t.Errorf("%s: code = %q, want unauthorized", path, code)
				}
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate = %q", path, r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}

	t.Run("unauthenticated unknown route is 401", func(t *testing.T) {
		c := newTestServer(t, Options{})
		c.key = ""
		c.do(http.MethodGet, "/nope", nil).apiError(t, http.StatusUnauthorized)
	})
	t.Run("consent pages need no bearer", func(t *testing.T) {
		c := newTestServer(t, Options{APIKey: "secret"})
		if r := c.getPage(c.base + "/sandbox/oauth/consent?state=abc"); r.status != http.StatusNotFound {
			t.Fatalf("status = %d, want 404 page", r.status)
		}
	})
}

func TestWhoami(t *testing.T) {
	c := newTestServer(t, Options{})
	var d map[string]string
	c.do(http.MethodGet, "/agent/identity/whoami", nil).data(t, http.StatusOK, &d)
	if d["agentId"] != "agt_sandbox" || d["tenantId"] != "tnt_sandbox" || len(d) != 2 {
		t.Fatalf("whoami = %v", d)
	}
}

func TestRegistry(t *testing.T) {
	c := newTestServer(t, Options{})
	var d struct {
		Integrations []struct {
			ID           string           `json:"id"`
			Name         string           `json:"name"`
			Description  string           `json:"description"`
			Category     string           `json:"category"`
			Version      string           `json:"version"`
			Versions     []string         `json:"versions"`
			Auth         string           `json:"auth"`
			Provider     string           `json:"provider"`
			Scopes       []string         `json:"scopes"`
			ConfigFields []map[string]any `json:"configFields"`
		} `json:"integrations"`
	}
	r := c.do(http.MethodGet, "/integrations/registry", nil)
	r.data(t, http.StatusOK, &d)

	want := []struct{ id, name, version, auth, provider string }{
		{"github", "GitHub", "1.0.3", "oauth", "github"},
		{"google", "Google Workspace", "1.0.4", "oauth", "google"},
		{"notion", "Notion", "1.0.3", "oauth", "notion"},
		{"slack", "Slack", "1.0.0", "oauth", "slack"},
		{"discord", "Discord", "1.0.0", "oauth", "discord"},
		{"teams", "Microsoft Teams", "1.0.3", "oauth", "microsoft"},
		{"microsoft", "Microsoft 365", "1.2.0", "oauth", "microsoft"},
		{"xero", "Xero Accounting", "1.0.3", "oauth", "xero"},
		{"atlassian", "Atlassian", "1.0.3", "oauth", "atlassian"},
		{"salesforce", "Salesforce", "1.0.4", "oauth", "salesforce"},
		{"stripe", "Stripe", "1.0.0", "api_key", ""},
		{"posthog", "PostHog", "1.0.0", "api_key", ""},
		{"memory", "Memory", "1.0.5", "none", ""},
		{"sync", "Sync", "1.0.6", "none", ""},
	}
	if len(d.Integrations) != len(want) {
		t.Fatalf("got %d entries, want %d", len(d.Integrations), len(want))
	}
	categories := map[string]bool{"developer": true, "productivity": true, "communication": true, "finance": true, "crm": true, "analytics": true, "platform": true}
	for i, w := range want {
		e := d.Integrations[i]
		if e.ID != w.id || e.Name != w.name || e.Version != w.version || e.Auth != w.auth || e.Provider != w.provider {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
		if e.Description == "" || !categories[e.Category] {
			t.Errorf("%s: description %q category %q", e.ID, e.Description, e.Category)
		}
		if len(e.Versions) == 0 || e.Versions[len(e.Versions)-1] != e.Version {
			t.Errorf("%s: versions %v do not end with %s", e.ID, e.Versions, e.Version)
		}
		if (e.Auth == "oauth") != (len(e.Scopes) > 0) {
			t.Errorf("%s: scopes %v for auth %s", e.ID, e.Scopes, e.Auth)
		}
		if e.ConfigFields == nil {
			t.Errorf("%s: configFields is null", e.ID)
		}
		if e.Auth == "api_key" {
			f := e.ConfigFields[0]
			if f["name"] != "api_key" || f["type"] != "string" || f["secret"] != true || f["required"] != true {
				t.Errorf("%s: api_key field = %v", e.ID, f)
			}
		}
	}
	if got := d.Integrations[0].Scopes; strings.Join(got, ",") != "repo,read:org" {
		t.Errorf("github scopes = %v", got)
	}
	defaults := map[string]map[string]any{}
	for _, e := range d.Integrations[12:] {
		defaults[e.ID] = map[string]any{}
		for _, f := range e.ConfigFields {
			defaults[e.ID][f["name"].(string)] = f["default"]
		}
	}
	if m := defaults["memory"]; m["autoCapture"] != true || m["autoRecall"] != true || m["captureMaxChars"] != 500.0 {
		t.Errorf("memory defaults = %v", m)
	}
	if s := defaults["sync"]; s["sync_schedule"] != "daily" {
		t.Errorf("sync defaults = %v", s)
	}
}

func TestInitialInstalls(t *testing.T) {
	clock := newFakeClock()
	c := newTestServer(t, Options{Now: clock.Now})
	r := c.do(http.MethodGet, "/agent/integrations", nil)
	var list []record
	r.data(t, http.StatusOK, &list)
	if len(list) != 2 || list[0].IntegrationID != "github" || list[1].IntegrationID != "memory" {
		t.Fatalf("initial installs = %+v", list)
	}
	gh, mem := list[0], list[1]
	if gh.Name != "GitHub" || gh.Status != "pending" || gh.Version != "1.0.3" || gh.Config == nil || len(gh.Config) != 0 {
		t.Errorf("github = %+v", gh)
	}
	if mem.Status != "active" || mem.Version != "1.0.5" ||
		mem.Config["autoCapture"] != true || mem.Config["autoRecall"] != true || mem.Config["captureMaxChars"] != 500.0 {
		t.Errorf("memory = %+v", mem)
	}
	for _, rec := range list {
		for _, ts := range []string{rec.InstalledAt, rec.UpdatedAt} {
			if got, err := time.Parse(time.RFC3339, ts); err != nil || !got.Equal(clock.Now()) {
				t.Errorf("%s: time %q (%v), want %v", rec.IntegrationID, ts, err, clock.Now())
			}
		}
	}
	if c.connected("github") {
		t.Error("github connected initially")
	}

	// Empty list is [] rather than null.
	c.do(http.MethodDelete, "/agent/integrations/github", nil)
	c.do(http.MethodDelete, "/agent/integrations/memory", nil)
	r = c.do(http.MethodGet, "/agent/integrations", nil)
	r.data(t, http.StatusOK, nil)
	if got := strings.TrimSpace(string(r.body)); got != `{"data":[]}` {
		t.Errorf("empty list body = %s", got)
	}
}

func TestErrors(t *testing.T) {
	big := `{"integrationId":"slack","config":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`
	tests := []struct {
		name     string
		method   string
		path     string
		body     any
		status   int
		code     string
		contains string
		allow    string
	}{
		{"config not installed", "GET", "/agent/integrations/notion/config", nil, 404, "not_found", "integration 'notion' is not installed", ""},
		{"patch not installed", "PATCH", "/agent/integrations/notion", map[string]any{"config": map[string]any{}}, 404, "not_found", "integration 'notion' is not installed", ""},
		{"delete not installed", "DELETE", "/agent/integrations/notion", nil, 404, "not_found", "integration 'notion' is not installed", ""},
		{"escaped id not installed", "GET", "/agent/integrations/a%2Fb/config", nil, 404, "not_found", "integration 'a/b' is not installed", ""},
		{"double install", "POST", "/agent/integrations", map[string]any{"integrationId": "github"}, 409, "conflict", "already installed", ""},
		{"unknown integration", "POST", "/agent/integrations", map[string]any{"integrationId": "nope"}, 400, "bad_request", "unknown integration 'nope'; see GET /integrations/registry", ""},
		{"missing integrationId", "POST", "/agent/integrations", map[string]any{"version": "1.0.0"}, 400, "bad_request", "integrationId", ""},
		{"integrationId not string", "POST", "/agent/integrations", `{"integrationId":42}`, 400, "bad_request", "must be a string", ""},
		{"unknown version", "POST", "/agent/integrations", map[string]any{"integrationId": "notion", "version": "9.9.9"}, 400, "bad_request", "1.0.0, 1.0.1, 1.0.2, 1.0.3", ""},
		{"config array", "POST", "/agent/integrations", `{"integrationId":"slack","config":[1,2]}`, 400, "bad_request", "'config' must be a JSON object, not an array", ""},
		{"config string", "POST", "/agent/integrations", `{"integrationId":"slack","config":"x"}`, 400, "bad_request", "'config' must be a JSON object", ""},
		{"bad JSON", "POST", "/agent/integrations", `{"integrationId":`, 400, "bad_request", "not valid JSON", ""},
		{"trailing data", "POST", "/agent/integrations", `{"integrationId":"slack"} x`, 400, "bad_request", "not valid JSON", ""},
		{"body array", "POST", "/agent/integrations", `[{"integrationId":"slack"}]`, 400, "bad_request", "must be a JSON object, not an array", ""},
		{"empty body", "POST", "/agent/integrations", "", 400, "bad_request", "empty", ""},
		{"body too large", "POST", "/agent/integrations", big, 413, "payload_too_large", "1 MiB", ""},
		{"patch config array", "PATCH", "/agent/integrations/github", `{"config":[]}`, 400, "bad_request", "'config' must be a JSON object", ""},
		{"patch config missing", "PATCH", "/agent/integrations/github", `{"other":1}`, 400, "bad_request", "'config' is required", ""},
		{"patch body not object", "PATCH", "/agent/integrations/github", `"config"`, 400, "bad_request", "not a string", ""},
		{"oauth url no provider", "GET", "/agent/integrations/oauth/url", nil, 400, "bad_request", "known providers: github, google", ""},
		{"oauth url unknown provider", "GET", "/agent/integrations/oauth/url?provider=stripe", nil, 400, "bad_request", "unknown OAuth provider 'stripe'", ""},
		{"oauth status no provider", "GET", "/agent/integrations/oauth/status", nil, 400, "bad_request", "'provider' is required", ""},
		{"oauth status unknown provider", "GET", "/agent/integrations/oauth/status?provider=nope", nil, 400, "bad_request", "salesforce", ""},
		// A 405 for a method no route takes; Allow lists the methods of the
		// path's routes, whichever tools the API grows.
		{"405 on list", "PUT", "/agent/integrations", nil, 405, "method_not_allowed", "PUT", allowed},
		{"405 on whoami", "PUT", "/agent/identity/whoami", nil, 405, "method_not_allowed", "PUT", "GET"},
		{"405 on install", "PUT", "/agent/integrations/github", nil, 405, "method_not_allowed", "PUT", allowed},
		{"405 on config", "PUT", "/agent/integrations/github/config", nil, 405, "method_not_allowed", "PUT", allowed},
		{"405 on registry", "PUT", "/integrations/registry", nil, 405, "method_not_allowed", "PUT", allowed},
		{"405 on oauth url", "PUT", "/agent/integrations/oauth/url?provider=github", nil, 405, "method_not_allowed", "PUT", allowed},
		{"unknown route", "GET", "/nope", nil, 404, "not_found", "No route", ""},
		{"root", "GET", "/", nil, 404, "not_found", "No route", ""},
		{"too deep", "GET", "/agent/integrations/github/config/extra", nil, 404, "not_found", "No route", ""},
		{"trailing slash", "GET", "/agent/integrations/", nil, 404, "not_found", "No route", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, Options{})
			allow := tt.allow
			if allow == allowed {
				allow = allowOf(t, tt.path)
			}
			code, msg := c.do(tt.method, tt.path, tt.body).apiErrorWithAllow(t, tt.status, allow)
			if code != tt.code {
				t.Errorf("code = %q, want %q", code, tt.code)
			}
			if !strings.Contains(msg, tt.contains) {
				t.Errorf("message %q does not contain %q", msg, tt.contains)
			}
		})
	}
}

// allowed stands, in a test's want of Allow, for the methods of the path's
// routes (allowOf).
const allowed = "<the methods of the path's routes>"

// allowOf is what Allow should list for path: the methods of the routes
// whose pattern it fits, in the order of the route table. It fails the test
// when there are none.
func allowOf(t *testing.T, path string) string {
	t.Helper()
	p, _, _ := strings.Cut(path, "?")
	segs, _ := splitPath(p)
	var methods []string
	for _, rt := range NewHandler(Options{}).routes() {
		if rt.matches(segs) {
			methods = append(methods, rt.method)
		}
	}
	if len(methods) == 0 {
		t.Fatalf("no route fits %s", path)
	}
	return strings.Join(methods, ", ")
}

func (r resp) apiErrorWithAllow(t *testing.T, status int, allow string) (string, string) {
	t.Helper()
	code, msg := r.apiError(t, status)
	if got := r.header.Get("Allow"); got != allow {
		t.Errorf("Allow = %q, want %q", got, allow)
	}
	return code, msg
}

func TestErrorBodyIsExactShape(t *testing.T) {
	c := newTestServer(t, Options{})
	r := c.do(http.MethodGet, "/agent/integrations/notion/config", nil)
	var body map[string]map[string]string
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"code": "not_found", "message": "integration 'notion' is not installed"}
	if len(body) != 1 || len(body["error"]) != 2 || body["error"]["code"] != want["code"] || body["error"]["message"] != want["message"] {
		t.Fatalf("error body = %s", r.body)
	}
}

package sandbox

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestInstall(t *testing.T) {
	tests := []struct {
		name        string
		body        any
		wantID      string
		wantName    string
		wantVersion string
		wantStatus  string
		wantConfig  map[string]any
	}{
		{"oauth defaults to latest, pending", map[string]any{"integrationId": "slack"}, "slack", "Slack", "1.0.0", "pending", map[string]any{}},
		{"explicit older version", map[string]any{"integrationId": "google", "version": "1.0.2"}, "google", "Google Workspace", "1.0.2", "pending", map[string]any{}},
		{"oauth keeps given config", map[string]any{"integrationId": "atlassian", "config": map[string]any{"site": "acme"}}, "atlassian", "Atlassian", "1.0.3", "pending", map[string]any{"site": "acme"}},
		{"api_key without key pending", map[string]any{"integrationId": "posthog"}, "posthog", "PostHog", "1.0.0", "pending", map[string]any{}},
		{"api_key with empty key pending", map[string]any{"integrationId": "posthog", "config": map[string]any{"api_key": ""}}, "posthog", "PostHog", "1.0.0", "pending", map[string]any{"api_key": ""}},
		{"api_key with key active", map[string]any{"integrationId": "stripe", "config": map[string]any{"api_key": "rk_test_51Habcd1234"}}, "stripe", "Stripe", "1.0.0", "active", map[string]any{"api_key": "****1234"}},
		{"none merges defaults", map[string]any{"integrationId": "sync", "config": map[string]any{"sync_schedule": "hourly", "extra": 1}}, "sync", "Sync", "1.0.6", "active", map[string]any{"sync_schedule": "hourly", "extra": 1.0}},
		{"none defaults only", map[string]any{"integrationId": "sync", "config": nil}, "sync", "Sync", "1.0.6", "active", map[string]any{"sync_schedule": "daily"}},
		{"unknown body fields ignored", map[string]any{"integrationId": "discord", "whatever": []int{1}}, "discord", "Discord", "1.0.0", "pending", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			c := newTestServer(t, Options{Now: clock.Now})
			clock.Advance(time.Minute)
			var rec record
			c.do(http.MethodPost, "/agent/integrations", tt.body).data(t, http.StatusCreated, &rec)
			want := record{
				IntegrationID: tt.wantID, Name: tt.wantName, Status: tt.wantStatus, Version: tt.wantVersion, Config: tt.wantConfig,
				InstalledAt: clock.Now().Format(time.RFC3339), UpdatedAt: clock.Now().Format(time.RFC3339),
			}
			if !reflect.DeepEqual(rec, want) {
				t.Fatalf("record = %+v\nwant     %+v", rec, want)
			}
			if got := c.installs()[tt.wantID]; !reflect.DeepEqual(got, want) {
				t.Fatalf("listed = %+v, want %+v", got, want)
			}
		})
	}
}

func TestInstallSortedList(t *testing.T) {
	c := newTestServer(t, Options{})
	for _, id := range []string{"xero", "atlassian", "sync"} {
		c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": id}).data(t, http.StatusCreated, nil)
	}
	var list []record
	c.do(http.MethodGet, "/agent/integrations", nil).data(t, http.StatusOK, &list)
	var ids []string
	for _, r := range list {
		ids = append(ids, r.IntegrationID)
	}
	if want := []string{"atlassian", "github", "memory", "sync", "xero"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
}

func TestPatchMergeAndNullDelete(t *testing.T) {
	clock := newFakeClock()
	c := newTestServer(t, Options{Now: clock.Now})
	c.do(http.MethodPost, "/agent/integrations", map[string]any{
		"integrationId": "stripe",
		"config":        map[string]any{"api_key": "rk_test_aaaaWXYZ", "region": "us", "keep": true},
	}).data(t, http.StatusCreated, nil)

	steps := []struct {
		name       string
		patch      map[string]any
		wantStatus string
		wantConfig map[string]any
	}{
		{"replace and add", map[string]any{"region": "eu", "limit": 5}, "active", map[string]any{"api_key": "****WXYZ", "region": "eu", "keep": true, "limit": 5.0}},
		{"null deletes the key, status re-evaluated", map[string]any{"api_key": nil, "limit": nil}, "pending", map[string]any{"region": "eu", "keep": true}},
		{"deleting an absent key is fine", map[string]any{"missing": nil}, "pending", map[string]any{"region": "eu", "keep": true}},
		{"new key activates", map[string]any{"api_key": "rk_live_zzzz9876"}, "active", map[string]any{"api_key": "****9876", "region": "eu", "keep": true}},
		{"empty patch", map[string]any{}, "active", map[string]any{"api_key": "****9876", "region": "eu", "keep": true}},
	}
	for _, st := range steps {
		clock.Advance(time.Minute)
		var rec record
		c.do(http.MethodPatch, "/agent/integrations/stripe", map[string]any{"config": st.patch}).data(t, http.StatusOK, &rec)
		if rec.Status != st.wantStatus || !reflect.DeepEqual(rec.Config, st.wantConfig) {
			t.Fatalf("%s: record = %+v, want status %s config %v", st.name, rec, st.wantStatus, st.wantConfig)
		}
		if rec.UpdatedAt != clock.Now().Format(time.RFC3339) || rec.InstalledAt == rec.UpdatedAt {
			t.Fatalf("%s: installedAt %s updatedAt %s, now %s", st.name, rec.InstalledAt, rec.UpdatedAt, clock.Now())
		}
		var cfg struct {
			IntegrationID string         `json:"integrationId"`
			Config        map[string]any `json:"config"`
		}
		c.do(http.MethodGet, "/agent/integrations/stripe/config", nil).data(t, http.StatusOK, &cfg)
		if cfg.IntegrationID != "stripe" || !reflect.DeepEqual(cfg.Config, st.wantConfig) {
			t.Fatalf("%s: config = %+v", st.name, cfg)
		}
	}

	// PATCH on an OAuth integration keeps its status; on memory it stays active.
	var rec record
	c.do(http.MethodPatch, "/agent/integrations/github", map[string]any{"config": map[string]any{"defaultBranch": "develop"}}).data(t, http.StatusOK, &rec)
	if rec.Status != "pending" || rec.Config["defaultBranch"] != "develop" {
		t.Fatalf("github after patch = %+v", rec)
	}
	rec = record{}
	c.do(http.MethodPatch, "/agent/integrations/memory", map[string]any{"config": map[string]any{"autoRecall": false, "captureMaxChars": nil}}).data(t, http.StatusOK, &rec)
	if want := map[string]any{"autoCapture": true, "autoRecall": false}; rec.Status != "active" || !reflect.DeepEqual(rec.Config, want) {
		t.Fatalf("memory after patch = %+v", rec)
	}
}

func TestSecretMasking(t *testing.T) {
	tests := []struct {
		key  any
		want any
	}{
		{"rk_test_51HxyzLONGKEYabcd", "****abcd"},
		{"12345", "****2345"},
		{"abcd", "****"},
		{"", ""},
		{12345, "****"},
	}
	for _, tt := range tests {
		c := newTestServer(t, Options{})
		var rec record
		c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": "stripe", "config": map[string]any{"api_key": tt.key}}).data(t, http.StatusCreated, &rec)
		if rec.Config["api_key"] != tt.want {
			t.Errorf("POST %v: api_key = %v, want %v", tt.key, rec.Config["api_key"], tt.want)
		}
		if got := c.installs()["stripe"].Config["api_key"]; got != tt.want {
			t.Errorf("list %v: api_key = %v, want %v", tt.key, got, tt.want)
		}
		var cfg struct {
			Config map[string]any `json:"config"`
		}
		c.do(http.MethodGet, "/agent/integrations/stripe/config", nil).data(t, http.StatusOK, &cfg)
		if cfg.Config["api_key"] != tt.want {
			t.Errorf("config %v: api_key = %v, want %v", tt.key, cfg.Config["api_key"], tt.want)
		}
		rec = record{}
		c.do(http.MethodPatch, "/agent/integrations/stripe", map[string]any{"config": map[string]any{"note": "x"}}).data(t, http.StatusOK, &rec)
		if rec.Config["api_key"] != tt.want {
			t.Errorf("PATCH %v: api_key = %v, want %v", tt.key, rec.Config["api_key"], tt.want)
		}
	}
}

func TestDelete(t *testing.T) {
	c := newTestServer(t, Options{})
	r := c.do(http.MethodDelete, "/agent/integrations/github", nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete = %d %q, want 204 with no body", r.status, r.body)
	}
	if _, ok := c.installs()["github"]; ok {
		t.Fatal("github still listed after delete")
	}
	c.do(http.MethodGet, "/agent/integrations/github/config", nil).apiError(t, http.StatusNotFound)
	c.do(http.MethodDelete, "/agent/integrations/github", nil).apiError(t, http.StatusNotFound)
	var rec record
	c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": "github", "version": "1.0.0"}).data(t, http.StatusCreated, &rec)
	if rec.Version != "1.0.0" || rec.Status != "pending" {
		t.Fatalf("reinstall = %+v", rec)
	}
}

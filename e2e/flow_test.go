package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
)

// TestFlow is the whole job through the MCP protocol, against the sandbox:
// find Slack in the registry, install it, read and change its config, connect
// its account through the consent page (over HTTP, as a browser would), see it
// connected and active, remove it.
func TestFlow(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		st := newStack(t, sandbox.Options{})
		c := st.connect(t, e)

		// get_registry: the realistic catalogue, Slack connected through OAuth.
		reg := ok[registryOut](t, "get_registry", call(t, c, "get_registry", nil))
		if len(reg.Integrations) != 14 {
			t.Fatalf("get_registry: %d integrations, want 14", len(reg.Integrations))
		}
		i := slices.IndexFunc(reg.Integrations, func(x registryEntry) bool { return x.ID == "slack" })
		if i < 0 {
			t.Fatalf("get_registry has no slack: %s", describe(reg))
		}
		if slack := reg.Integrations[i]; slack.Provider != "slack" || !slices.Equal(slack.Scopes, slackScopes) {
			t.Errorf("get_registry: slack entry %s, want provider slack and scopes %v", describe(slack), slackScopes)
		}
		if s := statusOf(t, c, "slack"); s != "" {
			t.Fatalf("slack already installed (%s) before install_integration", s)
		}

		// install_integration: pending until the account is connected.
		rec := ok[installRecord](t, "install_integration", call(t, c, "install_integration", map[string]any{"integrationId": "slack"}))
		if rec.IntegrationID != "slack" || rec.Status != "pending" || rec.Version != "1.0.0" {
			t.Errorf("install_integration: %s, want slack 1.0.0 pending", describe(rec))
		}
		failed(t, "install_integration twice", call(t, c, "install_integration", map[string]any{"integrationId": "slack"}), "already installed")

		// get_integration_config → update_integration_config → get_integration_config.
		cfg := ok[configOut](t, "get_integration_config", call(t, c, "get_integration_config", map[string]any{"integrationId": "slack"}))
		if cfg.IntegrationID != "slack" || len(cfg.Config) != 0 {
			t.Errorf("get_integration_config: %s, want slack with an empty config", describe(cfg))
		}
		upd := ok[installRecord](t, "update_integration_config", call(t, c, "update_integration_config",
			map[string]any{"integrationId": "slack", "config": map[string]any{"defaultChannel": "#general"}}))
		if upd.IntegrationID != "slack" || upd.Config["defaultChannel"] != "#general" {
			t.Errorf("update_integration_config: %s, want defaultChannel #general", describe(upd))
		}
		cfg = ok[configOut](t, "get_integration_config", call(t, c, "get_integration_config", map[string]any{"integrationId": "slack"}))
		if cfg.Config["defaultChannel"] != "#general" {
			t.Errorf("get_integration_config after the update: %s, want defaultChannel #general", describe(cfg))
		}

		// get_oauth_url, and the consent page it points to.
		consent := st.getOAuthURL(t, c, "slack")
		if oauthStatus(t, c, "slack").Connected {
			t.Fatal("slack connected before any consent")
		}
		pg := fetch(t, consent)
		wantPage(t, "consent page", pg, http.StatusOK, append([]string{"Slack", `id="approve"`, `id="deny"`}, slackScopes...)...)
		action, state := pg.form(t, consent)

		// get_oauth_status with waitSeconds: it waits while the person has
		// not decided, and returns as soon as they approve.
		polls := st.statusPolls.Load()
		type outcome struct {
			res *mcp.CallToolResult
			err error
		}
		waited := make(chan outcome, 1)
		// Shorter than waitSeconds: a call that waited them out fails here.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		go func() {
			res, err := callCtx(ctx, c, "get_oauth_status", map[string]any{"provider": "slack", "waitSeconds": 50})
			waited <- outcome{res, err}
		}()
		waitFor(t, "get_oauth_status to poll the API while waiting", func() bool { return st.statusPolls.Load() > polls })
		select {
		case o := <-waited:
			t.Fatalf("get_oauth_status with waitSeconds returned before the consent: %v %s", o.err, describe(o.res))
		default:
		}

		wantPage(t, "approve", decide(t, action, state, "approve"), http.StatusOK, "Connected", "Slack is now connected")

		o := <-waited
		if o.err != nil {
			t.Fatalf("get_oauth_status with waitSeconds 50 did not return once connected: %v", o.err)
		}
		if got := ok[oauthStatusOut](t, "get_oauth_status", o.res); !got.Connected || got.Provider != "slack" {
			t.Errorf("get_oauth_status with waitSeconds: %s, want slack connected", describe(got))
		}
		if !oauthStatus(t, c, "slack").Connected {
			t.Error("get_oauth_status: not connected after approval")
		}

		// The link is single-use.
		wantPage(t, "approve again", decide(t, action, state, "approve"), http.StatusGone, "already been used")

		// list_integrations: Slack is active now.
		if s := statusOf(t, c, "slack"); s != "active" {
			t.Errorf("list_integrations: slack is %q, want active", s)
		}

		// remove_integration, from a client that cannot show a form: the
		// destructive hint leaves the confirmation to the host.
		rm := ok[removeOut](t, "remove_integration", call(t, c, "remove_integration", map[string]any{"integrationId": "slack"}))
		if rm.IntegrationID != "slack" || !rm.Removed {
			t.Errorf("remove_integration: %s, want slack removed", describe(rm))
		}
		failed(t, "get_integration_config after removal",
			call(t, c, "get_integration_config", map[string]any{"integrationId": "slack"}), "slack", "not installed")
		if s := statusOf(t, c, "slack"); s != "" {
			t.Errorf("list_integrations: slack still listed (%s) after removal", s)
		}
	})
}

// TestConsentRefused covers the consent links that must not connect the
// account: denied, expired (by the sandbox's injected clock), and a decision
// that is neither approve nor deny.
func TestConsentRefused(t *testing.T) {
	cases := []struct {
		name     string
		decision string
		expire   bool // move the sandbox's clock past the link's expiry first
		// what the consent page (GET) responds
		pageStatus int
		pageText   []string
		// what the decision (POST) responds
		decisionStatus int
		decisionText   []string
	}{
		{
			name: "denied", decision: "deny",
			pageStatus: http.StatusOK, pageText: append([]string{"Slack"}, slackScopes...),
			decisionStatus: http.StatusOK, decisionText: []string{"Access denied", "No Slack account was connected"},
		},
		{
			name: "expired link", decision: "approve", expire: true,
			pageStatus: http.StatusGone, pageText: []string{"Link expired", "has expired"},
			decisionStatus: http.StatusGone, decisionText: []string{"Link expired"},
		},
		{
			name: "unknown decision", decision: "maybe",
			pageStatus: http.StatusOK, pageText: []string{"Slack"},
			decisionStatus: http.StatusBadRequest, decisionText: []string{"Unknown decision"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forEachEra(t, func(t *testing.T, e era) {
				clk := newClock()
				st := newStack(t, sandbox.Options{Now: clk.Now, OAuthURLTTL: 10 * time.Minute})
				c := st.connect(t, e)
				ok[installRecord](t, "install_integration", call(t, c, "install_integration", map[string]any{"integrationId": "slack"}))

				consent := st.getOAuthURL(t, c, "slack")
				// Read the form while the link is valid, as a person who
				// opened it and decided too late would have.
				action, state := fetch(t, consent).form(t, consent)
				if tc.expire {
					clk.Advance(10*time.Minute + time.Second)
				}
				wantPage(t, "consent page", fetch(t, consent), tc.pageStatus, tc.pageText...)
				wantPage(t, "decision", decide(t, action, state, tc.decision), tc.decisionStatus, tc.decisionText...)

				if oauthStatus(t, c, "slack").Connected {
					t.Error("get_oauth_status: connected, want not connected")
				}
				if s := statusOf(t, c, "slack"); s != "pending" {
					t.Errorf("list_integrations: slack is %q, want pending", s)
				}
			})
		})
	}
}

// waitFor waits until cond holds, failing the test with msg after waitLimit.
func waitFor(t *testing.T, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", msg)
		}
		time.Sleep(time.Millisecond)
	}
}

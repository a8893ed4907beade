package sandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var stateRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestOAuthURL(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		query      string
		wantScopes []string
		wantTTL    int
	}{
		{"default scopes and TTL", Options{}, "provider=github", []string{"repo", "read:org"}, 600},
		{"explicit scopes", Options{}, "provider=slack&scopes=chat:write,users:read", []string{"chat:write", "users:read"}, 600},
		{"empty scopes means default", Options{}, "provider=github&scopes=", []string{"repo", "read:org"}, 600},
		{"shared provider default is the union", Options{}, "provider=microsoft", []string{"ChannelMessage.Send", "Mail.ReadWrite"}, 600},
		{"custom TTL", Options{OAuthURLTTL: 90 * time.Second}, "provider=notion", []string{"read_content"}, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, tt.opts)
			raw, state, expiresIn := c.consentURL(tt.query)
			base, _ := url.Parse(c.base)
			u, err := url.Parse(raw)
			if err != nil || u.Scheme != "http" || u.Host != base.Host || u.Path != "/sandbox/oauth/consent" {
				t.Fatalf("url = %q (%v), want http://%s/sandbox/oauth/consent?state=...", raw, err, base.Host)
			}
			if !stateRE.MatchString(state) {
				t.Fatalf("state %q is not 128-bit hex", state)
			}
			if expiresIn != tt.wantTTL {
				t.Fatalf("expiresIn = %d, want %d", expiresIn, tt.wantTTL)
			}
			page := c.getPage(raw)
			if page.status != http.StatusOK {
				t.Fatalf("consent page status %d: %s", page.status, page.body)
			}
			for _, s := range tt.wantScopes {
				if !strings.Contains(string(page.body), "<code>"+s+"</code>") {
					t.Errorf("consent page does not list scope %q", s)
				}
			}
		})
	}
	t.Run("states are unique", func(t *testing.T) {
		c := newTestServer(t, Options{})
		_, a, _ := c.consentURL("provider=github")
		_, b, _ := c.consentURL("provider=github")
		if a == b {
			t.Fatal("two URLs share a state")
		}
	})
}

func TestConsentPage(t *testing.T) {
	c := newTestServer(t, Options{APIKey: "secret"})
	raw, state, _ := c.consentURL("provider=github&scopes=repo,read:org,%3Cscript%3Ealert(1)%3C/script%3E")
	page := c.getPage(raw)
	if page.status != http.StatusOK {
		t.Fatalf("status = %d", page.status)
	}
	body := string(page.body)
	for _, want := range []string{
		"<title>Connect GitHub to your Alfe agent (sandbox)</title>",
		"<code>repo</code>", "<code>read:org</code>",
		`<form method="post" action="/sandbox/oauth/decision">`,
		`<input type="hidden" name="state" value="` + state + `">`,
		`<button id="approve" name="decision" value="approve">Approve</button>`,
		`<button id="deny" name="decision" value="deny">Deny</button>`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("page contains an unescaped <script>")
	}
	for _, forbidden := range []string{"http://", "https://", "<link", "<img", "src="} {
		if strings.Contains(body, forbidden) {
			t.Errorf("page references an external resource: %q", forbidden)
		}
	}
	wantHeaders := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range wantHeaders {
		if got := page.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestConsentFlow(t *testing.T) {
	t.Run("approve connects the provider and activates pending installs", func(t *testing.T) {
		c := newTestServer(t, Options{})
		for _, id := range []string{"teams", "microsoft", "slack"} {
			var rec record
			c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": id}).data(t, http.StatusCreated, &rec)
			if rec.Status != "pending" {
				t.Fatalf("%s installed as %q, want pending", id, rec.Status)
			}
		}
		raw, state, _ := c.consentURL("provider=microsoft")
		page := c.getPage(raw)
		if !strings.Contains(string(page.body), "Microsoft") || !strings.Contains(string(page.body), "Microsoft Teams, Microsoft 365") {
			t.Fatalf("page does not name the provider and its integrations: %s", page.body)
		}
		res := c.decide(state, "approve")
		if res.status != http.StatusOK || !strings.Contains(string(res.body), `<h1 id="result">Connected</h1>`) ||
			!strings.Contains(string(res.body), "return to your assistant") {
			t.Fatalf("approve = %d %s", res.status, res.body)
		}
		if !c.connected("microsoft") || c.connected("github") || c.connected("slack") {
			t.Fatal("wrong providers connected")
		}
		got := c.installs()
		for id, want := range map[string]string{"teams": "active", "microsoft": "active", "slack": "pending", "github": "pending", "memory": "active"} {
			if got[id].Status != want {
				t.Errorf("%s status = %q, want %q", id, got[id].Status, want)
			}
		}

		// The state is consumed.
		if p := c.getPage(raw); p.status != http.StatusGone || !strings.Contains(string(p.body), "new link") {
			t.Errorf("reused consent page = %d %s", p.status, p.body)
		}
		if p := c.decide(state, "approve"); p.status != http.StatusGone {
			t.Errorf("reused decision = %d", p.status)
		}

		// Removing keeps the connection; reinstalling is active at once.
		var rec record
		c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": "google"}).data(t, http.StatusCreated, &rec)
		if rec.Status != "pending" {
			t.Errorf("google = %q, want pending", rec.Status)
		}
		_, state, _ = c.consentURL("provider=google")
		c.decide(state, "approve")
		c.do(http.MethodDelete, "/agent/integrations/google", nil)
		if !c.connected("google") {
			t.Error("removing an integration disconnected its provider")
		}
		c.do(http.MethodPost, "/agent/integrations", map[string]any{"integrationId": "google"}).data(t, http.StatusCreated, &rec)
		if rec.Status != "active" {
			t.Errorf("reinstalled google = %q, want active", rec.Status)
		}
	})

	t.Run("deny consumes the state and connects nothing", func(t *testing.T) {
		c := newTestServer(t, Options{})
		raw, state, _ := c.consentURL("provider=github")
		res := c.decide(state, "deny")
		if res.status != http.StatusOK || !strings.Contains(string(res.body), `<h1 id="result">Access denied</h1>`) {
			t.Fatalf("deny = %d %s", res.status, res.body)
		}
		if c.connected("github") || c.installs()["github"].Status != "pending" {
			t.Fatal("deny connected github")
		}
		if p := c.getPage(raw); p.status != http.StatusGone {
			t.Fatalf("page after deny = %d", p.status)
		}
	})

	t.Run("expired link is gone", func(t *testing.T) {
		clock := newFakeClock()
		c := newTestServer(t, Options{Now: clock.Now, OAuthURLTTL: time.Minute})
		raw, state, _ := c.consentURL("provider=github")
		clock.Advance(59 * time.Second)
		if p := c.getPage(raw); p.status != http.StatusOK {
			t.Fatalf("page before expiry = %d", p.status)
		}
		clock.Advance(time.Second)
		p := c.getPage(raw)
		if p.status != http.StatusGone || !strings.Contains(string(p.body), "expired") || !strings.Contains(string(p.body), "new link") {
			t.Fatalf("expired page = %d %s", p.status, p.body)
		}
		if p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("Content-Security-Policy") == "" {
			t.Error("error page lacks security headers")
		}
		if p := c.decide(state, "approve"); p.status != http.StatusGone {
			t.Fatalf("expired decision = %d", p.status)
		}
		if c.connected("github") {
			t.Fatal("expired approval connected github")
		}
	})

	t.Run("bad links and decisions", func(t *testing.T) {
		c := newTestServer(t, Options{})
		tests := []struct {
			name string
			do   func() resp
			want int
		}{
			{"unknown state page", func() resp { return c.getPage(c.base + "/sandbox/oauth/consent?state=0123") }, http.StatusNotFound},
			{"missing state page", func() resp { return c.getPage(c.base + "/sandbox/oauth/consent") }, http.StatusBadRequest},
			{"unknown state decision", func() resp { return c.decide("0123", "approve") }, http.StatusNotFound},
			{"missing state decision", func() resp { return c.decide("", "approve") }, http.StatusBadRequest},
			{"unknown decision", func() resp {
				_, state, _ := c.consentURL("provider=github")
				return c.decide(state, "maybe")
			}, http.StatusBadRequest},
		}
		for _, tt := range tests {
			r := tt.do()
			if r.status != tt.want || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
				!strings.Contains(string(r.body), `<h1 id="result">`) {
				t.Errorf("%s: %d %s %s", tt.name, r.status, r.header.Get("Content-Type"), r.body)
			}
		}
		if c.connected("github") {
			t.Fatal("github connected")
		}
		// An unknown decision does not consume the state.
		_, state, _ := c.consentURL("provider=github")
		c.decide(state, "maybe")
		if r := c.decide(state, "approve"); r.status != http.StatusOK {
			t.Fatalf("approve after unknown decision = %d", r.status)
		}
	})
}

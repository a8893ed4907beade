package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// stateRetention is how long a used or expired consent state is remembered (so that the response
// is 410 Gone rather than 404) before it is forgotten.
const stateRetention = time.Hour

// oauthState is one consent link handed out by GET /agent/integrations/oauth/url.
type oauthState struct {
	provider  string
	scopes    []string
	expiresAt time.Time
	used      bool
}

// oauthURLData is the response to GET /agent/integrations/oauth/url.
type oauthURLData struct {
	URL       string `json:"url"`
	ExpiresIn int64  `json:"expiresIn"`
}

// oauthStatusData is the response to GET /agent/integrations/oauth/status.
type oauthStatusData struct {
	Provider  string `json:"provider"`
	Connected bool   `json:"connected"`
}

// oauthRoutes are the routes of the OAuth connect flow.
func (h *Handler) oauthRoutes() []route {
	return []route{
		{http.MethodGet, "/agent/integrations/oauth/url", h.oauthURL},
		{http.MethodGet, "/agent/integrations/oauth/status", h.oauthStatus},
	}
}

// queryProvider reads and checks the provider query parameter, writing a 400 when it is missing or
// not an OAuth provider of the registry.
func (h *Handler) queryProvider(w http.ResponseWriter, r *http.Request) (*provider, bool) {
	name := r.URL.Query().Get("provider")
	known := strings.Join(h.reg.order, ", ")
	if name == "" {
		badRequest(w, fmt.Sprintf("query parameter 'provider' is required; known providers: %s", known))
		return nil, false
	}
	p := h.reg.providers[name]
	if p == nil {
		badRequest(w, fmt.Sprintf("unknown OAuth provider '%s'; known providers: %s", name, known))
		return nil, false
	}
	return p, true
}

// oauthURL serves GET /agent/integrations/oauth/url: a fresh consent link on this sandbox's own
// host, valid for the configured TTL.
func (h *Handler) oauthURL(w http.ResponseWriter, r *http.Request) {
	p, ok := h.queryProvider(w, r)
	if !ok {
		return
	}
	var scopes []string
	for _, param := range r.URL.Query()["scopes"] {
		for _, s := range strings.Split(param, ",") {
			if s = strings.TrimSpace(s); s != "" && !contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	if len(scopes) == 0 {
		scopes = append([]string(nil), p.Scopes...)
	}
	state := newState()

	h.mu.Lock()
	now := h.now()
	for k, st := range h.states {
		if now.Sub(st.expiresAt) > stateRetention {
			delete(h.states, k)
		}
	}
	h.states[state] = &oauthState{provider: p.ID, scopes: scopes, expiresAt: now.Add(h.ttl)}
	h.mu.Unlock()

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "127.0.0.1"
	}
	u := url.URL{Scheme: scheme, Host: host, Path: "/sandbox/oauth/consent", RawQuery: url.Values{"state": {state}}.Encode()}
	writeData(w, http.StatusOK, oauthURLData{URL: u.String(), ExpiresIn: int64(h.ttl / time.Second)})
}

// oauthStatus serves GET /agent/integrations/oauth/status.
func (h *Handler) oauthStatus(w http.ResponseWriter, r *http.Request) {
	p, ok := h.queryProvider(w, r)
	if !ok {
		return
	}
	h.mu.Lock()
	connected := h.connected[p.ID]
	h.mu.Unlock()
	writeData(w, http.StatusOK, oauthStatusData{Provider: p.ID, Connected: connected})
}

// newState returns a random 128-bit state, hex encoded.
func newState() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return hex.EncodeToString(b[:])
}

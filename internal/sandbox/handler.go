package sandbox

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configures a Handler.
type Options struct {
	// APIKey, when non-empty, is the only bearer key accepted. When empty, any non-empty bearer
	// key is accepted.
	APIKey string
	// Now is the clock; nil means time.Now. Tests inject one to expire OAuth URLs.
	Now func() time.Time
	// OAuthURLTTL is how long an OAuth consent URL stays valid; zero or negative means
	// 10 minutes. It is reported to clients as expiresIn, in whole seconds.
	OAuthURLTTL time.Duration
}

const (
	defaultOAuthURLTTL = 10 * time.Minute
	sandboxAgentID     = "agt_sandbox"
	sandboxTenantID    = "tnt_sandbox"
)

// Handler is an in-memory emulator of the Alfe agent API. It implements http.Handler; its state
// lives in memory and is safe for concurrent use. Create one with NewHandler.
type Handler struct {
	apiKey string
	now    func() time.Time
	ttl    time.Duration
	reg    *registry

	mu        sync.Mutex
	installs  map[string]*install    // by integration id
	connected map[string]bool        // by OAuth provider id
	states    map[string]*oauthState // by consent state
}

// NewHandler returns a Handler in the initial sandbox state: memory installed and active with its
// default config, github installed at 1.0.3 with status pending and an empty config, and no OAuth
// provider connected.
func NewHandler(opts Options) *Handler {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ttl := opts.OAuthURLTTL
	if ttl <= 0 {
		ttl = defaultOAuthURLTTL
	}
	h := &Handler{
		apiKey:    opts.APIKey,
		now:       now,
		ttl:       ttl,
		reg:       newRegistry(),
		installs:  map[string]*install{},
		connected: map[string]bool{},
		states:    map[string]*oauthState{},
	}
	t := now().UTC()
	mem := h.reg.byID["memory"]
	h.installs[mem.ID] = &install{entry: mem, version: mem.Version, status: "active", config: mem.defaultConfig(), installedAt: t, updatedAt: t}
	gh := h.reg.byID["github"]
	h.installs[gh.ID] = &install{entry: gh, version: "1.0.3", status: "pending", config: map[string]any{}, installedAt: t, updatedAt: t}
	return h
}

// ServeHTTP authenticates the request (except for the consent pages under /sandbox/) and
// dispatches it to the emulated route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		badRequest(w, "The request path is not correctly escaped.")
		return
	}
	public := len(segs) > 0 && segs[0] == "sandbox"
	if !public {
		if msg, ok := h.authorize(r); !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="alfe-sandbox"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, msg)
			return
		}
	}
	var matched []route
	for _, rt := range h.routes() {
		if rt.matches(segs) {
			matched = append(matched, rt)
		}
	}
	if len(matched) == 0 {
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("No route for %s %s.", r.Method, r.URL.Path))
		return
	}
	allow := make([]string, 0, len(matched))
	for _, rt := range matched {
		if rt.method == r.Method {
			if i := slices.Index(strings.Split(rt.pattern, "/")[1:], "{id}"); i >= 0 {
				r.SetPathValue("id", segs[i])
			}
			rt.serve(w, r)
			return
		}
		allow = append(allow, rt.method)
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed,
		fmt.Sprintf("Method %s is not allowed on %s; allowed: %s.", r.Method, r.URL.Path, strings.Join(allow, ", ")))
}

// authorize checks the bearer key and returns a message explaining a refusal.
func (h *Handler) authorize(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "Missing API key; send the header Authorization: Bearer <agent API key>.", false
	}
	scheme, key, found := strings.Cut(auth, " ")
	key = strings.TrimSpace(key)
	if !found || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "Malformed Authorization header; send Authorization: Bearer <agent API key>.", false
	}
	if h.apiKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(h.apiKey)) != 1 {
		return "The API key is not valid for this sandbox.", false
	}
	return "", true
}

// route is one method on one path of the emulated API. In pattern, {id}
// stands for one non-empty path segment (unescaped), which serve reads as
// r.PathValue("id").
type route struct {
	method  string
	pattern string // e.g. "/agent/integrations/{id}/config"
	serve   http.HandlerFunc
}

// routes are every route of the emulated API. Each domain's file declares
// its own next to their handlers (installs.go, oauth.go, consent.go), so
// that a new route is written in one place.
func (h *Handler) routes() []route {
	return slices.Concat(
		[]route{
			{http.MethodGet, "/agent/identity/whoami", h.whoami},
			{http.MethodGet, "/integrations/registry", h.registryList},
		},
		h.installRoutes(),
		h.oauthRoutes(),
		h.consentRoutes(),
	)
}

// matches reports whether the unescaped path segments fit the route's
// pattern.
func (rt route) matches(segs []string) bool {
	want := strings.Split(rt.pattern, "/")[1:]
	if len(segs) != len(want) {
		return false
	}
	for i, w := range want {
		if w != segs[i] && (w != "{id}" || segs[i] == "") {
			return false
		}
	}
	return true
}

// splitPath splits an escaped path into unescaped segments. It reports false when a segment is
// not correctly escaped.
func splitPath(escaped string) ([]string, bool) {
	p := strings.TrimPrefix(escaped, "/")
	if p == "" {
		return nil, true
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		seg, err := url.PathUnescape(part)
		if err != nil {
			return nil, false
		}
		parts[i] = seg
	}
	return parts, true
}

// whoami serves GET /agent/identity/whoami.
func (h *Handler) whoami(w http.ResponseWriter, _ *http.Request) {
	writeData(w, http.StatusOK, map[string]string{"agentId": sandboxAgentID, "tenantId": sandboxTenantID})
}

// registryList serves GET /integrations/registry. The catalogue is immutable, so no lock is needed.
func (h *Handler) registryList(w http.ResponseWriter, _ *http.Request) {
	writeData(w, http.StatusOK, map[string]any{"integrations": h.reg.entries})
}

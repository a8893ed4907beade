package sandbox

import (
	"errors"
	"html"
	"io"
	"net/http"
	"strings"
)

// consentRoutes are the pages a person opens: no API key needed.
func (h *Handler) consentRoutes() []route {
	return []route{
		{http.MethodGet, "/sandbox/oauth/consent", h.consentPage},
		{http.MethodPost, "/sandbox/oauth/decision", h.consentDecision},
	}
}

// consentPage is the data of the HTML page.
type consentPage struct {
	Title        string
	Consent      bool // the consent form, rather than a result or error message
	ProviderName string
	Scopes       []string
	Integrations string
	State        string
	ExpiresAt    string
	Heading      string
	Message      string
}

// stateProblem explains why a consent state cannot be used.
type stateProblem struct {
	status  int
	heading string
	message string
}

// checkState returns the usable state, or the problem page to show. The caller holds h.mu.
func (h *Handler) checkState(state string) (*oauthState, *stateProblem) {
	const askAgain = "Ask your agent for a new link to connect this account."
	if state == "" {
		return nil, &stateProblem{http.StatusBadRequest, "Link incomplete", "This consent link has no state. " + askAgain}
	}
	st := h.states[state]
	switch {
	case st == nil:
		return nil, &stateProblem{http.StatusNotFound, "Link not found", "This consent link is not known to the sandbox. " + askAgain}
	case st.used:
		return nil, &stateProblem{http.StatusGone, "Link already used", "This consent link has already been used. " + askAgain}
	case !h.now().Before(st.expiresAt):
		return nil, &stateProblem{http.StatusGone, "Link expired", "This consent link has expired. " + askAgain}
	}
	return st, nil
}

// consentPage serves GET /sandbox/oauth/consent?state=...: the approve/deny page.
func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	h.mu.Lock()
	st, problem := h.checkState(state)
	var page consentPage
	if problem == nil {
		p := h.reg.providers[st.provider]
		page = consentPage{
			Title:        "Connect " + p.Name + " to your Alfe agent (sandbox)",
			Consent:      true,
			ProviderName: p.Name,
			Scopes:       append([]string(nil), st.scopes...),
			Integrations: strings.Join(p.Integrations, ", "),
			State:        state,
			ExpiresAt:    st.expiresAt.UTC().Format("15:04:05 MST"),
		}
	}
	h.mu.Unlock()
	if problem != nil {
		h.writeProblem(w, problem)
		return
	}
	h.writePage(w, http.StatusOK, page)
}

// consentDecision serves POST /sandbox/oauth/decision (form fields state and decision).
func (h *Handler) consentDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.writeMessage(w, http.StatusRequestEntityTooLarge, "Request too large", "The form submission is too large.")
			return
		}
		h.writeMessage(w, http.StatusBadRequest, "Bad request", "The form submission could not be read.")
		return
	}
	state := r.PostForm.Get("state")
	decision := r.PostForm.Get("decision")

	h.mu.Lock()
	st, problem := h.checkState(state)
	if problem == nil && decision != "approve" && decision != "deny" {
		h.mu.Unlock()
		h.writeMessage(w, http.StatusBadRequest, "Unknown decision", "Choose Approve or Deny on the consent page.")
		return
	}
	var name string
	if problem == nil {
		st.used = true
		name = h.reg.providers[st.provider].Name
		if decision == "approve" {
			h.connected[st.provider] = true
			now := h.now().UTC()
			for _, in := range h.installs {
				if in.entry.Auth == authOAuth && in.entry.Provider == st.provider && in.status == "pending" {
					in.status = "active"
					in.updatedAt = now
				}
			}
		}
	}
	h.mu.Unlock()

	switch {
	case problem != nil:
		h.writeProblem(w, problem)
	case decision == "approve":
		h.writeMessage(w, http.StatusOK, "Connected",
			name+" is now connected to your Alfe agent (sandbox). You can close this window and return to your assistant.")
	default:
		h.writeMessage(w, http.StatusOK, "Access denied",
			"No "+name+" account was connected. You can close this window and return to your assistant.")
	}
}

func (h *Handler) writeProblem(w http.ResponseWriter, p *stateProblem) {
	h.writeMessage(w, p.status, p.heading, p.message)
}

func (h *Handler) writeMessage(w http.ResponseWriter, status int, heading, message string) {
	h.writePage(w, status, consentPage{Title: heading + " (Alfe sandbox)", Heading: heading, Message: message})
}

// writePage renders the page with the security headers of every sandbox page.
func (h *Handler) writePage(w http.ResponseWriter, status int, page consentPage) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, renderPage(page))
}

// renderPage builds the single self-contained page (inline CSS, no external
// resources) used for the consent form and for every result or error
// message. Every value is HTML-escaped. (Plain string building rather than
// html/template: the template package's reflection keeps every exported
// method of the binary alive and adds about 3 MB to alfe-mcp.)
func renderPage(p consentPage) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString(pageHead)
	b.WriteString("<title>" + e(p.Title) + "</title>\n" + pageStyle + "\n</head>\n<body>\n<main>\n<p class=\"badge\">Alfe sandbox</p>\n")
	if p.Consent {
		name := e(p.ProviderName)
		b.WriteString("<h1>Connect " + name + " to your Alfe agent</h1>\n")
		b.WriteString("<p>Your Alfe agent is asking to connect your <strong id=\"provider\">" + name + "</strong> account, used by: " + e(p.Integrations) + ".</p>\n")
		b.WriteString("<h2>Requested scopes</h2>\n<ul id=\"scopes\">\n")
		for _, s := range p.Scopes {
			b.WriteString("<li><code>" + e(s) + "</code></li>\n")
		}
		b.WriteString("</ul>\n<form method=\"post\" action=\"/sandbox/oauth/decision\">\n")
		b.WriteString("<input type=\"hidden\" name=\"state\" value=\"" + e(p.State) + "\">\n")
		b.WriteString("<button id=\"approve\" name=\"decision\" value=\"approve\">Approve</button>\n")
		b.WriteString("<button id=\"deny\" name=\"decision\" value=\"deny\">Deny</button>\n</form>\n")
		b.WriteString("<p class=\"note\">This is a sandbox: no real " + name + " account is contacted and no credential is stored. This link expires at " + e(p.ExpiresAt) + ".</p>\n")
	} else {
		b.WriteString("<h1 id=\"result\">" + e(p.Heading) + "</h1>\n<p>" + e(p.Message) + "</p>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.String()
}

const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
`

const pageStyle = `<style>
  :root { color-scheme: light dark; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: #f4f5f7; color: #1d2129; }
  main { background: #fff; max-width: 30rem; width: calc(100% - 2rem); padding: 2rem;
         border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.08); }
  .badge { display: inline-block; font-size: .75rem; font-weight: 600; letter-spacing: .05em;
           text-transform: uppercase; color: #8a5a00; background: #fff3d6; padding: .15rem .5rem;
           border-radius: 999px; margin: 0 0 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
  h2 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  ul { margin: 0; padding-left: 1.25rem; }
  code { font: .9rem ui-monospace, SFMono-Regular, Menlo, monospace; }
  .note { color: #5c6370; font-size: .875rem; }
  form { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { flex: 1; font: inherit; font-weight: 600; padding: .65rem 1rem; border-radius: 8px;
           border: 1px solid #c9ced6; background: #fff; color: #1d2129; cursor: pointer; }
  button#approve { background: #2457d6; border-color: #2457d6; color: #fff; }
  button:focus-visible { outline: 3px solid #8fb0ff; outline-offset: 2px; }
  @media (prefers-color-scheme: dark) {
    body { background: #15171b; color: #e6e8eb; }
    main { background: #1f2227; box-shadow: none; }
    .note { color: #a0a6b0; }
    button { background: #2a2e35; color: #e6e8eb; border-color: #3a3f48; }
  }
</style>`

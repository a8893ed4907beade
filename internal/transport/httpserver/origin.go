package httpserver

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// originPolicy is the allowlist of browser origins. The MCP specification
// requires servers to validate Origin against DNS rebinding: a page on a
// foreign origin must not drive a server through a victim's browser.
type originPolicy struct {
	extra map[string]bool // normalised origins allowed besides the loopback ones
}

// newOriginPolicy returns the default allowlist (http and https on
// localhost, 127.0.0.1 and [::1], any port) extended by extra, a list of
// origins such as "https://app.example.com" or "http://10.0.0.5:3000".
func newOriginPolicy(extra []string) (originPolicy, error) {
	p := originPolicy{extra: map[string]bool{}}
	for _, o := range extra {
		n, _, ok := normalizeOrigin(o)
		if !ok {
			return originPolicy{}, fmt.Errorf("allowed origin %q: write it as scheme://host[:port], e.g. https://app.example.com", o)
		}
		p.extra[n] = true
	}
	return p, nil
}

// ValidateOrigins reports the first entry of origins, the extension of the
// Origin allowlist, that is not an origin such as https://app.example.com.
func ValidateOrigins(origins []string) error {
	_, err := newOriginPolicy(origins)
	return err
}

// allowed reports whether a request with this Origin header may proceed. A
// request without Origin (not from a browser) may.
func (p originPolicy) allowed(origin string) bool {
	if origin == "" {
		return true
	}
	n, host, ok := normalizeOrigin(origin)
	if !ok {
		return false
	}
	return isLoopbackHostname(host) || p.extra[n]
}

// check responds 403 to a request whose Origin is not allowed and passes
// the others to next.
func (p originPolicy) check(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Origin")
		if len(values) > 1 || (len(values) == 1 && !p.allowed(values[0])) {
			writeError(w, http.StatusForbidden, "origin not allowed: start the server with --allowed-origins to allow it")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// normalizeOrigin returns o as "scheme://host[:port]" in lower case, without
// the scheme's default port, and its host name; false when o is not an
// http(s) origin.
func normalizeOrigin(o string) (normalized, hostname string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(o)) // lower-cases the scheme
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "", false
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", false
	}
	scheme := u.Scheme
	hostname = strings.ToLower(u.Hostname())
	host, port := hostname, u.Port()
	if host == "" {
		return "", "", false
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, hostname, true
}

// isLoopbackHostname reports whether host is one of the default allowlist's
// hosts. It compares names only: a browser's Origin is never resolved.
func isLoopbackHostname(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// refuseRebinding responds 403 to a request that arrives on a loopback
// connection (its local address is loopback, whatever the listener is bound
// to) with a Host header that names no loopback host, and passes the others
// to next: a web page that rebinds its own domain to 127.0.0.1 could
// otherwise drive a local server from a victim's browser (MCP 2025-11-25,
// Security Best Practices, "Local MCP Server Compromise"). It is mcp-go's
// rule (rejectDNSRebinding), which stays on behind it; this one refuses
// before the key is looked at, with the JSON error body of every other
// refusal and a message that says what to change.
func refuseRebinding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if IsLoopback(local) && !isLoopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("Host header %q on a loopback connection: refused against DNS rebinding; "+
				"send Host: localhost (a reverse proxy on this machine must rewrite it to localhost)", r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopbackHost reports whether a Host header, a host or host:port (an
// IPv6 address in brackets or not), names localhost or a loopback IP.
func isLoopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	if isLoopbackHostname(host) {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

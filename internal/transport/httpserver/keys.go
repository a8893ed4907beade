package httpserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// keyContextKey carries a request's agent API key in its context.
type keyContextKey struct{}

// WithKey returns a copy of ctx that carries key, the agent API key for the
// upstream calls of one request.
func WithKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyContextKey{}, key)
}

// KeyFromContext returns the key WithKey put in ctx.
func KeyFromContext(ctx context.Context) (string, bool) {
	key, ok := ctx.Value(keyContextKey{}).(string)
	return key, ok && key != ""
}

// RequestClient returns a ClientFunc that gives every request a copy of base
// carrying that request's key (see WithKey); base's own key is never used.
// A request without a key gets tools.ErrNoAPIKey.
func RequestClient(base *apiclient.Client) tools.ClientFunc {
	return func(ctx context.Context) (*apiclient.Client, error) {
		key, ok := KeyFromContext(ctx)
		if !ok {
			return nil, tools.ErrNoAPIKey
		}
		return base.WithAPIKey(key), nil
	}
}

// errMalformedAuth is the response to an Authorization header that is not
// exactly one "Bearer <key>". It never repeats the header.
var errMalformedAuth = errors.New("malformed Authorization header: send 'Authorization: Bearer <agent API key>'")

// bearerKey returns the key of h's Authorization header: "" when there is
// none, errMalformedAuth when it is not a single "Bearer <token>" whose token
// is printable ASCII without spaces.
func bearerKey(h http.Header) (string, error) {
	values := h.Values("Authorization")
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errMalformedAuth
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errMalformedAuth
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", errMalformedAuth
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return "", errMalformedAuth
		}
	}
	return token, nil
}

// keyPolicy decides which key a request uses: its own bearer key; else,
// only on a loopback listener, the server's configured key; else none.
type keyPolicy struct {
	loopback   bool
	defaultKey string
}

// resolve returns the key r uses, or the status (400 or 401) and message to
// respond to r with instead.
func (p keyPolicy) resolve(r *http.Request) (key string, status int, msg string) {
	key, err := bearerKey(r.Header)
	switch {
	case err != nil:
		return "", http.StatusBadRequest, err.Error()
	case key != "":
		return key, 0, ""
	case !p.loopback:
		return "", http.StatusUnauthorized, "this server is not on a loopback address: send 'Authorization: Bearer <agent API key>'"
	case p.defaultKey == "":
		return "", http.StatusUnauthorized, "this server has no API key of its own: send 'Authorization: Bearer <agent API key>'"
	}
	return p.defaultKey, 0, ""
}

// gate responds to requests that have no usable key (400 or 401) and passes the
// others to next.
func (p keyPolicy) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, status, msg := p.resolve(r); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="alfe-mcp"`)
			}
			writeError(w, status, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// contextFunc is mcp-go's per-request context function (WithHTTPContextFunc,
// WithSSEContextFunc): it puts the key of r, the request that carries the
// MCP message, into the context the tool handlers run with.
func (p keyPolicy) contextFunc(ctx context.Context, r *http.Request) context.Context {
	if key, status, _ := p.resolve(r); status == 0 {
		return WithKey(ctx, key)
	}
	return ctx
}

// fingerprint identifies a key without keeping it, to bind sessions to keys.
type fingerprint [sha256.Size]byte

func fingerprintOf(key string) fingerprint { return sha256.Sum256([]byte(key)) }

func (f fingerprint) equal(g fingerprint) bool {
	return subtle.ConstantTimeCompare(f[:], g[:]) == 1
}

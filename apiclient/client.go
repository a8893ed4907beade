// Package apiclient is a typed client of the Alfe agent API's integrations
// endpoints. It knows HTTP and the API, and nothing of MCP.
//
// Every method sends one documented request through one request path
// (Client.do): bearer auth, JSON bodies, a per-call timeout, retries of
// idempotent requests with jittered backoff (retry.go), a cap on the size of
// responses, the {"data": ...} envelope unwrapped, and non-2xx responses
// turned into *APIError. The API key never appears in anything the client
// returns, even when the upstream echoes it back.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// Defaults of Options.
const (
	DefaultBaseURL          = "https://api.alfe.ai"
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 4 << 20
	// DefaultMaxIdleConnsPerHost keeps a warm connection for every call in
	// flight; Go's default of 2 opens a new connection for most concurrent
	// calls.
	DefaultMaxIdleConnsPerHost = 64
)

// redacted replaces the API key wherever a response echoes it.
const redacted = "[REDACTED]"

// Options configure a Client. The zero value of every field but APIKey
// selects its default.
type Options struct {
	BaseURL   string // API root, default DefaultBaseURL
	APIKey    string // agent API key, sent as a bearer token
	UserAgent string // default "alfe-mcp/dev"
	// Timeout bounds a whole call, retries and their waits included;
	// default DefaultTimeout; negative disables.
	Timeout          time.Duration
	MaxResponseBytes int64 // cap on a response's body, default DefaultMaxResponseBytes
	// MaxAttempts is the most attempts a GET, PATCH or DELETE call makes in
	// all, the first included (default DefaultMaxAttempts; 1 disables
	// retries). POST is never retried.
	MaxAttempts int
	// HTTPClient replaces the shared client built by New; its Timeout should
	// be zero, since the per-call timeout is applied through the context.
	HTTPClient *http.Client
	// Observe, when set, is called after every HTTP exchange, retries
	// included (for logs and metrics). It must be safe for concurrent use.
	Observe func(ctx context.Context, ev Exchange)
	// Wait, when set, replaces the wait before each retry (a timer; see
	// retry.go): it must return nil after d, or ctx.Err() as soon as ctx
	// ends, whichever comes first. It is a seam for tests, which act when
	// a call starts waiting (a cancellation during the backoff) or record
	// the waits instead of sleeping; nil waits on a timer. It must be safe
	// for concurrent use.
	Wait func(ctx context.Context, d time.Duration) error
}

// Exchange describes one HTTP request to the API (one attempt of a call)
// and its outcome, as Options.Observe sees it.
type Exchange struct {
	Method string // request method, e.g. "GET"
	Path   string // escaped path, without query
	// Route is the path's template, with "{integrationId}" where the path
	// carries an id, e.g. "/agent/integrations/{integrationId}/config":
	// a label for metrics that never holds what a caller sent.
	Route      string
	StatusCode int           // response status; 0 when no response arrived
	Duration   time.Duration // from sending the request to reading the whole body
	Attempt    int           // 1 for the first attempt of a call, 2 for its first retry, ...
	// Err is the attempt's error, the one the call returns when this attempt
	// is its last. It is nil when a 2xx response arrived whole and its body is
	// empty or the {"data": ...} envelope. Otherwise it is an *APIError for a
	// non-2xx response, a *DecodeError for a 2xx whose body is not the
	// envelope, an error wrapping ErrResponseTooLarge for a body over
	// Options.MaxResponseBytes (whatever the status), or a *NetworkError or
	// *TimeoutError when no response arrived or its body broke off or
	// stalled. Whether the data has the shape a method documents is checked
	// after the exchange: a call whose last Exchange has a nil Err can still
	// fail with a *DecodeError.
	Err error
}

// Client talks to the agent API. It is safe for concurrent use; copies made
// by WithAPIKey share its connections.
type Client struct {
	base    string // scheme://host[/prefix], no trailing slash
	host    string
	key     string
	ua      string
	timeout time.Duration
	maxBody int64
	hc      *http.Client
	observe func(context.Context, Exchange)
	retry   retryPolicy
}

// New returns a Client for opts. It fails when the base URL is not an
// absolute http(s) URL, and when opts.APIKey is set but cannot be an agent
// API key (CheckKey).
func New(opts Options) (*Client, error) {
	base, host, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.APIKey != "" {
		if err := CheckKey(opts.APIKey); err != nil {
			return nil, err
		}
	}
	c := &Client{
		base:    base,
		host:    host,
		key:     opts.APIKey,
		ua:      opts.UserAgent,
		timeout: opts.Timeout,
		maxBody: opts.MaxResponseBytes,
		hc:      opts.HTTPClient,
		observe: opts.Observe,
		retry:   defaultRetryPolicy(opts.MaxAttempts),
	}
	if opts.Wait != nil {
		c.retry.sleep = opts.Wait
	}
	if c.ua == "" {
		c.ua = "alfe-mcp/dev"
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: NewTransport()}
	}
	return c, nil
}

// NewTransport returns the transport New uses by default: Go's default
// transport with enough idle connections per host for every call in flight.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * DefaultMaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// WithAPIKey returns a copy of c that sends key instead of c's key. The copy
// shares c's connections, so it is cheap to make per request. When key
// cannot be an agent API key (CheckKey), every call of the copy fails with
// that error and sends nothing.
func (c *Client) WithAPIKey(key string) *Client {
	cc := *c
	cc.key = key
	return &cc
}

// BaseURL returns the API root the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Timeout returns the per-call timeout (0 or negative: none).
func (c *Client) Timeout() time.Duration { return c.timeout }

// MaxAttempts returns the most attempts an idempotent call makes, the first
// included.
func (c *Client) MaxAttempts() int { return c.retry.attempts }

// CloseIdleConnections closes idle connections of the underlying transport.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Templates of the routes whose path carries an integration's id.
const (
	routeIntegration       = "/agent/integrations/{integrationId}"
	routeIntegrationConfig = "/agent/integrations/{integrationId}/config"
)

// request is one call of the API.
type request struct {
	method string
	path   []string // unescaped path segments, e.g. {"agent", "integrations", id}
	// route is the path's template when a segment comes from the caller
	// (routeIntegration, routeIntegrationConfig); empty for a path of
	// fixed segments, which is its own template.
	route string
	query url.Values
	body  any // marshalled as JSON when non-nil
}

// do sends r and returns the unwrapped "data" of a 2xx response (nil for an
// empty body or a 204) and its status. It retries as retry.go describes,
// within one deadline for the whole call.
func (c *Client) do(ctx context.Context, r request) (json.RawMessage, int, error) {
	path, err := escapePath(r.path)
	if err != nil {
		return nil, 0, err
	}
	if c.key != "" {
		// A key redaction could corrupt results with is never sent.
		if err := CheckKey(c.key); err != nil {
			return nil, 0, err
		}
	}
	var body []byte
	if r.body != nil {
		if body, err = json.Marshal(r.body); err != nil {
			return nil, 0, fmt.Errorf("%w: encode request body: %v", ErrInvalidArgument, err)
		}
	}
	target := c.base + path
	route := r.route
	if route == "" {
		route = "/" + strings.Join(r.path, "/")
	}
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}

	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	attempts := 1
	if assumedIdempotent(r.method) {
		attempts = max(c.retry.attempts, 1)
	}
	for attempt := 1; ; attempt++ {
		req, err := c.newRequest(ctx, r.method, target, body)
		if err != nil {
			return nil, 0, err
		}
		start := time.Now()
		status, data, err := c.exchange(ctx, req, r.method, path)
		setAttempts(err, attempt)
		if c.observe != nil {
			c.observe(ctx, Exchange{Method: r.method, Path: path, Route: route, StatusCode: status, Duration: time.Since(start), Attempt: attempt, Err: err})
		}
		if attempt >= attempts || !retryable(ctx, r.method, status != 0, err) {
			return data, status, err
		}
		wait, ok := c.retry.wait(attempt, err)
		if !ok {
			return nil, status, err // a Retry-After longer than we wait within a call
		}
		if deadline, has := ctx.Deadline(); has && !c.retry.now().Add(wait).Before(deadline) {
			return nil, status, err // the wait would overrun the call's deadline
		}
		if c.retry.sleep(ctx, wait) != nil {
			cerr := c.transportError(ctx, r.method, path, ctx.Err())
			setAttempts(cerr, attempt)
			return nil, 0, cerr
		}
	}
}

// newRequest builds one attempt's request; body is sent as JSON when non-nil.
func (c *Client) newRequest(ctx context.Context, method, target string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: build request: %v", ErrInvalidArgument, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// exchange sends req and reads its response. It returns the status (0 when no
// response arrived), the unwrapped data and the error.
func (c *Client) exchange(ctx context.Context, req *http.Request, method, path string) (int, json.RawMessage, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, c.transportError(ctx, method, path, err)
	}
	defer resp.Body.Close()

	if resp.ContentLength > c.maxBody {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: the response is %d bytes, over the limit of %d: %w",
			method, path, resp.ContentLength, c.maxBody, ErrResponseTooLarge)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return resp.StatusCode, nil, c.transportError(ctx, method, path, err)
	}
	if int64(len(raw)) > c.maxBody {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: the response is over the limit of %d bytes: %w",
			method, path, c.maxBody, ErrResponseTooLarge)
	}
	raw = c.redact(raw)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, nil, newAPIError(method, path, resp, raw, c.retry.now(), c.redactString)
	}
	data, err := unwrapData(raw)
	if err != nil {
		reason := err.Error()
		if ct := resp.Header.Get("Content-Type"); !isJSONContentType(ct) {
			reason += fmt.Sprintf(" (its Content-Type is %q, not JSON)", prose.Clip(c.redactString(ct), 100))
		}
		return resp.StatusCode, nil, &DecodeError{Method: method, Path: path, StatusCode: resp.StatusCode, Reason: reason}
	}
	return resp.StatusCode, c.redactData(data), nil
}

// isJSONContentType reports whether a Content-Type names JSON
// (application/json, application/problem+json, ...). A JSON body is read
// whatever its Content-Type says; the type only explains a body that is not.
func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// unwrapData returns the "data" of an envelope; nil for an empty body.
func unwrapData(raw []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return nil, errors.New("its body is not valid JSON")
		}
		return nil, errors.New(`its body is not the {"data": ...} envelope`)
	}
	if !json.Valid(trimmed) {
		return nil, errors.New("its body is not valid JSON")
	}
	// One pass over the members: "data" stays raw (it points into raw). As
	// encoding/json would, the last member named "data" counts, its name
	// compared case-insensitively.
	var data json.RawMessage // "null" when null, nil when absent
	for m := (members{b: trimmed}); m.next(); {
		if m.keyEqualFold("data") {
			data = m.raw
		}
	}
	if data == nil {
		return nil, errors.New(`its body has no "data" field`)
	}
	if string(data) == "null" {
		return nil, nil
	}
	return data, nil
}

// transportError classifies a failure to get a complete response.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) && c.timeout > 0 {
			return &TimeoutError{Method: method, Path: path, After: c.timeout}
		}
		// Keep ctxErr in the chain: a cause set through WithCancelCause
		// replaces it in context.Cause, and callers test for context.Canceled.
		if cause := context.Cause(ctx); cause != nil && cause != ctxErr {
			return fmt.Errorf("%s %s: %w: %w", method, path, ctxErr, cause)
		}
		return fmt.Errorf("%s %s: %w", method, path, ctxErr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &TimeoutError{Method: method, Path: path, After: c.timeout}
	}
	// *url.Error repeats the method and the URL (never the key); keep the cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &NetworkError{Method: method, Path: path, Err: redactErr{err: err, c: c}}
}

// redact replaces the API key (and its JSON-escaped form) in b; b itself
// when neither occurs in it.
func (c *Client) redact(b []byte) []byte {
	if c.key == "" {
		return b
	}
	if bytes.Contains(b, []byte(c.key)) {
		b = bytes.ReplaceAll(b, []byte(c.key), []byte(redacted))
	}
	if strings.ContainsAny(c.key, jsonEscapedChars) || !isASCII(c.key) {
		if esc, _ := json.Marshal(c.key); len(esc) > 2 && string(esc[1:len(esc)-1]) != c.key {
			b = bytes.ReplaceAll(b, esc[1:len(esc)-1], []byte(redacted))
		}
	}
	return b
}

// jsonEscapedChars are the ASCII characters encoding/json escapes inside a
// string, besides control characters. A key without them (any key CheckKey
// accepts) is its own JSON-escaped form.
const jsonEscapedChars = "\"\\<>&\x00\x01\x02\x03\x04\x05\x06\x07\b\t\n\x0b\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"

// isASCII reports whether s is all ASCII (encoding/json escapes some
// non-ASCII characters, and replaces invalid UTF-8).
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// redactData redacts the key from data once more after normalising its JSON
// escapes: an upstream may escape the key's characters ("\/", "\u0061") so
// that the redaction of the raw body misses it. Data without escapes, or
// whose decoded text holds no key, is returned unchanged.
func (c *Client) redactData(data json.RawMessage) json.RawMessage {
	if c.key == "" || bytes.IndexByte(data, '\\') < 0 {
		return data
	}
	var v any
	if err := decodeExact(data, &v); err != nil {
		return data
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return data
	}
	if red := c.redact(canon); !bytes.Equal(red, canon) {
		return red
	}
	return data
}

// redactString replaces the API key in s.
func (c *Client) redactString(s string) string { return string(c.redact([]byte(s))) }

// redactErr keeps an error's chain while redacting the key from its text.
type redactErr struct {
	err error
	c   *Client
}

func (e redactErr) Error() string { return e.c.redactString(e.err.Error()) }
func (e redactErr) Unwrap() error { return e.err }

// escapePath escapes every segment, refusing empty ones, and escapes "." and
// ".." so that no URL resolver can read them as dot segments.
func escapePath(segments []string) (string, error) {
	var b strings.Builder
	for _, s := range segments {
		if s == "" {
			return "", fmt.Errorf("%w: empty path segment", ErrInvalidArgument)
		}
		b.WriteByte('/')
		esc := url.PathEscape(s)
		if strings.Trim(esc, ".") == "" {
			esc = strings.ReplaceAll(esc, ".", "%2E")
		}
		b.WriteString(esc)
	}
	return b.String(), nil
}

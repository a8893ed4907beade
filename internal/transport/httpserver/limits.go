package httpserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limits bound what clients can make a Handler hold: sessions, streams,
// calls in flight and the time of a write. Every limit has a flag of the
// same name (see the README's Configuration); a zero field takes its
// DefaultLimits value. The connections are bounded on the listener
// (RunOptions.MaxConnections).
type Limits struct {
	// MaxStreamsPerKey caps the event streams one key holds open: GET
	// /sse (an SSE session), GET /mcp (a session's listening stream) and
	// POST subscriptions/listen (a 2026-07-28 listening stream). A POST
	// whose response is upgraded to an event stream is a call, not a stream:
	// it lasts as long as the call, which its own time limit bounds, and
	// whether it upgrades is known only once the call runs. Past the cap,
	// 429 (--max-streams-per-key).
	MaxStreamsPerKey int
	// MaxInflightPerSession caps the requests of one session whose
	// responses are not yet delivered: on SSE, posted and not yet written
	// to the session's stream; on streamable HTTP with sessions, POSTed
	// and not yet responded to. Past the cap, 429 (--max-inflight-per-session).
	MaxInflightPerSession int
	// WriteTimeout bounds every write to a client: a response, or one
	// event of a stream. A client that does not read within it loses its
	// connection, its stream ends, and what the stream still owed is
	// dropped (--write-timeout).
	WriteTimeout time.Duration
	// KeepAliveInterval is how often an idle stream gets a ping (a
	// JSON-RPC ping request, as mcp-go sends it), so that proxies keep it
	// open and a client that is gone is found out by the write deadline.
	KeepAliveInterval time.Duration
	// SessionIdleTimeout ends a streamable HTTP session that has had no
	// request for this long (mcp-go's sweeper, WithSessionIdleTTL, checks
	// every max(timeout/2, 1 s)) and frees its state; its next request gets
	// 404 (--session-idle-timeout).
	SessionIdleTimeout time.Duration
	// MaxSessions caps the live streamable HTTP sessions; past it
	// initialize gets 503 with Retry-After (--max-sessions).
	MaxSessions int
	// MaxSessionsPerKey caps the sessions one key holds, so that one key
	// cannot take them all; past it initialize gets 429
	// (--max-sessions-per-key).
	MaxSessionsPerKey int
}

// DefaultLimits returns the limits a Handler uses where Options.Limits
// leaves a field zero: the flags' defaults.
func DefaultLimits() Limits {
	return Limits{
		MaxStreamsPerKey:      64,
		MaxInflightPerSession: 32,
		WriteTimeout:          10 * time.Second,
		KeepAliveInterval:     30 * time.Second,
		SessionIdleTimeout:    30 * time.Minute,
		MaxSessions:           5000,
		MaxSessionsPerKey:     500,
	}
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	orDefault(&l.MaxStreamsPerKey, d.MaxStreamsPerKey)
	orDefault(&l.MaxInflightPerSession, d.MaxInflightPerSession)
	orDefault(&l.MaxSessions, d.MaxSessions)
	orDefault(&l.MaxSessionsPerKey, d.MaxSessionsPerKey)
	orDefault(&l.WriteTimeout, d.WriteTimeout)
	orDefault(&l.KeepAliveInterval, d.KeepAliveInterval)
	orDefault(&l.SessionIdleTimeout, d.SessionIdleTimeout)
	return l
}

// orDefault sets *v to def unless *v is positive.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Names of the caps as their flags and the refusals metric name them.
const (
	capMaxSessions           = "max-sessions"
	capMaxSessionsPerKey     = "max-sessions-per-key"
	capMaxStreamsPerKey      = "max-streams-per-key"
	capMaxInflightPerSession = "max-inflight-per-session"
	capDraining              = "draining"
)

// retryAfterSeconds is the Retry-After of a refusal: sessions and streams
// free up as clients leave or idle out, so a client should come back in a
// while, not at once.
const retryAfterSeconds = 30

// rpcServerError is the JSON-RPC code of a refusal (the range the
// specification leaves to implementations).
const rpcServerError = -32000

// refusal is why a request was not served: the HTTP status, the cap (a
// flag's name, or "draining") and a message for the client.
type refusal struct {
	status int
	cap    string
	msg    string
}

// refuse responds to a request with the refusal as a JSON-RPC error
// response (id of the request when the body is a single request, else
// null), and counts it.
func (h *Handler) refuse(w http.ResponseWriter, id json.RawMessage, why refusal) {
	h.metrics.Refused(why.cap)
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcError        `json:"error"`
	}{"2.0", id, rpcError{rpcServerError, why.msg}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if why.status == http.StatusServiceUnavailable || why.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	w.WriteHeader(why.status)
	_, _ = w.Write(append(body, '\n'))
}

// Refusals of each cap: the message names the flag that sets it.

func tooManySessions(max int) refusal {
	return pastCap(http.StatusServiceUnavailable, capMaxSessions, max,
		"the server holds its most sessions", "retry later, or end sessions you no longer use with DELETE")
}

func tooManySessionsForKey(max int) refusal {
	return pastCap(http.StatusTooManyRequests, capMaxSessionsPerKey, max,
		"this key holds its most sessions", "end sessions you no longer use with DELETE, or retry later")
}

func tooManyStreamsForKey(max int) refusal {
	return pastCap(http.StatusTooManyRequests, capMaxStreamsPerKey, max,
		"this key holds its most open streams", "close a stream first")
}

func tooManyInflight(max int) refusal {
	return pastCap(http.StatusTooManyRequests, capMaxInflightPerSession, max,
		"this session has its most requests in flight", "wait for their responses (read the stream) before sending more")
}

// pastCap is the refusal by cap, whose value is max: "<full> (<max>,
// --<cap>): <next>", what is full and what the client can do.
func pastCap(status int, cap string, max int, full, next string) refusal {
	return refusal{status, cap, fmt.Sprintf("%s (%d, --%s): %s", full, max, cap, next)}
}

var draining = refusal{http.StatusServiceUnavailable, capDraining,
	"the server is shutting down and opens no new session: connect again (another replica will respond)"}

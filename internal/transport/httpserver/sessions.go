package httpserver

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// Sessions are bound to the key of the request that opened them: a request
// that names a session must carry the same key (or, on loopback, none, like
// the opener), else it gets 404 as if the session did not exist. So a
// client that learns another client's session id can neither post into that
// session (SSE: the responses would go to the other client's stream) nor
// listen to its notifications (streamable HTTP: progress of its calls).

// sseSession is one legacy SSE session: the key it was opened with, the
// count of responses its stream still owes, for graceful shutdown, and its
// requests running, whose responses its stream drops when the client
// cancelled them (cancel.go).
type sseSession struct {
	id      string
	key     fingerprint
	pending atomic.Int64 // requests posted whose responses are not yet flushed
	cancels transport.Cancellations
}

// owe adds n responses owed (n may be negative); the count never drops
// below zero.
func (s *sseSession) owe(n int64) {
	for {
		old := s.pending.Load()
		v := max(old+n, 0)
		if s.pending.CompareAndSwap(old, v) {
			return
		}
	}
}

// sseSessions are the open SSE sessions by id.
type sseSessions struct {
	mu   sync.Mutex
	byID map[string]*sseSession
}

func newSSESessions() *sseSessions {
	return &sseSessions{byID: map[string]*sseSession{}}
}

func (s *sseSessions) add(sess *sseSession) {
	s.mu.Lock()
	s.byID[sess.id] = sess
	s.mu.Unlock()
}

func (s *sseSessions) remove(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// lookup returns the session id if it exists and was opened with key.
func (s *sseSessions) lookup(id string, key fingerprint) (*sseSession, bool) {
	s.mu.Lock()
	sess, ok := s.byID[id]
	s.mu.Unlock()
	if !ok || !sess.key.equal(key) {
		return nil, false
	}
	return sess, true
}

// sessionIdleTTL is how long a streamable HTTP session binding outlives its
// last use. A client that comes back later gets 404 and, as the transport
// specifies, starts a new session.
const sessionIdleTTL = 24 * time.Hour

// boundSessions binds streamable HTTP session ids to keys.
type boundSessions struct {
	mu         sync.Mutex
	byID       map[string]*binding
	lastPurged time.Time
}

type binding struct {
	key      fingerprint
	lastUsed time.Time
}

func newBoundSessions() *boundSessions {
	return &boundSessions{byID: map[string]*binding{}}
}

// bind records that session id belongs to key, and forgets bindings idle
// for longer than sessionIdleTTL (checked at most once an hour).
func (b *boundSessions) bind(id string, key fingerprint) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.byID[id] = &binding{key: key, lastUsed: now}
	if now.Sub(b.lastPurged) < time.Hour {
		return
	}
	b.lastPurged = now
	for k, v := range b.byID {
		if now.Sub(v.lastUsed) > sessionIdleTTL {
			delete(b.byID, k)
		}
	}
}

// use reports whether session id is bound to key, and marks it used.
func (b *boundSessions) use(id string, key fingerprint) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.byID[id]
	if !ok || !v.key.equal(key) || time.Since(v.lastUsed) > sessionIdleTTL {
		return false
	}
	v.lastUsed = time.Now()
	return true
}

func (b *boundSessions) unbind(id string) {
	b.mu.Lock()
	delete(b.byID, id)
	b.mu.Unlock()
}

// unknownSession responds to a request that names a session it may not use.
func unknownSession(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "unknown or expired session: start a new one")
}

// missingSession responds to a legacy-era request on stateful streamable
// HTTP that names no session: 400, as the transport specification says of
// a missing Mcp-Session-Id; a 404 would tell the client its session ended.
func missingSession(w http.ResponseWriter) {
	writeError(w, http.StatusBadRequest, "missing Mcp-Session-Id header: send the session id the response to initialize carried, or initialize first")
}

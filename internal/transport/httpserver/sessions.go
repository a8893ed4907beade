package httpserver

import (
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/server"

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
	// mu is held for reading while a POST hands a message to mcp-go, and
	// for writing to set ended, from mcp-go's unregister hook, which runs
	// before mcp-go forgets the session. So a message either reaches the
	// session while mcp-go still knows it, or finds it ended and gets 404
	// like any unknown session (mcp-go's own response would be a 400).
	mu    sync.RWMutex
	ended bool
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

// take adds n responses owed unless that would make more than limit; it
// reports whether it did.
func (s *sseSession) take(n, limit int64) bool {
	for {
		old := s.pending.Load()
		if n > 0 && old+n > limit {
			return false
		}
		if s.pending.CompareAndSwap(old, max(old+n, 0)) {
			return true
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

// remove ends the session id, if it is open, once the messages being
// handed to mcp-go have reached it (see sseSession.mu).
func (s *sseSessions) remove(id string) {
	s.mu.Lock()
	sess := s.byID[id]
	delete(s.byID, id)
	s.mu.Unlock()
	if sess != nil {
		sess.mu.Lock()
		sess.ended = true
		sess.mu.Unlock()
	}
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

// sessionTable holds the live streamable HTTP sessions: the key each
// belongs to, its calls in flight, and the counts the session caps check.
// It is mcp-go's session id manager too (server.SessionIdManager, through
// the resolver it also implements), so that a session ends in one place:
// an id is valid while its session is in the table, and a session that
// ended (DELETE, the idle sweeper, shutdown) leaves nothing behind, where
// mcp-go's own stateful manager remembers every terminated id forever.
//
// A session enters the table when an initialize POST that reserved a slot
// (reserve, under the caps) is given its id (Generate), and leaves it when
// mcp-go unregisters it (the unregister hook, end) or terminates it
// (Terminate), whichever comes first.
type sessionTable struct {
	mu        sync.Mutex
	byID      map[string]*liveSession
	perKey    map[fingerprint]int // sessions and reservations by key
	total     int                 // sessions and reservations
	max       int
	maxPerKey int
	// opened and ended, when set, are called after a session enters and
	// leaves the table (for metrics and tests).
	opened, ended func(id string)
}

// liveSession is one session of the table.
type liveSession struct {
	key      fingerprint
	inflight int // POSTed requests not yet responded to
}

// reservation is a slot taken under the caps by an initialize request, in
// its context until mcp-go names the session (Generate).
type reservation struct {
	key   fingerprint
	id    string // set once the session is named
	table *sessionTable
}

type reservationKey struct{}

func newSessionTable(max, maxPerKey int) *sessionTable {
	return &sessionTable{byID: map[string]*liveSession{}, perKey: map[fingerprint]int{}, max: max, maxPerKey: maxPerKey}
}

// reserve takes a slot for a new session of key, or returns the refusal of
// the cap that is reached.
func (t *sessionTable) reserve(key fingerprint) (*reservation, *refusal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total >= t.max {
		r := tooManySessions(t.max)
		return nil, &r
	}
	if t.perKey[key] >= t.maxPerKey {
		r := tooManySessionsForKey(t.maxPerKey)
		return nil, &r
	}
	t.total++
	t.perKey[key]++
	return &reservation{key: key, table: t}, nil
}

// cancel gives back a reservation that never became a session (the
// initialize failed before mcp-go named one).
func (r *reservation) cancel() {
	t := r.table
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.id == "" {
		r.id = "-" // cancelled: Generate will not bind it
		t.releaseLocked(r.key)
	}
}

func (t *sessionTable) releaseLocked(key fingerprint) {
	t.total--
	if t.perKey[key]--; t.perKey[key] <= 0 {
		delete(t.perKey, key)
	}
}

// use reports whether session id exists and belongs to key.
func (t *sessionTable) use(id string, key fingerprint) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byID[id]
	return ok && s.key.equal(key)
}

// startCall counts a request of session id in flight, unless limit are
// already; the function it returns ends it.
func (t *sessionTable) startCall(id string, limit int) (done func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, exists := t.byID[id]
	if !exists {
		return func() {}, true // ended meanwhile: mcp-go responds 404
	}
	if s.inflight >= limit {
		return nil, false
	}
	s.inflight++
	return func() {
		t.mu.Lock()
		s.inflight--
		t.mu.Unlock()
	}, true
}

// end removes session id, if it is in the table, and frees its slot.
func (t *sessionTable) end(id string) {
	t.mu.Lock()
	s, ok := t.byID[id]
	if ok {
		delete(t.byID, id)
		t.releaseLocked(s.key)
	}
	ended := t.ended
	t.mu.Unlock()
	if ok && ended != nil {
		ended(id)
	}
}

// len returns the live sessions and reservations.
func (t *sessionTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// ResolveSessionIdManager is mcp-go's resolver of session id managers: the
// request of an initialize that reserved a slot gets a manager that binds
// the new id to the reservation; any other request, and the sweeper (r is
// nil), the table itself.
func (t *sessionTable) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r != nil {
		if res, ok := r.Context().Value(reservationKey{}).(*reservation); ok {
			return reservedIDs{t, res}
		}
	}
	return t
}

// Generate names a session that is not in the table: mcp-go asks for one
// when a GET without a session id opens a listening stream. Its id is
// valid for nothing else.
func (t *sessionTable) Generate() string { return rand.Text() }

// Validate accepts the ids of the sessions in the table; any other is
// unknown (never "terminated": an ended session leaves no trace).
func (t *sessionTable) Validate(id string) (isTerminated bool, err error) {
	t.mu.Lock()
	_, ok := t.byID[id]
	t.mu.Unlock()
	if !ok {
		return false, errUnknownSession
	}
	return false, nil
}

// Terminate ends session id (DELETE, the idle sweeper, shutdown).
func (t *sessionTable) Terminate(id string) (isNotAllowed bool, err error) {
	t.end(id)
	return false, nil
}

var errUnknownSession = errors.New("unknown or expired session")

// reservedIDs is the session id manager of an initialize request that
// reserved a slot: the id it generates takes the slot.
type reservedIDs struct {
	*sessionTable
	res *reservation
}

// Generate names the new session and enters it in the table.
func (m reservedIDs) Generate() string {
	id := rand.Text()
	t := m.sessionTable
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.res.id != "" { // cancelled, or named already: a slot of its own
		return id
	}
	m.res.id = id
	t.byID[id] = &liveSession{key: m.res.key}
	if t.opened != nil {
		t.opened(id)
	}
	return id
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

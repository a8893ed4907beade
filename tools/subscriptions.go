package tools

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// Live resources: a client subscribes to alfe://integrations and to
// alfe://integrations/{id}/config (resources/subscribe in the legacy era, a
// subscriptions/listen stream's resourceSubscriptions from 2026-07-28), and
// after a change made through this server (an install, a config update, a
// removal, an account seen connected) every subscriber of the same agent
// gets notifications/resources/updated for each URI the change affects;
// an install or a removal also changes resources/list, which lists each
// installed integration's config resource, so it is followed by
// notifications/resources/list_changed (MCP 2025-11-25, "Resources:
// Subscriptions" and "List Changed Notification"; SEP-2575 for
// subscriptions/listen).
//
// mcp-go acknowledges a subscription without storing it (no session of its
// implements server.SessionWithResourceSubscriptions), so the server keeps
// its own record here, from mcp-go's hooks: after resources/subscribe and
// unsubscribe, before subscriptions/listen (until that request ends), and
// when a session is unregistered (the end of stdio, an HTTP session's
// DELETE, idle timeout or shutdown). Subscribers are told apart by agent
// through the SHA-256 of their API key, never the key itself: every agent
// has the same URIs, and one agent's changes are not another's business.
// Changes made elsewhere (the dashboard, another agent, another replica)
// are not seen: the server does not poll.

// DefaultMaxSubscriptions is Options.MaxSubscriptions' default.
const DefaultMaxSubscriptions = 100

// keyPrint identifies an agent's API key without holding it.
type keyPrint = [sha256.Size]byte

// subscriber is one legacy session, from its registration to its end, or
// one 2026-07-28 subscriptions/listen stream, for as long as its request
// runs: the key it acts for, the URIs it subscribed to, and whether it
// hears of changes to resources/list.
type subscriber struct {
	session     server.ClientSession
	listen      any       // the subscriptions/listen request's id; nil for a legacy session
	key         *keyPrint // nil until a request of the session carries its key
	uris        map[string]struct{}
	listChanged bool
}

// subscriberID tells subscribers apart: a legacy session is one; a
// 2026-07-28 session (one stdio pipe) may hold several listen streams.
type subscriberID struct {
	session server.ClientSession
	listen  string
}

// subscriptions is the server's record of its subscribers.
type subscriptions struct {
	srv  *server.MCPServer // set once the server is built
	opts *Options
	mu   sync.Mutex
	byID map[subscriberID]*subscriber
	// onChange, when set, runs after each change of the record (tests).
	onChange func()
}

// unlock releases mu after a change of the record, and announces it.
func (s *subscriptions) unlock() {
	s.mu.Unlock()
	if s.onChange != nil {
		s.onChange()
	}
}

// newSubscriptions returns an empty record; its hooks keep it.
func newSubscriptions(opts *Options) *subscriptions {
	return &subscriptions{opts: opts, byID: map[subscriberID]*subscriber{}}
}

// hooks returns the hooks that keep the record.
func (s *subscriptions) hooks() *server.Hooks {
	h := &server.Hooks{}
	// A session is recorded from its registration (stdio, stateful
	// streamable HTTP, SSE; a stateless request's session is never
	// registered, and never recorded) to its end. Once a legacy client
	// initialized it, it hears of list changes: from 2026-07-28 (no
	// initialize) only a subscriptions/listen stream that asks does.
	h.AddOnRegisterSession(func(ctx context.Context, session server.ClientSession) {
		s.register(ctx, session)
	})
	h.AddOnUnregisterSession(func(_ context.Context, session server.ClientSession) { s.endSession(session) })
	h.AddAfterInitialize(func(ctx context.Context, _ any, _ *mcp.InitializeRequest, _ *mcp.InitializeResult) {
		s.initialized(ctx)
	})
	h.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		s.subscribe(ctx, []string{req.Params.URI})
	})
	h.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		s.unsubscribe(ctx, req.Params.URI)
	})
	h.AddBeforeSubscriptionsListen(func(ctx context.Context, id any, req *mcp.SubscriptionsListenRequest) {
		if sid, ok := s.listen(ctx, id, req.Params.Notifications); ok {
			// The stream's subscriptions end with its request, however
			// it ends.
			context.AfterFunc(ctx, func() { s.remove(sid) })
		}
	})
	h.AddAfterSubscriptionsListen(func(ctx context.Context, id any, _ *mcp.SubscriptionsListenRequest, _ *mcp.SubscriptionsListenResult) {
		s.remove(subscriberID{server.ClientSessionFromContext(ctx), listenKey(id)})
	})
	h.AddOnError(func(ctx context.Context, id any, method mcp.MCPMethod, _ any, _ error) {
		if method == mcp.MethodSubscriptionsListen {
			s.remove(subscriberID{server.ClientSessionFromContext(ctx), listenKey(id)})
		}
	})
	return h
}

// listenKey is a listen request's id as a map key.
func listenKey(id any) string {
	if id == nil {
		return ""
	}
	return fmt.Sprintf("%T:%v", id, id)
}

// keyOf returns the fingerprint of the key of ctx's request, or nil when
// it has none.
func (s *subscriptions) keyOf(ctx context.Context) *keyPrint {
	client, err := s.opts.Client(ctx)
	if err != nil || client == nil {
		return nil
	}
	k := client.KeyFingerprint()
	return &k
}

// register records a session that mcp-go registered, unless its
// initialize recorded it already (see initialized).
func (s *subscriptions) register(ctx context.Context, session server.ClientSession) {
	if session == nil {
		return
	}
	key := s.keyOf(ctx)
	s.mu.Lock()
	defer s.unlock()
	sid := subscriberID{session: session}
	if sub := s.byID[sid]; sub != nil {
		if sub.key == nil {
			sub.key = key
		}
		return
	}
	s.byID[sid] = &subscriber{session: session, key: key, uris: map[string]struct{}{}}
}

// initialized marks ctx's session, which a legacy client initialized, as
// hearing of list changes, and learns its key. Stateful streamable HTTP
// registers a session only once its initialize succeeded: its record
// begins here. A session without an id (stateless HTTP, never registered)
// is not recorded: nothing would end its record.
func (s *subscriptions) initialized(ctx context.Context) {
	session := server.ClientSessionFromContext(ctx)
	if session == nil || session.SessionID() == "" {
		return
	}
	key := s.keyOf(ctx)
	s.mu.Lock()
	defer s.unlock()
	sid := subscriberID{session: session}
	sub := s.byID[sid]
	if sub == nil {
		sub = &subscriber{session: session, uris: map[string]struct{}{}}
		s.byID[sid] = sub
	}
	sub.listChanged = true
	if sub.key == nil {
		sub.key = key
	}
}

// subscribe adds uris to the subscriptions of ctx's legacy session, and
// learns its key if it did not know it. A session that was never
// registered is not recorded: nothing would end its record.
func (s *subscriptions) subscribe(ctx context.Context, uris []string) {
	session := server.ClientSessionFromContext(ctx)
	if session == nil {
		return
	}
	key := s.keyOf(ctx)
	s.mu.Lock()
	defer s.unlock()
	sub := s.byID[subscriberID{session: session}]
	if sub == nil {
		if len(uris) > 0 {
			s.opts.Logger.Debug("resource subscription not recorded: the session has no life of its own (stateless HTTP)")
		}
		return
	}
	if sub.key == nil {
		sub.key = key
	}
	s.addLocked(sub, uris)
}

// addLocked adds uris to sub's: only those this server sends updates of,
// and no more than Options.MaxSubscriptions.
func (s *subscriptions) addLocked(sub *subscriber, uris []string) {
	for _, uri := range uris {
		if !notified(uri) {
			s.opts.Logger.Debug("resource subscription not recorded: this server sends no updates of it", "uri", clipURI(uri))
			continue
		}
		if _, ok := sub.uris[uri]; !ok && len(sub.uris) >= s.opts.MaxSubscriptions {
			s.opts.Logger.Warn("resource subscription not recorded: the session holds the most subscriptions this server records", "uri", clipURI(uri), "max", s.opts.MaxSubscriptions)
			continue
		}
		sub.uris[uri] = struct{}{}
	}
}

// unsubscribe removes uri from the subscriptions of ctx's legacy session.
func (s *subscriptions) unsubscribe(ctx context.Context, uri string) {
	s.mu.Lock()
	defer s.unlock()
	if sub := s.byID[subscriberID{session: server.ClientSessionFromContext(ctx)}]; sub != nil {
		delete(sub.uris, uri)
	}
}

// listen records a subscriptions/listen stream that asks for resource
// updates or list changes, under the key of its request.
func (s *subscriptions) listen(ctx context.Context, id any, want mcp.SubscriptionFilter) (subscriberID, bool) {
	session := server.ClientSessionFromContext(ctx)
	sid := subscriberID{session, listenKey(id)}
	if session == nil || id == nil || (len(want.ResourceSubscriptions) == 0 && !want.ResourcesListChanged) {
		return sid, false
	}
	key := s.keyOf(ctx)
	if key == nil {
		return sid, false // no key: no agent to hear of
	}
	sub := &subscriber{session: session, listen: id, key: key, uris: map[string]struct{}{}, listChanged: want.ResourcesListChanged}
	s.mu.Lock()
	defer s.unlock()
	s.addLocked(sub, want.ResourceSubscriptions)
	s.byID[sid] = sub
	return sid, true
}

// remove forgets a subscriber.
func (s *subscriptions) remove(sid subscriberID) {
	s.mu.Lock()
	delete(s.byID, sid)
	s.unlock()
}

// endSession forgets every subscriber of a session that ended.
func (s *subscriptions) endSession(session server.ClientSession) {
	s.mu.Lock()
	for sid := range s.byID {
		if sid.session == session {
			delete(s.byID, sid)
		}
	}
	s.unlock()
}

// len returns the number of subscribers and of URIs they subscribed to.
func (s *subscriptions) len() (subscribers, uris int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.byID {
		uris += len(sub.uris)
	}
	return len(s.byID), uris
}

// notified reports whether uri is one this server sends updates of:
// alfe://integrations, or the config of a well-formed integration id.
func notified(uri string) bool {
	if uri == integrationsURI {
		return true
	}
	rest, ok := strings.CutPrefix(uri, integrationsURI+"/")
	if !ok {
		return false
	}
	id, ok := strings.CutSuffix(rest, "/config")
	return ok && (schemas.GetIntegrationConfigInput{IntegrationID: schemas.ID(id)}).Validate() == nil
}

// clipURI shortens a URI a client sent, for a log line.
func clipURI(uri string) string {
	if len(uri) > 120 {
		return uri[:120] + "…"
	}
	return uri
}

// configURI is the URI of integration id's config resource.
func configURI(id string) string { return integrationsURI + "/" + id + "/config" }

// change is what a change made through the server affects.
type change struct {
	uris        []string // resources updated
	listChanged bool     // resources/list changed (an install, a removal)
}

// changed tells the subscribers of the key of call about ch: each gets
// notifications/resources/updated for each URI of ch it subscribed to,
// and, with ch.listChanged, notifications/resources/list_changed if it
// hears of list changes. Sessions of other keys hear nothing. It sends
// without waiting, once the call's response is written.
func (s *subscriptions) changed(ctx context.Context, call *Call, ch change) {
	if s == nil || s.srv == nil || call.Client == nil {
		return
	}
	key := call.Client.KeyFingerprint()
	type delivery struct {
		sub    *subscriber
		method string
		uri    string
	}
	var out []delivery
	s.mu.Lock()
	for _, sub := range s.byID {
		if sub.key == nil || *sub.key != key {
			continue
		}
		if ch.listChanged && sub.listChanged {
			out = append(out, delivery{sub, mcp.MethodNotificationResourcesListChanged, ""})
		}
		for _, uri := range ch.uris {
			if _, ok := sub.uris[uri]; ok {
				out = append(out, delivery{sub, mcp.MethodNotificationResourceUpdated, uri})
			}
		}
	}
	s.mu.Unlock()
	if len(out) == 0 {
		return
	}
	// Once the call's response is written: on streamable HTTP, a
	// notification sent while the call's own reply is open may be taken by
	// it and dropped when the response goes out (transport.Deliveries).
	transport.AfterResponse(ctx, func() {
		for _, d := range out {
			s.deliver(d.sub, d.method, d.uri)
		}
	})
}

// deliver sends a notification to sub without waiting: a subscriber whose
// stream is full misses it (logged), as mcp-go's own notifications do.
func (s *subscriptions) deliver(sub *subscriber, method, uri string) {
	var params map[string]any
	if uri != "" {
		params = map[string]any{"uri": uri}
	}
	if sub.listen == nil {
		// A legacy session: through the session mcp-go registered, which
		// reaches its stream (stdio, SSE, the GET stream of streamable HTTP).
		if err := s.srv.SendNotificationToSpecificClient(sub.session.SessionID(), method, params); err != nil {
			s.opts.Logger.Debug("notification not delivered", "method", method, "err", err)
		}
		return
	}
	// A listen stream: on its own session, tagged with its request's id.
	n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
		Method: method,
		Params: mcp.NotificationParams{Meta: map[string]any{mcp.MetaKeySubscriptionID: sub.listen}, AdditionalFields: params},
	}}
	if up, ok := sub.session.(server.SessionWithStreamableHTTPConfig); ok {
		up.UpgradeToSSEWhenReceiveNotification()
	}
	select {
	case sub.session.NotificationChannel() <- n:
	default:
		s.opts.Logger.Debug("notification not delivered: the stream is full", "method", method)
	}
}

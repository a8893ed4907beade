package transport

import "sync"

// Cancellations are the requests running on one connection or session, by
// id, and which of them the client cancelled with notifications/cancelled.
// A transport drops the response of a request cancelled while it ran: the
// MCP specification (basic/utilities/cancellation) says the receiver of a
// cancellation should not respond to the cancelled request, and clients
// that already gave up on it may take a late response for another one.
// mcp-go cancels the handler's context but still sends what the handler
// returns ("The call was cancelled before it finished."), so the transports
// hold the response back themselves.
//
// An id is the request's raw JSON id ("7", `"a"`), as the client sent it;
// a notifications/cancelled names it the same way. The zero value is ready
// to use; it is safe for concurrent use.
type Cancellations struct {
	mu      sync.Mutex
	running map[string]bool // id → cancelled
}

// Begin records that the request id is running (its response is owed).
func (c *Cancellations) Begin(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[string]bool{}
	}
	c.running[id] = false
}

// Cancel records that the client cancelled the request id, and reports
// whether it is running. A cancellation of a request that is not running
// (it was never sent, or its response already went out) changes nothing.
func (c *Cancellations) Cancel(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.running[id]; !ok {
		return false
	}
	c.running[id] = true
	return true
}

// Cancelled reports whether the running request id was cancelled.
func (c *Cancellations) Cancelled(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running[id]
}

// End forgets the request id, whose response is being written or dropped,
// and reports whether it was cancelled: then drop the response.
func (c *Cancellations) End(id string) (cancelled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cancelled = c.running[id]
	delete(c.running, id)
	return cancelled
}

// Running returns how many requests are running.
func (c *Cancellations) Running() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.running)
}

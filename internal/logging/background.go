package logging

import (
	"io"
	"sync"
)

// backgroundMax bounds the bytes a Background holds: a Write that would
// take it over waits until the writer has caught up.
const backgroundMax = 1 << 20

// Background writes to an io.Writer on a goroutine of its own, in the order
// of the writes, so that whoever logs (a tool call, before its response can
// go out) does not wait for a write to a pipe and for its reader. Lines
// that arrive while a write is under way go out together in the next one.
// It holds at most backgroundMax bytes, and drops nothing: a Write over that
// waits. Close writes what is left and makes later writes direct. Write
// errors are ignored, as a logger's are (stderr).
type Background struct {
	w io.Writer

	mu      sync.Mutex
	drained *sync.Cond // signalled after each write of the buffer
	buf     []byte
	closed  bool
	kick    chan struct{} // capacity 1: there is something to write
	done    chan struct{} // closed when the goroutine has written everything

	directMu sync.Mutex // orders the writes after Close
}

// NewBackground starts writing to w in the background. Close it when done.
func NewBackground(w io.Writer) *Background {
	b := &Background{w: w, kick: make(chan struct{}, 1), done: make(chan struct{})}
	b.drained = sync.NewCond(&b.mu)
	go b.run()
	return b
}

// Write queues p (which it copies); after Close it writes p directly.
func (b *Background) Write(p []byte) (int, error) {
	b.mu.Lock()
	for !b.closed && len(b.buf) > 0 && len(b.buf)+len(p) > backgroundMax {
		b.drained.Wait()
	}
	if b.closed {
		b.mu.Unlock()
		<-b.done
		b.directMu.Lock()
		defer b.directMu.Unlock()
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	select {
	case b.kick <- struct{}{}:
	default:
	}
	b.mu.Unlock()
	return len(p), nil
}

// Unwrap returns the writer written to.
func (b *Background) Unwrap() io.Writer { return b.w }

// Close writes what is queued and waits for it; later writes are direct.
func (b *Background) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.kick)
	}
	b.drained.Broadcast()
	b.mu.Unlock()
	<-b.done
	return nil
}

func (b *Background) run() {
	defer close(b.done)
	var spare []byte
	for range b.kick {
		spare = b.flush(spare)
	}
	b.flush(spare)
}

// flush writes the buffer, swapping in spare (an emptied earlier buffer),
// and returns the written buffer for reuse.
func (b *Background) flush(spare []byte) []byte {
	b.mu.Lock()
	out := b.buf
	b.buf = spare[:0]
	b.mu.Unlock()
	if len(out) > 0 {
		b.w.Write(out) //nolint:errcheck // a logger ignores write errors
	}
	b.mu.Lock()
	b.drained.Broadcast()
	b.mu.Unlock()
	if cap(out) > 64<<10 {
		return nil // do not keep a burst's buffer for good
	}
	return out
}

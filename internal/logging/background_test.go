package logging

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// gatedWriter records what is written to it; while gate is open (not
// closed) each Write waits for it, so that a test can hold the background
// writer mid-write.
type gatedWriter struct {
	gate    chan struct{}
	started chan struct{} // receives once per Write, before it waits
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.started <- struct{}{}
	<-w.gate
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func (w *gatedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestBackground checks that lines go out whole and in order, that lines
// written while a write is under way go out together, and that Close writes
// everything before it returns; later writes are direct.
func TestBackground(t *testing.T) {
	w := &gatedWriter{gate: make(chan struct{}), started: make(chan struct{}, 100)}
	b := NewBackground(w)
	b.Write([]byte("line 0\n")) //nolint:errcheck
	<-w.started                 // the goroutine is writing line 0 and waits on the gate
	var want strings.Builder
	want.WriteString("line 0\n")
	for i := 1; i <= 50; i++ {
		line := fmt.Sprintf("line %d\n", i)
		if n, err := b.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		want.WriteString(line)
	}
	close(w.gate)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != want.String() {
		t.Fatalf("written:\n%s\nwant:\n%s", got, want.String())
	}
	if w.writes != 2 {
		t.Errorf("%d writes; want 2 (line 0, then the 50 lines queued meanwhile)", w.writes)
	}
	b.Write([]byte("after close\n")) //nolint:errcheck
	if got := w.String(); !strings.HasSuffix(got, "line 50\nafter close\n") {
		t.Errorf("a write after Close is not direct: %q", got[len(got)-30:])
	}
}

// TestBackgroundBound checks that a Write over backgroundMax waits until the
// queue is written, and loses nothing.
func TestBackgroundBound(t *testing.T) {
	w := &gatedWriter{gate: make(chan struct{}), started: make(chan struct{}, 100)}
	b := NewBackground(w)
	b.Write([]byte("first\n")) //nolint:errcheck
	<-w.started
	big := bytes.Repeat([]byte("x"), backgroundMax-10)
	b.Write(big) //nolint:errcheck // queued: the queue was empty
	wrote := make(chan struct{})
	go func() {
		b.Write([]byte("over the bound\n")) //nolint:errcheck
		close(wrote)
	}()
	select {
	case <-wrote:
		t.Fatal("a Write over the bound returned while the writer was held")
	case <-w.started: // not yet: the writer is still held on "first"
		t.Fatal("unexpected second write")
	default:
	}
	close(w.gate)
	<-wrote
	b.Close() //nolint:errcheck
	if got := w.String(); got != "first\n"+string(big)+"over the bound\n" {
		t.Errorf("written %d bytes, want %d, in order", len(got), len("first\n")+len(big)+len("over the bound\n"))
	}
}

package transport

import (
	"context"
	"testing"
)

// TestDeliveries: a wait registered with Expect ends at the write that
// holds its marker, not at another; without Deliveries it ends at once.
func TestDeliveries(t *testing.T) {
	d := &Deliveries{}
	ctx := WithDeliveries(context.Background(), d)
	wait := Expect(ctx, `"elicitationId":"abc"`)
	ended := make(chan struct{})
	go func() { wait(context.Background()); close(ended) }()
	d.Written([]byte(`data: {"elicitationId":"xyz"}`))
	select {
	case <-ended:
		t.Fatal("the wait ended at a write without its marker")
	default:
	}
	d.Written([]byte(`data: {"method":"notifications/elicitation/complete","params":{"elicitationId":"abc"}}`))
	<-ended

	Expect(context.Background(), "x")(context.Background()) // returns at once

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	Expect(ctx, "never")(cancelled) // the caller's bound ends it
	if d.waiting.Load() != 0 {
		t.Errorf("%d waits left registered", d.waiting.Load())
	}
}

// TestAfterResponse: functions wait for the transport's run, in order;
// once it ran, or without a transport's say, they run at once.
func TestAfterResponse(t *testing.T) {
	var got []int
	AfterResponse(context.Background(), func() { got = append(got, 0) })
	ctx, run := WithAfterResponse(context.Background())
	AfterResponse(ctx, func() { got = append(got, 1) })
	AfterResponse(ctx, func() { got = append(got, 2) })
	if len(got) != 1 {
		t.Fatalf("ran before the response: %v", got)
	}
	run()
	AfterResponse(ctx, func() { got = append(got, 3) })
	if want := []int{0, 1, 2, 3}; len(got) != 4 || got[1] != 1 || got[2] != 2 || got[3] != 3 {
		t.Errorf("ran %v, want %v", got, want)
	}
}

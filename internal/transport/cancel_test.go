package transport

import "testing"

// TestCancellations: a response is dropped only for a request cancelled
// while it ran; a cancellation of a request not running changes nothing,
// and an id is forgotten once its response is written or dropped.
func TestCancellations(t *testing.T) {
	var c Cancellations
	if c.Cancel("1") {
		t.Error("a request never begun was cancelled")
	}
	c.Begin("1")
	c.Begin(`"1"`) // another id: a string, not the number
	if c.Cancelled("1") || c.Running() != 2 {
		t.Errorf("Cancelled(1) before any cancellation, or %d running", c.Running())
	}
	if !c.Cancel("1") || !c.Cancelled("1") || c.Cancelled(`"1"`) {
		t.Error("cancelling 1 did not mark 1 alone")
	}
	if !c.End("1") {
		t.Error("End(1) = false: its response would go out")
	}
	if c.End(`"1"`) {
		t.Error(`End("1") = true: a request not cancelled would lose its response`)
	}
	if c.Cancel("1") || c.Running() != 0 {
		t.Errorf("a cancellation after the response marked it, or %d running", c.Running())
	}
	c.Begin("1") // an id used again after its response
	if c.End("1") {
		t.Error("an earlier cancellation carried over to a new request with the same id")
	}
}

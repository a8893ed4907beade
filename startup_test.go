package main

import (
	"runtime"
	"strconv"
	"testing"
)

func TestOneProcUntilStarted(t *testing.T) {
	for _, fromEnv := range []bool{false, true} {
		t.Run("GOMAXPROCS set: "+strconv.FormatBool(fromEnv), func(t *testing.T) {
			prev := runtime.GOMAXPROCS(0)
			t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
			if fromEnv {
				t.Setenv("GOMAXPROCS", strconv.Itoa(prev))
			}
			started := oneProcUntilStarted()
			if got := runtime.GOMAXPROCS(0); got != 1 {
				t.Fatalf("during start-up GOMAXPROCS = %d, want 1", got)
			}
			started()
			if got := runtime.GOMAXPROCS(0); got != prev {
				t.Fatalf("after start-up GOMAXPROCS = %d, want %d", got, prev)
			}
			runtime.GOMAXPROCS(prev + 1)
			started() // once only: it must not set it again
			if got := runtime.GOMAXPROCS(0); got != prev+1 {
				t.Fatalf("a second call set GOMAXPROCS to %d", got)
			}
		})
	}
}

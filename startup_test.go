package main

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

func TestOneProcUntilStarted(t *testing.T) {
	tests := []struct {
		env         string // GOMAXPROCS
		wantDefault bool   // the runtime's automatic updates are turned back on
	}{
		{"", true},
		{"0", true}, // the runtime ignores it, as it does anything but a positive integer
		{"two", true},
		{"3", false},
	}
	for _, tt := range tests {
		t.Run("GOMAXPROCS="+tt.env, func(t *testing.T) {
			prev := runtime.GOMAXPROCS(0)
			t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
			var scheduled []func()
			started := oneProcUntilStarted(func(k string) string {
				if k == "GOMAXPROCS" {
					return tt.env
				}
				return ""
			}, func(f func()) { scheduled = append(scheduled, f) })
			if got := runtime.GOMAXPROCS(0); got != 1 {
				t.Fatalf("during start-up GOMAXPROCS = %d, want 1", got)
			}
			started()
			if got := runtime.GOMAXPROCS(0); got != prev {
				t.Fatalf("after start-up GOMAXPROCS = %d, want %d", got, prev)
			}
			if got := len(scheduled) == 1; got != tt.wantDefault {
				t.Fatalf("automatic updates turned back on: %v (%d scheduled), want %v", got, len(scheduled), tt.wantDefault)
			}
			runtime.GOMAXPROCS(prev + 1)
			started() // once only: it must not set it again
			if got := runtime.GOMAXPROCS(0); got != prev+1 || len(scheduled) > 1 {
				t.Fatalf("a second call set GOMAXPROCS to %d, scheduled %d", got, len(scheduled))
			}
		})
	}
}

// TestServingCommandsEndStartUp: every command that builds the server ends
// its start-up (env.started) once, so that it serves with every P.
func TestServingCommandsEndStartUp(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // http serves until its context ends: at once
	tests := []struct {
		ctx  context.Context
		args []string
	}{
		{context.Background(), []string{"stdio", "--sandbox"}}, // its input is empty: it ends
		{cancelled, []string{"http", "--sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s"}},
		{cancelled, []string{"sse", "--sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s"}},
		{context.Background(), []string{"call", "get_registry", "{}", "--sandbox"}},
		{context.Background(), []string{"check", "--sandbox"}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			var calls atomic.Int32
			var out, errOut strings.Builder
			code := run(tt.ctx, env{args: tt.args, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
				getenv: func(string) string { return "" }, started: func() { calls.Add(1) }})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("start-up ended %d times, want once", n)
			}
		})
	}
}

package main

import (
	"runtime"
	"strconv"
	"sync"
	"time"
)

// defaultProcsAfter is how long after start-up the runtime's automatic
// GOMAXPROCS updates are turned back on (see oneProcUntilStarted).
const defaultProcsAfter = time.Second

// oneProcUntilStarted runs the Go scheduler with one P
// (runtime.GOMAXPROCS(1)) until the function it returns is called, which
// gives back the setting the process started with. When that was the
// runtime's default (getenv("GOMAXPROCS") is not a positive integer, which
// the runtime ignores), whose automatic updates follow the cgroup's CPU
// quota, later is given runtime.SetDefaultGOMAXPROCS to turn those updates
// back on: the process passes time.AfterFunc after defaultProcsAfter, as
// turning them on reads the quota again, which the first requests need not
// wait for. Calls after the first do nothing.
//
// Start-up (the configuration, the tool catalogue, the start-up GC) is
// serial work. With a second P, the runtime starts threads for it that it
// cannot use, and the start-up GC runs a second mark worker: on a 2-core
// machine one P took 0.2–0.7 ms of time to the initialize response and
// about 0.6 ms of CPU off some 7.5 ms (go run ./bench; issue 13). Serving
// gets every P.
func oneProcUntilStarted(getenv func(string) string, later func(func())) (started func()) {
	prev := runtime.GOMAXPROCS(1)
	return sync.OnceFunc(func() {
		runtime.GOMAXPROCS(prev)
		if n, err := strconv.Atoi(getenv("GOMAXPROCS")); err != nil || n < 1 {
			later(runtime.SetDefaultGOMAXPROCS)
		}
	})
}

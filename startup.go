package main

import (
	"os"
	"runtime"
	"sync"
	"time"
)

// defaultProcsAfter is how long after start-up the runtime's automatic
// GOMAXPROCS updates are turned back on (see oneProcUntilStarted).
const defaultProcsAfter = time.Second

// oneProcUntilStarted runs the Go scheduler with one P
// (runtime.GOMAXPROCS(1)) until the function it returns is called, which
// gives back the setting the process started with. When that was the
// runtime's default (no GOMAXPROCS environment variable), whose automatic
// updates follow the cgroup's CPU quota, those updates come back on
// defaultProcsAfter later (runtime.SetDefaultGOMAXPROCS): turning them on
// reads the quota again, which the first requests need not wait for. Calls
// after the first do nothing.
//
// Start-up (the configuration, the tool catalogue, the start-up GC) is
// serial work. With a second P, the runtime starts threads for it that it
// cannot use, and the start-up GC runs a second mark worker: on a 2-core
// machine this cost about 0.7 ms of CPU and of time to the initialize
// response, of some 7 ms (go run ./bench; issue 13). Serving gets every P.
func oneProcUntilStarted() (started func()) {
	prev := runtime.GOMAXPROCS(1)
	return sync.OnceFunc(func() {
		runtime.GOMAXPROCS(prev)
		if os.Getenv("GOMAXPROCS") == "" {
			time.AfterFunc(defaultProcsAfter, runtime.SetDefaultGOMAXPROCS)
		}
	})
}

// Package profiling lets the bench profile a running server: imported (for
// its side effect) only by builds with the pprof tag (go build -tags pprof,
// as `go run ./bench -pprof DIR` builds them), it starts a CPU profile on
// SIGUSR1 and, on SIGUSR2, stops it, into the directory $ALFE_PPROF_DIR as
// cpu.pprof; it writes the allocation profile (every allocation since the
// process started) at both signals, as allocs-start.pprof and allocs.pprof,
// so that `go tool pprof -base allocs-start.pprof allocs.pprof` shows what
// was allocated in between.
// Release builds do not contain it.
package profiling

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// EnvDir names the directory the profiles are written to.
const EnvDir = "ALFE_PPROF_DIR"

func init() {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		var cpu *os.File
		for s := range sig {
			switch {
			case s == syscall.SIGUSR1 && cpu == nil:
				writeAllocs(filepath.Join(dir, "allocs-start.pprof"))
				f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
				if err == nil {
					err = pprof.StartCPUProfile(f)
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "profiling:", err)
					continue
				}
				cpu = f
			case s == syscall.SIGUSR2 && cpu != nil:
				pprof.StopCPUProfile()
				cpu.Close() //nolint:errcheck
				cpu = nil
				writeAllocs(filepath.Join(dir, "allocs.pprof"))
			}
		}
	}()
}

// writeAllocs writes the allocation profile to path, after a GC so that it
// is up to date.
func writeAllocs(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "profiling:", err)
	}
}

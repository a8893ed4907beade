//go:build pprof

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

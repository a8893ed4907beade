// Package profiling lets the bench profile a running server: imported (for
// its side effect) only by builds with the pprof tag (go build -tags pprof,
// as `go run ./bench -pprof DIR` builds them), it starts a CPU profile on
// SIGUSR1 and, on SIGUSR2, stops it, into the directory $ALFE_PPROF_DIR as
// cpu.pprof; it writes the allocation profile (every allocation since the
// process started) at both signals, as allocs-start.pprof and allocs.pprof,
// so that `go tool pprof -base allocs-start.pprof allocs.pprof` shows what
// was allocated in between.
// Release builds do not contain it.
//
// Its code is built with the pprof tag only (profiling.go).
package profiling

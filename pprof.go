//go:build pprof

package main

// Builds with the pprof tag can be profiled by the bench (go run ./bench
// -pprof DIR); see internal/profiling.
import _ "github.com/alfe-mcp/alfe-mcp/internal/profiling"

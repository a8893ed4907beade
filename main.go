// Command alfe-mcp is an MCP server that lets an assistant manage an Alfe
// agent's integrations. Run `alfe-mcp help` for usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

// env is what a command gets from the process.
type env struct {
	args   []string // the command line, without the program's name
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// started, when set, is called once the command has started up, before
	// it serves (oneProcUntilStarted).
	started func()
}

// startedUp calls e.started, if set.
func (e env) startedUp() {
	if e.started != nil {
		e.started()
	}
}

func main() {
	started := oneProcUntilStarted(os.Getenv, func(f func()) { time.AfterFunc(defaultProcsAfter, f) })
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, started: started})
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit status: 0, 1 when the
// command fails, 2 for a mistake in the command line or the configuration.
func run(ctx context.Context, e env) int {
	c, cfg, err := parseCommandLine(e.args, e.getenv)
	var help helpRequest
	switch {
	case errors.As(err, &help):
		if help.cmd == nil {
			writeUsage(e.stdout)
		} else {
			writeHelp(e.stdout, *help.cmd)
		}
		return 0
	case c.name == "check" && errors.As(err, new(*config.BadKeyError)):
		// What check is for: a key that cannot work is a failed check.
		fmt.Fprintf(e.stderr, "not ok: %v\n", err)
		return 1
	case err != nil:
		return e.fail(2, "%v", err)
	}
	return c.run(ctx, e, cfg)
}

// fail writes "alfe-mcp: " and the message of format and args on stderr,
// and returns code, the exit status.
func (e env) fail(code int, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "alfe-mcp: "+format+"\n", args...)
	return code
}

// runVersion prints the version, and the commit and its date when known
// (versionLine).
func runVersion(_ context.Context, e env, _ config.Config) int {
	fmt.Fprintln(e.stdout, versionLine())
	return 0
}

// buildVersion is the -ldflags version, else the module version, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// Command alfe-mcp is an MCP server that lets an assistant manage an Alfe
// agent's integrations. Run `alfe-mcp help` for usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/alfe-mcp/alfe-mcp/config"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

const usage = `alfe-mcp: an MCP server for managing an Alfe agent's integrations.

Usage:
  alfe-mcp [stdio] [flags]   serve MCP over stdin/stdout (the default)
  alfe-mcp tools [flags]     print the tool catalogue as tools/list returns it
  alfe-mcp call TOOL [JSON] [flags]
                             call one tool through the full MCP path and print its result
  alfe-mcp check [flags]     check the configuration and the API key against the API
  alfe-mcp http [flags]      serve MCP over streamable HTTP at /mcp (--addr, default 127.0.0.1:8080;
                             --stateless for replicas behind a load balancer)
  alfe-mcp sse [flags]       serve MCP over the legacy HTTP+SSE transport (GET /sse, POST /message)
  alfe-mcp version           print the version, and the commit and its date when known

The API key comes from --api-key-file or the ALFE_API_KEY environment variable.
Add --sandbox to any command to try it against a built-in emulator of the
Alfe API, with no account or key: alfe-mcp call get_registry --sandbox
Run 'alfe-mcp stdio -h' for the flags.
`

// env is what a command gets from the process.
type env struct {
	args   []string // after the command name
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command runs one subcommand with its loaded configuration and returns the
// exit status.
type command func(ctx context.Context, e env, cfg config.Config) int

// lookup returns the subcommand called name; each takes the configuration
// flags.
func lookup(name string) (command, bool) {
	switch name {
	case "stdio":
		return runStdio, true
	case "tools":
		return runTools, true
	case "call":
		return runCall, true
	case "check":
		return runCheck, true
	case "http":
		return runHTTP, true
	case "sse":
		return runSSE, true
	}
	return nil, false
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, e env) int {
	name := "stdio"
	if len(e.args) > 0 && !strings.HasPrefix(e.args[0], "-") {
		name, e.args = e.args[0], e.args[1:]
	}
	switch name {
	case "version":
		fmt.Fprintln(e.stdout, versionLine())
		return 0
	case "help":
		fmt.Fprint(e.stdout, usage)
		return 0
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(e.stderr, "alfe-mcp: unknown command %q\n\n%s", name, usage)
		return 2
	}
	cfg, err := config.Load(name, e.args, e.getenv, e.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(e.stderr, "alfe-mcp: %v\n", err)
		return 2
	}
	if len(cfg.Args) > maxArgs(name) {
		fmt.Fprintf(e.stderr, "alfe-mcp: unexpected argument %q (usage: alfe-mcp %s [flags]; run 'alfe-mcp help')\n", cfg.Args[maxArgs(name)], name)
		return 2
	}
	return cmd(ctx, e, cfg)
}

// maxArgs is how many positional arguments a subcommand takes.
func maxArgs(name string) int {
	if name == "call" {
		return 2 // TOOL [JSON]
	}
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

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
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/config"
	"github.com/alfe-mcp/alfe-mcp/logging"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

const usage = `alfe-mcp: an MCP server for managing an Alfe agent's integrations.

Usage:
  alfe-mcp [stdio] [flags]   serve MCP over stdin/stdout (the default)
  alfe-mcp tools [flags]     print the tool catalogue as tools/list returns it
  alfe-mcp version           print the version

The API key comes from --api-key-file or the ALFE_API_KEY environment variable.
Run 'alfe-mcp stdio -h' for the flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run is the whole program; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "stdio"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "alfe-mcp", buildVersion())
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "stdio", "tools":
	default:
		fmt.Fprintf(stderr, "alfe-mcp: unknown command %q\n\n%s", cmd, usage)
		return 2
	}

	cfg, err := config.Load(cmd, args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "alfe-mcp: %v\n", err)
		return 2
	}
	toolOpts := tools.Options{Version: buildVersion(), ReadOnly: cfg.ReadOnly, Allow: cfg.Tools}

	if cmd == "tools" {
		out, err := tools.ListJSON(toolOpts)
		if err != nil {
			fmt.Fprintf(stderr, "alfe-mcp: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}

	if cfg.APIKey == "" {
		fmt.Fprintf(stderr, "alfe-mcp: no API key. Set the %s environment variable to the agent's API key, "+
			"or pass --api-key-file with a file that holds it (or apiKeyFile in --config).\n", config.EnvAPIKey)
		return 2
	}
	color := false
	if f, ok := stderr.(*os.File); ok {
		color = logging.UseColor(f, getenv)
	}
	logger := logging.New(stderr, logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, Color: color, Secrets: []string{cfg.APIKey}})

	client, err := apiclient.New(apiclient.Options{
		BaseURL:   cfg.APIURL,
		APIKey:    cfg.APIKey,
		UserAgent: "alfe-mcp/" + buildVersion(),
		Timeout:   time.Duration(cfg.Timeout),
		Observe:   tools.ObserveExchanges(logger),
	})
	if err != nil {
		fmt.Fprintf(stderr, "alfe-mcp: %v\n", err)
		return 2
	}
	toolOpts.Client = tools.StaticClient(client)
	toolOpts.Logger = logger
	srv, err := tools.NewServer(toolOpts)
	if err != nil {
		fmt.Fprintf(stderr, "alfe-mcp: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("alfe-mcp serving on stdio", "version", buildVersion(), "api", client.BaseURL(), "read_only", cfg.ReadOnly, "config", cfg.File)
	if err := tools.ServeStdio(ctx, srv, stdin, stdout, logger); err != nil {
		logger.Error("stdio server stopped", "error", err)
		return 1
	}
	logger.Debug("alfe-mcp stopped")
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

// Command mcpbundle builds the MCP Bundle (.mcpb) of one platform from a
// binary the release just built. goreleaser runs it as a post hook of every
// build and of the macOS universal binary (see .goreleaser.yaml); it makes a
// bundle for darwin (the universal binary), linux/amd64 and windows/amd64,
// and does nothing for the other targets, since a 0.3 manifest tells
// platforms apart by operating system only.
//
// It stages dist/mcpb/<os>_<arch>/ with the committed manifest (version set,
// platforms narrowed to the bundle's, the Windows entry point with .exe), the
// binary under server/ and the LICENSE, then packs it with the official mcpb
// CLI into dist/alfe-mcp_<os>_<arch>.mcpb. The CLI is the command
// in $MCPB, else npx running the pinned @anthropic-ai/mcpb.
//
//	go run ./internal/cmd/mcpbundle -os linux -arch amd64 -binary dist/.../alfe-mcp -version 1.2.3
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// mcpbCLI runs the official bundle CLI when $MCPB does not name one. Keep the
// version in step with .ci/run and .github/workflows/release.yml.
const mcpbCLI = "npx --yes @anthropic-ai/mcpb@2.1.2"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpbundle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		goos     = fs.String("os", "", "GOOS of the binary")
		goarch   = fs.String("arch", "", "GOARCH of the binary (\"all\" for the macOS universal binary)")
		binary   = fs.String("binary", "", "path of the built binary")
		version  = fs.String("version", "", "release version, e.g. 1.2.3 (a leading v is dropped)")
		manifest = fs.String("manifest", "packaging/mcpb/manifest.json", "the committed manifest")
		license  = fs.String("license", "LICENSE", "the licence file to ship")
		dist     = fs.String("dist", "dist", "goreleaser's output directory")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *goos == "" || *goarch == "" || *binary == "" || *version == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "mcpbundle: -os, -arch, -binary and -version are required, and nothing else")
		return 2
	}
	b, ok := bundleFor(*goos, *goarch)
	if !ok {
		fmt.Fprintf(stderr, "mcpbundle: no bundle for %s/%s\n", *goos, *goarch)
		return 0
	}
	tmpl, err := os.ReadFile(*manifest)
	if err != nil {
		fmt.Fprintf(stderr, "mcpbundle: %v\n", err)
		return 1
	}
	stage := filepath.Join(*dist, "mcpb", *goos+"_"+*goarch)
	if err := b.stage(stage, tmpl, *binary, *license, *version); err != nil {
		fmt.Fprintf(stderr, "mcpbundle: %v\n", err)
		return 1
	}
	out := filepath.Join(*dist, b.fileName())
	cli := strings.Fields(getenv("MCPB"))
	if len(cli) == 0 {
		cli = strings.Fields(mcpbCLI)
	}
	cmd := exec.Command(cli[0], append(cli[1:], "pack", stage, out)...)
	cmd.Stdout, cmd.Stderr = stderr, stderr // stdout is goreleaser's log either way
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "mcpbundle: %s pack: %v\n", strings.Join(cli, " "), err)
		return 1
	}
	fmt.Fprintf(stderr, "mcpbundle: wrote %s\n", out)
	return 0
}

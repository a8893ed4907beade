package e2e

// Helpers of the tests of release artefacts (release_test.go, bundle_test.go,
// container_test.go, kubernetes_test.go). .ci/run builds the artefacts first
// (goreleaser release --snapshot --clean, server.json, podman build) and names
// them in environment variables; without one a test skips on a developer's
// machine and fails in CI, where every channel must be checked.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Environment variables that name the artefacts .ci/run built.
const (
	envDist       = "ALFE_RELEASE_DIST" // goreleaser's dist/ of a snapshot release, with server.json
	envImage      = "ALFE_IMAGE"        // the linux/amd64 image podman built from Containerfile
	envImageARM64 = "ALFE_IMAGE_ARM64"  // the linux/arm64 image built from the same file (not run)
	envMCPBDir    = "ALFE_MCPB_DIR"     // where npm installed @anthropic-ai/mcpb (node_modules/ inside)
)

// serverName is alfe-mcp's name in the MCP registry and its image's label.
const serverName = "io.github.alfe-mcp/alfe-mcp"

// artefactLimit bounds each wait on a container or a bundle's server; it is
// never asserted on.
const artefactLimit = 2 * time.Minute

// inCI reports whether the tests run in CI, where nothing may skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// artefact returns the value of the environment variable env, which names
// what .ci/run built; without it the test skips, or fails in CI.
func artefact(t *testing.T, env, what string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if inCI() {
			t.Fatalf("%s is not set: .ci/run must build %s before the tests run", env, what)
		}
		t.Skipf("skipping: %s is not set (%s; .ci/run builds it)", env, what)
	}
	return v
}

// tool returns the path of a command the test needs; without it the test
// skips, or fails in CI.
func tool(t *testing.T, name, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if inCI() {
			t.Fatalf("%s is needed %s: %v (.ci/run installs it)", name, why, err)
		}
		t.Skipf("skipping: %s is not installed (needed %s)", name, why)
	}
	return path
}

// release is the snapshot release in $ALFE_RELEASE_DIST.
type release struct {
	dist string
	// From goreleaser's metadata.json.
	Tag     string `json:"tag"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

func loadRelease(t *testing.T) release {
	t.Helper()
	r := release{dist: artefact(t, envDist, "the snapshot release (goreleaser's dist/)")}
	raw, err := os.ReadFile(filepath.Join(r.dist, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	if r.Version == "" || r.Tag == "" {
		t.Fatalf("metadata.json names no version or tag: %s", raw)
	}
	return r
}

// path is a file in dist/.
func (r release) path(name string) string { return filepath.Join(r.dist, name) }

// built is the binary goreleaser built for goos/goarch ("all": the macOS
// universal binary), read from its directory in dist/.
func (r release) built(t *testing.T, goos, goarch string) []byte {
	t.Helper()
	pattern := fmt.Sprintf("alfe-mcp_%s_%s_*", goos, goarch)
	if goarch == "all" {
		pattern = "alfe-mcp-universal_darwin_all"
	}
	dirs, _ := filepath.Glob(r.path(pattern))
	if len(dirs) != 1 {
		t.Fatalf("dist/%s matches %q, want one directory", pattern, dirs)
	}
	exe := "alfe-mcp"
	if goos == "windows" {
		exe += ".exe"
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], exe))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// archiveFile is one regular file of an archive.
type archiveFile struct {
	mode os.FileMode
	data []byte
}

// readArchive returns the regular files of a .tar.gz, or of a .zip (or
// .mcpb, which is a zip), by name.
func readArchive(t *testing.T, name string) map[string]archiveFile {
	t.Helper()
	files := map[string]archiveFile{}
	if strings.HasSuffix(name, ".tar.gz") {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if h.Typeflag != tar.TypeReg {
				continue
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			files[h.Name] = archiveFile{mode: h.FileInfo().Mode(), data: data}
		}
		return files
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.Name, err)
		}
		files[f.Name] = archiveFile{mode: f.Mode(), data: data}
	}
	return files
}

// checkBinary checks that data is an executable for goos/goarch (goarch
// "all": a macOS universal binary of amd64 and arm64) built as the release
// builds: without DWARF (-w), and on Linux static and without a symbol table
// (CGO_ENABLED=0, -s).
func checkBinary(t *testing.T, what string, data []byte, goos, goarch string) {
	t.Helper()
	r := bytes.NewReader(data)
	switch goos {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			t.Fatalf("%s: not ELF: %v", what, err)
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want {
			t.Errorf("%s: machine %v, want %v", what, f.Machine, want)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s: has an interpreter: not static", what)
			}
		}
		for _, s := range []string{".symtab", ".debug_info", ".zdebug_info"} {
			if f.Section(s) != nil {
				t.Errorf("%s: has %s: not stripped", what, s)
			}
		}
	case "darwin":
		if goarch == "all" {
			ff, err := macho.NewFatFile(r)
			if err != nil {
				t.Fatalf("%s: not a universal Mach-O: %v", what, err)
			}
			var cpus []string
			for _, a := range ff.Arches {
				cpus = append(cpus, a.Cpu.String())
				if a.Segment("__DWARF") != nil {
					t.Errorf("%s: %v slice has DWARF", what, a.Cpu)
				}
			}
			slices.Sort(cpus)
			if !slices.Equal(cpus, []string{"CpuAmd64", "CpuArm64"}) {
				t.Errorf("%s: universal binary of %v, want amd64 and arm64", what, cpus)
			}
			return
		}
		f, err := macho.NewFile(r)
		if err != nil {
			t.Fatalf("%s: not Mach-O: %v", what, err)
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want {
			t.Errorf("%s: CPU %v, want %v", what, f.Cpu, want)
		}
		if f.Segment("__DWARF") != nil {
			t.Errorf("%s: has DWARF: not stripped", what)
		}
	case "windows":
		f, err := pe.NewFile(r)
		if err != nil {
			t.Fatalf("%s: not PE: %v", what, err)
		}
		want := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[goarch]
		if f.Machine != want {
			t.Errorf("%s: machine %#x, want %#x", what, f.Machine, want)
		}
		for _, s := range f.Sections {
			if strings.HasPrefix(s.Name, ".debug") || strings.HasPrefix(s.Name, ".zdebug") {
				t.Errorf("%s: has %s: not stripped", what, s.Name)
			}
		}
		if f.FileHeader.NumberOfSymbols != 0 {
			t.Errorf("%s: %d COFF symbols: not stripped", what, f.FileHeader.NumberOfSymbols)
		}
	default:
		t.Fatalf("%s: unexpected OS %s", what, goos)
	}
}

// wantVersionLine checks the output of `alfe-mcp version` of a release binary.
func wantVersionLine(t *testing.T, what, out string, r release) {
	t.Helper()
	want := "alfe-mcp v" + r.Version + " (commit " + r.Commit
	if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, ")\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("%s version printed %q, want %q...)", what, out, want)
	}
}

// container is a container podman started with run -d.
type container string

// exited reports whether the container is no longer running.
func (c container) exited() bool {
	out, err := exec.Command("podman", "inspect", "--format", "{{.State.Running}}", string(c)).Output()
	return err != nil || strings.TrimSpace(string(out)) != "true"
}

// logs is what the container wrote.
func (c container) logs() string {
	out, _ := exec.Command("podman", "logs", string(c)).CombinedOutput()
	return string(out)
}

// remove stops and removes the container.
func (c container) remove() { _ = exec.Command("podman", "rm", "-f", "--time", "5", string(c)).Run() }

// mcpSession starts an MCP stdio session with command (a host's launch:
// command, args, env), initializes it in era e and returns the names of the
// tools it lists, sorted. stderr collects the child's standard error.
func mcpSession(t *testing.T, ctx context.Context, e era, command string, args, env []string, stderr *syncBuffer) []string {
	t.Helper()
	commandFunc := func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, command, args...)
		cmd.Env = env
		cmd.Stderr = stderr
		return cmd, nil
	}
	c, err := client.NewStdioMCPClientWithOptions(command, nil, args, transport.WithCommandFunc(commandFunc))
	if err != nil {
		t.Fatalf("start %s: %v", command, err)
	}
	defer c.Close()
	for _, opt := range e.Opts {
		opt(c)
	}
	init, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{
		ClientInfo: mcp.Implementation{Name: "alfe-mcp-e2e", Version: "1.0.0"},
	}})
	if err != nil {
		t.Fatalf("initialize: %v\nstderr:\n%s", err, stderr.String())
	}
	if init.ProtocolVersion != e.Version || init.ServerInfo.Name != "alfe-mcp" {
		t.Errorf("initialize: protocol %q, server %q; want %q, alfe-mcp", init.ProtocolVersion, init.ServerInfo.Name, e.Version)
	}
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v\nstderr:\n%s", err, stderr.String())
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// waitHealthy polls url (a /healthz) until it responds 200, or fails the
// test when ctx ends first or when the server has exited (exited reports it;
// logs gives its output for the failure message).
func waitHealthy(t *testing.T, ctx context.Context, url string, exited func() bool, logs func() string) {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == `{"status":"ok"}` {
				return
			}
			last = fmt.Sprintf("%s %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		if exited() {
			t.Fatalf("the server exited before %s responded 200 (last: %s)\nlogs:\n%s", url, last, logs())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never responded 200 (last: %s)\nlogs:\n%s", url, last, logs())
		case <-tick.C:
		}
	}
}

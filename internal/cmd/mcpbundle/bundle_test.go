package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// committedManifest is the manifest every bundle is made from.
const committedManifest = "../../../packaging/mcpb/manifest.json"

// manifestDoc is the part of a 0.3 manifest these tests read.
type manifestDoc struct {
	ManifestVersion string `json:"manifest_version"`
	Name            string `json:"name"`
	Version         string `json:"version"`
	Server          struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  struct {
			Command           string            `json:"command"`
			Args              []string          `json:"args"`
			Env               map[string]string `json:"env"`
			PlatformOverrides map[string]struct {
				Command string            `json:"command"`
				Args    []string          `json:"args"`
				Env     map[string]string `json:"env"`
			} `json:"platform_overrides"`
		} `json:"mcp_config"`
	} `json:"server"`
	Tools []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tools"`
	Compatibility struct {
		Platforms []string `json:"platforms"`
	} `json:"compatibility"`
	UserConfig map[string]struct {
		Type      string `json:"type"`
		Title     string `json:"title"`
		Required  bool   `json:"required"`
		Sensitive bool   `json:"sensitive"`
		Default   any    `json:"default"`
	} `json:"user_config"`
}

func readManifest(t *testing.T, path string) (manifestDoc, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifestDoc
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m, raw
}

func TestBundleFor(t *testing.T) {
	// Every target of .goreleaser.yaml, and the universal binary.
	tests := []struct {
		goos, goarch string
		want         string // bundle file name for version 1.2.3, "" for none
	}{
		{"darwin", "all", "alfe-mcp_darwin_universal.mcpb"},
		{"darwin", "amd64", ""},
		{"darwin", "arm64", ""},
		{"linux", "amd64", "alfe-mcp_linux_amd64.mcpb"},
		{"linux", "arm64", ""},
		{"windows", "amd64", "alfe-mcp_windows_amd64.mcpb"},
		{"windows", "arm64", ""},
	}
	for _, tt := range tests {
		b, ok := bundleFor(tt.goos, tt.goarch)
		got := ""
		if ok {
			got = b.fileName()
		}
		if got != tt.want {
			t.Errorf("bundleFor(%s, %s): file %q, want %q", tt.goos, tt.goarch, got, tt.want)
		}
	}
}

// TestCommittedManifest checks what the bundles rely on in the committed
// manifest: the key is required, secret and reaches the server only through
// its environment; the optional settings have defaults, so that the host
// always substitutes them (a variable without a value is passed through
// literally, ${user_config.api_url} and all); every variable names a setting.
func TestCommittedManifest(t *testing.T) {
	m, raw := readManifest(t, committedManifest)
	mc := m.Server.MCPConfig
	checks := []struct {
		what string
		ok   bool
	}{
		{"manifest_version 0.3", m.ManifestVersion == "0.3"},
		{"name alfe-mcp", m.Name == "alfe-mcp"},
		{"server type binary", m.Server.Type == "binary"},
		{"entry point server/alfe-mcp", m.Server.EntryPoint == "server/alfe-mcp"},
		{"command is the entry point", mc.Command == "${__dirname}/"+m.Server.EntryPoint},
		{"win32 command with .exe", mc.PlatformOverrides["win32"].Command == "${__dirname}/server/alfe-mcp.exe"},
		{"serves stdio", len(mc.Args) > 0 && mc.Args[0] == "stdio"},
		{"key passed as ALFE_API_KEY", mc.Env["ALFE_API_KEY"] == "${user_config.api_key}"},
		{"API URL passed as ALFE_API_URL", mc.Env["ALFE_API_URL"] == "${user_config.api_url}"},
		{"read-only passed as --read-only=", slices.Contains(mc.Args, "--read-only=${user_config.read_only}")},
		{"api_key required", m.UserConfig["api_key"].Required},
		{"api_key sensitive", m.UserConfig["api_key"].Sensitive},
		{"api_key a string", m.UserConfig["api_key"].Type == "string"},
		{"api_url optional, default empty", !m.UserConfig["api_url"].Required && m.UserConfig["api_url"].Default == ""},
		{"read_only optional boolean, default false", !m.UserConfig["read_only"].Required &&
			m.UserConfig["read_only"].Type == "boolean" && m.UserConfig["read_only"].Default == false},
		{"platforms darwin, win32, linux", slices.Equal(m.Compatibility.Platforms, []string{"darwin", "win32", "linux"})},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("committed manifest: want %s", c.what)
		}
	}
	// Every ${user_config.X} names a setting, and every setting is used.
	used := map[string]bool{}
	for _, match := range regexp.MustCompile(`\$\{user_config\.([^}]+)\}`).FindAllStringSubmatch(string(raw), -1) {
		used[match[1]] = true
		if _, ok := m.UserConfig[match[1]]; !ok {
			t.Errorf("${user_config.%s} names no user_config entry", match[1])
		}
	}
	for k := range m.UserConfig {
		if !used[k] {
			t.Errorf("user_config.%s is never passed to the server", k)
		}
	}
	// The key never appears as an argument, where process listings show it.
	for _, a := range mc.Args {
		if strings.Contains(a, "api_key") {
			t.Errorf("the key is passed as an argument: %q", a)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the committed manifest's tools from alfe-mcp tools (go generate ./... runs TestManifestTools with it)")

// TestManifestTools checks the manifest's tools against `go run . tools`:
// the same names, each described by the tool's title. With -update (go
// generate ./..., after the schemas the server needs: see
// tools/generate.go) it rewrites the manifest's list instead.
func TestManifestTools(t *testing.T) {
	if testing.Short() && !*update {
		t.Skip("builds the server")
	}
	m, raw := readManifest(t, committedManifest)
	cmd := exec.Command("go", "run", ".", "tools")
	cmd.Dir = "../../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run . tools: %v\n%s", err, stderr.String())
	}
	var list struct {
		Tools []struct {
			Name  string `json:"name"`
			Title string `json:"title"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("alfe-mcp tools: %v", err)
	}
	var want, got, lines []string
	for _, tool := range list.Tools {
		want = append(want, tool.Name+": "+tool.Title)
		name, _ := json.Marshal(tool.Name)
		title, _ := json.Marshal(tool.Title)
		lines = append(lines, fmt.Sprintf(`    { "name": %s, "description": %s }`, name, title))
	}
	for _, tool := range m.Tools {
		got = append(got, tool.Name+": "+tool.Description)
	}
	if *update {
		before, rest, ok := strings.Cut(string(raw), "\n  \"tools\": [\n")
		_, after, ok2 := strings.Cut(rest, "\n  ],\n")
		if !ok || !ok2 {
			t.Fatalf("%s: no \"tools\": [ ... ], list at the top level to rewrite", committedManifest)
		}
		manifest := before + "\n  \"tools\": [\n" + strings.Join(lines, ",\n") + "\n  ],\n" + after
		if err := os.WriteFile(committedManifest, []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("the manifest's tools drifted from alfe-mcp tools; run go generate ./...\nmanifest: %q\nserver:   %q", got, want)
	}
}

func TestStage(t *testing.T) {
	tmpl, err := os.ReadFile(committedManifest)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	bin := filepath.Join(src, "alfe-mcp-built")
	license := filepath.Join(src, "LICENSE")
	for path, body := range map[string]string{bin: "binary", license: "MIT"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var base map[string]any
	if err := json.Unmarshal(tmpl, &base); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		goos, goarch, platform, entry string
	}{
		{"darwin", "all", "darwin", "server/alfe-mcp"},
		{"linux", "amd64", "linux", "server/alfe-mcp"},
		{"windows", "amd64", "win32", "server/alfe-mcp.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			b, ok := bundleFor(tt.goos, tt.goarch)
			if !ok {
				t.Fatalf("no bundle for %s/%s", tt.goos, tt.goarch)
			}
			dir := filepath.Join(t.TempDir(), "stage")
			// A leftover from an earlier run is removed.
			if err := os.MkdirAll(filepath.Join(dir, "stale"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := b.stage(dir, tmpl, bin, license, "v1.2.3"); err != nil {
				t.Fatal(err)
			}
			m, raw := readManifest(t, filepath.Join(dir, "manifest.json"))
			if m.Version != "1.2.3" {
				t.Errorf("version %q, want 1.2.3", m.Version)
			}
			if !slices.Equal(m.Compatibility.Platforms, []string{tt.platform}) {
				t.Errorf("platforms %q, want only %s", m.Compatibility.Platforms, tt.platform)
			}
			if m.Server.EntryPoint != tt.entry {
				t.Errorf("entry point %q, want %q", m.Server.EntryPoint, tt.entry)
			}
			fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(tt.entry)))
			if err != nil {
				t.Fatalf("the entry point is not in the bundle: %v", err)
			}
			if fi.Mode().Perm() != 0o755 {
				t.Errorf("binary mode %v, want 0755", fi.Mode().Perm())
			}
			if _, err := os.Stat(filepath.Join(dir, "LICENSE")); err != nil {
				t.Error(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "stale")); !os.IsNotExist(err) {
				t.Errorf("stale content survived: %v", err)
			}
			// Nothing else in the manifest changed.
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range base {
				switch k {
				case "version", "compatibility", "server":
					continue
				}
				a, _ := json.Marshal(v)
				b, _ := json.Marshal(got[k])
				if !bytes.Equal(a, b) {
					t.Errorf("%s changed: %s -> %s", k, a, b)
				}
			}
			if strings.Contains(string(raw), `\u0024`) {
				t.Error("the manifest escapes ${...}")
			}
		})
	}
}

// TestRun runs the command with a stand-in for the mcpb CLI that zips the
// staged directory, and checks what it was asked to pack.
func TestRun(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh for the stand-in CLI")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "alfe-mcp")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	fake := filepath.Join(dir, "mcpb")
	script := "#!/bin/sh\necho \"$@\" >> " + calls + "\ncd \"$2\" && exec zip -qr \"$3\" .\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("zip"); err != nil {
		// Without zip the stand-in only records its arguments.
		script = "#!/bin/sh\necho \"$@\" >> " + calls + "\n: > \"$3\"\n"
		if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dist := filepath.Join(dir, "dist")
	getenv := func(k string) string {
		if k == "MCPB" {
			return fake
		}
		return ""
	}
	common := []string{"-binary", bin, "-version", "2.0.0", "-dist", dist,
		"-manifest", committedManifest, "-license", "../../../LICENSE"}

	var stderr bytes.Buffer
	if code := run(append([]string{"-os", "linux", "-arch", "arm64"}, common...), getenv, &stderr); code != 0 {
		t.Fatalf("linux/arm64: exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(calls); !os.IsNotExist(err) {
		t.Fatalf("linux/arm64 made a bundle: %v", err)
	}
	stderr.Reset()
	if code := run(append([]string{"-os", "linux", "-arch", "amd64"}, common...), getenv, &stderr); code != 0 {
		t.Fatalf("linux/amd64: exit %d: %s", code, stderr.String())
	}
	recorded, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dist, "alfe-mcp_linux_amd64.mcpb")
	if want := "pack " + filepath.Join(dist, "mcpb", "linux_amd64") + " " + out + "\n"; string(recorded) != want {
		t.Errorf("the CLI was called with %q, want %q", recorded, want)
	}
	if _, err := exec.LookPath("zip"); err == nil {
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var names []string
		for _, f := range zr.File {
			if !f.FileInfo().IsDir() {
				names = append(names, f.Name)
			}
		}
		slices.Sort(names)
		if want := []string{"LICENSE", "manifest.json", "server/alfe-mcp"}; !slices.Equal(names, want) {
			t.Errorf("bundle holds %q, want %q", names, want)
		}
	}

	for _, bad := range [][]string{nil, {"-os", "linux"}, append([]string{"-os", "linux", "-arch", "amd64", "extra"}, common...)} {
		stderr.Reset()
		if code := run(bad, getenv, &stderr); code != 2 {
			t.Errorf("run(%q): exit %d, want 2", bad, code)
		}
	}
}

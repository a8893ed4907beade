package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/tools"
)

// releaseBundle is one MCP Bundle of the release.
type releaseBundle struct {
	platform     string // the manifest's OS name
	goos, goarch string // of the binary inside ("all": universal)
	fileArch     string // in the file name
	exe          string // server/<exe>
}

var releaseBundles = []releaseBundle{
	{"darwin", "darwin", "all", "universal", "alfe-mcp"},
	{"linux", "linux", "amd64", "amd64", "alfe-mcp"},
	{"win32", "windows", "amd64", "amd64", "alfe-mcp.exe"},
}

func (r release) bundleName(b releaseBundle) string {
	return "alfe-mcp_" + b.goos + "_" + b.fileArch + ".mcpb"
}

// bundleManifest is the part of an MCPB manifest read here.
type bundleManifest struct {
	ManifestVersion string `json:"manifest_version"`
	Version         string `json:"version"`
	Server          struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcp_config"`
	} `json:"server"`
	Compatibility struct {
		Platforms []string `json:"platforms"`
	} `json:"compatibility"`
	UserConfig map[string]struct {
		Default any `json:"default"`
	} `json:"user_config"`
}

// committedManifest is the manifest every bundle is made from.
const committedManifest = "../packaging/mcpb/manifest.json"

// TestReleaseBundles opens each .mcpb of the release: the manifest of its
// version and platform, the LICENSE, and at the entry point the executable
// goreleaser built (the universal binary for macOS).
func TestReleaseBundles(t *testing.T) {
	r := loadRelease(t)
	for _, b := range releaseBundles {
		name := r.bundleName(b)
		t.Run(b.platform, func(t *testing.T) {
			files := readArchive(t, r.path(name))
			var names []string
			for n := range files {
				names = append(names, n)
			}
			slices.Sort(names)
			if want := []string{"LICENSE", "manifest.json", "server/" + b.exe}; !slices.Equal(names, want) {
				t.Fatalf("%s holds %q, want %q", name, names, want)
			}
			var m bundleManifest
			if err := json.Unmarshal(files["manifest.json"].data, &m); err != nil {
				t.Fatalf("%s: manifest.json: %v", name, err)
			}
			if m.ManifestVersion != "0.3" || m.Server.Type != "binary" {
				t.Errorf("%s: manifest_version %q, server type %q", name, m.ManifestVersion, m.Server.Type)
			}
			if m.Version != r.Version {
				t.Errorf("%s: manifest version %q, want %q", name, m.Version, r.Version)
			}
			if !slices.Equal(m.Compatibility.Platforms, []string{b.platform}) {
				t.Errorf("%s: platforms %q, want only %s", name, m.Compatibility.Platforms, b.platform)
			}
			if m.Server.EntryPoint != "server/"+b.exe {
				t.Errorf("%s: entry point %q", name, m.Server.EntryPoint)
			}
			bin := files["server/"+b.exe]
			if bin.mode.Perm() != 0o755 {
				t.Errorf("%s: %s has mode %v, want 0755", name, b.exe, bin.mode.Perm())
			}
			if string(bin.data) != string(r.built(t, b.goos, b.goarch)) {
				t.Errorf("%s: %s is not the binary goreleaser built", name, b.exe)
			}
			checkBinary(t, name+": "+b.exe, bin.data, b.goos, b.goarch)
		})
	}
}

// mcpbCLI is the official bundle CLI that .ci/run installed with npm.
func mcpbCLI(t *testing.T) (dir, cli string) {
	t.Helper()
	dir = artefact(t, envMCPBDir, "@anthropic-ai/mcpb installed with npm")
	cli = filepath.Join(dir, "node_modules", ".bin", "mcpb")
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("%s: %v", envMCPBDir, err)
	}
	return dir, cli
}

// resolveScript asks the official library (@anthropic-ai/mcpb) how a host
// launches a bundle: getMcpConfigForManifest substitutes ${__dirname} and
// ${user_config.*} with the user's values over the manifest's defaults.
// Arguments: the library's entry module, the manifest, the bundle's
// directory, the user's values as JSON. Prints the launch config as JSON
// (null when a required value is missing).
const resolveScript = `
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { sep } from "node:path";
import { pathToFileURL } from "node:url";
const [lib, manifestPath, dir, userConfig] = process.argv.slice(1);
const { getMcpConfigForManifest } = await import(pathToFileURL(lib).href);
const config = await getMcpConfigForManifest({
  manifest: JSON.parse(readFileSync(manifestPath, "utf8")),
  extensionPath: dir,
  systemDirs: { HOME: homedir() },
  userConfig: JSON.parse(userConfig),
  pathSeparator: sep,
});
process.stdout.write(JSON.stringify(config ?? null));
`

// launchConfig is how a host starts a bundle's server.
type launchConfig struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

// TestBundleLaunch checks the linux bundle with the official CLI, as a host
// would use it: mcpb validate passes the committed and the packed manifests,
// mcpb unpack gives a binary that runs version, and the launch the library
// resolves for a user's settings serves MCP over stdio. An optional setting
// left empty reaches the server as ALFE_API_URL= (which it treats as unset:
// the default API) and --read-only=false.
func TestBundleLaunch(t *testing.T) {
	r := loadRelease(t)
	dir, cli := mcpbCLI(t)
	node := tool(t, "node", "to run the mcpb CLI")
	ctx, cancel := context.WithTimeout(t.Context(), artefactLimit)
	defer cancel()
	mcpb := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("mcpb %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	unpacked := t.TempDir()
	for _, m := range []string{committedManifest, r.path("mcpb/linux_amd64/manifest.json")} {
		if out := mcpb("validate", m); !strings.Contains(out, "validation passes") {
			t.Errorf("mcpb validate %s: %s", m, out)
		}
	}
	mcpb("unpack", r.path(r.bundleName(releaseBundles[1])), unpacked)
	out, err := exec.CommandContext(ctx, filepath.Join(unpacked, "server", "alfe-mcp"), "version").Output()
	if err != nil {
		t.Fatalf("the unpacked binary: %v", err)
	}
	wantVersionLine(t, "the unpacked bundle's binary", string(out), r)

	lib := filepath.Join(dir, "node_modules", "@anthropic-ai", "mcpb", "dist", "index.js")
	tests := []struct {
		name       string
		userConfig string
		wantArgs   []string
		wantURL    string
		wantTools  []string
	}{
		{"key only", `{"api_key":"sk_test_BUNDLE_KEY_1"}`, []string{"stdio", "--read-only=false"}, "", allToolNames()},
		{"empty API URL", `{"api_key":"sk_test_BUNDLE_KEY_1","api_url":""}`, []string{"stdio", "--read-only=false"}, "", allToolNames()},
		{"read-only", `{"api_key":"sk_test_BUNDLE_KEY_1","read_only":true}`, []string{"stdio", "--read-only=true"}, "", readOnlyToolNames()},
		{"API URL set", `{"api_key":"sk_test_BUNDLE_KEY_1","api_url":"http://127.0.0.1:9"}`, []string{"stdio", "--read-only=false"}, "http://127.0.0.1:9", allToolNames()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", resolveScript,
				lib, filepath.Join(unpacked, "manifest.json"), unpacked, tt.userConfig)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			raw, err := cmd.Output()
			if err != nil {
				t.Fatalf("getMcpConfigForManifest: %v\n%s", err, stderr.String())
			}
			var lc launchConfig
			if err := json.Unmarshal(raw, &lc); err != nil || lc.Command == "" {
				t.Fatalf("getMcpConfigForManifest gave %s (%v)", raw, err)
			}
			if lc.Command != filepath.Join(unpacked, "server", "alfe-mcp") || !slices.Equal(lc.Args, tt.wantArgs) {
				t.Errorf("launch %q %q, want %q %q", lc.Command, lc.Args, filepath.Join(unpacked, "server", "alfe-mcp"), tt.wantArgs)
			}
			if lc.Env["ALFE_API_KEY"] != "sk_test_BUNDLE_KEY_1" || lc.Env["ALFE_API_URL"] != tt.wantURL {
				t.Errorf("launch env %q", lc.Env)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
			for k, v := range lc.Env {
				env = append(env, k+"="+v)
			}
			var logs syncBuffer
			got := mcpSession(t, ctx, eras[1], lc.Command, lc.Args, env, &logs)
			if !slices.Equal(got, tt.wantTools) {
				t.Errorf("tools %q, want %q", got, tt.wantTools)
			}
			wantAPI := "api=https://api.alfe.ai"
			if tt.wantURL != "" {
				wantAPI = "api=" + tt.wantURL
			}
			if !strings.Contains(logs.String(), wantAPI) {
				t.Errorf("the server does not log %s:\n%s", wantAPI, logs.String())
			}
		})
	}

	// Without the required key the library gives no launch at all.
	raw, err := exec.CommandContext(ctx, node, "--input-type=module", "-e", resolveScript,
		lib, filepath.Join(unpacked, "manifest.json"), unpacked, `{}`).Output()
	if err != nil || strings.TrimSpace(string(raw)) != "null" {
		t.Errorf("without api_key: %s (%v), want null", raw, err)
	}
}

// readOnlyToolNames are the tools --read-only serves: those of the
// catalogue with the read-only hint, sorted.
func readOnlyToolNames() []string {
	var names []string
	for _, tool := range tools.Catalogue() {
		if tool.Hints.ReadOnly {
			names = append(names, tool.Name)
		}
	}
	slices.Sort(names)
	return names
}

// allToolNames are the catalogue's tools, sorted.
func allToolNames() []string { return slices.Sorted(slices.Values(tools.Names())) }

// TestManifestLaunch runs the committed manifest's launch with the binary
// built from this checkout, each ${user_config.X} replaced by the value a
// host passes (the user's, else the manifest's default, as the MCPB spec
// says), so that an empty optional setting is checked on every machine, not
// only where the mcpb library is installed.
func TestManifestLaunch(t *testing.T) {
	raw, err := os.ReadFile(committedManifest)
	if err != nil {
		t.Fatal(err)
	}
	var m bundleManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary(t), filepath.Join(dir, filepath.FromSlash(m.Server.EntryPoint))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), processLimit)
	defer cancel()
	variable := regexp.MustCompile(`\$\{([^}]+)\}`)
	tests := []struct {
		name      string
		user      map[string]string
		wantTools []string
	}{
		{"defaults", map[string]string{"api_key": cliKey}, allToolNames()},
		{"empty API URL", map[string]string{"api_key": cliKey, "api_url": ""}, allToolNames()},
		{"read-only", map[string]string{"api_key": cliKey, "read_only": "true"}, readOnlyToolNames()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subst := func(s string) string {
				return variable.ReplaceAllStringFunc(s, func(v string) string {
					name := v[2 : len(v)-1]
					if name == "__dirname" {
						return dir
					}
					key, ok := strings.CutPrefix(name, "user_config.")
					if !ok {
						t.Fatalf("unexpected variable %s", v)
					}
					if val, ok := tt.user[key]; ok {
						return val
					}
					def, ok := m.UserConfig[key]
					if !ok || def.Default == nil {
						t.Fatalf("%s has no value and no default: a host would pass it literally", v)
					}
					b, _ := json.Marshal(def.Default)
					return strings.Trim(string(b), `"`)
				})
			}
			var args, env []string
			for _, a := range m.Server.MCPConfig.Args {
				args = append(args, subst(a))
			}
			env = append(env, "PATH="+os.Getenv("PATH"))
			for k, v := range m.Server.MCPConfig.Env {
				env = append(env, k+"="+subst(v))
			}
			var logs syncBuffer
			got := mcpSession(t, ctx, eras[1], subst(m.Server.MCPConfig.Command), args, env, &logs)
			if !slices.Equal(got, tt.wantTools) {
				t.Errorf("tools %q, want %q", got, tt.wantTools)
			}
			if !strings.Contains(logs.String(), "api=https://api.alfe.ai") {
				t.Errorf("an empty ALFE_API_URL did not leave the default API:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), cliKey) {
				t.Error("the logs carry the key")
			}
		})
	}
}

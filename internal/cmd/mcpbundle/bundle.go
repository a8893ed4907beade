package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// bundle is one platform's MCP Bundle.
type bundle struct {
	goos, goarch string
	platform     string // the manifest's name for the OS: darwin, linux or win32
	archName     string // the architecture in the file name
	exe          string // the binary's file name inside server/
}

// bundles are the bundles a release makes, by GOOS/GOARCH. A 0.3 manifest
// names operating systems, not architectures, so there is one bundle per OS:
// darwin holds the universal binary (goarch "all"), linux and windows amd64.
var bundles = []bundle{
	{goos: "darwin", goarch: "all", platform: "darwin", archName: "universal", exe: "alfe-mcp"},
	{goos: "linux", goarch: "amd64", platform: "linux", archName: "amd64", exe: "alfe-mcp"},
	{goos: "windows", goarch: "amd64", platform: "win32", archName: "amd64", exe: "alfe-mcp.exe"},
}

// bundleFor returns the bundle made from a binary for goos/goarch, if any.
func bundleFor(goos, goarch string) (bundle, bool) {
	for _, b := range bundles {
		if b.goos == goos && b.goarch == goarch {
			return b, true
		}
	}
	return bundle{}, false
}

// fileName is the bundle's file name in the release. It has no version, like
// the archives', so that releases/latest/download/<name> always works.
func (b bundle) fileName() string {
	return fmt.Sprintf("alfe-mcp_%s_%s.mcpb", b.goos, b.archName)
}

// stage lays out dir (emptied first) as the bundle's content: manifest.json
// made from tmpl for this platform and version, server/<exe> copied from
// binary (mode 0755) and LICENSE copied from license.
func (b bundle) stage(dir string, tmpl []byte, binary, license, version string) error {
	manifest, err := b.manifest(tmpl, version)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(dir, "server", b.exe), binary, 0o755); err != nil {
		return err
	}
	return copyFile(filepath.Join(dir, "LICENSE"), license, 0o644)
}

// manifest rewrites the committed manifest for this bundle: the release
// version (without a leading v), compatibility.platforms narrowed to this
// platform, so that a host on another OS refuses the bundle instead of
// failing to start it, and on Windows an entry point with .exe.
func (b bundle) manifest(tmpl []byte, version string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(tmpl, &m); err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	version = strings.TrimPrefix(version, "v")
	if version == "" {
		return nil, errors.New("empty version")
	}
	m["version"] = version
	compat, _ := m["compatibility"].(map[string]any)
	if compat == nil {
		compat = map[string]any{}
		m["compatibility"] = compat
	}
	compat["platforms"] = []string{b.platform}
	server, _ := m["server"].(map[string]any)
	if server == nil {
		return nil, errors.New("manifest: no server object")
	}
	entry, _ := server["entry_point"].(string)
	if filepath.Base(entry) != "alfe-mcp" {
		return nil, fmt.Errorf("manifest: server.entry_point %q does not name the alfe-mcp binary", entry)
	}
	server["entry_point"] = filepath.ToSlash(filepath.Join(filepath.Dir(entry), b.exe))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep ${...} and quotes readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// copyFile copies src to dst with the given mode.
func copyFile(dst, src string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // whatever the umask
}

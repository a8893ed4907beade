package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	stamped := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "4b4f3d2ef4c8b2c9280db751a5271b70608a65d5"},
		{Key: "vcs.time", Value: "2026-11-28T19:45:11Z"},
		{Key: "vcs.modified", Value: "false"},
	}}
	dirty := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "4b4f3d2ef4c8b2c9280db751a5271b70608a65d5"},
		{Key: "vcs.time", Value: "2026-11-28T19:45:11Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	tests := []struct {
		name                  string
		version, commit, date string
		info                  *debug.BuildInfo
		want                  string
	}{
		{"nothing known", "dev", "", "", nil, "alfe-mcp dev"},
		{"go install: module version only", "v1.2.3", "", "", &debug.BuildInfo{}, "alfe-mcp v1.2.3"},
		{"release: everything from -ldflags", "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-11-29T10:00:00Z", nil,
			"alfe-mcp v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567, 2026-11-29T10:00:00Z)"},
		{"-ldflags win over the VCS stamp", "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-11-29T10:00:00Z", dirty,
			"alfe-mcp v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567, 2026-11-29T10:00:00Z)"},
		{"checkout build: the VCS stamp", "v0.0.0-20261128194511-4b4f3d2ef4c8", "", "", stamped,
			"alfe-mcp v0.0.0-20261128194511-4b4f3d2ef4c8 (commit 4b4f3d2ef4c8b2c9280db751a5271b70608a65d5, 2026-11-28T19:45:11Z)"},
		{"checkout build with changes", "dev", "", "", dirty,
			"alfe-mcp dev (commit 4b4f3d2ef4c8b2c9280db751a5271b70608a65d5, 2026-11-28T19:45:11Z, modified)"},
		{"commit without date", "v1.2.3", "abc", "", nil, "alfe-mcp v1.2.3 (commit abc)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatVersion(tt.version, tt.commit, tt.date, tt.info); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestVersionFromLdflags builds the binary as the release does (see
// .goreleaser.yaml) and checks that `version` prints what the linker set.
func TestVersionFromLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "alfe-mcp")
	const (
		v = "v9.8.7"
		c = "0123456789abcdef0123456789abcdef01234567"
		d = "2026-11-29T10:00:00Z"
	)
	build := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-s -w -X main.version="+v+" -X main.commit="+c+" -X main.date="+d, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("alfe-mcp version: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), "alfe-mcp "+v+" (commit "+c+", "+d+")"; got != want {
		t.Errorf("alfe-mcp version printed %q, want %q", got, want)
	}
}

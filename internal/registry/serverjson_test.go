package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiv0 "github.com/modelcontextprotocol/registry/pkg/api/v0"
	"github.com/modelcontextprotocol/registry/pkg/model"
)

const containerfile = "../../Containerfile"

// fakeDist writes a goreleaser-like dist/ with metadata.json and three bundles.
func fakeDist(t *testing.T) (string, Metadata, []Bundle) {
	t.Helper()
	dist := t.TempDir()
	meta := Metadata{ProjectName: "alfe-mcp", Tag: "v1.2.3", Version: "1.2.3"}
	raw, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dist, "metadata.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"alfe-mcp_darwin_universal.mcpb", "alfe-mcp_linux_amd64.mcpb", "alfe-mcp_windows_amd64.mcpb"} {
		if err := os.WriteFile(filepath.Join(dist, f), []byte("bundle "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, bundles, err := ReadDist(dist)
	if err != nil {
		t.Fatal(err)
	}
	if got != meta || len(bundles) != 3 {
		t.Fatalf("ReadDist: %+v, %d bundles", got, len(bundles))
	}
	return dist, meta, bundles
}

func schemaFile(t *testing.T) string {
	t.Helper()
	s, err := SchemaFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s); err != nil {
		t.Fatalf("the registry module ships no schema for %s: %v", model.CurrentSchemaVersion, err)
	}
	return s
}

// TestRun writes server.json for a release and checks it again with -check.
func TestRun(t *testing.T) {
	dist, meta, bundles := fakeDist(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-dist", dist, "-containerfile", containerfile}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	raw, err := os.ReadFile(filepath.Join(dist, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s apiv0.ServerJSON
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Packages) != 1+len(bundles) {
		t.Errorf("%d packages, want the image and %d bundles", len(s.Packages), len(bundles))
	}
	if s.Packages[0].Identifier != "ghcr.io/alfe-mcp/alfe-mcp:1.2.3" {
		t.Errorf("image %q", s.Packages[0].Identifier)
	}
	want := "https://github.com/alfe-mcp/alfe-mcp/releases/download/v1.2.3/alfe-mcp_linux_amd64.mcpb"
	if s.Packages[2].Identifier != want || s.Packages[2].FileSHA256 != bundles[1].SHA256 {
		t.Errorf("linux bundle: %q %s, want %q %s", s.Packages[2].Identifier, s.Packages[2].FileSHA256, want, bundles[1].SHA256)
	}
	if s.Version != meta.Version {
		t.Errorf("version %q", s.Version)
	}
	stdout.Reset()
	if code := run([]string{"-check", "-dist", dist, "-containerfile", containerfile}, &stdout, &stderr); code != 0 {
		t.Fatalf("-check: exit %d: %s", code, stderr.String())
	}

	// A bundle rebuilt after server.json was written no longer matches.
	if err := os.WriteFile(filepath.Join(dist, bundles[0].File), []byte("rebuilt"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"-check", "-dist", dist, "-containerfile", containerfile}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "hashes to") {
		t.Errorf("-check after a rebuild: exit %d: %s", code, stderr.String())
	}
}

// TestPublishRules breaks each rule a publish enforces beyond the schema
// and checks that Check names it.
func TestPublishRules(t *testing.T) {
	_, meta, bundles := fakeDist(t)
	rules := func() Rules {
		sums := map[string]string{}
		for _, b := range bundles {
			sums[b.File] = b.SHA256
		}
		return Rules{Bundles: sums, Tag: meta.Tag, Version: meta.Version, Label: ServerName}
	}
	if err := Check(Build(meta, bundles), rules()); err != nil {
		t.Fatalf("the built server.json breaks a rule: %v", err)
	}
	tests := []struct {
		name   string
		breach func(s *apiv0.ServerJSON, r *Rules)
		want   string
	}{
		{"OCI package with a version", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[0].Version = "1.2.3" }, "carries no version"},
		{"OCI package with registryBaseUrl", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[0].RegistryBaseURL = "https://ghcr.io" }, "registryBaseUrl"},
		{"OCI package with fileSha256", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[0].FileSHA256 = bundles[0].SHA256 }, "no fileSha256"},
		{"OCI tag is not the version", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[0].Identifier = Image + ":latest" }, "identifier"},
		{"image label differs from the name", func(_ *apiv0.ServerJSON, r *Rules) { r.Label = "io.github.someone/else" }, "image label"},
		{"MCPB package without fileSha256", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[1].FileSHA256 = "" }, "needs fileSha256"},
		{"MCPB hash of another file", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[1].FileSHA256 = bundles[2].SHA256 }, "hashes to"},
		{"MCPB from another release", func(s *apiv0.ServerJSON, _ *Rules) {
			s.Packages[1].Identifier = strings.Replace(s.Packages[1].Identifier, "/v1.2.3/", "/v1.2.2/", 1)
		}, "is not a download of release"},
		{"MCPB with registryBaseUrl", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[1].RegistryBaseURL = "https://github.com" }, "registryBaseUrl"},
		{"a bundle left out", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages = s.Packages[:3] }, "bundles missing"},
		{"key not secret", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[2].EnvironmentVariables[0].IsSecret = false }, "required and secret"},
		{"key not required", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[0].EnvironmentVariables[0].IsRequired = false }, "required and secret"},
		{"no key", func(s *apiv0.ServerJSON, _ *Rules) { s.Packages[3].EnvironmentVariables = nil }, "required and secret"},
		{"version latest", func(s *apiv0.ServerJSON, _ *Rules) { s.Version = "latest" }, "one specific version"},
		{"version range", func(s *apiv0.ServerJSON, _ *Rules) { s.Version = "^1.2.3" }, "one specific version"},
		{"version of another release", func(s *apiv0.ServerJSON, _ *Rules) { s.Version = "1.2.4" }, "want the release's"},
		{"another name", func(s *apiv0.ServerJSON, _ *Rules) { s.Name = "io.github.alfe-mcp/other" }, "want \"io.github.alfe-mcp/alfe-mcp\""},
		{"name outside the repository's owner", func(s *apiv0.ServerJSON, _ *Rules) {
			s.Repository = &model.Repository{URL: "https://github.com/someone/alfe-mcp", Source: "github"}
		}, "does not match the GitHub repository"},
		{"HTTP transport", func(s *apiv0.ServerJSON, _ *Rules) {
			s.Packages[0].Transport = model.Transport{Type: model.TransportTypeStreamableHTTP, URL: "http://localhost:8080/mcp"}
		}, "transport must be stdio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := Build(meta, bundles), rules()
			tt.breach(&s, &r)
			err := Check(s, r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check: %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestSchemaRejects checks that the registry's schema and type, as used
// here, do reject what they should.
func TestSchemaRejects(t *testing.T) {
	schema := schemaFile(t)
	_, meta, bundles := fakeDist(t)
	good, err := Encode(Build(meta, bundles))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateSchema(good, schema); err != nil {
		t.Fatalf("the built server.json fails: %v", err)
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"description over 100 characters", func(m map[string]any) { m["description"] = strings.Repeat("x", 101) }, "schema"},
		{"name without a namespace", func(m map[string]any) { m["name"] = "alfe-mcp" }, "schema"},
		{"upper-case fileSha256", func(m map[string]any) {
			p := m["packages"].([]any)[1].(map[string]any)
			p["fileSha256"] = strings.ToUpper(p["fileSha256"].(string))
		}, "schema"},
		{"no transport", func(m map[string]any) { delete(m["packages"].([]any)[0].(map[string]any), "transport") }, "schema"},
		{"an unknown field", func(m map[string]any) { m["homepage"] = "https://example.com" }, "apiv0.ServerJSON"},
		{"an old schema version", func(m map[string]any) {
			m["$schema"] = "https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json"
		}, "current schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			raw, _ := json.Marshal(m)
			err := ValidateSchema(raw, schema)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateSchema: %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestContainerfileLabel checks the label the registry reads off the image.
func TestContainerfileLabel(t *testing.T) {
	label, err := ContainerfileLabel(containerfile)
	if err != nil {
		t.Fatal(err)
	}
	if label != ServerName {
		t.Errorf("the Containerfile labels the image %q, want %q", label, ServerName)
	}
}

// TestReleaseServerJSON checks the server.json that .ci/run generated from
// the snapshot release in $ALFE_RELEASE_DIST. In CI it must be there.
func TestReleaseServerJSON(t *testing.T) {
	dist := os.Getenv("ALFE_RELEASE_DIST")
	if dist == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ALFE_RELEASE_DIST is not set: .ci/run must build the snapshot release and server.json first")
		}
		t.Skip("ALFE_RELEASE_DIST is not set; run goreleaser release --snapshot --clean and this command, then set it to dist/")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-check", "-dist", dist, "-containerfile", containerfile}, &stdout, &stderr); code != 0 {
		t.Fatalf("%s/server.json: exit %d: %s", dist, code, stderr.String())
	}
	t.Log(strings.TrimSpace(stdout.String()))
}

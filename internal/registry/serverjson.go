// Command registry writes and checks server.json, alfe-mcp's entry in the
// official MCP registry, with the registry's own Go types (pkg/api/v0,
// pkg/model) and JSON Schema, taken from its module.
//
// It is a module of its own because the registry's module needs a newer Go
// than alfe-mcp's go.mod does; the main module's `go test ./...` leaves it out,
// and .ci/run tests it separately. The release runs it after goreleaser:
//
//	go -C internal/registry run . -dist ../../dist
//
// which reads goreleaser's dist/metadata.json and the bundles in dist/,
// writes dist/server.json (the OCI image and each bundle with its download URL
// and SHA-256), and fails unless the result passes the schema and the
// publish-time rules in this package.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	apiv0 "github.com/modelcontextprotocol/registry/pkg/api/v0"
	"github.com/modelcontextprotocol/registry/pkg/model"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// What alfe-mcp is called where it is published.
const (
	ServerName  = "io.github.alfe-mcp/alfe-mcp" // the registry name; also the image label
	Image       = "ghcr.io/alfe-mcp/alfe-mcp"   // the container image, tagged with the version
	RepoURL     = "https://github.com/alfe-mcp/alfe-mcp"
	Title       = "Alfe integrations"
	Description = "Manage an Alfe agent's integrations: install, configure, remove, connect accounts by OAuth."
	// ImageLabel is the label by which the registry ties an image to a name.
	ImageLabel = "io.modelcontextprotocol.server.name"
	// RegistryModule is the Go module whose schema file server.json is checked against.
	RegistryModule = "github.com/modelcontextprotocol/registry"
)

// Metadata is the part of goreleaser's dist/metadata.json read here.
type Metadata struct {
	ProjectName string `json:"project_name"`
	Tag         string `json:"tag"`
	Version     string `json:"version"`
}

// Bundle is one .mcpb file of the release.
type Bundle struct {
	File   string // base name, as uploaded to the release
	SHA256 string // hex
}

// ReadDist reads goreleaser's metadata and hashes the bundles in dist.
func ReadDist(dist string) (Metadata, []Bundle, error) {
	var meta Metadata
	raw, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return meta, nil, err
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return meta, nil, fmt.Errorf("metadata.json: %v", err)
	}
	if meta.Tag == "" || meta.Version == "" {
		return meta, nil, errors.New("metadata.json names no tag or version")
	}
	files, err := filepath.Glob(filepath.Join(dist, "*.mcpb"))
	if err != nil {
		return meta, nil, err
	}
	if len(files) == 0 {
		return meta, nil, fmt.Errorf("no .mcpb bundle in %s", dist)
	}
	var bundles []Bundle
	for _, f := range files {
		sum, err := fileSHA256(f)
		if err != nil {
			return meta, nil, err
		}
		bundles = append(bundles, Bundle{File: filepath.Base(f), SHA256: sum})
	}
	return meta, bundles, nil
}

// fileSHA256 is the hex SHA-256 of a file.
func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// environment is what every package asks of the host: the key, required and
// secret, and the optional API URL.
func environment() []model.KeyValueInput {
	return []model.KeyValueInput{
		{Name: "ALFE_API_KEY", InputWithVariables: model.InputWithVariables{Input: model.Input{
			Description: "API key of the Alfe agent whose integrations this manages",
			IsRequired:  true, IsSecret: true, Format: model.FormatString,
		}}},
		{Name: "ALFE_API_URL", InputWithVariables: model.InputWithVariables{Input: model.Input{
			Description: "Root of the Alfe API; unset means https://api.alfe.ai",
			Format:      model.FormatString,
		}}},
	}
}

// Build is the server.json of a release: the image tagged with the version
// and one MCPB package per bundle, downloaded from the release of meta.Tag.
func Build(meta Metadata, bundles []Bundle) apiv0.ServerJSON {
	stdio := model.Transport{Type: model.TransportTypeStdio}
	s := apiv0.ServerJSON{
		Schema:      model.CurrentSchemaURL,
		Name:        ServerName,
		Title:       Title,
		Description: Description,
		Repository:  &model.Repository{URL: RepoURL, Source: "github"},
		WebsiteURL:  RepoURL,
		Version:     meta.Version,
		Packages: []model.Package{{
			RegistryType:         model.RegistryTypeOCI,
			Identifier:           Image + ":" + meta.Version,
			Transport:            stdio,
			EnvironmentVariables: environment(),
		}},
	}
	for _, b := range bundles {
		s.Packages = append(s.Packages, model.Package{
			RegistryType:         model.RegistryTypeMCPB,
			Identifier:           RepoURL + "/releases/download/" + meta.Tag + "/" + b.File,
			Version:              meta.Version,
			FileSHA256:           b.SHA256,
			Transport:            stdio,
			EnvironmentVariables: environment(),
		})
	}
	return s
}

// Encode renders server.json as it is written.
func Encode(s apiv0.ServerJSON) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SchemaFile is the registry's JSON Schema of server.json for the schema
// version its pkg/model calls current, as its module ships it (the file its
// own validators embed).
func SchemaFile() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", RegistryModule)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v: %s", RegistryModule, err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("module %s is not downloaded (go mod download)", RegistryModule)
	}
	return filepath.Join(dir, "internal", "validators", "schemas", model.CurrentSchemaVersion+".json"), nil
}

// ValidateSchema checks raw against the registry's schema the way the
// registry does (santhosh-tekuri/jsonschema v5, the schema's own $id), and
// that it decodes into apiv0.ServerJSON with no field left over.
func ValidateSchema(raw []byte, schemaFile string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s apiv0.ServerJSON
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("server.json does not decode as apiv0.ServerJSON: %v", err)
	}
	schemaData, err := os.ReadFile(schemaFile)
	if err != nil {
		return err
	}
	var head struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(schemaData, &head); err != nil || head.ID == "" {
		return fmt.Errorf("schema %s has no $id: %v", schemaFile, err)
	}
	if s.Schema != head.ID {
		return fmt.Errorf("$schema is %q; the registry's current schema is %q", s.Schema, head.ID)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(head.ID, bytes.NewReader(schemaData)); err != nil {
		return err
	}
	schema, err := c.Compile(head.ID)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	if err := schema.Validate(v); err != nil {
		return fmt.Errorf("server.json fails the registry's schema: %v", err)
	}
	return nil
}

// Rules are what a publish checks beyond the schema, over the network or in
// the registry's internal validators, stated here so that CI catches a
// breach offline.
type Rules struct {
	// Bundles maps each bundle's file name to its SHA-256; every MCPB
	// package must be one of them, with that hash, and every bundle listed.
	Bundles map[string]string
	// Tag and Version are the release's.
	Tag, Version string
	// Label is the image's io.modelcontextprotocol.server.name.
	Label string
}

var (
	sha256Hex  = regexp.MustCompile(`^[a-f0-9]{64}$`)
	rangeLike  = regexp.MustCompile(`^[\^~<>=*]|[\s|]|\.[xX*](\.|$)|^[xX*]$`)
	githubName = regexp.MustCompile(`^io\.github\.([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)$`)
)

// Check applies the publish-time rules to s and returns every breach.
func Check(s apiv0.ServerJSON, r Rules) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if s.Name != ServerName {
		fail("name %q, want %q", s.Name, ServerName)
	}
	// io.github.<owner>/... is granted to whoever logs in as <owner> on GitHub.
	if m := githubName.FindStringSubmatch(s.Name); m == nil || s.Repository == nil ||
		!strings.HasPrefix(s.Repository.URL, "https://github.com/"+m[1]+"/") {
		fail("name %q does not match the GitHub repository %v", s.Name, s.Repository)
	}
	if r.Label != s.Name {
		fail("the image label %s is %q, not the server name %q", ImageLabel, r.Label, s.Name)
	}
	if s.Version == "" || s.Version == "latest" || rangeLike.MatchString(s.Version) {
		fail("version %q must be one specific version", s.Version)
	}
	if s.Version != r.Version {
		fail("version %q, want the release's %q", s.Version, r.Version)
	}
	listed := map[string]bool{}
	var oci int
	for i, p := range s.Packages {
		where := fmt.Sprintf("packages[%d] (%s)", i, p.RegistryType)
		if p.Transport.Type != model.TransportTypeStdio || p.Transport.URL != "" {
			fail("%s: transport must be stdio without a URL", where)
		}
		if p.RegistryBaseURL != "" {
			fail("%s: registryBaseUrl must be empty (the identifier says where it is)", where)
		}
		var key *model.KeyValueInput
		for j := range p.EnvironmentVariables {
			if p.EnvironmentVariables[j].Name == "ALFE_API_KEY" {
				key = &p.EnvironmentVariables[j]
			}
		}
		if key == nil || !key.IsRequired || !key.IsSecret {
			fail("%s: ALFE_API_KEY must be declared required and secret", where)
		}
		switch p.RegistryType {
		case model.RegistryTypeOCI:
			oci++
			if p.Version != "" {
				fail("%s: an OCI package carries no version (it is the image tag)", where)
			}
			if p.FileSHA256 != "" {
				fail("%s: an OCI package carries no fileSha256", where)
			}
			if want := Image + ":" + r.Version; p.Identifier != want {
				fail("%s: identifier %q, want %q", where, p.Identifier, want)
			}
		case model.RegistryTypeMCPB:
			if !sha256Hex.MatchString(p.FileSHA256) {
				fail("%s: an MCPB package needs fileSha256 (64 lower-case hex digits), got %q", where, p.FileSHA256)
			}
			prefix := RepoURL + "/releases/download/" + r.Tag + "/"
			file, ok := strings.CutPrefix(p.Identifier, prefix)
			if !ok || file == "" || strings.Contains(file, "/") {
				fail("%s: identifier %q is not a download of release %s (%s...)", where, p.Identifier, r.Tag, prefix)
				continue
			}
			if !strings.Contains(strings.ToLower(p.Identifier), "mcp") {
				fail("%s: the registry wants \"mcp\" in an MCPB URL", where)
			}
			if path.Ext(file) != ".mcpb" {
				fail("%s: %q is not a .mcpb file", where, file)
			}
			sum, ok := r.Bundles[file]
			switch {
			case !ok:
				fail("%s: %s is not a bundle of this release", where, file)
			case sum != p.FileSHA256:
				fail("%s: fileSha256 %s, but %s hashes to %s", where, p.FileSHA256, file, sum)
			}
			listed[file] = true
		default:
			fail("%s: unexpected registry type", where)
		}
	}
	if oci != 1 {
		fail("%d OCI packages, want 1", oci)
	}
	var missing []string
	for f := range r.Bundles {
		if !listed[f] {
			missing = append(missing, f)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		fail("bundles missing from packages: %s", strings.Join(missing, ", "))
	}
	return errors.Join(errs...)
}

// Validate runs every check on raw: the registry's schema and type, then the
// publish rules for this release's bundles and the label the Containerfile
// gives the image.
func Validate(raw []byte, schemaFile string, meta Metadata, bundles []Bundle, containerfile string) error {
	if err := ValidateSchema(raw, schemaFile); err != nil {
		return err
	}
	label, err := ContainerfileLabel(containerfile)
	if err != nil {
		return err
	}
	var s apiv0.ServerJSON
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	sums := map[string]string{}
	for _, b := range bundles {
		sums[b.File] = b.SHA256
	}
	return Check(s, Rules{Bundles: sums, Tag: meta.Tag, Version: meta.Version, Label: label})
}

// labelLine finds the server-name label in a Containerfile.
var labelLine = regexp.MustCompile(`(?m)\b` + regexp.QuoteMeta(ImageLabel) + `="([^"]*)"`)

// ContainerfileLabel is the value of the server-name label a Containerfile sets.
func ContainerfileLabel(containerfile string) (string, error) {
	raw, err := os.ReadFile(containerfile)
	if err != nil {
		return "", err
	}
	m := labelLine.FindAllSubmatch(raw, -1)
	if len(m) != 1 {
		return "", fmt.Errorf("%s sets %s %d times, want once", containerfile, ImageLabel, len(m))
	}
	return string(m[0][1]), nil
}

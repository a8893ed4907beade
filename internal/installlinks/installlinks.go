// Package installlinks makes the README's one-click install links for VS Code
// and Cursor from the host configurations the README shows next to them, and
// reads links back into configurations. The README is the source: its test
// fails when a link no longer matches the configuration shown, and
// go generate ./... rewrites the links (the test, with -update).
//
// GitHub's renderer drops vscode: and cursor: links, so the links go through
// the editors' web redirects: https://insiders.vscode.dev/redirect/mcp/install
// (which opens vscode:mcp/install) and https://cursor.com/en/install-mcp.
package installlinks

//go:generate go test -run TestREADMELinks -update .

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Markers in the README: a configuration block follows ConfigMarker+host,
// and the links stand between LinksBegin and LinksEnd.
const (
	ConfigMarker = "<!-- install-config: "
	LinksBegin   = "<!-- install-links: made by go generate ./... from the configurations below -->"
	LinksEnd     = "<!-- /install-links -->"
)

// The redirects the links go through.
const (
	VSCodeRedirect = "https://insiders.vscode.dev/redirect/mcp/install"
	CursorInstall  = "https://cursor.com/en/install-mcp"
)

// Configs are the host configurations the README shows.
type Configs struct {
	// VSCode is a .vscode/mcp.json: inputs (prompted for on install) and
	// one server under servers.
	VSCode []byte
	// Cursor is a ~/.cursor/mcp.json: one server under mcpServers.
	Cursor []byte
}

// vscodeFile is the shape of a .vscode/mcp.json.
type vscodeFile struct {
	Inputs  json.RawMessage            `json:"inputs"`
	Servers map[string]json.RawMessage `json:"servers"`
}

// cursorFile is the shape of a ~/.cursor/mcp.json.
type cursorFile struct {
	MCPServers map[string]json.RawMessage `json:"mcpServers"`
}

// onlyServer returns the name and the compact JSON of the single server of
// host's configuration file.
func onlyServer(host string, servers map[string]json.RawMessage) (name, cfg string, err error) {
	if len(servers) != 1 {
		return "", "", fmt.Errorf("%s configuration: want one server, got %d", host, len(servers))
	}
	for name, raw := range servers {
		cfg, err := compact(raw)
		return name, cfg, err
	}
	return "", "", nil
}

// compact is JSON without insignificant space, keys in their written order.
func compact(raw []byte) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// encodeURIComponent escapes s as JavaScript's encodeURIComponent does for
// the characters JSON uses (a space is %20, not +).
func encodeURIComponent(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Link is one install link.
type Link struct {
	Label string // e.g. "Install in VS Code"
	Badge string // image URL
	URL   string // the link itself, which opens the host's install dialog
}

// Links returns the install links for the configurations.
func Links(c Configs) ([]Link, error) {
	var vf vscodeFile
	if err := json.Unmarshal(c.VSCode, &vf); err != nil {
		return nil, fmt.Errorf("VS Code configuration: %v", err)
	}
	name, cfg, err := onlyServer("VS Code", vf.Servers)
	if err != nil {
		return nil, err
	}
	inputs, err := compact(vf.Inputs)
	if err != nil {
		return nil, fmt.Errorf("VS Code inputs: %v", err)
	}
	vscode := VSCodeRedirect + "?name=" + encodeURIComponent(name) +
		"&inputs=" + encodeURIComponent(inputs) + "&config=" + encodeURIComponent(cfg)

	var cf cursorFile
	if err := json.Unmarshal(c.Cursor, &cf); err != nil {
		return nil, fmt.Errorf("the Cursor configuration: %w", err)
	}
	cname, ccfg, err := onlyServer("the Cursor", cf.MCPServers)
	if err != nil {
		return nil, err
	}
	cursor := CursorInstall + "?name=" + encodeURIComponent(cname) +
		"&config=" + encodeURIComponent(base64.StdEncoding.EncodeToString([]byte(ccfg)))

	return []Link{
		{"Install in VS Code", "https://img.shields.io/badge/VS_Code-Install_alfe--mcp-0098FF?style=flat-square&logo=visualstudiocode&logoColor=white", vscode},
		{"Install in VS Code Insiders", "https://img.shields.io/badge/VS_Code_Insiders-Install_alfe--mcp-24bfa5?style=flat-square&logo=visualstudiocode&logoColor=white", vscode + "&quality=insiders"},
		{"Install in Cursor", "https://cursor.com/deeplink/mcp-install-dark.svg", cursor},
	}, nil
}

// Decoded is what an install link installs.
type Decoded struct {
	Name   string          // the server's name in the host
	Server json.RawMessage // the server's configuration
	Inputs json.RawMessage // VS Code only: what it prompts for
}

// Decode reads an install link made by Links.
func Decode(link string) (Decoded, error) {
	u, err := url.Parse(link)
	if err != nil {
		return Decoded{}, err
	}
	q := u.Query()
	d := Decoded{Name: q.Get("name")}
	switch base := u.Scheme + "://" + u.Host + u.Path; base {
	case VSCodeRedirect:
		d.Server = json.RawMessage(q.Get("config"))
		d.Inputs = json.RawMessage(q.Get("inputs"))
	case CursorInstall:
		raw, err := base64.StdEncoding.DecodeString(q.Get("config"))
		if err != nil {
			return Decoded{}, fmt.Errorf("the Cursor config: %w", err)
		}
		d.Server = raw
	default:
		return Decoded{}, fmt.Errorf("not an install link: %s", base)
	}
	if d.Name == "" || !json.Valid(d.Server) || (d.Inputs != nil && !json.Valid(d.Inputs)) {
		return Decoded{}, errors.New("install link without a name or with invalid JSON")
	}
	return d, nil
}

// configBlock finds the JSON block after ConfigMarker+host+" -->".
func configBlock(readme []byte, host string) ([]byte, error) {
	marker := ConfigMarker + host + " -->"
	_, after, ok := bytes.Cut(readme, []byte(marker))
	if !ok {
		return nil, fmt.Errorf("README: no %q", marker)
	}
	m := regexp.MustCompile("^\\s*```json\\n((?s:.*?))\\n```").FindSubmatch(after)
	if m == nil {
		return nil, fmt.Errorf("README: no ```json block after %q", marker)
	}
	return m[1], nil
}

// ReadConfigs returns the configurations the README shows for the links.
func ReadConfigs(readme []byte) (Configs, error) {
	vscode, err := configBlock(readme, "vscode")
	if err != nil {
		return Configs{}, err
	}
	cursor, err := configBlock(readme, "cursor")
	if err != nil {
		return Configs{}, err
	}
	return Configs{VSCode: vscode, Cursor: cursor}, nil
}

// Markdown renders links as badges, one per line.
func Markdown(links []Link) string {
	var b strings.Builder
	for _, l := range links {
		fmt.Fprintf(&b, "[![%s](%s)](%s)\n", l.Label, l.Badge, l.URL)
	}
	return b.String()
}

// Update returns readme with the links block made anew from its
// configurations.
func Update(readme []byte) ([]byte, error) {
	c, err := ReadConfigs(readme)
	if err != nil {
		return nil, err
	}
	links, err := Links(c)
	if err != nil {
		return nil, err
	}
	before, rest, ok := bytes.Cut(readme, []byte(LinksBegin))
	if !ok {
		return nil, fmt.Errorf("README: no %q", LinksBegin)
	}
	_, after, ok := bytes.Cut(rest, []byte(LinksEnd))
	if !ok {
		return nil, fmt.Errorf("README: no %q", LinksEnd)
	}
	var out bytes.Buffer
	out.Write(before)
	out.WriteString(LinksBegin + "\n")
	out.WriteString(Markdown(links))
	out.WriteString(LinksEnd)
	out.Write(after)
	return out.Bytes(), nil
}

// linkURL finds the URLs of markdown links in text.
var linkURL = regexp.MustCompile(`\]\((https://[^)\s]+)\)`)

// ReadLinks returns the install links in the README's links block.
func ReadLinks(readme []byte) ([]string, error) {
	_, rest, ok := bytes.Cut(readme, []byte(LinksBegin))
	if !ok {
		return nil, fmt.Errorf("README: no %q", LinksBegin)
	}
	block, _, ok := bytes.Cut(rest, []byte(LinksEnd))
	if !ok {
		return nil, fmt.Errorf("README: no %q", LinksEnd)
	}
	var links []string
	for _, m := range linkURL.FindAllSubmatch(block, -1) {
		u := string(m[1])
		if strings.HasPrefix(u, VSCodeRedirect) || strings.HasPrefix(u, CursorInstall) {
			links = append(links, u)
		}
	}
	return links, nil
}

package tools_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// maxIconBytes is the budget of one icon's data URI: each is paid in every
// listing that carries it, twice (light and dark).
const maxIconBytes = 360

// TestIcons: in both eras, the server, its resources (the config resources
// resources/list adds included), its resource template and its prompt
// each carry a light and a dark icon; each is a data URI of a valid SVG
// within maxIconBytes. No tool carries an icon, and from 2026-07-28 the
// serverInfo stamped on every result but server/discover's carries none.
func TestIcons(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		sb := newSandbox(t)
		f := newFixture(t, sb.URL(), serverOptions{})
		c := f.connectInProcess(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		req := mcp.InitializeRequest{}
		req.Params.ClientInfo = mcp.Implementation{Name: "icons-test", Version: "1"}
		init, err := c.Initialize(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		wantIcons(t, "server", init.ServerInfo.Icons)
		wantSuccess(t, callTool(t, c, "install_integration", map[string]any{"integrationId": "slack"}))

		resources, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resources.Resources {
			wantIcons(t, r.URI, r.Icons)
		}
		templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range templates.ResourceTemplates {
			wantIcons(t, r.Name, r.Icons)
		}
		prompts, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range prompts.Prompts {
			wantIcons(t, p.Name, p.Icons)
		}
		tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range tools.Tools {
			if len(tool.Icons) > 0 {
				t.Errorf("tool %s carries icons: each costs every session its bytes", tool.Name)
			}
		}

		res := callTool(t, c, "list_integrations", nil)
		if e.Name == "modern" {
			b, _ := json.Marshal(res.Meta)
			if !strings.Contains(string(b), `"alfe-mcp"`) || strings.Contains(string(b), "icons") {
				t.Errorf("the result's _meta is %s; want serverInfo without icons", b)
			}
		}
	})
}

// wantIcons checks that icons are a light and a dark data URI of a valid
// SVG, each within maxIconBytes.
func wantIcons(t *testing.T, of string, icons []mcp.Icon) {
	t.Helper()
	themes := map[mcp.IconTheme]bool{}
	for _, icon := range icons {
		themes[icon.Theme] = true
		if len(icon.Src) > maxIconBytes {
			t.Errorf("%s: icon of %d bytes, over the budget of %d", of, len(icon.Src), maxIconBytes)
		}
		if icon.MIMEType != "image/svg+xml" {
			t.Errorf("%s: icon MIME type %q", of, icon.MIMEType)
		}
		enc, ok := strings.CutPrefix(icon.Src, "data:image/svg+xml;base64,")
		if !ok {
			t.Errorf("%s: icon %.40q is not a base64 SVG data URI", of, icon.Src)
			continue
		}
		svg, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Errorf("%s: icon data: %v", of, err)
			continue
		}
		if err := validSVG(svg); err != nil {
			t.Errorf("%s: icon is not a valid SVG: %v\n%s", of, err, svg)
		}
	}
	if len(icons) != 2 || !themes[mcp.IconThemeLight] || !themes[mcp.IconThemeDark] {
		t.Errorf("%s: icons for themes %v, want one light and one dark", of, themes)
	}
}

// validSVG checks that b is well-formed XML whose root is an SVG element
// in the SVG namespace, with a viewBox, that draws something.
func validSVG(b []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var root *xml.StartElement
	drawn := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == nil {
				se := se.Copy()
				root = &se
				continue
			}
			drawn++
		}
	}
	switch {
	case root == nil || root.Name.Local != "svg" || root.Name.Space != "http://www.w3.org/2000/svg":
		return errNotSVG("the root is not an svg element of the SVG namespace")
	case !hasAttr(root, "viewBox"):
		return errNotSVG("no viewBox")
	case drawn == 0:
		return errNotSVG("it draws nothing")
	}
	return nil
}

type errNotSVG string

func (e errNotSVG) Error() string { return string(e) }

func hasAttr(se *xml.StartElement, name string) bool {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

package tools

import (
	"context"
	"embed"
	"encoding/base64"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Icons (MCP 2025-11-25, "Icons"): the server's, and those of the
// resources, the resource template and the prompt, so that hosts that show
// them can. Each is a small SVG in icons/, drawn for a light background;
// its dark variant swaps the stroke colour. Each goes as a data URI, twice
// (theme light and dark, for hosts that pick by their background), and its
// bytes are paid in every listing that carries it: the tools have none (a
// data URI an entry, which JSON cannot share, would cost every session
// about 2 KB of catalogue), and TestIcons holds each data URI to
// maxIconBytes.

//go:embed icons/*.svg
var iconFiles embed.FS

// iconInk is the stroke colour of the icons as drawn (for a light
// background), and iconInkDark that of their dark variants.
const (
	iconInk     = `stroke="#1f2937"`
	iconInkDark = `stroke="#f3f4f6"`
)

// icons returns the light and dark variants of the icon name
// (icons/<name>.svg) as data URIs; a missing file is a bug of the build,
// which TestIcons catches, and gives no icon.
func icons(name string) []mcp.Icon {
	svg, err := iconFiles.ReadFile("icons/" + name + ".svg")
	if err != nil {
		return nil
	}
	light := string(svg)
	dark := strings.Replace(light, iconInk, iconInkDark, 1)
	return []mcp.Icon{
		{Src: svgDataURI(light), MIMEType: "image/svg+xml", Sizes: []string{"any"}, Theme: mcp.IconThemeLight},
		{Src: svgDataURI(dark), MIMEType: "image/svg+xml", Sizes: []string{"any"}, Theme: mcp.IconThemeDark},
	}
}

// svgDataURI is svg as a base64 data URI (RFC 2397).
func svgDataURI(svg string) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}

// leanServerInfo is a hook of every request that succeeds. From 2026-07-28
// mcp-go stamps the server's identity into the _meta of every result
// (io.modelcontextprotocol/serverInfo), icons and all: the icons' data URIs
// would add about 700 bytes to every result. The hook stamps it first,
// without the icons, on every result but server/discover's, where a client
// learns the icons once (as a legacy client does from initialize's).
func leanServerInfo(info mcp.Implementation) server.OnSuccessHookFunc {
	return func(ctx context.Context, _ any, method mcp.MCPMethod, _ any, result any) {
		if method == mcp.MethodServerDiscover {
			return
		}
		if p := server.RequestProtocolInfoFromContext(ctx); p == nil || !p.Modern {
			return
		}
		if md, ok := result.(mcp.ResultMetadata); ok {
			if meta := md.EnsureResultMeta(); meta.ServerInfo() == nil {
				meta.SetServerInfo(info)
			}
		}
	}
}

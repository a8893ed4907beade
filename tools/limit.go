package tools

import (
	"fmt"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// DefaultMaxResultBytes is Options.MaxResultBytes's default. Hosts drop
// oversized messages: the official TypeScript SDK's stdio transport drops
// any message over 10 MiB and closes the connection, and a result carries
// its JSON twice (structuredContent and the text block, the latter escaped
// once more as a JSON string). 1 MiB of JSON keeps a result far below that.
const DefaultMaxResultBytes = 1 << 20

// tooLargeError is a result over the size cap.
type tooLargeError struct {
	tool        string
	narrow      string // how to ask for less (Tool.narrow)
	size, limit int
}

func (e *tooLargeError) Error() string {
	how := e.narrow
	if how == "" {
		how = "this tool has no filter to narrow it: ask the user to check the data in the Alfe dashboard, or report it"
	}
	return fmt.Sprintf("The result of %s was too large to return: its JSON is %s (%d bytes), over this server's limit of %s, above which MCP hosts may drop the message. Narrow the request: %s.",
		e.tool, prose.ByteSize(e.size), e.size, prose.ByteSize(e.limit), how)
}

// checkSize returns a *tooLargeError when n bytes of JSON are over limit;
// narrow says how to ask for less.
func checkSize(tool, narrow string, n, limit int) error {
	if limit > 0 && n > limit {
		return &tooLargeError{tool: tool, narrow: narrow, size: n, limit: limit}
	}
	return nil
}

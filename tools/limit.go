package tools

import (
	"fmt"
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
		e.tool, byteSize(e.size), e.size, byteSize(e.limit), how)
}

// checkSize returns a *tooLargeError when n bytes of JSON are over limit;
// narrow says how to ask for less.
func checkSize(tool, narrow string, n, limit int) error {
	if limit > 0 && n > limit {
		return &tooLargeError{tool: tool, narrow: narrow, size: n, limit: limit}
	}
	return nil
}

// byteSize writes n as "1.5 MiB", "12 KiB" or "100 bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

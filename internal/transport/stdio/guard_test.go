package stdio

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRequestGuard reads through the guard, one byte at a time and in one
// go: accepted lines come out verbatim and in order; dropped ones are
// responded to on out.
func TestRequestGuard(t *testing.T) {
	long := strings.Repeat("x", maxStdioMessage+10)
	input := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		`not json`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`,
		long,
		`{"jsonrpc":"2.0","id":"s","method":"ping"}`,
		`{"jsonrpc":"2.0","id":[2],"method":"ping"}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":null,"method":"ping"}`,
		long + long,
		`{"jsonrpc":"2.0","id":-3,"method":"ping"}`, // no newline at the end
	}, "\n")
	want := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		`not json`,
		`{"jsonrpc":"2.0","id":"s","method":"ping"}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":null,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":-3,"method":"ping"}`,
	}, "\n")
	for _, tt := range []struct {
		name string
		r    func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			g := newRequestGuard(tt.r(strings.NewReader(input)), &lockedWriter{w: &out}, slog.New(slog.DiscardHandler))
			got, err := io.ReadAll(iotest.OneByteReader(g))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("passed on:\n%.500s\nwant:\n%s", got, want)
			}
			responses := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(responses) != 4 {
				t.Fatalf("%d responses, want 4 (two bad ids, two long lines):\n%s", len(responses), out.String())
			}
			for _, a := range responses {
				if !strings.HasPrefix(a, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: `) {
					t.Errorf("response %s", a)
				}
			}
		})
	}
}

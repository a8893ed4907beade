package prose

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii", "abcdef", 5, "abcde…"},
		{"empty", "", 0, ""},
		{"zero", "abc", 0, "…"},
		{"negative", "abc", -1, "…"},
		// "é" is 2 bytes, "€" 3, "𝄞" 4: a cut inside one backs up to its start.
		{"two-byte at the boundary", "abcé", 4, "abc…"},
		{"two-byte just fits", "abcé", 5, "abcé"},
		{"three-byte, cut after 1 of 3", "ab€x", 3, "ab…"},
		{"three-byte, cut after 2 of 3", "ab€x", 4, "ab…"},
		{"three-byte just fits", "ab€x", 5, "ab€…"},
		{"four-byte, cut after 3 of 4", "a𝄞b", 4, "a…"},
		{"only multi-byte", "ééé", 3, "é…"},
		{"invalid UTF-8 kept", "\x80\x80\x80\x80\x80\x80", 5, "\x80\x80…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clip(tt.s, tt.n)
			if got != tt.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			if utf8.ValidString(tt.s) && !utf8.ValidString(got) {
				t.Errorf("Clip(%q, %d) = %q cut a character in half", tt.s, tt.n, got)
			}
			if len(got) > max(tt.n, 0)+len(Ellipsis) {
				t.Errorf("Clip(%q, %d) is %d bytes, over n+len(Ellipsis)", tt.s, tt.n, len(got))
			}
		})
	}
}

// TestClipEveryBoundary cuts a text of 1- to 4-byte characters at every
// length: the result is always valid UTF-8 and a prefix of the text.
func TestClipEveryBoundary(t *testing.T) {
	s := strings.Repeat("aé€𝄞", 4)
	for n := range len(s) + 1 {
		got := Clip(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Clip(s, %d) = %q is not valid UTF-8", n, got)
		}
		if !strings.HasPrefix(s, strings.TrimSuffix(got, Ellipsis)) {
			t.Fatalf("Clip(s, %d) = %q is not a prefix of %q", n, got, s)
		}
	}
}

func TestByteSize(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, "0 bytes"},
		{1023, "1023 bytes"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{64 << 10, "64 KiB"},
		{1 << 20, "1 MiB"},
		{3 << 19, "1.5 MiB"},
		{1<<20 + 1, "1 MiB"},
	} {
		if got := ByteSize(tt.n); got != tt.want {
			t.Errorf("ByteSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

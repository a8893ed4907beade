// Package prose writes values as the words a person or a model reads in
// messages: text clipped to a size, and byte sizes. Every message of
// alfe-mcp that shows text of unbounded length clips it here, so that no
// message grows with its input and none cuts a UTF-8 character in half.
package prose

import (
	"strconv"
	"unicode/utf8"
)

// Ellipsis marks where Clip cut a text.
const Ellipsis = "…"

// Clip returns s when it is at most n bytes long; otherwise its first n
// bytes at most, cut before a UTF-8 character rather than inside one, and
// Ellipsis. The result is at most n+len(Ellipsis) bytes. A negative n
// counts as 0. Invalid UTF-8 stays as it is: the cut backs up at most
// utf8.UTFMax-1 bytes looking for the start of a character.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for back := 0; back < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); back++ {
		cut--
	}
	return s[:cut] + Ellipsis
}

// ByteSize writes n bytes as "1.5 MiB", "64 KiB" or "100 bytes": binary
// units, one decimal where it is not zero.
func ByteSize(n int) string {
	switch {
	case n >= 1<<20:
		return units(float64(n)/(1<<20)) + " MiB"
	case n >= 1<<10:
		return units(float64(n)/(1<<10)) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// units writes v with one decimal, without a trailing ".0".
func units(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

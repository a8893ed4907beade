package schemas

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// The argument types: each carries its rule once, for both ends. Its
// Constraints give the keywords of its JSON Schema (schemagen writes them,
// and fills the {keyword} phrases of the field's description from them);
// its check enforces the same values, with a message that names the
// argument and the rule. Every limit is one constant below.

// Limits on arguments, enforced before any request is made.
const (
	MaxIDLen         = 128      // integrationId and provider, in characters
	MaxVersionLen    = 64       // version, in characters
	MaxScopes        = 50       // scopes per OAuth request
	MaxScopeLen      = 256      // one scope, in bytes
	MaxConfigBytes   = 64 << 10 // config, as JSON
	MaxArgumentBytes = 96 << 10 // all arguments of one call, as JSON
	MaxWaitSeconds   = 50       // get_oauth_status waitSeconds
	MaxStatusLen     = 64       // list_integrations status, in characters
	MaxQueryLen      = 200      // get_registry query, in characters
)

// The character classes of ids and versions, as in a regular expression.
const (
	idFirst      = "A-Za-z0-9"
	idRest       = "A-Za-z0-9_.-"
	versionChars = "A-Za-z0-9._+-"
)

// IDPattern is the JSON Schema pattern of an ID; its length is bounded by
// MaxIDLen apart, as a bounded repetition would compile to MaxIDLen copies
// of its class.
const IDPattern = "^[" + idFirst + "][" + idRest + "]*$"

// VersionPattern is the JSON Schema pattern of a Version, empty included;
// its length is bounded by MaxVersionLen apart.
const VersionPattern = "^[" + versionChars + "]*$"

// Constraints are the JSON Schema keywords of an argument type (JSON Schema
// 2020-12, validation vocabulary). A zero field sets no keyword.
type Constraints struct {
	MinLength, MaxLength int     // a string's length, in characters
	Pattern              string  // a string's regular expression
	MaxItems             int     // an array's length
	Range                *[2]int // an integer's inclusive minimum and maximum
	// MaxBytes is the most bytes of the value as JSON. No keyword expresses
	// it; it fills the {maxBytes} phrase of a description, e.g. "64 KiB".
	MaxBytes int
}

// Constrained is an argument type that carries its rule.
type Constrained interface {
	Constraints() Constraints
}

// ID is the id of an integration or an OAuth provider, e.g. "github": 1 to
// MaxIDLen letters, digits, '_', '.' and '-', starting with a letter or
// digit (IDPattern). It is required wherever it appears.
type ID string

// Constraints are ID's schema keywords. No minLength: IDPattern already
// needs a first character, and every byte of tools/list counts (issue 13).
func (ID) Constraints() Constraints {
	return Constraints{MaxLength: MaxIDLen, Pattern: IDPattern}
}

// check validates the id given as argument arg.
func (id ID) check(arg string) error {
	switch v := string(id); {
	case v == "":
		return &ArgumentError{Argument: arg, Rule: "is required"}
	case len(v) > MaxIDLen:
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("is %d characters long, over the limit of %d", len(v), MaxIDLen)}
	case !isID(v):
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("%q is not an id: use letters, digits, '_', '.' and '-', starting with a letter or digit (pattern ^[%s][%s]{0,%d}$)",
			v, idFirst, idRest, MaxIDLen-1)}
	}
	return nil
}

// isID reports whether v is an ID. (A regexp of ^[idFirst][idRest]{0,127}$
// compiles to 128 copies of the class: 2,500 allocations at every start.)
func isID(v string) bool {
	if len(v) == 0 || len(v) > MaxIDLen || !isAlnum(v[0]) {
		return false
	}
	for i := 1; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// Version is an integration's version, e.g. "1.0.3": at most MaxVersionLen
// letters, digits, '.', '_', '+' and '-' (VersionPattern); empty for the
// latest.
type Version string

// Constraints are Version's schema keywords.
func (Version) Constraints() Constraints {
	return Constraints{MaxLength: MaxVersionLen, Pattern: VersionPattern}
}

// check validates the version given as argument "version".
func (v Version) check() error {
	if v == "" || isVersion(string(v)) {
		return nil
	}
	return &ArgumentError{Argument: "version", Rule: fmt.Sprintf("%q is not a version: at most %d characters of letters, digits, '.', '_', '+' and '-', e.g. 1.0.3",
		prose.Clip(string(v), 80), MaxVersionLen)}
}

// isVersion reports whether a non-empty v is a Version.
func isVersion(v string) bool {
	if len(v) == 0 || len(v) > MaxVersionLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '.' && c != '_' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Config is an integration's configuration: a free-form JSON object of at
// most MaxConfigBytes. Numbers in it are json.Number, kept exact.
type Config map[string]any

// Constraints are Config's schema keywords.
func (Config) Constraints() Constraints { return Constraints{MaxBytes: MaxConfigBytes} }

// checkSize validates the size of raw, the JSON of the config given as
// argument arg.
func (Config) checkSize(arg string, raw []byte) error {
	if len(raw) > MaxConfigBytes {
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("is %d bytes of JSON, over the limit of %d (%s)", len(raw), MaxConfigBytes, prose.ByteSize(MaxConfigBytes))}
	}
	return nil
}

// Scopes are the OAuth scopes of a consent, e.g. ["repo", "read:org"]: at
// most MaxScopes, each 1 to MaxScopeLen bytes without commas, whitespace or
// control characters (the API joins them with commas).
type Scopes []string

// Constraints are Scopes' schema keywords.
func (Scopes) Constraints() Constraints { return Constraints{MaxItems: MaxScopes} }

// check validates the scopes given as argument "scopes".
func (scopes Scopes) check() error {
	if len(scopes) > MaxScopes {
		return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("has %d scopes, over the limit of %d", len(scopes), MaxScopes)}
	}
	for i, s := range scopes {
		switch {
		case s == "":
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %d is empty", i)}
		case len(s) > MaxScopeLen:
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %d is over %d characters", i, MaxScopeLen)}
		case strings.ContainsRune(s, ','):
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %q contains a comma; pass each scope as its own array item", prose.Clip(s, 80))}
		case strings.IndexFunc(s, unicode.IsSpace) >= 0:
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %q contains whitespace; pass each scope as its own array item", prose.Clip(s, 80))}
		case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %d contains control characters", i)}
		}
	}
	return nil
}

// WaitSeconds is how long get_oauth_status waits for a connection, in
// seconds: 0 (check once) to MaxWaitSeconds.
type WaitSeconds int

// Constraints are WaitSeconds' schema keywords.
func (WaitSeconds) Constraints() Constraints { return Constraints{Range: &[2]int{0, MaxWaitSeconds}} }

// check validates the wait given as argument "waitSeconds".
func (w WaitSeconds) check() error {
	if w < 0 || w > MaxWaitSeconds {
		return &ArgumentError{Argument: "waitSeconds", Rule: fmt.Sprintf("must be an integer from 0 to %d", MaxWaitSeconds)}
	}
	return nil
}

// StatusFilter is a status to filter installed integrations by, e.g.
// "active": at most MaxStatusLen characters; empty for all.
type StatusFilter string

// Constraints are StatusFilter's schema keywords.
func (StatusFilter) Constraints() Constraints { return Constraints{MaxLength: MaxStatusLen} }

// check validates the filter given as argument "status".
func (s StatusFilter) check() error { return checkLength("status", string(s), s.Constraints()) }

// Query is a text to search the registry for: at most MaxQueryLen
// characters; empty for all.
type Query string

// Constraints are Query's schema keywords.
func (Query) Constraints() Constraints { return Constraints{MaxLength: MaxQueryLen} }

// check validates the query given as argument "query".
func (q Query) check() error { return checkLength("query", string(q), q.Constraints()) }

// checkLength validates the length of v, given as argument arg, against c.
func checkLength(arg, v string, c Constraints) error {
	if n := utf8.RuneCountInString(v); n < c.MinLength || n > c.MaxLength {
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("must be %d to %d characters long", c.MinLength, c.MaxLength)}
	}
	return nil
}

package apiclient

import (
	"crypto/sha256"
	"errors"
)

// ErrInvalidKey is matched (errors.Is) by a *KeyError.
var ErrInvalidKey = errors.New("not an Alfe agent API key")

// KeyError is a key that cannot be an Alfe agent API key (see
// AssumedMinKeyLength): CheckKey's error, New's, and that of every call of a
// client holding such a key, which sends nothing. It never holds the key.
type KeyError struct {
	// Reason says what is wrong, for the person who configured the key,
	// e.g. "it has 5 characters; an Alfe agent API key has at least 16".
	Reason string
}

// Error reads "not an Alfe agent API key: " and the reason.
func (e *KeyError) Error() string { return ErrInvalidKey.Error() + ": " + e.Reason }

// Is reports whether target is ErrInvalidKey.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// CheckKey returns nil when key can be an Alfe agent API key: at least
// AssumedMinKeyLength characters of RFC 6750's b64token alphabet, not all of
// them characters of a number (assumptions.go says why, and what that
// guarantees about redaction). Otherwise it returns a *KeyError.
func CheckKey(key string) error {
	if key == "" {
		return &KeyError{Reason: "the key is empty"}
	}
	if flaw := assumedKeyFlaw(key); flaw != "" {
		return &KeyError{Reason: flaw}
	}
	return nil
}

// KeyFingerprint is the SHA-256 of the client's API key: what a caller
// keeps to tell whether two clients act for the same agent (e.g. which
// sessions share an agent's resource notifications), instead of the key.
// It is computed on each call; a client without a key has the fingerprint
// of the empty string.
func (c *Client) KeyFingerprint() [sha256.Size]byte { return sha256.Sum256([]byte(c.key)) }

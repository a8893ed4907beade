// Package logging builds alfe-mcp's slog logger: tint text or JSON on stderr
// (stdout carries the protocol in stdio mode), with secrets redacted from
// every record as a last line of defence.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
)

// Options configure New.
type Options struct {
	Level   string   // debug, info, warn, error
	Format  string   // text or json
	Color   bool     // colour the text format
	Secrets []string // strings replaced by [REDACTED] in every message and attribute
}

// New returns a logger writing to w.
func New(w io.Writer, opts Options) *slog.Logger {
	level := ParseLevel(opts.Level)
	var h slog.Handler
	if opts.Format == "json" {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	} else {
		h = tint.NewTextHandler(w, &tint.Options{Level: level, TimeFormat: time.TimeOnly, NoColor: !opts.Color})
	}
	var secrets []string
	for _, s := range opts.Secrets {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) > 0 {
		h = &redactHandler{next: h, secrets: secrets}
	}
	return slog.New(h)
}

// ParseLevel maps a level name to a slog level (info when unknown).
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// UseColor reports whether f is a terminal and NO_COLOR is unset or empty: tint does
// not detect either. Under an MCP host stderr is a pipe.
func UseColor(f *os.File, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// redactHandler replaces secrets in messages and string values.
type redactHandler struct {
	next    slog.Handler
	secrets []string
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.holdsSecret(r) {
		return h.next.Handle(ctx, r) // nothing to redact: no copy (issue 13)
	}
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.redact(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.redact(err.Error()))
		}
		return slog.String(a.Key, h.redact(v.String()))
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}

// holdsSecret reports whether a secret may be in r's message or attributes:
// false only when r has no attribute that attr would change (a string, an
// error, a group or any other value it formats) whose text holds a secret.
func (h *redactHandler) holdsSecret(r slog.Record) bool {
	if h.redact(r.Message) != r.Message {
		return true
	}
	found := false
	r.Attrs(func(a slog.Attr) bool {
		switch v := a.Value.Resolve(); v.Kind() {
		case slog.KindString:
			found = h.redact(v.String()) != v.String()
		case slog.KindGroup, slog.KindAny, slog.KindLogValuer:
			found = true // let attr look inside
		}
		return !found
	})
	return found
}

func (h *redactHandler) redact(s string) string {
	for _, secret := range h.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

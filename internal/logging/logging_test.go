package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const secret = "sk_live_0123456789abcdef"

// ansi starts every colour escape sequence.
const ansi = "\x1b["

func TestFormats(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		check  func(t *testing.T, out string)
		colour bool
	}{
		{"text", Options{Format: "text"}, func(t *testing.T, out string) {
			for _, want := range []string{"INF", "hello world", "tool=get_registry", "n=3"} {
				if !strings.Contains(out, want) {
					t.Errorf("text output lacks %q: %q", want, out)
				}
			}
		}, false},
		{"text is the default format", Options{}, func(t *testing.T, out string) {
			if !strings.Contains(out, "INF hello world") {
				t.Errorf("default output is not tint text: %q", out)
			}
		}, false},
		{"text in colour", Options{Format: "text", Color: true}, func(t *testing.T, out string) {
			if !strings.Contains(out, "hello world") {
				t.Errorf("output lacks the message: %q", out)
			}
		}, true},
		{"json", Options{Format: "json"}, func(t *testing.T, out string) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("not one JSON object: %v: %q", err, out)
			}
			if rec["msg"] != "hello world" || rec["level"] != "INFO" || rec["tool"] != "get_registry" || rec["n"] != 3.0 {
				t.Errorf("record %v", rec)
			}
			if _, ok := rec["time"]; !ok {
				t.Errorf("record has no time: %v", rec)
			}
		}, false},
		{"json with secrets", Options{Format: "json", Secrets: []string{secret}}, func(t *testing.T, out string) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(out), &rec); err != nil {
				t.Fatalf("not one JSON object: %v: %q", err, out)
			}
			if rec["msg"] != "hello world" || rec["n"] != 3.0 {
				t.Errorf("record %v: redaction must keep non-string values", rec)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			New(&buf, tt.opts).Info("hello world", "tool", "get_registry", "n", 3)
			out := buf.String()
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
				t.Errorf("want exactly one line, got %q", out)
			}
			if got := strings.Contains(out, ansi); got != tt.colour {
				t.Errorf("colour escapes present %v, want %v: %q", got, tt.colour, out)
			}
			tt.check(t, out)
		})
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		level string
		want  []string // messages that get through
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"warn", []string{"w", "e"}},
		{"error", []string{"e"}},
		{"", []string{"i", "w", "e"}},
		{"bogus", []string{"i", "w", "e"}},
	}
	for _, format := range []string{"text", "json"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.level, func(t *testing.T) {
				var buf bytes.Buffer
				// With and without the redacting handler in front.
				for _, secrets := range [][]string{nil, {secret}} {
					buf.Reset()
					log := New(&buf, Options{Level: tt.level, Format: format, Secrets: secrets})
					log.Debug("d")
					log.Info("i")
					log.Warn("w")
					log.Error("e")
					var got []string
					for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
						if line == "" {
							continue
						}
						switch {
						case format == "json":
							var rec struct{ Msg string }
							if err := json.Unmarshal([]byte(line), &rec); err != nil {
								t.Fatalf("line %q: %v", line, err)
							}
							got = append(got, rec.Msg)
						default:
							got = append(got, line[strings.LastIndexByte(line, ' ')+1:])
						}
					}
					if strings.Join(got, ",") != strings.Join(tt.want, ",") {
						t.Errorf("secrets %v: logged %v, want %v", secrets, got, tt.want)
					}
					ctx := context.Background()
					if log.Enabled(ctx, slog.LevelDebug) != (tt.level == "debug") {
						t.Errorf("Enabled(debug) = %v", log.Enabled(ctx, slog.LevelDebug))
					}
				}
			})
		}
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"DEBUG", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"warning", slog.LevelWarn},
		{"Error", slog.LevelError},
		{"", slog.LevelInfo},
		{"trace", slog.LevelInfo},
	}
	for _, tt := range tests {
		if got := ParseLevel(tt.in); got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// stringer and valuer carry the secret through fmt and LogValue.
type stringer struct{}

func (stringer) String() string { return "token=" + secret }

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("Bearer " + secret) }

type groupValuer struct{}

func (groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("header", "Bearer "+secret), slog.Int("n", 1))
}

func TestRedaction(t *testing.T) {
	const other = "second-secret-value"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		keep []string // must still be in the output
	}{
		{"message", func(l *slog.Logger) { l.Info("key is " + secret + " ok") }, []string{"key is [REDACTED] ok"}},
		{"string attr", func(l *slog.Logger) { l.Info("m", "auth", "Bearer "+secret) }, []string{"Bearer [REDACTED]"}},
		{"error attr", func(l *slog.Logger) {
			l.Info("m", "error", fmt.Errorf("GET /x?key=%s: %w", secret, errors.New("refused")))
		}, []string{"key=[REDACTED]: refused"}},
		{"slog.Any error", func(l *slog.Logger) { l.Info("m", slog.Any("err", errors.New(secret))) }, []string{"[REDACTED]"}},
		{"group", func(l *slog.Logger) {
			l.Info("m", slog.Group("req", slog.String("auth", secret), slog.Int("status", 401)))
		}, []string{"[REDACTED]", "401"}},
		{"nested group", func(l *slog.Logger) {
			l.Info("m", slog.Group("a", slog.Group("b", slog.String("c", "x"+secret+"y"), slog.Any("e", errors.New(secret)))))
		}, []string{"x[REDACTED]y"}},
		{"WithAttrs", func(l *slog.Logger) { l.With("key", secret, "tool", "t").Info("m") }, []string{"[REDACTED]", "t"}},
		{"WithAttrs group", func(l *slog.Logger) { l.With(slog.Group("g", "key", secret)).Info("m") }, []string{"[REDACTED]"}},
		{"WithGroup", func(l *slog.Logger) { l.WithGroup("g").With("k1", secret).Info("m", "k2", secret) }, []string{"[REDACTED]"}},
		{"Stringer", func(l *slog.Logger) { l.Info("m", "v", stringer{}) }, []string{"token=[REDACTED]"}},
		{"LogValuer", func(l *slog.Logger) { l.Info("m", "v", valuer{}) }, []string{"Bearer [REDACTED]"}},
		{"LogValuer group", func(l *slog.Logger) { l.Info("m", "v", groupValuer{}) }, []string{"Bearer [REDACTED]"}},
		{"map", func(l *slog.Logger) { l.Info("m", "v", map[string]string{"Authorization": secret}) }, []string{"[REDACTED]"}},
		{"LogAttrs", func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelWarn, secret, slog.String("a", secret))
		}, []string{"[REDACTED]"}},
		{"repeated and both secrets", func(l *slog.Logger) { l.Info(secret+secret, "x", other+"/"+secret) }, []string{"[REDACTED][REDACTED]", "[REDACTED]/[REDACTED]"}},
		{"non-string values kept", func(l *slog.Logger) { l.Info("m", "n", 42, "ok", true) }, []string{"42", "true"}},
	}
	for _, format := range []string{"text", "json"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				l := New(&buf, Options{Level: "debug", Format: format, Secrets: []string{"", secret, other}})
				tt.log(l)
				out := buf.String()
				if out == "" {
					t.Fatal("nothing logged")
				}
				if strings.Contains(out, secret) || strings.Contains(out, other) {
					t.Errorf("secret in output: %q", out)
				}
				for _, want := range tt.keep {
					// JSON escapes nothing here; text may quote values.
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q: %q", want, out)
					}
				}
			})
		}
	}
}

// TestNoSecrets checks empty secrets are ignored: nothing is redacted.
func TestNoSecrets(t *testing.T) {
	for _, secrets := range [][]string{nil, {}, {""}} {
		var buf bytes.Buffer
		New(&buf, Options{Format: "json", Secrets: secrets}).Info("plain message", "k", "v")
		if strings.Contains(buf.String(), "[REDACTED]") || !strings.Contains(buf.String(), "plain message") {
			t.Errorf("secrets %q: %q", secrets, buf.String())
		}
	}
}

// TestConcurrentLogging runs derived loggers from many goroutines (for
// -race) and checks every line arrives whole and redacted.
func TestConcurrentLogging(t *testing.T) {
	var buf lockedBuffer
	base := New(&buf, Options{Format: "json", Secrets: []string{secret}})
	const goroutines, lines = 8, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			l := base.With("g", g, "k", secret).WithGroup("grp")
			for i := range lines {
				l.Info("line "+secret, "i", i)
			}
		})
	}
	wg.Wait()
	out := buf.String()
	if n := strings.Count(out, "\n"); n != goroutines*lines {
		t.Errorf("%d lines, want %d", n, goroutines*lines)
	}
	if strings.Contains(out, secret) {
		t.Error("secret in output")
	}
}

func TestUseColor(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	closed, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	// /dev/null is a character device, as a terminal is: the one case that
	// gets colour, unless NO_COLOR says otherwise.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()

	tests := []struct {
		name    string
		f       *os.File
		noColor string
		want    bool
	}{
		{"pipe", pw, "", false},
		{"temp file", file, "", false},
		{"closed file", closed, "", false},
		{"character device", devNull, "", true},
		{"character device with NO_COLOR", devNull, "1", false},
		{"pipe with NO_COLOR", pw, "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "NO_COLOR" {
					return tt.noColor
				}
				return ""
			}
			if got := UseColor(tt.f, getenv); got != tt.want {
				t.Errorf("UseColor = %v, want %v", got, tt.want)
			}
		})
	}
}

// lockedBuffer collects output safely across goroutines.
type lockedBuffer = testutil.SyncBuffer

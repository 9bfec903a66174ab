package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// TestBidiEscaped: bidirectional formatting characters in names and
// descriptions (from the spec or from live state) reach no text or
// Markdown view as they are: quoted values show them as \u escapes, free
// text as U+FFFD, as control characters already are.
func TestBidiEscaped(t *testing.T) {
	const rlo, lri, pdi = "\u202e", "\u2066", "\u2069"
	desired := stk(nil)
	f := filt("web", rl(1, "TCP", "10.0.0.0/24"))
	f.Name = "web" + rlo + "lanretni"
	f.Description = "line one " + lri + "x" + pdi + "\nline two " + rlo
	desired.Filters = append(desired.Filters, f)
	live := emptySnap()
	live.Filters = append(live.Filters, cloud.Filter{ID: "tmf-theirs" + rlo, Name: "theirs" + rlo + "cba", Status: cloud.StatusCreated})
	p := compute(t, desired, live, plan.Options{})
	if len(p.Unmanaged) == 0 {
		t.Fatal("the fixture has no unmanaged object")
	}
	views := map[string]func(*bytes.Buffer) error{
		"text":           func(b *bytes.Buffer) error { return Text(b, p, TextOptions{}) },
		"text multi":     func(b *bytes.Buffer) error { return TextMulti(b, []*plan.Plan{p, p}, TextOptions{}) },
		"markdown":       func(b *bytes.Buffer) error { return Markdown(b, p, MarkdownOptions{}) },
		"markdown multi": func(b *bytes.Buffer) error { return MarkdownMulti(b, []*plan.Plan{p, p}, MarkdownOptions{}) },
	}
	for name, render := range views {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if i := strings.IndexFunc(out, bidi); i >= 0 {
				t.Errorf("a bidirectional formatting character at byte %d:\n%s", i, out)
			}
			for _, want := range []string{`"web\u202elanretni"`, `\u2066x\u2069`, `"theirs\u202ecba"`} {
				if !strings.Contains(out, want) {
					t.Errorf("the view lacks %s:\n%s", want, out)
				}
			}
		})
	}
	if got := Clean("a" + rlo + "b\x1b"); got != "a\uFFFDb\uFFFD" {
		t.Errorf("Clean: %q", got)
	}
}

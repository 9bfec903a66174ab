package spec

import (
	"fmt"
	"sort"
	"strings"
)

// A Diagnostic is one problem in the spec: where it is, what is wrong and
// what to change.
type Diagnostic struct {
	Pos     Pos
	Message string
	// Hint says what to change; it may be empty when the message says it.
	Hint string
}

// String renders d as "file:line:col: message"; a position without a line
// (a whole file or a path given to -f) shows the file only.
func (d Diagnostic) String() string {
	return d.where() + ": " + d.Message
}

func (d Diagnostic) where() string {
	switch {
	case d.Pos.File == "":
		return "tmsync"
	case d.Pos.Line == 0:
		return d.Pos.File
	}
	return d.Pos.String()
}

// Diagnostics are all problems of one Load, sorted by file, line and column.
type Diagnostics []Diagnostic

// Error renders every diagnostic, each followed by its hint, one per line.
func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
		if d.Hint != "" {
			b.WriteString("\n  hint: ")
			b.WriteString(d.Hint)
		}
	}
	return b.String()
}

// sorted returns ds ordered by position then message, without exact
// duplicates (an alias expanded twice reports its node twice).
func (ds Diagnostics) sorted() Diagnostics {
	out := append(Diagnostics(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		return a.Message < b.Message
	})
	n := 0
	for i, d := range out {
		if i > 0 && d == out[n-1] {
			continue
		}
		out[n] = d
		n++
	}
	return out[:n]
}

// diags collects diagnostics while loading.
type diags struct{ list Diagnostics }

func (ds *diags) add(p Pos, hint, format string, args ...any) {
	ds.list = append(ds.list, Diagnostic{Pos: p, Message: fmt.Sprintf(format, args...), Hint: hint})
}

package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// longValue is the width past which a value is shown as a line diff rather
// than as "before -> after" on one line.
const longValue = 60

// absent is how a value that one side does not have reads.
const absent = "(none)"

// short returns the one-line form of a JSON value: strings quoted (so that
// control characters from live state cannot reach the terminal), lists and
// maps with sorted keys.
func short(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(v)
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = short(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(v)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = quote(k) + ": " + short(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		// Only JSON values reach here (see normalize); keep any other
		// readable rather than fail a whole plan over it.
		return quote(fmt.Sprint(v))
	}
}

// long reports whether v is shown as a line diff.
func long(v any) bool {
	if s, ok := v.(string); ok && strings.Contains(s, "\n") {
		return true
	}
	return len(short(v)) > longValue
}

// lines returns the form of v that a line diff compares: one list item, map
// entry or line of text per line.
func lines(v any) []string {
	switch v := v.(type) {
	case string:
		parts := strings.Split(v, "\n")
		for i, p := range parts {
			parts[i] = quote(p)
		}
		return parts
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = short(x)
		}
		return out
	case map[string]any:
		keys := sortedKeys(v)
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = quote(k) + ": " + short(v[k])
		}
		return out
	default:
		return []string{short(v)}
	}
}

// A diffLine is one line of a line diff: op is ' ', '-' or '+'.
type diffLine struct {
	op   byte
	text string
}

// lineDiff compares the line forms of a field's two sides.
func lineDiff(f field) []diffLine {
	var a, b []string
	if f.hasBefore {
		a = lines(f.before)
	}
	if f.hasAfter {
		b = lines(f.after)
	}
	dmp := diffmatchpatch.New()
	// No deadline: values are small, and a deadline would make the output
	// depend on the machine's speed.
	dmp.DiffTimeout = 0
	ta, tb, index := dmp.DiffLinesToChars(joinLines(a), joinLines(b))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ta, tb, false), index)
	var out []diffLine
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l == "" {
				continue
			}
			out = append(out, diffLine{op: op, text: strings.TrimSuffix(l, "\n")})
		}
	}
	return out
}

func joinLines(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// quote returns s as a JSON string without HTML escaping, with control
// characters (as JSON does) and bidirectional formatting characters written
// as \u escapes: a name from live state can neither move the terminal's
// cursor nor reorder what a reviewer reads around it.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Sprintf("%q", s)
	}
	q := strings.TrimSuffix(b.String(), "\n")
	if !strings.ContainsFunc(q, bidi) {
		return q
	}
	var out strings.Builder
	for _, r := range q {
		if bidi(r) {
			fmt.Fprintf(&out, "\\u%04x", r)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// clean makes free text from the plan (notes, gaps, which may quote live
// names) safe to print: control characters and bidirectional formatting
// characters become U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || bidi(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// Clean is clean for the lines other packages print from what the API or a
// plan says (progress lines of an apply): control characters and
// bidirectional formatting characters become U+FFFD.
func Clean(s string) string { return clean(s) }

// bidi reports whether r is a bidirectional formatting character: the
// embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069, and
// the marks U+200E, U+200F and U+061C. Text holding them reads in another
// order than it is (CVE-2021-42574), so no view shows them as they are.
func bidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

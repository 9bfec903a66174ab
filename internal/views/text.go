package views

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/tmsync/tmsync/internal/plan"
)

// TextOptions change the text view.
type TextOptions struct {
	// Color adds ANSI colours. Callers decide (see ColorEnabled); the view
	// never looks at the terminal or the environment itself.
	Color bool
	// Title heads each stack; empty is "tmsync plan".
	Title string
}

// maxUnmanagedText is how many unmanaged objects the text view lists: they
// are reported on every run, and a busy region would bury the plan. The JSON
// view lists them all.
const maxUnmanagedText = 20

// Text writes p for a terminal: a header naming the stack, region and
// endpoint; one block per object with Terraform's symbols (+ create,
// ~ update, - delete, -/+ replace), its reasons in brackets and its changed
// fields; rules under their filter; gaps, notes and unmanaged objects; and
// last the line "Plan: N to add, N to change, N to destroy." or
// "No changes.".
func Text(w io.Writer, p *plan.Plan, o TextOptions) error {
	return TextMulti(w, []*plan.Plan{p}, o)
}

// TextMulti writes several plans (one per stack), each as Text writes it,
// and, when there is more than one, a closing line that counts the stacks
// with and without changes.
func TextMulti(w io.Writer, ps []*plan.Plan, o TextOptions) error {
	t := &textWriter{color: o.Color}
	withChanges := 0
	for i, p := range ps {
		d, err := newDocument(p)
		if err != nil {
			return fmt.Errorf("render plan of stack %s: %w", p.Stack, err)
		}
		d.title = o.Title
		if i > 0 {
			t.line("")
		}
		t.plan(d)
		if !d.empty() {
			withChanges++
		}
	}
	if len(ps) > 1 {
		t.line("")
		t.line(t.bold(fmt.Sprintf("%s: %d with changes, %d with no changes.",
			plural(len(ps), "stack"), withChanges, len(ps)-withChanges)))
	}
	_, err := w.Write(t.buf.Bytes())
	return err
}

// ANSI colours, used only when asked for.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

type textWriter struct {
	buf   bytes.Buffer
	color bool
}

func (t *textWriter) line(s string) {
	t.buf.WriteString(s)
	t.buf.WriteByte('\n')
}

func (t *textWriter) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) bold(s string) string { return t.paint(ansiBold, s) }

// mark returns the symbol of an action or a diff op, coloured.
func (t *textWriter) mark(sym string) string {
	switch sym {
	case "+":
		return t.paint(ansiGreen, sym)
	case "-":
		return t.paint(ansiRed, sym)
	case "~":
		return t.paint(ansiYellow, sym)
	case "-/+":
		return t.paint(ansiRed, "-") + "/" + t.paint(ansiGreen, "+")
	}
	return sym
}

func (t *textWriter) plan(d *document) {
	t.line(t.bold(header(d)))
	objs, traffic := trafficOf(d, d.objects())
	for _, o := range objs {
		t.line("")
		t.object(o)
		t.traffic(traffic[o])
	}
	if len(d.Gaps) > 0 {
		t.line("")
		for _, g := range d.Gaps {
			t.line(t.paint(ansiBold+ansiYellow, "Warning:") + " " + clean(g))
		}
	}
	if len(d.Notes) > 0 {
		t.line("")
		for _, n := range d.Notes {
			t.line(t.bold("Note:") + " " + clean(n))
		}
	}
	if len(d.Unmanaged) > 0 {
		t.line("")
		t.line(fmt.Sprintf("Unmanaged objects in %s (reported, never changed):", d.Region))
		for i, u := range d.Unmanaged {
			if i == maxUnmanagedText {
				t.line(fmt.Sprintf("  ... and %d more (--format json lists them all)", len(d.Unmanaged)-i))
				break
			}
			t.line("  " + unmanagedLine(u))
		}
	}
	t.line("")
	t.line(t.bold(summaryLine(d)))
}

func (t *textWriter) object(o *object) {
	if o.change == nil {
		// Only rules change: the filter itself is not a change.
		t.line("    " + o.address.String())
	} else {
		t.heading(2, o.change, o.address.String())
		t.fields(6, o.change)
		for _, l := range o.change.sourceLines() {
			t.line(pad(6) + "  " + t.mark(l[:1]) + l[1:])
		}
	}
	for _, e := range ruleEntries(o.rules) {
		switch {
		case e.change != nil:
			t.heading(6, e.change, ruleLabel(e.change.Address))
			t.fields(10, e.change)
		case len(e.moves) == 1:
			t.heading(6, e.moves[0], e.moves[0].moveText(true))
		default:
			t.heading(6, swapHeading(e.moves), swapText(e.moves[0]))
			for _, m := range e.moves {
				t.line(pad(10) + headingText(&docChange{ID: m.ID}, m.moveText(false)))
			}
		}
	}
}

func (t *textWriter) heading(indent int, c *docChange, label string) {
	t.line(pad(indent) + t.mark(actionMark(c.Action)) + " " + headingText(c, label))
}

func (t *textWriter) fields(indent int, c *docChange) {
	fs := c.fields()
	if len(fs) == 0 && c.Action == plan.Update && len(c.Sources) == 0 {
		t.line(pad(indent) + "(only tmsync's ownership tags change)")
		return
	}
	for _, f := range fs {
		sym := fieldMark(f)
		if !long(f.before) && !long(f.after) {
			t.line(pad(indent) + t.mark(sym) + " " + f.name + ": " + oneLine(f))
			continue
		}
		t.line(pad(indent) + t.mark(sym) + " " + f.name + ":")
		for _, l := range lineDiff(f) {
			switch l.op {
			case '-':
				t.line(pad(indent+2) + t.paint(ansiRed, "- "+l.text))
			case '+':
				t.line(pad(indent+2) + t.paint(ansiGreen, "+ "+l.text))
			default:
				t.line(pad(indent+2) + "  " + l.text)
			}
		}
	}
}

// oneLine is a short field's change: the value of a field only one side
// has, or "before -> after".
func oneLine(f field) string {
	switch {
	case f.hasBefore && f.hasAfter:
		return short(f.before) + " -> " + short(f.after)
	case f.hasAfter:
		return short(f.after)
	default:
		return short(f.before)
	}
}

// header is the first line of a plan in every view.
func header(d *document) string {
	return fmt.Sprintf("%s: stack %s, region %s, endpoint %s", titled(d.title), clean(d.Stack), clean(d.Region), endpointName(d.Endpoint))
}

func endpointName(e string) string {
	if e == "" {
		return "(default for the region)"
	}
	return clean(e)
}

// headingText is an object's label, ID and reasons: filter.web (tmf-1) [drift].
func headingText(c *docChange, label string) string {
	s := label
	if c.ID != "" {
		s += " (" + clean(c.ID) + ")"
	}
	if len(c.Reason) > 0 {
		s += " [" + strings.Join(c.Reason, ", ") + "]"
	}
	return s
}

func actionMark(action plan.Action) string {
	switch action {
	case plan.Create:
		return "+"
	case plan.Update:
		return "~"
	case plan.Delete:
		return "-"
	case plan.Replace:
		return "-/+"
	}
	return " "
}

// fieldMark is the symbol of one field: + only after, - only before, ~ both.
func fieldMark(f field) string {
	switch {
	case f.hasBefore && f.hasAfter:
		return "~"
	case f.hasAfter:
		return "+"
	default:
		return "-"
	}
}

func summaryLine(d *document) string {
	s := d.Summary
	if s == (plan.Summary{}) && d.empty() {
		return "No changes."
	}
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
}

func unmanagedLine(u plan.Unmanaged) string {
	s := u.Type.String() + " " + clean(u.ID)
	if u.Name != "" {
		s += " " + quote(u.Name)
	}
	if u.Stack != "" {
		return s + " (stack " + quote(u.Stack) + ")"
	}
	if u.Reason != "" {
		return s + " (not managed by tmsync: " + clean(u.Reason) + ")"
	}
	return s + " (not managed by tmsync)"
}

func pad(n int) string { return strings.Repeat(" ", n) }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

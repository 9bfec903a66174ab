package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/tmsync/tmsync/internal/plan"
)

// DefaultMaxBytes is the size cap of a Markdown comment: under GitHub's
// limit of 65,536 characters (a byte count is never below the character
// count), with room for a bot's own wrapping.
const DefaultMaxBytes = 65000

// maxCallout is how many destructive changes or gaps the warning at the top
// lists before it says how many more there are.
const maxCallout = 20

// MarkdownOptions change the Markdown view.
type MarkdownOptions struct {
	// MaxBytes caps the output; 0 means DefaultMaxBytes.
	MaxBytes int
	// Title heads the comment; empty is "tmsync plan".
	Title string
}

// Markdown writes p for a pull-request comment: a title naming the stack and
// region, a summary table, a warning that lists destructive changes and gaps
// first, then one <details> block per object holding a diff, then notes and
// unmanaged objects. It never writes more than o.MaxBytes: what does not fit
// is cut whole, block by block from the end, and a note at the bottom says
// how many changes of which kind were cut.
func Markdown(w io.Writer, p *plan.Plan, o MarkdownOptions) error {
	return MarkdownMulti(w, []*plan.Plan{p}, o)
}

// MarkdownMulti writes several plans (one per stack) as one comment: with
// more than one, a title and a table of all stacks come first, then each
// stack as Markdown writes it, under one size cap.
func MarkdownMulti(w io.Writer, ps []*plan.Plan, o MarkdownOptions) error {
	limit := o.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	docs := make([]*document, 0, len(ps))
	for _, p := range ps {
		d, err := newDocument(p)
		if err != nil {
			return fmt.Errorf("render plan of stack %s: %w", p.Stack, err)
		}
		d.title = o.Title
		docs = append(docs, d)
	}
	_, err := io.WriteString(w, layout(docs, limit))
	return err
}

// A mdSection is one stack's part of the comment. head and foot are always
// written; blocks are written in order while they fit.
type mdSection struct {
	stack  string
	total  int // changes in the plan
	head   string
	blocks []mdBlock
	foot   string
}

// A mdBlock is a part that may be cut; it holds changes (counted by action
// in the truncation note) or is a list of notes or unmanaged objects.
type mdBlock struct {
	text    string
	changes []*docChange
	what    string // for a block without changes: what is cut
}

func layout(docs []*document, limit int) string {
	var top string
	if len(docs) > 1 {
		top = multiHead(docs)
	}
	secs := make([]mdSection, len(docs))
	for i, d := range docs {
		secs[i] = section(d, len(docs) == 1)
	}

	full := top
	for _, s := range secs {
		full += s.head
		for _, b := range s.blocks {
			full += b.text
		}
		full += s.foot
	}
	if len(full) <= limit {
		return full
	}

	// Too long: keep every head and foot, and as many blocks, in order,
	// as fit beside the truncation note. The note is longest when all is
	// cut, so reserving that much always leaves room for it.
	fixed := len(top)
	for _, s := range secs {
		fixed += len(s.head) + len(s.foot)
	}
	budget := limit - fixed - len(truncationNote(secs, nil, limit))
	kept := make([][]bool, len(secs))
	full = ""
	stop := budget < 0
	for i, s := range secs {
		kept[i] = make([]bool, len(s.blocks))
		for j, b := range s.blocks {
			if stop || len(b.text) > budget {
				// Cut from here on, so that what is shown is a prefix
				// of the full comment and nothing in the middle is
				// silently missing.
				stop = true
				continue
			}
			budget -= len(b.text)
			kept[i][j] = true
		}
	}
	var out strings.Builder
	out.WriteString(top)
	for i, s := range secs {
		out.WriteString(s.head)
		for j, b := range s.blocks {
			if kept[i][j] {
				out.WriteString(b.text)
			}
		}
		out.WriteString(s.foot)
	}
	out.WriteString(truncationNote(secs, kept, limit))
	if out.Len() <= limit {
		return out.String()
	}
	return hardCut(out.String(), limit)
}

// hardCut is the last resort when even the parts that are always written do
// not fit (a tiny cap, or very many stacks): it cuts at a line end, where no
// code fence or <details> is open because heads hold none, and says so.
func hardCut(s string, limit int) string {
	note := fmt.Sprintf("\n> [!CAUTION]\n> **Output truncated** to stay under %d bytes; the full plan is in the job log.\n", limit)
	if len(note) > limit {
		return cutRunes(note, limit)
	}
	s = s[:limit-len(note)]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i+1]
	} else {
		s = ""
	}
	return s + note
}

// cutRunes returns the longest prefix of s of at most n bytes that does not
// split a UTF-8 sequence.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// truncationNote says what was cut; kept nil means everything.
func truncationNote(secs []mdSection, kept [][]bool, limit int) string {
	var lines []string
	for i, s := range secs {
		counts := map[plan.Action]int{}
		cut := 0
		var other []string
		for j, b := range s.blocks {
			if kept != nil && kept[i][j] {
				continue
			}
			for _, c := range b.changes {
				counts[c.Action]++
				cut++
			}
			if b.what != "" {
				other = append(other, b.what)
			}
		}
		if cut == 0 && len(other) == 0 {
			continue
		}
		var parts []string
		if cut > 0 {
			parts = append(parts, fmt.Sprintf("%d of %s not shown (%s)", cut, plural(s.total, "change"), actionCounts(counts)))
		}
		if len(other) > 0 {
			parts = append(parts, "the "+strings.Join(other, " and ")+" not shown")
		}
		line := strings.Join(parts, "; ")
		if len(secs) > 1 {
			line = "- stack " + mdCode(s.stack) + ": " + line
		} else {
			line = strings.ToUpper(line[:1]) + line[1:] + "."
		}
		lines = append(lines, line)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> [!CAUTION]\n> **Output truncated** to stay under %d bytes. ", limit)
	b.WriteString("The full plan is in the job log, or run `tmsync show` on the saved plan.\n")
	for _, l := range lines {
		b.WriteString(">\n> " + l + "\n")
	}
	return b.String()
}

// actionCounts reads like "3 to create, 1 to delete", in a fixed order.
func actionCounts(counts map[plan.Action]int) string {
	var parts []string
	for _, a := range []plan.Action{plan.Create, plan.Update, plan.Replace, plan.Delete} {
		if n := counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

func multiHead(docs []*document) string {
	var b strings.Builder
	withChanges := 0
	for _, d := range docs {
		if !d.empty() {
			withChanges++
		}
	}
	fmt.Fprintf(&b, "## %s: %s\n\n", titled(docs[0].title), plural(len(docs), "stack"))
	b.WriteString("| Stack | Region | Add | Change | Destroy | Gaps |\n|---|---|--:|--:|--:|--:|\n")
	for _, d := range docs {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", mdCode(d.Stack), mdCode(d.Region),
			d.Summary.Add, d.Summary.Change, d.Summary.Destroy, len(d.Gaps))
	}
	fmt.Fprintf(&b, "\n%s: %d with changes, %d with no changes.\n\n", plural(len(docs), "stack"),
		withChanges, len(docs)-withChanges)
	return b.String()
}

func section(d *document, single bool) mdSection {
	s := mdSection{stack: d.Stack, total: len(d.Changes)}
	var h strings.Builder
	fmt.Fprintf(&h, "### %s: stack %s, region %s\n\n", titled(d.title), mdCode(d.Stack), mdCode(d.Region))
	fmt.Fprintf(&h, "Endpoint %s · plan %s\n\n", mdCode(endpointName(d.Endpoint)), mdCode(d.PlanID))
	if single {
		h.WriteString("| Add | Change | Destroy | Gaps |\n|--:|--:|--:|--:|\n")
		fmt.Fprintf(&h, "| %d | %d | %d | %d |\n\n", d.Summary.Add, d.Summary.Change, d.Summary.Destroy, len(d.Gaps))
	}
	h.WriteString(callout(d))
	s.head = h.String()

	objs, traffic := trafficOf(d, d.objects())
	for _, o := range objs {
		s.blocks = append(s.blocks, detailsBlock(o, traffic[o]))
	}
	if len(d.Notes) > 0 {
		var b strings.Builder
		b.WriteString("**Notes**\n\n")
		for _, n := range d.Notes {
			b.WriteString("- " + mdText(n) + "\n")
		}
		b.WriteString("\n")
		s.blocks = append(s.blocks, mdBlock{text: b.String(), what: "notes"})
	}
	if len(d.Unmanaged) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "<details><summary>Unmanaged objects in %s (%d): reported, never changed</summary>\n\n",
			htmlText(d.Region), len(d.Unmanaged))
		for _, u := range d.Unmanaged {
			b.WriteString("- " + mdUnmanaged(u) + "\n")
		}
		b.WriteString("\n</details>\n\n")
		s.blocks = append(s.blocks, mdBlock{text: b.String(), what: "list of unmanaged objects"})
	}
	s.foot = "**" + summaryLine(d) + "**\n\n"
	return s
}

// callout lists what a reviewer must not miss: deletes, replaces and gaps.
func callout(d *document) string {
	var destructive []*docChange
	for i := range d.Changes {
		if d.Changes[i].destructive() {
			destructive = append(destructive, &d.Changes[i])
		}
	}
	if len(destructive) == 0 && len(d.Gaps) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("> [!WARNING]\n")
	if len(destructive) > 0 {
		fmt.Fprintf(&b, "> **This plan deletes or replaces %s:**\n>\n", plural(len(destructive), "object"))
		for i, c := range destructive {
			if i == maxCallout {
				fmt.Fprintf(&b, "> - … and %d more\n", len(destructive)-i)
				break
			}
			b.WriteString("> - " + mdCode(actionMark(c.Action)+" "+headingText(c, c.Address.String())) + "\n")
		}
	}
	if len(d.Gaps) > 0 {
		if len(destructive) > 0 {
			b.WriteString(">\n")
		}
		fmt.Fprintf(&b, "> **%s: traffic is not mirrored for a while:**\n>\n", plural(len(d.Gaps), "gap"))
		for i, g := range d.Gaps {
			if i == maxCallout {
				fmt.Fprintf(&b, "> - … and %d more\n", len(d.Gaps)-i)
				break
			}
			b.WriteString("> - " + mdText(g) + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// detailsBlock is one object in a <details> block holding a diff: + and -
// at the start of a line, so that GitHub colours them; the lines of its
// mirrored traffic (TrafficLines) come last.
func detailsBlock(o *object, traffic []string) mdBlock {
	var body []string
	var changes []*docChange
	summary := "<code>" + htmlText(o.address.String()) + "</code>"
	if o.change != nil {
		changes = append(changes, o.change)
		summary = "<code>" + htmlText(actionMark(o.change.Action)+" "+o.address.String()) + "</code>" +
			htmlText(headingText(o.change, ""))
		body = append(body, diffHeading(0, o.change, o.address.String()))
		body = append(body, diffFields(4, o.change)...)
		for _, l := range o.change.sourceLines() {
			body = append(body, "    "+l)
		}
	} else {
		body = append(body, "  "+o.address.String())
	}
	if len(o.rules) > 0 {
		summary += htmlText(" · " + plural(len(o.rules), "rule change"))
	}
	for _, e := range ruleEntries(o.rules) {
		switch {
		case e.change != nil:
			changes = append(changes, e.change)
			body = append(body, diffHeading(2, e.change, ruleLabel(e.change.Address)))
			body = append(body, diffFields(6, e.change)...)
		case len(e.moves) == 1:
			changes = append(changes, e.moves[0])
			body = append(body, diffHeading(2, e.moves[0], e.moves[0].moveText(true)))
		default:
			changes = append(changes, e.moves...)
			body = append(body, diffHeading(2, swapHeading(e.moves), swapText(e.moves[0])))
			for _, m := range e.moves {
				body = append(body, "  "+pad(6)+headingText(&docChange{ID: m.ID}, m.moveText(false)))
			}
		}
	}
	if len(traffic) > 0 {
		summary += htmlText(" · mirrored traffic changes")
		body = append(body, mdTraffic(traffic)...)
	}
	content := strings.Join(body, "\n") + "\n"
	fence := codeFence(content)
	text := "<details><summary>" + summary + "</summary>\n\n" +
		fence + "diff\n" + content + fence + "\n\n</details>\n\n"
	return mdBlock{text: text, changes: changes}
}

// diffHeading is an object's line in a diff block: the action's symbol in
// the first column (! for an update, which diff has no symbol for).
func diffHeading(indent int, c *docChange, label string) string {
	sym := actionMark(c.Action)
	if sym == "~" {
		sym = "!"
	}
	// -/+ is wider than the other symbols: take the extra width from the
	// indent, so that rules stay aligned.
	return sym + " " + pad(max(0, indent-len(sym)+1)) + headingText(c, label)
}

func diffFields(indent int, c *docChange) []string {
	fs := c.fields()
	if len(fs) == 0 && c.Action == plan.Update && len(c.Sources) == 0 {
		return []string{"  " + pad(indent) + "(only tmsync's ownership tags change)"}
	}
	var out []string
	for _, f := range fs {
		if !long(f.before) && !long(f.after) {
			if f.hasBefore {
				out = append(out, "- "+pad(indent)+f.name+": "+short(f.before))
			}
			if f.hasAfter {
				out = append(out, "+ "+pad(indent)+f.name+": "+short(f.after))
			}
			continue
		}
		sym := fieldMark(f)
		if sym == "~" {
			sym = "!"
		}
		out = append(out, sym+" "+pad(indent)+f.name+":")
		for _, l := range lineDiff(f) {
			out = append(out, string(l.op)+" "+pad(indent+2)+l.text)
		}
	}
	return out
}

// codeFence returns a fence longer than any run of backticks in s, so that
// a description holding ``` cannot close the block early.
func codeFence(s string) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// mdCode is s as inline code; backticks inside become quotes.
func mdCode(s string) string {
	return "`" + strings.ReplaceAll(clean(s), "`", "'") + "`"
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// htmlText escapes s for HTML (a <summary>).
func htmlText(s string) string { return htmlEscaper.Replace(clean(s)) }

// mdText is free text from the plan in Markdown: no HTML, and nothing that
// could ping people.
func mdText(s string) string {
	return strings.ReplaceAll(htmlText(s), "@", "@\u200b")
}

func mdUnmanaged(u plan.Unmanaged) string {
	s := u.Type.String() + " " + mdCode(u.ID)
	if u.Name != "" {
		s += " " + mdCode(quote(u.Name))
	}
	if u.Stack != "" {
		return s + " (stack " + mdCode(u.Stack) + ")"
	}
	if u.Reason != "" {
		return s + " (not managed by tmsync: " + mdText(u.Reason) + ")"
	}
	return s + " (not managed by tmsync)"
}

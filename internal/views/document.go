package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/tmsync/tmsync/internal/plan"
)

// FormatVersion is the version of the JSON documents JSON and JSONMulti
// write: the plan document's own (plan.FormatVersion). A minor bump only
// adds fields; a major bump breaks readers (as Terraform's format_version).
const FormatVersion = plan.FormatVersion

// A document is what the text and Markdown views render: the plan document
// (the same typed plan that JSON writes), with each change's values as
// plain JSON values, so that every view says the same thing.
type document struct {
	FormatVersion string
	Stack         string
	Region        string
	Endpoint      string
	PlanID        string
	Changes       []docChange
	Summary       plan.Summary
	Gaps          []string
	Notes         []string
	Unmanaged     []plan.Unmanaged
	Traffic       []plan.Traffic

	// title heads the text and Markdown views: "tmsync plan" unless the
	// command that renders is another (tmsync drift).
	title string
	steps int
}

// titled returns title, or "tmsync plan" when it is empty.
func titled(title string) string {
	if title == "" {
		return "tmsync plan"
	}
	return title
}

type docChange struct {
	Address plan.Addr
	Action  plan.Action
	Reason  []string
	ID      string
	// Before and After hold only JSON values (string, json.Number, bool,
	// nil, []any, map[string]any), decoded from the JSON of the change's
	// typed values: what the JSON view shows.
	Before map[string]any
	After  map[string]any
	// Sources are the selected sources of a session, each kept, added or
	// removed with why.
	Sources []plan.SourceChange
}

// newDocument builds the document of p.
func newDocument(p *plan.Plan) (*document, error) {
	d := &document{
		FormatVersion: FormatVersion,
		Stack:         p.Stack,
		Region:        p.Region,
		Endpoint:      p.Endpoint,
		PlanID:        p.ID,
		Changes:       make([]docChange, 0, len(p.Changes)),
		Summary:       p.Summary,
		Gaps:          append([]string{}, p.Gaps...),
		Notes:         append([]string{}, p.Notes...),
		Unmanaged:     append([]plan.Unmanaged{}, p.Unmanaged...),
		Traffic:       append([]plan.Traffic{}, p.Traffic...),
		steps:         len(p.Steps),
	}
	for _, c := range p.Changes {
		before, err := normalize(c.Before)
		if err != nil {
			return nil, fmt.Errorf("%s: before: %w", c.Addr, err)
		}
		after, err := normalize(c.After)
		if err != nil {
			return nil, fmt.Errorf("%s: after: %w", c.Addr, err)
		}
		reasons := make([]string, len(c.Reasons))
		for i, r := range c.Reasons {
			reasons[i] = string(r)
		}
		d.Changes = append(d.Changes, docChange{Address: c.Addr, Action: c.Action,
			Reason: reasons, ID: c.ID, Before: before, After: after, Sources: c.Sources})
	}
	return d, nil
}

// normalize turns an attribute map into plain JSON values through a JSON
// round trip: ints, []string and map[string]string of a fresh plan become
// what a decoded plan file holds. Numbers stay json.Number so that they
// print exactly.
func normalize(m *plan.Values) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

func (d *document) empty() bool {
	return d.steps == 0 && len(d.Changes) == 0
}

// destructive reports whether c deletes an object, alone or as part of a
// replace.
func (c *docChange) destructive() bool { return c.Action.Destructive() }

// An object is one reviewable block: a filter with the changes of its rules,
// a session, or the service. change is nil when only the rules of a filter
// change.
type object struct {
	address plan.Addr
	change  *docChange
	rules   []*docChange
}

// objects groups the changes of d, in plan order, so that rules are shown
// under their filter.
func (d *document) objects() []*object {
	var out []*object
	// open holds, per address, the object that rules of that address
	// join: not a delete, which would be a duplicate being removed.
	open := map[plan.Addr]*object{}
	for i := range d.Changes {
		c := &d.Changes[i]
		if c.Address.Kind == plan.KindRule {
			parent := c.Address.Unit()
			o := open[parent]
			if o == nil {
				o = &object{address: parent}
				out = append(out, o)
				open[parent] = o
			}
			o.rules = append(o.rules, c)
			continue
		}
		if o := open[c.Address]; o != nil && o.change == nil && c.Action != plan.Delete {
			o.change = c
			continue
		}
		o := &object{address: c.Address, change: c}
		out = append(out, o)
		if c.Action != plan.Delete {
			open[c.Address] = o
		}
	}
	return out
}

// ruleLabel returns a rule address relative to its filter:
// ingress[priority=3].
func ruleLabel(a plan.Addr) string {
	if a.Kind != plan.KindRule {
		return a.String()
	}
	return fmt.Sprintf("%s[priority=%d]", a.Dir, a.Priority)
}

// A field is one attribute of a change as it is shown.
type field struct {
	name                string
	before, after       any
	hasBefore, hasAfter bool
}

// fields returns the attributes of c worth showing, sorted by name: all of
// them for a create or delete, only those that differ otherwise. The id is
// left out: it is in the object's heading.
func (c *docChange) fields() []field {
	keys := map[string]bool{}
	for k := range c.Before {
		keys[k] = true
	}
	for k := range c.After {
		keys[k] = true
	}
	delete(keys, "id")
	if len(c.Sources) > 0 {
		delete(keys, "sources") // listed one by one, with why
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []field
	for _, k := range names {
		b, hb := c.Before[k]
		a, ha := c.After[k]
		// A create or delete shows every attribute of the side it has;
		// anything else shows what differs.
		if c.Before != nil && c.After != nil && hb == ha && reflect.DeepEqual(b, a) {
			continue
		}
		out = append(out, field{name: k, before: b, after: a, hasBefore: hb, hasAfter: ha})
	}
	return out
}

// sourceLines returns the lines that say how c's selected sources change:
// each added and removed ENI with why, and how many are kept.
func (c *docChange) sourceLines() []string {
	var out []string
	kept := 0
	for _, s := range c.Sources {
		switch s.Change {
		case plan.SourceAdd:
			out = append(out, "+ "+clean(s.ID)+" ("+clean(s.Why)+")")
		case plan.SourceRemove:
			out = append(out, "- "+clean(s.ID)+" ("+clean(s.Why)+")")
		default:
			kept++
		}
	}
	if kept > 0 && len(out) > 0 {
		out = append(out, fmt.Sprintf("  %d sources kept", kept))
	}
	return out
}

package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/tmsync/tmsync/internal/plan"
)

// FormatVersion is the version of the JSON document that JSON writes. A
// minor bump only adds fields; a major bump breaks readers (as Terraform's
// format_version).
const FormatVersion = "1.0"

// A document is the JSON view of one plan. The text and Markdown views are
// rendered from it, never from the plan directly, so that every view says
// the same thing. Field order is the key order of the output.
type document struct {
	FormatVersion string         `json:"format_version"`
	Stack         string         `json:"stack"`
	Region        string         `json:"region"`
	Endpoint      string         `json:"endpoint"`
	PlanID        string         `json:"plan_id"`
	Changes       []docChange    `json:"changes"`
	Steps         []docStep      `json:"steps"`
	Summary       docSummary     `json:"summary"`
	Gaps          []string       `json:"gaps"`
	Notes         []string       `json:"notes"`
	Unmanaged     []docUnmanaged `json:"unmanaged"`

	// title heads the text and Markdown views: "tmsync plan" unless the
	// command that renders is another (tmsync drift).
	title string
}

// titled returns title, or "tmsync plan" when it is empty.
func titled(title string) string {
	if title == "" {
		return "tmsync plan"
	}
	return title
}

type docChange struct {
	Address string   `json:"address"`
	Type    string   `json:"type"`
	Action  string   `json:"action"`
	Reason  []string `json:"reason"`
	ID      string   `json:"id,omitempty"`
	// Before and After hold only JSON values (string, json.Number, bool,
	// nil, []any, map[string]any): a fresh plan and one read back from a
	// file are the same document.
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
}

type docStep struct {
	ID          string   `json:"id"`
	Address     string   `json:"address"`
	Action      string   `json:"action"`
	DependsOn   []string `json:"depends_on"`
	ClientToken string   `json:"client_token,omitempty"`
}

type docSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

type docUnmanaged struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Stack string `json:"stack,omitempty"`
}

// newDocument builds the document of p. Slices are never nil, so that the
// JSON has [] rather than null for tools such as jq.
func newDocument(p *plan.Plan) (*document, error) {
	d := &document{
		FormatVersion: FormatVersion,
		Stack:         p.Stack,
		Region:        p.Region,
		Endpoint:      p.Endpoint,
		PlanID:        p.ID,
		Changes:       make([]docChange, 0, len(p.Changes)),
		Steps:         make([]docStep, 0, len(p.Steps)),
		Summary:       docSummary(p.Summary),
		Gaps:          append([]string{}, p.Gaps...),
		Notes:         append([]string{}, p.Notes...),
		Unmanaged:     make([]docUnmanaged, 0, len(p.Unmanaged)),
	}
	for _, c := range p.Changes {
		before, err := normalize(c.Before)
		if err != nil {
			return nil, fmt.Errorf("%s: before: %w", c.Address, err)
		}
		after, err := normalize(c.After)
		if err != nil {
			return nil, fmt.Errorf("%s: after: %w", c.Address, err)
		}
		reasons := make([]string, len(c.Reasons))
		for i, r := range c.Reasons {
			reasons[i] = string(r)
		}
		d.Changes = append(d.Changes, docChange{Address: c.Address, Type: c.Type, Action: string(c.Action),
			Reason: reasons, ID: c.ID, Before: before, After: after})
	}
	for _, s := range p.Steps {
		d.Steps = append(d.Steps, docStep{ID: s.ID, Address: s.Address, Action: s.Op,
			DependsOn: append([]string{}, s.DependsOn...), ClientToken: s.ClientToken})
	}
	for _, u := range p.Unmanaged {
		d.Unmanaged = append(d.Unmanaged, docUnmanaged(u))
	}
	return d, nil
}

// normalize turns an attribute map into plain JSON values through a JSON
// round trip: ints, []string and map[string]string of a fresh plan become
// what a decoded plan file holds. Numbers stay json.Number so that they
// print exactly.
func normalize(m map[string]any) (map[string]any, error) {
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
	return len(d.Steps) == 0 && len(d.Changes) == 0
}

// destructive reports whether c deletes an object, alone or as part of a
// replace.
func (c *docChange) destructive() bool {
	return c.Action == string(plan.Delete) || c.Action == string(plan.Replace)
}

// An object is one reviewable block: a filter with the changes of its rules,
// a session, or the service. change is nil when only the rules of a filter
// change.
type object struct {
	address string
	change  *docChange
	rules   []*docChange
}

// objects groups the changes of d, in plan order, so that rules are shown
// under their filter.
func (d *document) objects() []*object {
	var out []*object
	// open holds, per address, the object that rules of that address
	// join: not a delete, which would be a duplicate being removed.
	open := map[string]*object{}
	for i := range d.Changes {
		c := &d.Changes[i]
		if c.Type == plan.TypeRule {
			parent := ruleParent(c.Address)
			o := open[parent]
			if o == nil {
				o = &object{address: parent}
				out = append(out, o)
				open[parent] = o
			}
			o.rules = append(o.rules, c)
			continue
		}
		if o := open[c.Address]; o != nil && o.change == nil && c.Action != string(plan.Delete) {
			o.change = c
			continue
		}
		o := &object{address: c.Address, change: c}
		out = append(out, o)
		if c.Action != string(plan.Delete) {
			open[c.Address] = o
		}
	}
	return out
}

// ruleParent returns the filter address of a rule address:
// filter.web.ingress[priority=3] gives filter.web.
func ruleParent(addr string) string {
	for _, dir := range []string{".ingress[", ".egress["} {
		if i := strings.LastIndex(addr, dir); i >= 0 {
			return addr[:i]
		}
	}
	return addr
}

// ruleLabel returns a rule address relative to its filter.
func ruleLabel(addr string) string {
	p := ruleParent(addr)
	if p == addr {
		return addr
	}
	return addr[len(p)+1:]
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

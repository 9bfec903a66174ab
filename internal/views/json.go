package views

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tmsync/tmsync/internal/plan"
)

// JSON writes p as a versioned document for tools: format_version, stack,
// region, endpoint, plan_id, changes[] (address, type, action, reason, id,
// before, after), steps[] (id, address, action, depends_on, client_token),
// summary (add, change, destroy), gaps, notes and unmanaged. Keys come in
// that order, map keys sorted, indented by two spaces; lists are [] when
// empty, never null.
func JSON(w io.Writer, p *plan.Plan) error {
	d, err := newDocument(p)
	if err != nil {
		return fmt.Errorf("render plan of stack %s: %w", p.Stack, err)
	}
	return writeJSON(w, d)
}

// A multiDocument holds the plans of several stacks.
type multiDocument struct {
	FormatVersion string      `json:"format_version"`
	Plans         []*document `json:"plans"`
}

// JSONMulti writes several plans as one document: format_version and
// plans[], each as JSON writes it. It keeps that shape even for one plan, so
// that a tool reading the output of a command that may plan several stacks
// does not see the shape change when the spec gains a stack.
func JSONMulti(w io.Writer, ps []*plan.Plan) error {
	m := multiDocument{FormatVersion: FormatVersion, Plans: make([]*document, 0, len(ps))}
	for _, p := range ps {
		d, err := newDocument(p)
		if err != nil {
			return fmt.Errorf("render plan of stack %s: %w", p.Stack, err)
		}
		m.Plans = append(m.Plans, d)
	}
	return writeJSON(w, m)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Plans carry CIDRs, names and descriptions, never HTML: keep <, >
	// and & readable.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

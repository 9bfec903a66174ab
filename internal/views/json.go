package views

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tmsync/tmsync/internal/plan"
)

// JSON writes p's plan document for tools: format_version, plan_id, stack,
// region, endpoint, changes[] (address, type, action, reason, id, before,
// after), steps[] (id, address, unit, depends_on, client_token, op),
// summary (add, change, destroy), gaps, notes, unmanaged and traffic (what
// the plan changes in mirrored traffic, format 2.1). It is the document a
// saved plan carries. Keys come in that order, map keys sorted,
// indented by two spaces; lists are [] when empty, never null.
func JSON(w io.Writer, p *plan.Plan) error {
	if err := writeJSON(w, p); err != nil {
		return fmt.Errorf("render plan of stack %s: %w", p.Stack, err)
	}
	return nil
}

// A multiDocument holds the plans of several stacks.
type multiDocument struct {
	FormatVersion string       `json:"format_version"`
	Plans         []*plan.Plan `json:"plans"`
}

// JSONMulti writes several plans as one document: format_version and
// plans[], each as JSON writes it. It keeps that shape even for one plan, so
// that a tool reading the output of a command that may plan several stacks
// does not see the shape change when the spec gains a stack.
func JSONMulti(w io.Writer, ps []*plan.Plan) error {
	m := multiDocument{FormatVersion: FormatVersion, Plans: append([]*plan.Plan{}, ps...)}
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

package plan

import (
	"encoding/json"
	"fmt"
)

// FormatVersion is the version of the plan document: the JSON of a Plan,
// written by tmsync plan --format json and carried in saved plans. A minor
// version only adds fields.
const FormatVersion = "2.1"

// An Action says what happens to an object.
type Action string

// The actions, a closed set.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Delete  Action = "delete"
)

// Destructive reports whether the action deletes an object, alone or as
// part of a replace.
func (a Action) Destructive() bool { return a == Delete || a == Replace }

// A Reason explains why a change is planned. It never changes what is done.
type Reason string

// The reasons.
const (
	ReasonSpec      Reason = "spec"      // the spec asks for it
	ReasonDrift     Reason = "drift"     // changed outside tmsync since it last wrote
	ReasonAdopt     Reason = "adopt"     // an unowned object taken over by id
	ReasonOpen      Reason = "open"      // the service is opened in the region
	ReasonDuplicate Reason = "duplicate" // a second owned object with one key
	ReasonOrphan    Reason = "orphan"    // owned by the stack, gone from the spec
	ReasonSwap      Reason = "swap"      // rules reordered through a new filter
	ReasonGap       Reason = "gap"       // a rule is briefly absent (--allow-gap)
	ReasonMove      Reason = "move"      // a rule or session changes priority only
	ReasonIPVersion Reason = "ip-version"
	ReasonRename    Reason = "rename" // re-keyed by moved or a previous stack name
	ReasonFleet     Reason = "fleet"  // the ENIs a selector matches changed
	// ReasonMissing labels the create of a filter or session whose key has
	// no live object while the stack has others: deleted outside tmsync,
	// or added to the spec since the last apply. Live state cannot tell
	// which (no tag records the keys a stack was applied with), so it is
	// counted as drift.
	ReasonMissing Reason = "missing"
)

// A Change is one object's planned change, for review. Before and After are
// the object's reviewable values, built from the same typed values its
// steps send; nil when the object does not exist on that side.
type Change struct {
	Addr    Addr     `json:"address"`
	Type    Kind     `json:"type"`
	Action  Action   `json:"action"`
	Reasons []Reason `json:"reason"`
	ID      string   `json:"id,omitempty"`
	Before  *Values  `json:"before"`
	After   *Values  `json:"after"`
	// Sources lists, for a session whose sources are selected, each
	// source kept, added or removed, and why.
	Sources []SourceChange `json:"sources,omitempty"`
}

// HasReason reports whether r is one of c's reasons.
func (c Change) HasReason(r Reason) bool {
	for _, x := range c.Reasons {
		if x == r {
			return true
		}
	}
	return false
}

// Drifted reports whether the change may come from a change made outside
// tmsync: it is labelled drift, or missing.
func (c Change) Drifted() bool { return c.HasReason(ReasonDrift) || c.HasReason(ReasonMissing) }

// A Step is one API call: its op, the object it is for, the unit it
// belongs to, the steps it waits for and its client token.
type Step struct {
	// ID is unique in the plan; ID.Addr is the object the step is for.
	ID StepID
	// Unit is the object group that is never written in parallel: a filter
	// with its rules, a session, the service.
	Unit      Addr
	DependsOn []StepID
	// ClientToken is sent on every attempt; empty for ops that take none.
	ClientToken string
	Op          Op
}

// Addr returns the address of the object the step is for.
func (s *Step) Addr() Addr { return s.ID.Addr }

// Kind returns the kind of the step's op.
func (s *Step) Kind() OpKind { return s.Op.Kind() }

// stepJSON is a Step on the wire: its op is an object whose "op" member
// names the call ({"op": "create-filter", ...}).
type stepJSON struct {
	ID          StepID          `json:"id"`
	Address     Addr            `json:"address"`
	Unit        Addr            `json:"unit"`
	DependsOn   []StepID        `json:"depends_on"`
	ClientToken string          `json:"client_token,omitempty"`
	Op          json.RawMessage `json:"op"`
}

// MarshalJSON writes the step with its op tagged by kind.
func (s Step) MarshalJSON() ([]byte, error) {
	op, err := marshalOp(s.Op)
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", s.ID, err)
	}
	deps := s.DependsOn
	if deps == nil {
		deps = []StepID{}
	}
	return json.Marshal(stepJSON{ID: s.ID, Address: s.ID.Addr, Unit: s.Unit, DependsOn: deps,
		ClientToken: s.ClientToken, Op: op})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Step) UnmarshalJSON(b []byte) error {
	var j stepJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.ID.IsZero() {
		return fmt.Errorf("step without an id")
	}
	if j.Address != j.ID.Addr {
		return fmt.Errorf("step %s: address %s does not match its id", j.ID, j.Address)
	}
	op, err := unmarshalOp(j.Op)
	if err != nil {
		return fmt.Errorf("step %s: %w", j.ID, err)
	}
	if op.Kind() != j.ID.Op {
		return fmt.Errorf("step %s: op %s does not match its id", j.ID, op.Kind())
	}
	*s = Step{ID: j.ID, Unit: j.Unit, DependsOn: j.DependsOn, ClientToken: j.ClientToken, Op: op}
	return nil
}

// An Unmanaged object is in the region but owned by no stack this plan
// manages; it is reported, never changed.
type Unmanaged struct {
	Type  Kind   `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Stack string `json:"stack,omitempty"` // another stack's owner tag, if any
	// Reason says why an object whose tags claim it for tmsync is not
	// managed: tmsync did not write those tags. Empty for the others.
	Reason string `json:"reason,omitempty"`
}

// Summary counts changes the way Terraform does: replace counts as add and
// destroy, adopt as change, open as add.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// Count adds the change of one object with action a.
func (s *Summary) Count(a Action) {
	switch a {
	case Create:
		s.Add++
	case Update:
		s.Change++
	case Delete:
		s.Destroy++
	case Replace:
		s.Add++
		s.Destroy++
	}
}

// A Plan is the result of Compute, and the plan document: its JSON is what
// tmsync plan --format json writes and what a saved plan carries. Slices
// are never nil once computed or read.
type Plan struct {
	FormatVersion string      `json:"format_version"`
	ID            string      `json:"plan_id"`
	Stack         string      `json:"stack"`
	Region        string      `json:"region"`
	Endpoint      string      `json:"endpoint"`
	Changes       []Change    `json:"changes"`
	Steps         []Step      `json:"steps"`
	Summary       Summary     `json:"summary"`
	Gaps          []string    `json:"gaps"`
	Notes         []string    `json:"notes"`
	Unmanaged     []Unmanaged `json:"unmanaged"`
	// Traffic says how the plan changes what is mirrored (format 2.1).
	// Compute leaves it empty; internal/traffic fills it in.
	Traffic []Traffic `json:"traffic"`

	// Resolved are the sources each desired session has once the plan
	// ran, by session key, selectors resolved: what checks across the
	// stacks of a run count. Not part of the document.
	Resolved map[string][]string `json:"-"`
}

// DesiredSources returns the sources of each session the plan leaves, by
// session key, selectors resolved; nil for a plan read from a document.
func (p *Plan) DesiredSources() map[string][]string { return p.Resolved }

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// HasDrift reports whether any change is labelled drift or missing.
func (p *Plan) HasDrift() bool {
	for _, c := range p.Changes {
		if c.Drifted() {
			return true
		}
	}
	return false
}

// Step returns the step with id, or nil.
func (p *Plan) Step(id StepID) *Step {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

// normalize makes every slice of p non-nil, so that its JSON has [] for
// tools such as jq.
func (p *Plan) normalize() {
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	if p.Steps == nil {
		p.Steps = []Step{}
	}
	if p.Gaps == nil {
		p.Gaps = []string{}
	}
	if p.Notes == nil {
		p.Notes = []string{}
	}
	if p.Unmanaged == nil {
		p.Unmanaged = []Unmanaged{}
	}
	if p.Traffic == nil {
		p.Traffic = []Traffic{}
	}
	for i := range p.Changes {
		if p.Changes[i].Reasons == nil {
			p.Changes[i].Reasons = []Reason{}
		}
	}
}

// planJSON breaks the recursion of Plan's JSON methods.
type planJSON Plan

// MarshalJSON writes the plan document.
func (p Plan) MarshalJSON() ([]byte, error) {
	p.normalize()
	return json.Marshal(planJSON(p))
}

// UnmarshalJSON reads a plan document of this major version.
func (p *Plan) UnmarshalJSON(b []byte) error {
	var head struct {
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if major(head.FormatVersion) != major(FormatVersion) {
		return &VersionError{Got: head.FormatVersion}
	}
	var j planJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Plan(j)
	p.normalize()
	return nil
}

func major(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] == '.' {
			return v[:i]
		}
	}
	return v
}

// A VersionError is a plan document of another major format version.
type VersionError struct{ Got string }

func (e *VersionError) Error() string {
	return fmt.Sprintf("plan document format %q is not %s.x", e.Got, major(FormatVersion))
}

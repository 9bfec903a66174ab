package plan

import (
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
)

// FormatVersion is the version of the plan's JSON document.
const FormatVersion = "1"

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
)

// Object types of changes.
const (
	TypeFilter  = "filter"
	TypeRule    = "rule"
	TypeSession = "session"
	TypeService = "service"
)

// A Change is one object's planned change, for review.
type Change struct {
	Address string         `json:"address"`
	Type    string         `json:"type"`
	Action  Action         `json:"action"`
	Reasons []Reason       `json:"reason"`
	ID      string         `json:"id,omitempty"`
	Before  map[string]any `json:"before"`
	After   map[string]any `json:"after"`
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

// Step operations: one API call each.
const (
	OpOpenService   = "open"
	OpCreateFilter  = "create"
	OpUpdateFilter  = "update"
	OpDeleteFilter  = "delete"
	OpCreateRules   = "create-rules"
	OpUpdateRule    = "update-rule"
	OpDeleteRules   = "delete-rules"
	OpCreateSession = "create"
	OpUpdateSession = "update"
	OpDeleteSession = "delete"
	OpAddSources    = "add-sources"
	OpRemoveSources = "remove-sources"
	OpTag           = "tag"
	OpUntag         = "untag"
	OpMoveGroup     = "move-group"
)

// A Ref names an object a step writes or uses: its live ID, or the ID of
// the step that creates it in this plan.
type Ref struct {
	ID   string `json:"id,omitempty"`
	Step string `json:"step,omitempty"`
}

// Known reports whether the ID is known at plan time.
func (r Ref) Known() bool { return r.ID != "" }

func (r Ref) String() string {
	if r.ID != "" {
		return r.ID
	}
	// A step ID is <address>/<op>/<n>: the object is known by its address.
	addr, _, _ := strings.Cut(r.Step, "/")
	return "(new " + addr + ")"
}

// A Step is one API call.
type Step struct {
	// ID is <address>/<op>/<n>.
	ID      string `json:"id"`
	Address string `json:"address"`
	// Kind is TypeFilter, TypeRule, TypeSession or TypeService: which API
	// family the op belongs to.
	Kind string `json:"kind"`
	Op   string `json:"action"`
	// Unit is the object group that is never written in parallel: a filter
	// with its rules, a session, the service.
	Unit        string   `json:"unit"`
	DependsOn   []string `json:"depends_on"`
	ClientToken string   `json:"client_token,omitempty"`
	// Target is the object written.
	Target Ref `json:"target"`
	// Parent is the filter of a rule step.
	Parent *Ref   `json:"parent,omitempty"`
	Params Params `json:"params"`
}

// Params are what a step sends; only the fields of its op are set.
type Params struct {
	Name            *string      `json:"name,omitempty"`
	Description     *string      `json:"description,omitempty"`
	ResourceGroupID string       `json:"resource_group_id,omitempty"`
	Tags            cloud.Tags   `json:"tags,omitempty"`
	UntagKeys       []string     `json:"untag_keys,omitempty"`
	Ingress         []RuleSpec   `json:"ingress,omitempty"`
	Egress          []RuleSpec   `json:"egress,omitempty"`
	RuleIDs         []string     `json:"rule_ids,omitempty"`
	Rule            *RuleEdit    `json:"rule,omitempty"`
	Session         *SessionSpec `json:"session,omitempty"`
	Sources         []string     `json:"sources,omitempty"`
	// Address of the object a create makes (for ownership in views).
}

// A RuleSpec is a rule to create.
type RuleSpec struct {
	Priority   int    `json:"priority"`
	Action     string `json:"action"`
	Protocol   string `json:"protocol"`
	IPVersion  string `json:"ip_version"`
	SourceCIDR string `json:"source_cidr_block"`
	DestCIDR   string `json:"destination_cidr_block"`
	SourcePort string `json:"source_port_range,omitempty"`
	DestPort   string `json:"destination_port_range,omitempty"`
}

// Rule returns r as a cloud rule of direction dir.
func (r RuleSpec) Rule(dir string) cloud.Rule {
	return cloud.Rule{Direction: dir, Priority: r.Priority, Action: r.Action, Protocol: r.Protocol,
		IPVersion: r.IPVersion, SourceCIDR: r.SourceCIDR, DestCIDR: r.DestCIDR,
		SourcePort: r.SourcePort, DestPort: r.DestPort}
}

func ruleSpec(r cloud.Rule) RuleSpec {
	return RuleSpec{Priority: r.Priority, Action: r.Action, Protocol: r.Protocol, IPVersion: r.IPVersion,
		SourceCIDR: r.SourceCIDR, DestCIDR: r.DestCIDR, SourcePort: r.SourcePort, DestPort: r.DestPort}
}

// A RuleEdit is an in-place rule update; nil fields are unchanged.
type RuleEdit struct {
	Priority   *int    `json:"priority,omitempty"`
	Action     *string `json:"action,omitempty"`
	Protocol   *string `json:"protocol,omitempty"`
	SourceCIDR *string `json:"source_cidr_block,omitempty"`
	DestCIDR   *string `json:"destination_cidr_block,omitempty"`
	SourcePort *string `json:"source_port_range,omitempty"`
	DestPort   *string `json:"destination_port_range,omitempty"`
}

// A SessionSpec is a session create or update; on update nil fields are
// unchanged.
type SessionSpec struct {
	Filter       *Ref     `json:"filter,omitempty"`
	SourceIDs    []string `json:"source_ids,omitempty"`
	TargetID     *string  `json:"target_id,omitempty"`
	TargetType   *string  `json:"target_type,omitempty"`
	Priority     *int     `json:"priority,omitempty"`
	VNI          *int     `json:"virtual_network_id,omitempty"`
	PacketLength *int     `json:"packet_length,omitempty"`
	Enabled      *bool    `json:"enabled,omitempty"`
}

// An Unmanaged object is in the region but owned by no stack this plan
// manages; it is reported, never changed.
type Unmanaged struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Stack string `json:"stack,omitempty"` // another stack's owner tag, if any
}

// Summary counts changes the way Terraform does: replace counts as add and
// destroy, adopt as change, open as add.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// A Plan is the result of Compute.
type Plan struct {
	FormatVersion string      `json:"format_version"`
	ID            string      `json:"plan_id"`
	Stack         string      `json:"stack"`
	Region        string      `json:"region"`
	Endpoint      string      `json:"endpoint,omitempty"`
	Changes       []Change    `json:"changes"`
	Steps         []Step      `json:"steps"`
	Summary       Summary     `json:"summary"`
	Gaps          []string    `json:"gaps,omitempty"`
	Notes         []string    `json:"notes,omitempty"`
	Unmanaged     []Unmanaged `json:"unmanaged,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// HasDrift reports whether any change is labelled drift.
func (p *Plan) HasDrift() bool {
	for _, c := range p.Changes {
		if c.HasReason(ReasonDrift) {
			return true
		}
	}
	return false
}

// Step returns the step with id, or nil.
func (p *Plan) Step(id string) *Step {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

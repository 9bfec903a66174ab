package plan

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tmsync/tmsync/internal/cloud"
)

// An OpKind names one API call. Its properties are in one table, opKinds;
// nothing outside this file compares op names.
type OpKind uint8

// The API calls a plan makes.
const (
	OpOpenService OpKind = iota + 1
	OpCreateFilter
	OpUpdateFilter
	OpDeleteFilter
	OpCreateRules
	OpUpdateRule
	OpDeleteRules
	OpCreateSession
	OpUpdateSession
	OpDeleteSession
	OpAddSources
	OpRemoveSources
	OpTag
	OpUntag
	OpMoveGroup
)

type opInfo struct {
	name    string // in step IDs and JSON
	api     string // the API's action
	creates bool   // makes a new object: a repeat would duplicate it
	deletes bool   // removes objects: not found is done
	tokened bool   // takes a ClientToken
	dryRun  bool   // the API checks it with DryRun
	instant bool   // leaves no asynchronous status to wait out
	new     func() Op
}

var opKinds = [...]opInfo{
	OpOpenService: {name: "open-service", api: "OpenTrafficMirrorService", tokened: true, instant: true,
		new: func() Op { return &OpenService{} }},
	OpCreateFilter: {name: "create-filter", api: "CreateTrafficMirrorFilter", creates: true, tokened: true, dryRun: true,
		new: func() Op { return &CreateFilter{} }},
	OpUpdateFilter: {name: "update-filter", api: "UpdateTrafficMirrorFilterAttribute", tokened: true, dryRun: true,
		new: func() Op { return &UpdateFilter{} }},
	OpDeleteFilter: {name: "delete-filter", api: "DeleteTrafficMirrorFilter", deletes: true, tokened: true, dryRun: true,
		new: func() Op { return &DeleteFilter{} }},
	OpCreateRules: {name: "create-rules", api: "CreateTrafficMirrorFilterRules", tokened: true, dryRun: true,
		new: func() Op { return &CreateRules{} }},
	OpUpdateRule: {name: "update-rule", api: "UpdateTrafficMirrorFilterRuleAttribute", tokened: true, dryRun: true,
		new: func() Op { return &UpdateRule{} }},
	OpDeleteRules: {name: "delete-rules", api: "DeleteTrafficMirrorFilterRules", deletes: true, tokened: true, dryRun: true,
		new: func() Op { return &DeleteRules{} }},
	OpCreateSession: {name: "create-session", api: "CreateTrafficMirrorSession", creates: true, tokened: true, dryRun: true,
		new: func() Op { return &CreateSession{} }},
	OpUpdateSession: {name: "update-session", api: "UpdateTrafficMirrorSessionAttribute", tokened: true, dryRun: true,
		new: func() Op { return &UpdateSession{} }},
	OpDeleteSession: {name: "delete-session", api: "DeleteTrafficMirrorSession", deletes: true, tokened: true, dryRun: true,
		new: func() Op { return &DeleteSession{} }},
	OpAddSources: {name: "add-sources", api: "AddSourcesToTrafficMirrorSession", tokened: true, dryRun: true,
		new: func() Op { return &AddSources{} }},
	OpRemoveSources: {name: "remove-sources", api: "RemoveSourcesFromTrafficMirrorSession", tokened: true, dryRun: true,
		new: func() Op { return &RemoveSources{} }},
	OpTag:       {name: "tag", api: "TagResources", instant: true, new: func() Op { return &Tag{} }},
	OpUntag:     {name: "untag", api: "UnTagResources", instant: true, new: func() Op { return &Untag{} }},
	OpMoveGroup: {name: "move-group", api: "MoveResourceGroup", instant: true, new: func() Op { return &MoveGroup{} }},
}

func (k OpKind) info() opInfo {
	if int(k) < len(opKinds) {
		return opKinds[k]
	}
	return opInfo{}
}

func (k OpKind) String() string {
	if n := k.info().name; n != "" {
		return n
	}
	return "op(" + strconv.Itoa(int(k)) + ")"
}

// API returns the name of the API action the op calls.
func (k OpKind) API() string { return k.info().api }

// Creates reports whether the op makes a new object, so that sending it
// twice with different tokens would make two.
func (k OpKind) Creates() bool { return k.info().creates }

// Deletes reports whether the op removes objects; an object already gone
// counts as done.
func (k OpKind) Deletes() bool { return k.info().deletes }

// Tokened reports whether the API takes a ClientToken for the op. The
// others (tags, resource groups) are idempotent by value.
func (k OpKind) Tokened() bool { return k.info().tokened }

// Settles reports whether the object the op writes goes through an
// asynchronous status (Creating, Modifying, Deleting) to wait out.
func (k OpKind) Settles() bool { return k.info().name != "" && !k.info().instant }

// DryRunnable reports whether the API checks the op with DryRun=true.
func (k OpKind) DryRunnable() bool { return k.info().dryRun }

// MarshalText writes the op's name.
func (k OpKind) MarshalText() ([]byte, error) {
	if k.info().name == "" {
		return nil, fmt.Errorf("no such op %d", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads an op's name.
func (k *OpKind) UnmarshalText(b []byte) error {
	for i, info := range opKinds {
		if info.name != "" && info.name == string(b) {
			*k = OpKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown op %q", b)
}

// OpKinds returns every op kind, in declaration order.
func OpKinds() []OpKind {
	out := make([]OpKind, 0, len(opKinds))
	for i, info := range opKinds {
		if info.name != "" {
			out = append(out, OpKind(i))
		}
	}
	return out
}

// An Op is the one API call of a step, with what it sends. References to
// other objects are Refs, resolved when the step runs.
type Op interface {
	Kind() OpKind
	// Object is the object the call writes, or the filter whose rules it
	// writes; the zero Ref for a create and the service.
	Object() Ref
}

// OpenService opens the Traffic Mirror service of the region.
type OpenService struct{}

// CreateFilter creates a filter with its rules and tags in one call.
type CreateFilter struct {
	Name            string       `json:"name,omitempty"`
	Description     string       `json:"description,omitempty"`
	ResourceGroupID string       `json:"resourceGroupId,omitempty"`
	Tags            cloud.Tags   `json:"tags"`
	Ingress         []cloud.Rule `json:"ingress,omitempty"`
	Egress          []cloud.Rule `json:"egress,omitempty"`
}

// UpdateFilter changes a filter's name or description.
type UpdateFilter struct {
	Filter      Ref     `json:"filter"`
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// DeleteFilter deletes a filter.
type DeleteFilter struct {
	Filter Ref `json:"filter"`
}

// CreateRules adds the rules of both directions to a filter in one call.
type CreateRules struct {
	Filter  Ref          `json:"filter"`
	Ingress []cloud.Rule `json:"ingress,omitempty"`
	Egress  []cloud.Rule `json:"egress,omitempty"`
}

// UpdateRule changes one rule of a filter in place.
type UpdateRule struct {
	Filter Ref    `json:"filter"`
	RuleID string `json:"ruleId"`
	cloud.RulePatch
}

// DeleteRules deletes rules of a filter in one call.
type DeleteRules struct {
	Filter  Ref      `json:"filter"`
	RuleIDs []string `json:"ruleIds"`
}

// CreateSession creates a session with its sources and tags in one call.
type CreateSession struct {
	Filter Ref `json:"filter"`
	cloud.SessionSettings
}

// UpdateSession changes a session in place; a nil Filter is unchanged.
type UpdateSession struct {
	Session Ref  `json:"session"`
	Filter  *Ref `json:"filter,omitempty"`
	cloud.SessionPatch
}

// DeleteSession deletes a session.
type DeleteSession struct {
	Session Ref `json:"session"`
}

// AddSources adds at most MaxSourcesPerCall sources to a session.
type AddSources struct {
	Session Ref      `json:"session"`
	Sources []string `json:"sources"`
}

// RemoveSources removes at most MaxSourcesPerCall sources from a session.
type RemoveSources struct {
	Session Ref      `json:"session"`
	Sources []string `json:"sources"`
}

// Tag sets tags on a filter or a session (Resource is cloud.ResourceFilter
// or cloud.ResourceSession), and on Others of that type in the same call
// (at most MaxTagTargets in all).
type Tag struct {
	Resource string     `json:"resource"`
	Target   Ref        `json:"target"`
	Others   []Ref      `json:"others,omitempty"`
	Tags     cloud.Tags `json:"tags"`
}

// MaxTagTargets is the most resources one TagResources call takes.
const MaxTagTargets = 20

// Untag removes tag keys from a filter or a session.
type Untag struct {
	Resource string   `json:"resource"`
	Target   Ref      `json:"target"`
	Keys     []string `json:"keys"`
}

// MoveGroup moves a filter or a session to another resource group.
type MoveGroup struct {
	Resource        string `json:"resource"`
	Target          Ref    `json:"target"`
	ResourceGroupID string `json:"resourceGroupId"`
}

func (*OpenService) Kind() OpKind   { return OpOpenService }
func (*CreateFilter) Kind() OpKind  { return OpCreateFilter }
func (*UpdateFilter) Kind() OpKind  { return OpUpdateFilter }
func (*DeleteFilter) Kind() OpKind  { return OpDeleteFilter }
func (*CreateRules) Kind() OpKind   { return OpCreateRules }
func (*UpdateRule) Kind() OpKind    { return OpUpdateRule }
func (*DeleteRules) Kind() OpKind   { return OpDeleteRules }
func (*CreateSession) Kind() OpKind { return OpCreateSession }
func (*UpdateSession) Kind() OpKind { return OpUpdateSession }
func (*DeleteSession) Kind() OpKind { return OpDeleteSession }
func (*AddSources) Kind() OpKind    { return OpAddSources }
func (*RemoveSources) Kind() OpKind { return OpRemoveSources }
func (*Tag) Kind() OpKind           { return OpTag }
func (*Untag) Kind() OpKind         { return OpUntag }
func (*MoveGroup) Kind() OpKind     { return OpMoveGroup }

func (*OpenService) Object() Ref     { return Ref{} }
func (*CreateFilter) Object() Ref    { return Ref{} }
func (o *UpdateFilter) Object() Ref  { return o.Filter }
func (o *DeleteFilter) Object() Ref  { return o.Filter }
func (o *CreateRules) Object() Ref   { return o.Filter }
func (o *UpdateRule) Object() Ref    { return o.Filter }
func (o *DeleteRules) Object() Ref   { return o.Filter }
func (*CreateSession) Object() Ref   { return Ref{} }
func (o *UpdateSession) Object() Ref { return o.Session }
func (o *DeleteSession) Object() Ref { return o.Session }
func (o *AddSources) Object() Ref    { return o.Session }
func (o *RemoveSources) Object() Ref { return o.Session }
func (o *Tag) Object() Ref           { return o.Target }
func (o *Untag) Object() Ref         { return o.Target }
func (o *MoveGroup) Object() Ref     { return o.Target }

// Refs returns every object op names: what it writes and what it uses.
func Refs(op Op) []Ref {
	out := []Ref{}
	if r := op.Object(); r != (Ref{}) {
		out = append(out, r)
	}
	switch o := op.(type) {
	case *CreateSession:
		out = append(out, o.Filter)
	case *UpdateSession:
		if o.Filter != nil {
			out = append(out, *o.Filter)
		}
	case *Tag:
		out = append(out, o.Others...)
	}
	return out
}

// mapRefs returns a copy of op with every Ref replaced by f(ref).
func mapRefs(op Op, f func(Ref) Ref) Op {
	switch o := op.(type) {
	case *UpdateFilter:
		c := *o
		c.Filter = f(o.Filter)
		return &c
	case *DeleteFilter:
		return &DeleteFilter{Filter: f(o.Filter)}
	case *CreateRules:
		c := *o
		c.Filter = f(o.Filter)
		return &c
	case *UpdateRule:
		c := *o
		c.Filter = f(o.Filter)
		return &c
	case *DeleteRules:
		c := *o
		c.Filter = f(o.Filter)
		return &c
	case *CreateSession:
		c := *o
		c.Filter = f(o.Filter)
		return &c
	case *UpdateSession:
		c := *o
		c.Session = f(o.Session)
		if o.Filter != nil {
			r := f(*o.Filter)
			c.Filter = &r
		}
		return &c
	case *DeleteSession:
		return &DeleteSession{Session: f(o.Session)}
	case *AddSources:
		c := *o
		c.Session = f(o.Session)
		return &c
	case *RemoveSources:
		c := *o
		c.Session = f(o.Session)
		return &c
	case *Tag:
		c := *o
		c.Target = f(o.Target)
		c.Others = nil
		for _, r := range o.Others {
			c.Others = append(c.Others, f(r))
		}
		return &c
	case *Untag:
		c := *o
		c.Target = f(o.Target)
		return &c
	case *MoveGroup:
		c := *o
		c.Target = f(o.Target)
		return &c
	}
	return op
}

// marshalOp writes op as a JSON object whose "op" member names its kind.
func marshalOp(op Op) ([]byte, error) {
	if op == nil {
		return nil, fmt.Errorf("step has no op")
	}
	body, err := json.Marshal(op)
	if err != nil {
		return nil, err
	}
	name, _ := json.Marshal(op.Kind().String())
	out := append([]byte(`{"op":`), name...)
	if len(body) > 2 {
		out = append(out, ',')
		out = append(out, body[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// unmarshalOp reads what marshalOp wrote.
func unmarshalOp(b []byte) (Op, error) {
	var head struct {
		Op OpKind `json:"op"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, err
	}
	info := head.Op.info()
	if info.new == nil {
		return nil, fmt.Errorf("step has no op")
	}
	op := info.new()
	if err := json.Unmarshal(b, op); err != nil {
		return nil, fmt.Errorf("op %s: %w", head.Op, err)
	}
	return op, nil
}

// WithoutSource returns op (AddSources or CreateSession) without source
// id, and how many sources it keeps; ok is false for other ops.
func WithoutSource(op Op, id string) (out Op, left int, ok bool) {
	drop := func(ids []string) []string {
		var keep []string
		for _, x := range ids {
			if x != id {
				keep = append(keep, x)
			}
		}
		return keep
	}
	switch o := op.(type) {
	case *AddSources:
		c := *o
		c.Sources = drop(o.Sources)
		return &c, len(c.Sources), true
	case *CreateSession:
		c := *o
		c.SourceIDs = drop(o.SourceIDs)
		return &c, len(c.SourceIDs), true
	}
	return op, 0, false
}

// SourcesOf returns the sources op sends: those of AddSources and
// CreateSession, else none.
func SourcesOf(op Op) []string {
	switch o := op.(type) {
	case *AddSources:
		return o.Sources
	case *CreateSession:
		return o.SourceIDs
	}
	return nil
}

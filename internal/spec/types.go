package spec

import (
	"fmt"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
)

// A Pos is where a value was written: file, line and column (1-based).
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

func (p Pos) String() string {
	if p.File == "" {
		return "-"
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// A Stack is the desired state of one stack in one region, merged from all
// its files, with defaults applied and every value validated.
type Stack struct {
	Name            string     `json:"stack"`
	Region          string     `json:"region"`
	Version         int        `json:"version,omitempty"`
	Profile         string     `json:"profile,omitempty"`
	Tags            cloud.Tags `json:"tags,omitempty"`
	ResourceGroupID string     `json:"resource_group_id,omitempty"`
	// Service is nil when no file has a service block.
	Service *Service `json:"service,omitempty"`
	Limits  Limits   `json:"limits"`
	// Filters and Sessions are sorted by key.
	Filters        []*Filter  `json:"filters"`
	Sessions       []*Session `json:"sessions"`
	Moved          []Move     `json:"moved,omitempty"`
	PreviousStacks []string   `json:"previous_stacks,omitempty"`
	Files          []string   `json:"files"`
	Pos            Pos        `json:"-"`
	// Warnings are problems that do not stop a run, such as a region where
	// Traffic Mirror is not offered.
	Warnings Diagnostics `json:"-"`
}

// Service is the stack's service block.
type Service struct {
	Enabled bool `json:"enabled"`
	Pos     Pos  `json:"-"`
}

// Limits are the API limits the provider does not publish (contract C7).
type Limits struct {
	SourcesPerSession int `json:"sources_per_session"`
	// SessionsPerSource is 0 when unknown.
	SessionsPerSource int `json:"sessions_per_source,omitempty"`
}

// DefaultSourcesPerSession is the sources-per-session limit when the spec
// sets none.
const DefaultSourcesPerSession = 10

// A Move re-keys an object in place: From and To are addresses such as
// filter.old and filter.new.
type Move struct {
	From string `json:"from"`
	To   string `json:"to"`
	Pos  Pos    `json:"-"`
}

// A Filter is a desired filter. Name defaults to Key; Tags and
// ResourceGroupID already include the stack's defaults.
type Filter struct {
	Key             string     `json:"key"`
	Name            string     `json:"name"`
	Description     string     `json:"description,omitempty"`
	Tags            cloud.Tags `json:"tags,omitempty"`
	ResourceGroupID string     `json:"resource_group_id,omitempty"`
	Protect         bool       `json:"protect,omitempty"`
	// ID is set to adopt an existing filter (contract C3).
	ID      string `json:"id,omitempty"`
	Ingress []Rule `json:"ingress,omitempty"`
	Egress  []Rule `json:"egress,omitempty"`
	Pos     Pos    `json:"-"`
}

// Rules returns the rules of direction dir.
func (f *Filter) Rules(dir string) []Rule {
	if dir == cloud.Egress {
		return f.Egress
	}
	return f.Ingress
}

// A Rule is a desired filter rule, already in canonical form (contract C4).
type Rule struct {
	cloud.Rule
	Pos Pos `json:"-"`
}

// A Session is a desired session. Name defaults to Key; Tags and
// ResourceGroupID include the stack's defaults; Sources are sorted.
type Session struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Filter is a filter key of this stack, or FilterID is set to the ID
	// of a filter managed elsewhere.
	Filter          string     `json:"filter,omitempty"`
	FilterID        string     `json:"filter_id,omitempty"`
	TargetType      string     `json:"target_type"`
	TargetID        string     `json:"target_id"`
	Sources         []string   `json:"sources"`
	Priority        int        `json:"priority"`
	Enabled         bool       `json:"enabled"`
	PacketLength    int        `json:"packet_length"`
	VNI             *int       `json:"virtual_network_id,omitempty"`
	Tags            cloud.Tags `json:"tags,omitempty"`
	ResourceGroupID string     `json:"resource_group_id,omitempty"`
	Protect         bool       `json:"protect,omitempty"`
	ID              string     `json:"id,omitempty"`
	// Select, Exclude and IncludeSecondary choose sources from the
	// region's ENIs besides the listed Sources (issue: sources that follow
	// the fleet); the planner resolves them against live ENIs.
	Select           []Selector `json:"select,omitempty"`
	Exclude          []string   `json:"exclude,omitempty"`
	IncludeSecondary bool       `json:"include_secondary,omitempty"`
	// TargetSelect chooses the target ENI instead of TargetID; it must
	// match exactly one.
	TargetSelect *Selector `json:"target_select,omitempty"`
	// Split makes the session a group of sessions keyed <Key>#<n>, with
	// priorities from the range; Priority is then 0.
	Split *Split `json:"split,omitempty"`
	Pos   Pos    `json:"-"`
}

// Selected reports whether s chooses sources or its target by selector.
func (s *Session) Selected() bool { return len(s.Select) > 0 || s.TargetSelect != nil }

// A Selector matches ENIs: every field given must match.
type Selector struct {
	Tags            cloud.Tags `json:"tags,omitempty"`
	VPCID           string     `json:"vpc_id,omitempty"`
	VSwitchID       string     `json:"vswitch_id,omitempty"`
	InstanceIDs     []string   `json:"instance_ids,omitempty"`
	SecurityGroupID string     `json:"security_group_id,omitempty"`
	Pos             Pos        `json:"-"`
}

// Matches reports whether e has every property s asks for.
func (s Selector) Matches(e cloud.ENI) bool {
	for k, v := range s.Tags {
		if w, ok := e.Tags[k]; !ok || w != v {
			return false
		}
	}
	if s.VPCID != "" && e.VPCID != s.VPCID || s.VSwitchID != "" && e.VSwitchID != s.VSwitchID {
		return false
	}
	if len(s.InstanceIDs) > 0 && !contains(s.InstanceIDs, e.InstanceID) {
		return false
	}
	if s.SecurityGroupID != "" && (e.Type != cloud.ENISecondary || !contains(e.SecurityGroupIDs, s.SecurityGroupID)) {
		return false
	}
	return true
}

// String says what s selects, for plans: "tags app=web,env=prod vpc vpc-1".
func (s Selector) String() string {
	var parts []string
	if len(s.Tags) > 0 {
		var kv []string
		for _, k := range s.Tags.Keys() {
			kv = append(kv, k+"="+s.Tags[k])
		}
		parts = append(parts, "tags "+strings.Join(kv, ","))
	}
	if s.VPCID != "" {
		parts = append(parts, "vpc "+s.VPCID)
	}
	if s.VSwitchID != "" {
		parts = append(parts, "vswitch "+s.VSwitchID)
	}
	if len(s.InstanceIDs) > 0 {
		parts = append(parts, "instances "+strings.Join(s.InstanceIDs, ","))
	}
	if s.SecurityGroupID != "" {
		parts = append(parts, "security group "+s.SecurityGroupID)
	}
	return strings.Join(parts, " ")
}

// A Split is the priority range of a session group.
type Split struct {
	From int `json:"from"`
	To   int `json:"to"`
}

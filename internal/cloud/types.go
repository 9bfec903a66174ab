package cloud

import "sort"

// Statuses shared by filters, rules and sessions.
const (
	StatusCreating  = "Creating"
	StatusCreated   = "Created"
	StatusModifying = "Modifying"
	StatusDeleting  = "Deleting"
)

// Rule directions.
const (
	Ingress = "ingress"
	Egress  = "egress"
)

// Target types of a session.
const (
	TargetENI = "NetworkInterface"
	TargetSLB = "SLB"
)

// Resource types for the tag and resource-group calls.
const (
	ResourceFilter  = "TrafficMirrorFilter"
	ResourceSession = "TrafficMirrorSession"
)

// Ownership tag keys (contract C3).
const (
	TagStack   = "tmsync:stack"
	TagKey     = "tmsync:key"
	TagApplied = "tmsync:applied"
	// TagGen moves the chain of objects whose writes did not change
	// what tmsync:applied hashes (a drift corrected): all objects of one
	// apply share its value, so it is written 20 objects a call. It is
	// never sent in a create (C3).
	TagGen = "tmsync:gen"
)

// Tags is a set of resource tags, key to value.
type Tags map[string]string

// Clone returns a copy of t (nil stays nil).
func (t Tags) Clone() Tags {
	if t == nil {
		return nil
	}
	c := make(Tags, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}

// Keys returns the tag keys, sorted.
func (t Tags) Keys() []string {
	ks := make([]string, 0, len(t))
	for k := range t {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Equal reports whether t and o hold the same pairs; nil equals empty.
func (t Tags) Equal(o Tags) bool {
	if len(t) != len(o) {
		return false
	}
	for k, v := range t {
		if w, ok := o[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A Rule is one ingress or egress rule of a filter. Port ranges are
// "start/end"; CIDRs are in masked form once canonical.
type Rule struct {
	ID         string `json:"id,omitempty"`
	FilterID   string `json:"filterId,omitempty"`
	Direction  string `json:"direction,omitempty"`
	Priority   int    `json:"priority"`
	Action     string `json:"action"`
	Protocol   string `json:"protocol"`
	IPVersion  string `json:"ipVersion"`
	SourceCIDR string `json:"sourceCidrBlock"`
	DestCIDR   string `json:"destinationCidrBlock"`
	SourcePort string `json:"sourcePortRange,omitempty"`
	DestPort   string `json:"destinationPortRange,omitempty"`
	Status     string `json:"status,omitempty"`
}

// A Filter is a traffic mirror filter with its rules.
type Filter struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description,omitempty"`
	Status          string `json:"status,omitempty"`
	ResourceGroupID string `json:"resourceGroupId,omitempty"`
	CreationTime    string `json:"creationTime,omitempty"`
	Tags            Tags   `json:"tags,omitempty"`
	Ingress         []Rule `json:"ingress,omitempty"`
	Egress          []Rule `json:"egress,omitempty"`
}

// Rules returns the rules of direction dir.
func (f *Filter) Rules(dir string) []Rule {
	if dir == Egress {
		return f.Egress
	}
	return f.Ingress
}

// A Session is a traffic mirror session.
type Session struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	Status          string   `json:"status,omitempty"`
	BusinessStatus  string   `json:"businessStatus,omitempty"`
	FilterID        string   `json:"filterId"`
	TargetID        string   `json:"targetId"`
	TargetType      string   `json:"targetType"`
	SourceIDs       []string `json:"sourceIds"`
	Priority        int      `json:"priority"`
	VNI             int      `json:"virtualNetworkId"`
	PacketLength    int      `json:"packetLength"`
	Enabled         bool     `json:"enabled"`
	ResourceGroupID string   `json:"resourceGroupId,omitempty"`
	CreationTime    string   `json:"creationTime,omitempty"`
	Tags            Tags     `json:"tags,omitempty"`
}

// A Snapshot is the live state of one region, read in one pass.
type Snapshot struct {
	Region         string    `json:"region"`
	ServiceEnabled bool      `json:"serviceEnabled"`
	Filters        []Filter  `json:"filters"`
	Sessions       []Session `json:"sessions"`
	// ENIs are the ENIs source selectors of the run may match, and the
	// current sources of their sessions, read only when a stack of the
	// run selects sources (ENIsRead).
	ENIs     []ENI `json:"enis,omitempty"`
	ENIsRead bool  `json:"enisRead,omitempty"`
}

// Filter returns the filter with id, or nil.
func (s *Snapshot) Filter(id string) *Filter {
	for i := range s.Filters {
		if s.Filters[i].ID == id {
			return &s.Filters[i]
		}
	}
	return nil
}

// Session returns the session with id, or nil.
func (s *Snapshot) Session(id string) *Session {
	for i := range s.Sessions {
		if s.Sessions[i].ID == id {
			return &s.Sessions[i]
		}
	}
	return nil
}

package emulator

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Statuses of filters, rules and sessions.
const (
	statusCreating  = "Creating"
	statusCreated   = "Created"
	statusModifying = "Modifying"
	statusDeleting  = "Deleting"
)

// stateFormat is the version of the state file layout.
const stateFormat = 1

// state is everything the emulator remembers. It is a plain value so it can
// be saved as JSON, cloned for a request, and swapped in on success: a
// refused request leaves no trace.
type state struct {
	Format int `json:"format"`
	// Secret signs NextToken values so forged ones are refused, also
	// after a restart and across processes sharing the file.
	Secret string `json:"secret"`
	// Seq orders objects by creation, for List.
	Seq int64 `json:"seq"`
	// DefaultResourceGroup is what objects created without one get, as
	// the account's default group is on the real service.
	DefaultResourceGroup string                  `json:"default_resource_group"`
	Regions              map[string]*regionState `json:"regions"`
	// Tokens maps tokenKey(region, action, token) to its first answer.
	Tokens map[string]*tokenEntry `json:"tokens"`
}

type regionState struct {
	// ServiceOpen overrides Quotas.ServiceOpenByDefault once set.
	ServiceOpen *bool               `json:"service_open,omitempty"`
	Filters     map[string]*filter  `json:"filters"`
	Sessions    map[string]*session `json:"sessions"`
}

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// object holds what filters and sessions share: the lifecycle.
type object struct {
	Status string `json:"status"`
	// Until is when the current transition settles; zero when settled.
	Until time.Time `json:"until,omitzero"`
	// Created is the creation time; VisibleAt hides a new object from
	// List until then (the listlag fault).
	Created   time.Time `json:"created"`
	VisibleAt time.Time `json:"visible_at,omitzero"`
	Seq       int64     `json:"seq"`
}

type filter struct {
	object
	ID              string  `json:"id"`
	Name            string  `json:"name,omitempty"`
	Description     string  `json:"description,omitempty"`
	ResourceGroupID string  `json:"resource_group_id"`
	Tags            []tag   `json:"tags,omitempty"`
	Ingress         []*rule `json:"ingress,omitempty"`
	Egress          []*rule `json:"egress,omitempty"`
}

type rule struct {
	ID         string    `json:"id"`
	Direction  string    `json:"direction"`
	Priority   int       `json:"priority"`
	Action     string    `json:"action"`
	Protocol   string    `json:"protocol"`
	IPVersion  string    `json:"ip_version"`
	SourceCIDR string    `json:"source_cidr"`
	DestCIDR   string    `json:"dest_cidr"`
	SourcePort string    `json:"source_port"`
	DestPort   string    `json:"dest_port"`
	Status     string    `json:"status"`
	Until      time.Time `json:"until,omitzero"`
}

type session struct {
	object
	ID              string   `json:"id"`
	Name            string   `json:"name,omitempty"`
	Description     string   `json:"description,omitempty"`
	ResourceGroupID string   `json:"resource_group_id"`
	Tags            []tag    `json:"tags,omitempty"`
	FilterID        string   `json:"filter_id"`
	SourceIDs       []string `json:"source_ids"`
	TargetID        string   `json:"target_id"`
	TargetType      string   `json:"target_type"`
	Priority        int      `json:"priority"`
	VNI             int      `json:"vni"`
	PacketLength    int      `json:"packet_length"`
	Enabled         bool     `json:"enabled"`
}

// A tokenEntry is the remembered first answer to a ClientToken.
type tokenEntry struct {
	Fingerprint string          `json:"fingerprint"`
	Time        time.Time       `json:"time"`
	Status      int             `json:"status"`
	Body        json.RawMessage `json:"body,omitempty"` // success body without RequestId
	Code        string          `json:"code,omitempty"` // error code, if the answer was an error
	Message     string          `json:"message,omitempty"`
	ResourceIDs []string        `json:"resource_ids,omitempty"`
}

func newState(secret, rg string) *state {
	return &state{
		Format:               stateFormat,
		Secret:               secret,
		DefaultResourceGroup: rg,
		Regions:              map[string]*regionState{},
		Tokens:               map[string]*tokenEntry{},
	}
}

func (st *state) region(id string) *regionState {
	r := st.Regions[id]
	if r == nil {
		r = &regionState{Filters: map[string]*filter{}, Sessions: map[string]*session{}}
		st.Regions[id] = r
	}
	return r
}

// peekRegion returns the region or an empty one without adding it.
func (st *state) peekRegion(id string) *regionState {
	if r := st.Regions[id]; r != nil {
		return r
	}
	return &regionState{Filters: map[string]*filter{}, Sessions: map[string]*session{}}
}

func tokenKey(region, action, token string) string {
	return region + "\x00" + action + "\x00" + token
}

// clone returns a copy whose maps can change without touching st. Objects
// and token entries are shared: they are never changed in place (a write
// replaces an object by a changed copy), which keeps a clone cheap and lets
// the file store reuse the encoding of every object a request left alone.
func (st *state) clone() *state {
	out := *st
	out.Regions = make(map[string]*regionState, len(st.Regions))
	for id, r := range st.Regions {
		nr := &regionState{
			Filters:  make(map[string]*filter, len(r.Filters)),
			Sessions: make(map[string]*session, len(r.Sessions)),
		}
		if r.ServiceOpen != nil {
			nr.ServiceOpen = Bool(*r.ServiceOpen)
		}
		for k, f := range r.Filters {
			nr.Filters[k] = f
		}
		for k, s := range r.Sessions {
			nr.Sessions[k] = s
		}
		out.Regions[id] = nr
	}
	out.Tokens = make(map[string]*tokenEntry, len(st.Tokens))
	for k, v := range st.Tokens {
		out.Tokens[k] = v
	}
	return &out
}

func (f *filter) clone() *filter {
	n := *f
	n.Tags = append([]tag(nil), f.Tags...)
	n.Ingress = cloneRules(f.Ingress)
	n.Egress = cloneRules(f.Egress)
	return &n
}

func cloneRules(rs []*rule) []*rule {
	if rs == nil {
		return nil
	}
	out := make([]*rule, len(rs))
	for i, r := range rs {
		c := *r
		out[i] = &c
	}
	return out
}

func (s *session) clone() *session {
	n := *s
	n.Tags = append([]tag(nil), s.Tags...)
	n.SourceIDs = append([]string(nil), s.SourceIDs...)
	return &n
}

// rules returns the rules of direction dir.
func (f *filter) rules(dir string) []*rule {
	if dir == "egress" {
		return f.Egress
	}
	return f.Ingress
}

func (f *filter) setRules(dir string, rs []*rule) {
	if dir == "egress" {
		f.Egress = rs
	} else {
		f.Ingress = rs
	}
}

// settled reports whether a deadline has passed at now.
func settled(until, now time.Time) bool { return !now.Before(until) }

// settle finishes every transition whose deadline has passed and forgets
// expired tokens. It is deterministic in now, so a reader may settle its
// copy without saving it. Changed objects are replaced, not changed in
// place (see clone). It reports whether anything changed.
func (st *state) settle(now time.Time, ttl time.Duration) bool {
	changed := false
	for _, r := range st.Regions {
		for id, f := range r.Filters {
			if !f.due(now) {
				continue
			}
			changed = true
			n := f.clone()
			for _, dir := range []string{"ingress", "egress"} {
				var kept []*rule
				for _, ru := range n.rules(dir) {
					if ru.Status != statusCreated && settled(ru.Until, now) {
						if ru.Status == statusDeleting {
							continue
						}
						ru.Status, ru.Until = statusCreated, time.Time{}
					}
					kept = append(kept, ru)
				}
				n.setRules(dir, kept)
			}
			if n.Status != statusCreated && settled(n.Until, now) {
				if n.Status == statusDeleting {
					delete(r.Filters, id)
					continue
				}
				n.Status, n.Until = statusCreated, time.Time{}
			}
			r.Filters[id] = n
		}
		for id, s := range r.Sessions {
			if s.Status != statusCreated && settled(s.Until, now) {
				changed = true
				if s.Status == statusDeleting {
					delete(r.Sessions, id)
					continue
				}
				n := s.clone()
				n.Status, n.Until = statusCreated, time.Time{}
				r.Sessions[id] = n
			}
		}
	}
	for k, t := range st.Tokens {
		if !now.Before(t.Time.Add(ttl)) {
			delete(st.Tokens, k)
			changed = true
		}
	}
	return changed
}

// due reports whether the filter or one of its rules has a transition
// that settles by now.
func (f *filter) due(now time.Time) bool {
	if f.Status != statusCreated && settled(f.Until, now) {
		return true
	}
	for _, rs := range [][]*rule{f.Ingress, f.Egress} {
		for _, ru := range rs {
			if ru.Status != statusCreated && settled(ru.Until, now) {
				return true
			}
		}
	}
	return false
}

// sortedFilters returns the region's filters in creation order.
func (r *regionState) sortedFilters() []*filter {
	out := make([]*filter, 0, len(r.Filters))
	for _, f := range r.Filters {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *filter) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// sortedSessions returns the region's sessions in creation order.
func (r *regionState) sortedSessions() []*session {
	out := make([]*session, 0, len(r.Sessions))
	for _, s := range r.Sessions {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *session) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// findRule returns the rule with id and its filter.
func (r *regionState) findRule(id string) (*filter, *rule) {
	for _, f := range r.Filters {
		for _, ru := range f.Ingress {
			if ru.ID == id {
				return f, ru
			}
		}
		for _, ru := range f.Egress {
			if ru.ID == id {
				return f, ru
			}
		}
	}
	return nil, nil
}

// hasID reports whether any object in any region has id, so generated IDs
// never collide (two processes may share a seed).
func (st *state) hasID(id string) bool {
	for _, r := range st.Regions {
		switch {
		case strings.HasPrefix(id, "tmf-"):
			if _, ok := r.Filters[id]; ok {
				return true
			}
		case strings.HasPrefix(id, "tms-"):
			if _, ok := r.Sessions[id]; ok {
				return true
			}
		default:
			if f, _ := r.findRule(id); f != nil {
				return true
			}
		}
	}
	return false
}

func tagsMatch(have []tag, want []tag) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Key == w.Key && (w.Value == "" || h.Value == w.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// setTags merges add into tags, keeping the order of first appearance.
func setTags(tags []tag, add []tag) []tag {
	out := append([]tag(nil), tags...)
	for _, a := range add {
		replaced := false
		for i := range out {
			if out[i].Key == a.Key {
				out[i].Value = a.Value
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return out
}

// dropDeletedSources removes from the sources of sessions the ENIs that
// existed in old and no longer exist in inv, as the service drops an ENI
// that is released. It reports whether a session changed.
func (st *state) dropDeletedSources(old, inv *heldInventory) bool {
	changed := false
	for region, r := range st.Regions {
		for id, s := range r.Sessions {
			kept := make([]string, 0, len(s.SourceIDs))
			for _, src := range s.SourceIDs {
				if inv.eni(region, src) || !old.eni(region, src) {
					kept = append(kept, src)
				}
			}
			if len(kept) == len(s.SourceIDs) {
				continue
			}
			n := s.clone()
			n.SourceIDs = kept
			r.Sessions[id] = n
			changed = true
		}
	}
	return changed
}

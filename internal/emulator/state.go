package emulator

import (
	"cmp"
	"container/heap"
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

// state is everything the emulator remembers, saved as JSON. A write runs
// on it in a transaction (see txn) that a refused request rolls back, so it
// leaves no trace. Objects are never changed in place: a write replaces an
// object by a changed copy, which lets a transaction keep the object it
// replaced and the file store reuse the encoding of every object a request
// left alone.
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

	// What follows is derived from the fields above, never saved, and
	// built again when a state is read (indexed false).

	// deadlines holds the pending transitions of objects, soonest first,
	// and tokenTimes the tokens, oldest first, so settle looks only at
	// what is due. Entries may be stale (an object since settled, changed
	// or gone); settle checks the object itself.
	deadlines  deadlineHeap
	tokenTimes deadlineHeap
	indexed    bool
	// tx is the write in progress, nil outside one.
	tx *txn
}

type regionState struct {
	// ServiceOpen overrides Quotas.ServiceOpenByDefault once set.
	ServiceOpen *bool               `json:"service_open,omitempty"`
	Filters     map[string]*filter  `json:"filters"`
	Sessions    map[string]*session `json:"sessions"`

	// Derived, never saved: the filter of each rule ID, and the IDs of
	// filters and of sessions in creation order, built on first use
	// (nil, or ok false) and kept up to date by putFilter and the others.
	rules                     map[string]string
	filterOrder, sessionOrder creationOrder
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
		st.log(change{kind: regionAdded, region: id})
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
// expired tokens. It is deterministic in now, so a reader may settle and
// then read. It looks only at the objects and tokens that are due, found
// in the deadline queues. Changed objects are replaced, not changed in
// place. It reports whether anything changed.
func (st *state) settle(now time.Time, ttl time.Duration) bool {
	st.index()
	changed := false
	for len(st.deadlines) > 0 && !now.Before(st.deadlines[0].at) {
		d := heap.Pop(&st.deadlines).(deadline)
		r := st.Regions[d.region]
		if r == nil {
			continue
		}
		if d.session {
			if s := r.Sessions[d.id]; s != nil && st.settleSession(d.region, s, now) {
				changed = true
			}
		} else if f := r.Filters[d.id]; f != nil && st.settleFilter(d.region, f, now) {
			changed = true
		}
	}
	for len(st.tokenTimes) > 0 && !now.Before(st.tokenTimes[0].at.Add(ttl)) {
		d := heap.Pop(&st.tokenTimes).(deadline)
		// The key may have a newer entry than the one queued.
		if t := st.Tokens[d.id]; t != nil && !now.Before(t.Time.Add(ttl)) {
			delete(st.Tokens, d.id)
			changed = true
		}
	}
	return changed
}

// settleFilter finishes the transitions of filter f (and its rules) that
// are due at now, and reports whether there were any.
func (st *state) settleFilter(region string, f *filter, now time.Time) bool {
	if !f.due(now) {
		// A stale queue entry: queue the filter's own next deadline.
		st.queueFilter(region, f)
		return false
	}
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
			st.removeFilter(region, f.ID)
			return true
		}
		n.Status, n.Until = statusCreated, time.Time{}
	}
	st.putFilter(region, n)
	return true
}

// settleSession finishes the transition of session s if it is due at now,
// and reports whether it was.
func (st *state) settleSession(region string, s *session, now time.Time) bool {
	if s.Status == statusCreated || !settled(s.Until, now) {
		st.queueSession(region, s)
		return false
	}
	if s.Status == statusDeleting {
		st.removeSession(region, s.ID)
		return true
	}
	n := s.clone()
	n.Status, n.Until = statusCreated, time.Time{}
	st.putSession(region, n)
	return true
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
	return inOrder(&r.filterOrder, r.Filters, func(f *filter) int64 { return f.Seq })
}

// sortedSessions returns the region's sessions in creation order.
func (r *regionState) sortedSessions() []*session {
	return inOrder(&r.sessionOrder, r.Sessions, func(s *session) int64 { return s.Seq })
}

// A creationOrder holds the IDs of a region's filters, or sessions, by
// creation (Seq); built on first use, then kept by added and removed.
type creationOrder struct {
	ids []string
	ok  bool
}

// inOrder returns the objects of m in the order of o, building it from
// their Seq if needed.
func inOrder[T any](o *creationOrder, m map[string]T, seq func(T) int64) []T {
	if !o.ok {
		o.ids = o.ids[:0]
		for id := range m {
			o.ids = append(o.ids, id)
		}
		slices.SortFunc(o.ids, func(a, b string) int { return cmp.Compare(seq(m[a]), seq(m[b])) })
		o.ok = true
	}
	out := make([]T, len(o.ids))
	for i, id := range o.ids {
		out[i] = m[id]
	}
	return out
}

// added records a new object, whose Seq is normally the largest; seqOf
// returns the Seq of an object already in the order.
func (o *creationOrder) added(id string, seq int64, seqOf func(id string) int64) {
	if !o.ok {
		return
	}
	if n := len(o.ids); n > 0 && seqOf(o.ids[n-1]) > seq {
		o.ok = false // built again when next needed
		return
	}
	o.ids = append(o.ids, id)
}

// removed forgets an object.
func (o *creationOrder) removed(id string) {
	if !o.ok {
		return
	}
	if i := slices.Index(o.ids, id); i >= 0 {
		o.ids = slices.Delete(o.ids, i, i+1)
	}
}

// firstSession returns the first session in creation order that match
// accepts, or nil; it makes no list of the sessions.
func (r *regionState) firstSession(match func(*session) bool) *session {
	var first *session
	for _, s := range r.Sessions {
		if (first == nil || s.Seq < first.Seq) && match(s) {
			first = s
		}
	}
	return first
}

// findRule returns the rule with id and its filter.
func (r *regionState) findRule(id string) (*filter, *rule) {
	if r.rules == nil {
		r.rules = map[string]string{}
		for _, f := range r.Filters {
			r.indexRules(f, true)
		}
	}
	f := r.Filters[r.rules[id]]
	if f == nil {
		return nil, nil
	}
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
	return nil, nil
}

// indexRules adds the rules of f to the rule index, or removes them.
func (r *regionState) indexRules(f *filter, add bool) {
	for _, rs := range [][]*rule{f.Ingress, f.Egress} {
		for _, ru := range rs {
			if add {
				r.rules[ru.ID] = f.ID
			} else if r.rules[ru.ID] == f.ID {
				delete(r.rules, ru.ID)
			}
		}
	}
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
		for _, s := range r.Sessions {
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
			st.putSession(region, n)
			changed = true
		}
	}
	return changed
}

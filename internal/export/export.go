package export

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tmsync/tmsync/internal/cloud"
)

// Limits of the spec format an exported object must stay within.
const (
	maxUserTags    = 17 // the API's 20 less tmsync's 3 (contract C3)
	maxRules       = 10 // per filter and direction
	maxSources     = 100
	maxNameLen     = 128
	maxDescLen     = 256
	maxTagLen      = 128
	maxPriority    = 32766
	minPacketLen   = 64
	maxPacketLen   = 9600
	maxVNI         = 16777215
	defaultSources = 10
)

// Errors of Export; test with errors.Is.
var (
	// ErrNotFound: an ID asked for is not in the region.
	ErrNotFound = errors.New("not found in the region")
	// ErrManagedElsewhere: an ID asked for is owned by another stack.
	ErrManagedElsewhere = errors.New("managed by another stack")
	// ErrNotExportable: an object asked for cannot be written as a valid
	// spec (see the message for why).
	ErrNotExportable = errors.New("cannot be written as a spec")
	// ErrBadOptions: the options are invalid.
	ErrBadOptions = errors.New("invalid export options")
)

// Options choose what to export.
type Options struct {
	// Stack is the stack name written in the spec; it must be a key.
	Stack string
	// Region is written in the spec; "" takes the snapshot's region.
	Region string
	// FilterIDs and SessionIDs, when either is set, export exactly these
	// objects; sessions on filters not exported reference them by ID. When
	// both are empty every object of the region is exported except those
	// owned by another stack.
	FilterIDs  []string
	SessionIDs []string
}

// A Spec is one exported stack, in the shortest form that plans no change
// but adoption.
type Spec struct {
	Stack  string
	Region string
	// ResourceGroupID is the stack's default resource group: set when
	// every exported object is in the same one, which is then not repeated
	// per object.
	ResourceGroupID string
	// SourcesPerSession is set when a session has more sources than the
	// default limit of 10.
	SourcesPerSession int
	Filters           []Filter  // sorted by key
	Sessions          []Session // sorted by key
	// Notes say what the user should know: objects left out and why, and
	// what adoption will change (names given to unnamed objects).
	Notes []string
}

// A Filter is an exported filter.
type Filter struct {
	Key             string
	ID              string
	Name            string
	Description     string
	ResourceGroupID string
	Tags            cloud.Tags // user tags only
	Ingress, Egress []Rule     // by priority
	// Unnamed is true when the live filter has no name: the spec names it
	// after its key, and adoption sets that name.
	Unnamed bool
}

// A Rule is an exported rule in its shortest form: empty fields are the
// defaults (IPv4, all addresses, all ports).
type Rule struct {
	Priority   int
	Action     string
	Protocol   string
	IPVersion  string // "" for IPv4
	SourceCIDR string // "" for all addresses
	DestCIDR   string
	SourcePort string // "" for all ports, "443" for one port, else "start/end"
	DestPort   string
}

// A Session is an exported session.
type Session struct {
	Key             string
	ID              string
	Name            string
	Description     string
	ResourceGroupID string
	// Filter is the key of an exported filter, or the tmf- ID of one that
	// is not exported.
	Filter       string
	TargetType   string
	TargetID     string
	Sources      []string // sorted
	Priority     int
	Enabled      bool
	PacketLength int // 0 for the default, 1500
	VNI          int
	Tags         cloud.Tags
	Unnamed      bool
	// SharedTags are the tags every source ENI has, with one value each
	// (when the ENIs were read): a selector of them would follow the
	// fleet instead of the list.
	SharedTags cloud.Tags
}

var (
	filterIDPattern = regexp.MustCompile(`^tmf-[a-z0-9]+$`)
	eniPattern      = regexp.MustCompile(`^eni-[a-z0-9]+$`)
	targetPattern   = regexp.MustCompile(`^(eni|lb)-[a-z0-9]+$`)
	rgPattern       = regexp.MustCompile(`^rg-[a-z0-9]+$`)
)

// Export writes the objects of snap that opts selects as a spec.
func Export(snap *cloud.Snapshot, opts Options) (*Spec, error) {
	if !ValidKey(opts.Stack) {
		return nil, fmt.Errorf("%w: stack name %q: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit", ErrBadOptions, opts.Stack)
	}
	x := &exporter{snap: snap, opts: opts, explicit: len(opts.FilterIDs)+len(opts.SessionIDs) > 0,
		foreign: map[string]int{}}
	out := &Spec{Stack: opts.Stack, Region: opts.Region}
	if out.Region == "" {
		out.Region = snap.Region
	}
	filters, err := x.selectFilters()
	if err != nil {
		return nil, err
	}
	sessions, err := x.selectSessions()
	if err != nil {
		return nil, err
	}

	fkeys := assignKeys("filter", keyRequests(x, filters, func(f *cloud.Filter) string { return f.ID },
		func(f *cloud.Filter) string { return f.Name }, func(f *cloud.Filter) cloud.Tags { return f.Tags }))
	skeys := assignKeys("session", keyRequests(x, sessions, func(s *cloud.Session) string { return s.ID },
		func(s *cloud.Session) string { return s.Name }, func(s *cloud.Session) cloud.Tags { return s.Tags }))
	keyOfFilter := map[string]string{}
	for _, f := range filters {
		ef := x.filters[f.ID]
		ef.Key = fkeys[f.ID]
		if ef.Unnamed {
			x.note("filter.%s (%s) has no name; `name: \"\"` keeps it unnamed", ef.Key, f.ID)
		}
		keyOfFilter[f.ID] = ef.Key
		out.Filters = append(out.Filters, *ef)
	}
	for _, s := range sessions {
		es := x.sessions[s.ID]
		es.Key = skeys[s.ID]
		if es.Unnamed {
			x.note("session.%s (%s) has no name; `name: \"\"` keeps it unnamed", es.Key, s.ID)
		}
		if k, ok := keyOfFilter[s.FilterID]; ok {
			es.Filter = k
		}
		if len(es.Sources) > defaultSources {
			out.SourcesPerSession = max(out.SourcesPerSession, len(es.Sources))
		}
		out.Sessions = append(out.Sessions, *es)
	}
	sort.Slice(out.Filters, func(i, j int) bool { return out.Filters[i].Key < out.Filters[j].Key })
	sort.Slice(out.Sessions, func(i, j int) bool { return out.Sessions[i].Key < out.Sessions[j].Key })
	hoistResourceGroup(out)
	if n := len(x.foreign); n > 0 {
		var parts []string
		for _, st := range sortedKeys(x.foreign) {
			parts = append(parts, fmt.Sprintf("%s (%d)", st, x.foreign[st]))
		}
		x.note("left out objects of other stacks: %s", strings.Join(parts, ", "))
	}
	out.Notes = x.notes
	return out, nil
}

type exporter struct {
	snap     *cloud.Snapshot
	opts     Options
	explicit bool
	notes    []string
	foreign  map[string]int // other stacks' objects left out, by stack
	filters  map[string]*Filter
	sessions map[string]*Session
}

// sharedTags returns the tags every one of ids has with one value, when the
// snapshot holds the ENIs; nil when they were not read, one is unknown, or
// they share none.
func (x *exporter) sharedTags(ids []string) cloud.Tags {
	if !x.snap.ENIsRead || len(ids) < 2 {
		return nil
	}
	byID := map[string]cloud.ENI{}
	for _, e := range x.snap.ENIs {
		byID[e.ID] = e
	}
	var shared cloud.Tags
	for i, id := range ids {
		e, ok := byID[id]
		if !ok {
			return nil
		}
		if i == 0 {
			shared = e.Tags.Clone()
			continue
		}
		for k, v := range shared {
			if e.Tags[k] != v {
				delete(shared, k)
			}
		}
	}
	for k := range shared {
		if strings.HasPrefix(k, "acs:") || strings.HasPrefix(k, "aliyun") {
			delete(shared, k)
		}
	}
	if len(shared) == 0 {
		return nil
	}
	return shared
}

func (x *exporter) note(format string, args ...any) {
	x.notes = append(x.notes, fmt.Sprintf(format, args...))
}

// owner is the stack an object's tags name, "" for none.
func owner(t cloud.Tags) string { return t[cloud.TagStack] }

// ownedKey is the key an object of this stack already carries, "" when it
// is not this stack's or its key is not valid.
func (x *exporter) ownedKey(t cloud.Tags) string {
	if owner(t) == x.opts.Stack && ValidKey(t[cloud.TagKey]) {
		return t[cloud.TagKey]
	}
	return ""
}

// pick returns the objects to export, in ID order: the IDs asked for, or
// every object not owned by another stack.
func pick[T any](x *exporter, kind string, all []T, ids []string, id func(*T) string, tags func(*T) cloud.Tags) ([]*T, error) {
	byID := map[string]*T{}
	for i := range all {
		byID[id(&all[i])] = &all[i]
	}
	var out []*T
	if x.explicit {
		seen := map[string]bool{}
		for _, want := range ids {
			o := byID[want]
			if o == nil {
				return nil, fmt.Errorf("%s %s: %w %s", kind, want, ErrNotFound, x.snap.Region)
			}
			if st := owner(tags(o)); st != "" && st != x.opts.Stack {
				return nil, fmt.Errorf("%s %s: %w %q", kind, want, ErrManagedElsewhere, st)
			}
			if !seen[want] {
				seen[want] = true
				out = append(out, o)
			}
		}
	} else {
		for i := range all {
			o := &all[i]
			if st := owner(tags(o)); st != "" && st != x.opts.Stack {
				x.foreign[st]++
				continue
			}
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return id(out[i]) < id(out[j]) })
	// Two objects of this stack with one key: keep the first, as the plan
	// keeps the one the spec names by id and deletes the other (C13).
	var kept []*T
	keys := map[string]string{}
	for _, o := range out {
		t := tags(o)
		if owner(t) == x.opts.Stack {
			k := x.ownedKey(t)
			if k == "" {
				if err := x.refuse(kind, id(o), fmt.Sprintf("it is owned by stack %s with the invalid key %q", x.opts.Stack, t[cloud.TagKey])); err != nil {
					return nil, err
				}
				continue
			}
			if first, dup := keys[k]; dup {
				x.note("%s %s is a second object of stack %s with key %s; applying keeps %s and deletes it", kind, id(o), x.opts.Stack, k, first)
				continue
			}
			keys[k] = id(o)
		}
		kept = append(kept, o)
	}
	return kept, nil
}

// refuse reports an object that cannot be exported: an error when it was
// asked for by ID, else a note, and it is left out.
func (x *exporter) refuse(kind, id, why string) error {
	if x.explicit {
		return fmt.Errorf("%s %s: %w: %s", kind, id, ErrNotExportable, why)
	}
	x.note("left out %s %s: %s", kind, id, why)
	return nil
}

func (x *exporter) selectFilters() ([]*cloud.Filter, error) {
	all, err := pick(x, "filter", x.snap.Filters, x.opts.FilterIDs,
		func(f *cloud.Filter) string { return f.ID }, func(f *cloud.Filter) cloud.Tags { return f.Tags })
	if err != nil {
		return nil, err
	}
	x.filters = map[string]*Filter{}
	var out []*cloud.Filter
	for _, f := range all {
		ef, why := exportFilter(f)
		if why != "" {
			if err := x.refuse("filter", f.ID, why); err != nil {
				return nil, err
			}
			continue
		}
		x.filters[f.ID] = ef
		out = append(out, f)
	}
	return out, nil
}

func (x *exporter) selectSessions() ([]*cloud.Session, error) {
	all, err := pick(x, "session", x.snap.Sessions, x.opts.SessionIDs,
		func(s *cloud.Session) string { return s.ID }, func(s *cloud.Session) cloud.Tags { return s.Tags })
	if err != nil {
		return nil, err
	}
	x.sessions = map[string]*Session{}
	var out []*cloud.Session
	for _, s := range all {
		es, why := exportSession(s)
		if why != "" {
			if err := x.refuse("session", s.ID, why); err != nil {
				return nil, err
			}
			continue
		}
		es.SharedTags = x.sharedTags(es.Sources)
		x.sessions[s.ID] = es
		out = append(out, s)
	}
	return out, nil
}

// keyRequests lists objects for assignKeys.
func keyRequests[T any](x *exporter, objs []*T, id, name func(*T) string, tags func(*T) cloud.Tags) []keyRequest {
	out := make([]keyRequest, 0, len(objs))
	for _, o := range objs {
		out = append(out, keyRequest{id: id(o), name: name(o), preferred: x.ownedKey(tags(o))})
	}
	return out
}

// exportFilter converts f, or says why it cannot be written as a spec.
func exportFilter(f *cloud.Filter) (*Filter, string) {
	out := &Filter{ID: f.ID, Name: f.Name, Description: f.Description, ResourceGroupID: f.ResourceGroupID}
	if !filterIDPattern.MatchString(f.ID) {
		return nil, "its ID does not look like tmf-..."
	}
	if why := checkCommon(f.Name, f.Description, f.ResourceGroupID); why != "" {
		return nil, why
	}
	out.Unnamed = f.Name == ""
	var why string
	if out.Tags, why = userTags(f.Tags); why != "" {
		return nil, why
	}
	for _, dir := range []string{cloud.Ingress, cloud.Egress} {
		rules, why := exportRules(f.Rules(dir), dir)
		if why != "" {
			return nil, why
		}
		if dir == cloud.Ingress {
			out.Ingress = rules
		} else {
			out.Egress = rules
		}
	}
	return out, ""
}

func exportRules(live []cloud.Rule, dir string) ([]Rule, string) {
	if len(live) > maxRules {
		return nil, fmt.Sprintf("it has %d %s rules; a spec allows %d", len(live), dir, maxRules)
	}
	var out []Rule
	seen := map[int]bool{}
	for _, r := range live {
		c, err := cloud.CanonicalRule(r, false)
		if err != nil {
			return nil, fmt.Sprintf("%s rule %s: %v", dir, r.ID, err)
		}
		switch {
		case c.Priority < 1 || c.Priority > maxRules:
			return nil, fmt.Sprintf("%s rule %s has priority %d; a spec allows 1-%d", dir, r.ID, c.Priority, maxRules)
		case seen[c.Priority]:
			return nil, fmt.Sprintf("two %s rules have priority %d; a spec needs them unique", dir, c.Priority)
		case c.Action != "accept" && c.Action != "drop":
			return nil, fmt.Sprintf("%s rule %s has action %q", dir, r.ID, c.Action)
		case c.Protocol != cloud.ProtoALL && c.Protocol != cloud.ProtoICMP && c.Protocol != cloud.ProtoTCP && c.Protocol != cloud.ProtoUDP:
			return nil, fmt.Sprintf("%s rule %s has protocol %q", dir, r.ID, c.Protocol)
		case c.IPVersion != cloud.IPv4 && c.IPVersion != cloud.IPv6:
			return nil, fmt.Sprintf("%s rule %s has IP version %q", dir, r.ID, c.IPVersion)
		}
		seen[c.Priority] = true
		anyCIDR := "0.0.0.0/0"
		e := Rule{Priority: c.Priority, Action: c.Action, Protocol: c.Protocol}
		if c.IPVersion == cloud.IPv6 {
			e.IPVersion, anyCIDR = cloud.IPv6, "::/0"
		}
		if c.SourceCIDR != anyCIDR {
			e.SourceCIDR = c.SourceCIDR
		}
		if c.DestCIDR != anyCIDR {
			e.DestCIDR = c.DestCIDR
		}
		e.SourcePort, e.DestPort = shortPorts(c.SourcePort), shortPorts(c.DestPort)
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out, ""
}

// shortPorts returns the shortest form of a canonical port range: "" for
// all ports (or none, on ALL and ICMP), "443" for one port.
func shortPorts(p string) string {
	if p == "" || p == cloud.AnyPorts {
		return ""
	}
	if lo, hi, ok := strings.Cut(p, "/"); ok && lo == hi {
		return lo
	}
	return p
}

// exportSession converts s, or says why it cannot be written as a spec.
// Its Filter is the filter's ID; Export swaps in the key of an exported one.
func exportSession(s *cloud.Session) (*Session, string) {
	c := cloud.CanonicalSession(*s)
	out := &Session{ID: c.ID, Name: c.Name, Description: c.Description, ResourceGroupID: c.ResourceGroupID,
		Filter: c.FilterID, TargetType: c.TargetType, TargetID: c.TargetID, Priority: c.Priority,
		Enabled: c.Enabled, VNI: c.VNI, Unnamed: c.Name == ""}
	if why := checkCommon(c.Name, c.Description, c.ResourceGroupID); why != "" {
		return nil, why
	}
	var why string
	if out.Tags, why = userTags(c.Tags); why != "" {
		return nil, why
	}
	if c.PacketLength != cloud.DefaultPacketLength {
		out.PacketLength = c.PacketLength
	}
	seen := map[string]bool{}
	for _, src := range c.SourceIDs {
		if !seen[src] {
			seen[src] = true
			out.Sources = append(out.Sources, src)
		}
	}
	switch {
	case !filterIDPattern.MatchString(c.FilterID):
		return nil, fmt.Sprintf("its filter ID %q does not look like tmf-...", c.FilterID)
	case c.TargetType != cloud.TargetENI && c.TargetType != cloud.TargetSLB:
		return nil, fmt.Sprintf("its target type %q is not NetworkInterface or SLB", c.TargetType)
	case !targetPattern.MatchString(c.TargetID):
		return nil, fmt.Sprintf("its target %q is not an eni- or lb- ID", c.TargetID)
	case seen[c.TargetID]:
		return nil, fmt.Sprintf("its target %s is also one of its sources", c.TargetID)
	case len(out.Sources) == 0:
		return nil, "it has no sources; a spec needs at least one"
	case len(out.Sources) > maxSources:
		return nil, fmt.Sprintf("it has %d sources; a spec allows %d", len(out.Sources), maxSources)
	case c.Priority < 1 || c.Priority > maxPriority:
		return nil, fmt.Sprintf("its priority %d is outside 1-%d", c.Priority, maxPriority)
	case c.PacketLength < minPacketLen || c.PacketLength > maxPacketLen:
		return nil, fmt.Sprintf("its packet length %d is outside %d-%d", c.PacketLength, minPacketLen, maxPacketLen)
	case c.VNI < 0 || c.VNI > maxVNI:
		return nil, fmt.Sprintf("its VNI %d is outside 0-%d", c.VNI, maxVNI)
	}
	for _, src := range out.Sources {
		if !eniPattern.MatchString(src) {
			return nil, fmt.Sprintf("its source %q is not an eni- ID", src)
		}
	}
	return out, ""
}

// checkCommon checks a name, description and resource group against the
// spec's rules (the API's own, so live values rarely fail them).
func checkCommon(name, desc, rg string) string {
	for _, t := range []struct {
		what, v string
		max     int
	}{{"name", name, maxNameLen}, {"description", desc, maxDescLen}} {
		if n := utf8.RuneCountInString(t.v); n > t.max {
			return fmt.Sprintf("its %s has %d characters; a spec allows %d", t.what, n, t.max)
		}
		if l := strings.ToLower(t.v); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			return fmt.Sprintf("its %s starts with a URL scheme, which a spec refuses", t.what)
		}
	}
	if rg != "" && !rgPattern.MatchString(rg) {
		return fmt.Sprintf("its resource group %q does not look like rg-...", rg)
	}
	return ""
}

// userTags returns the tags a spec manages: not tmsync's own and not the
// system's (acs:, aliyun), which the plan keeps as they are.
func userTags(t cloud.Tags) (cloud.Tags, string) {
	out := cloud.Tags{}
	for k, v := range t {
		if strings.HasPrefix(k, "tmsync:") || strings.HasPrefix(k, "acs:") || strings.HasPrefix(k, "aliyun") {
			continue
		}
		switch {
		case k == "" || utf8.RuneCountInString(k) > maxTagLen:
			return nil, fmt.Sprintf("tag key %q is not 1-%d characters", k, maxTagLen)
		case strings.Contains(k, "http://") || strings.Contains(k, "https://"):
			return nil, fmt.Sprintf("tag key %q holds a URL scheme, which a spec refuses", k)
		case utf8.RuneCountInString(v) > maxTagLen:
			return nil, fmt.Sprintf("the value of tag %q is longer than %d characters", k, maxTagLen)
		}
		out[k] = v
	}
	if len(out) > maxUserTags {
		return nil, fmt.Sprintf("it has %d tags; tmsync adds 3 of its own, so a spec allows %d", len(out), maxUserTags)
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, ""
}

// hoistResourceGroup moves a resource group shared by every object to the
// stack.
func hoistResourceGroup(s *Spec) {
	rg, n := "", 0
	for _, f := range s.Filters {
		if f.ResourceGroupID == "" || (rg != "" && f.ResourceGroupID != rg) {
			return
		}
		rg, n = f.ResourceGroupID, n+1
	}
	for _, x := range s.Sessions {
		if x.ResourceGroupID == "" || (rg != "" && x.ResourceGroupID != rg) {
			return
		}
		rg, n = x.ResourceGroupID, n+1
	}
	if n == 0 {
		return
	}
	s.ResourceGroupID = rg
	for i := range s.Filters {
		s.Filters[i].ResourceGroupID = ""
	}
	for i := range s.Sessions {
		s.Sessions[i].ResourceGroupID = ""
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

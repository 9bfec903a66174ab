package plan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// Options change how a plan is computed.
type Options struct {
	// Endpoint names the API endpoint in the plan's header.
	Endpoint string
	// Adopt lets the plan take over unowned objects named by id (C3).
	Adopt bool
	// AllowGap lets a rule reorder with no free priority delete and
	// recreate a rule when a filter swap is impossible (C6).
	AllowGap bool
	// AllowDestroy lifts the safety rails of C13.
	AllowDestroy bool
	// MaxDestroy refuses a plan deleting more objects than this, unless
	// AllowDestroy; 0 means no limit.
	MaxDestroy int
	// Destroy plans the deletion of every object the stack owns.
	Destroy bool
	// SourcesPerSession and SessionsPerSource override the spec's limits
	// when not zero.
	SourcesPerSession int
	SessionsPerSource int
	// Reserved holds session priorities claimed by other stacks planned in
	// the same run and region, priority to the holder's address.
	Reserved map[int]string
	// Siblings are the other stacks of the run: their objects are not
	// reported as unmanaged.
	Siblings []string
	// Account is the ID of the account the stack is in, when known; it is
	// part of every client token (C5).
	Account string
	// The guard on selected sources: a plan that removes more than
	// MaxSourceRemoval existing sources of a session or group (0: half,
	// at least 5) or every one, or adds more than MaxSourceAddition (0: as
	// many as there are, at least 10), is refused unless allowed.
	MaxSourceRemoval    int
	MaxSourceAddition   int
	AllowSourceRemoval  bool
	AllowSourceAddition bool
}

// A Problem is a reason the plan cannot be made.
type Problem struct {
	Address Addr     `json:"address"`
	Pos     spec.Pos `json:"-"`
	Message string   `json:"message"`
	Hint    string   `json:"hint,omitempty"`
}

// An Error lists every problem found while planning.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		if p.Pos.File != "" {
			fmt.Fprintf(&b, "%s: ", p.Pos)
		}
		fmt.Fprintf(&b, "%s: %s", p.Address, p.Message)
		if p.Hint != "" {
			fmt.Fprintf(&b, "\n  hint: %s", p.Hint)
		}
	}
	return b.String()
}

// Compute diffs desired against live into a plan. live is the whole region,
// owned or not. It never changes its inputs.
func Compute(desired *spec.Stack, live *cloud.Snapshot, opts Options) (*Plan, error) {
	pl := newPlanner(desired, live, opts)
	pl.run()
	if len(pl.problems) > 0 {
		return nil, &Error{Problems: pl.problems}
	}
	return pl.p, nil
}

// ID returns the plan ID of desired against live (C5): a hash of the stack,
// region, the canonical desired state and the snapshot without statuses and
// timestamps.
func ID(desired *spec.Stack, live *cloud.Snapshot, opts Options) string {
	return planID(desired, live, canonicalFilters(live), opts)
}

// canonicalFilters returns the canonical form of each live filter, by
// pointer into live: the plan ID and the diff both need it, and it is
// worth computing once (make bench).
func canonicalFilters(live *cloud.Snapshot) map[*cloud.Filter]cloud.Filter {
	out := make(map[*cloud.Filter]cloud.Filter, len(live.Filters))
	for i := range live.Filters {
		out[&live.Filters[i]] = cloud.CanonicalLiveFilter(live.Filters[i])
	}
	return out
}

func planID(desired *spec.Stack, live *cloud.Snapshot, canon map[*cloud.Filter]cloud.Filter, opts Options) string {
	snap := cloud.Snapshot{Region: live.Region, ServiceEnabled: live.ServiceEnabled}
	for i := range live.Filters {
		f := canon[&live.Filters[i]]
		f.Status, f.CreationTime = "", ""
		f.Ingress = stripRuleStatus(f.Ingress)
		f.Egress = stripRuleStatus(f.Egress)
		snap.Filters = append(snap.Filters, f)
	}
	for _, s := range live.Sessions {
		s = cloud.CanonicalSession(s)
		s.Status, s.BusinessStatus, s.CreationTime = "", "", ""
		snap.Sessions = append(snap.Sessions, s)
	}
	sort.Slice(snap.Filters, func(i, j int) bool { return snap.Filters[i].ID < snap.Filters[j].ID })
	sort.Slice(snap.Sessions, func(i, j int) bool { return snap.Sessions[i].ID < snap.Sessions[j].ID })
	return digest("tmsync-plan-1", desired.Name, desired.Region, desired, snap, opts.Destroy, opts.Adopt)[:32]
}

func stripRuleStatus(rs []cloud.Rule) []cloud.Rule {
	out := make([]cloud.Rule, len(rs))
	for i, r := range rs {
		r.Status = ""
		out[i] = r
	}
	return out
}

type planner struct {
	desired *spec.Stack
	live    *cloud.Snapshot
	opts    Options
	p       *Plan
	canon   map[*cloud.Filter]cloud.Filter // live filters in canonical form
	moves   []move                         // the spec's moved entries
	// previous are the previous names of the stack whose objects it takes
	// over: those of the spec that are not stacks of this run.
	previous []string
	id       <-chan string // the plan ID, once hashed

	problems []Problem

	// steps
	counters map[StepID]int  // address and op (N 0) -> steps so far
	lastOf   map[Addr]StepID // unit -> its last step
	openStep StepID          // the service open step, if any

	// ownership
	ownedFilters  map[string][]*cloud.Filter  // key -> owned filters
	ownedSessions map[string][]*cloud.Session // key -> owned sessions
	filterKeyByID map[string]string           // owned or adopted filter ID -> key
	filterByID    map[string]*cloud.Filter    // every live filter
	sessionByID   map[string]*cloud.Session   // every live session
	replaces      map[StepID]string           // create step -> the ID of the filter it replaces
	genWrites     []genWrite                  // objects whose chain moves through tmsync:gen
	enis          map[string]cloud.ENI        // the ENIs read, by ID
	resolved      map[string]*resolution      // desired session key -> what its selectors chose
	resolutions   []*resolution               // every selected session of the spec, in order
	groups        map[string]bool             // keys of desired session groups
	groupLive     map[string]bool             // groups with a live member
	taken         map[string]bool             // live IDs matched to a desired object

	// results of the filter phase, used by sessions
	filterRefs  map[string]Ref // desired filter key -> where its sessions point
	filterMatch map[string]*cloud.Filter
	swapped     map[string]bool // old filter IDs replaced by a swap
	// steps that must finish before a live filter is deleted
	filterUsers map[string][]StepID
	// live filter IDs to delete at the end, with the reason
	filterDeletes []filterDelete
	destroyCount  int
	ownedCount    int
}

type filterDelete struct {
	f      *cloud.Filter
	key    string
	reason Reason
}

func newPlanner(desired *spec.Stack, live *cloud.Snapshot, opts Options) *planner {
	canon := canonicalFilters(live)
	// The plan ID hashes the whole spec and snapshot, a quarter of a
	// no-op plan's time, and only the tokens need it: hash it on another
	// core meanwhile. Both sides only read the inputs.
	id := make(chan string, 1)
	go func() { id <- planID(desired, live, canon, opts) }()
	return &planner{
		desired: desired, live: live, opts: opts, canon: canon, id: id, moves: parseMoves(desired.Moved),
		p: &Plan{FormatVersion: FormatVersion, Stack: desired.Name,
			Region: desired.Region, Endpoint: opts.Endpoint, Changes: []Change{}, Steps: []Step{},
			Gaps: []string{}, Notes: []string{}, Unmanaged: []Unmanaged{}, Traffic: []Traffic{}},
		counters: map[StepID]int{}, lastOf: map[Addr]StepID{},
		ownedFilters: map[string][]*cloud.Filter{}, ownedSessions: map[string][]*cloud.Session{},
		filterKeyByID: map[string]string{}, taken: map[string]bool{},
		filterByID: map[string]*cloud.Filter{}, sessionByID: map[string]*cloud.Session{}, replaces: map[StepID]string{},
		enis: map[string]cloud.ENI{}, resolved: map[string]*resolution{}, groups: map[string]bool{}, groupLive: map[string]bool{},
		filterRefs: map[string]Ref{}, filterMatch: map[string]*cloud.Filter{}, swapped: map[string]bool{},
		filterUsers: map[string][]StepID{},
		previous:    previousStacks(desired, opts),
	}
}

// previousStacks returns the previous names of desired that are not stacks
// of the run (checkPreviousStacks refuses those).
func previousStacks(desired *spec.Stack, opts Options) []string {
	var out []string
	for _, prev := range desired.PreviousStacks {
		if !slices.Contains(opts.Siblings, prev) {
			out = append(out, prev)
		}
	}
	return out
}

// canonical returns the canonical form of f, a filter of pl.live.
func (pl *planner) canonical(f *cloud.Filter) cloud.Filter {
	if c, ok := pl.canon[f]; ok {
		return c
	}
	return cloud.CanonicalLiveFilter(*f)
}

func (pl *planner) problem(addr Addr, pos spec.Pos, hint, format string, args ...any) {
	pl.problems = append(pl.problems, Problem{Address: addr, Pos: pos, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// addStep appends a step of op for the object at addr in unit (the zero
// unit is addr's own), names it, and makes it depend on the previous step
// of its unit, on the service open step and on deps.
func (pl *planner) addStep(addr Addr, op Op, deps ...StepID) StepID {
	return pl.addUnitStep(addr, addr.Unit(), op, deps...)
}

func (pl *planner) addUnitStep(addr, unit Addr, op Op, deps ...StepID) StepID {
	base := StepID{Addr: addr, Op: op.Kind()}
	pl.counters[base]++
	s := Step{ID: StepID{Addr: addr, Op: op.Kind(), N: pl.counters[base]}, Unit: unit, Op: op}
	set := map[StepID]bool{}
	add := func(d StepID) {
		if !d.IsZero() && d != s.ID && !set[d] {
			set[d] = true
			s.DependsOn = append(s.DependsOn, d)
		}
	}
	add(pl.openStep)
	add(pl.lastOf[s.Unit])
	for _, d := range deps {
		add(d)
	}
	SortStepIDs(s.DependsOn)
	if s.DependsOn == nil {
		s.DependsOn = []StepID{}
	}
	pl.lastOf[s.Unit] = s.ID
	pl.p.Steps = append(pl.p.Steps, s)
	return s.ID
}

func (pl *planner) addChange(c Change) {
	if c.Reasons == nil {
		c.Reasons = []Reason{}
	}
	c.Type = c.Addr.Kind
	pl.p.Changes = append(pl.p.Changes, c)
	pl.p.Summary.Count(c.Action)
}

func (pl *planner) run() {
	pl.indexOwnership()
	pl.planService()
	if len(pl.problems) > 0 {
		return
	}
	desiredFilters, desiredSessions := pl.desired.Filters, pl.desired.Sessions
	if pl.opts.Destroy {
		desiredFilters, desiredSessions = nil, nil
	}
	for _, f := range desiredFilters {
		pl.planFilter(f)
	}
	pl.collectFilterDeletes(desiredFilters)
	for _, d := range desiredSessions {
		if d.Split != nil {
			pl.groups[d.Key] = true
		}
	}
	for key := range pl.ownedSessions {
		if g, _, ok := groupOf(key); ok {
			pl.groupLive[g] = true
		}
	}
	desiredSessions = pl.expandSessions(desiredSessions)
	pl.p.Resolved = map[string][]string{}
	for _, d := range desiredSessions {
		pl.p.Resolved[d.Key] = d.Sources
	}
	pl.guardSources()
	pl.planSessions(desiredSessions)
	pl.planFilterDeletes()
	pl.suggestMoves()
	pl.emitGen()
	pl.checkRails()
	pl.reportUnmanaged()
	pl.p.ID = <-pl.id
	pl.assignTokens()
}

// owner returns the stack and key an object's tags name, with the renames
// of the spec applied: a previous name of the stack reads as the stack, and
// a moved key as its new key. An object whose ownership tags tmsync did not
// write (see disowned) has no owner.
func (pl *planner) owner(kind Kind, t cloud.Tags) (stack, key string) {
	if disowned(t) != "" {
		return "", ""
	}
	stack, key = t[cloud.TagStack], t[cloud.TagKey]
	for _, prev := range pl.previous {
		if stack == prev && prev != "" {
			stack = pl.desired.Name
		}
	}
	if stack == pl.desired.Name {
		for _, m := range pl.moves {
			if m.from == (Addr{Kind: kind, Key: key}) && m.to.Kind == kind {
				key = m.to.Key
			}
		}
	}
	return stack, key
}

// disowned says why an object whose tags claim it for tmsync is not
// tmsync's, or returns "" when the claim holds or there is none. tmsync
// writes tmsync:stack, tmsync:key and tmsync:applied together, in the create
// itself, and tmsync:applied always in a form ParseApplied reads: an object
// without one of them, or with a value of tmsync:applied in no such form,
// was tagged by someone else and is never changed or deleted.
func disowned(t cloud.Tags) string {
	stack, hasStack := t[cloud.TagStack]
	key, hasKey := t[cloud.TagKey]
	applied, hasApplied := t[cloud.TagApplied]
	if !hasStack && !hasKey && !hasApplied {
		return ""
	}
	if stack != "" && key != "" && hasApplied {
		if _, ok := ParseApplied(applied); ok {
			return ""
		}
	}
	var claim, missing []string
	for _, k := range []string{cloud.TagStack, cloud.TagKey} {
		if v := t[k]; v != "" {
			claim = append(claim, fmt.Sprintf("%s=%q", k, v))
		} else {
			missing = append(missing, k)
		}
	}
	if !hasApplied {
		missing = append(missing, cloud.TagApplied)
	}
	if hasApplied && len(claim) < 2 {
		claim = append(claim, fmt.Sprintf("%s=%q", cloud.TagApplied, applied))
	}
	why := "has " + strings.Join(claim, " ")
	if len(missing) > 0 {
		return why + " but no " + strings.Join(missing, " or ") + ", so tmsync did not tag it"
	}
	return why + fmt.Sprintf(" but %s=%q, a value tmsync never writes", cloud.TagApplied, applied)
}

type move struct{ from, to Addr }

// parseMoves reads the spec's moved entries; the spec checked their form.
func parseMoves(ms []spec.Move) []move {
	var out []move
	for _, m := range ms {
		from, err1 := ParseAddr(m.From)
		to, err2 := ParseAddr(m.To)
		if err1 == nil && err2 == nil {
			out = append(out, move{from: from, to: to})
		}
	}
	return out
}

// renamed reports whether an owned object's tags still carry an old stack
// name or key.
func (pl *planner) renamed(t cloud.Tags, key string) bool {
	return t[cloud.TagStack] != pl.desired.Name || t[cloud.TagKey] != key
}

// indexOwnership finds the objects the stack owns, by key: those tagged
// with its name, and those of a previous name it takes over (see
// takeOver).
func (pl *planner) indexOwnership() {
	pl.checkPreviousStacks()
	stack := pl.desired.Name
	prevFilters := map[string][]*cloud.Filter{}
	for i := range pl.live.Filters {
		pl.filterByID[pl.live.Filters[i].ID] = &pl.live.Filters[i]
	}
	for i := range pl.live.Sessions {
		pl.sessionByID[pl.live.Sessions[i].ID] = &pl.live.Sessions[i]
	}
	for _, e := range pl.live.ENIs {
		pl.enis[e.ID] = e
	}
	for i := range pl.live.Filters {
		f := &pl.live.Filters[i]
		if st, key := pl.owner(KindFilter, f.Tags); st == stack && key != "" {
			if f.Tags[cloud.TagStack] == stack {
				pl.ownedFilters[key] = append(pl.ownedFilters[key], f)
			} else {
				prevFilters[key] = append(prevFilters[key], f)
			}
		}
	}
	prevSessions := map[string][]*cloud.Session{}
	for i := range pl.live.Sessions {
		s := &pl.live.Sessions[i]
		if st, key := pl.owner(KindSession, s.Tags); st == stack && key != "" {
			if s.Tags[cloud.TagStack] == stack {
				pl.ownedSessions[key] = append(pl.ownedSessions[key], s)
			} else {
				prevSessions[key] = append(prevSessions[key], s)
			}
		}
	}
	takeOver(pl, KindFilter, pl.ownedFilters, prevFilters, func(f *cloud.Filter) (string, cloud.Tags) { return f.ID, f.Tags })
	takeOver(pl, KindSession, pl.ownedSessions, prevSessions, func(s *cloud.Session) (string, cloud.Tags) { return s.ID, s.Tags })
	for _, fs := range pl.ownedFilters {
		pl.ownedCount += len(fs)
	}
	for _, ss := range pl.ownedSessions {
		pl.ownedCount += len(ss)
	}
	for key, fs := range pl.ownedFilters {
		for _, f := range fs {
			pl.filterKeyByID[f.ID] = key
		}
	}
}

// checkPreviousStacks refuses a previous name of the stack that is a stack
// of this run: that stack is still declared, and a rename would take over
// or delete its objects.
func (pl *planner) checkPreviousStacks() {
	for _, prev := range pl.desired.PreviousStacks {
		if slices.Contains(pl.opts.Siblings, prev) {
			pl.problem(StackAddr(pl.desired.Name), pl.desired.Pos,
				fmt.Sprintf("remove %q from previousStacks while it is declared, or stop declaring it", prev),
				"previousStacks names stack %q, which this run also applies: a stack that is still declared cannot be a previous name of another", prev)
		}
	}
}

// takeOver adds to owned, by key, the objects of the stack's previous names
// (prev) it takes over: an object of a previous stack is re-tagged only when
// it is the one object of its key. When the stack has an object with that
// key too, or previous stacks have several, the previous stack may still be
// in use (applied from a spec of its own): its objects are neither taken
// over nor deleted as duplicates, and the plan fails.
func takeOver[T any](pl *planner, kind Kind, owned, prev map[string][]*T, id func(*T) (string, cloud.Tags)) {
	for _, key := range slices.Sorted(maps.Keys(prev)) {
		ps := prev[key]
		if len(owned[key]) == 0 && len(ps) == 1 {
			owned[key] = ps
			continue
		}
		var objs, stacks []string
		for _, o := range owned[key] {
			i, _ := id(o)
			objs = append(objs, i+" (this stack)")
		}
		for _, o := range ps {
			i, t := id(o)
			objs = append(objs, fmt.Sprintf("%s (stack %q)", i, t[cloud.TagStack]))
			if !slices.Contains(stacks, strconv.Quote(t[cloud.TagStack])) {
				stacks = append(stacks, strconv.Quote(t[cloud.TagStack]))
			}
		}
		addr := Addr{Kind: kind, Key: key}
		pl.problem(addr, pl.desired.Pos,
			fmt.Sprintf("if stack %s is still in use, remove it from previousStacks; if not, delete the extra %ss by hand", strings.Join(stacks, ", "), kind),
			"%d %ss have this key: %s; a previous stack's %s is taken over only when it is the only one, and never deleted as a duplicate",
			len(objs), kind, strings.Join(objs, ", "), kind)
	}
}

func (pl *planner) planService() {
	if pl.live.ServiceEnabled || pl.opts.Destroy {
		return
	}
	addr := ServiceAddr(pl.desired.Region)
	hasObjects := len(pl.desired.Filters)+len(pl.desired.Sessions) > 0
	if pl.desired.Service == nil || !pl.desired.Service.Enabled {
		if hasObjects {
			pl.problem(addr, pl.desired.Pos,
				"add `service: {enabled: true}` to the stack to let tmsync open it",
				"the Traffic Mirror service is not open in region %s", pl.desired.Region)
		}
		return
	}
	pl.addChange(Change{Addr: addr, Action: Create, Reasons: []Reason{ReasonOpen},
		Before: &Values{Service: &ServiceValues{Enabled: false}}, After: &Values{Service: &ServiceValues{Enabled: true}}})
	pl.openStep = pl.addStep(addr, &OpenService{})
}

// userTags returns the tags of t that a user manages: not ownership tags and
// not system tags.
func userTags(t cloud.Tags) cloud.Tags {
	out := cloud.Tags{}
	for k, v := range t {
		if isSystemTag(k) || strings.HasPrefix(k, "tmsync:") {
			continue
		}
		out[k] = v
	}
	return out
}

func isSystemTag(k string) bool {
	return strings.HasPrefix(k, "acs:") || strings.HasPrefix(k, "aliyun")
}

// label returns the reasons of a change to an object with tags t whose live
// projection hashes to liveHash and desired projection to wantHash.
func label(t cloud.Tags, liveHash, wantHash string) []Reason {
	v, ok := t[cloud.TagApplied]
	if !ok {
		return []Reason{ReasonAdopt}
	}
	applied := appliedHashOf(v)
	if liveHash == wantHash {
		// Live state already is what the spec asks; only the fields the
		// spec manages changed (a field added to or dropped from the
		// spec), so nothing drifted.
		return []Reason{ReasonSpec}
	}
	var rs []Reason
	if liveHash != applied {
		rs = append(rs, ReasonDrift)
	}
	if wantHash != applied {
		rs = append(rs, ReasonSpec)
	}
	if rs == nil {
		rs = []Reason{ReasonSpec}
	}
	return rs
}

// tagSteps plans the tag changes that make live tags equal want (user tags
// plus ownership), keeping system tags. resource is cloud.ResourceFilter or
// cloud.ResourceSession.
func (pl *planner) tagSteps(addr Addr, resource string, target Ref, live, want cloud.Tags) {
	set := cloud.Tags{}
	for k, v := range want {
		if w, ok := live[k]; !ok || w != v {
			set[k] = v
		}
	}
	var drop []string
	for k := range live {
		if _, ok := want[k]; !ok && !isSystemTag(k) {
			drop = append(drop, k)
		}
	}
	sort.Strings(drop)
	if len(drop) > 0 {
		pl.addStep(addr, &Untag{Resource: resource, Target: target, Keys: drop})
	}
	if len(set) > 0 {
		pl.addStep(addr, &Tag{Resource: resource, Target: target, Tags: set})
	}
}

// maxTags is the most tags a resource holds; the API refuses more.
const maxTags = 20

// A genWrite is an owned object written by this plan whose write did not
// change what its tmsync:applied value hashes (a drift corrected): its
// chain moves on through the tmsync:gen value all such objects of the
// plan share, written 20 objects a call (C3).
type genWrite struct {
	resource string
	ref      Ref
	after    StepID // the object's last step
	applied  string // its tmsync:applied and tmsync:gen now
	gen      string
}

// chainTags plans the tag writes of an owned object once its other steps
// are planned: the ownership and user tags of want, the tmsync:applied
// value (hash and protect as the spec has them), and, when the object was
// written but its applied value stays, a move of its chain through the
// shared tmsync:gen (emitGen), if it has room for one more tag.
func (pl *planner) chainTags(addr Addr, resource string, ref Ref, live, want cloud.Tags, hash string, protect, writes bool) {
	current := live[cloud.TagApplied]
	system := 0
	for k := range live {
		if isSystemTag(k) {
			system++
		}
	}
	_, hasGen := live[cloud.TagGen]
	viaGen := writes && appliedHashOf(current) == hash && protectedBy(current) == protect &&
		len(want)+1+system+1 <= maxTags
	if viaGen {
		want[cloud.TagApplied] = current
	} else {
		want[cloud.TagApplied] = pl.nextApplied(current, hash, protect, writes)
	}
	if hasGen {
		want[cloud.TagGen] = live[cloud.TagGen] // moved by emitGen, or kept
	}
	pl.tagSteps(addr, resource, ref, live, want)
	if viaGen {
		pl.genWrites = append(pl.genWrites, genWrite{resource: resource, ref: ref, after: pl.lastOf[addr.Unit()],
			applied: current, gen: live[cloud.TagGen]})
	}
}

// emitGen moves the chain of every object of genWrites with one tmsync:gen
// value, in TagResources calls of MaxTagTargets objects of one type. The
// value hashes what the objects carry now, so it differs from each one's.
func (pl *planner) emitGen() {
	if len(pl.genWrites) == 0 {
		return
	}
	parts := []any{"tmsync-gen", pl.desired.Name}
	for _, g := range pl.genWrites {
		parts = append(parts, g.ref.ID, g.applied, g.gen)
	}
	gen := digest(parts...)[:appliedLinkLen+2]
	at := StackAddr(pl.desired.Name)
	for _, resource := range []string{cloud.ResourceFilter, cloud.ResourceSession} {
		var batch []genWrite
		flush := func() {
			if len(batch) == 0 {
				return
			}
			op := &Tag{Resource: resource, Target: batch[0].ref, Tags: cloud.Tags{cloud.TagGen: gen}}
			var deps []StepID
			for i, g := range batch {
				if i > 0 {
					op.Others = append(op.Others, g.ref)
				}
				deps = append(deps, g.after)
			}
			pl.addStep(at, op, deps...)
			batch = nil
		}
		for _, g := range pl.genWrites {
			if g.resource != resource {
				continue
			}
			batch = append(batch, g)
			if len(batch) == MaxTagTargets {
				flush()
			}
		}
		flush()
	}
}

// nextApplied returns the tmsync:applied value an owned object should have:
// its current one while nothing is written, the hash holds and it records
// protect as the spec has it, else a new link in its chain.
func (pl *planner) nextApplied(current, hash string, protect, writes bool) string {
	if !writes && appliedHashOf(current) == hash && protectedBy(current) == protect {
		return current
	}
	return writeApplied(hash, current, protect)
}

func ownership(stack, key, applied string, user cloud.Tags) cloud.Tags {
	t := user.Clone()
	if t == nil {
		t = cloud.Tags{}
	}
	t[cloud.TagStack] = stack
	t[cloud.TagKey] = key
	t[cloud.TagApplied] = applied
	return t
}

func (pl *planner) reportUnmanaged() {
	sibling := map[string]bool{}
	for _, s := range pl.opts.Siblings {
		sibling[s] = true
	}
	for _, f := range pl.live.Filters {
		if sibling[f.Tags[cloud.TagStack]] {
			continue
		}
		if st, _ := pl.owner(KindFilter, f.Tags); st != pl.desired.Name && !pl.taken[f.ID] {
			pl.p.Unmanaged = append(pl.p.Unmanaged, Unmanaged{Type: KindFilter, ID: f.ID, Name: f.Name, Stack: st,
				Reason: disowned(f.Tags)})
		}
	}
	for _, s := range pl.live.Sessions {
		if sibling[s.Tags[cloud.TagStack]] {
			continue
		}
		if st, _ := pl.owner(KindSession, s.Tags); st != pl.desired.Name && !pl.taken[s.ID] {
			pl.p.Unmanaged = append(pl.p.Unmanaged, Unmanaged{Type: KindSession, ID: s.ID, Name: s.Name, Stack: st,
				Reason: disowned(s.Tags)})
		}
	}
	sort.Slice(pl.p.Unmanaged, func(i, j int) bool {
		a, b := pl.p.Unmanaged[i], pl.p.Unmanaged[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.ID < b.ID
	})
}

func (pl *planner) checkRails() {
	if pl.opts.AllowDestroy || pl.opts.Destroy {
		return
	}
	if pl.destroyCount > 0 && pl.destroyCount >= pl.ownedCount {
		pl.problem(StackAddr(pl.desired.Name), pl.desired.Pos,
			"if that is what you want, run `tmsync destroy` or pass --allow-destroy",
			"the plan deletes every object the stack owns (%d)", pl.destroyCount)
		return
	}
	if pl.opts.MaxDestroy > 0 && pl.destroyCount > pl.opts.MaxDestroy {
		pl.problem(StackAddr(pl.desired.Name), pl.desired.Pos,
			"review the plan, then pass --allow-destroy or raise --max-destroy",
			"the plan deletes %d objects, more than --max-destroy %d", pl.destroyCount, pl.opts.MaxDestroy)
	}
}

func (pl *planner) assignTokens() {
	// Each token is a hash of its own step, and thousands of them are a
	// fifth of a plan from empty: two goroutines share them.
	steps := pl.p.Steps
	var wg sync.WaitGroup
	for _, part := range [][]Step{steps[:len(steps)/2], steps[len(steps)/2:]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range part {
				s := &part[i]
				if s.Op.Kind().Tokened() {
					s.ClientToken = token(pl.tokenInput(s))
				}
			}
		}()
	}
	wg.Wait()
	// Two steps of one plan that would send the same request (rare: the
	// same op twice on one object) must still differ: the later ones take
	// the next generations, the same on every runner.
	seen := map[string]bool{}
	for i := range steps {
		s := &steps[i]
		for s.ClientToken != "" && seen[s.ClientToken] {
			s.ClientToken = NextToken(s.ClientToken)
		}
		seen[s.ClientToken] = true
	}
}

// tokenInput returns what the token of s is made of (C5).
func (pl *planner) tokenInput(s *Step) tokenInput {
	in := tokenInput{Account: pl.opts.Account, Stack: pl.desired.Name, Address: s.Addr(), Op: s.Kind(),
		Params: pl.tokenParams(s.Op)}
	if obj := s.Op.Object(); obj.Known() {
		in.Basis = pl.appliedOf(obj.ID)
	} else if old, ok := pl.replaces[s.ID]; ok {
		in.Basis = "replaces " + old
	}
	return in
}

// tokenParams returns op with the other objects it names (a session's
// filter) written as addresses: a filter one runner sees created and
// another sees being created in its own plan is one filter. The object the
// op writes keeps its ID, so that a write to one of two objects with one
// key is not the write to the other.
func (pl *planner) tokenParams(op Op) Op {
	name := func(r Ref) Ref {
		if !r.Step.IsZero() {
			return Ref{Step: StepID{Addr: r.Step.Addr}}
		}
		if k, ok := pl.filterKeyByID[r.ID]; ok {
			return Ref{Step: StepID{Addr: FilterAddr(k)}}
		}
		return r
	}
	switch o := op.(type) {
	case *CreateSession:
		c := *o
		c.Filter = name(o.Filter)
		return &c
	case *UpdateSession:
		if o.Filter != nil {
			c := *o
			f := name(*o.Filter)
			c.Filter = &f
			return &c
		}
	}
	return op
}

// appliedOf returns the chain of the live filter or session id: its
// tmsync:applied value, and its tmsync:gen value when it has one; "" when
// there is no such object.
func (pl *planner) appliedOf(id string) string {
	var t cloud.Tags
	if f, ok := pl.filterByID[id]; ok {
		t = f.Tags
	} else if s, ok := pl.sessionByID[id]; ok {
		t = s.Tags
	}
	if g, ok := t[cloud.TagGen]; ok {
		return t[cloud.TagApplied] + " gen " + g
	}
	return t[cloud.TagApplied]
}

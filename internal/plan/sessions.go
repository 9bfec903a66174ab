package plan

import (
	"fmt"
	"sort"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// MaxSessionPriority is the highest session priority.
const MaxSessionPriority = 32766

// MaxSourcesPerCall is the most sources one Add or Remove call takes.
const MaxSourcesPerCall = 10

type sessionWork struct {
	d      *spec.Session
	live   *cloud.Session // nil: create
	addr   string
	filter Ref
	// priority placement
	from, to int
	reasons  []Reason
}

// sessionAttrs is the reviewable form of a session; filter is how the
// filter is named (an ID, or filter.<key> for one created in this plan).
func sessionAttrs(d *spec.Session, name, desc, filter, ttype, tid string, sources []string,
	prio, plen, vni int, enabled bool, rg string, tags cloud.Tags) map[string]any {
	m := map[string]any{
		"filter": filter, "target_type": ttype, "target_id": tid,
		"sources": append([]string{}, sources...), "priority": prio, "packet_length": plen,
		"enabled": enabled, "tags": map[string]string(userTags(tags)),
	}
	if d.Name != "" {
		m["name"] = name
	}
	if d.Description != "" {
		m["description"] = desc
	}
	if d.VNI != nil {
		m["virtual_network_id"] = vni
	}
	if d.ResourceGroupID != "" {
		m["resource_group_id"] = rg
	}
	return m
}

func vniOf(d *spec.Session) int {
	if d.VNI == nil {
		return 0
	}
	return *d.VNI
}

// filterName returns how a session's filter reads in the hash: a key of
// this stack or a foreign ID, so that a swap does not count as drift.
func (pl *planner) liveFilterName(id string) string {
	if k, ok := pl.filterKeyByID[id]; ok {
		return "filter." + k
	}
	return id
}

func (pl *planner) wantFilterName(d *spec.Session) string {
	if d.Filter != "" {
		return "filter." + d.Filter
	}
	return pl.liveFilterName(d.FilterID)
}

func (pl *planner) wantSessionAttrs(d *spec.Session, filterName string) map[string]any {
	return sessionAttrs(d, d.Name, d.Description, filterName, d.TargetType, d.TargetID, d.Sources,
		d.Priority, d.PacketLength, vniOf(d), d.Enabled, d.ResourceGroupID, d.Tags)
}

func (pl *planner) liveSessionAttrs(d *spec.Session, l *cloud.Session, filterName string) map[string]any {
	return sessionAttrs(d, l.Name, l.Description, filterName, l.TargetType, l.TargetID, l.SourceIDs,
		l.Priority, l.PacketLength, l.VNI, l.Enabled, l.ResourceGroupID, l.Tags)
}

func (pl *planner) sessionCost(d *spec.Session, l *cloud.Session) int {
	c := cloud.CanonicalSession(*l)
	w := pl.wantSessionAttrs(d, pl.wantFilterName(d))
	h := pl.liveSessionAttrs(d, &c, pl.liveFilterName(c.FilterID))
	n := 0
	for k := range w {
		if fmt.Sprint(w[k]) != fmt.Sprint(h[k]) {
			n++
		}
	}
	return n
}

func (pl *planner) matchSession(d *spec.Session) (*cloud.Session, []Reason, []*cloud.Session) {
	addr := "session." + d.Key
	cands := pl.ownedSessions[d.Key]
	var keep *cloud.Session
	var reasons []Reason
	if d.ID != "" {
		l := pl.live.Session(d.ID)
		var tags cloud.Tags
		if l != nil {
			tags = l.Tags
		}
		take, adopt := pl.byID(TypeSession, d.Key, d.ID, d.Pos, l != nil, tags)
		if !take {
			return nil, nil, nil
		}
		keep = l
		if adopt {
			reasons = []Reason{ReasonAdopt}
		}
	} else if len(cands) > 0 {
		sort.SliceStable(cands, func(i, j int) bool {
			ci, cj := pl.sessionCost(d, cands[i]), pl.sessionCost(d, cands[j])
			if ci != cj {
				return ci < cj
			}
			return cands[i].ID < cands[j].ID
		})
		keep = cands[0]
	} else {
		var same []string
		for i := range pl.live.Sessions {
			l := &pl.live.Sessions[i]
			if st, _ := pl.owner(TypeSession, l.Tags); st == "" && l.Name == d.Name {
				same = append(same, l.ID)
			}
		}
		pl.noteNameMatch(TypeSession, addr, same)
	}
	var dups []*cloud.Session
	for _, c := range cands {
		if c != keep {
			dups = append(dups, c)
		}
	}
	if keep != nil {
		pl.taken[keep.ID] = true
	}
	return keep, reasons, dups
}

type sessionDelete struct {
	s      *cloud.Session
	key    string
	reason Reason
}

func (pl *planner) planSessions(desired []*spec.Session) {
	var works []*sessionWork
	var deletes []sessionDelete
	want := map[string]bool{}
	for _, d := range desired {
		want[d.Key] = true
		addr := "session." + d.Key
		live, reasons, dups := pl.matchSession(d)
		for _, s := range dups {
			deletes = append(deletes, sessionDelete{s: s, key: d.Key, reason: ReasonDuplicate})
		}
		if live == nil && d.ID != "" {
			continue
		}
		w := &sessionWork{d: d, live: live, addr: addr, reasons: reasons, to: d.Priority}
		switch {
		case d.Filter != "":
			ref, ok := pl.filterRefs[d.Filter]
			if !ok {
				continue // the filter had a problem
			}
			w.filter = ref
		default:
			f := pl.live.Filter(d.FilterID)
			if f == nil {
				pl.problem(addr, d.Pos, "check the filter ID, or name a filter key of this stack",
					"filter %s does not exist in region %s", d.FilterID, pl.desired.Region)
				continue
			}
			if st, _ := pl.owner(TypeFilter, f.Tags); st == pl.desired.Name {
				pl.problem(addr, d.Pos, fmt.Sprintf("write `filter: %s` instead", pl.filterKeyByID[f.ID]),
					"filter %s is managed by this stack; refer to it by key", f.ID)
				continue
			}
			w.filter = Ref{ID: d.FilterID}
		}
		if live != nil {
			w.from = live.Priority
		}
		works = append(works, w)
	}
	keys := make([]string, 0, len(pl.ownedSessions))
	for k := range pl.ownedSessions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if want[k] {
			continue
		}
		for _, s := range pl.ownedSessions[k] {
			deletes = append(deletes, sessionDelete{s: s, key: k, reason: ReasonOrphan})
		}
	}

	// Deletes first: they free priorities, sources and filters.
	freedBy := map[int]string{}
	sourceFreed := map[string][]string{}
	protected := map[string]bool{}
	for _, d := range pl.desired.Sessions {
		protected[d.Key] = d.Protect
	}
	for _, sd := range deletes {
		addr := "session." + sd.key
		if protected[sd.key] && sd.reason != ReasonDuplicate {
			pl.problem(addr, spec.Pos{}, "remove `protect: true` from the session to allow its deletion",
				"session %s is protected and the plan would delete it", sd.s.ID)
			continue
		}
		pl.taken[sd.s.ID] = true
		id := pl.addStep(Step{Address: addr, Kind: TypeSession, Op: OpDeleteSession, Target: Ref{ID: sd.s.ID}})
		freedBy[sd.s.Priority] = id
		pl.filterUsers[sd.s.FilterID] = append(pl.filterUsers[sd.s.FilterID], id)
		for _, src := range sd.s.SourceIDs {
			sourceFreed[src] = append(sourceFreed[src], id)
		}
		if sd.reason == ReasonOrphan {
			pl.destroyCount++
		}
		pl.addChange(Change{Address: addr, Type: TypeSession, ID: sd.s.ID, Action: Delete, Reasons: []Reason{sd.reason},
			Before: map[string]any{"id": sd.s.ID, "name": sd.s.Name, "priority": sd.s.Priority}})
	}

	// Who holds each priority once the deletes are done.
	occ := map[int]string{} // priority -> session ID
	deleted := map[string]bool{}
	for _, sd := range deletes {
		deleted[sd.s.ID] = true
	}
	for _, s := range pl.live.Sessions {
		if !deleted[s.ID] {
			occ[s.Priority] = s.ID
		}
	}
	wanted := map[int]bool{}
	for _, w := range works {
		wanted[w.to] = true
		holder := occ[w.to]
		if holder == "" || (w.live != nil && holder == w.live.ID) {
			continue
		}
		h := pl.live.Session(holder)
		st, key := pl.owner(TypeSession, h.Tags)
		if st != pl.desired.Name || pl.ownedSessions[key] == nil || !want[key] {
			what := ownerName(st)
			if st == pl.desired.Name {
				what = "this stack's session." + key
			}
			pl.problem(w.addr, w.d.Pos, "choose another priority, or free it in the console or the other stack first",
				"priority %d is held by session %s %q (%s)", w.to, h.ID, h.Name, what)
		}
	}
	for p, holder := range pl.opts.Reserved {
		for _, w := range works {
			if w.to == p {
				pl.problem(w.addr, w.d.Pos, "session priorities are unique per region; choose another",
					"priority %d is also wanted by %s", p, holder)
			}
		}
	}
	if len(pl.problems) > 0 {
		return
	}

	// Place sessions in an order where each priority is free when taken;
	// a cycle moves one session through a temporary priority.
	pending := works
	for len(pending) > 0 {
		progressed := false
		for i := 0; i < len(pending); i++ {
			w := pending[i]
			self := ""
			if w.live != nil {
				self = w.live.ID
			}
			if h := occ[w.to]; h != "" && h != self {
				continue
			}
			pl.emitSession(w, freedBy, sourceFreed)
			if w.live != nil && w.from != w.to {
				delete(occ, w.from)
				freedBy[w.from] = pl.lastOf[w.addr]
			}
			occ[w.to] = self
			if self == "" {
				occ[w.to] = "new:" + w.addr
			}
			pending = append(pending[:i], pending[i+1:]...)
			progressed = true
			i = -1
		}
		if progressed || len(pending) == 0 {
			continue
		}
		w := pending[0]
		tmp := pl.tempPriority(occ, wanted)
		id := pl.addStep(Step{Address: w.addr, Kind: TypeSession, Op: OpUpdateSession, Target: Ref{ID: w.live.ID},
			Params: Params{Session: &SessionSpec{Priority: intp(tmp)}}})
		delete(occ, w.from)
		freedBy[w.from] = id
		occ[tmp] = w.live.ID
		w.from = tmp
	}
}

// tempPriority picks a priority free in the whole region and wanted by no
// one: the highest such.
func (pl *planner) tempPriority(occ map[int]string, wanted map[int]bool) int {
	for p := MaxSessionPriority; p >= 1; p-- {
		if occ[p] == "" && !wanted[p] {
			if _, r := pl.opts.Reserved[p]; !r {
				return p
			}
		}
	}
	return 0
}

func (pl *planner) sourcesPerSession() int {
	if pl.opts.SourcesPerSession > 0 {
		return pl.opts.SourcesPerSession
	}
	if pl.desired.Limits.SourcesPerSession > 0 {
		return pl.desired.Limits.SourcesPerSession
	}
	return spec.DefaultSourcesPerSession
}

func (pl *planner) sessionsPerSource() int {
	if pl.opts.SessionsPerSource > 0 {
		return pl.opts.SessionsPerSource
	}
	return pl.desired.Limits.SessionsPerSource
}

// emitSession plans the create or the updates of one session.
func (pl *planner) emitSession(w *sessionWork, freedBy map[int]string, sourceFreed map[string][]string) {
	d := w.d
	var deps []string
	if w.filter.Step != "" {
		deps = append(deps, w.filter.Step)
	}
	if id := freedBy[w.to]; id != "" {
		deps = append(deps, id)
	}
	// Sources a session takes from another must leave it first when the
	// per-source limit is known and reached.
	usage := map[string]int{}
	if pl.sessionsPerSource() > 0 {
		for _, s := range pl.live.Sessions {
			for _, src := range s.SourceIDs {
				usage[src]++
			}
		}
	}
	needsFree := func(src string) bool {
		lim := pl.sessionsPerSource()
		return lim > 0 && usage[src] >= lim
	}

	wantTagsFor := func(hash string) cloud.Tags { return ownership(pl.desired.Name, d.Key, hash, d.Tags) }
	wantHashAttrs := pl.wantSessionAttrs(d, pl.wantFilterName(d))
	wantHash := appliedHash(wantHashAttrs)

	if w.live == nil {
		for _, src := range d.Sources {
			if needsFree(src) {
				deps = append(deps, sourceFreed[src]...)
			}
		}
		ss := &SessionSpec{Filter: &w.filter, SourceIDs: d.Sources, TargetID: strp(d.TargetID),
			TargetType: strp(d.TargetType), Priority: intp(d.Priority), PacketLength: intp(d.PacketLength),
			Enabled: boolp(d.Enabled), VNI: d.VNI}
		params := Params{ResourceGroupID: d.ResourceGroupID, Tags: wantTagsFor(appliedValue(wantHash, "")), Session: ss}
		if d.Name != "" {
			params.Name = strp(d.Name)
		}
		if d.Description != "" {
			params.Description = strp(d.Description)
		}
		pl.addStep(Step{Address: w.addr, Kind: TypeSession, Op: OpCreateSession, Params: params}, deps...)
		after := pl.wantSessionAttrs(d, w.filter.String())
		pl.addChange(Change{Address: w.addr, Type: TypeSession, Action: Create, Reasons: []Reason{ReasonSpec}, After: after})
		return
	}

	l := cloud.CanonicalSession(*w.live)
	ref := Ref{ID: l.ID}
	stepsBefore := len(pl.p.Steps)
	liveHash := hashLike(pl.liveSessionAttrs(d, &l, pl.liveFilterName(l.FilterID)), wantHashAttrs, wantHash)
	reasons := w.reasons
	if reasons == nil {
		reasons = label(l.Tags, liveHash, wantHash)
	}
	if reasons[0] != ReasonAdopt && pl.renamed(l.Tags, d.Key) {
		reasons = append(reasons, ReasonRename)
	}
	ss := &SessionSpec{}
	changed := false
	if w.filter.Step != "" || w.filter.ID != l.FilterID {
		ss.Filter = &w.filter
		changed = true
	}
	if l.TargetID != d.TargetID || l.TargetType != d.TargetType {
		ss.TargetID, ss.TargetType, changed = strp(d.TargetID), strp(d.TargetType), true
	}
	if w.from != d.Priority {
		ss.Priority, changed = intp(d.Priority), true
	}
	if l.PacketLength != d.PacketLength {
		ss.PacketLength, changed = intp(d.PacketLength), true
	}
	if d.VNI != nil && l.VNI != *d.VNI {
		ss.VNI, changed = d.VNI, true
	}
	if l.Enabled != d.Enabled {
		ss.Enabled, changed = boolp(d.Enabled), true
	}
	params := Params{Session: ss}
	if d.Name != "" && l.Name != d.Name {
		params.Name, changed = strp(d.Name), true
	}
	if d.Description != "" && l.Description != d.Description {
		params.Description, changed = strp(d.Description), true
	}
	if changed {
		id := pl.addStep(Step{Address: w.addr, Kind: TypeSession, Op: OpUpdateSession, Target: ref, Params: params}, deps...)
		if ss.Filter != nil {
			// The old filter may be deleted only once the session left it.
			pl.filterUsers[l.FilterID] = append(pl.filterUsers[l.FilterID], id)
		}
		deps = nil
	}

	// Sources by delta, in batches: add first, unless a limit says the
	// gone must leave first (then the gap is reported).
	have := map[string]bool{}
	for _, s := range l.SourceIDs {
		have[s] = true
	}
	wantSrc := map[string]bool{}
	var add, remove []string
	for _, s := range d.Sources {
		wantSrc[s] = true
		if !have[s] {
			add = append(add, s)
		}
	}
	for _, s := range l.SourceIDs {
		if !wantSrc[s] {
			remove = append(remove, s)
		}
	}
	var addDeps []string
	removeFirst := len(l.SourceIDs)+len(add) > pl.sourcesPerSession()
	for _, src := range add {
		if needsFree(src) {
			addDeps = append(addDeps, sourceFreed[src]...)
			removeFirst = true
		}
	}
	addSteps := func() {
		for _, b := range batches(add, MaxSourcesPerCall) {
			pl.addStep(Step{Address: w.addr, Kind: TypeSession, Op: OpAddSources, Target: ref, Params: Params{Sources: b}},
				append(deps, addDeps...)...)
		}
	}
	removeSteps := func() {
		for _, b := range batches(remove, MaxSourcesPerCall) {
			id := pl.addStep(Step{Address: w.addr, Kind: TypeSession, Op: OpRemoveSources, Target: ref, Params: Params{Sources: b}}, deps...)
			for _, src := range b {
				sourceFreed[src] = append(sourceFreed[src], id)
			}
		}
	}
	if removeFirst && len(remove) > 0 && len(add) > 0 {
		removeSteps()
		addSteps()
		pl.p.Gaps = append(pl.p.Gaps, fmt.Sprintf("%s: sources %v leave before %v join, to stay within the limits: traffic of the new sources is not mirrored in between", w.addr, remove, add))
	} else {
		addSteps()
		removeSteps()
	}
	if d.ResourceGroupID != "" && d.ResourceGroupID != l.ResourceGroupID {
		changed = true
		pl.addStep(Step{Address: w.addr, Kind: TypeSession, Op: OpMoveGroup, Target: ref, Params: Params{ResourceGroupID: d.ResourceGroupID}})
	}
	wantTags := wantTagsFor(pl.nextApplied(l.Tags[cloud.TagApplied], wantHash, len(pl.p.Steps) > stepsBefore))
	if !userTags(l.Tags).Equal(userTags(wantTags)) {
		changed = true
	}
	pl.tagSteps(w.addr, TypeSession, ref, l.Tags, wantTags)
	if len(pl.p.Steps) > stepsBefore || reasons[0] == ReasonAdopt {
		before := pl.liveSessionAttrs(d, &l, l.FilterID)
		after := pl.wantSessionAttrs(d, w.filter.String())
		pl.addChange(Change{Address: w.addr, Type: TypeSession, ID: l.ID, Action: Update, Reasons: reasons,
			Before: before, After: after})
	}
}

func batches(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

package plan

import (
	"crypto/sha256"
	"encoding/binary"
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
	addr   Addr
	filter Ref
	// priority placement
	from, to int
	reasons  []Reason
}

// sessionValues is the reviewable form of a session; filter is how the
// filter is named (filter.<key>, or an ID for one managed elsewhere).
func sessionValues(d *spec.Session, name, desc, filter, ttype, tid string, sources []string,
	prio, plen int, vni *int, enabled bool, rg string, tags cloud.Tags) *Values {
	v := &SessionValues{
		Name: managed(d.Name != "", name), Description: managed(d.Description != "", desc),
		Filter: filter, Target: SessionTarget{Type: ttype, ID: tid},
		Sources: append([]string{}, sources...), Priority: prio, PacketLength: plen,
		Enabled: enabled, ResourceGroupID: managed(d.ResourceGroupID != "", rg), Tags: userTags(tags),
	}
	if d.VNI != nil {
		v.VNI = vni
	}
	return &Values{Session: v}
}

// deletedSessionValues is what a reviewer sees of a session being deleted.
func (pl *planner) deletedSessionValues(l *cloud.Session) *Values {
	c := cloud.CanonicalSession(*l)
	vni := c.VNI
	return &Values{Session: &SessionValues{ID: c.ID, Name: strPtr(c.Name),
		Description: managed(c.Description != "", c.Description), Filter: pl.liveFilterName(c.FilterID),
		Target: SessionTarget{Type: c.TargetType, ID: c.TargetID}, Sources: append([]string{}, c.SourceIDs...),
		Priority: c.Priority, PacketLength: c.PacketLength, VNI: &vni, Enabled: c.Enabled,
		ResourceGroupID: managed(c.ResourceGroupID != "", c.ResourceGroupID), Tags: userTags(c.Tags)}}
}

func vniOf(d *spec.Session) int {
	if d.VNI == nil {
		return 0
	}
	return *d.VNI
}

// liveFilterName returns how a session's filter reads in the hash and the
// review: a key of this stack or a foreign ID, so that a swap does not
// count as drift.
func (pl *planner) liveFilterName(id string) string {
	if k, ok := pl.filterKeyByID[id]; ok {
		return FilterAddr(k).String()
	}
	return id
}

// refFilterName names the filter a session is to use in the review: by key
// when it is the stack's, "(new filter.<key>)" when the plan creates it.
func (pl *planner) refFilterName(r Ref) string {
	if r.Known() {
		return pl.liveFilterName(r.ID)
	}
	return r.String()
}

func (pl *planner) wantFilterName(d *spec.Session) string {
	if d.Filter != "" {
		return FilterAddr(d.Filter).String()
	}
	return pl.liveFilterName(d.FilterID)
}

func (pl *planner) wantSessionHashInput(d *spec.Session) map[string]any {
	sources, target, prio := d.Sources, d.TargetID, d.Priority
	if r := pl.resolved[d.Key]; r != nil {
		// A selected session's hash holds its selectors, not what they
		// resolve to (nor a group member's place in it).
		sources, prio = selectionHash(r.d), 0
		if r.d.TargetSelect != nil {
			target = ""
		}
	}
	return sessionHashInput(d, d.Name, d.Description, pl.wantFilterName(d), d.TargetType, target, sources,
		prio, d.PacketLength, vniOf(d), d.Enabled, d.ResourceGroupID, d.Tags)
}

func (pl *planner) liveSessionHashInput(d *spec.Session, l *cloud.Session) map[string]any {
	sources, target, prio := l.SourceIDs, l.TargetID, l.Priority
	if r := pl.resolved[d.Key]; r != nil {
		sources, prio = selectionHash(r.d), 0
		if r.d.TargetSelect != nil {
			target = ""
		}
	}
	return sessionHashInput(d, l.Name, l.Description, pl.liveFilterName(l.FilterID), l.TargetType, target, sources,
		prio, l.PacketLength, l.VNI, l.Enabled, l.ResourceGroupID, l.Tags)
}

func wantSessionValues(d *spec.Session, filter string) *Values {
	v := sessionValues(d, d.Name, d.Description, filter, d.TargetType, d.TargetID, d.Sources,
		d.Priority, d.PacketLength, d.VNI, d.Enabled, d.ResourceGroupID, d.Tags)
	v.Session.Protect = d.Protect
	return v
}

func liveSessionValues(d *spec.Session, l *cloud.Session, filter string) *Values {
	vni := l.VNI
	v := sessionValues(d, l.Name, l.Description, filter, l.TargetType, l.TargetID, l.SourceIDs,
		l.Priority, l.PacketLength, &vni, l.Enabled, l.ResourceGroupID, l.Tags)
	v.Session.Protect = protectedBy(l.Tags[cloud.TagApplied])
	return v
}

// sessionCost counts the attributes of l that differ from d: to pick which
// of two owned sessions with one key to keep.
func (pl *planner) sessionCost(d *spec.Session, l *cloud.Session) int {
	c := cloud.CanonicalSession(*l)
	w := pl.wantSessionHashInput(d)
	h := pl.liveSessionHashInput(d, &c)
	n := 0
	for k := range w {
		if fmt.Sprint(w[k]) != fmt.Sprint(h[k]) {
			n++
		}
	}
	return n
}

func (pl *planner) matchSession(d *spec.Session) (*cloud.Session, []Reason, []*cloud.Session) {
	addr := SessionAddr(d.Key)
	cands := pl.ownedSessions[d.Key]
	var keep *cloud.Session
	var reasons []Reason
	if d.ID != "" {
		l := pl.live.Session(d.ID)
		var tags cloud.Tags
		if l != nil {
			tags = l.Tags
		}
		take, adopt := pl.byID(KindSession, d.Key, d.ID, d.Pos, l != nil, tags)
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
			if st, _ := pl.owner(KindSession, l.Tags); st == "" && l.Name == d.Name {
				same = append(same, l.ID)
			}
		}
		pl.noteNameMatch(addr, same)
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
	works, deletes := pl.sessionWork(desired)
	freedBy, sourceFreed := pl.deleteSessions(deletes)
	occ, wanted := pl.sessionPriorities(works, deletes)
	if len(pl.problems) > 0 {
		return
	}
	pl.placeSessions(works, occ, wanted, freedBy, sourceFreed)
}

// sessionWork matches each desired session with its live one and its
// filter, and lists the owned sessions to delete: duplicates and those
// whose key left the spec.
func (pl *planner) sessionWork(desired []*spec.Session) ([]*sessionWork, []sessionDelete) {
	var works []*sessionWork
	var deletes []sessionDelete
	want := map[string]bool{}
	for _, d := range desired {
		want[d.Key] = true
		addr := SessionAddr(d.Key)
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
			if st, _ := pl.owner(KindFilter, f.Tags); st == pl.desired.Name {
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
		reason := ReasonOrphan
		if g, _, ok := groupOf(k); ok && pl.groups[g] {
			reason = ReasonFleet // a member of a group left empty
		}
		for _, s := range pl.ownedSessions[k] {
			deletes = append(deletes, sessionDelete{s: s, key: k, reason: reason})
		}
	}
	return works, deletes
}

// deleteSessions plans the deletes first: they free priorities, sources
// and filters. It returns, per priority and per source, the deletes that
// free it.
func (pl *planner) deleteSessions(deletes []sessionDelete) (map[int]StepID, map[string][]StepID) {
	freedBy := map[int]StepID{}
	sourceFreed := map[string][]StepID{}
	protected := map[string]bool{}
	for _, d := range pl.desired.Sessions {
		protected[d.Key] = d.Protect
	}
	for _, sd := range deletes {
		addr := SessionAddr(sd.key)
		if sd.reason != ReasonDuplicate {
			p, inSpec := protected[sd.key]
			if p {
				pl.problem(addr, spec.Pos{}, "remove `protect: true` from the session to allow its deletion",
					"session %s is protected and the plan would delete it", sd.s.ID)
				continue
			}
			if !inSpec && pl.protectedLive(addr, sd.s.ID, sd.s.Tags) {
				continue
			}
		}
		pl.taken[sd.s.ID] = true
		id := pl.addStep(addr, &DeleteSession{Session: Ref{ID: sd.s.ID}})
		freedBy[sd.s.Priority] = id
		pl.filterUsers[sd.s.FilterID] = append(pl.filterUsers[sd.s.FilterID], id)
		for _, src := range sd.s.SourceIDs {
			sourceFreed[src] = append(sourceFreed[src], id)
		}
		if sd.reason == ReasonOrphan {
			pl.destroyCount++
		}
		pl.addChange(Change{Addr: addr, ID: sd.s.ID, Action: Delete, Reasons: []Reason{sd.reason},
			Before: pl.deletedSessionValues(sd.s)})
	}
	return freedBy, sourceFreed
}

// sessionPriorities returns who holds each priority once the deletes are
// done and which priorities the spec wants, and reports a wanted priority
// held by an object this plan does not move away (C7).
func (pl *planner) sessionPriorities(works []*sessionWork, deletes []sessionDelete) (map[int]string, map[int]bool) {
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
	want := map[string]bool{}
	for _, d := range pl.desired.Sessions {
		want[d.Key] = true
	}
	wanted := map[int]bool{}
	for _, w := range works {
		wanted[w.to] = true
		holder := occ[w.to]
		if holder == "" || (w.live != nil && holder == w.live.ID) {
			continue
		}
		h := pl.live.Session(holder)
		st, key := pl.owner(KindSession, h.Tags)
		if st != pl.desired.Name || pl.ownedSessions[key] == nil || !want[key] {
			what := ownerName(st)
			if st == pl.desired.Name {
				what = "this stack's " + SessionAddr(key).String()
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
	return occ, wanted
}

// placeSessions plans the sessions in an order where each priority is free
// when taken; a cycle moves one session through a temporary priority.
func (pl *planner) placeSessions(works []*sessionWork, occ map[int]string, wanted map[int]bool,
	freedBy map[int]StepID, sourceFreed map[string][]StepID) {
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
				occ[w.to] = "new:" + w.addr.String()
			}
			pending = append(pending[:i], pending[i+1:]...)
			progressed = true
			i = -1
		}
		if progressed || len(pending) == 0 {
			continue
		}
		w := pending[0]
		tmp := pl.tempPriority(w, occ, wanted)
		id := pl.addStep(w.addr, &UpdateSession{Session: Ref{ID: w.live.ID}, SessionPatch: cloud.SessionPatch{Priority: intPtr(tmp)}})
		delete(occ, w.from)
		freedBy[w.from] = id
		occ[tmp] = w.live.ID
		w.from = tmp
	}
}

// tempPriority picks a priority free in the whole region and wanted by no
// one for session w to pass through. It starts from a hash of the
// session's own identity (stack and key) and walks down from there, so
// that runners that see the region alike pick the same one and send the
// same request (C5), whatever else each planned.
func (pl *planner) tempPriority(w *sessionWork, occ map[int]string, wanted map[int]bool) int {
	h := sha256.Sum256([]byte(pl.desired.Name + "\x00" + w.d.Key))
	start := int(binary.BigEndian.Uint32(h[:4])%MaxSessionPriority) + 1
	for i := 0; i < MaxSessionPriority; i++ {
		p := (start-1-i+MaxSessionPriority)%MaxSessionPriority + 1
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
func (pl *planner) emitSession(w *sessionWork, freedBy map[int]StepID, sourceFreed map[string][]StepID) {
	var deps []StepID
	if !w.filter.Step.IsZero() {
		deps = append(deps, w.filter.Step)
	}
	if id := freedBy[w.to]; !id.IsZero() {
		deps = append(deps, id)
	}
	su := pl.sourceUsage()
	if w.live == nil {
		pl.createSession(w, deps, su, sourceFreed)
		return
	}
	pl.updateSession(w, deps, su, sourceFreed)
}

// sourceUsage counts, per source, the live sessions that mirror it, when
// the per-source session limit is known.
type sourceUsage struct {
	limit int
	usage map[string]int
}

func (pl *planner) sourceUsage() sourceUsage {
	su := sourceUsage{limit: pl.sessionsPerSource(), usage: map[string]int{}}
	if su.limit > 0 {
		for _, s := range pl.live.Sessions {
			for _, src := range s.SourceIDs {
				su.usage[src]++
			}
		}
	}
	return su
}

// full reports whether src must leave another session before it joins one
// more.
func (su sourceUsage) full(src string) bool { return su.limit > 0 && su.usage[src] >= su.limit }

func (pl *planner) createSession(w *sessionWork, deps []StepID, su sourceUsage, sourceFreed map[string][]StepID) {
	d := w.d
	for _, src := range d.Sources {
		if su.full(src) {
			deps = append(deps, sourceFreed[src]...)
		}
	}
	hash := appliedHash(pl.wantSessionHashInput(d))
	op := &CreateSession{Filter: w.filter, SessionSettings: cloud.SessionSettings{
		Name: d.Name, Description: d.Description, SourceIDs: d.Sources, TargetID: d.TargetID,
		TargetType: d.TargetType, Priority: d.Priority, VNI: d.VNI, PacketLength: d.PacketLength,
		Enabled: d.Enabled, ResourceGroupID: d.ResourceGroupID,
		Tags: ownership(pl.desired.Name, d.Key, writeApplied(hash, "", d.Protect), d.Tags)}}
	pl.addStep(w.addr, op, deps...)
	reason := pl.createReason()
	if g, _, ok := groupOf(d.Key); ok && pl.groups[g] && pl.groupLive[g] {
		reason = ReasonFleet // a new member of a group that exists
	}
	pl.addChange(Change{Addr: w.addr, Action: Create, Reasons: []Reason{reason}, After: wantSessionValues(d, pl.refFilterName(w.filter)),
		Sources: pl.sourceChanges(d.Key, nil, d.Sources)})
}

// createReason labels the create of a filter or session whose key has no
// live object. When the stack owns no live object it is a first apply
// (spec). Otherwise the object was either deleted outside tmsync or added
// to the spec since the last apply, and the tags on live objects cannot
// tell which: tmsync:applied covers an object's own attributes, not the
// keys of its stack. It is labelled missing, which drift counts.
func (pl *planner) createReason() Reason {
	if pl.ownedCount > 0 {
		return ReasonMissing
	}
	return ReasonSpec
}

// updateSession plans the changes of a live session: its attributes in one
// call, its sources by delta, its resource group and its tags.
func (pl *planner) updateSession(w *sessionWork, deps []StepID, su sourceUsage, sourceFreed map[string][]StepID) {
	d := w.d
	wantHashIn := pl.wantSessionHashInput(d)
	wantHash := appliedHash(wantHashIn)
	l := cloud.CanonicalSession(*w.live)
	ref := Ref{ID: l.ID}
	stepsBefore := len(pl.p.Steps)
	liveHash := hashLike(pl.liveSessionHashInput(d, &l), wantHashIn, wantHash)
	reasons := w.reasons
	if reasons == nil {
		reasons = label(l.Tags, liveHash, wantHash)
	}
	up := sessionUpdate(w, &l)
	if pl.resolved[d.Key] != nil && up == nil && liveHash == wantHash && appliedHashOf(l.Tags[cloud.TagApplied]) == wantHash {
		reasons = []Reason{ReasonFleet} // only the ENIs the selectors match changed
	}
	if reasons[0] != ReasonAdopt && pl.renamed(l.Tags, d.Key) {
		reasons = append(reasons, ReasonRename)
	}
	if up != nil {
		id := pl.addStep(w.addr, up, deps...)
		if up.Filter != nil {
			// The old filter may be deleted only once the session left it.
			pl.filterUsers[l.FilterID] = append(pl.filterUsers[l.FilterID], id)
		}
		deps = nil
	}
	pl.sourceSteps(w, &l, deps, su, sourceFreed)
	if d.ResourceGroupID != "" && d.ResourceGroupID != l.ResourceGroupID {
		pl.addStep(w.addr, &MoveGroup{Resource: cloud.ResourceSession, Target: ref, ResourceGroupID: d.ResourceGroupID})
	}
	pl.chainTags(w.addr, cloud.ResourceSession, ref, l.Tags, ownership(pl.desired.Name, d.Key, "", d.Tags), wantHash, d.Protect,
		len(pl.p.Steps) > stepsBefore)
	if len(pl.p.Steps) > stepsBefore || reasons[0] == ReasonAdopt {
		pl.addChange(Change{Addr: w.addr, ID: l.ID, Action: Update, Reasons: reasons,
			Before: liveSessionValues(d, &l, pl.liveFilterName(l.FilterID)), After: wantSessionValues(d, pl.refFilterName(w.filter)),
			Sources: pl.sourceChanges(d.Key, l.SourceIDs, d.Sources)})
	}
}

// sessionUpdate returns the one call that changes the attributes of live
// session l that differ from w's spec, or nil.
func sessionUpdate(w *sessionWork, l *cloud.Session) *UpdateSession {
	d := w.d
	up := &UpdateSession{Session: Ref{ID: l.ID}}
	p := &up.SessionPatch
	changed := false
	if !w.filter.Step.IsZero() || w.filter.ID != l.FilterID {
		f := w.filter
		up.Filter, changed = &f, true
	}
	if l.TargetID != d.TargetID || l.TargetType != d.TargetType {
		p.TargetID, p.TargetType, changed = strPtr(d.TargetID), strPtr(d.TargetType), true
	}
	if w.from != d.Priority {
		p.Priority, changed = intPtr(d.Priority), true
	}
	if l.PacketLength != d.PacketLength {
		p.PacketLength, changed = intPtr(d.PacketLength), true
	}
	if d.VNI != nil && l.VNI != *d.VNI {
		p.VNI, changed = intPtr(*d.VNI), true
	}
	if l.Enabled != d.Enabled {
		p.Enabled, changed = boolPtr(d.Enabled), true
	}
	if d.Name != "" && l.Name != d.Name {
		p.Name, changed = strPtr(d.Name), true
	}
	if d.Description != "" && l.Description != d.Description {
		p.Description, changed = strPtr(d.Description), true
	}
	if !changed {
		return nil
	}
	return up
}

// sourceSteps plans the sources of live session l by delta, in batches:
// add first, unless a limit says the gone must leave first (then the gap
// is reported).
func (pl *planner) sourceSteps(w *sessionWork, l *cloud.Session, deps []StepID, su sourceUsage, sourceFreed map[string][]StepID) {
	ref := Ref{ID: l.ID}
	have := map[string]bool{}
	for _, s := range l.SourceIDs {
		have[s] = true
	}
	wantSrc := map[string]bool{}
	var add, remove []string
	for _, s := range w.d.Sources {
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
	var addDeps []StepID
	removeFirst := len(l.SourceIDs)+len(add) > pl.sourcesPerSession()
	for _, src := range add {
		if su.full(src) {
			addDeps = append(addDeps, sourceFreed[src]...)
			removeFirst = true
		}
	}
	addSteps := func() {
		for _, b := range batches(add, MaxSourcesPerCall) {
			pl.addStep(w.addr, &AddSources{Session: ref, Sources: b}, append(deps, addDeps...)...)
		}
	}
	removeSteps := func() {
		for _, b := range batches(remove, MaxSourcesPerCall) {
			id := pl.addStep(w.addr, &RemoveSources{Session: ref, Sources: b}, deps...)
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

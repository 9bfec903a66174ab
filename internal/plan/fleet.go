package plan

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// Sources chosen by selector (sources that follow the fleet): a session
// whose spec selects sources is resolved here against the ENIs the engine
// read (cloud.Snapshot.ENIs) into plain desired sessions, one per member of
// a group, which the rest of the planner diffs as any other session.

// A SourceChange is one source of a selected session, for review: kept,
// added or removed, and why.
type SourceChange struct {
	ID     string `json:"id"`
	Change string `json:"change"` // "add", "remove" or "keep"
	Why    string `json:"why"`
}

// The SourceChange changes.
const (
	SourceAdd    = "add"
	SourceRemove = "remove"
	SourceKeep   = "keep"
)

// A resolution is what the selectors of one spec session resolve to.
type resolution struct {
	d *spec.Session
	// set maps each chosen ENI to why: "ids", or the selector that
	// matched it.
	set map[string]string
	// enis indexes every ENI the engine read by ID.
	enis map[string]cloud.ENI
}

// memberSpec returns the desired session of member key of r's group (or
// of r's session itself).
func (r *resolution) memberSpec(key string) *spec.Session {
	s := *r.d
	if _, n, ok := groupOf(key); ok {
		s.Key = key
		if s.Name != "" {
			s.Name = r.d.Name + "-" + strconv.Itoa(n)
		}
	}
	return &s
}

// groupKeySep joins a group's key and a member's number (C1).
const groupKeySep = "#"

// memberKey returns the key of member n of group key.
func memberKey(key string, n int) string { return key + groupKeySep + strconv.Itoa(n) }

// groupOf returns the group key and member number of a session key, and
// whether it is a member's.
func groupOf(key string) (string, int, bool) {
	g, n, ok := strings.Cut(key, groupKeySep)
	if !ok {
		return "", 0, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || strconv.Itoa(i) != n {
		return "", 0, false
	}
	return g, i, true
}

// expandSessions resolves the selected sessions of desired into plain
// ones: the sources (and target) their selectors choose, and, for a group,
// one session per member. Others are returned as they are.
func (pl *planner) expandSessions(desired []*spec.Session) []*spec.Session {
	var out []*spec.Session
	for _, d := range desired {
		if !d.Selected() {
			out = append(out, d)
			continue
		}
		if !pl.live.ENIsRead {
			pl.problem(SessionAddr(d.Key), d.Pos, "plan with tmsync plan, apply or drift, which read the region's ENIs",
				"session %s selects ENIs, and the region's ENIs were not read", d.Key)
			continue
		}
		r := pl.resolve(d)
		if r == nil {
			continue
		}
		pl.resolutions = append(pl.resolutions, r)
		if d.Split == nil {
			s := *d
			s.Sources = sortedSet(r.set)
			if n, lim := len(s.Sources), pl.sourcesPerSession(); n > lim {
				pl.problem(SessionAddr(d.Key), d.Pos,
					fmt.Sprintf("narrow the selectors, or add split: {priorities: FROM-TO} to spread them over a group of sessions of at most %d", lim),
					"the sources of session %s match %d ENIs; a session holds at most %d", d.Key, n, lim)
				continue
			}
			pl.resolved[d.Key] = r
			out = append(out, &s)
			continue
		}
		out = append(out, pl.members(d, r)...)
	}
	return out
}

// resolve returns what d's selectors choose, or nil after a problem.
func (pl *planner) resolve(d *spec.Session) *resolution {
	r := &resolution{d: d, set: map[string]string{}, enis: pl.enis}
	excluded := map[string]bool{}
	for _, x := range d.Exclude {
		excluded[x] = true
	}
	for _, id := range d.Sources {
		if !excluded[id] {
			r.set[id] = "ids"
		}
	}
	for _, e := range pl.live.ENIs {
		if excluded[e.ID] || !e.Mirrorable() || e.Type == cloud.ENISecondary && !d.IncludeSecondary {
			continue
		}
		if e.ID == d.TargetID {
			continue // never mirror the collector to itself
		}
		for _, sel := range d.Select {
			if sel.Matches(e) {
				if _, ok := r.set[e.ID]; !ok {
					r.set[e.ID] = sel.String()
				}
				break
			}
		}
	}
	if d.TargetSelect != nil {
		var hits []string
		for _, e := range pl.live.ENIs {
			if e.Mirrorable() && d.TargetSelect.Matches(e) {
				hits = append(hits, e.ID)
			}
		}
		sort.Strings(hits)
		if len(hits) != 1 {
			what := "none"
			if len(hits) > 0 {
				what = strings.Join(hits, ", ")
			}
			pl.problem(SessionAddr(d.Key), d.TargetSelect.Pos, "the target selector must match exactly one ENI in state InUse or Available: narrow it, or give target.id",
				"the target selector of session %s (%s) matches %d ENIs: %s", d.Key, d.TargetSelect, len(hits), what)
			return nil
		}
		cp := *d
		cp.TargetID = hits[0]
		delete(r.set, hits[0])
		r.d = &cp
	}
	return r
}

// members spreads the resolved sources of group d over its sessions
// (C1 keys <key>#<n>): an ENI stays in the member it is in, new ENIs fill
// free places first (lowest member first), then new members, each with the
// next free priority of the range; a member left empty is not desired, so
// it is deleted. Nothing is moved without need.
func (pl *planner) members(d *spec.Session, r *resolution) []*spec.Session {
	lim := pl.sourcesPerSession()
	type member struct {
		n       int
		prio    int
		sources []string
		live    int // sources it has now
	}
	byN := map[int]*member{}
	placed := map[string]bool{}
	for key, ls := range pl.ownedSessions {
		g, n, ok := groupOf(key)
		if !ok || g != d.Key || len(ls) == 0 {
			continue
		}
		l := ls[0]
		m := &member{n: n, prio: l.Priority, live: len(l.SourceIDs)}
		for _, src := range cloud.CanonicalSession(*l).SourceIDs {
			if _, want := r.set[src]; want && !placed[src] && len(m.sources) < lim {
				m.sources = append(m.sources, src)
				placed[src] = true
			}
		}
		byN[n] = m
	}
	var fresh []string
	for _, id := range sortedSet(r.set) {
		if !placed[id] {
			fresh = append(fresh, id)
		}
	}
	ns := make([]int, 0, len(byN))
	for n := range byN {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	// Free places first where a member has room now, so that no source
	// waits for another to leave; then where removals make room.
	for _, room := range []func(*member) int{
		func(m *member) int { return lim - max(m.live, len(m.sources)) },
		func(m *member) int { return lim - len(m.sources) },
	} {
		for _, n := range ns {
			m := byN[n]
			for k := room(m); len(fresh) > 0 && len(m.sources) > 0 && k > 0; k-- {
				m.sources, fresh = append(m.sources, fresh[0]), fresh[1:]
			}
		}
	}
	// Priorities a new member may take: in the range, held by no live
	// session and by no other member.
	held := map[int]bool{}
	for _, s := range pl.live.Sessions {
		held[s.Priority] = true
	}
	for p := range pl.opts.Reserved {
		held[p] = true
	}
	nextPrio := func() int {
		for p := d.Split.From; p <= d.Split.To; p++ {
			if !held[p] {
				held[p] = true
				return p
			}
		}
		return 0
	}
	next := 0
	for len(fresh) > 0 {
		for byN[next] != nil && len(byN[next].sources) > 0 {
			next++
		}
		m := byN[next]
		if m == nil || m.prio < d.Split.From || m.prio > d.Split.To {
			p := nextPrio()
			if p == 0 {
				pl.problem(SessionAddr(d.Key), d.Pos, "widen split.priorities, or narrow the selectors",
					"group %s needs more sessions than priorities %d-%d leave free (%d sources left to place)",
					d.Key, d.Split.From, d.Split.To, len(fresh))
				return nil
			}
			if m == nil {
				m = &member{n: next}
				byN[next] = m
			}
			m.prio = p
		}
		k := min(lim, len(fresh))
		m.sources, fresh = append(m.sources, fresh[:k]...), fresh[k:]
	}
	var out []*spec.Session
	ns = ns[:0]
	for n := range byN {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	for _, n := range ns {
		m := byN[n]
		if len(m.sources) == 0 {
			continue // empty: deleted as no longer desired
		}
		s := *r.d
		s.Key = memberKey(d.Key, n)
		if s.Name != "" {
			s.Name = d.Name + "-" + strconv.Itoa(n)
		}
		s.Priority = m.prio
		s.Sources = append([]string(nil), m.sources...)
		sort.Strings(s.Sources)
		pl.resolved[s.Key] = r
		out = append(out, &s)
	}
	return out
}

func sortedSet(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// selectionHash is what a selected session's applied hash holds in place
// of its sources: the selectors, not the IDs they resolve to, so that a
// fleet that grows or shrinks is labelled fleet, never drift or spec.
func selectionHash(d *spec.Session) []string {
	out := []string{}
	for _, id := range d.Sources {
		out = append(out, "id "+id)
	}
	for _, s := range d.Select {
		out = append(out, "select "+s.String())
	}
	for _, x := range d.Exclude {
		out = append(out, "exclude "+x)
	}
	if d.IncludeSecondary {
		out = append(out, "secondary")
	}
	if d.TargetSelect != nil {
		out = append(out, "target "+d.TargetSelect.String())
	}
	if d.Split != nil {
		out = append(out, fmt.Sprintf("split %d-%d", d.Split.From, d.Split.To))
	}
	return out
}

// sourceChanges lists the sources of a selected session: those kept,
// added and removed, with why (the selector, or why one no longer
// matches).
func (pl *planner) sourceChanges(key string, live []string, want []string) []SourceChange {
	r := pl.resolved[key]
	if r == nil {
		return nil
	}
	wantSet := map[string]bool{}
	for _, id := range want {
		wantSet[id] = true
	}
	var out []SourceChange
	for _, id := range want {
		c := SourceChange{ID: id, Change: SourceAdd, Why: r.set[id]}
		if slices.Contains(live, id) {
			c.Change = SourceKeep
		}
		out = append(out, c)
	}
	for _, id := range live {
		if wantSet[id] {
			continue
		}
		out = append(out, SourceChange{ID: id, Change: SourceRemove, Why: pl.goneWhy(r, id)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// goneWhy says why a source of a selected session is no longer taken.
func (pl *planner) goneWhy(r *resolution, id string) string {
	e, ok := r.enis[id]
	switch {
	case !ok:
		return "no longer matches: deleted"
	case !e.Mirrorable():
		return "no longer matches: " + e.Status
	case slices.Contains(r.d.Exclude, id):
		return "excluded"
	case r.set[id] != "":
		return "moved to another session of the group"
	}
	return "no longer matches"
}

// guardSources refuses a plan in which the selectors of a session or group
// that exists, and whose selectors this plan does not change, suddenly lose
// or gain many ENIs: a typo in a tag, a missing tag or an API answering
// empty would stop all mirroring, and a selector that matches a whole VPC
// would flood the collector. Removing ENIs that no longer exist is always
// allowed and not counted.
func (pl *planner) guardSources() {
	for _, r := range pl.resolutions {
		g := r.d.Key
		var live []*cloud.Session
		changed := false
		for key, ls := range pl.ownedSessions {
			if gk, _, ok := groupOf(key); key != g && (!ok || gk != g) {
				continue
			}
			was := pl.resolved[key]
			pl.resolved[key] = r
			wantHash := appliedHash(pl.wantSessionHashInput(r.memberSpec(key)))
			if was == nil {
				delete(pl.resolved, key)
			}
			for _, l := range ls {
				live = append(live, l)
				if appliedHashOf(l.Tags[cloud.TagApplied]) != wantHash {
					changed = true
				}
			}
		}
		if len(live) == 0 || changed {
			continue // new, or a reviewed change of the spec
		}
		existing := map[string]bool{}
		alive := map[string]bool{}
		for _, l := range live {
			for _, id := range l.SourceIDs {
				existing[id] = true
				if e, ok := pl.enis[id]; ok && e.Mirrorable() {
					alive[id] = true
				}
			}
		}
		var removed, added []string
		kept := 0
		for id := range alive {
			if _, ok := r.set[id]; ok {
				kept++
			} else {
				removed = append(removed, id)
			}
		}
		for id := range r.set {
			if !existing[id] {
				added = append(added, id)
			}
		}
		sort.Strings(removed)
		sort.Strings(added)
		addr := SessionAddr(g)
		maxRemove := pl.opts.MaxSourceRemoval
		if maxRemove <= 0 {
			maxRemove = max(5, len(alive)/2)
		}
		maxAdd := pl.opts.MaxSourceAddition
		if maxAdd <= 0 {
			maxAdd = max(10, len(existing))
		}
		lost := fmt.Sprintf("%s now match %d of the %d ENIs %s mirrors that still exist; %s",
			selectorsOf(r.d), kept, len(alive), g, listSome(removed))
		switch {
		case pl.opts.AllowSourceRemoval:
		case len(alive) > 0 && kept == 0:
			pl.problem(addr, r.d.Pos, "check the selectors and the ENIs' tags; if every source should go, pass --allow-source-removal",
				"the plan would remove every source of %s: %s", g, lost)
		case len(removed) > maxRemove:
			pl.problem(addr, r.d.Pos, fmt.Sprintf("check the selectors and the ENIs' tags; if that is right, pass --allow-source-removal or raise --max-source-removal (now %d)", maxRemove),
				"the plan would remove %d sources of %s, more than %d: %s", len(removed), g, maxRemove, lost)
		}
		if !pl.opts.AllowSourceAddition && len(added) > maxAdd {
			pl.problem(addr, r.d.Pos, fmt.Sprintf("check the selectors; if that is right, pass --allow-source-addition or raise --max-source-addition (now %d)", maxAdd),
				"the plan would add %d sources to %s, more than %d: %s newly match %s", len(added), g, maxAdd, selectorsOf(r.d), listSome(added))
		}
	}
}

// selectorsOf names the selectors of d for a message.
func selectorsOf(d *spec.Session) string {
	var parts []string
	for _, s := range d.Select {
		parts = append(parts, "("+s.String()+")")
	}
	if len(parts) == 1 {
		return "the selector " + parts[0]
	}
	return "the selectors " + strings.Join(parts, ", ")
}

// listSome names up to 5 IDs, then counts the rest.
func listSome(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	if len(ids) <= 5 {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:5], ", "), len(ids)-5)
}

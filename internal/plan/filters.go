package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

var directions = []string{cloud.Ingress, cloud.Egress}

func specRules(f *spec.Filter, dir string) []cloud.Rule {
	rs := f.Rules(dir)
	out := make([]cloud.Rule, len(rs))
	for i, r := range rs {
		out[i] = r.Rule
		out[i].Direction = dir
	}
	return out
}

// filterValues is the reviewable form of a filter's own attributes. Fields
// the spec leaves unset (name "", description, resource group) are not
// managed and so left out of both sides.
func filterValues(d *spec.Filter, name, desc, rg string, tags cloud.Tags) *Values {
	return &Values{Filter: &FilterValues{
		Name:            managed(d.Name != "", name),
		Description:     managed(d.Description != "", desc),
		ResourceGroupID: managed(d.ResourceGroupID != "", rg),
		Tags:            userTags(tags),
	}}
}

func wantFilterValues(d *spec.Filter) *Values {
	v := filterValues(d, d.Name, d.Description, d.ResourceGroupID, d.Tags)
	v.Filter.Protect = d.Protect
	return v
}

func liveFilterValues(d *spec.Filter, l *cloud.Filter) *Values {
	v := filterValues(d, l.Name, l.Description, l.ResourceGroupID, l.Tags)
	v.Filter.Protect = protectedBy(l.Tags[cloud.TagApplied])
	return v
}

// deletedFilterValues is what a reviewer sees of a filter being deleted.
func deletedFilterValues(l *cloud.Filter) *Values {
	return &Values{Filter: &FilterValues{ID: l.ID, Name: strPtr(l.Name),
		Description: managed(l.Description != "", l.Description), Tags: userTags(l.Tags)}}
}

func wantFilterHash(d *spec.Filter) (map[string]any, string) {
	in := filterHashInput(d, d.Name, d.Description, d.ResourceGroupID, d.Tags,
		specRules(d, cloud.Ingress), specRules(d, cloud.Egress))
	return in, appliedHash(in)
}

// filterCost counts what differs between d and l: to pick which of two
// owned filters with one key to keep.
func filterCost(d *spec.Filter, l *cloud.Filter) int {
	l2 := cloud.CanonicalLiveFilter(*l)
	w, h := wantFilterValues(d).Filter, liveFilterValues(d, &l2).Filter
	n := 0
	for _, differ := range []bool{!eqPtr(w.Name, h.Name), !eqPtr(w.Description, h.Description),
		!eqPtr(w.ResourceGroupID, h.ResourceGroupID), !w.Tags.Equal(h.Tags)} {
		if differ {
			n++
		}
	}
	for _, dir := range directions {
		rd := diffRules(dir, specRules(d, dir), l2.Rules(dir), true)
		n += len(rd.deletes) + len(rd.updates) + len(rd.moves) + len(rd.creates)
	}
	return n
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func (pl *planner) filterInUse(id string) bool {
	for _, s := range pl.live.Sessions {
		if s.FilterID == id {
			return true
		}
	}
	return false
}

// matchFilter finds the live filter for d: by id (adoption), else the best
// owned filter with d's key. Other owned filters with the key are deleted.
func (pl *planner) matchFilter(d *spec.Filter) (*cloud.Filter, []Reason) {
	cands := pl.ownedFilters[d.Key]
	var keep *cloud.Filter
	var reasons []Reason
	if d.ID != "" {
		l := pl.live.Filter(d.ID)
		take, adopt := pl.byID(KindFilter, d.Key, d.ID, d.Pos, l != nil, tagsOf(l))
		if !take {
			return nil, nil
		}
		keep = l
		if adopt {
			reasons = []Reason{ReasonAdopt}
			pl.filterKeyByID[l.ID] = d.Key
		}
	} else if len(cands) > 0 {
		sort.SliceStable(cands, func(i, j int) bool {
			ci, cj := filterCost(d, cands[i]), filterCost(d, cands[j])
			if ci != cj {
				return ci < cj
			}
			ui, uj := pl.filterInUse(cands[i].ID), pl.filterInUse(cands[j].ID)
			if ui != uj {
				return ui
			}
			return cands[i].ID < cands[j].ID
		})
		keep = cands[0]
	} else {
		var same []string
		for i := range pl.live.Filters {
			l := &pl.live.Filters[i]
			if st, _ := pl.owner(KindFilter, l.Tags); st == "" && l.Name == d.Name {
				same = append(same, l.ID)
			}
		}
		pl.noteNameMatch(FilterAddr(d.Key), same)
	}
	for _, c := range cands {
		if c != keep {
			pl.filterDeletes = append(pl.filterDeletes, filterDelete{f: c, key: d.Key, reason: ReasonDuplicate})
		}
	}
	if keep != nil {
		pl.taken[keep.ID] = true
	}
	return keep, reasons
}

func tagsOf(f *cloud.Filter) cloud.Tags {
	if f == nil {
		return nil
	}
	return f.Tags
}

// createFilterOp is the create of d, its rules inline.
func (pl *planner) createFilterOp(d *spec.Filter) *CreateFilter {
	_, hash := wantFilterHash(d)
	return &CreateFilter{Name: d.Name, Description: d.Description, ResourceGroupID: d.ResourceGroupID,
		Tags:    ownership(pl.desired.Name, d.Key, writeApplied(hash, "", d.Protect), d.Tags),
		Ingress: opRules(specRules(d, cloud.Ingress)), Egress: opRules(specRules(d, cloud.Egress))}
}

// opRules returns rs sorted, as a create sends them.
func opRules(rs []cloud.Rule) []cloud.Rule {
	var out []cloud.Rule
	for _, r := range sortedRules(rs) {
		r.ID, r.FilterID, r.Status = "", "", ""
		out = append(out, r)
	}
	return out
}

func (pl *planner) planFilter(d *spec.Filter) {
	live, adopt := pl.matchFilter(d)
	switch {
	case live != nil:
		pl.updateFilter(d, live, adopt)
	case d.ID == "":
		pl.createFilter(d)
	}
	// else a problem was reported
}

// createFilter plans a filter that does not exist yet: one call with its
// rules and tags.
func (pl *planner) createFilter(d *spec.Filter) {
	addr := FilterAddr(d.Key)
	op := pl.createFilterOp(d)
	id := pl.addStep(addr, op)
	pl.filterRefs[d.Key] = Ref{Step: id}
	pl.addChange(Change{Addr: addr, Action: Create, Reasons: []Reason{pl.createReason()}, After: wantFilterValues(d)})
	for _, rs := range [][]cloud.Rule{op.Ingress, op.Egress} {
		for _, r := range rs {
			pl.addChange(Change{Addr: RuleAddr(d.Key, r.Direction, r.Priority), Action: Create,
				Reasons: []Reason{ReasonSpec}, After: ruleValues(r)})
		}
	}
}

// updateFilter plans the changes that make live filter l equal d: its own
// attributes, its rules per direction (or a swap for a new filter when the
// rules cannot be reordered in place), its resource group and its tags.
func (pl *planner) updateFilter(d *spec.Filter, live *cloud.Filter, adopt []Reason) {
	addr := FilterAddr(d.Key)
	pl.filterMatch[d.Key] = live
	l := pl.canonical(live)
	ref := Ref{ID: l.ID}
	pl.filterRefs[d.Key] = ref

	wantHashIn, wantHash := wantFilterHash(d)
	liveHash := hashLike(filterHashInput(d, l.Name, l.Description, l.ResourceGroupID, l.Tags, l.Ingress, l.Egress),
		wantHashIn, wantHash)
	reasons := adopt
	if reasons == nil {
		reasons = label(l.Tags, liveHash, wantHash)
	}
	renamed := reasons[0] != ReasonAdopt && pl.renamed(l.Tags, d.Key)
	if renamed {
		reasons = append(reasons, ReasonRename)
	}
	wantTags := ownership(pl.desired.Name, d.Key, wantHash, d.Tags)
	stepsBefore := len(pl.p.Steps)

	diffs, ok := pl.filterRuleDiffs(d, &l, reasons)
	if !ok {
		return // swapped, or a problem was reported
	}

	// The filter's own attributes.
	edit := &UpdateFilter{Filter: ref}
	if d.Name != "" && l.Name != d.Name {
		edit.Name = strPtr(d.Name)
	}
	if d.Description != "" && l.Description != d.Description {
		edit.Description = strPtr(d.Description)
	}
	attrsChanged := edit.Name != nil || edit.Description != nil ||
		(d.ResourceGroupID != "" && d.ResourceGroupID != l.ResourceGroupID) ||
		!userTags(l.Tags).Equal(userTags(wantTags))
	tagsOnly := !attrsChanged && (appliedHashOf(l.Tags[cloud.TagApplied]) != wantHash || renamed ||
		protectedBy(l.Tags[cloud.TagApplied]) != d.Protect)
	for _, dir := range directions {
		if !diffs[dir].empty() {
			tagsOnly = false
		}
	}
	if attrsChanged || tagsOnly || reasons[0] == ReasonAdopt {
		pl.addChange(Change{Addr: addr, ID: l.ID, Action: Update, Reasons: reasons,
			Before: liveFilterValues(d, &l), After: wantFilterValues(d)})
	}
	if edit.Name != nil || edit.Description != nil {
		pl.addStep(addr, edit)
	}
	pl.emitRules(d.Key, ref, diffs, reasons)
	if d.ResourceGroupID != "" && d.ResourceGroupID != l.ResourceGroupID {
		pl.addStep(addr, &MoveGroup{Resource: cloud.ResourceFilter, Target: ref, ResourceGroupID: d.ResourceGroupID})
	}
	pl.chainTags(addr, cloud.ResourceFilter, ref, l.Tags, wantTags, wantHash, d.Protect, len(pl.p.Steps) > stepsBefore)
}

// filterRuleDiffs matches the rules of each direction (C6). When a reorder
// needs a free priority and none is free, it swaps the filter for a new one
// if it can, else plans with gaps if allowed, else reports a problem; ok is
// false when the caller has nothing more to plan.
func (pl *planner) filterRuleDiffs(d *spec.Filter, l *cloud.Filter, reasons []Reason) (map[string]ruleDiff, bool) {
	diffs := map[string]ruleDiff{}
	stuck := false
	for _, dir := range directions {
		rd := diffRules(dir, specRules(d, dir), l.Rules(dir), false)
		diffs[dir] = rd
		stuck = stuck || rd.stuck
	}
	if !stuck {
		return diffs, true
	}
	if pl.canSwap(d, l) {
		pl.swapFilter(d, l, reasons)
		return nil, false
	}
	if !pl.opts.AllowGap {
		pl.problem(FilterAddr(d.Key), d.Pos, "free a priority (at most 9 rules in that direction), or pass --allow-gap to delete and recreate a rule",
			"the new rule order needs a free priority and none is free; the filter cannot be swapped for a new one because it is protected or used by a session this stack does not manage")
		return nil, false
	}
	for _, dir := range directions {
		diffs[dir] = diffRules(dir, specRules(d, dir), l.Rules(dir), true)
	}
	return diffs, true
}

// emitRules plans the rule steps of a filter: the deletes of both
// directions in one call, then in-place updates and moves, then the creates
// of both directions in one call; and a change per rule for review.
func (pl *planner) emitRules(key string, ref Ref, diffs map[string]ruleDiff, reasons []Reason) {
	addr := FilterAddr(key)
	var delIDs []string
	for _, dir := range directions {
		for _, r := range diffs[dir].deletes {
			delIDs = append(delIDs, r.ID)
		}
	}
	if len(delIDs) > 0 {
		pl.addStep(addr, &DeleteRules{Filter: ref, RuleIDs: delIDs})
	}
	create := &CreateRules{Filter: ref}
	for _, dir := range directions {
		rd := diffs[dir]
		for _, u := range rd.updates {
			raddr := RuleAddr(key, dir, u.want.Priority)
			pl.addStep(raddr, &UpdateRule{Filter: ref, RuleID: u.live.ID, RulePatch: rulePatch(u.live, u.want)})
			pl.addChange(Change{Addr: raddr, ID: u.live.ID, Action: Update, Reasons: reasons,
				Before: ruleValues(u.live), After: ruleValues(withID(u.want, u.live.ID))})
		}
		for _, m := range rd.moves {
			raddr := RuleAddr(key, dir, m.final)
			pl.addStep(raddr, &UpdateRule{Filter: ref, RuleID: m.live.ID, RulePatch: cloud.RulePatch{Priority: intPtr(m.to)}})
			if m.to == m.final {
				after := m.live
				after.Priority = m.final
				pl.addChange(Change{Addr: raddr, ID: m.live.ID, Action: Update,
					Reasons: append(append([]Reason{}, reasons...), ReasonMove),
					Before:  ruleValues(m.live), After: ruleValues(after)})
			}
		}
		for _, r := range rd.deletes {
			if rd.replaced[r.ID] || isGap(rd.gaps, r) {
				continue // shown with its create as a replace
			}
			pl.addChange(Change{Addr: RuleAddr(key, dir, r.Priority), ID: r.ID, Action: Delete, Reasons: reasons, Before: ruleValues(r)})
		}
		for _, r := range rd.creates {
			raddr := RuleAddr(key, dir, r.Priority)
			w := r
			w.ID, w.FilterID, w.Status = "", "", ""
			if dir == cloud.Ingress {
				create.Ingress = append(create.Ingress, w)
			} else {
				create.Egress = append(create.Egress, w)
			}
			c := Change{Addr: raddr, Action: Create, Reasons: reasons, After: ruleValues(r)}
			if old := replacedBy(rd, r); old != nil {
				c.Action, c.ID, c.Before = Replace, old.ID, ruleValues(*old)
				c.Reasons = append(append([]Reason{}, reasons...), ReasonIPVersion)
			}
			if isGap(rd.gaps, r) {
				c.Action, c.Reasons = Replace, append(append([]Reason{}, reasons...), ReasonGap)
				for _, old := range rd.deletes {
					if cloud.SameMatch(old, r) {
						c.ID, c.Before = old.ID, ruleValues(old)
					}
				}
				pl.p.Gaps = append(pl.p.Gaps, fmt.Sprintf("%s is deleted and created again: traffic it matches is not mirrored in between", raddr))
			}
			pl.addChange(c)
		}
	}
	if len(create.Ingress)+len(create.Egress) > 0 {
		pl.addStep(addr, create)
	}
}

func withID(r cloud.Rule, id string) cloud.Rule {
	r.ID = id
	return r
}

func isGap(gaps []cloud.Rule, r cloud.Rule) bool {
	for _, g := range gaps {
		if cloud.SameMatch(g, r) && (g.Priority == r.Priority || r.ID != "") {
			return true
		}
	}
	return false
}

func replacedBy(rd ruleDiff, w cloud.Rule) *cloud.Rule {
	for i, r := range rd.deletes {
		if rd.replaced[r.ID] && r.Priority == w.Priority {
			return &rd.deletes[i]
		}
	}
	return nil
}

// canSwap reports whether the filter can be replaced by a new one: not
// protected and used only by sessions of this stack.
func (pl *planner) canSwap(d *spec.Filter, l *cloud.Filter) bool {
	if d.Protect {
		return false
	}
	for _, s := range pl.live.Sessions {
		if s.FilterID == l.ID {
			if st, _ := pl.owner(KindSession, s.Tags); st != pl.desired.Name {
				return false
			}
		}
	}
	return true
}

// swapFilter creates a new filter with the desired rules inline; sessions
// move to it and the old one is deleted last (C6).
func (pl *planner) swapFilter(d *spec.Filter, l *cloud.Filter, reasons []Reason) {
	addr := FilterAddr(d.Key)
	id := pl.addStep(addr, pl.createFilterOp(d))
	pl.replaces[id] = l.ID
	pl.filterRefs[d.Key] = Ref{Step: id}
	pl.filterDeletes = append(pl.filterDeletes, filterDelete{f: l, key: d.Key, reason: ReasonSwap})
	pl.swapped[l.ID] = true
	before := liveFilterValues(d, l)
	before.Filter.ID = l.ID
	pl.addChange(Change{Addr: addr, ID: l.ID, Action: Replace,
		Reasons: append(append([]Reason{}, reasons...), ReasonSwap), Before: before, After: wantFilterValues(d)})
	pl.p.Notes = append(pl.p.Notes, fmt.Sprintf(
		"%s: the rules cannot be reordered with no free priority, so a new filter is created with them, its sessions move to it, and %s is deleted", addr, l.ID))
}

// collectFilterDeletes adds the owned filters whose key left the spec.
func (pl *planner) collectFilterDeletes(desired []*spec.Filter) {
	want := map[string]bool{}
	for _, f := range desired {
		want[f.Key] = true
	}
	keys := make([]string, 0, len(pl.ownedFilters))
	for k := range pl.ownedFilters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if want[k] {
			continue
		}
		for _, f := range pl.ownedFilters[k] {
			pl.filterDeletes = append(pl.filterDeletes, filterDelete{f: f, key: k, reason: ReasonOrphan})
		}
	}
}

// planFilterDeletes deletes filters last, after every session that used
// them has moved or gone.
func (pl *planner) planFilterDeletes() {
	sort.SliceStable(pl.filterDeletes, func(i, j int) bool {
		a, b := pl.filterDeletes[i], pl.filterDeletes[j]
		if a.key != b.key {
			return a.key < b.key
		}
		return a.f.ID < b.f.ID
	})
	for _, fd := range pl.filterDeletes {
		addr := FilterAddr(fd.key)
		if fd.reason != ReasonDuplicate {
			d := pl.specFilter(fd.key)
			if d != nil && d.Protect {
				pl.problem(addr, d.Pos, "remove `protect: true` from the filter to allow its deletion",
					"filter %s is protected and the plan would delete it", fd.f.ID)
				continue
			}
			if d == nil && pl.protectedLive(addr, fd.f.ID, fd.f.Tags) {
				continue
			}
		}
		var users []string
		for _, s := range pl.live.Sessions {
			if s.FilterID != fd.f.ID {
				continue
			}
			if st, _ := pl.owner(KindSession, s.Tags); st != pl.desired.Name {
				users = append(users, fmt.Sprintf("%s (%s)", s.ID, ownerName(st)))
			}
		}
		if len(users) > 0 {
			pl.problem(addr, spec.Pos{}, "move or delete those sessions first, or keep the filter in the spec",
				"filter %s cannot be deleted: it is used by session %s, which this stack does not manage",
				fd.f.ID, strings.Join(users, ", "))
			continue
		}
		pl.taken[fd.f.ID] = true
		pl.addStep(addr, &DeleteFilter{Filter: Ref{ID: fd.f.ID}}, pl.filterUsers[fd.f.ID]...)
		if fd.reason == ReasonSwap {
			continue // shown as the filter's replace
		}
		if fd.reason == ReasonOrphan {
			pl.destroyCount++
		}
		pl.addChange(Change{Addr: addr, ID: fd.f.ID, Action: Delete, Reasons: []Reason{fd.reason}, Before: deletedFilterValues(fd.f)})
	}
}

// protectedLive reports, as a problem, an owned object the plan would
// delete whose tmsync:applied value records protect: true, when the spec
// does not have its key (destroy by stack name, or a key gone from the
// spec): protection holds whatever way the stack is named.
func (pl *planner) protectedLive(addr Addr, id string, t cloud.Tags) bool {
	if !protectedBy(t[cloud.TagApplied]) {
		return false
	}
	pl.problem(addr, spec.Pos{}, fmt.Sprintf("apply a spec that has %s with `protect: false` first, then delete it", addr),
		"%s %s is protected (its spec said `protect: true` when tmsync last wrote it) and the plan would delete it", addr.Kind, id)
	return true
}

func ownerName(stack string) string {
	if stack == "" {
		return "not managed by tmsync"
	}
	return "stack " + stack
}

func (pl *planner) specFilter(key string) *spec.Filter {
	for _, f := range pl.desired.Filters {
		if f.Key == key {
			return f
		}
	}
	return nil
}

// byID checks the object a spec names by id (contract C3): it is taken when
// this stack owns it under the same key, or adopted when no stack owns it
// and --adopt is given; anything else is a problem.
func (pl *planner) byID(kind Kind, key, id string, pos spec.Pos, found bool, tags cloud.Tags) (take, adopt bool) {
	addr := Addr{Kind: kind, Key: key}
	st, owned := pl.owner(kind, tags)
	switch {
	case !found:
		pl.problem(addr, pos, fmt.Sprintf("check the id, or remove it to create a new %s", kind),
			"id %s: no such %s in region %s", id, kind, pl.desired.Region)
	case st == pl.desired.Name && owned == key:
		return true, false
	case st == pl.desired.Name:
		pl.problem(addr, pos, fmt.Sprintf("use `moved: [{from: %s, to: %s}]` to re-key it", Addr{Kind: kind, Key: owned}, addr),
			"id %s is already managed by this stack as %s", id, Addr{Kind: kind, Key: owned})
	case st != "":
		pl.problem(addr, pos, "an object is managed by one stack only; remove it from the other stack first",
			"id %s is managed by stack %q", id, st)
	case !pl.opts.Adopt:
		pl.problem(addr, pos, "pass --adopt to take it over (tags are added, nothing else changes unless the spec says so)",
			"id %s is not managed by tmsync", id)
	default:
		return true, true
	}
	return false, false
}

// noteNameMatch reports an unmanaged object with the name of one the plan
// creates, when exactly one has it: a hint to adopt it, never an adoption.
func (pl *planner) noteNameMatch(addr Addr, ids []string) {
	if len(ids) == 1 {
		pl.p.Notes = append(pl.p.Notes, fmt.Sprintf(
			"%s: unmanaged %s %s has the same name; to adopt it instead of creating a new one, add `id: %s` and pass --adopt",
			addr, addr.Kind, ids[0], ids[0]))
	}
}

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

// filterAttrs is the reviewable form of a filter's own attributes. Fields
// the spec leaves unset (description, resource group) are not managed and
// so left out of both sides.
func filterAttrs(d *spec.Filter, name, desc, rg string, tags cloud.Tags) map[string]any {
	m := map[string]any{"tags": map[string]string(userTags(tags))}
	if d.Name != "" {
		m["name"] = name
	}
	if d.Description != "" {
		m["description"] = desc
	}
	if d.ResourceGroupID != "" {
		m["resource_group_id"] = rg
	}
	return m
}

// filterHashAttrs adds the rules to the attributes, for tmsync:applied.
func filterHashAttrs(attrs map[string]any, ingress, egress []cloud.Rule) map[string]any {
	m := map[string]any{}
	for k, v := range attrs {
		m[k] = v
	}
	for _, dir := range directions {
		rs := ingress
		if dir == cloud.Egress {
			rs = egress
		}
		var specs []RuleSpec // nil, not empty, when there are none: it is hashed
		if len(rs) > 0 {
			specs = make([]RuleSpec, 0, len(rs))
		}
		for _, r := range sortedRules(rs) {
			specs = append(specs, ruleSpec(r))
		}
		m[dir] = specs
	}
	return m
}

func wantFilterAttrs(d *spec.Filter) map[string]any {
	return filterAttrs(d, d.Name, d.Description, d.ResourceGroupID, d.Tags)
}

func liveFilterAttrs(d *spec.Filter, l *cloud.Filter) map[string]any {
	return filterAttrs(d, l.Name, l.Description, l.ResourceGroupID, l.Tags)
}

// filterCost counts what differs between d and l: to pick which of two
// owned filters with one key to keep.
func filterCost(d *spec.Filter, l *cloud.Filter) int {
	l2 := cloud.CanonicalLiveFilter(*l)
	n := 0
	wa, la := wantFilterAttrs(d), liveFilterAttrs(d, &l2)
	for k := range wa {
		if fmt.Sprint(wa[k]) != fmt.Sprint(la[k]) {
			n++
		}
	}
	for _, dir := range directions {
		rd := diffRules(dir, specRules(d, dir), l2.Rules(dir), true)
		n += len(rd.deletes) + len(rd.updates) + len(rd.moves) + len(rd.creates)
	}
	return n
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
	addr := "filter." + d.Key
	cands := pl.ownedFilters[d.Key]
	var keep *cloud.Filter
	var reasons []Reason
	if d.ID != "" {
		l := pl.live.Filter(d.ID)
		take, adopt := pl.byID(TypeFilter, d.Key, d.ID, d.Pos, l != nil, tagsOf(l))
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
			if st, _ := pl.owner(TypeFilter, l.Tags); st == "" && l.Name == d.Name {
				same = append(same, l.ID)
			}
		}
		pl.noteNameMatch(TypeFilter, addr, same)
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

func (pl *planner) createFilterStep(d *spec.Filter, addr string) string {
	in, eg := specRules(d, cloud.Ingress), specRules(d, cloud.Egress)
	hash := appliedHash(filterHashAttrs(wantFilterAttrs(d), in, eg))
	params := Params{ResourceGroupID: d.ResourceGroupID,
		Tags: ownership(pl.desired.Name, d.Key, appliedValue(hash, ""), d.Tags)}
	if d.Name != "" {
		params.Name = strp(d.Name)
	}
	if d.Description != "" {
		params.Description = strp(d.Description)
	}
	for _, r := range sortedRules(in) {
		params.Ingress = append(params.Ingress, ruleSpec(r))
	}
	for _, r := range sortedRules(eg) {
		params.Egress = append(params.Egress, ruleSpec(r))
	}
	return pl.addStep(Step{Address: addr, Kind: TypeFilter, Op: OpCreateFilter, Params: params})
}

func (pl *planner) planFilter(d *spec.Filter) {
	addr := "filter." + d.Key
	live, adopt := pl.matchFilter(d)
	if live == nil {
		if d.ID != "" {
			return // a problem was reported
		}
		id := pl.createFilterStep(d, addr)
		pl.filterRefs[d.Key] = Ref{Step: id}
		pl.addChange(Change{Address: addr, Type: TypeFilter, Action: Create, Reasons: []Reason{ReasonSpec},
			Before: nil, After: wantFilterAttrs(d)})
		for _, dir := range directions {
			for _, r := range sortedRules(specRules(d, dir)) {
				pl.addChange(Change{Address: ruleAddress(addr, dir, r.Priority), Type: TypeRule, Action: Create,
					Reasons: []Reason{ReasonSpec}, After: ruleAttrs(r)})
			}
		}
		return
	}
	pl.filterMatch[d.Key] = live
	l := pl.canonical(live)
	ref := Ref{ID: l.ID}
	pl.filterRefs[d.Key] = ref

	wantAttrs, haveAttrs := wantFilterAttrs(d), liveFilterAttrs(d, &l)
	in, eg := specRules(d, cloud.Ingress), specRules(d, cloud.Egress)
	wantHashAttrs := filterHashAttrs(wantAttrs, in, eg)
	wantHash := appliedHash(wantHashAttrs)
	liveHash := hashLike(filterHashAttrs(haveAttrs, l.Ingress, l.Egress), wantHashAttrs, wantHash)
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

	// Rules, per direction.
	diffs := map[string]ruleDiff{}
	stuck := false
	for _, dir := range directions {
		rd := diffRules(dir, specRules(d, dir), l.Rules(dir), false)
		diffs[dir] = rd
		stuck = stuck || rd.stuck
	}
	if stuck {
		if pl.canSwap(d, &l) {
			pl.swapFilter(d, &l, addr, reasons)
			return
		}
		if !pl.opts.AllowGap {
			pl.problem(addr, d.Pos, "free a priority (at most 9 rules in that direction), or pass --allow-gap to delete and recreate a rule",
				"the new rule order needs a free priority and none is free; the filter cannot be swapped for a new one because it is protected or used by a session this stack does not manage")
			return
		}
		for _, dir := range directions {
			diffs[dir] = diffRules(dir, specRules(d, dir), l.Rules(dir), true)
		}
	}

	// The filter's own attributes.
	edit := Params{}
	if d.Name != "" && l.Name != d.Name {
		edit.Name = strp(d.Name)
	}
	if d.Description != "" && l.Description != d.Description {
		edit.Description = strp(d.Description)
	}
	attrsChanged := edit.Name != nil || edit.Description != nil ||
		(d.ResourceGroupID != "" && d.ResourceGroupID != l.ResourceGroupID) ||
		!userTags(l.Tags).Equal(userTags(wantTags))
	tagsOnly := !attrsChanged && (appliedHashOf(l.Tags[cloud.TagApplied]) != wantHash || renamed)
	for _, dir := range directions {
		if !diffs[dir].empty() {
			tagsOnly = false
		}
	}
	if attrsChanged || tagsOnly || reasons[0] == ReasonAdopt {
		pl.addChange(Change{Address: addr, Type: TypeFilter, ID: l.ID, Action: Update, Reasons: reasons,
			Before: haveAttrs, After: wantAttrs})
	}
	if edit.Name != nil || edit.Description != nil {
		pl.addStep(Step{Address: addr, Kind: TypeFilter, Op: OpUpdateFilter, Target: ref, Params: edit})
	}

	// Deletes of both directions in one call, then in-place updates and
	// moves, then creates of both directions in one call.
	var delIDs []string
	for _, dir := range directions {
		rd := diffs[dir]
		for _, r := range rd.deletes {
			delIDs = append(delIDs, r.ID)
		}
	}
	if len(delIDs) > 0 {
		pl.addStep(Step{Address: addr, Kind: TypeRule, Op: OpDeleteRules, Target: ref, Params: Params{RuleIDs: delIDs}})
	}
	var create Params
	for _, dir := range directions {
		rd := diffs[dir]
		for _, u := range rd.updates {
			raddr := ruleAddress(addr, dir, u.want.Priority)
			pl.addStep(Step{Address: raddr, Kind: TypeRule, Op: OpUpdateRule, Unit: addr, Target: Ref{ID: u.live.ID}, Parent: &ref,
				Params: Params{Rule: ruleEdit(u.live, u.want)}})
			pl.addChange(Change{Address: raddr, Type: TypeRule, ID: u.live.ID, Action: Update, Reasons: reasons,
				Before: ruleAttrs(u.live), After: ruleAttrs(withID(u.want, u.live.ID))})
		}
		for _, m := range rd.moves {
			raddr := ruleAddress(addr, dir, m.final)
			pl.addStep(Step{Address: raddr, Kind: TypeRule, Op: OpUpdateRule, Unit: addr, Target: Ref{ID: m.live.ID}, Parent: &ref,
				Params: Params{Rule: &RuleEdit{Priority: intp(m.to)}}})
			if m.to == m.final {
				after := m.live
				after.Priority = m.final
				pl.addChange(Change{Address: raddr, Type: TypeRule, ID: m.live.ID, Action: Update,
					Reasons: append(append([]Reason{}, reasons...), ReasonMove),
					Before:  ruleAttrs(m.live), After: ruleAttrs(after)})
			}
		}
		for _, r := range rd.deletes {
			raddr := ruleAddress(addr, dir, r.Priority)
			act, rs := Delete, reasons
			if rd.replaced[r.ID] {
				continue // shown with its create as a replace
			}
			if isGap(rd.gaps, r) {
				continue
			}
			pl.addChange(Change{Address: raddr, Type: TypeRule, ID: r.ID, Action: act, Reasons: rs, Before: ruleAttrs(r)})
		}
		for _, r := range rd.creates {
			raddr := ruleAddress(addr, dir, r.Priority)
			spec := ruleSpec(r)
			if dir == cloud.Ingress {
				create.Ingress = append(create.Ingress, spec)
			} else {
				create.Egress = append(create.Egress, spec)
			}
			c := Change{Address: raddr, Type: TypeRule, Action: Create, Reasons: reasons, After: ruleAttrs(r)}
			if old := replacedBy(rd, r); old != nil {
				c.Action, c.ID, c.Before = Replace, old.ID, ruleAttrs(*old)
				c.Reasons = append(append([]Reason{}, reasons...), ReasonIPVersion)
			}
			if isGap(rd.gaps, r) {
				c.Action, c.Reasons = Replace, append(append([]Reason{}, reasons...), ReasonGap)
				for _, old := range rd.deletes {
					if cloud.SameMatch(old, r) {
						c.ID, c.Before = old.ID, ruleAttrs(old)
					}
				}
				pl.p.Gaps = append(pl.p.Gaps, fmt.Sprintf("%s is deleted and created again: traffic it matches is not mirrored in between", raddr))
			}
			pl.addChange(c)
		}
	}
	if len(create.Ingress)+len(create.Egress) > 0 {
		pl.addStep(Step{Address: addr, Kind: TypeRule, Op: OpCreateRules, Target: ref, Params: create})
	}
	if d.ResourceGroupID != "" && d.ResourceGroupID != l.ResourceGroupID {
		pl.addStep(Step{Address: addr, Kind: TypeFilter, Op: OpMoveGroup, Target: ref, Params: Params{ResourceGroupID: d.ResourceGroupID}})
	}
	wantTags[cloud.TagApplied] = pl.nextApplied(l.Tags[cloud.TagApplied], wantHash, len(pl.p.Steps) > stepsBefore)
	pl.tagSteps(addr, TypeFilter, ref, l.Tags, wantTags)
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
			if st, _ := pl.owner(TypeSession, s.Tags); st != pl.desired.Name {
				return false
			}
		}
	}
	return true
}

// swapFilter creates a new filter with the desired rules inline; sessions
// move to it and the old one is deleted last (C6).
func (pl *planner) swapFilter(d *spec.Filter, l *cloud.Filter, addr string, reasons []Reason) {
	id := pl.createFilterStep(d, addr)
	pl.filterRefs[d.Key] = Ref{Step: id}
	pl.filterDeletes = append(pl.filterDeletes, filterDelete{f: l, key: d.Key, reason: ReasonSwap})
	pl.swapped[l.ID] = true
	before := liveFilterAttrs(d, l)
	before["id"] = l.ID
	pl.addChange(Change{Address: addr, Type: TypeFilter, ID: l.ID, Action: Replace,
		Reasons: append(append([]Reason{}, reasons...), ReasonSwap), Before: before, After: wantFilterAttrs(d)})
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
		addr := "filter." + fd.key
		if d := pl.specFilter(fd.key); d != nil && d.Protect && fd.reason != ReasonDuplicate {
			pl.problem(addr, d.Pos, "remove `protect: true` from the filter to allow its deletion",
				"filter %s is protected and the plan would delete it", fd.f.ID)
			continue
		}
		var users []string
		for _, s := range pl.live.Sessions {
			if s.FilterID != fd.f.ID {
				continue
			}
			if st, _ := pl.owner(TypeSession, s.Tags); st != pl.desired.Name {
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
		pl.addStep(Step{Address: addr, Kind: TypeFilter, Op: OpDeleteFilter, Target: Ref{ID: fd.f.ID}},
			pl.filterUsers[fd.f.ID]...)
		if fd.reason == ReasonSwap {
			continue // shown as the filter's replace
		}
		if fd.reason == ReasonOrphan {
			pl.destroyCount++
		}
		before := map[string]any{"id": fd.f.ID, "name": fd.f.Name}
		pl.addChange(Change{Address: addr, Type: TypeFilter, ID: fd.f.ID, Action: Delete, Reasons: []Reason{fd.reason}, Before: before})
	}
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
func (pl *planner) byID(kind, key, id string, pos spec.Pos, found bool, tags cloud.Tags) (take, adopt bool) {
	addr := kind + "." + key
	st, owned := pl.owner(kind, tags)
	switch {
	case !found:
		pl.problem(addr, pos, fmt.Sprintf("check the id, or remove it to create a new %s", kind),
			"id %s: no such %s in region %s", id, kind, pl.desired.Region)
	case st == pl.desired.Name && owned == key:
		return true, false
	case st == pl.desired.Name:
		pl.problem(addr, pos, fmt.Sprintf("use `moved: [{from: %s.%s, to: %s}]` to re-key it", kind, owned, addr),
			"id %s is already managed by this stack as %s.%s", id, kind, owned)
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
func (pl *planner) noteNameMatch(kind, addr string, ids []string) {
	if len(ids) == 1 {
		pl.p.Notes = append(pl.p.Notes, fmt.Sprintf(
			"%s: unmanaged %s %s has the same name; to adopt it instead of creating a new one, add `id: %s` and pass --adopt",
			addr, kind, ids[0], ids[0]))
	}
}

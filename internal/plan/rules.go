package plan

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
)

// MaxRulePriority is the highest rule priority; a direction holds at most
// this many rules.
const MaxRulePriority = 10

type ruleUpdate struct {
	live, want cloud.Rule
}

type ruleMove struct {
	live     cloud.Rule
	from, to int
	temp     bool // a move to a free slot that breaks a cycle
	final    int  // the rule's desired priority
}

// A ruleDiff is the plan for one direction of one filter (C6).
type ruleDiff struct {
	dir      string
	deletes  []cloud.Rule // live rules to delete
	replaced map[string]bool
	updates  []ruleUpdate
	moves    []ruleMove // in execution order
	creates  []cloud.Rule
	// stuck is set when a reorder needs a free priority and none is free.
	stuck bool
	gaps  []cloud.Rule // desired rules briefly absent (gap mode)
}

func (d ruleDiff) empty() bool {
	return len(d.deletes)+len(d.updates)+len(d.moves)+len(d.creates) == 0
}

// inPlace reports whether live can become want by UpdateRule: the same
// priority and IP version, and no port change to or from an ICMP rule,
// which the API refuses.
func inPlace(live, want cloud.Rule) bool {
	if live.Priority != want.Priority || live.IPVersion != want.IPVersion {
		return false
	}
	if live.Protocol != want.Protocol && (live.Protocol == cloud.ProtoICMP || want.Protocol == cloud.ProtoICMP) {
		return false
	}
	return true
}

// diffRules matches want against have in the order of C6 and orders the
// priority moves so that no two rules ever share a priority. With gap, a
// cycle with no free priority is broken by deleting and recreating a rule.
func diffRules(dir string, want, have []cloud.Rule, gap bool) ruleDiff {
	d := ruleDiff{dir: dir, replaced: map[string]bool{}}
	want = sortedRules(want)
	have = sortedRules(have)
	usedW := make([]bool, len(want))
	usedH := make([]bool, len(have))
	kept := map[int]cloud.Rule{} // current priority -> live rule that stays
	var moves []ruleMove

	// (1) equal including priority
	for i, w := range want {
		for j, h := range have {
			if !usedH[j] && h.Priority == w.Priority && cloud.SameMatch(w, h) {
				usedW[i], usedH[j] = true, true
				kept[h.Priority] = h
				break
			}
		}
	}
	// (2) equal except priority
	for i, w := range want {
		if usedW[i] {
			continue
		}
		for j, h := range have {
			if !usedH[j] && cloud.SameMatch(w, h) {
				usedW[i], usedH[j] = true, true
				kept[h.Priority] = h
				moves = append(moves, ruleMove{live: h, from: h.Priority, to: w.Priority, final: w.Priority})
				break
			}
		}
	}
	// (3) same priority and IP version
	for i, w := range want {
		if usedW[i] {
			continue
		}
		for j, h := range have {
			if !usedH[j] && inPlace(h, w) {
				usedW[i], usedH[j] = true, true
				kept[h.Priority] = h
				d.updates = append(d.updates, ruleUpdate{live: h, want: w})
				break
			}
		}
	}
	// (4) the rest
	for j, h := range have {
		if !usedH[j] {
			d.deletes = append(d.deletes, h)
		}
	}
	for i, w := range want {
		if !usedW[i] {
			d.creates = append(d.creates, w)
			for _, h := range d.deletes {
				if h.Priority == w.Priority && h.IPVersion != w.IPVersion {
					d.replaced[h.ID] = true
				}
			}
		}
	}

	// Order the moves through free priorities.
	occ := map[int]bool{}
	for p := range kept {
		occ[p] = true
	}
	pending := moves
	for len(pending) > 0 {
		progressed := false
		for i := 0; i < len(pending); i++ {
			m := pending[i]
			if occ[m.to] {
				continue
			}
			delete(occ, m.from)
			occ[m.to] = true
			d.moves = append(d.moves, m)
			pending = append(pending[:i], pending[i+1:]...)
			progressed = true
			i = -1
		}
		if progressed || len(pending) == 0 {
			continue
		}
		// Every pending move waits on another: a cycle.
		free := 0
		for p := 1; p <= MaxRulePriority; p++ {
			if !occ[p] {
				free = p
				break
			}
		}
		m := pending[0]
		if free == 0 {
			if !gap {
				d.stuck = true
				return d
			}
			// Delete the rule and create it again once its slot is free.
			delete(occ, m.from)
			d.deletes = append(d.deletes, m.live)
			w := m.live
			w.ID, w.Status, w.Priority = "", "", m.final
			d.creates = append(d.creates, w)
			d.gaps = append(d.gaps, w)
			pending = pending[1:]
			continue
		}
		delete(occ, m.from)
		occ[free] = true
		d.moves = append(d.moves, ruleMove{live: m.live, from: m.from, to: free, temp: true, final: m.final})
		pending[0].from = free
	}
	return d
}

// sortedRules returns rs by priority, then ID. Callers only read the
// result, so rs itself is returned when it is in order already, as spec and
// live rules nearly always are: a sorted copy per call was most of what a
// no-op plan allocated (make bench).
func sortedRules(rs []cloud.Rule) []cloud.Rule {
	if slices.IsSortedFunc(rs, func(a, b cloud.Rule) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), strings.Compare(a.ID, b.ID))
	}) {
		return rs
	}
	out := append([]cloud.Rule(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// rulePatch returns the UpdateRule parameters that turn live into want.
func rulePatch(live, want cloud.Rule) cloud.RulePatch {
	e := cloud.RulePatch{}
	if live.Action != want.Action {
		e.Action = strPtr(want.Action)
	}
	if live.Protocol != want.Protocol {
		e.Protocol = strPtr(want.Protocol)
	}
	if live.SourceCIDR != want.SourceCIDR {
		e.SourceCIDR = strPtr(want.SourceCIDR)
	}
	if live.DestCIDR != want.DestCIDR {
		e.DestCIDR = strPtr(want.DestCIDR)
	}
	if cloud.HasPorts(want.Protocol) {
		if live.SourcePort != want.SourcePort || live.Protocol != want.Protocol {
			e.SourcePort = strPtr(want.SourcePort)
		}
		if live.DestPort != want.DestPort || live.Protocol != want.Protocol {
			e.DestPort = strPtr(want.DestPort)
		}
	}
	return e
}

package plan

import (
	"fmt"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// suggestMoves notes each owned object the plan deletes because its key
// left the spec while it creates one of the same kind with equal contents:
// most likely a renamed key, which a moved entry re-keys in place instead.
// Names are not compared, since a renamed key often renames the object
// too. Filters are paired first, so that sessions on a renamed filter pair
// as well. Each object is paired at most once, in plan order. A paired
// create is labelled spec, not missing: its contents were applied under
// the other key.
func (pl *planner) suggestMoves() {
	var filterDel, filterNew, sessionDel, sessionNew []int // indexes into the changes
	for i, c := range pl.p.Changes {
		switch {
		case c.Action == Delete && c.HasReason(ReasonOrphan) && c.Addr.Kind == KindFilter:
			filterDel = append(filterDel, i)
		case c.Action == Delete && c.HasReason(ReasonOrphan) && c.Addr.Kind == KindSession:
			sessionDel = append(sessionDel, i)
		case c.Action == Create && c.Addr.Kind == KindFilter:
			filterNew = append(filterNew, i)
		case c.Action == Create && c.Addr.Kind == KindSession:
			sessionNew = append(sessionNew, i)
		}
	}
	renamed := map[string]string{} // old filter address -> new
	pl.pairMoves(filterDel, filterNew, func(del, cr *Change) bool {
		l, d := pl.filterByID[del.ID], pl.specFilter(cr.Addr.Key)
		if l == nil || d == nil || !pl.sameFilter(d, l) {
			return false
		}
		renamed[del.Addr.String()] = cr.Addr.String()
		return true
	})
	pl.pairMoves(sessionDel, sessionNew, func(del, cr *Change) bool {
		l, d := pl.sessionByID[del.ID], pl.specSession(cr.Addr.Key)
		return l != nil && d != nil && pl.sameSession(d, l, renamed)
	})
}

// pairMoves pairs each delete with the first unpaired create that same
// reports equal, and notes the pair.
func (pl *planner) pairMoves(dels, creates []int, same func(del, cr *Change) bool) {
	paired := make([]bool, len(creates))
	for _, di := range dels {
		del := &pl.p.Changes[di]
		for i, ci := range creates {
			cr := &pl.p.Changes[ci]
			if paired[i] || !same(del, cr) {
				continue
			}
			paired[i] = true
			for j, r := range cr.Reasons {
				if r == ReasonMissing {
					cr.Reasons[j] = ReasonSpec
				}
			}
			pl.p.Notes = append(pl.p.Notes, fmt.Sprintf(
				"%s is created with the contents of %s, which is deleted; did you mean moved: {from: %s, to: %s}?",
				cr.Addr, del.Addr, del.Addr, cr.Addr))
			break
		}
	}
}

// sameFilter reports whether the live filter l has the contents d asks
// for, its name aside.
func (pl *planner) sameFilter(d *spec.Filter, l *cloud.Filter) bool {
	unnamed := *d
	unnamed.Name = ""
	return filterCost(&unnamed, l) == 0
}

// sameSession reports whether the live session l has the contents d asks
// for, its name aside; a filter in renamed reads as its new address.
func (pl *planner) sameSession(d *spec.Session, l *cloud.Session, renamed map[string]string) bool {
	unnamed := *d
	unnamed.Name = ""
	c := cloud.CanonicalSession(*l)
	w, h := pl.wantSessionHashInput(&unnamed), pl.liveSessionHashInput(&unnamed, &c)
	if f, ok := h["filter"].(string); ok && renamed[f] != "" {
		h["filter"] = renamed[f]
	}
	if len(w) != len(h) {
		return false
	}
	for k := range w {
		if fmt.Sprint(w[k]) != fmt.Sprint(h[k]) {
			return false
		}
	}
	return true
}

func (pl *planner) specSession(key string) *spec.Session {
	for _, s := range pl.desired.Sessions {
		if s.Key == key {
			return s
		}
	}
	return nil
}

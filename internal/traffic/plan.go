package traffic

import (
	"slices"
	"sort"
	"strconv"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

var directions = []string{cloud.Ingress, cloud.Egress}

// ForPlan returns how p, computed by plan.Compute from desired and live,
// changes what is mirrored, in the order of p's changes:
//
//   - for each direction of a filter whose rules change, the packets it
//     starts and stops mirroring (a filter created starts from nothing, a
//     filter deleted ends with nothing), or that the same packets are
//     mirrored;
//   - for each session, the changes that stop or cut its capture: deleted,
//     disabled, sources removed, a shorter packet length, another VXLAN ID
//     or target, and a move to a filter that mirrors other packets.
//
// It reads which live object each change is about from p (its changes'
// IDs and its steps' references), so it agrees with the plan about
// ownership, adoption and duplicates. A direction whose live rules tmsync
// cannot read is left out. It never changes its inputs.
func ForPlan(desired *spec.Stack, live *cloud.Snapshot, p *plan.Plan) []plan.Traffic {
	x := newPlanIndex(desired, live, p)
	var out []plan.Traffic
	done := map[string]bool{}
	for _, c := range p.Changes {
		switch c.Addr.Kind {
		case plan.KindRule, plan.KindFilter:
			key := c.Addr.Key
			if done[key] {
				continue
			}
			before, after, ok := x.filterSides(c)
			if !ok {
				continue
			}
			done[key] = true
			for _, dir := range directions {
				if t, ok := directionTraffic(before.rules(dir), after.rules(dir), before.exists, after.exists); ok {
					t.Address, t.Direction = plan.FilterAddr(key), dir
					out = append(out, t)
				}
			}
		case plan.KindSession:
			out = append(out, x.sessionTraffic(c)...)
		}
	}
	return out
}

// A side is the rules of a filter before or after the plan.
type side struct {
	exists          bool
	ingress, egress []cloud.Rule
}

func (s side) rules(dir string) []cloud.Rule {
	if dir == cloud.Egress {
		return s.egress
	}
	return s.ingress
}

type planIndex struct {
	desired  map[string]*spec.Filter
	live     map[string]*cloud.Filter
	sessions map[string]*cloud.Session
	// before maps a filter key to the live filter the plan changes for it.
	before map[string]string
	// updates maps a session address to the filter its update moves it to.
	moves map[plan.Addr]plan.Ref
	// swapped holds the live filters replaced by a new one with the same
	// key.
	swapped map[string]string // old filter ID -> key
	p       *plan.Plan
}

func newPlanIndex(desired *spec.Stack, live *cloud.Snapshot, p *plan.Plan) *planIndex {
	x := &planIndex{desired: map[string]*spec.Filter{}, live: map[string]*cloud.Filter{},
		sessions: map[string]*cloud.Session{}, before: map[string]string{}, moves: map[plan.Addr]plan.Ref{},
		swapped: map[string]string{}, p: p}
	for _, f := range desired.Filters {
		x.desired[f.Key] = f
	}
	for i := range live.Filters {
		x.live[live.Filters[i].ID] = &live.Filters[i]
	}
	for i := range live.Sessions {
		x.sessions[live.Sessions[i].ID] = &live.Sessions[i]
	}
	for _, c := range p.Changes {
		if c.Addr.Kind != plan.KindFilter || c.ID == "" {
			continue
		}
		switch c.Action {
		case plan.Update:
			x.before[c.Addr.Key] = c.ID
		case plan.Replace:
			x.before[c.Addr.Key] = c.ID
			x.swapped[c.ID] = c.Addr.Key
		}
	}
	for _, s := range p.Steps {
		switch op := s.Op.(type) {
		case *plan.CreateRules, *plan.UpdateRule, *plan.DeleteRules:
			if ref := op.Object(); ref.Known() {
				if _, ok := x.before[s.Unit.Key]; !ok {
					x.before[s.Unit.Key] = ref.ID
				}
			}
		case *plan.UpdateSession:
			if op.Filter != nil {
				x.moves[s.Addr()] = *op.Filter
			}
		}
	}
	return x
}

// liveSide returns the rules of live filter id.
func (x *planIndex) liveSide(id string) (side, bool) {
	f := x.live[id]
	if f == nil {
		return side{}, false
	}
	c := cloud.CanonicalLiveFilter(*f)
	return side{exists: true, ingress: c.Ingress, egress: c.Egress}, true
}

// specSide returns the rules the spec gives filter key.
func (x *planIndex) specSide(key string) (side, bool) {
	f := x.desired[key]
	if f == nil {
		return side{}, false
	}
	s := side{exists: true, ingress: make([]cloud.Rule, 0, len(f.Ingress)), egress: make([]cloud.Rule, 0, len(f.Egress))}
	for _, r := range f.Ingress {
		s.ingress = append(s.ingress, r.Rule)
	}
	for _, r := range f.Egress {
		s.egress = append(s.egress, r.Rule)
	}
	return s, true
}

// filterSides returns the rules of the filter c is about, before and after
// the plan; ok is false when c does not change what the filter mirrors.
func (x *planIndex) filterSides(c plan.Change) (before, after side, ok bool) {
	key := c.Addr.Key
	if c.Addr.Kind == plan.KindFilter {
		switch {
		case c.Action == plan.Delete && c.HasReason(plan.ReasonOrphan):
			before, ok = x.liveSide(c.ID)
			return before, side{}, ok
		case c.Action == plan.Create, c.Action == plan.Replace:
		default:
			return side{}, side{}, false
		}
	}
	after, ok = x.specSide(key)
	if !ok {
		return side{}, side{}, false
	}
	if id, known := x.before[key]; known {
		if before, ok = x.liveSide(id); !ok {
			return side{}, side{}, false
		}
	}
	return before, after, true
}

// directionTraffic compares the rules of one direction before and after;
// ok is false when there is nothing to say.
func directionTraffic(before, after []cloud.Rule, hadBefore, hasAfter bool) (plan.Traffic, bool) {
	if sameRules(before, after, true) {
		return plan.Traffic{}, false
	}
	mb, ma, ok := mirroredBoth(before, after)
	if !ok {
		return plan.Traffic{}, false
	}
	added, dropped := ma.Minus(mb), mb.Minus(ma)
	switch {
	case !added.Empty() || !dropped.Empty():
		return plan.Traffic{Effect: plan.TrafficRules, Added: added.Regions(), Dropped: dropped.Regions()}, true
	case !hadBefore || !hasAfter:
		// A filter created or deleted that mirrors nothing: validate
		// warns about its rules.
		return plan.Traffic{}, false
	case sameRules(before, after, false):
		return plan.Traffic{Effect: plan.TrafficReorder}, true
	}
	return plan.Traffic{Effect: plan.TrafficSame}, true
}

func mirroredBoth(before, after []cloud.Rule) (mb, ma Set, ok bool) {
	cb, err := Compile(before)
	if err != nil {
		return Set{}, Set{}, false
	}
	ca, err := Compile(after)
	if err != nil {
		return Set{}, Set{}, false
	}
	return cb.Mirrored(), ca.Mirrored(), true
}

// sameRules reports whether a and b hold the same rules, with their
// priorities when withPriority, whatever their order in the lists.
func sameRules(a, b []cloud.Rule, withPriority bool) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(r cloud.Rule) string {
		k := r.Action + "|" + r.Protocol + "|" + r.IPVersion + "|" + r.SourceCIDR + "|" + r.DestCIDR + "|" +
			r.SourcePort + "|" + r.DestPort
		if withPriority {
			k += "|" + strconv.Itoa(r.Priority)
		}
		return k
	}
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i], kb[i] = key(a[i]), key(b[i])
	}
	sort.Strings(ka)
	sort.Strings(kb)
	return slices.Equal(ka, kb)
}

// sessionTraffic returns the changes of session change c that stop or cut
// what it captures.
func (x *planIndex) sessionTraffic(c plan.Change) []plan.Traffic {
	a := c.Addr
	switch c.Action {
	case plan.Delete:
		if c.HasReason(plan.ReasonDuplicate) {
			return nil // the session kept with its key goes on
		}
		return []plan.Traffic{{Address: a, Effect: plan.TrafficDeleted}}
	case plan.Update:
	default:
		return nil
	}
	if c.Before == nil || c.After == nil || c.Before.Session == nil || c.After.Session == nil {
		return nil
	}
	b, w := c.Before.Session, c.After.Session
	var out []plan.Traffic
	if b.Enabled && !w.Enabled {
		out = append(out, plan.Traffic{Address: a, Effect: plan.TrafficDisabled})
	}
	var lost []string
	for _, s := range b.Sources {
		if !slices.Contains(w.Sources, s) {
			lost = append(lost, s)
		}
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		out = append(out, plan.Traffic{Address: a, Effect: plan.TrafficSourcesRemoved, Sources: lost})
	}
	if w.PacketLength < b.PacketLength {
		out = append(out, plan.Traffic{Address: a, Effect: plan.TrafficTruncated,
			Was: strconv.Itoa(b.PacketLength), Now: strconv.Itoa(w.PacketLength)})
	}
	if b.VNI != nil && w.VNI != nil && *b.VNI != *w.VNI {
		out = append(out, plan.Traffic{Address: a, Effect: plan.TrafficVNI,
			Was: strconv.Itoa(*b.VNI), Now: strconv.Itoa(*w.VNI)})
	}
	if b.Target != w.Target {
		out = append(out, plan.Traffic{Address: a, Effect: plan.TrafficTarget,
			Was: b.Target.Type + " " + b.Target.ID, Now: w.Target.Type + " " + w.Target.ID})
	}
	return append(out, x.filterMove(c, b.Filter, w.Filter)...)
}

// filterMove returns what a session that moves to another filter starts
// and stops mirroring, per direction; was and now name the filters as the
// change does.
func (x *planIndex) filterMove(c plan.Change, was, now string) []plan.Traffic {
	ref, ok := x.moves[c.Addr]
	if !ok {
		return nil
	}
	ls := x.sessions[c.ID]
	if ls == nil {
		return nil
	}
	before, ok := x.liveSide(ls.FilterID)
	if !ok {
		return nil
	}
	var after side
	switch {
	case !ref.Known():
		key := ref.Step.Addr.Key
		if x.swapped[ls.FilterID] == key {
			return nil // its own filter, swapped: shown on the filter
		}
		if after, ok = x.specSide(key); !ok {
			return nil
		}
	default:
		// A filter of the stack the plan changes gets the spec's rules.
		key := ""
		for k, id := range x.before {
			if id == ref.ID {
				key = k
			}
		}
		if key != "" {
			after, ok = x.specSide(key)
		} else {
			after, ok = x.liveSide(ref.ID)
		}
		if !ok {
			return nil
		}
	}
	var out []plan.Traffic
	for _, dir := range directions {
		t, ok := directionTraffic(before.rules(dir), after.rules(dir), true, true)
		if !ok || t.Effect != plan.TrafficRules {
			continue
		}
		t.Address, t.Direction, t.Effect = c.Addr, dir, plan.TrafficFilter
		t.Was, t.Now = was, now
		out = append(out, t)
	}
	return out
}

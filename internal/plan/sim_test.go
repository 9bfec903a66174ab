package plan

import (
	"fmt"
	"sort"
	"testing"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

var simSeq int

// simulate applies the steps of p to a copy of live the way the API would,
// failing the test when a step breaks an API rule: two rules or sessions on
// one priority, a deleted filter still in use, a missing object.
func simulate(t *testing.T, live *cloud.Snapshot, p *Plan) *cloud.Snapshot {
	t.Helper()
	s := cloneSnap(live)
	ids := map[string]string{} // step ID -> created object ID
	done := map[string]bool{}
	newID := func(prefix string) string { simSeq++; return fmt.Sprintf("%s-sim%05d", prefix, simSeq) }
	resolve := func(r Ref) string {
		if r.ID != "" {
			return r.ID
		}
		id, ok := ids[r.Step]
		if !ok {
			t.Fatalf("ref to step %s that has not run", r.Step)
		}
		return id
	}
	mkRules := func(fid, dir string, rs []RuleSpec) []cloud.Rule {
		var out []cloud.Rule
		for _, r := range rs {
			cr := r.Rule(dir)
			cr.ID, cr.FilterID, cr.Status = newID("tmr"), fid, cloud.StatusCreated
			out = append(out, cr)
		}
		return out
	}
	for _, st := range p.Steps {
		for _, d := range st.DependsOn {
			if !done[d] {
				t.Fatalf("step %s runs before its dependency %s", st.ID, d)
			}
		}
		switch {
		case st.Kind == TypeService:
			s.ServiceEnabled = true
		case st.Kind == TypeFilter && st.Op == OpCreateFilter:
			id := newID("tmf")
			f := cloud.Filter{ID: id, Name: deref(st.Params.Name), Description: deref(st.Params.Description),
				ResourceGroupID: st.Params.ResourceGroupID, Tags: st.Params.Tags.Clone(), Status: cloud.StatusCreated}
			f.Ingress = mkRules(id, cloud.Ingress, st.Params.Ingress)
			f.Egress = mkRules(id, cloud.Egress, st.Params.Egress)
			s.Filters = append(s.Filters, f)
			ids[st.ID] = id
		case st.Kind == TypeFilter && st.Op == OpUpdateFilter:
			f := mustFilter(t, s, resolve(st.Target))
			if st.Params.Name != nil {
				f.Name = *st.Params.Name
			}
			if st.Params.Description != nil {
				f.Description = *st.Params.Description
			}
		case st.Kind == TypeFilter && st.Op == OpDeleteFilter:
			id := resolve(st.Target)
			for _, ss := range s.Sessions {
				if ss.FilterID == id {
					t.Fatalf("step %s deletes filter %s still used by session %s", st.ID, id, ss.ID)
				}
			}
			mustFilter(t, s, id)
			for i := range s.Filters {
				if s.Filters[i].ID == id {
					s.Filters = append(s.Filters[:i], s.Filters[i+1:]...)
					break
				}
			}
		case st.Op == OpCreateRules:
			f := mustFilter(t, s, resolve(st.Target))
			f.Ingress = append(f.Ingress, mkRules(f.ID, cloud.Ingress, st.Params.Ingress)...)
			f.Egress = append(f.Egress, mkRules(f.ID, cloud.Egress, st.Params.Egress)...)
		case st.Op == OpDeleteRules:
			f := mustFilter(t, s, resolve(st.Target))
			gone := map[string]bool{}
			for _, id := range st.Params.RuleIDs {
				gone[id] = true
			}
			keep := func(rs []cloud.Rule) []cloud.Rule {
				var out []cloud.Rule
				for _, r := range rs {
					if gone[r.ID] {
						delete(gone, r.ID)
						continue
					}
					out = append(out, r)
				}
				return out
			}
			f.Ingress, f.Egress = keep(f.Ingress), keep(f.Egress)
			if len(gone) > 0 {
				t.Fatalf("step %s deletes unknown rules %v", st.ID, gone)
			}
		case st.Op == OpUpdateRule:
			r := mustRule(t, s, resolve(st.Target))
			e := st.Params.Rule
			if e.Priority != nil {
				r.Priority = *e.Priority
			}
			set := func(dst *string, v *string) {
				if v != nil {
					*dst = *v
				}
			}
			set(&r.Action, e.Action)
			set(&r.Protocol, e.Protocol)
			set(&r.SourceCIDR, e.SourceCIDR)
			set(&r.DestCIDR, e.DestCIDR)
			set(&r.SourcePort, e.SourcePort)
			set(&r.DestPort, e.DestPort)
			if !cloud.HasPorts(r.Protocol) {
				r.SourcePort, r.DestPort = "-1/-1", "-1/-1"
			}
		case st.Kind == TypeSession && st.Op == OpCreateSession:
			ss := st.Params.Session
			id := newID("tms")
			sess := cloud.Session{ID: id, Name: deref(st.Params.Name), Description: deref(st.Params.Description),
				FilterID: resolve(*ss.Filter), SourceIDs: append([]string{}, ss.SourceIDs...), TargetID: *ss.TargetID,
				TargetType: *ss.TargetType, Priority: *ss.Priority, PacketLength: *ss.PacketLength, Enabled: *ss.Enabled,
				ResourceGroupID: st.Params.ResourceGroupID, Tags: st.Params.Tags.Clone(), Status: cloud.StatusCreated, VNI: 77}
			if ss.VNI != nil {
				sess.VNI = *ss.VNI
			}
			mustFilter(t, s, sess.FilterID)
			s.Sessions = append(s.Sessions, sess)
			ids[st.ID] = id
		case st.Kind == TypeSession && st.Op == OpUpdateSession:
			sess := mustSession(t, s, resolve(st.Target))
			ss := st.Params.Session
			if st.Params.Name != nil {
				sess.Name = *st.Params.Name
			}
			if st.Params.Description != nil {
				sess.Description = *st.Params.Description
			}
			if ss.Filter != nil {
				sess.FilterID = resolve(*ss.Filter)
				mustFilter(t, s, sess.FilterID)
			}
			if ss.TargetID != nil {
				sess.TargetID, sess.TargetType = *ss.TargetID, *ss.TargetType
			}
			if ss.Priority != nil {
				sess.Priority = *ss.Priority
			}
			if ss.PacketLength != nil {
				sess.PacketLength = *ss.PacketLength
			}
			if ss.VNI != nil {
				sess.VNI = *ss.VNI
			}
			if ss.Enabled != nil {
				sess.Enabled = *ss.Enabled
			}
		case st.Op == OpDeleteSession:
			id := resolve(st.Target)
			mustSession(t, s, id)
			for i := range s.Sessions {
				if s.Sessions[i].ID == id {
					s.Sessions = append(s.Sessions[:i], s.Sessions[i+1:]...)
					break
				}
			}
		case st.Op == OpAddSources:
			sess := mustSession(t, s, resolve(st.Target))
			sess.SourceIDs = append(sess.SourceIDs, st.Params.Sources...)
		case st.Op == OpRemoveSources:
			sess := mustSession(t, s, resolve(st.Target))
			gone := map[string]bool{}
			for _, x := range st.Params.Sources {
				gone[x] = true
			}
			var keep []string
			for _, x := range sess.SourceIDs {
				if !gone[x] {
					keep = append(keep, x)
				}
			}
			sess.SourceIDs = keep
		case st.Op == OpTag || st.Op == OpUntag || st.Op == OpMoveGroup:
			id := resolve(st.Target)
			var tags *cloud.Tags
			var rg *string
			if f := s.Filter(id); f != nil {
				tags, rg = &f.Tags, &f.ResourceGroupID
			} else {
				ss := mustSession(t, s, id)
				tags, rg = &ss.Tags, &ss.ResourceGroupID
			}
			if *tags == nil {
				*tags = cloud.Tags{}
			}
			for k, v := range st.Params.Tags {
				(*tags)[k] = v
			}
			for _, k := range st.Params.UntagKeys {
				delete(*tags, k)
			}
			if st.Op == OpMoveGroup {
				*rg = st.Params.ResourceGroupID
			}
		default:
			t.Fatalf("simulate: unknown step %s (%s %s)", st.ID, st.Kind, st.Op)
		}
		done[st.ID] = true
		checkInvariants(t, s, st.ID)
	}
	return s
}

func checkInvariants(t *testing.T, s *cloud.Snapshot, after string) {
	t.Helper()
	for _, f := range s.Filters {
		for _, dir := range directions {
			seen := map[int]string{}
			for _, r := range f.Rules(dir) {
				if o, ok := seen[r.Priority]; ok {
					t.Fatalf("after %s: rules %s and %s of %s %s share priority %d", after, o, r.ID, f.ID, dir, r.Priority)
				}
				seen[r.Priority] = r.ID
				if r.Priority < 1 || r.Priority > MaxRulePriority {
					t.Fatalf("after %s: rule %s has priority %d", after, r.ID, r.Priority)
				}
			}
			if len(f.Rules(dir)) > MaxRulePriority {
				t.Fatalf("after %s: filter %s has %d %s rules", after, f.ID, len(f.Rules(dir)), dir)
			}
		}
	}
	seen := map[int]string{}
	for _, ss := range s.Sessions {
		if o, ok := seen[ss.Priority]; ok {
			t.Fatalf("after %s: sessions %s and %s share priority %d", after, o, ss.ID, ss.Priority)
		}
		seen[ss.Priority] = ss.ID
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func mustFilter(t *testing.T, s *cloud.Snapshot, id string) *cloud.Filter {
	t.Helper()
	f := s.Filter(id)
	if f == nil {
		t.Fatalf("no filter %s", id)
	}
	return f
}

func mustSession(t *testing.T, s *cloud.Snapshot, id string) *cloud.Session {
	t.Helper()
	x := s.Session(id)
	if x == nil {
		t.Fatalf("no session %s", id)
	}
	return x
}

func mustRule(t *testing.T, s *cloud.Snapshot, id string) *cloud.Rule {
	t.Helper()
	for i := range s.Filters {
		for _, rs := range [][]cloud.Rule{s.Filters[i].Ingress, s.Filters[i].Egress} {
			for j := range rs {
				if rs[j].ID == id {
					return &rs[j]
				}
			}
		}
	}
	t.Fatalf("no rule %s", id)
	return nil
}

func cloneSnap(s *cloud.Snapshot) *cloud.Snapshot {
	c := &cloud.Snapshot{Region: s.Region, ServiceEnabled: s.ServiceEnabled}
	for _, f := range s.Filters {
		f.Tags = f.Tags.Clone()
		f.Ingress = append([]cloud.Rule(nil), f.Ingress...)
		f.Egress = append([]cloud.Rule(nil), f.Egress...)
		c.Filters = append(c.Filters, f)
	}
	for _, x := range s.Sessions {
		x.Tags = x.Tags.Clone()
		x.SourceIDs = append([]string(nil), x.SourceIDs...)
		c.Sessions = append(c.Sessions, x)
	}
	return c
}

// converge plans desired against live, applies the plan in simulation and
// checks that the next plan is empty. It returns the first plan and the
// final state.
func converge(t *testing.T, desired *spec.Stack, live *cloud.Snapshot, opts Options) (*Plan, *cloud.Snapshot) {
	t.Helper()
	p, err := Compute(desired, live, opts)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	after := simulate(t, live, p)
	again, err := Compute(desired, after, opts)
	if err != nil {
		t.Fatalf("Compute after apply: %v", err)
	}
	if !again.Empty() {
		t.Fatalf("plan after apply is not empty:\nchanges: %+v\nsteps: %v", again.Changes, stepIDs(again))
	}
	return p, after
}

func stepIDs(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.ID)
	}
	return out
}

// countOwned returns, per key, how many objects the stack owns.
func countOwned(s *cloud.Snapshot, stack string) map[string]int {
	out := map[string]int{}
	for _, f := range s.Filters {
		if f.Tags[cloud.TagStack] == stack {
			out["filter."+f.Tags[cloud.TagKey]]++
		}
	}
	for _, x := range s.Sessions {
		if x.Tags[cloud.TagStack] == stack {
			out["session."+x.Tags[cloud.TagKey]]++
		}
	}
	return out
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

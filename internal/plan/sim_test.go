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
func simulate(t testing.TB, live *cloud.Snapshot, p *Plan) *cloud.Snapshot {
	t.Helper()
	s := cloneSnap(live)
	ids := map[StepID]string{} // step ID -> created object ID
	done := map[StepID]bool{}
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
	mkRules := func(fid, dir string, rs []cloud.Rule) []cloud.Rule {
		var out []cloud.Rule
		for _, r := range rs {
			if r.Direction != "" && r.Direction != dir {
				t.Fatalf("filter %s: rule %+v sent among the %s rules", fid, r, dir)
			}
			r.Direction = dir
			r.ID, r.FilterID, r.Status = newID("tmr"), fid, cloud.StatusCreated
			out = append(out, r)
		}
		return out
	}
	for _, st := range p.Steps {
		if st.Op == nil || st.ID.Op != st.Op.Kind() {
			t.Fatalf("step %s has op %T", st.ID, st.Op)
		}
		for _, d := range st.DependsOn {
			if !done[d] {
				t.Fatalf("step %s runs before its dependency %s", st.ID, d)
			}
		}
		switch op := st.Op.(type) {
		case *OpenService:
			s.ServiceEnabled = true
		case *CreateFilter:
			id := newID("tmf")
			f := cloud.Filter{ID: id, Name: op.Name, Description: op.Description,
				ResourceGroupID: op.ResourceGroupID, Tags: op.Tags.Clone(), Status: cloud.StatusCreated}
			f.Ingress = mkRules(id, cloud.Ingress, op.Ingress)
			f.Egress = mkRules(id, cloud.Egress, op.Egress)
			s.Filters = append(s.Filters, f)
			ids[st.ID] = id
		case *UpdateFilter:
			f := mustFilter(t, s, resolve(op.Filter))
			if op.Name != nil {
				f.Name = *op.Name
			}
			if op.Description != nil {
				f.Description = *op.Description
			}
		case *DeleteFilter:
			id := resolve(op.Filter)
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
		case *CreateRules:
			f := mustFilter(t, s, resolve(op.Filter))
			f.Ingress = append(f.Ingress, mkRules(f.ID, cloud.Ingress, op.Ingress)...)
			f.Egress = append(f.Egress, mkRules(f.ID, cloud.Egress, op.Egress)...)
		case *DeleteRules:
			f := mustFilter(t, s, resolve(op.Filter))
			gone := map[string]bool{}
			for _, id := range op.RuleIDs {
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
				t.Fatalf("step %s deletes unknown rules %v of filter %s", st.ID, gone, f.ID)
			}
		case *UpdateRule:
			r := mustRule(t, mustFilter(t, s, resolve(op.Filter)), op.RuleID)
			e := op.RulePatch
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
		case *CreateSession:
			id := newID("tms")
			sess := cloud.Session{ID: id, Name: op.Name, Description: op.Description,
				FilterID: resolve(op.Filter), SourceIDs: append([]string{}, op.SourceIDs...), TargetID: op.TargetID,
				TargetType: op.TargetType, Priority: op.Priority, PacketLength: op.PacketLength, Enabled: op.Enabled,
				ResourceGroupID: op.ResourceGroupID, Tags: op.Tags.Clone(), Status: cloud.StatusCreated, VNI: 77}
			if op.VNI != nil {
				sess.VNI = *op.VNI
			}
			mustFilter(t, s, sess.FilterID)
			s.Sessions = append(s.Sessions, sess)
			ids[st.ID] = id
		case *UpdateSession:
			sess := mustSession(t, s, resolve(op.Session))
			if op.Name != nil {
				sess.Name = *op.Name
			}
			if op.Description != nil {
				sess.Description = *op.Description
			}
			if op.Filter != nil {
				sess.FilterID = resolve(*op.Filter)
				mustFilter(t, s, sess.FilterID)
			}
			if (op.TargetID == nil) != (op.TargetType == nil) {
				t.Fatalf("step %s sends a target ID or type without the other", st.ID)
			}
			if op.TargetID != nil {
				sess.TargetID, sess.TargetType = *op.TargetID, *op.TargetType
			}
			if op.Priority != nil {
				sess.Priority = *op.Priority
			}
			if op.PacketLength != nil {
				sess.PacketLength = *op.PacketLength
			}
			if op.VNI != nil {
				sess.VNI = *op.VNI
			}
			if op.Enabled != nil {
				sess.Enabled = *op.Enabled
			}
		case *DeleteSession:
			id := resolve(op.Session)
			mustSession(t, s, id)
			for i := range s.Sessions {
				if s.Sessions[i].ID == id {
					s.Sessions = append(s.Sessions[:i], s.Sessions[i+1:]...)
					break
				}
			}
		case *AddSources:
			sess := mustSession(t, s, resolve(op.Session))
			sess.SourceIDs = append(sess.SourceIDs, op.Sources...)
		case *RemoveSources:
			sess := mustSession(t, s, resolve(op.Session))
			gone := map[string]bool{}
			for _, x := range op.Sources {
				gone[x] = true
			}
			var keep []string
			for _, x := range sess.SourceIDs {
				if !gone[x] {
					keep = append(keep, x)
				}
			}
			sess.SourceIDs = keep
		case *Tag:
			if len(op.Others)+1 > MaxTagTargets {
				t.Fatalf("step %s tags %d resources in one call", st.ID, len(op.Others)+1)
			}
			for _, ref := range append([]Ref{op.Target}, op.Others...) {
				tags, _ := mustTagged(t, s, st.ID, op.Resource, resolve(ref))
				if *tags == nil {
					*tags = cloud.Tags{}
				}
				for k, v := range op.Tags {
					(*tags)[k] = v
				}
			}
		case *Untag:
			tags, _ := mustTagged(t, s, st.ID, op.Resource, resolve(op.Target))
			for _, k := range op.Keys {
				delete(*tags, k)
			}
		case *MoveGroup:
			_, rg := mustTagged(t, s, st.ID, op.Resource, resolve(op.Target))
			*rg = op.ResourceGroupID
		default:
			t.Fatalf("simulate: unknown step %s (%T)", st.ID, st.Op)
		}
		done[st.ID] = true
		checkInvariants(t, s, st.ID)
	}
	return s
}

// mustTagged returns the tags and resource group of the filter or session
// id, of the resource type a tag or resource-group call names.
func mustTagged(t testing.TB, s *cloud.Snapshot, step StepID, resource, id string) (*cloud.Tags, *string) {
	t.Helper()
	switch resource {
	case cloud.ResourceFilter:
		f := mustFilter(t, s, id)
		return &f.Tags, &f.ResourceGroupID
	case cloud.ResourceSession:
		x := mustSession(t, s, id)
		return &x.Tags, &x.ResourceGroupID
	}
	t.Fatalf("step %s: unknown resource type %q", step, resource)
	return nil, nil
}

func checkInvariants(t testing.TB, s *cloud.Snapshot, after StepID) {
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

func mustFilter(t testing.TB, s *cloud.Snapshot, id string) *cloud.Filter {
	t.Helper()
	f := s.Filter(id)
	if f == nil {
		t.Fatalf("no filter %s", id)
	}
	return f
}

func mustSession(t testing.TB, s *cloud.Snapshot, id string) *cloud.Session {
	t.Helper()
	x := s.Session(id)
	if x == nil {
		t.Fatalf("no session %s", id)
	}
	return x
}

func mustRule(t testing.TB, f *cloud.Filter, id string) *cloud.Rule {
	t.Helper()
	for _, rs := range [][]cloud.Rule{f.Ingress, f.Egress} {
		for j := range rs {
			if rs[j].ID == id {
				return &rs[j]
			}
		}
	}
	t.Fatalf("no rule %s in filter %s", id, f.ID)
	return nil
}

func cloneSnap(s *cloud.Snapshot) *cloud.Snapshot {
	c := &cloud.Snapshot{Region: s.Region, ServiceEnabled: s.ServiceEnabled, ENIs: append([]cloud.ENI(nil), s.ENIs...), ENIsRead: s.ENIsRead}
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

func stepIDs(p *Plan) []StepID {
	var out []StepID
	for _, s := range p.Steps {
		out = append(out, s.ID)
	}
	return out
}

// countOwned returns, per address, how many objects the stack owns.
func countOwned(s *cloud.Snapshot, stack string) map[Addr]int {
	out := map[Addr]int{}
	for _, f := range s.Filters {
		if f.Tags[cloud.TagStack] == stack {
			out[FilterAddr(f.Tags[cloud.TagKey])]++
		}
	}
	for _, x := range s.Sessions {
		if x.Tags[cloud.TagStack] == stack {
			out[SessionAddr(x.Tags[cloud.TagKey])]++
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

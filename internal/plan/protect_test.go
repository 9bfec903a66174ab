package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// protectedStack has a protected filter and session, and one of each that
// is not.
func protectedStack() *spec.Stack {
	web := filt("web", rules(1)...)
	web.Protect = true
	a := sess("a", "web", 10, "eni-1")
	a.Protect = true
	return stk([]*spec.Filter{filt("dns", rules(2)...), web}, a, sess("b", "dns", 20, "eni-2"))
}

// appliedTags returns the tmsync:applied value of every object of s, by
// stack address.
func appliedTags(s *cloud.Snapshot) map[Addr]string {
	out := map[Addr]string{}
	for _, f := range s.Filters {
		out[FilterAddr(f.Tags[cloud.TagKey])] = f.Tags[cloud.TagApplied]
	}
	for _, x := range s.Sessions {
		out[SessionAddr(x.Tags[cloud.TagKey])] = x.Tags[cloud.TagApplied]
	}
	return out
}

// unmark returns s with the protection markers removed from its applied
// values, as a version that did not record protection left them.
func unmark(s *cloud.Snapshot) *cloud.Snapshot {
	c := cloneSnap(s)
	strip := func(t cloud.Tags) {
		if a, ok := ParseApplied(t[cloud.TagApplied]); ok {
			a.Protect = false
			t[cloud.TagApplied] = a.String()
		}
	}
	for i := range c.Filters {
		strip(c.Filters[i].Tags)
	}
	for i := range c.Sessions {
		strip(c.Sessions[i].Tags)
	}
	return c
}

// TestProtectRecorded: tmsync records protect: true in the tmsync:applied
// value it writes (creates, and a tag-only update when the spec's protect
// and the live marker differ), without moving the hash.
func TestProtectRecorded(t *testing.T) {
	desired := protectedStack()
	after := applied(t, desired)
	got := appliedTags(after)
	for addr, v := range got {
		a, ok := ParseApplied(v)
		want := addr == FilterAddr("web") || addr == SessionAddr("a")
		if !ok || a.Protect != want {
			t.Errorf("%s: tmsync:applied %q, want protected %v", addr, v, want)
		}
	}
	// The hash and link are those of the same objects unprotected.
	plain := protectedStack()
	plain.Filters[1].Protect, plain.Sessions[0].Protect = false, false
	if diff := cmp.Diff(appliedTags(unmark(after)), appliedTags(applied(t, plain))); diff != "" {
		t.Errorf("values without the marker differ from those of the unprotected stack (-protected +plain):\n%s", diff)
	}

	// Objects written before protection was recorded: one tag-only update
	// each for the protected ones, labelled spec, and nothing else.
	old := unmark(after)
	p, final := converge(t, desired, old, Options{})
	var changed []Addr
	for _, c := range p.Changes {
		changed = append(changed, c.Addr)
		if c.Action != Update || len(c.Reasons) != 1 || c.Reasons[0] != ReasonSpec {
			t.Errorf("change %s: %s %v, want an update labelled spec", c.Addr, c.Action, c.Reasons)
		}
		if c.Before.one() == nil || c.After.one() == nil {
			t.Errorf("change %s without values", c.Addr)
		}
	}
	if diff := cmp.Diff([]Addr{FilterAddr("web"), SessionAddr("a")}, changed); diff != "" {
		t.Errorf("changed objects (-want +got):\n%s", diff)
	}
	for _, s := range p.Steps {
		op, ok := s.Op.(*Tag)
		if !ok || len(op.Tags) != 1 || op.Tags[cloud.TagApplied] == "" {
			t.Errorf("step %s %+v, want only tmsync:applied written", s.ID, s.Op)
		}
	}
	for addr, v := range appliedTags(final) {
		a, _ := ParseApplied(v)
		if a.Hash != appliedHashOf(got[addr]) {
			t.Errorf("%s: recording protection moved the hash: %q, want the hash of %q", addr, v, got[addr])
		}
		if was, _ := ParseApplied(appliedTags(old)[addr]); a.Protect && a.Link == was.Link {
			t.Errorf("%s: recording protection kept the link of %q: a write moves the chain on", addr, v)
		}
	}

	// protect: false again: the marker goes, and the value is a new one
	// in the chain, not the one it had before it was protected.
	p2, unprotected := converge(t, plain, final, Options{})
	if len(p2.Steps) != 2 {
		t.Errorf("steps %v, want one tag each for filter.web and session.a", stepIDs(p2))
	}
	for _, addr := range []Addr{FilterAddr("web"), SessionAddr("a")} {
		v := appliedTags(unprotected)[addr]
		if protectedBy(v) || v == appliedTags(old)[addr] {
			t.Errorf("%s: tmsync:applied %q after protect: false, want unmarked and not %q again", addr, v, appliedTags(old)[addr])
		}
	}
}

// TestProtectWithoutSpec: an object whose tmsync:applied value records
// protection is not deleted by a plan whatever way the stack is named: a
// destroy by stack name and region (no filters or sessions in the stack),
// or a key gone from the spec. The problem names the object. A duplicate
// of a key is still deleted, and objects written before protection was
// recorded have no marker to go by.
func TestProtectWithoutSpec(t *testing.T) {
	live := applied(t, protectedStack())
	byName := &spec.Stack{Name: testStack, Region: "cn-hangzhou"}

	_, err := Compute(byName, live, Options{Destroy: true})
	got := problemsAt(t, err)
	if len(got) != 2 {
		t.Errorf("problems %v, want filter.web and session.a", got)
	}
	for addr, id := range map[Addr]string{FilterAddr("web"): filterID(live, "web"), SessionAddr("a"): sessionID(live, "a")} {
		if !strings.Contains(got[addr], id+" is protected") || !strings.Contains(got[addr], "protect: false") {
			t.Errorf("problem at %s = %q, want it to name %s as protected and say how to lift it", addr, got[addr], id)
		}
	}

	// A key gone from the spec.
	gone := protectedStack()
	gone.Filters = gone.Filters[:1]
	gone.Sessions = gone.Sessions[1:]
	_, err = Compute(gone, live, Options{})
	if got := problemsAt(t, err); len(got) != 2 || got[FilterAddr("web")] == "" || got[SessionAddr("a")] == "" {
		t.Errorf("problems %v, want filter.web and session.a refused", got)
	}

	// The spec lifts it: destroy with a spec that says protect: false.
	lifted := protectedStack()
	lifted.Filters[1].Protect, lifted.Sessions[0].Protect = false, false
	if _, err := Compute(lifted, live, Options{Destroy: true}); err != nil {
		t.Errorf("destroy with protect: false in the spec: %v", err)
	}

	// No marker (written before it was recorded): nothing to go by.
	if _, err := Compute(byName, unmark(live), Options{Destroy: true}); err != nil {
		t.Errorf("destroy of unmarked objects: %v", err)
	}

	// A duplicate of a protected key is deleted as before.
	dup := cloneSnap(live)
	f := *dup.Filter(filterID(live, "web"))
	f.ID, f.Tags, f.Ingress = "tmf-dup", f.Tags.Clone(), nil
	dup.Filters = append(dup.Filters, f)
	p, err := Compute(protectedStack(), dup, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !written(p)["tmf-dup"] {
		t.Errorf("the duplicate of a protected filter is not deleted: %v", stepIDs(p))
	}
}

func sessionID(s *cloud.Snapshot, key string) string {
	for _, x := range s.Sessions {
		if x.Tags[cloud.TagKey] == key {
			return x.ID
		}
	}
	return ""
}

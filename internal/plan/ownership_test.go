package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// written returns the IDs of the live objects the steps of p write.
func written(p *Plan) map[string]bool {
	out := map[string]bool{}
	for _, s := range p.Steps {
		if r := s.Op.Object(); r.ID != "" {
			out[r.ID] = true
		}
	}
	return out
}

// unmanagedByID returns the plan's unmanaged objects by ID.
func unmanagedByID(p *Plan) map[string]Unmanaged {
	out := map[string]Unmanaged{}
	for _, u := range p.Unmanaged {
		out[u.ID] = u
	}
	return out
}

// TestClaimedButNotWritten: an object whose tags claim it for the stack
// but that tmsync never tagged (no tmsync:applied, or a value in no form
// tmsync writes, or a tag of the three missing) is not the stack's: it is
// never changed, deleted or kept for a key, and is reported as unmanaged
// with the reason.
func TestClaimedButNotWritten(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	cases := map[string]struct {
		reason string
		key    string // the key its tags claim
		tags   cloud.Tags
		why    string // in the unmanaged entry's reason
	}{
		"orphan without applied": {
			reason: "a key the spec does not have: it was deleted as an orphan",
			key:    "bogus", tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "bogus"},
			why: "no tmsync:applied",
		},
		"key of the spec without applied": {
			reason: "a key the spec has: it was kept, or deleted as a duplicate",
			key:    "web", tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "web"},
			why: "no tmsync:applied",
		},
		"applied in no form tmsync writes": {
			reason: "a value some other tool or a person wrote",
			key:    "web", tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "web", cloud.TagApplied: "true"},
			why: `tmsync:applied="true", a value tmsync never writes`,
		},
		"empty applied": {
			reason: "an empty value is no form either",
			key:    "bogus", tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "bogus", cloud.TagApplied: ""},
			why: "a value tmsync never writes",
		},
		"no key": {
			reason: "tmsync writes the three tags together",
			key:    "", tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagApplied: "abcdefgh2345"},
			why: "no tmsync:key",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, kind := range []Kind{KindFilter, KindSession} {
				live := applied(t, desired)
				const id = "forged"
				if kind == KindFilter {
					live.Filters = append(live.Filters, cloud.Filter{ID: "tmf-" + id, Name: "by hand", Tags: tc.tags.Clone(),
						Ingress: []cloud.Rule{{ID: "tmr-x", Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL",
							IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", SourcePort: "-1/-1", DestPort: "-1/-1"}}})
				} else {
					s := foreignSession("tms-"+id, live.Filters[0].ID, 900)
					s.Tags = tc.tags.Clone()
					live.Sessions = append(live.Sessions, s)
				}
				fid := map[Kind]string{KindFilter: "tmf-", KindSession: "tms-"}[kind] + id
				p, err := Compute(desired, live, Options{AllowDestroy: true})
				if err != nil {
					t.Fatalf("%s: %s: %v", tc.reason, kind, err)
				}
				if written(p)[fid] {
					t.Errorf("%s: %s: the plan writes %s: %v", tc.reason, kind, fid, stepIDs(p))
				}
				if !p.Empty() {
					t.Errorf("%s: %s: the plan has steps %v, want none", tc.reason, kind, stepIDs(p))
				}
				u, ok := unmanagedByID(p)[fid]
				if !ok {
					t.Fatalf("%s: %s: %s is not reported as unmanaged: %+v", tc.reason, kind, fid, p.Unmanaged)
				}
				if u.Stack != "" || !strings.Contains(u.Reason, tc.why) {
					t.Errorf("%s: %s: unmanaged %+v, want no stack and a reason saying %q", tc.reason, kind, u, tc.why)
				}
			}
		})
	}
}

// TestClaimedButNotWrittenIsNotKept: the only object with the key of a
// filter the spec wants is one tagged by hand: the plan creates the
// filter, and the object stays as it is.
func TestClaimedButNotWrittenIsNotKept(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...)})
	live := emptySnap()
	live.Filters = []cloud.Filter{{ID: "tmf-forged", Name: "web", Tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "web"}}}
	p, after := converge(t, desired, live, Options{})
	if diff := cmp.Diff([]StepID{sid(FilterAddr("web"), OpCreateFilter, 1)}, stepIDs(p)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(live.Filters[0], *after.Filter("tmf-forged")); diff != "" {
		t.Errorf("the filter tagged by hand changed (-before +after):\n%s", diff)
	}
}

// TestAdoptClaimedButNotWritten: an object tagged by hand is unmanaged, so
// naming it by id with --adopt takes it over, like any unmanaged object.
func TestAdoptClaimedButNotWritten(t *testing.T) {
	f := filt("web", rules(1)...)
	f.ID = "tmf-forged"
	desired := stk([]*spec.Filter{f})
	live := emptySnap()
	live.Filters = []cloud.Filter{{ID: "tmf-forged", Name: "web", Tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "bogus"},
		Ingress: []cloud.Rule{{ID: "tmr-1", Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
			SourceCIDR: "0.0.0.0/0", DestCIDR: "10.0.0.0/24", SourcePort: "-1/-1", DestPort: "443/443"}}}}
	if _, err := Compute(desired, live, Options{}); err == nil || !strings.Contains(err.Error(), "--adopt") {
		t.Fatalf("without --adopt: err = %v, want a hint to pass --adopt", err)
	}
	p, after := converge(t, desired, live, Options{Adopt: true})
	if len(p.Changes) != 1 || !p.Changes[0].HasReason(ReasonAdopt) {
		t.Fatalf("changes = %+v, want one change labelled adopt", p.Changes)
	}
	got := after.Filter("tmf-forged").Tags
	if _, ok := ParseApplied(got[cloud.TagApplied]); !ok || got[cloud.TagKey] != "web" {
		t.Errorf("tags after adoption = %v, want key web and a tmsync:applied value", got)
	}
}

// TestEveryAppliedFormIsOurs: objects carrying tmsync:applied in any form
// a version of tmsync wrote stay the stack's own.
func TestEveryAppliedFormIsOurs(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	for name, v := range map[string]string{
		"hash":          "abcdefgh2345",
		"hash and link": "abcdefgh2345.mnop67",
	} {
		t.Run(name, func(t *testing.T) {
			live := applied(t, desired)
			live.Filters[0].Tags[cloud.TagApplied] = v
			live.Sessions[0].Tags[cloud.TagApplied] = v
			p, err := Compute(desired, live, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Unmanaged) != 0 {
				t.Errorf("unmanaged = %+v, want none", p.Unmanaged)
			}
			for _, s := range p.Steps {
				if s.Kind() != OpTag {
					t.Errorf("step %s, want only the applied tag written again", s.ID)
				}
			}
		})
	}
}

// stackOf returns desired as applied under another stack name: its objects
// as the stack called name would have made them.
func stackOf(t *testing.T, name string, desired *spec.Stack) *cloud.Snapshot {
	t.Helper()
	d := *desired
	d.Name = name
	return applied(t, &d)
}

// merge returns the objects of a and b in one region; b's session
// priorities are moved by 1000 to keep them unique.
func merge(a, b *cloud.Snapshot) *cloud.Snapshot {
	out := cloneSnap(a)
	c := cloneSnap(b)
	for i := range c.Sessions {
		c.Sessions[i].Priority += 1000
	}
	out.Filters = append(out.Filters, c.Filters...)
	out.Sessions = append(out.Sessions, c.Sessions...)
	return out
}

// problemsAt returns the plan problems of err by address.
func problemsAt(t *testing.T, err error) map[Addr]string {
	t.Helper()
	pe, ok := err.(*Error)
	if !ok {
		t.Fatalf("err = %v, want a plan error", err)
	}
	out := map[Addr]string{}
	for _, p := range pe.Problems {
		out[p.Address] += p.Message + " hint: " + p.Hint + "\n"
	}
	return out
}

// TestPreviousStackInTheRun: a previous name of the stack that the run
// also applies is still declared: the plan is refused, naming it.
func TestPreviousStackInTheRun(t *testing.T) {
	other := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	live := stackOf(t, "other", other)
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 20, "eni-1"))
	desired.PreviousStacks = []string{"other"}

	_, err := Compute(desired, live, Options{Siblings: []string{"other"}})
	got := problemsAt(t, err)
	if len(got) != 1 || got[StackAddr(testStack)] == "" {
		t.Fatalf("problems %v, want one at the stack", got)
	}
	if msg := got[StackAddr(testStack)]; !strings.Contains(msg, `"other"`) || !strings.Contains(msg, "previousStacks") {
		t.Errorf("problem %q does not name the stack and previousStacks", msg)
	}
	// Not in the run: the rename takes the objects over, re-tagging them.
	p, err := Compute(desired, live, Options{Siblings: []string{"unrelated"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if !c.HasReason(ReasonRename) {
			t.Errorf("change %s reasons %v, want rename", c.Addr, c.Reasons)
		}
	}
}

// TestPreviousStackStillLive: another stack, applied from its own spec,
// has objects with the keys of this stack's own, and this stack names it
// as a previous name: the objects of the previous stack are neither taken
// over nor deleted as duplicates, and the plan fails naming both.
func TestPreviousStackStillLive(t *testing.T) {
	spec1 := func() *spec.Stack {
		return stk([]*spec.Filter{filt("dns", rules(2)...), filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	}
	mine := applied(t, spec1())
	theirs := stackOf(t, "other", stk([]*spec.Filter{filt("web", rules(1)...), filt("db", rules(3)...)}, sess("a", "web", 10, "eni-1")))
	live := merge(mine, theirs)
	desired := spec1()
	desired.PreviousStacks = []string{"other"}

	_, err := Compute(desired, live, Options{AllowDestroy: true})
	got := problemsAt(t, err)
	if len(got) != 2 || got[FilterAddr("web")] == "" || got[SessionAddr("a")] == "" {
		t.Fatalf("problems %v, want one at filter.web and one at session.a", got)
	}
	for _, want := range []string{filterID(mine, "web") + " (this stack)",
		filterID(theirs, "web") + ` (stack "other")`, "never deleted as a duplicate", "remove it from previousStacks"} {
		if !strings.Contains(got[FilterAddr("web")], want) {
			t.Errorf("problem at filter.web %q does not say %q", got[FilterAddr("web")], want)
		}
	}

	// Without the previous name, each stack keeps its own.
	desired.PreviousStacks = nil
	p, err := Compute(desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() {
		t.Errorf("plan without previousStacks: steps %v, want none", stepIDs(p))
	}
}

// TestPreviousStackSeveralObjects: previous stacks hold two objects of one
// key and the stack none: neither is taken over nor deleted.
func TestPreviousStackSeveralObjects(t *testing.T) {
	d := stk([]*spec.Filter{filt("web", rules(1)...)})
	live := merge(stackOf(t, "old1", d), stackOf(t, "old2", d))
	desired := stk([]*spec.Filter{filt("web", rules(1)...)})
	desired.PreviousStacks = []string{"old1", "old2"}
	_, err := Compute(desired, live, Options{})
	got := problemsAt(t, err)
	if msg := got[FilterAddr("web")]; !strings.Contains(msg, `(stack "old1")`) || !strings.Contains(msg, `(stack "old2")`) {
		t.Errorf("problems %v, want one at filter.web naming both objects", got)
	}
}

func filterID(s *cloud.Snapshot, key string) string {
	for _, f := range s.Filters {
		if f.Tags[cloud.TagKey] == key {
			return f.ID
		}
	}
	return ""
}

package plan

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// fleet returns n ENIs tagged app=web, eni-w000 to eni-w<n-1>, and one
// untagged.
func fleet(n int) []cloud.ENI {
	var out []cloud.ENI
	for i := range n {
		out = append(out, cloud.ENI{ID: fmt.Sprintf("eni-w%03d", i), Type: cloud.ENIPrimary, Status: cloud.ENIInUse,
			VPCID: "vpc-1", Tags: cloud.Tags{"app": "web"}})
	}
	return append(out, cloud.ENI{ID: "eni-other", Type: cloud.ENIPrimary, Status: cloud.ENIInUse, VPCID: "vpc-1"})
}

func groupSpec() *spec.Stack {
	s := sess("web", "web", 0)
	s.Sources = nil
	s.Select = []spec.Selector{{Tags: cloud.Tags{"app": "web"}}}
	s.Split = &spec.Split{From: 100, To: 149}
	return stk([]*spec.Filter{filt("web", rules(1)...)}, s)
}

// members returns each live session of the group's sources, by key.
func membersOf(live *cloud.Snapshot) map[string][]string {
	out := map[string][]string{}
	for _, s := range live.Sessions {
		src := append([]string{}, s.SourceIDs...)
		sort.Strings(src)
		out[s.Tags[cloud.TagKey]] = src
	}
	return out
}

func TestGroupFollowsTheFleet(t *testing.T) {
	desired := groupSpec()
	live := emptySnap()
	live.ENIs, live.ENIsRead = fleet(25), true
	step := func(opts Options) *Plan {
		t.Helper()
		p, err := Compute(desired, live, opts)
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		live = simulate(t, live, p)
		if again, err := Compute(desired, live, Options{}); err != nil || !again.Empty() {
			t.Fatalf("plan again: %v, %v", err, again)
		}
		return p
	}
	p := step(Options{})
	got := membersOf(live)
	if len(got) != 3 || len(got["web#0"]) != 10 || len(got["web#1"]) != 10 || len(got["web#2"]) != 5 {
		t.Fatalf("25 ENIs in groups of 10: %v", got)
	}
	for _, c := range p.Changes {
		if c.Addr.Kind == KindSession && len(c.Sources) == 0 {
			t.Errorf("change %s lists no sources", c.Addr)
		}
	}
	before := membersOf(live)

	// The fleet grows: members keep their ENIs, the new fill #2 first.
	live.ENIs = fleet(35)
	p = step(Options{})
	got = membersOf(live)
	for k, srcs := range before {
		for _, id := range srcs {
			if !slices.Contains(got[k], id) {
				t.Errorf("%s lost %s when the fleet grew", k, id)
			}
		}
	}
	if len(got["web#2"]) != 10 || len(got["web#3"]) != 5 {
		t.Errorf("35 ENIs: %v", got)
	}
	for _, c := range p.Changes {
		if !c.HasReason(ReasonFleet) {
			t.Errorf("change %s reasons %v, want fleet", c.Addr, c.Reasons)
		}
	}

	// 10 ENIs are deleted (removing them is always allowed), and 13 more
	// lose their tag: more than half of the 25 left would go, which the
	// guard refuses; allowed, emptied members are deleted as fleet, not as
	// orphans.
	live.ENIs = fleet(25)
	for i := 12; i < 25; i++ {
		live.ENIs[i].Tags = nil
	}
	if _, err := Compute(desired, live, Options{}); err == nil {
		t.Fatalf("a plan removing 13 of 25 live sources was not refused")
	}
	p = step(Options{AllowSourceRemoval: true})
	got = membersOf(live)
	n := 0
	for _, srcs := range got {
		n += len(srcs)
	}
	if n != 12 {
		t.Errorf("12 ENIs left: %v", got)
	}
	for _, c := range p.Changes {
		if c.Action == Delete && !c.HasReason(ReasonFleet) {
			t.Errorf("delete %s reasons %v, want fleet", c.Addr, c.Reasons)
		}
	}
}

func TestGuardEverySourceGone(t *testing.T) {
	desired := groupSpec()
	live := emptySnap()
	live.ENIs, live.ENIsRead = fleet(8), true
	p, err := Compute(desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	live = simulate(t, live, p)
	// The tag is gone from every ENI: the selector matches none.
	for i := range live.ENIs {
		live.ENIs[i].Tags = nil
	}
	if _, err := Compute(desired, live, Options{}); err == nil {
		t.Fatalf("a plan removing every source was not refused")
	}
	// ENIs that were deleted may always go.
	live.ENIs = live.ENIs[:0]
	if p, err := Compute(desired, live, Options{}); err != nil {
		t.Errorf("removing deleted ENIs was refused: %v", err)
	} else if len(p.Steps) == 0 {
		t.Errorf("deleted ENIs were not removed")
	}
}

func TestSelectedSessionWithoutSplit(t *testing.T) {
	s := sess("web", "web", 10)
	s.Sources = []string{"eni-pinned"}
	s.Select = []spec.Selector{{Tags: cloud.Tags{"app": "web"}}}
	s.Exclude = []string{"eni-w001"}
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, s)
	live := emptySnap()
	live.ENIs, live.ENIsRead = fleet(4), true
	live.ENIs[2].Status = "Deleting"
	p, err := Compute(desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []SourceChange
	for _, c := range p.Changes {
		if c.Addr == SessionAddr("web") {
			got = c.Sources
		}
	}
	want := []SourceChange{
		{ID: "eni-pinned", Change: SourceAdd, Why: "ids"},
		{ID: "eni-w000", Change: SourceAdd, Why: "tags app=web"},
		{ID: "eni-w003", Change: SourceAdd, Why: "tags app=web"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	live.ENIs = fleet(20)
	if _, err := Compute(desired, live, Options{}); err == nil {
		t.Errorf("20 matches without split were not refused")
	}
}

// BenchmarkComputeFleet plans 50 session groups over 5,000 ENIs (100 each,
// 10 sessions a group: 500 sessions), once from empty and once with the
// fleet grown by 10%.
func BenchmarkComputeFleet(b *testing.B) {
	var ss []*spec.Session
	var enis []cloud.ENI
	for g := range 50 {
		s := sess(fmt.Sprintf("g%02d", g), "web", 0)
		s.Sources = nil
		s.Select = []spec.Selector{{Tags: cloud.Tags{"app": fmt.Sprintf("app%02d", g)}}}
		s.Split = &spec.Split{From: 100 + g*20, To: 119 + g*20}
		ss = append(ss, s)
		for i := range 110 {
			enis = append(enis, cloud.ENI{ID: fmt.Sprintf("eni-g%02dn%03d", g, i), Type: cloud.ENIPrimary,
				Status: cloud.ENIInUse, Tags: cloud.Tags{"app": fmt.Sprintf("app%02d", g)}})
		}
	}
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, ss...)
	empty := emptySnap()
	empty.ENIsRead = true
	for _, e := range enis {
		if e.ID[len(e.ID)-3:] < "100" {
			empty.ENIs = append(empty.ENIs, e)
		}
	}
	p, err := Compute(desired, empty, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if n := len(p.Steps); n != 501 {
		b.Fatalf("%d steps from empty, want 1 filter and 500 sessions", n)
	}
	grown := simulate(b, empty, p)
	grown.ENIs = enis
	b.Run("empty", func(b *testing.B) {
		for range b.N {
			if _, err := Compute(desired, empty, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("grown", func(b *testing.B) {
		for range b.N {
			if _, err := Compute(desired, grown, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package plan

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// TestDriftMovesTheChainInBatches: correcting drift on many objects moves
// their chain with one shared tmsync:gen value, 20 objects of one type a
// TagResources call, instead of a tmsync:applied tag per object (C3); the
// next plan is empty, and a second correction of the same drift is a new
// write with new tokens.
func TestDriftMovesTheChainInBatches(t *testing.T) {
	var fs []*spec.Filter
	var ss []*spec.Session
	for i := range 25 {
		fs = append(fs, filt(fmt.Sprintf("f%02d", i), rules(1)...))
		ss = append(ss, sess(fmt.Sprintf("s%02d", i), fmt.Sprintf("f%02d", i), 100+i, "eni-1"))
	}
	desired := stk(fs, ss...)
	live := applied(t, desired)
	drift := func(live *cloud.Snapshot) {
		for i := range live.Sessions {
			live.Sessions[i].PacketLength = 9000
		}
		for i := range live.Filters {
			live.Filters[i].Name = "renamed in the console"
		}
	}
	drift(live)
	p, err := Compute(desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[OpKind]int{}
	var gens []string
	for _, s := range p.Steps {
		calls[s.Kind()]++
		if tag, ok := s.Op.(*Tag); ok {
			if _, ok := tag.Tags[cloud.TagApplied]; ok {
				t.Errorf("step %s writes tmsync:applied on a drift correction", s.ID)
			}
			gens = append(gens, tag.Tags[cloud.TagGen])
		}
	}
	want := map[OpKind]int{OpUpdateFilter: 25, OpUpdateSession: 25, OpTag: 4} // 2 calls a type: 20 + 5
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls of the drift correction (-want +got):\n%s", diff)
	}
	for _, g := range gens {
		if g == "" || g != gens[0] {
			t.Errorf("gen values %v: want one shared value", gens)
		}
	}
	for _, c := range p.Changes {
		if !c.HasReason(ReasonDrift) {
			t.Errorf("change %s reasons %v, want drift", c.Addr, c.Reasons)
		}
	}

	after := simulate(t, live, p)
	if again, err := Compute(desired, after, Options{}); err != nil || !again.Empty() {
		t.Fatalf("plan after the correction: %v, %d steps; want none", err, len(again.Steps))
	}
	drift(after)
	p2, err := Compute(desired, after, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := map[StepID]string{}
	for _, s := range p.Steps {
		first[s.ID] = s.ClientToken
	}
	for _, s := range p2.Steps {
		if s.ClientToken != "" && s.ClientToken == first[s.ID] {
			t.Errorf("step %s: the second correction sends the first one's token %s", s.ID, s.ClientToken)
		}
	}
}

package plan

import (
	"testing"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// tokensOf returns the token of each step of p by step ID.
func tokensOf(t *testing.T, desired *spec.Stack, live *cloud.Snapshot, opts Options) map[StepID]string {
	t.Helper()
	p, err := Compute(desired, live, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[StepID]string{}
	for _, s := range p.Steps {
		out[s.ID] = s.ClientToken
	}
	return out
}

// TestTokensAreTheWrite checks what a client token is made of (C5): the
// write itself, never the rest of the region, so that two runners that
// want one write send one token and the API makes one object.
func TestTokensAreTheWrite(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("ids", "web", 10, "eni-1"))
	createWeb := StepID{Addr: FilterAddr("web"), Op: OpCreateFilter, N: 1}
	createIDs := StepID{Addr: SessionAddr("ids"), Op: OpCreateSession, N: 1}
	empty := tokensOf(t, desired, emptySnap(), Options{})

	t.Run("OtherObjectsDoNotCount", func(t *testing.T) {
		// Another runner sees a foreign filter and session the first did not.
		live := emptySnap()
		live.Filters = []cloud.Filter{{ID: "tmf-theirs", Name: "theirs"}}
		live.Sessions = []cloud.Session{foreignSession("tms-theirs", "tmf-theirs", 90)}
		got := tokensOf(t, desired, live, Options{})
		for _, id := range []StepID{createWeb, createIDs} {
			if got[id] == "" || got[id] != empty[id] {
				t.Errorf("%s: token %q with more in the region, %q without", id, got[id], empty[id])
			}
		}
	})
	t.Run("FilterSeenCreatedOrBeingCreated", func(t *testing.T) {
		// One runner creates the filter in its plan; another already sees
		// it (the first runner's create landed): the session create is
		// one request.
		live := emptySnap()
		p, err := Compute(desired, emptySnap(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		cf := p.Step(createWeb).Op.(*CreateFilter)
		live.Filters = []cloud.Filter{{ID: "tmf-1", Name: cf.Name, Tags: cf.Tags, Status: cloud.StatusCreated,
			Ingress: withIDs("tmf-1", cf.Ingress)}}
		got := tokensOf(t, desired, live, Options{})
		if _, ok := got[createWeb]; ok {
			t.Fatalf("the filter is created again: %v", got)
		}
		if got[createIDs] != empty[createIDs] {
			t.Errorf("session create: token %q when the filter exists, %q when the plan creates it", got[createIDs], empty[createIDs])
		}
	})
	t.Run("AccountAndStackCount", func(t *testing.T) {
		other := tokensOf(t, desired, emptySnap(), Options{Account: "1234567890123456"})
		if other[createWeb] == empty[createWeb] {
			t.Errorf("the same token in another account")
		}
		renamed := *desired
		renamed.Name = "other-stack"
		if got := tokensOf(t, &renamed, emptySnap(), Options{}); got[createWeb] == empty[createWeb] {
			t.Errorf("the same token in another stack")
		}
	})
	t.Run("AnUpdateAfterTheChainMoved", func(t *testing.T) {
		// The same update of one object, before and after tmsync wrote it
		// in between (its tmsync:applied value moved on): two writes, two
		// tokens, so the API never replays the first for the second.
		live := applied(t, desired)
		live.Sessions[0].PacketLength = 9000
		first := tokensOf(t, desired, live, Options{})
		live.Sessions[0].Tags = live.Sessions[0].Tags.Clone()
		live.Sessions[0].Tags[cloud.TagApplied] = appliedValue(appliedHashOf(live.Sessions[0].Tags[cloud.TagApplied]), live.Sessions[0].Tags[cloud.TagApplied])
		second := tokensOf(t, desired, live, Options{})
		up := StepID{Addr: SessionAddr("ids"), Op: OpUpdateSession, N: 1}
		if first[up] == "" || first[up] == second[up] {
			t.Errorf("update: token %q before the chain moved, %q after", first[up], second[up])
		}
	})
	t.Run("DuplicatesAreTwoObjects", func(t *testing.T) {
		// Two owned filters with one key, left by racing runners with
		// identical tags: the deletes of either are two writes.
		live := applied(t, stk([]*spec.Filter{filt("web", rules(1)...), filt("dns", rules(1)...)}))
		dup := live.Filters[0]
		dup.ID = "tmf-dup"
		live.Filters = append(live.Filters, dup)
		p, err := Compute(stk([]*spec.Filter{filt("web", rules(1)...)}), live, Options{AllowDestroy: true})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]StepID{}
		for _, s := range p.Steps {
			if s.ClientToken == "" {
				continue
			}
			if o, ok := seen[s.ClientToken]; ok {
				t.Errorf("steps %s and %s share token %s", o, s.ID, s.ClientToken)
			}
			seen[s.ClientToken] = s.ID
		}
	})
}

func withIDs(filterID string, rs []cloud.Rule) []cloud.Rule {
	out := make([]cloud.Rule, len(rs))
	for i, r := range rs {
		r.ID, r.FilterID, r.Status = filterID+"-r"+string(rune('a'+i)), filterID, cloud.StatusCreated
		out[i] = r
	}
	return out
}

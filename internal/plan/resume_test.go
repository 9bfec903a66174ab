package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

func TestResume(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("a", "web", 10, "eni-1"), sess("b", "web", 20, "eni-2"))
	cases := map[string]struct {
		reason string
		ran    int                   // steps of the saved plan that ran
		change func(*spec.Stack)     // the desired state of the fresh plan
		live   func(*cloud.Snapshot) // a change made outside the plan
		want   bool
	}{
		"nothing ran": {
			reason: "the fresh plan is the saved one",
			ran:    0, want: true,
		},
		"filter created": {
			reason: "a session create names the filter by its create step in the saved plan and by ID in the fresh one",
			ran:    1, want: true,
		},
		"all but one": {
			reason: "only the last create is left",
			ran:    2, want: true,
		},
		"spec changed": {
			reason: "the fresh plan sends another priority",
			ran:    1, change: func(s *spec.Stack) { s.Sessions[1].Priority = 21 }, want: false,
		},
		"live changed": {
			reason: "the filter's rules were changed by hand after its create",
			ran:    1, live: func(s *cloud.Snapshot) { s.Filters[0].Ingress[0].Action = "drop" }, want: false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			saved, err := Compute(desired, emptySnap(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			live := simulate(t, emptySnap(), &Plan{Steps: saved.Steps[:tc.ran]})
			if tc.live != nil {
				tc.live(live)
			}
			want := stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("a", "web", 10, "eni-1"), sess("b", "web", 20, "eni-2"))
			if tc.change != nil {
				tc.change(want)
			}
			fresh, err := Compute(want, live, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := Resume(saved, fresh, live)
			if ok != tc.want {
				t.Fatalf("%s\nResume ok = %v, want %v; saved %v, fresh %v", tc.reason, ok, tc.want, stepIDs(saved), stepIDs(fresh))
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(stepIDs(saved)[tc.ran:], stepIDs(got)); diff != "" {
				t.Errorf("%s\nresumed steps (-want +got):\n%s", tc.reason, diff)
			}
			for i, s := range got.Steps {
				if w := saved.Steps[tc.ran+i].ClientToken; s.ClientToken != w {
					t.Errorf("%s\nstep %s token %s, want the saved %s", tc.reason, s.ID, s.ClientToken, w)
				}
			}
		})
	}
}

// TestReuseTokens: creates sent by a run that did not finish are sent again
// with their first tokens when the region changed meanwhile (so the plan
// ID, and every token, changed); other steps keep their own.
func TestReuseTokens(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1)...)}, sess("a", "web", 10, "eni-1"))
	journal, err := Compute(desired, emptySnap(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	live := emptySnap()
	live.Sessions = []cloud.Session{foreignSession("tms-theirs", "tmf-theirs", 90)}
	live.Filters = []cloud.Filter{{ID: "tmf-theirs", Name: "theirs"}}
	p, err := Compute(desired, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := map[StepID]string{}
	for _, s := range p.Steps {
		before[s.ID] = s.ClientToken
	}
	if n := ReuseTokens(p, journal.Steps, live); n != 2 {
		t.Errorf("ReuseTokens = %d, want the 2 creates", n)
	}
	for i, s := range p.Steps {
		if s.Kind().Creates() && s.ClientToken != journal.Steps[i].ClientToken {
			t.Errorf("create %s token %s, want the journal's %s", s.ID, s.ClientToken, journal.Steps[i].ClientToken)
		}
	}
	// A create whose token a finished create used moves to the next
	// generation; the rest stay.
	used := map[string]bool{p.Steps[0].ClientToken: true}
	if n := AvoidTokens(p, used); n != 1 {
		t.Errorf("AvoidTokens = %d, want 1", n)
	}
	if got, want := p.Steps[0].ClientToken, NextToken(journal.Steps[0].ClientToken); got != want {
		t.Errorf("step %s token %s, want the next generation %s", p.Steps[0].ID, got, want)
	}
}

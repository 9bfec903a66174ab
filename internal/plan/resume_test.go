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

// TestReuseTokens: a create's token does not depend on the rest of the
// region (C5), so a run that sees more sends what an interrupted run sent;
// a create the interrupted run had moved to a later generation is sent
// again with that one; other steps keep their own.
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
	if p.ID == journal.ID {
		t.Fatalf("the two plans have one ID; the test needs two views of the region")
	}
	for i, s := range p.Steps {
		if s.ClientToken != journal.Steps[i].ClientToken {
			t.Errorf("step %s token %s differs from the other view's %s", s.ID, s.ClientToken, journal.Steps[i].ClientToken)
		}
	}
	if n := ReuseTokens(p, journal.Steps, live); n != 0 {
		t.Errorf("ReuseTokens = %d, want 0: the tokens are the same already", n)
	}
	for i := range journal.Steps {
		journal.Steps[i].ClientToken = NextToken(journal.Steps[i].ClientToken)
	}
	if n := ReuseTokens(p, journal.Steps, live); n != 2 {
		t.Errorf("ReuseTokens = %d, want the 2 creates the journal moved on", n)
	}
	for i, s := range p.Steps {
		if s.Kind().Creates() && s.ClientToken != journal.Steps[i].ClientToken {
			t.Errorf("create %s token %s, want the journal's %s", s.ID, s.ClientToken, journal.Steps[i].ClientToken)
		}
	}
}

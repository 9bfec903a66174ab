package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

func TestSuggestMoves(t *testing.T) {
	live := applied(t, stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("ids", "web", 5, "eni-a")))
	cases := map[string]struct {
		reason  string
		desired *spec.Stack
		want    []string
	}{
		"BothRenamed": {
			reason:  "a filter and its session re-keyed with equal contents are both hinted",
			desired: stk([]*spec.Filter{filt("web2", rules(1, 2)...)}, sess("ids2", "web2", 5, "eni-a")),
			want: []string{
				"filter.web2 is created with the contents of filter.web, which is deleted; did you mean moved: {from: filter.web, to: filter.web2}?",
				"session.ids2 is created with the contents of session.ids, which is deleted; did you mean moved: {from: session.ids, to: session.ids2}?",
			},
		},
		"SessionOnly": {
			reason:  "a re-keyed session on the same filter is hinted",
			desired: stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("ids2", "web", 5, "eni-a")),
			want: []string{
				"session.ids2 is created with the contents of session.ids, which is deleted; did you mean moved: {from: session.ids, to: session.ids2}?",
			},
		},
		"Different": {
			reason:  "contents that differ are a real delete and create",
			desired: stk([]*spec.Filter{filt("web2", rules(1, 3)...)}, sess("ids2", "web2", 5, "eni-b")),
			want:    []string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Compute(tc.desired, live, Options{AllowDestroy: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Notes); diff != "" {
				t.Errorf("%s: notes (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestMissingLabel(t *testing.T) {
	desired := stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("ids", "web", 5, "eni-a"))
	live := applied(t, desired)
	noSession := *live
	noSession.Sessions = nil
	cases := map[string]struct {
		reason  string
		desired *spec.Stack
		live    *cloud.Snapshot
		want    map[Addr][]Reason
		drift   bool
	}{
		"FirstApply": {
			reason:  "nothing of the stack is live: a first apply, labelled spec",
			desired: desired,
			live:    emptySnap(),
			want: map[Addr][]Reason{FilterAddr("web"): {ReasonSpec}, SessionAddr("ids"): {ReasonSpec},
				RuleAddr("web", cloud.Ingress, 1): {ReasonSpec}, RuleAddr("web", cloud.Ingress, 2): {ReasonSpec}},
		},
		"SessionGone": {
			reason:  "a session with no live object while its filter is live is missing, and drift",
			desired: desired,
			live:    &noSession,
			want:    map[Addr][]Reason{SessionAddr("ids"): {ReasonMissing}},
			drift:   true,
		},
		"Renamed": {
			reason:  "a create paired with the delete of equal contents was applied under the other key",
			desired: stk([]*spec.Filter{filt("web", rules(1, 2)...)}, sess("ids2", "web", 5, "eni-a")),
			live:    live,
			want:    map[Addr][]Reason{SessionAddr("ids"): {ReasonOrphan}, SessionAddr("ids2"): {ReasonSpec}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Compute(tc.desired, tc.live, Options{AllowDestroy: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[Addr][]Reason{}
			for _, c := range p.Changes {
				got[c.Addr] = c.Reasons
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: reasons (-want +got):\n%s", tc.reason, diff)
			}
			if p.HasDrift() != tc.drift {
				t.Errorf("%s: HasDrift() = %v, want %v", tc.reason, p.HasDrift(), tc.drift)
			}
		})
	}
}

package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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

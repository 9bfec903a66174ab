package plan

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// TestPlanJSON round-trips plans with changes of every type and action
// through the plan document.
func TestPlanJSON(t *testing.T) {
	base := driftBase()
	cases := map[string]struct {
		reason string
		plan   func(t *testing.T) *Plan
	}{
		"create": {
			reason: "the service opens; a filter, its rules and a session are created",
			plan: func(t *testing.T) *Plan {
				closed := emptySnap()
				closed.ServiceEnabled = false
				p, _ := converge(t, base, closed, Options{})
				return p
			},
		},
		"update and delete": {
			reason: "rules move and change, a session updates, a filter and a session go",
			plan: func(t *testing.T) *Plan {
				live := applied(t, base)
				want := driftBase()
				want.Filters = want.Filters[:1]
				want.Filters[0].Ingress = append(rules(2), rl(1, "UDP", "10.9.0.0/16"))
				want.Sessions[0].Priority, want.Sessions[0].Filter = 11, "web"
				live.Sessions = append(live.Sessions, cloud.Session{ID: "tms-gone", Name: "gone", FilterID: live.Filters[0].ID,
					TargetID: "eni-x", TargetType: cloud.TargetENI, Priority: 40, PacketLength: 1500,
					Tags: cloud.Tags{cloud.TagStack: testStack, cloud.TagKey: "gone", cloud.TagApplied: "gonegonegone"}})
				p, _ := converge(t, want, live, Options{AllowDestroy: true})
				return p
			},
		},
		"replace": {
			reason: "ten rules reversed: the filter is replaced by a new one",
			plan: func(t *testing.T) *Plan {
				ten := rules(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
				live := applied(t, stk([]*spec.Filter{filt("web", ten...)}, sess("a", "web", 5, "eni-a")))
				p, _ := converge(t, stk([]*spec.Filter{filt("web", reversed(ten)...)}, sess("a", "web", 5, "eni-a")), live, Options{})
				if p.Changes[0].Action != Replace {
					t.Fatalf("changes %+v, want a replace first", p.Changes)
				}
				return p
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := tc.plan(t)
			b, err := json.Marshal(want)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			var got Plan
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(want, &got, cmpopts.IgnoreFields(Plan{}, "Resolved")); diff != "" {
				t.Errorf("%s\nUnmarshal(Marshal(plan)) (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPlanJSONVersion(t *testing.T) {
	cases := map[string]struct {
		reason  string
		version string
		wantErr bool
	}{
		"this version": {reason: "2.1 is read", version: FormatVersion},
		"2.0":          {reason: "a plan document of 2.0 is read: 2.1 only added fields", version: "2.0"},
		"minor":        {reason: "a minor version only adds fields", version: "2.7"},
		"format 1":     {reason: "format 1 steps have string ops", version: "1", wantErr: true},
		"next major":   {reason: "3.0 may change anything", version: "3.0", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var p Plan
			err := json.Unmarshal([]byte(`{"format_version":"`+tc.version+`","steps":[]}`), &p)
			var ve *VersionError
			if got := errors.As(err, &ve); got != tc.wantErr {
				t.Errorf("%s\nUnmarshal err = %v, want a VersionError %v", tc.reason, err, tc.wantErr)
			}
		})
	}
}

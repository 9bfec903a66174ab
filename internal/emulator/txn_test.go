package emulator

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	gocmp "github.com/google/go-cmp/cmp"
)

// dump is the state as saved, and the derived indexes checked against it.
func dump(t *testing.T, srv *Server) string {
	t.Helper()
	var out string
	_ = srv.store.do(func(st *state) (bool, error) {
		out = string(mustJSON(st))
		for id, r := range st.Regions {
			var want []*filter
			for _, f := range r.Filters {
				want = append(want, f)
				for _, ru := range append(append([]*rule(nil), f.Ingress...), f.Egress...) {
					if g, got := r.findRule(ru.ID); g != f || got != ru {
						t.Errorf("region %s: findRule(%s) = %v, want the rule of filter %s", id, ru.ID, g, f.ID)
					}
				}
			}
			slices.SortFunc(want, func(a, b *filter) int { return cmp.Compare(a.Seq, b.Seq) })
			if diff := gocmp.Diff(want, r.sortedFilters(), cmpopts.EquateEmpty(), gocmp.AllowUnexported(filter{})); diff != "" {
				t.Errorf("region %s: sortedFilters: -want +got:\n%s", id, diff)
			}
			var wantS []*session
			for _, s := range r.Sessions {
				wantS = append(wantS, s)
			}
			slices.SortFunc(wantS, func(a, b *session) int { return cmp.Compare(a.Seq, b.Seq) })
			if diff := gocmp.Diff(wantS, r.sortedSessions(), cmpopts.EquateEmpty(), gocmp.AllowUnexported(session{})); diff != "" {
				t.Errorf("region %s: sortedSessions: -want +got:\n%s", id, diff)
			}
		}
		return false, nil
	})
	return out
}

// TestRefusedWriteLeavesNoTrace sends writes that change objects before
// they are refused, and dry runs: the state and its indexes must be as
// before, byte for byte.
func TestRefusedWriteLeavesNoTrace(t *testing.T) {
	cases := map[string]struct {
		reason string
		action string
		params map[string]string
		want   int
	}{
		"RulesSecondDirection": {
			reason: "the ingress rules are added to the filter's copy before the egress rules are refused",
			action: "CreateTrafficMirrorFilterRules",
			params: merge(map[string]string{"TrafficMirrorFilterId": "{G}"}, ruleParams("IngressRules", 1, okRule),
				ruleParams("EgressRules", 1, map[string]string{"Action": "accept", "Protocol": "bogus"})),
			want: 400,
		},
		"TagSecondResource": {
			reason: "the first filter's copy is tagged before the second is found missing",
			action: "TagResources",
			params: map[string]string{"ResourceType": "TrafficMirrorFilter", "ResourceId.1": "{G}", "ResourceId.2": "tmf-missing",
				"Tag.1.Key": "k", "Tag.1.Value": "v"},
			want: 404,
		},
		"FilterAfterSeq": {
			reason: "a filter refused for its egress rule after it took a sequence number",
			action: "CreateTrafficMirrorFilter",
			params: merge(ruleParams("IngressRules", 1, okRule), ruleParams("EgressRules", 1, map[string]string{"Action": "accept", "Protocol": "bogus"})),
			want:   400,
		},
		"SessionSource": {
			reason: "a session refused for its source after the filter is found",
			action: "CreateTrafficMirrorSession",
			params: map[string]string{"TrafficMirrorFilterId": "{G}", "TrafficMirrorSourceIds.1": "eni-a", "TrafficMirrorSourceIds.2": "eni-a",
				"TrafficMirrorTargetId": "eni-t", "TrafficMirrorTargetType": "NetworkInterface", "Priority": "30"},
			want: 400,
		},
		"DryRunCreate": {
			reason: "a dry-run create makes the filter, then is rolled back",
			action: "CreateTrafficMirrorFilter",
			params: merge(map[string]string{"DryRun": "true"}, ruleParams("IngressRules", 1, okRule)),
			want:   400,
		},
		"DryRunUpdateRule": {
			reason: "a dry-run rule update changes the filter's copy, then is rolled back",
			action: "UpdateTrafficMirrorFilterRuleAttribute",
			params: map[string]string{"DryRun": "true", "TrafficMirrorFilterRuleId": "{R}", "Priority": "5"},
			want:   400,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, Options{})
			w.clk.Advance(time.Minute)
			// A read settles what is due, so the write changes nothing else.
			if st, m, _ := w.rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion}); st != 200 {
				t.Fatalf("list = %d %v", st, m)
			}
			before := dump(t, w.srv)
			p := w.expand(tc.params)
			p["RegionId"] = testRegion
			st, m, _ := w.rc.call(tc.action, p)
			if st != tc.want {
				t.Fatalf("%s\n%s = %d %v, want %d", tc.reason, tc.action, st, m, tc.want)
			}
			if diff := gocmp.Diff(before, dump(t, w.srv)); diff != "" {
				t.Errorf("%s\nstate after the refused %s: -before +after:\n%s", tc.reason, tc.action, diff)
			}
			// The world's filter still takes a write: nothing is held.
			if st, m, _ := w.rc.call("UpdateTrafficMirrorFilterAttribute", map[string]string{"RegionId": testRegion,
				"TrafficMirrorFilterId": w.G, "TrafficMirrorFilterName": "after"}); st != 200 {
				t.Errorf("update after = %d %v", st, m)
			}
		})
	}
}

// TestSettleDueOnly checks that objects settle when their deadline passes,
// whatever wrote them, and that a request settles only what is due.
func TestSettleDueOnly(t *testing.T) {
	w := newWorld(t, Options{})
	// C and T were created last, a minute before the other objects'
	// transitions are over; all of them settle in order.
	status := func(id string) string {
		var s string
		_ = w.srv.store.do(func(st *state) (bool, error) {
			r := st.Regions[testRegion]
			if f := r.Filters[id]; f != nil {
				s = f.Status
			} else if x := r.Sessions[id]; x != nil {
				s = x.Status
			}
			return false, nil
		})
		return s
	}
	list := func() {
		if st, m, _ := w.rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion}); st != 200 {
			t.Fatalf("list = %d %v", st, m)
		}
	}
	list()
	if got := status(w.C); got != statusCreating {
		t.Errorf("C before its deadline: %s, want %s", got, statusCreating)
	}
	w.clk.Advance(time.Minute)
	list()
	for _, id := range []string{w.F, w.G, w.S, w.C, w.T} {
		if got := status(id); got != statusCreated {
			t.Errorf("%s after its deadline: %s, want %s", id, got, statusCreated)
		}
	}
	// A write's transition settles too, and a deleted filter goes.
	if st, m, _ := w.rc.call("DeleteTrafficMirrorFilter", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": w.C}); st != 200 {
		t.Fatalf("delete = %d %v", st, m)
	}
	list()
	if got := status(w.C); got != statusDeleting {
		t.Errorf("C being deleted: %s, want %s", got, statusDeleting)
	}
	w.clk.Advance(time.Minute)
	list()
	if got := status(w.C); got != "" {
		t.Errorf("C after its deletion: %s, want it gone", got)
	}
	dump(t, w.srv)
}

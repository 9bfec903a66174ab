package engine

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

// TestPlanSaysWhatTrafficChanges: every plan the engine makes carries
// what it changes in mirrored traffic, worked out beside plan.Compute.
func TestPlanSaysWhatTrafficChanges(t *testing.T) {
	f := newFakeCloud()
	e := testEngine(t, f, Options{})
	all, err := cloud.CanonicalRule(cloud.Rule{Priority: 1, Action: "accept", Protocol: cloud.ProtoALL}, true)
	if err != nil {
		t.Fatal(err)
	}
	st := &spec.Stack{Name: "b", Region: "cn-hangzhou", Limits: spec.Limits{SourcesPerSession: 10},
		Filters: []*spec.Filter{{Key: "x", Name: "x", Ingress: []spec.Rule{{Rule: all}}}}}
	runs := e.Plan(context.Background(), []*spec.Stack{st}, nil)
	defer runs[0].Release()
	if runs[0].Err != nil {
		t.Fatal(runs[0].Err)
	}
	want := []plan.Traffic{{Address: plan.FilterAddr("x"), Direction: cloud.Ingress, Effect: plan.TrafficRules,
		Added: []plan.Region{{IPVersion: cloud.IPv4, Protocols: []string{cloud.ProtoALL},
			Source: []string{"0.0.0.0/0"}, Destination: []string{"0.0.0.0/0"}}}}}
	if diff := cmp.Diff(want, runs[0].Plan.Traffic); diff != "" {
		t.Errorf("traffic of the plan (-want +got):\n%s", diff)
	}
}

package engine

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

// eniClient is a client whose ENIs answer DescribeNetworkInterfaces, with
// the queries it was sent.
type eniClient struct {
	fakeClient
	enis    []cloud.ENI
	queries []cloud.ENIQuery
}

func (c *eniClient) DescribeNetworkInterfaces(_ context.Context, q cloud.ENIQuery) ([]cloud.ENI, error) {
	c.queries = append(c.queries, q)
	var out []cloud.ENI
	for _, e := range c.enis {
		switch {
		case len(q.IDs) > 0:
			for _, id := range q.IDs {
				if id == e.ID {
					out = append(out, e)
				}
			}
		case (q.InstanceID == "" || q.InstanceID == e.InstanceID) && (q.VSwitchID == "" || q.VSwitchID == e.VSwitchID) &&
			(q.Type == "" || q.Type == e.Type) && (spec.Selector{Tags: q.Tags}).Matches(e):
			out = append(out, e)
		}
	}
	return out, nil
}

// TestReadENIs: each distinct selector of a run is one query, whatever
// stacks and sessions share it; instanceIds is one query per instance; the
// current sources the selectors no longer find are read by ID, the rest
// not again.
func TestReadENIs(t *testing.T) {
	web := spec.Selector{Tags: cloud.Tags{"app": "web"}}
	sel := func(key string, sels ...spec.Selector) *spec.Session {
		return &spec.Session{Key: key, Select: sels}
	}
	stacks := []*spec.Stack{
		{Name: "a", Region: "cn-hangzhou", Sessions: []*spec.Session{sel("s1", web), sel("s2", web, spec.Selector{InstanceIDs: []string{"i-1", "i-2"}})}},
		{Name: "b", Region: "cn-hangzhou", Sessions: []*spec.Session{sel("s3", web)}},
		{Name: "c", Region: "cn-hangzhou", Sessions: []*spec.Session{{Key: "plain", Sources: []string{"eni-x"}}}},
	}
	c := &eniClient{fakeClient: fakeClient{region: "cn-hangzhou"}, enis: []cloud.ENI{
		{ID: "eni-w1", Type: cloud.ENIPrimary, Status: cloud.ENIInUse, Tags: cloud.Tags{"app": "web"}},
		{ID: "eni-w2", Type: cloud.ENIPrimary, Status: cloud.ENIInUse, Tags: cloud.Tags{"app": "web"}},
		{ID: "eni-i1", Type: cloud.ENIPrimary, Status: cloud.ENIInUse, InstanceID: "i-1"},
		{ID: "eni-untagged", Type: cloud.ENIPrimary, Status: cloud.ENIInUse},
	}}
	snap := &cloud.Snapshot{Region: "cn-hangzhou", Sessions: []cloud.Session{
		{ID: "tms-1", SourceIDs: []string{"eni-w1", "eni-untagged", "eni-gone"}, Tags: cloud.Tags{cloud.TagStack: "a"}},
		{ID: "tms-2", SourceIDs: []string{"eni-x"}, Tags: cloud.Tags{cloud.TagStack: "c"}},
	}}
	e := testEngine(t, newFakeCloud(), Options{})
	if err := e.readENIs(context.Background(), c, stacks, snap, readOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []cloud.ENIQuery{
		{Type: cloud.ENIPrimary, Tags: cloud.Tags{"app": "web"}},
		{Type: cloud.ENIPrimary, InstanceID: "i-1"},
		{Type: cloud.ENIPrimary, InstanceID: "i-2"},
		{IDs: []string{"eni-gone", "eni-untagged"}},
	}
	if diff := cmp.Diff(want, c.queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	var got []string
	for _, x := range snap.ENIs {
		got = append(got, x.ID)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"eni-i1", "eni-untagged", "eni-w1", "eni-w2"}, got); diff != "" || !snap.ENIsRead {
		t.Errorf("ENIs read (-want +got):\n%s", diff)
	}
	if enisWanted(stacks[2:]) {
		t.Errorf("a stack with no selector reads ENIs")
	}
}

// TestSessionsPerSourceAcrossStacks: limits.sessionsPerSource counts the
// sessions of every stack of the run in one account and region, selectors
// resolved.
func TestSessionsPerSourceAcrossStacks(t *testing.T) {
	mk := func(name string, lim int, srcs map[string][]string) *Run {
		return &Run{Stack: &spec.Stack{Name: name, Region: "cn-hangzhou", Limits: spec.Limits{SessionsPerSource: lim}},
			Plan: &plan.Plan{Resolved: srcs}}
	}
	a := mk("a", 1, map[string][]string{"web#0": {"eni-1", "eni-2"}})
	b := mk("b", 0, map[string][]string{"db": {"eni-2"}})
	c := &Run{Stack: &spec.Stack{Name: "c", Region: "cn-shanghai", Limits: spec.Limits{SessionsPerSource: 1}},
		Plan: &plan.Plan{Resolved: map[string][]string{"x": {"eni-1"}}}}
	checkSessionsPerSource([]*Run{a, b, c})
	if a.Err == nil || a.Plan != nil || !strings.Contains(a.Err.Error(), "eni-2 in 2 sessions") {
		t.Errorf("stack a: error %v, plan %v; want eni-2 over the limit of 1", a.Err, a.Plan)
	}
	if b.Err != nil || c.Err != nil {
		t.Errorf("stack b (no limit) or c (another region) refused: %v, %v", b.Err, c.Err)
	}
}

package apply

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

// fakeClient is a small in-memory cloud.Client: objects are Created at once,
// and errs injects errors per call name.
type fakeClient struct {
	mu       sync.Mutex
	filters  map[string]*cloud.Filter
	sessions map[string]*cloud.Session
	n        int
	calls    []string           // "Action token"
	errs     map[string][]error // action -> errors to return first
	byToken  map[string]string  // token -> created ID
}

func newFake() *fakeClient {
	return &fakeClient{filters: map[string]*cloud.Filter{}, sessions: map[string]*cloud.Session{},
		errs: map[string][]error{}, byToken: map[string]string{}}
}

func (f *fakeClient) record(action, tok string) error {
	f.calls = append(f.calls, action+" "+tok)
	if es := f.errs[action]; len(es) > 0 {
		f.errs[action] = es[1:]
		return es[0]
	}
	return nil
}

func (f *fakeClient) Region() string   { return "cn-hangzhou" }
func (f *fakeClient) Endpoint() string { return "fake" }
func (f *fakeClient) ListFilters(_ context.Context, in cloud.ListFiltersInput) ([]cloud.Filter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "ListFilters")
	var out []cloud.Filter
	for _, id := range in.IDs {
		if x, ok := f.filters[id]; ok {
			out = append(out, *x)
		}
	}
	return out, nil
}
func (f *fakeClient) ListSessions(_ context.Context, in cloud.ListSessionsInput) ([]cloud.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "ListSessions")
	var out []cloud.Session
	for _, id := range in.IDs {
		if x, ok := f.sessions[id]; ok {
			out = append(out, *x)
		}
	}
	return out, nil
}
func (f *fakeClient) GetServiceStatus(context.Context) (bool, error) { return true, nil }
func (f *fakeClient) OpenService(_ context.Context, o cloud.WriteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("OpenService", o.Token)
}
func (f *fakeClient) CreateFilter(_ context.Context, in cloud.CreateFilterInput) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("CreateFilter", in.Token); err != nil {
		return "", err
	}
	if id, ok := f.byToken[in.Token]; ok {
		return id, nil
	}
	f.n++
	id := fmt.Sprintf("tmf-%d", f.n)
	f.byToken[in.Token] = id
	f.filters[id] = &cloud.Filter{ID: id, Name: in.Name, Status: cloud.StatusCreated, Tags: in.Tags}
	return id, nil
}
func (f *fakeClient) UpdateFilter(_ context.Context, in cloud.UpdateFilterInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("UpdateFilter", in.Token)
}
func (f *fakeClient) DeleteFilter(_ context.Context, id string, o cloud.WriteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DeleteFilter", o.Token); err != nil {
		return err
	}
	if _, ok := f.filters[id]; !ok {
		return &cloud.APIError{Kind: cloud.KindNotFound, Code: "ResourceNotFound.TrafficMirrorFilter"}
	}
	delete(f.filters, id)
	return nil
}
func (f *fakeClient) CreateRules(_ context.Context, in cloud.CreateRulesInput) ([]string, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, nil, f.record("CreateRules", in.Token)
}
func (f *fakeClient) UpdateRule(_ context.Context, in cloud.UpdateRuleInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("UpdateRule", in.Token)
}
func (f *fakeClient) DeleteRules(_ context.Context, _ string, _ []string, o cloud.WriteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("DeleteRules", o.Token)
}
func (f *fakeClient) CreateSession(_ context.Context, in cloud.CreateSessionInput) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("CreateSession", in.Token); err != nil {
		return "", err
	}
	if _, ok := f.filters[in.FilterID]; !ok {
		return "", &cloud.APIError{Kind: cloud.KindNotFound, Code: "ResourceNotFound.TrafficMirrorFilter"}
	}
	f.n++
	id := fmt.Sprintf("tms-%d", f.n)
	f.sessions[id] = &cloud.Session{ID: id, FilterID: in.FilterID, Status: cloud.StatusCreated}
	return id, nil
}
func (f *fakeClient) UpdateSession(_ context.Context, in cloud.UpdateSessionInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("UpdateSession", in.Token)
}
func (f *fakeClient) DeleteSession(_ context.Context, id string, o cloud.WriteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DeleteSession", o.Token); err != nil {
		return err
	}
	delete(f.sessions, id)
	return nil
}
func (f *fakeClient) AddSources(_ context.Context, _ string, _ []string, o cloud.WriteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("AddSources", o.Token)
}
func (f *fakeClient) RemoveSources(_ context.Context, _ string, _ []string, o cloud.WriteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("RemoveSources", o.Token)
}
func (f *fakeClient) TagResources(context.Context, string, []string, cloud.Tags) error { return nil }
func (f *fakeClient) UntagResources(context.Context, string, []string, []string) error { return nil }
func (f *fakeClient) ListTagResources(context.Context, string, []string) (map[string]cloud.Tags, error) {
	return nil, nil
}
func (f *fakeClient) MoveResourceGroup(context.Context, string, string, string) error { return nil }

func fastOpts() Options {
	return Options{PollInitial: time.Millisecond, PollMax: 5 * time.Millisecond, RetryBase: time.Millisecond,
		RetryMax: 5 * time.Millisecond, Timeout: 5 * time.Second, GoneAfter: time.Second}
}

func simplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	r, _ := cloud.CanonicalRule(cloud.Rule{Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL"}, true)
	st := &spec.Stack{Name: "web", Region: "cn-hangzhou", Limits: spec.Limits{SourcesPerSession: 10},
		Filters: []*spec.Filter{{Key: "web", Name: "web", Ingress: []spec.Rule{{Rule: r}}}},
		Sessions: []*spec.Session{{Key: "ids", Name: "ids", Filter: "web", TargetType: cloud.TargetENI, TargetID: "eni-t",
			Sources: []string{"eni-a"}, Priority: 1, Enabled: true, PacketLength: 1500}}}
	p, err := plan.Compute(st, &cloud.Snapshot{Region: "cn-hangzhou", ServiceEnabled: true}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRetriesReuseTheToken(t *testing.T) {
	p := simplePlan(t)
	c := newFake()
	busy := &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User"}
	c.errs["CreateFilter"] = []error{busy, &cloud.APIError{Kind: cloud.KindServer, Code: "ServiceUnavailable"}}
	res := Run(context.Background(), p, c, fastOpts(), nil)
	if !res.OK() {
		t.Fatalf("result %+v", res)
	}
	var creates []string
	for _, call := range c.calls {
		if len(call) > 12 && call[:12] == "CreateFilter" {
			creates = append(creates, call)
		}
	}
	want := []string{"CreateFilter " + p.Steps[0].ClientToken, "CreateFilter " + p.Steps[0].ClientToken, "CreateFilter " + p.Steps[0].ClientToken}
	if diff := cmp.Diff(want, creates); diff != "" {
		t.Errorf("create calls (-want +got):\n%s", diff)
	}
	if len(c.filters) != 1 || len(c.sessions) != 1 {
		t.Errorf("objects: %d filters, %d sessions; want 1 and 1", len(c.filters), len(c.sessions))
	}
}

func TestFailureSkipsDependents(t *testing.T) {
	p := simplePlan(t)
	c := newFake()
	c.errs["CreateFilter"] = []error{&cloud.APIError{Kind: cloud.KindQuota, Code: "QuotaExceeded.TrafficMirrorFilter", RequestID: "REQ-1"}}
	res := Run(context.Background(), p, c, fastOpts(), nil)
	if len(res.Failed) != 1 || res.Failed[0].Code != "QuotaExceeded.TrafficMirrorFilter" || res.Failed[0].RequestID != "REQ-1" {
		t.Fatalf("failed = %+v, want the create with its code and request ID", res.Failed)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Step != "session.ids/create/1" {
		t.Errorf("skipped = %+v, want the session create", res.Skipped)
	}
	if len(c.sessions) != 0 {
		t.Errorf("a session was created after its filter failed")
	}
}

func TestDryRun(t *testing.T) {
	p := simplePlan(t)
	c := newFake()
	c.errs["CreateFilter"] = []error{&cloud.APIError{Kind: cloud.KindDryRunPassed, Code: "DryRunOperation"}}
	res := Run(context.Background(), p, c, Options{DryRun: true}, nil)
	if diff := cmp.Diff([]string{"filter.web/create/1"}, res.Checked); diff != "" {
		t.Errorf("checked (-want +got):\n%s", diff)
	}
	if len(res.NotCheckable) != 1 || res.NotCheckable[0].Step != "session.ids/create/1" {
		t.Errorf("not checkable = %+v, want the session (its filter is not created yet)", res.NotCheckable)
	}
	if len(c.filters) != 0 {
		t.Errorf("dry run created objects")
	}
	if got := c.calls[0]; got == "CreateFilter "+p.Steps[0].ClientToken {
		t.Errorf("dry run used the step's real token")
	}
}

func TestDeleteOfMissingIsDone(t *testing.T) {
	p := &plan.Plan{Steps: []plan.Step{{ID: "filter.x/delete/1", Address: "filter.x", Kind: plan.TypeFilter,
		Op: plan.OpDeleteFilter, Unit: "filter.x", Target: plan.Ref{ID: "tmf-gone"}, ClientToken: "tm1-x"}}}
	res := Run(context.Background(), p, newFake(), fastOpts(), nil)
	if !res.OK() || len(res.Applied) != 1 {
		t.Errorf("result %+v, want the delete of a missing filter done", res)
	}
}

func TestSourceQuotaFallsBackToRemoveFirst(t *testing.T) {
	c := newFake()
	r, _ := cloud.CanonicalRule(cloud.Rule{Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL"}, true)
	st := &spec.Stack{Name: "web", Region: "cn-hangzhou", Limits: spec.Limits{SourcesPerSession: 10},
		Filters: []*spec.Filter{{Key: "web", Name: "web", Ingress: []spec.Rule{{Rule: r}}}},
		Sessions: []*spec.Session{{Key: "ids", Name: "ids", Filter: "web", TargetType: cloud.TargetENI, TargetID: "eni-t",
			Sources: []string{"eni-a"}, Priority: 1, Enabled: true, PacketLength: 1500}}}
	p, _ := plan.Compute(st, &cloud.Snapshot{Region: "cn-hangzhou", ServiceEnabled: true}, plan.Options{})
	if res := Run(context.Background(), p, c, fastOpts(), nil); !res.OK() {
		t.Fatalf("setup: %+v", res)
	}
	live := &cloud.Snapshot{Region: "cn-hangzhou", ServiceEnabled: true}
	for _, f := range c.filters {
		f.Ingress = []cloud.Rule{{ID: "tmr-1", Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL",
			IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", Status: cloud.StatusCreated}}
		live.Filters = append(live.Filters, *f)
	}
	for _, s := range c.sessions {
		s.Tags, s.Name, s.SourceIDs, s.TargetID, s.TargetType = p.Steps[1].Params.Tags, "ids", []string{"eni-a"}, "eni-t", cloud.TargetENI
		s.Priority, s.PacketLength, s.Enabled = 1, 1500, true
		live.Sessions = append(live.Sessions, *s)
	}
	st.Sessions[0].Sources = []string{"eni-b"}
	p2, err := plan.Compute(st, live, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.calls = nil
	c.errs["AddSources"] = []error{&cloud.APIError{Kind: cloud.KindQuota, Code: "QuotaExceeded.TrafficMirrorSource"}}
	var events []Event
	res := Run(context.Background(), p2, c, fastOpts(), func(e Event) { events = append(events, e) })
	if !res.OK() {
		t.Fatalf("result %+v", res)
	}
	var writes []string
	for _, call := range c.calls {
		if !strings.HasPrefix(call, "List") {
			writes = append(writes, strings.Fields(call)[0])
		}
	}
	if diff := cmp.Diff([]string{"AddSources", "RemoveSources", "AddSources"}, writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	gap := false
	for _, e := range events {
		gap = gap || e.Code == "gap"
	}
	if !gap {
		t.Errorf("no gap reported")
	}
}

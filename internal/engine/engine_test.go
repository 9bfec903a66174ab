package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

var errNoCredentials = errors.New("no credentials for cn-beijing")

// fakeCloud opens fake clients of regions whose live state it holds, and
// counts the reads of live state per region.
type fakeCloud struct {
	mu     sync.Mutex
	live   map[string][]cloud.Filter // region -> filters
	reads  map[string]int
	opened int
	closed int
	// status, when set, answers GetServiceStatus after planning.
	status func(ctx context.Context, region string) (bool, error)
}

func (f *fakeCloud) open(_ context.Context, region, _ string) (cloud.Client, func() error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if region == "cn-beijing" {
		return nil, nil, errNoCredentials
	}
	f.opened++
	c := &fakeClient{region: region,
		serviceStatus: func(ctx context.Context) (bool, error) {
			f.mu.Lock()
			f.reads[region]++
			n, status := f.reads[region], f.status
			f.mu.Unlock()
			if status != nil && n > 1 {
				return status(ctx, region)
			}
			return true, nil
		},
		listFilters: func(context.Context) ([]cloud.Filter, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.live[region], nil
		},
	}
	return c, func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.closed++
		return nil
	}, nil
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{reads: map[string]int{}, live: map[string][]cloud.Filter{
		"cn-hangzhou": {
			{ID: "tmf-b", Tags: cloud.Tags{cloud.TagStack: "b", cloud.TagKey: "x", cloud.TagApplied: "xxxxxxxxxxxx"}},
			{ID: "tmf-other", Tags: cloud.Tags{cloud.TagStack: "other", cloud.TagKey: "y", cloud.TagApplied: "yyyyyyyyyyyy"}},
		},
	}}
}

func testEngine(t *testing.T, f *fakeCloud, o Options) *Engine {
	t.Helper()
	o.Open = f.open
	o.LockDir = t.TempDir()
	if o.Clock == nil {
		o.Clock = newFakeClock()
	}
	if o.Apply.Clock == nil {
		// The fake clock jumps to the end of every wait, which would
		// end apply's step timeouts at once: applying keeps real time.
		o.Apply.Clock = apply.RealClock{}
	}
	o.Rand = rand.NewPCG(1, 2)
	o.Plan.AllowDestroy = true
	return New(o)
}

func testStacks() []*spec.Stack {
	return []*spec.Stack{
		{Name: "a", Region: "cn-hangzhou"},
		{Name: "b", Region: "cn-hangzhou"},
		{Name: "c", Region: "cn-shanghai"},
		{Name: "d", Region: "cn-beijing"},
	}
}

// TestPlan: stacks of one account and region share one read of live state;
// each stack sees the others of the run as siblings, not as unmanaged; a
// stack that cannot be opened keeps its error and the others still plan.
func TestPlan(t *testing.T) {
	f := newFakeCloud()
	e := testEngine(t, f, Options{Lock: true})
	var planned []string
	runs := e.Plan(context.Background(), testStacks(), func(ev Event) {
		planned = append(planned, string(ev.Type)+" "+ev.Run.Stack.Name)
	})
	defer func() {
		for _, r := range runs {
			r.Release()
		}
	}()
	if diff := cmp.Diff([]string{"planned a", "planned b", "planned c", "planned d"}, planned); diff != "" {
		t.Errorf("events: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"cn-hangzhou": 1, "cn-shanghai": 1}, f.reads); diff != "" {
		t.Errorf("reads of live state per region: -want +got:\n%s", diff)
	}
	if runs[0].Snapshot != runs[1].Snapshot {
		t.Errorf("stacks a and b of one region have different snapshots")
	}
	for _, r := range runs[:3] {
		if r.Err != nil || r.Plan == nil {
			t.Fatalf("stack %s: plan %v, error %v; want a plan", r.Stack.Name, r.Plan, r.Err)
		}
	}
	if !errors.Is(runs[3].Err, errNoCredentials) {
		t.Errorf("stack d: error %v, want %v", runs[3].Err, errNoCredentials)
	}
	var unmanaged []string
	for _, u := range runs[0].Plan.Unmanaged {
		unmanaged = append(unmanaged, u.ID)
	}
	if diff := cmp.Diff([]string{"tmf-other"}, unmanaged); diff != "" {
		t.Errorf("unmanaged objects of stack a: -want +got:\n%s", diff)
	}
	if got := len(runs[1].Plan.Steps); got == 0 {
		t.Errorf("stack b has no steps; want the delete of its filter x")
	}
	// The locks are held: the same stacks cannot be planned with a lock
	// until the runs are released.
	again := New(Options{Open: f.open, LockDir: e.opts.LockDir, Lock: true, Clock: newFakeClock()})
	if r := again.Plan(context.Background(), testStacks()[:1], nil)[0]; !errors.As(r.Err, new(*LockedError)) {
		r.Release()
		t.Errorf("second plan of a locked stack: error %v, want a *LockedError", r.Err)
	}
}

// TestDrift: drift plans each stack alone: a read per stack, no sibling in
// view, no lock, and every client released.
func TestDrift(t *testing.T) {
	f := newFakeCloud()
	e := testEngine(t, f, Options{Lock: true})
	runs := e.Drift(context.Background(), testStacks()[:2], nil)
	if diff := cmp.Diff(map[string]int{"cn-hangzhou": 2}, f.reads); diff != "" {
		t.Errorf("reads of live state per region: -want +got:\n%s", diff)
	}
	if f.opened != f.closed {
		t.Errorf("opened %d clients, closed %d", f.opened, f.closed)
	}
	var unmanaged []string
	for _, u := range runs[0].Plan.Unmanaged {
		unmanaged = append(unmanaged, u.ID)
	}
	if diff := cmp.Diff([]string{"tmf-b", "tmf-other"}, unmanaged); diff != "" {
		t.Errorf("unmanaged objects of stack a: -want +got:\n%s", diff)
	}
	locked := New(Options{Open: f.open, LockDir: e.opts.LockDir, Lock: true, Clock: newFakeClock()})
	r := locked.Plan(context.Background(), testStacks()[:1], nil)[0]
	r.Release()
	if r.Err != nil {
		t.Errorf("plan with a lock after drift: %v; drift must not hold locks", r.Err)
	}
}

func TestReservePriorities(t *testing.T) {
	stacks := []*spec.Stack{
		{Name: "a", Region: "r1", Sessions: []*spec.Session{{Key: "x", Priority: 1}, {Key: "y", Priority: 2}}},
		{Name: "b", Region: "r1", Sessions: []*spec.Session{{Key: "z", Priority: 3}}},
		{Name: "c", Region: "r2", Sessions: []*spec.Session{{Key: "w", Priority: 1}}},
	}
	want := map[string]map[int]string{
		"a": {3: "stack b session.z"},
		"b": {1: "stack a session.x", 2: "stack a session.y"},
		"c": {},
	}
	if diff := cmp.Diff(want, reservePriorities(stacks)); diff != "" {
		t.Errorf("reservePriorities(): -want +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "c"}, siblings(stacks, stacks[1])); diff != "" {
		t.Errorf("siblings(): -want +got:\n%s", diff)
	}
}

// TestLimiterPerAccountRegion: stacks of one account and region share a
// limiter; another region or profile has its own.
func TestLimiterPerAccountRegion(t *testing.T) {
	e := New(Options{MaxRPS: 10})
	lim := func(region, profile string) *apply.Limiter {
		return e.limiter(accountRegion(&spec.Stack{Region: region, Profile: profile}))
	}
	if lim("r1", "p") != lim("r1", "p") {
		t.Errorf("two stacks of one account and region have different limiters")
	}
	if lim("r1", "p") == lim("r2", "p") {
		t.Errorf("two regions share a limiter")
	}
	if lim("r1", "p") == lim("r1", "q") {
		t.Errorf("two profiles share a limiter")
	}
}

// TestApply: every stack that planned is applied and checked; a stack that
// failed to plan is left alone; each stack's events come in order and end
// with StackDone.
func TestApply(t *testing.T) {
	cases := map[string]struct {
		reason string
		dryRun bool
		status func(context.Context, string) (bool, error)
		want   map[string][]EventType
		conv   bool
		reads  map[string]int
	}{
		"Converged": {
			reason: "After the apply live state is read again and equals the spec.",
			want: map[string][]EventType{
				"a": {ApplyStarted, Converged, StackDone},
				"c": {ApplyStarted, Converged, StackDone},
			},
			conv:  true,
			reads: map[string]int{"cn-hangzhou": 2, "cn-shanghai": 2},
		},
		"Unreadable": {
			reason: "A stack whose live state cannot be read after the apply has not converged.",
			status: func(context.Context, string) (bool, error) { return false, errInvalid },
			want: map[string][]EventType{
				"a": {ApplyStarted, NotConverged, StackDone},
				"c": {ApplyStarted, NotConverged, StackDone},
			},
			reads: map[string]int{"cn-hangzhou": 2, "cn-shanghai": 2},
		},
		"DryRun": {
			reason: "A dry run reports what it checked and reads nothing more.",
			dryRun: true,
			want: map[string][]EventType{
				"a": {ApplyStarted, DryRunChecked, StackDone},
				"c": {ApplyStarted, DryRunChecked, StackDone},
			},
			reads: map[string]int{"cn-hangzhou": 1, "cn-shanghai": 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeCloud()
			f.status = tc.status
			e := testEngine(t, f, Options{Lock: true, StackParallelism: 2, Apply: apply.Options{DryRun: tc.dryRun}})
			stacks := testStacks()
			runs := e.Plan(context.Background(), []*spec.Stack{stacks[0], stacks[2], stacks[3]}, nil)
			defer func() {
				for _, r := range runs {
					r.Release()
				}
			}()
			got := map[string][]EventType{}
			e.Apply(context.Background(), runs, func(ev Event) {
				got[ev.Run.Stack.Name] = append(got[ev.Run.Stack.Name], ev.Type)
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nevents per stack: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.reads, f.reads); diff != "" {
				t.Errorf("%s\nreads of live state: -want +got:\n%s", tc.reason, diff)
			}
			for _, r := range runs[:2] {
				var nc *NotConvergedError
				if r.Result == nil || !r.Result.OK() || r.Converged != tc.conv || errors.As(r.Err, &nc) == (tc.conv || tc.dryRun) {
					t.Errorf("%s\nstack %s: result %+v, converged %v, error %v; want an OK result, converged %v, a not-converged error %v",
						tc.reason, r.Stack.Name, r.Result, r.Converged, r.Err, tc.conv, !tc.conv && !tc.dryRun)
				}
			}
			if runs[2].Result != nil || !errors.Is(runs[2].Err, errNoCredentials) {
				t.Errorf("%s\nstack d was applied or lost its error: result %+v, error %v", tc.reason, runs[2].Result, runs[2].Err)
			}
		})
	}
}

// TestApplyStackParallelism: no more stacks are applied at once than
// StackParallelism allows, and as many as it allows are.
func TestApplyStackParallelism(t *testing.T) {
	for _, n := range []int{1, 2} {
		f := newFakeCloud()
		arrived := make(chan string)
		proceed := make(chan struct{})
		var mu sync.Mutex
		inFlight, most := 0, 0
		f.status = func(_ context.Context, region string) (bool, error) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			arrived <- region
			<-proceed
			mu.Lock()
			inFlight--
			mu.Unlock()
			return true, nil
		}
		e := testEngine(t, f, Options{StackParallelism: n})
		var stacks []*spec.Stack
		for _, r := range []string{"r1", "r2", "r3"} {
			stacks = append(stacks, &spec.Stack{Name: "s", Region: r})
		}
		runs := e.Plan(context.Background(), stacks, nil)
		done := make(chan struct{})
		go func() {
			e.Apply(context.Background(), runs, nil)
			close(done)
		}()
		for range n {
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatalf("parallelism %d: fewer than %d stacks were applied at once", n, n)
			}
		}
		close(proceed)
		for range len(stacks) - n {
			<-arrived
		}
		<-done
		if most != n {
			t.Errorf("parallelism %d: %d stacks were applied at once", n, most)
		}
		for _, r := range runs {
			r.Release()
		}
	}
}

// TestApplied counts the changes whose steps all ran; a change counts only
// when every step of its unit did.
func TestApplied(t *testing.T) {
	fa, fb, fc := plan.FilterAddr("a"), plan.FilterAddr("b"), plan.FilterAddr("c")
	sd, se := plan.SessionAddr("d"), plan.SessionAddr("e")
	id := func(a plan.Addr, op plan.OpKind, n int) plan.StepID { return plan.StepID{Addr: a, Op: op, N: n} }
	step := func(id plan.StepID) plan.Step { return plan.Step{ID: id, Unit: id.Addr.Unit()} }
	p := &plan.Plan{
		Changes: []plan.Change{
			{Addr: fa, Action: plan.Create},
			{Addr: plan.RuleAddr("a", "ingress", 1), Action: plan.Create},
			{Addr: fb, Action: plan.Update},
			{Addr: fc, Action: plan.Replace},
			{Addr: sd, Action: plan.Delete},
			{Addr: se, Action: plan.Create},
			{Addr: plan.FilterAddr("f"), Action: plan.Create},
			{Addr: plan.RuleAddr("f", "ingress", 1), Action: plan.Create},
		},
		Steps: []plan.Step{
			step(id(fa, plan.OpCreateFilter, 1)), step(id(fb, plan.OpUpdateFilter, 1)),
			step(id(fc, plan.OpCreateFilter, 1)), step(id(fc, plan.OpDeleteFilter, 1)),
			step(id(sd, plan.OpDeleteSession, 1)), step(id(se, plan.OpCreateSession, 1)),
			step(id(plan.FilterAddr("f"), plan.OpCreateFilter, 1)),
		},
	}
	r := &Run{Plan: p, Result: &apply.Result{Applied: []plan.StepID{p.Steps[0].ID, p.Steps[1].ID,
		p.Steps[2].ID, p.Steps[3].ID, p.Steps[4].ID}}}
	add, change, destroy := r.Applied()
	// a and its rule, c (add and destroy); not e, nor f and its rule,
	// whose creates did not run.
	if diff := cmp.Diff([3]int{3, 1, 2}, [3]int{add, change, destroy}); diff != "" {
		t.Errorf("Applied(): -want +got:\n%s", diff)
	}
}

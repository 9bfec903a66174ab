package apply

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// epoch is where every fake clock starts.
var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// horizon is longer than any run of the tests takes on the fake clock.
const horizon = 24 * time.Hour

// fakeClock is a Clock that moves only when advanced: then it jumps to its
// earliest timer and fires every timer due.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: epoch, timers: map[*fakeTimer]bool{}} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// since returns how long the clock has run.
func (c *fakeClock) since() time.Duration { return c.Now().Sub(epoch) }

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers[t] = true
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	set := t.c.timers[t]
	delete(t.c.timers, t)
	return set
}

// advance moves the clock to its earliest timer and fires the timers due
// then. It reports false when no timer is set.
func (c *fakeClock) advance() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for t := range c.timers {
		if next.IsZero() || t.at.Before(next) {
			next = t.at
		}
	}
	if next.IsZero() {
		return false
	}
	c.now = next
	for t := range c.timers {
		if !t.at.After(next) {
			delete(c.timers, t)
			t.ch <- next
		}
	}
	return true
}

// drive runs fn, moving clk on whenever every goroutine fn started waits.
// It runs fn in a synctest bubble only to know when that is: nothing in the
// bubble moves the bubble's own time, so code that waits on the real clock
// instead of clk is stuck with no timer set, and the test fails. A stuck
// run, or one that outlives the horizon, has its context cancelled.
func drive(t *testing.T, clk *fakeClock, fn func(ctx context.Context)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			fn(ctx)
		}()
		for {
			synctest.Wait()
			select {
			case <-done:
				return
			default:
			}
			if clk.since() <= horizon && clk.advance() {
				continue
			}
			if ctx.Err() != nil {
				t.Fatalf("stuck at %s on the clock, and cancelling does not end it", clk.since())
			}
			t.Errorf("stuck at %s on the clock: every goroutine waits, and not on the clock, or it runs on past %s", clk.since(), horizon)
			cancel()
		}
	})
}

// run applies p to c under clk and returns the result and the events.
func run(t *testing.T, clk *fakeClock, p *plan.Plan, c cloud.Client, opts Options) (*Result, []Event) {
	t.Helper()
	opts.Clock = clk
	var res *Result
	var events []Event
	drive(t, clk, func(ctx context.Context) {
		res = Run(ctx, p, c, opts, func(e Event) { events = append(events, e) })
	})
	for _, e := range events {
		if e.Time.Before(epoch) || e.Time.After(clk.Now()) {
			t.Errorf("event %s of %s at %s: not a time of the run's clock", e.Type, e.Step, e.Time)
		}
	}
	return res, events
}

// A call is one call the fake answered.
type call struct {
	Action string
	Token  string
	DryRun bool
	At     time.Duration // on the clock, since the run started
}

// fakeCloud is a small in-memory cloud.Client. It makes objects Created at
// once and replays a create whose token it saw before; the function fields
// change that.
type fakeCloud struct {
	clock *fakeClock
	// fail, when set, sees every write first; an error it returns is the
	// answer instead.
	fail func(c call) error
	// status, when set, is the status List shows of an object age old
	// ("" hides it); without it every object is Created.
	status func(id string, age time.Duration) string
	// hold is how long every write takes on the clock.
	hold time.Duration

	mu       sync.Mutex
	filters  map[string]*cloud.Filter
	sessions map[string]*cloud.Session
	byToken  map[string]string // token -> ID a create with it made
	// replay holds tokens an UpdateFilter answers as the API answers a
	// token it saw before: success, and nothing changes.
	replay map[string]bool
	// attaching holds ENIs AddSources refuses, as the API refuses an ENI
	// being attached.
	attaching map[string]bool
	born      map[string]time.Duration // ID -> when it was made, on the clock
	n         int
	calls     []call // writes, in order
	lists     int
	inFlight  int
	maxBusy   int // most writes in flight at once
}

func newFakeCloud(clk *fakeClock) *fakeCloud {
	return &fakeCloud{clock: clk, filters: map[string]*cloud.Filter{}, sessions: map[string]*cloud.Session{},
		byToken: map[string]string{}, born: map[string]time.Duration{}}
}

// failing returns a fail function that answers the first calls of action
// with errs, one each, and then lets them through.
func failing(action string, errs ...error) func(call) error {
	return func(c call) error {
		if c.Action != action || len(errs) == 0 {
			return nil
		}
		err := errs[0]
		errs = errs[1:]
		return err
	}
}

// write records a write and answers it: a non-nil error ends the call. It
// takes the fake's lock; the caller unlocks.
func (f *fakeCloud) write(ctx context.Context, action string, o cloud.WriteOptions) error {
	if f.hold > 0 {
		f.mu.Lock()
		f.inFlight++
		f.maxBusy = max(f.maxBusy, f.inFlight)
		f.mu.Unlock()
		err := sleep(ctx, f.clock, f.hold)
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
		if err != nil {
			f.mu.Lock()
			return err
		}
	}
	f.mu.Lock()
	c := call{Action: action, Token: o.Token, DryRun: o.DryRun, At: f.clock.since()}
	f.calls = append(f.calls, c)
	if f.fail != nil {
		if err := f.fail(c); err != nil {
			return err
		}
	}
	if o.DryRun {
		return &cloud.APIError{Kind: cloud.KindDryRunPassed, Code: "DryRunOperation"}
	}
	return nil
}

func (f *fakeCloud) shown(id, status string) string {
	if f.status != nil {
		return f.status(id, f.clock.since()-f.born[id])
	}
	return status
}

var errNotFound = &cloud.APIError{Kind: cloud.KindNotFound, Code: "ResourceNotFound.TrafficMirrorSession", RequestID: "REQ-404"}

func (f *fakeCloud) Region() string   { return "cn-hangzhou" }
func (f *fakeCloud) Endpoint() string { return "fake" }

func (f *fakeCloud) ListFilters(_ context.Context, in cloud.ListFiltersInput) ([]cloud.Filter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	var out []cloud.Filter
	for _, id := range f.listed(in.IDs, in.Tags, true) {
		if x, ok := f.filters[id]; ok {
			if st := f.shown(id, x.Status); st != "" {
				y := *x
				y.Status = st
				out = append(out, y)
			}
		}
	}
	return out, nil
}

func (f *fakeCloud) ListSessions(_ context.Context, in cloud.ListSessionsInput) ([]cloud.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	var out []cloud.Session
	for _, id := range f.listed(in.IDs, in.Tags, false) {
		if x, ok := f.sessions[id]; ok {
			if st := f.shown(id, x.Status); st != "" {
				y := *x
				y.Status = st
				out = append(out, y)
			}
		}
	}
	return out, nil
}

// listed returns ids, or with none the IDs of every filter (or session)
// that has tags, sorted.
func (f *fakeCloud) listed(ids []string, tags cloud.Tags, filters bool) []string {
	if len(ids) > 0 {
		return ids
	}
	var out []string
	has := func(t cloud.Tags) bool {
		for k, v := range tags {
			if t[k] != v {
				return false
			}
		}
		return true
	}
	if filters {
		for id, x := range f.filters {
			if has(x.Tags) {
				out = append(out, id)
			}
		}
	} else {
		for id, x := range f.sessions {
			if has(x.Tags) {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (f *fakeCloud) GetServiceStatus(context.Context) (bool, error) { return true, nil }

func (f *fakeCloud) OpenService(ctx context.Context, o cloud.WriteOptions) error {
	defer f.mu.Unlock()
	return f.write(ctx, "OpenService", o)
}

func (f *fakeCloud) CreateFilter(ctx context.Context, in cloud.CreateFilterInput) (string, error) {
	defer f.mu.Unlock()
	if err := f.write(ctx, "CreateFilter", in.WriteOptions); err != nil {
		return "", err
	}
	if id, ok := f.byToken[in.Token]; ok {
		return id, nil
	}
	f.n++
	id := fmt.Sprintf("tmf-%d", f.n)
	f.byToken[in.Token] = id
	f.born[id] = f.clock.since()
	f.filters[id] = &cloud.Filter{ID: id, Name: in.Name, Status: cloud.StatusCreated, Tags: in.Tags}
	return id, nil
}

func (f *fakeCloud) UpdateFilter(ctx context.Context, in cloud.UpdateFilterInput) error {
	defer f.mu.Unlock()
	if err := f.write(ctx, "UpdateFilter", in.WriteOptions); err != nil {
		return err
	}
	x, ok := f.filters[in.ID]
	if !ok {
		return errNotFound
	}
	if f.replay[in.Token] {
		return nil
	}
	if in.Name != nil {
		x.Name = *in.Name
	}
	return nil
}

func (f *fakeCloud) DeleteFilter(ctx context.Context, id string, o cloud.WriteOptions) error {
	defer f.mu.Unlock()
	if err := f.write(ctx, "DeleteFilter", o); err != nil {
		return err
	}
	if _, ok := f.filters[id]; !ok {
		return errNotFound
	}
	delete(f.filters, id)
	return nil
}

func (f *fakeCloud) CreateRules(ctx context.Context, in cloud.CreateRulesInput) ([]string, []string, error) {
	defer f.mu.Unlock()
	return nil, nil, f.write(ctx, "CreateRules", in.WriteOptions)
}

func (f *fakeCloud) UpdateRule(ctx context.Context, in cloud.UpdateRuleInput) error {
	defer f.mu.Unlock()
	return f.write(ctx, "UpdateRule", in.WriteOptions)
}

func (f *fakeCloud) DeleteRules(ctx context.Context, _ string, _ []string, o cloud.WriteOptions) error {
	defer f.mu.Unlock()
	return f.write(ctx, "DeleteRules", o)
}

func (f *fakeCloud) CreateSession(ctx context.Context, in cloud.CreateSessionInput) (string, error) {
	defer f.mu.Unlock()
	if err := f.write(ctx, "CreateSession", in.WriteOptions); err != nil {
		return "", err
	}
	if id, ok := f.byToken[in.Token]; ok {
		return id, nil
	}
	if _, ok := f.filters[in.FilterID]; !ok {
		return "", errNotFound
	}
	f.n++
	id := fmt.Sprintf("tms-%d", f.n)
	f.byToken[in.Token] = id
	f.born[id] = f.clock.since()
	f.sessions[id] = &cloud.Session{ID: id, Name: in.Name, FilterID: in.FilterID, SourceIDs: in.SourceIDs,
		Status: cloud.StatusCreated, Tags: in.Tags}
	return id, nil
}

func (f *fakeCloud) UpdateSession(ctx context.Context, in cloud.UpdateSessionInput) error {
	defer f.mu.Unlock()
	return f.write(ctx, "UpdateSession", in.WriteOptions)
}

func (f *fakeCloud) DeleteSession(ctx context.Context, id string, o cloud.WriteOptions) error {
	defer f.mu.Unlock()
	if err := f.write(ctx, "DeleteSession", o); err != nil {
		return err
	}
	if _, ok := f.sessions[id]; !ok {
		return errNotFound
	}
	delete(f.sessions, id)
	return nil
}

func (f *fakeCloud) AddSources(ctx context.Context, id string, sources []string, o cloud.WriteOptions) error {
	defer f.mu.Unlock()
	if err := f.write(ctx, "AddSources", o); err != nil {
		return err
	}
	x, ok := f.sessions[id]
	if !ok {
		return errNotFound
	}
	for _, src := range sources {
		if f.attaching[src] {
			return &cloud.APIError{Kind: cloud.KindInvalid, Code: "IncorrectStatus.NetworkInterface", RequestID: "REQ-S",
				Message: "The current status of the resource does not support this operation. NetworkInterface " + src + " is Attaching."}
		}
	}
	x.SourceIDs = append(x.SourceIDs, sources...)
	return nil
}

func (f *fakeCloud) RemoveSources(ctx context.Context, id string, sources []string, o cloud.WriteOptions) error {
	defer f.mu.Unlock()
	if err := f.write(ctx, "RemoveSources", o); err != nil {
		return err
	}
	x, ok := f.sessions[id]
	if !ok {
		return errNotFound
	}
	gone := map[string]bool{}
	for _, s := range sources {
		gone[s] = true
	}
	var keep []string
	for _, s := range x.SourceIDs {
		if !gone[s] {
			keep = append(keep, s)
		}
	}
	x.SourceIDs = keep
	return nil
}

func (f *fakeCloud) TagResources(context.Context, string, []string, cloud.Tags) error { return nil }
func (f *fakeCloud) UntagResources(context.Context, string, []string, []string) error { return nil }
func (f *fakeCloud) ListTagResources(context.Context, string, []string) (map[string]cloud.Tags, error) {
	return nil, nil
}
func (f *fakeCloud) MoveResourceGroup(context.Context, string, string, string) error { return nil }

// seedFilter puts a live filter into f.
func (f *fakeCloud) seedFilter(id string) {
	f.filters[id] = &cloud.Filter{ID: id, Status: cloud.StatusCreated}
}

// seedSession puts a live session with sources into f.
func (f *fakeCloud) seedSession(id string, sources ...string) {
	f.sessions[id] = &cloud.Session{ID: id, SourceIDs: sources, Status: cloud.StatusCreated}
}

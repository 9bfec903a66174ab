package engine

import (
	"context"
	"sync"
	"time"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
)

// fakeClock moves on by exactly the time waited for: a wait returns at
// once, and Now shows it passed.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) apply.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return firedTimer(ch)
}

// firedTimer is a timer that has fired.
type firedTimer chan time.Time

func (t firedTimer) C() <-chan time.Time { return t }
func (t firedTimer) Stop() bool          { return false }

func (c *fakeClock) waited() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// fakeClient answers the reads of a snapshot with its function fields;
// any other call panics (the embedded interface is nil).
type fakeClient struct {
	cloud.Client
	region        string
	serviceStatus func(context.Context) (bool, error)
	listFilters   func(context.Context) ([]cloud.Filter, error)
	listSessions  func(context.Context) ([]cloud.Session, error)
}

func (f *fakeClient) Region() string   { return f.region }
func (f *fakeClient) Endpoint() string { return "fake" }

func (f *fakeClient) GetServiceStatus(ctx context.Context) (bool, error) {
	if f.serviceStatus == nil {
		return true, nil
	}
	return f.serviceStatus(ctx)
}

func (f *fakeClient) ListFilters(ctx context.Context, _ cloud.ListFiltersInput) ([]cloud.Filter, error) {
	if f.listFilters == nil {
		return nil, nil
	}
	return f.listFilters(ctx)
}

func (f *fakeClient) ListSessions(ctx context.Context, _ cloud.ListSessionsInput) ([]cloud.Session, error) {
	if f.listSessions == nil {
		return nil, nil
	}
	return f.listSessions(ctx)
}

var (
	errThrottled = &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User"}
	errInvalid   = &cloud.APIError{Kind: cloud.KindInvalid, Code: "InvalidParameter"}
)

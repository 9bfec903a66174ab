package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
)

func TestReadLive(t *testing.T) {
	const base = 100 * time.Millisecond
	cases := map[string]struct {
		reason  string
		errs    []error // what GetServiceStatus answers, in turn; then true
		timeout time.Duration
		// want
		calls    int
		err      error
		maxWaits []time.Duration // each wait is in [w/2, w]
	}{
		"FirstTime": {
			reason: "A read that succeeds is not retried.",
			calls:  1,
		},
		"Throttled": {
			reason:   "Refusals for now are retried with a backoff that doubles.",
			errs:     []error{errThrottled, errThrottled, errThrottled},
			calls:    4,
			maxWaits: []time.Duration{base, 2 * base, 4 * base},
		},
		"CappedBackoff": {
			reason:   "The backoff doubles up to RetryMax.",
			errs:     []error{errThrottled, errThrottled, errThrottled, errThrottled, errThrottled},
			calls:    6,
			maxWaits: []time.Duration{base, 2 * base, 4 * base, 4 * base, 4 * base},
		},
		"Invalid": {
			reason: "An error that will not go away is returned at once.",
			errs:   []error{errInvalid},
			calls:  1,
			err:    errInvalid,
		},
		"Deadline": {
			reason:   "Retries stop before a wait would pass the timeout; the last error is returned.",
			errs:     []error{errThrottled, errThrottled, errThrottled, errThrottled},
			timeout:  140 * time.Millisecond,
			calls:    2,
			err:      errThrottled,
			maxWaits: []time.Duration{base},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			calls := 0
			c := &fakeClient{region: "cn-hangzhou", serviceStatus: func(context.Context) (bool, error) {
				calls++
				if calls <= len(tc.errs) {
					return false, tc.errs[calls-1]
				}
				return true, nil
			}}
			e := New(Options{
				Apply: apply.Options{RetryBase: base, RetryMax: 4 * base, Timeout: tc.timeout},
				Clock: clock, Rand: rand.NewPCG(1, 2),
			})
			snap, err := e.readState(context.Background(), c, nil)
			if !errors.Is(err, tc.err) {
				t.Errorf("%s\nreadState(): error %v, want %v", tc.reason, err, tc.err)
			}
			if tc.err == nil && (snap == nil || snap.Region != "cn-hangzhou") {
				t.Errorf("%s\nreadState(): snapshot %+v, want one of cn-hangzhou", tc.reason, snap)
			}
			if diff := cmp.Diff(tc.calls, calls); diff != "" {
				t.Errorf("%s\nreadState(): calls -want +got:\n%s", tc.reason, diff)
			}
			waits := clock.waited()
			if len(waits) != len(tc.maxWaits) {
				t.Fatalf("%s\nreadState(): waited %v, want %d waits of at most %v", tc.reason, waits, len(tc.maxWaits), tc.maxWaits)
			}
			for i, w := range waits {
				if w < tc.maxWaits[i]/2 || w > tc.maxWaits[i] {
					t.Errorf("%s\nreadState(): wait %d is %s, want it in [%s, %s]", tc.reason, i, w, tc.maxWaits[i]/2, tc.maxWaits[i])
				}
			}
		})
	}
}

// TestReadLiveCancelled: a cancelled read returns the API's error rather
// than waiting out its backoff.
func TestReadLiveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &fakeClient{region: "cn-hangzhou", serviceStatus: func(context.Context) (bool, error) { return false, errThrottled }}
	e := New(Options{Clock: blockedClock{newFakeClock()}, Rand: rand.NewPCG(1, 2)})
	if _, err := e.readState(ctx, c, nil); !cloud.IsKind(err, cloud.KindThrottled) {
		t.Errorf("readState() with a cancelled context: error %v, want the throttling error", err)
	}
}

// blockedClock never ends a wait.
type blockedClock struct{ *fakeClock }

func (blockedClock) After(time.Duration) <-chan time.Time { return nil }

package apply

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLimiterSpacesCalls(t *testing.T) {
	cases := map[string]struct {
		reason  string
		rps     float64
		timeout time.Duration // of the callers' context; 0 is none
		asks    []time.Duration
		want    []string // when each call went, or ended
	}{
		"Spaced": {
			reason: "Calls asked for at once go one gap apart.",
			rps:    2,
			asks:   []time.Duration{0, 0, 0, 0},
			want:   []string{"0s", "500ms", "1s", "1.5s"},
		},
		"IdleGoesAtOnce": {
			reason: "A call after a quiet spell goes at once.",
			rps:    2,
			asks:   []time.Duration{0, 10 * time.Second, 10 * time.Second},
			want:   []string{"0s", "10s", "10.5s"},
		},
		"Unlimited": {
			reason: "rps 0 lets every call go at once.",
			asks:   []time.Duration{0, 0, 0},
			want:   []string{"0s", "0s", "0s"},
		},
		"ContextEnds": {
			reason:  "A wait ends with its context.",
			rps:     2,
			timeout: 700 * time.Millisecond,
			asks:    []time.Duration{0, 0, 0},
			want:    []string{"0s", "500ms", "700ms: context deadline exceeded"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			l := NewClockLimiter(clk, tc.rps)
			type went struct {
				at  time.Duration
				err error
			}
			var mu sync.Mutex
			var calls []went
			drive(t, clk, func(ctx context.Context) {
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = withTimeout(ctx, clk, tc.timeout)
					defer cancel()
				}
				var wg sync.WaitGroup
				for _, ask := range tc.asks {
					wg.Go(func() {
						if err := sleep(ctx, clk, ask); err != nil {
							t.Errorf("sleep: %v", err)
						}
						err := l.Wait(ctx)
						mu.Lock()
						calls = append(calls, went{clk.since(), err})
						mu.Unlock()
					})
				}
				wg.Wait()
			})
			sort.Slice(calls, func(i, j int) bool { return calls[i].at < calls[j].at })
			var got []string
			for _, c := range calls {
				if c.err != nil {
					got = append(got, fmt.Sprintf("%s: %v", c.at, c.err))
				} else {
					got = append(got, c.at.String())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncalls (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

type key struct{}

func TestWithTimeout(t *testing.T) {
	cases := map[string]struct {
		reason string
		end    func(parent context.CancelFunc, cancel context.CancelFunc)
		want   string // when the context and a context made from it ended, and with what
	}{
		"Deadline": {
			reason: "The context ends with DeadlineExceeded once its time has passed on the clock, and so do those made from it.",
			end:    func(context.CancelFunc, context.CancelFunc) {},
			want:   "1m0s: context deadline exceeded, context deadline exceeded",
		},
		"ParentEnds": {
			reason: "The context ends when its parent does.",
			end:    func(parent, _ context.CancelFunc) { parent() },
			want:   "0s: context canceled, context canceled",
		},
		"Cancelled": {
			reason: "Its cancel function ends it.",
			end:    func(_, cancel context.CancelFunc) { cancel() },
			want:   "0s: context canceled, context canceled",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			var got string
			drive(t, clk, func(ctx context.Context) {
				parent, stop := context.WithCancel(context.WithValue(ctx, key{}, "v"))
				defer stop()
				ctx, cancel := withTimeout(parent, clk, time.Minute)
				defer cancel()
				child, cancelChild := context.WithCancel(ctx)
				defer cancelChild()
				if d, ok := ctx.Deadline(); !ok || !d.Equal(epoch.Add(time.Minute)) {
					t.Errorf("deadline %s %v, want %s", d, ok, epoch.Add(time.Minute))
				}
				if v := ctx.Value(key{}); v != "v" {
					t.Errorf("value %v, want the parent's", v)
				}
				tc.end(stop, cancel)
				<-child.Done()
				got = fmt.Sprintf("%s: %v, %v", clk.since(), ctx.Err(), child.Err())
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

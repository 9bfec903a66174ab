package apply

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// TestInterruptIsNotATimeout: a run cancelled (SIGINT, SIGTERM) while a
// step waits or retries says the step was interrupted, not that it timed
// out after the step timeout it never reached.
func TestInterruptIsNotATimeout(t *testing.T) {
	throttled := &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User"}
	cases := map[string]struct {
		reason string
		status string
		fail   func(call) error
		want   string
	}{
		"Waiting": {
			reason: "cancelled while the object is Modifying",
			status: cloud.StatusModifying,
			want:   "interrupted while waiting for filter.web (tmf-1), last status Modifying: context canceled",
		},
		"Retrying": {
			reason: "cancelled between retries of a throttled call",
			status: cloud.StatusCreated,
			fail:   func(call) error { return throttled },
			want:   "interrupted while waiting for filter.web (tmf-1), last status unknown: context canceled",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			c := newFakeCloud(clk)
			c.seedFilter("tmf-1")
			c.status = func(string, time.Duration) string { return tc.status }
			c.fail = tc.fail
			o := opts()
			o.Timeout = 5 * time.Minute
			o.Clock = clk
			var res *Result
			drive(t, clk, func(ctx context.Context) {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				// The signal comes 30 seconds into the step.
				go func() {
					<-clk.NewTimer(30 * time.Second).C()
					cancel()
				}()
				res = Run(ctx, planOf(renameFilter("web", "tmf-1", "web2")), c, o, nil)
			})
			want := []Failure{{Step: stepID(plan.FilterAddr("web"), plan.OpUpdateFilter), Address: plan.FilterAddr("web"), Message: tc.want}}
			if diff := cmp.Diff(want, res.Failed); diff != "" {
				t.Errorf("%s\nfailed (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

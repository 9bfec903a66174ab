package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/planfile"
	"github.com/tmsync/tmsync/internal/spec"
)

// TestPlanSaved: a saved plan is refused when made for something else or
// expired, found applied when nothing is left to do, resumed when live
// state is what it expected, and stale otherwise.
func TestPlanSaved(t *testing.T) {
	owned := func(id, key string) cloud.Filter {
		return cloud.Filter{ID: id, Tags: cloud.Tags{cloud.TagStack: "b", cloud.TagKey: key, cloud.TagApplied: "abcdefghijkl"}}
	}
	cases := map[string]struct {
		reason  string
		version string
		after   time.Duration  // from the plan's making to its apply
		live    []cloud.Filter // live filters of cn-hangzhou at apply
		err     error          // errors.Is
		plan    bool           // the run has steps to apply
		fresh   bool           // the run says what would be done instead
	}{
		"Resumed": {
			reason: "Live state as the plan saw it: every step is still to do.",
			live:   []cloud.Filter{owned("tmf-b", "x")},
			plan:   true,
			fresh:  true,
		},
		"AlreadyApplied": {
			reason: "Live state already equals the desired state: nothing to do.",
			fresh:  true,
		},
		"Stale": {
			reason: "Live state changed in a way the plan did not foresee.",
			live:   []cloud.Filter{owned("tmf-b2", "z")},
			err:    ErrStale,
			fresh:  true,
		},
		"Foreign": {
			reason:  "A plan made by another version is refused before live state is read.",
			version: "v2",
			live:    []cloud.Filter{owned("tmf-b", "x")},
			err:     planfile.ErrForeign,
		},
		"Expired": {
			reason: "An expired plan is refused.",
			after:  2 * planfile.DefaultTTL,
			live:   []cloud.Filter{owned("tmf-b", "x")},
			err:    planfile.ErrExpired,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeCloud()
			f.live["cn-hangzhou"] = []cloud.Filter{owned("tmf-b", "x")}
			clock := newFakeClock()
			version := "v1"
			if tc.version != "" {
				version = tc.version
			}
			e := testEngine(t, f, Options{Version: version, Clock: clock})
			st := &spec.Stack{Name: "b", Region: "cn-hangzhou"}
			r := e.Plan(context.Background(), []*spec.Stack{st}, nil)[0]
			r.Release()
			if r.Err != nil || len(r.Plan.Steps) == 0 {
				t.Fatalf("plan to save: %v, %d steps; want the delete of filter x", r.Err, len(r.Plan.Steps))
			}
			file := planfile.New(r.Plan, st, r.Snapshot, e.opts.Plan, "v1", clock.Now())
			clock.NewTimer(tc.after)
			f.live["cn-hangzhou"] = tc.live

			got := e.PlanSaved(context.Background(), file, nil)
			defer got.Release()
			if !errors.Is(got.Err, tc.err) || (tc.err == nil) != (got.Err == nil) {
				t.Errorf("%s\nPlanSaved(): error %v, want %v", tc.reason, got.Err, tc.err)
			}
			if (got.Plan != nil) != tc.plan {
				t.Errorf("%s\nPlanSaved(): plan %v, want one: %v", tc.reason, got.Plan, tc.plan)
			}
			if tc.plan {
				if diff := cmp.Diff(len(file.Plan.Steps), len(got.Plan.Steps)); diff != "" {
					t.Errorf("%s\nPlanSaved(): steps to do -want +got:\n%s", tc.reason, diff)
				}
				if got.Plan.Steps[0].ClientToken != file.Plan.Steps[0].ClientToken {
					t.Errorf("%s\nPlanSaved(): the resumed step has token %q, want the saved %q", tc.reason, got.Plan.Steps[0].ClientToken, file.Plan.Steps[0].ClientToken)
				}
			}
			if (got.Saved.Fresh != nil) != tc.fresh {
				t.Errorf("%s\nPlanSaved(): fresh plan %v, want one: %v", tc.reason, got.Saved.Fresh, tc.fresh)
			}
		})
	}
}

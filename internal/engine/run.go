package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/traffic"
)

// A Run is one stack's part of a run: what planning it made, then what
// applying it did. Its client and lock are held until Release.
type Run struct {
	Stack    *spec.Stack
	Client   cloud.Client    // nil when it could not be opened
	Snapshot *cloud.Snapshot // live state the plan was computed from
	Plan     *plan.Plan      // nil when the stack could not be planned
	// PlanOptions are the options Plan was computed with; a saved plan
	// keeps them to compute it again.
	PlanOptions plan.Options
	// Err says why the stack could not be planned, or what went wrong
	// around its apply (the journal). Failed steps are in Result.
	Err error

	// Result is what apply did; nil until the run was applied.
	Result *apply.Result
	// Converged says live state equalled the spec after the apply;
	// otherwise Remaining is what a plan made then would still do (nil
	// when live state could not be read or planned).
	Converged bool
	Remaining *plan.Plan

	// Saved is set for the run of a saved plan.
	Saved *Saved

	close  func() error
	unlock func()
	used   map[string]bool // tokens of creates the journal saw finish
}

// A NotConvergedError says an apply whose steps all succeeded left live
// state different from the spec: a duplicate, or any other difference,
// made by another run applying the stack or a change made meanwhile.
type NotConvergedError struct {
	Stack, Region string
	// Remaining lists the addresses a plan made after the apply changes;
	// empty when live state could not be read or planned.
	Remaining []plan.Addr
	Err       error // why live state could not be checked, if so
}

func (e *NotConvergedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("stack %s in %s: could not check that the apply converged: %v", e.Stack, e.Region, e.Err)
	}
	names := make([]string, 0, len(e.Remaining))
	for i, a := range e.Remaining {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(e.Remaining)-i))
			break
		}
		names = append(names, a.String())
	}
	return fmt.Sprintf("stack %s in %s did not converge: after the apply, %s still differ from the spec; another run may be applying the stack, or something changed it meanwhile",
		e.Stack, e.Region, strings.Join(names, ", "))
}

// Release closes the run's client and releases its lock.
func (r *Run) Release() {
	if r.close != nil {
		r.close()
	}
	if r.unlock != nil {
		r.unlock()
	}
}

// Applied counts the changes of the plan whose steps all ran.
func (r *Run) Applied() (add, change, destroy int) {
	if r.Plan == nil || r.Result == nil {
		return 0, 0, 0
	}
	return countApplied(r.Plan, r.Result)
}

// Plan opens a client for each stack and, with Options.Lock, takes every
// lock first, then reads live state once per account and region (stacks
// there share one snapshot), then plans each stack with the others of the
// run in view. It returns one run per stack, in order; a stack that failed
// keeps its error in Err. obs, if not nil, gets the ReadRetrying events of
// the reads and a Planned event per stack.
func (e *Engine) Plan(ctx context.Context, stacks []*spec.Stack, obs Observer) []*Run {
	runs := e.prepareAll(ctx, stacks, e.opts.Lock, time.Time{}, obs)
	if obs != nil {
		for _, r := range runs {
			obs(Event{Type: Planned, Run: r})
		}
	}
	return runs
}

// Drift plans each stack on its own, as tmsync drift reports them: with
// no lock, no other stack in view and a read of live state per stack.
// Each run is released at once; only its plan or error is kept. obs gets
// events as with Plan.
func (e *Engine) Drift(ctx context.Context, stacks []*spec.Stack, obs Observer) []*Run {
	runs := make([]*Run, 0, len(stacks))
	unreachableBy := e.clock.Now().Add(UnreachableFor)
	for _, st := range stacks {
		r := e.prepareAll(ctx, []*spec.Stack{st}, false, unreachableBy, obs)[0]
		r.Release()
		if obs != nil {
			obs(Event{Type: Planned, Run: r})
		}
		runs = append(runs, r)
	}
	return runs
}

// prepareAll opens a client for each stack and takes every lock first, then
// reads live state once per account and region (stacks there share one
// snapshot), then plans each stack. Runs whose stack failed keep the error
// in Err. An endpoint that cannot be reached is given up on at
// unreachableBy, or UnreachableFor after the locks are taken when it is
// zero; obs, if not nil, is told of every retry of a read.
func (e *Engine) prepareAll(ctx context.Context, stacks []*spec.Stack, lock bool, unreachableBy time.Time, obs Observer) []*Run {
	o := e.opts
	runs := make([]*Run, len(stacks))
	note := func(r *Run, err error) {
		r.Err = err
	}
	for i, st := range stacks {
		r := &Run{Stack: st}
		runs[i] = r
		c, closeFn, err := o.Open(ctx, st.Region, st.Profile)
		if err != nil {
			note(r, err)
			continue
		}
		r.Client, r.close = c, closeFn
		if lock {
			unlock, err := e.lockStack(ctx, o.LockDir, st.Name, st.Region, o.LockTimeout)
			if err != nil {
				note(r, err)
				continue
			}
			r.unlock = unlock
		}
	}
	if unreachableBy.IsZero() {
		unreachableBy = e.clock.Now().Add(UnreachableFor)
	}
	snaps := map[string]*cloud.Snapshot{}
	// A read that failed is not tried again for the other stacks of its
	// account and region: they get its error.
	failed := map[string]error{}
	for _, r := range runs {
		if r.Err != nil {
			continue
		}
		key := accountRegion(r.Stack)
		if err := failed[key]; err != nil {
			note(r, err)
			continue
		}
		if snaps[key] == nil {
			snap, err := e.readToPlan(ctx, r, stacksOf(stacks, key), unreachableBy, obs)
			if err != nil {
				failed[key] = fmt.Errorf("read live state of %s: %w", r.Stack.Region, err)
				note(r, failed[key])
				continue
			}
			snaps[key] = snap
		}
		r.Snapshot = snaps[key]
		po := o.Plan
		po.Endpoint = r.Client.Endpoint()
		po.Reserved = reservePriorities(stacks)[r.Stack.Name]
		po.Siblings = siblings(stacks, r.Stack)
		p, err := plan.Compute(r.Stack, r.Snapshot, po)
		if err != nil {
			note(r, fmt.Errorf("stack %s: %w", r.Stack.Name, err))
			continue
		}
		// What the plan changes in mirrored traffic is worked out beside
		// it, from the same inputs, so that Compute stays as fast as it is.
		p.Traffic = traffic.ForPlan(r.Stack, r.Snapshot, p)
		r.Plan, r.PlanOptions = p, po
	}
	checkSessionsPerSource(runs)
	return runs
}

// checkSessionsPerSource checks limits.sessionsPerSource over the sources
// of every stack of the run in one account and region, selectors resolved:
// an ENI that selectors of several stacks take must not end up in more
// sessions than the limit allows. Runs over it get an error.
func checkSessionsPerSource(runs []*Run) {
	type key struct{ ar, eni string }
	count := map[key]int{}
	for _, r := range runs {
		if r.Plan == nil {
			continue
		}
		for _, srcs := range r.Plan.DesiredSources() {
			for _, id := range srcs {
				count[key{accountRegion(r.Stack), id}]++
			}
		}
	}
	for _, r := range runs {
		lim := r.Stack.Limits.SessionsPerSource
		if r.Plan == nil || lim <= 0 {
			continue
		}
		var over []string
		for session, srcs := range r.Plan.DesiredSources() {
			for _, id := range srcs {
				if n := count[key{accountRegion(r.Stack), id}]; n > lim {
					over = append(over, fmt.Sprintf("%s in %d sessions (session.%s)", id, n, session))
				}
			}
		}
		if len(over) > 0 {
			sort.Strings(over)
			r.Err = fmt.Errorf("stack %s: limits.sessionsPerSource is %d, and the run puts %s",
				r.Stack.Name, lim, strings.Join(over, ", "))
			r.Plan = nil
		}
	}
}

// stacksOf returns the stacks of the account and region key.
func stacksOf(stacks []*spec.Stack, key string) []*spec.Stack {
	var out []*spec.Stack
	for _, st := range stacks {
		if accountRegion(st) == key {
			out = append(out, st)
		}
	}
	return out
}

// accountRegion keys what stacks of one account and region share: a
// snapshot of live state and a rate limiter. The spec's profile stands for
// the account.
func accountRegion(st *spec.Stack) string {
	return st.Region + "\x00" + st.Profile
}

// siblings names the other stacks of the run: their objects are not
// reported as unmanaged.
func siblings(stacks []*spec.Stack, self *spec.Stack) []string {
	var out []string
	for _, s := range stacks {
		if s != self {
			out = append(out, s.Name)
		}
	}
	return out
}

// reservePriorities tells each stack which session priorities the other
// stacks of the run want in the same region, so collisions are caught at
// plan time.
func reservePriorities(stacks []*spec.Stack) map[string]map[int]string {
	out := map[string]map[int]string{}
	for _, s := range stacks {
		m := map[int]string{}
		for _, o := range stacks {
			if o == s || o.Region != s.Region {
				continue
			}
			for _, x := range o.Sessions {
				if x.Split != nil {
					// A group may take any priority of its range.
					for p := x.Split.From; p <= x.Split.To; p++ {
						m[p] = "stack " + o.Name + " session group " + x.Key
					}
					continue
				}
				m[x.Priority] = "stack " + o.Name + " session." + x.Key
			}
		}
		out[s.Name] = m
	}
	return out
}

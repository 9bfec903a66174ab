package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
)

// Apply applies the plan of each run, at most Options.StackParallelism
// stacks at once, stacks of one account and region under one rate limit
// (C8), and fills in each run's Result, Converged and Err. Runs that carry
// an error or no plan are left alone. It returns when every stack is done;
// obs, if not nil, gets each stack's events, ending with StackDone.
func (e *Engine) Apply(ctx context.Context, runs []*Run, obs Observer) {
	var obsMu sync.Mutex
	emit := func(ev Event) {
		if obs == nil {
			return
		}
		obsMu.Lock()
		defer obsMu.Unlock()
		obs(ev)
	}
	sem := make(chan struct{}, max(1, e.opts.StackParallelism))
	var wg sync.WaitGroup
	for _, r := range runs {
		if r.Err != nil || r.Plan == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			emit(Event{Type: ApplyStarted, Run: r})
			r.Err = e.executeJournaled(ctx, r, r.Plan, emit)
			emit(Event{Type: StackDone, Run: r})
		}()
	}
	wg.Wait()
}

// quota returns the quota gate of key, made on first use: one per account
// and region for the engine's life, as the API's quotas are.
func (e *Engine) quota(key string) *apply.QuotaGate {
	e.limMu.Lock()
	defer e.limMu.Unlock()
	if e.quotas[key] == nil {
		e.quotas[key] = apply.NewQuotaGate()
	}
	return e.quotas[key]
}

// limiter returns the rate limiter of key, made on first use: one per
// account and region for the engine's life.
func (e *Engine) limiter(key string) *apply.Limiter {
	e.limMu.Lock()
	defer e.limMu.Unlock()
	if e.limiters[key] == nil {
		e.limiters[key] = apply.NewClockLimiter(e.clock, e.opts.MaxRPS)
	}
	return e.limiters[key]
}

// executeJournaled runs p after taking the tokens of unfinished creates of
// a killed earlier run and moving creates off tokens already used, and
// records what it ran in the stack's journal.
func (e *Engine) executeJournaled(ctx context.Context, r *Run, p *plan.Plan, emit Observer) error {
	o := e.opts
	if o.Apply.DryRun {
		_, err := e.execute(ctx, r, p, emit)
		return err
	}
	jpath := journalPath(o.LockDir, r.Stack.Name, r.Stack.Region)
	j := readJournal(jpath)
	// The journal is a hint (C5): creates an interrupted run sent go with
	// the tokens it sent them with, and tokens of creates that finished
	// here before tell apply at once that a replayed answer names a
	// deleted object. Tokens themselves are the plan's, the same on every
	// machine.
	plan.ReuseTokens(p, j.Pending, r.Snapshot)
	r.used = j.used()
	j.Pending = append(j.Pending, p.Steps...)
	if err := j.write(jpath); err != nil {
		return fmt.Errorf("record the apply in %s: %w", jpath, err)
	}
	res, err := e.execute(ctx, r, p, emit)
	j.finished(p, res, res.OK())
	if werr := j.write(jpath); werr != nil {
		return fmt.Errorf("record the apply in %s: %w", jpath, werr)
	}
	return err
}

// execute runs p and checks whether the stack converged; it is shared by
// fresh and saved plans. Its error is a *NotConvergedError when every step
// succeeded but live state still differs from the spec.
func (e *Engine) execute(ctx context.Context, r *Run, p *plan.Plan, emit Observer) (*apply.Result, error) {
	o := e.opts
	ao := o.Apply
	ao.Limiter = e.limiter(accountRegion(r.Stack))
	ao.Quota = e.quota(accountRegion(r.Stack))
	ao.Used = r.used
	if ao.Clock == nil {
		ao.Clock = e.clock
	}
	obs := func(ev apply.Event) {
		emit(Event{Type: StepEvent, Run: r, Step: ev})
	}
	res := apply.Run(ctx, p, r.Client, ao, obs)
	r.Result = res
	if ao.DryRun {
		emit(Event{Type: DryRunChecked, Run: r})
		return res, nil
	}
	// Read live state once more to say whether the stack converged: a
	// duplicate made by another run, or any other difference, is not.
	snap, err := e.readState(ctx, r.Client, []*spec.Stack{r.Stack})
	var again *plan.Plan
	if err == nil {
		po := o.Plan
		po.Endpoint = r.Client.Endpoint()
		again, err = plan.Compute(r.Stack, snap, po)
	}
	r.Converged = err == nil && again.Empty()
	r.Remaining = again
	if r.Converged {
		emit(Event{Type: Converged, Run: r})
		return res, nil
	}
	var nerr error
	if res.OK() && ctx.Err() == nil {
		nc := &NotConvergedError{Stack: r.Stack.Name, Region: r.Stack.Region, Err: err}
		if again != nil {
			seen := map[plan.Addr]bool{}
			for _, s := range again.Steps {
				if a := s.Addr(); !seen[a] {
					seen[a] = true
					nc.Remaining = append(nc.Remaining, a)
				}
			}
		}
		nerr = nc
	}
	emit(Event{Type: NotConverged, Run: r})
	return res, nerr
}

// countApplied counts the changes whose steps all ran: a change counts
// only when every step of its unit (a filter with its rules, a session)
// finished, so that a failed filter create does not count its rules as
// added.
func countApplied(p *plan.Plan, res *apply.Result) (add, change, destroy int) {
	done := map[plan.StepID]bool{}
	for _, id := range res.Applied {
		done[id] = true
	}
	failed := map[plan.Addr]bool{}
	for _, s := range p.Steps {
		if !done[s.ID] {
			failed[s.Unit] = true
		}
	}
	var sum plan.Summary
	for _, c := range p.Changes {
		if !failed[c.Addr.Unit()] {
			sum.Count(c.Action)
		}
	}
	return sum.Add, sum.Change, sum.Destroy
}

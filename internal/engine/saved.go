package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/planfile"
	"github.com/tmsync/tmsync/internal/spec"
)

// ErrStale says live state changed since a plan was saved in a way the
// plan did not foresee: its remaining steps would change.
var ErrStale = errors.New("the saved plan is stale: its remaining steps would change")

// A Saved is how a saved plan stands against live state now (C9).
type Saved struct {
	File *planfile.File
	// Fresh is the plan of the file's desired state against live state
	// now. When it is empty the saved plan is applied already, and the
	// run has no plan; when the run's Err is ErrStale, Fresh is what
	// applying now would do instead.
	Fresh *plan.Plan
	// Done is how many steps of the saved plan were found applied: the
	// run's plan is the rest.
	Done int
}

// PlanSaved prepares the apply of a saved plan: it refuses a plan made for
// another endpoint, region, stack or version, or expired; takes the
// stack's lock; reads live state; and resumes the plan on it. The run's
// Plan is the steps still to do, for Apply; it always takes the lock. obs,
// if not nil, gets the ReadRetrying events of the read.
func (e *Engine) PlanSaved(ctx context.Context, f *planfile.File, obs Observer) *Run {
	r := &Run{Stack: f.Desired, Saved: &Saved{File: f}}
	r.Err = e.prepareSaved(ctx, r, f, obs)
	return r
}

func (e *Engine) prepareSaved(ctx context.Context, r *Run, f *planfile.File, obs Observer) error {
	o := e.opts
	c, closeFn, err := o.Open(ctx, f.Region, f.Desired.Profile)
	if err != nil {
		return err
	}
	r.Client, r.close = c, closeFn
	if err := f.Check(c.Endpoint(), f.Region, f.Stack, o.Version, e.clock.Now()); err != nil {
		return fmt.Errorf("saved plan for stack %s: %w", f.Stack, err)
	}
	unlock, err := e.lockStack(ctx, o.LockDir, f.Stack, f.Region, o.LockTimeout)
	if err != nil {
		return err
	}
	r.unlock = unlock
	if r.Snapshot, err = e.readToPlan(ctx, r, []*spec.Stack{f.Desired}, e.clock.Now().Add(UnreachableFor), obs); err != nil {
		return fmt.Errorf("read live state of %s: %w", f.Region, err)
	}
	po := f.Options.PlanOptions(c.Endpoint())
	fresh, err := plan.Compute(f.Desired, r.Snapshot, po)
	if err != nil {
		return fmt.Errorf("stack %s: %w", f.Stack, err)
	}
	r.Saved.Fresh = fresh
	if fresh.Empty() {
		return nil
	}
	rest, ok := plan.Resume(f.Plan, fresh, r.Snapshot)
	if !ok {
		return ErrStale
	}
	r.Saved.Done = len(f.Plan.Steps) - len(rest.Steps)
	r.Plan = rest
	return nil
}

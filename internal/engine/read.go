package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// UnreachableFor is how long the reads before a plan keep retrying an
// endpoint that cannot be reached at all (the connection refused, the
// host name not found, no route): long enough to ride out a blip, short
// enough that a wrong endpoint or no network ends the run in seconds rather
// than after the step timeout. Nothing has been changed at that point, so
// giving up is safe; writes and the reads after them retry for the step
// timeout instead. The time is shared by all reads of one call of Plan,
// Drift or PlanSaved.
const UnreachableFor = 10 * time.Second

// readOptions shape one read of live state.
type readOptions struct {
	// unreachableBy, when set, is when to stop retrying an endpoint that
	// cannot be reached at all.
	unreachableBy time.Time
	// retried, when set, is told of every retry.
	retried func(*Retry)
}

// readToPlan is readState for the reads a plan is computed from: an
// endpoint that cannot be reached at all is given up on at unreachableBy,
// with an error that names it, and every retry is reported to obs as a
// ReadRetrying event of r.
func (e *Engine) readToPlan(ctx context.Context, r *Run, stacks []*spec.Stack, unreachableBy time.Time, obs Observer) (*cloud.Snapshot, error) {
	ro := readOptions{unreachableBy: unreachableBy}
	if obs != nil {
		ro.retried = func(rt *Retry) { obs(Event{Type: ReadRetrying, Run: r, Retry: rt}) }
	}
	return e.readStateWith(ctx, r.Client, stacks, ro)
}

// retryRead calls read until it succeeds or fails for good: what the API
// refuses only for now (throttling, 5xx, SystemBusy, network errors) is sent
// again with backoff and jitter, as apply does for writes, for up to the
// step timeout; an endpoint that cannot be reached at all, until
// ro.unreachableBy if it is set, with an *cloud.UnreachableError then. The
// client itself never retries.
func retryRead[T any](e *Engine, ctx context.Context, c cloud.Client, ro readOptions, read func(context.Context) (T, error)) (T, error) {
	var none T
	base, most, limit := e.opts.Apply.RetryBase, e.opts.Apply.RetryMax, e.opts.Apply.Timeout
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	if most <= 0 {
		most = 10 * time.Second
	}
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	start := e.clock.Now()
	deadline := start.Add(limit)
	for attempt, wait := 1, base; ; attempt, wait = attempt+1, min(wait*2, most) {
		out, err := read(ctx)
		if err == nil || !cloud.KindOf(err).Retryable() {
			return out, err
		}
		d := wait/2 + e.jitter(wait/2+1)
		now := e.clock.Now()
		failure := cloud.Unreachable(err)
		giveUp := deadline
		if failure != cloud.NotUnreachable && !ro.unreachableBy.IsZero() && ro.unreachableBy.Before(giveUp) {
			giveUp = ro.unreachableBy
		}
		if now.Add(d).After(giveUp) {
			if failure != cloud.NotUnreachable {
				return none, fmt.Errorf("%w; gave up after %d attempts in %s",
					&cloud.UnreachableError{Endpoint: c.Endpoint(), Failure: failure, Err: err}, attempt, now.Sub(start).Round(100*time.Millisecond))
			}
			return none, err
		}
		if ro.retried != nil {
			ro.retried(&Retry{Region: c.Region(), Endpoint: c.Endpoint(), Attempt: attempt, Elapsed: now.Sub(start), Wait: d, Err: err})
		}
		select {
		case <-ctx.Done():
			return none, err
		case <-after(e.clock, d):
		}
	}
}

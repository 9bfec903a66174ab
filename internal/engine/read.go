package engine

import (
	"context"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
)

// readLive reads the live state of c's region as cloud.ReadSnapshot does,
// retrying what the API refuses only for now (throttling, 5xx, SystemBusy,
// network errors) with backoff and jitter, as apply does for writes, for up
// to the step timeout. The client itself never retries.
func (e *Engine) readLive(ctx context.Context, c cloud.Client) (*cloud.Snapshot, error) {
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
	deadline := e.clock.Now().Add(limit)
	for wait := base; ; wait = min(wait*2, most) {
		snap, err := cloud.ReadSnapshot(ctx, c)
		if err == nil || !cloud.KindOf(err).Retryable() {
			return snap, err
		}
		d := wait/2 + e.jitter(wait/2+1)
		if e.clock.Now().Add(d).After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-after(e.clock, d):
		}
	}
}

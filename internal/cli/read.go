package cli

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
)

// readLive reads the live state of c's region as cloud.ReadSnapshot does,
// retrying what the API refuses only for now (throttling, 5xx, SystemBusy,
// network errors) with backoff and jitter, as apply does for writes, for up
// to the step timeout. The client itself never retries.
func readLive(ctx context.Context, c cloud.Client, o runOptions) (*cloud.Snapshot, error) {
	base, most, limit := o.apply.RetryBase, o.apply.RetryMax, o.apply.Timeout
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	if most <= 0 {
		most = 10 * time.Second
	}
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for wait := base; ; wait = min(wait*2, most) {
		snap, err := cloud.ReadSnapshot(ctx, c)
		if err == nil || !cloud.KindOf(err).Retryable() {
			return snap, err
		}
		d := wait/2 + rand.N(wait/2+1)
		if time.Now().Add(d).After(deadline) {
			return nil, err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

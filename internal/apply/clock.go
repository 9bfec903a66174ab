package apply

import (
	"context"
	"sync"
	"time"
)

// A Clock tells the time and waits. Run, its poller and a Limiter take every
// reading of the time and every wait from one, so that a test can drive
// retries, backoff, polling, step timeouts and the gone-after deadline
// without waiting itself. RealClock is the default.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed; d <= 0 fires at once.
	NewTimer(d time.Duration) Timer
}

// A Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop keeps the timer from firing; it reports whether it did so.
	Stop() bool
}

// RealClock is the time of the machine.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer.
func (RealClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }

// sleep waits d on c, or until ctx ends.
func sleep(ctx context.Context, c Clock, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

// withTimeout is context.WithTimeout on the clock c: the context ends with
// context.DeadlineExceeded once d has passed on c, or when parent ends.
func withTimeout(parent context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx := &deadlineCtx{Context: parent, deadline: c.Now().Add(d), done: make(chan struct{})}
	if pd, ok := parent.Deadline(); ok && pd.Before(ctx.deadline) {
		ctx.deadline = pd
	}
	t := c.NewTimer(d)
	go func() {
		defer t.Stop()
		select {
		case <-parent.Done():
			ctx.end(parent.Err())
		case <-t.C():
			ctx.end(context.DeadlineExceeded)
		case <-ctx.done:
		}
	}()
	return ctx, func() { ctx.end(context.Canceled) }
}

// A deadlineCtx ends at a deadline of a Clock. It keeps its parent for
// values only: it has a Done channel and error of its own, so contexts made
// from it end with its error, as those made from context.WithTimeout do.
type deadlineCtx struct {
	context.Context
	deadline time.Time
	done     chan struct{}
	mu       sync.Mutex
	err      error
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *deadlineCtx) Done() <-chan struct{}       { return c.done }

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *deadlineCtx) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

package apply

import (
	"context"
	"sync"
	"time"
)

// A Limiter spaces calls to at most rps a second. One Limiter is shared by
// every stack of an account and region in a process.
type Limiter struct {
	clock Clock
	mu    sync.Mutex
	gap   time.Duration
	next  time.Time
}

// NewLimiter returns a limiter of rps calls a second on the real clock;
// rps <= 0 is unlimited.
func NewLimiter(rps float64) *Limiter { return NewClockLimiter(RealClock{}, rps) }

// NewClockLimiter returns a limiter of rps calls a second that tells time
// and waits by c; rps <= 0 is unlimited.
func NewClockLimiter(c Clock, rps float64) *Limiter {
	if rps <= 0 {
		return &Limiter{clock: c}
	}
	return &Limiter{clock: c, gap: time.Duration(float64(time.Second) / rps)}
}

// Wait blocks until the next call may go.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil || l.gap == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.clock.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.gap)
	l.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return sleep(ctx, l.clock, d)
	}
	return nil
}

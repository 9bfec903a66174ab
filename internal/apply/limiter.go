package apply

import (
	"context"
	"sync"
	"time"
)

// A Limiter spaces calls to at most rps a second. One Limiter is shared by
// every stack of an account and region in a process.
type Limiter struct {
	mu   sync.Mutex
	gap  time.Duration
	next time.Time
}

// NewLimiter returns a limiter of rps calls a second; rps <= 0 is unlimited.
func NewLimiter(rps float64) *Limiter {
	if rps <= 0 {
		return &Limiter{}
	}
	return &Limiter{gap: time.Duration(float64(time.Second) / rps)}
}

// Wait blocks until the next call may go.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil || l.gap == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.gap)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		return sleep(ctx, d)
	}
	return nil
}

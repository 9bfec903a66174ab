package apply

import (
	"context"
	"math/rand"
	"sync"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// A sighting is what one List round showed of a waited-for object.
type sighting struct {
	done bool // the wait is over
	// absent says List does not show the object (for a rule, its filter).
	absent bool
	status string // what to report meanwhile
	// stale says the object settled without what the step wrote: the
	// API replayed an earlier write with the same token.
	stale bool
	// gone says a created object is known deleted: the wait is over.
	gone bool
}

// A condition looks at what List shows of an object (nil when absent).
type condition func(f *cloud.Filter, s *cloud.Session) sighting

type waitKey struct {
	kind plan.Kind
	id   string
}

type waiter struct {
	kind     plan.Kind // plan.KindFilter or plan.KindSession: the List that shows it
	id       string
	cond     condition
	next     time.Time
	interval time.Duration
	last     sighting
	done     chan struct{}
}

// A poller serves every waiting step with shared List calls: each round
// reads all the IDs waited for, up to 100 a call (C8).
type poller struct {
	c        cloud.Client
	lim      *Limiter
	clock    Clock
	initial  time.Duration
	max      time.Duration
	rng      *rand.Rand
	mu       sync.Mutex
	waiters  map[*waiter]bool
	wake     chan struct{}
	pollErrs int
}

func newPoller(c cloud.Client, lim *Limiter, clock Clock, initial, max time.Duration, seed int64) *poller {
	return &poller{c: c, lim: lim, clock: clock, initial: initial, max: max, rng: rand.New(rand.NewSource(seed)),
		waiters: map[*waiter]bool{}, wake: make(chan struct{}, 1)}
}

// wait blocks until cond holds for the object or ctx ends; it returns the
// last sighting.
func (p *poller) wait(ctx context.Context, kind plan.Kind, id string, cond condition) (sighting, error) {
	w := &waiter{kind: kind, id: id, cond: cond, interval: p.initial, done: make(chan struct{})}
	w.next = p.clock.Now().Add(p.initial)
	p.mu.Lock()
	p.waiters[w] = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	select {
	case <-w.done:
		return w.last, nil
	case <-ctx.Done():
		p.mu.Lock()
		delete(p.waiters, w)
		last := w.last
		p.mu.Unlock()
		return last, ctx.Err()
	}
}

// run polls until ctx ends.
func (p *poller) run(ctx context.Context) {
	for {
		p.mu.Lock()
		var earliest time.Time
		for w := range p.waiters {
			if earliest.IsZero() || w.next.Before(earliest) {
				earliest = w.next
			}
		}
		p.mu.Unlock()
		var timer <-chan time.Time
		var t Timer
		if !earliest.IsZero() {
			t = p.clock.NewTimer(earliest.Sub(p.clock.Now()))
			timer = t.C()
		}
		fired := false
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-timer:
			fired = true
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		if fired {
			p.round(ctx)
		}
	}
}

func (p *poller) round(ctx context.Context) {
	now := p.clock.Now()
	// A round reads the objects of the waiters due now and of those due
	// within a quarter interval, which share the call: they finish early
	// when their object is ready and keep their turn when it is not. The
	// rest are not read: their answer would be thrown away, and decoding
	// hundreds of them a round cost more than the writes (make bench).
	horizon := now.Add(p.initial / 4)
	p.mu.Lock()
	ids := map[plan.Kind][]string{}
	seen := map[waitKey]bool{}
	listed := map[*waiter]bool{}
	anyDue := false
	for w := range p.waiters {
		if !w.next.After(now) {
			anyDue = true
		}
		if w.next.After(horizon) {
			continue
		}
		listed[w] = true
		if !seen[waitKey{w.kind, w.id}] {
			seen[waitKey{w.kind, w.id}] = true
			ids[w.kind] = append(ids[w.kind], w.id)
		}
	}
	p.mu.Unlock()
	if !anyDue {
		return
	}
	filters := map[string]*cloud.Filter{}
	sessions := map[string]*cloud.Session{}
	ok := true
	if len(ids[plan.KindFilter]) > 0 {
		if err := p.lim.Wait(ctx); err != nil {
			return
		}
		fs, err := p.c.ListFilters(ctx, cloud.ListFiltersInput{IDs: ids[plan.KindFilter]})
		if err != nil {
			ok = false
		}
		for i := range fs {
			filters[fs[i].ID] = &fs[i]
		}
	}
	if len(ids[plan.KindSession]) > 0 {
		if err := p.lim.Wait(ctx); err != nil {
			return
		}
		ss, err := p.c.ListSessions(ctx, cloud.ListSessionsInput{IDs: ids[plan.KindSession]})
		if err != nil {
			ok = false
		}
		for i := range ss {
			sessions[ss[i].ID] = &ss[i]
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for w := range p.waiters {
		if !listed[w] {
			continue
		}
		if ok {
			if w.kind == plan.KindFilter {
				w.last = w.cond(filters[w.id], nil)
			} else {
				w.last = w.cond(nil, sessions[w.id])
			}
			if w.last.done {
				delete(p.waiters, w)
				close(w.done)
				continue
			}
		}
		if w.next.After(now) {
			continue
		}
		// Back off with jitter so that many waiters spread out.
		w.interval = min(p.max, w.interval*3/2)
		jitter := time.Duration(p.rng.Int63n(int64(w.interval)/4 + 1))
		w.next = now.Add(w.interval + jitter)
	}
}

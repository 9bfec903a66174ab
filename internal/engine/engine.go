package engine

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// A Clock tells the time and waits: the one apply takes, so that a run has
// one clock. Tests give a fake one.
type Clock = apply.Clock

// An OpenFunc returns a client of region for a stack whose spec names
// profile (empty: none), and a function that releases the client.
type OpenFunc func(ctx context.Context, region, profile string) (cloud.Client, func() error, error)

// Options configure an Engine.
type Options struct {
	// Open makes the client of each stack; it is the only way the engine
	// reaches the cloud.
	Open OpenFunc
	// Plan are the options of every stack's plan; Endpoint, Reserved and
	// Siblings are filled in per stack.
	Plan plan.Options
	// Apply are the options of every stack's apply. Its Limiter is
	// ignored: the engine shares one per account and region. RetryBase,
	// RetryMax and Timeout also bound the retries of reads.
	Apply apply.Options
	// MaxRPS is the rate limit of API calls per account and region; 0 is
	// unlimited.
	MaxRPS float64
	// StackParallelism is how many stacks are applied at once; at least 1.
	StackParallelism int
	// Lock takes each stack's lock when it is planned, until Release: set
	// it for runs that apply.
	Lock bool
	// LockDir holds the locks and journals; empty is the locks directory
	// in the user cache directory.
	LockDir string
	// LockTimeout is how long to wait for another run's lock.
	LockTimeout time.Duration
	// Version is the tool's version; a saved plan of another is refused.
	Version string
	// Clock is the time of locks, retries, saved-plan expiry and, unless
	// Apply.Clock is set, of applying; nil is the machine's clock.
	Clock Clock
	// Rand draws the jitter of retries; nil is a source seeded from Clock.
	Rand rand.Source
}

// An Engine runs stacks with one set of options. Its rate limiters live as
// long as it does: every stack of one account and region it applies shares
// one.
type Engine struct {
	opts  Options
	clock Clock

	rngMu sync.Mutex
	rng   *rand.Rand

	limMu    sync.Mutex
	limiters map[string]*apply.Limiter
	quotas   map[string]*apply.QuotaGate
}

// New returns an engine with opts.
func New(opts Options) *Engine {
	e := &Engine{opts: opts, clock: opts.Clock, limiters: map[string]*apply.Limiter{}, quotas: map[string]*apply.QuotaGate{}}
	if e.clock == nil {
		e.clock = apply.RealClock{}
	}
	src := opts.Rand
	if src == nil {
		src = rand.NewPCG(uint64(e.clock.Now().UnixNano()), 0)
	}
	e.rng = rand.New(src)
	return e
}

// jitter returns a random duration in [0, n).
func (e *Engine) jitter(n time.Duration) time.Duration {
	e.rngMu.Lock()
	defer e.rngMu.Unlock()
	return time.Duration(e.rng.Int64N(int64(n)))
}

// after returns a channel that receives once d has passed on c. Its timer
// is not stopped: waits here are short and few.
func after(c Clock, d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

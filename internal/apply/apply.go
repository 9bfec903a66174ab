package apply

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// Options tune execution. Zero values take the defaults of C8.
type Options struct {
	Parallelism int           // steps sending calls at once (a wait holds no slot); default 10
	Limiter     *Limiter      // shared rate limit; nil is unlimited
	PollInitial time.Duration // first poll after a write; default 200ms
	PollMax     time.Duration // longest poll interval; default 5s
	RetryBase   time.Duration // first retry backoff; default 200ms
	RetryMax    time.Duration // longest retry backoff; default 10s
	Timeout     time.Duration // per step, call and wait; default 5m
	// GoneAfter is how long a created object may stay invisible to List
	// before its create is retried with the next token generation.
	GoneAfter time.Duration // default 1m
	// Quota is shared by the runs of one account and region: a create
	// refused for quota stops the creates of its kind there. Nil is a
	// gate of this run's own.
	Quota *QuotaGate
	// Used holds the tokens of creates that finished before (a journal's
	// hint, never needed for correctness): a replayed create with one of
	// them whose object List does not show is known deleted at once.
	Used   map[string]bool
	DryRun bool
	Seed   int64
	// Clock tells time and waits for the run and its poller; nil is the
	// real clock. A Limiter has a clock of its own.
	Clock Clock
}

func (o *Options) defaults() {
	if o.Quota == nil {
		o.Quota = NewQuotaGate()
	}
	if o.Parallelism <= 0 {
		o.Parallelism = 10
	}
	if o.PollInitial <= 0 {
		o.PollInitial = 200 * time.Millisecond
	}
	if o.PollMax <= 0 {
		o.PollMax = 5 * time.Second
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 200 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.GoneAfter <= 0 {
		o.GoneAfter = time.Minute
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
}

// A Failure is a step that failed, with the API's code and request ID.
type Failure struct {
	Step      plan.StepID `json:"step"`
	Address   plan.Addr   `json:"address"`
	Code      string      `json:"code,omitempty"`
	RequestID string      `json:"request_id,omitempty"`
	Message   string      `json:"message"`
}

// A LeftOut is a source the API refused (deleted, or in a status that
// cannot be mirrored), left out of its step's batch.
type LeftOut struct {
	Step    plan.StepID `json:"step"`
	Address plan.Addr   `json:"address"`
	ENI     string      `json:"eni"`
	Code    string      `json:"code,omitempty"`
	Message string      `json:"message"`
}

// A Skip is a step not run, and why.
type Skip struct {
	Step    plan.StepID `json:"step"`
	Address plan.Addr   `json:"address"`
	Because string      `json:"because"`
}

// A Result says what a run did; it is complete even when the run failed.
type Result struct {
	Applied      []plan.StepID          `json:"applied"`
	Failed       []Failure              `json:"failed"`
	Skipped      []Skip                 `json:"skipped"`
	Checked      []plan.StepID          `json:"checked,omitempty"`
	NotCheckable []Skip                 `json:"not_checkable,omitempty"`
	IDs          map[plan.StepID]string `json:"ids"` // step -> object ID
	// LeftOut lists the sources the API refused, left out of their batch
	// while the rest was added.
	LeftOut []LeftOut `json:"left_out,omitempty"`
	// Tokens holds, for a step that finished with another token than the
	// plan's (a later generation), the token it finished with.
	Tokens map[plan.StepID]string `json:"tokens,omitempty"`
}

// OK reports whether every step succeeded (or, in a dry run, was checked or
// not checkable).
func (r *Result) OK() bool { return len(r.Failed) == 0 && len(r.Skipped) == 0 }

type stepState struct {
	step   *plan.Step
	done   chan struct{}
	ok     bool
	reason string
}

type runner struct {
	c      cloud.Client
	opts   Options
	clock  Clock
	obs    Observer
	poll   *poller
	mu     sync.Mutex
	res    *Result
	states map[plan.StepID]*stepState
	early  map[plan.StepID]bool // steps sent ahead of their turn
	rngMu  sync.Mutex
	rng    *rand.Rand
}

// Run executes p with c. It returns when every step has finished, failed
// or been skipped, or ctx ends.
func Run(ctx context.Context, p *plan.Plan, c cloud.Client, opts Options, obs Observer) *Result {
	opts.defaults()
	if obs == nil {
		obs = func(Event) {}
	}
	r := &runner{c: c, opts: opts, clock: opts.Clock, res: &Result{Applied: []plan.StepID{}, Failed: []Failure{}, Skipped: []Skip{}, IDs: map[plan.StepID]string{}},
		states: map[plan.StepID]*stepState{}, early: map[plan.StepID]bool{}, rng: rand.New(rand.NewSource(opts.Seed + 1))}
	var obsMu sync.Mutex
	r.obs = func(e Event) {
		obsMu.Lock()
		defer obsMu.Unlock()
		e.Time = r.clock.Now()
		obs(e)
	}
	pctx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	r.poll = newPoller(c, opts.Limiter, opts.Clock, opts.PollInitial, opts.PollMax, opts.Seed)
	go r.poll.run(pctx)

	for i := range p.Steps {
		st := &p.Steps[i]
		r.states[st.ID] = &stepState{step: st, done: make(chan struct{})}
	}
	sem := make(chan struct{}, opts.Parallelism)
	var wg sync.WaitGroup
	for i := range p.Steps {
		st := r.states[p.Steps[i].ID]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(st.done)
			for _, d := range st.step.DependsOn {
				ds, ok := r.states[d]
				if !ok {
					continue // done in an earlier run of a saved plan
				}
				select {
				case <-ds.done:
				case <-ctx.Done():
					r.skip(st, "interrupted: "+ctx.Err().Error())
					return
				}
				// A dry run changes nothing, so what a step depends on
				// failing its check does not stop the step's own check.
				if !ds.ok && !opts.DryRun {
					r.skip(st, "depends on "+d.String()+", which "+ds.reason)
					return
				}
			}
			sl := &slot{sem: sem}
			if err := sl.acquire(ctx); err != nil {
				r.skip(st, "interrupted: "+err.Error())
				return
			}
			defer sl.release()
			if opts.DryRun {
				r.dryRun(ctx, st)
				return
			}
			r.execute(ctx, st, sl)
		}()
	}
	wg.Wait()
	plan.SortStepIDs(r.res.Applied)
	sort.Slice(r.res.Failed, func(i, j int) bool { return r.res.Failed[i].Step.Less(r.res.Failed[j].Step) })
	sort.Slice(r.res.Skipped, func(i, j int) bool { return r.res.Skipped[i].Step.Less(r.res.Skipped[j].Step) })
	plan.SortStepIDs(r.res.Checked)
	sort.Slice(r.res.NotCheckable, func(i, j int) bool { return r.res.NotCheckable[i].Step.Less(r.res.NotCheckable[j].Step) })
	return r.res
}

func (r *runner) skip(st *stepState, because string) {
	st.ok, st.reason = false, "was skipped"
	r.mu.Lock()
	r.res.Skipped = append(r.res.Skipped, Skip{Step: st.step.ID, Address: st.step.Addr(), Because: because})
	r.mu.Unlock()
	r.obs(Event{Type: StepSkipped, Step: st.step.ID, Address: st.step.Addr(), Op: st.step.Kind(), Message: because})
}

func (r *runner) fail(st *stepState, err error, elapsed time.Duration) {
	st.ok, st.reason = false, "failed"
	f := Failure{Step: st.step.ID, Address: st.step.Addr(), Message: err.Error()}
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		f.Code, f.RequestID = ae.Code, ae.RequestID
	}
	r.mu.Lock()
	r.res.Failed = append(r.res.Failed, f)
	r.mu.Unlock()
	r.obs(Event{Type: StepFailed, Step: st.step.ID, Address: st.step.Addr(), Op: st.step.Kind(), Elapsed: elapsed,
		Code: f.Code, RequestID: f.RequestID, Message: f.Message})
}

// resolve returns the object ID of ref: known, or made by an earlier step.
func (r *runner) resolve(ref plan.Ref) (string, error) {
	if ref.ID != "" {
		return ref.ID, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.res.IDs[ref.Step]
	if !ok {
		return "", fmt.Errorf("the ID made by step %s is not known", ref.Step)
	}
	return id, nil
}

func (r *runner) backoff(attempt int) time.Duration {
	d := r.opts.RetryBase << min(attempt, 16)
	if d > r.opts.RetryMax || d <= 0 {
		d = r.opts.RetryMax
	}
	r.rngMu.Lock()
	j := time.Duration(r.rng.Int63n(int64(d)/2 + 1))
	r.rngMu.Unlock()
	return d/2 + j
}

// listKind returns which List shows the object a step writes: sessions
// for session steps, else filters (a rule is read through its filter).
func listKind(st *plan.Step) plan.Kind {
	if st.Unit.Kind == plan.KindSession {
		return plan.KindSession
	}
	return plan.KindFilter
}

// A slot is one of the --parallelism slots. A step holds it while it sends
// calls and gives it back while it waits for the object to settle: waits
// cost no calls (the poller serves them all with shared Lists), so a slot
// held across one would idle while ready steps queue, and a converge of N
// objects would take N/parallelism async delays instead of one a level.
type slot struct {
	sem  chan struct{}
	held bool
}

func (s *slot) acquire(ctx context.Context) error {
	if s.held {
		return nil
	}
	select {
	case s.sem <- struct{}{}:
		s.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slot) release() {
	if s.held {
		s.held = false
		<-s.sem
	}
}

func (r *runner) execute(ctx context.Context, st *stepState, sl *slot) {
	s := st.step
	if why := r.opts.Quota.refused(s.Kind()); why != "" && s.Kind().Creates() {
		r.skip(st, quotaReason(s.Kind(), why))
		return
	}
	start := r.clock.Now()
	sctx, cancel := withTimeout(ctx, r.clock, r.opts.Timeout)
	defer cancel()
	r.obs(Event{Type: StepStarted, Step: s.ID, Address: s.Addr(), Op: s.Kind(), ObjectID: s.Op.Object().ID})

	if r.ranEarly(s.ID) {
		r.finish(st, s.Op.Object().ID, start)
		return
	}
	tok := s.ClientToken
	generations := 0
	fellBack := false
	for {
		if err := sl.acquire(sctx); err != nil {
			r.fail(st, r.timeoutError(sctx, s, err, ""), r.since(start))
			return
		}
		id, err := r.callWithRetry(sctx, s, tok, false)
		if eni, ok := cloud.RefusedENI(err, plan.SourcesOf(s.Op)); ok {
			// The API refuses one source (deleted, or in a status that
			// cannot be mirrored): leave it out, report it, and send the
			// rest as a request of its own (C5).
			op, left, _ := plan.WithoutSource(s.Op, eni)
			r.leaveOut(s, eni, err)
			if left == 0 && s.Kind() == plan.OpAddSources {
				r.finishWith(st, s.Op.Object().ID, start, tok)
				return
			}
			if left > 0 {
				cur := *s
				cur.Op = op
				s = &cur
				tok = plan.ShrunkToken(tok, []string{eni})
				r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Notice: SourceRefused, Code: apiCode(err),
					Message: fmt.Sprintf("the API refuses source %s (%s); sending the other sources without it", eni, apiCode(err))})
				continue
			}
		}
		if cloud.IsKind(err, cloud.KindQuota) && s.Kind() == plan.OpAddSources && !fellBack {
			// The API's source limit is lower than planned: remove the
			// gone sources first, then add again (C7), and report the gap.
			fellBack = true
			if rm := r.laterRemove(s); rm != nil {
				r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Notice: SourceGap,
					Message: "source limit reached: removing " + strings.Join(rm.Op.(*plan.RemoveSources).Sources, ", ") + " first; their traffic and the new sources' is not mirrored in between"})
				if err := r.runEarly(sctx, rm); err != nil {
					r.fail(st, err, r.since(start))
					return
				}
				continue
			}
		}
		if cloud.IsKind(err, cloud.KindMismatch) {
			// The token was used before by a request with other values
			// (one that named objects since deleted and made again): it
			// is not this request's any more. Unless the object exists
			// already (C5), walk to the next one.
			if found := r.findCreated(sctx, s); found != "" {
				r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Notice: FoundExisting, Code: apiCode(err), ObjectID: found,
					Message: fmt.Sprintf("the token was used by an earlier request with other values, and %s %s with this key exists: taking it", listKind(s), found)})
				r.finishWith(st, found, start, tok)
				return
			}
			generations++
			tok = plan.NextToken(tok)
			r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Attempt: generations, Notice: TokenMismatch, Code: apiCode(err),
				Message: "the token was used by an earlier request with other values; sending with the next token"})
			continue
		}
		if cloud.IsKind(err, cloud.KindQuota) && s.Kind().Creates() {
			why := apiCode(err)
			var ae *cloud.APIError
			if errors.As(err, &ae) && ae.RequestID != "" {
				why += ", request " + ae.RequestID
			}
			r.opts.Quota.close(s.Kind(), why)
		}
		if err != nil {
			r.fail(st, r.timeoutError(sctx, s, err, ""), r.since(start))
			return
		}
		sl.release()
		status, err := r.settle(sctx, s, id, tok)
		if errors.Is(err, errGone) {
			// A replayed create named an object List never shows: it
			// was deleted since. If an object with this key exists (made
			// by another run), it is the one (C5); else create again
			// with the next token, as every machine does.
			if found := r.findCreated(sctx, s); found != "" {
				r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Notice: FoundExisting, ObjectID: found,
					Message: fmt.Sprintf("%s %s never showed in List, and %s %s with this key exists: taking it", listKind(s), id, listKind(s), found)})
				r.finishWith(st, found, start, tok)
				return
			}
			generations++
			tok = plan.NextToken(tok)
			r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Attempt: generations, Notice: StaleToken,
				Message: fmt.Sprintf("%s %s never showed in List within --gone-after (%s): it was deleted since the token was first used, or List does not show it yet; creating again with the next token", listKind(s), id, r.opts.GoneAfter)})
			continue
		}
		if errors.Is(err, errReplayed) && generations < maxGenerations {
			// The API replayed an earlier write with this token (the
			// object's chain did not move on since): send the write
			// once more with the next token (C5).
			generations++
			tok = plan.NextToken(tok)
			r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Attempt: generations, Notice: Replayed,
				Message: fmt.Sprintf("%s %s settled without what was written: the API replayed an earlier write with the same token; sending again with the next token", listKind(s), id)})
			continue
		}
		if err != nil {
			r.fail(st, r.timeoutError(sctx, s, err, status), r.since(start))
			return
		}
		r.finishWith(st, id, start, tok)
		return
	}
}

func (r *runner) since(t time.Time) time.Duration { return r.clock.Now().Sub(t) }

// leaveOut records a source the API refused for step s.
func (r *runner) leaveOut(s *plan.Step, eni string, err error) {
	l := LeftOut{Step: s.ID, Address: s.Addr(), ENI: eni, Message: err.Error()}
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		l.Code = ae.Code
	}
	r.mu.Lock()
	r.res.LeftOut = append(r.res.LeftOut, l)
	r.mu.Unlock()
}

// tmsyncWrote reports whether tags carry a tmsync:applied value tmsync wrote:
// an object tagged with a stack and key by hand is not the stack's.
func tmsyncWrote(tags cloud.Tags) bool {
	_, ok := plan.ParseApplied(tags[cloud.TagApplied])
	return ok
}

// findCreated returns the ID of a live object with the stack and key tags
// that the create step s sends, or "": the object a replayed or refused
// create would have made, made by another run.
func (r *runner) findCreated(ctx context.Context, s *plan.Step) string {
	var tags cloud.Tags
	switch o := s.Op.(type) {
	case *plan.CreateFilter:
		tags = o.Tags
	case *plan.CreateSession:
		tags = o.Tags
	default:
		return ""
	}
	key := cloud.Tags{cloud.TagStack: tags[cloud.TagStack], cloud.TagKey: tags[cloud.TagKey]}
	if key[cloud.TagStack] == "" || key[cloud.TagKey] == "" || r.opts.Limiter.Wait(ctx) != nil {
		return ""
	}
	var ids []string
	if listKind(s) == plan.KindSession {
		ss, err := r.c.ListSessions(ctx, cloud.ListSessionsInput{Tags: key})
		if err != nil {
			return ""
		}
		for _, x := range ss {
			if tmsyncWrote(x.Tags) {
				ids = append(ids, x.ID)
			}
		}
	} else {
		fs, err := r.c.ListFilters(ctx, cloud.ListFiltersInput{Tags: key})
		if err != nil {
			return ""
		}
		for _, x := range fs {
			if tmsyncWrote(x.Tags) {
				ids = append(ids, x.ID)
			}
		}
	}
	if len(ids) == 0 {
		return ""
	}
	sort.Strings(ids)
	return ids[0]
}

func (r *runner) finish(st *stepState, id string, start time.Time) {
	r.finishWith(st, id, start, st.step.ClientToken)
}

// finishWith records step st as done with object id, sent last with tok.
func (r *runner) finishWith(st *stepState, id string, start time.Time, tok string) {
	s := st.step
	r.mu.Lock()
	if id != "" {
		r.res.IDs[s.ID] = id
	}
	if tok != s.ClientToken {
		if r.res.Tokens == nil {
			r.res.Tokens = map[plan.StepID]string{}
		}
		r.res.Tokens[s.ID] = tok
	}
	r.res.Applied = append(r.res.Applied, s.ID)
	r.mu.Unlock()
	st.ok = true
	r.obs(Event{Type: StepFinished, Step: s.ID, Address: s.Addr(), Op: s.Kind(), ObjectID: id, Elapsed: r.since(start)})
}

// laterRemove returns a remove-sources step of s's unit that comes after s.
func (r *runner) laterRemove(s *plan.Step) *plan.Step {
	var best *plan.Step
	for _, o := range r.states {
		if o.step.Unit == s.Unit && o.step.Kind() == plan.OpRemoveSources && !r.ranEarly(o.step.ID) &&
			(best == nil || o.step.ID.Less(best.ID)) {
			best = o.step
		}
	}
	return best
}

// runEarly sends step s now, ahead of its turn; when its turn comes it
// finishes at once.
func (r *runner) runEarly(ctx context.Context, s *plan.Step) error {
	if _, err := r.callWithRetry(ctx, s, s.ClientToken, false); err != nil {
		return err
	}
	if _, err := r.settle(ctx, s, "", s.ClientToken); err != nil {
		return err
	}
	r.mu.Lock()
	r.early[s.ID] = true
	r.mu.Unlock()
	return nil
}

func (r *runner) ranEarly(id plan.StepID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.early[id]
}

func (r *runner) timeoutError(ctx context.Context, s *plan.Step, err error, status string) error {
	if ctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ctx.Err()) {
		return err
	}
	what := s.Addr().String()
	if id := s.Op.Object().ID; id != "" {
		what += " (" + id + ")"
	}
	if status == "" {
		status = "unknown"
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The run was cancelled (SIGINT, SIGTERM), not timed out.
		return fmt.Errorf("interrupted while waiting for %s, last status %s: %w", what, status, err)
	}
	return fmt.Errorf("timed out after %s waiting for %s, last status %s: %w", r.opts.Timeout, what, status, err)
}

// callWithRetry sends the step's call until it succeeds or fails for good,
// always with the same token.
func (r *runner) callWithRetry(ctx context.Context, s *plan.Step, tok string, dry bool) (string, error) {
	for attempt := 0; ; attempt++ {
		if err := r.opts.Limiter.Wait(ctx); err != nil {
			return "", err
		}
		id, err := r.call(ctx, s, cloud.WriteOptions{Token: tok, DryRun: dry})
		if err == nil {
			return id, nil
		}
		kind := cloud.KindOf(err)
		switch {
		case kind == cloud.KindNotFound && s.Kind().Deletes():
			return s.Op.Object().ID, nil // gone already
		case kind == cloud.KindAlreadyOpen:
			return "", nil
		case kind == cloud.KindDryRunPassed && dry:
			return "", err
		case kind.Retryable():
		default:
			return "", err
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		r.obs(Event{Type: StepRetrying, Step: s.ID, Address: s.Addr(), Op: s.Kind(), Attempt: attempt + 1,
			Notice: retryNotice(err), Code: apiCode(err), Message: err.Error()})
		if err := sleep(ctx, r.clock, r.backoff(attempt)); err != nil {
			return "", err
		}
	}
}

// retryNotice says why a retryable error is retried.
func retryNotice(err error) Notice {
	var ae *cloud.APIError
	if !errors.As(err, &ae) {
		return Busy
	}
	switch {
	case ae.Kind == cloud.KindThrottled:
		return Throttled
	case ae.Kind == cloud.KindServer && ae.Code == "" && ae.Err != nil:
		return NetworkError
	case ae.Kind == cloud.KindServer:
		return ServerError
	}
	return Busy
}

// apiCode returns the API's error code in err, or "".
func apiCode(err error) string {
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

var errGone = errors.New("created object never shows in List")

// errReplayed says a write settled without its values: the API answered it
// by replaying an earlier write that had the same token.
var errReplayed = errors.New("the write did not take effect")

// maxGenerations bounds how often a write the API answered by replaying an
// earlier one is sent again. A create walks generations with no cap (C5):
// its step timeout ends the walk.
const maxGenerations = 5

// settle waits until the object the step wrote is Created again (or gone,
// for deletes).
func (r *runner) settle(ctx context.Context, s *plan.Step, id, tok string) (string, error) {
	if !s.Kind().Settles() {
		return "", nil
	}
	if id == "" {
		var err error
		if id, err = r.resolve(s.Op.Object()); err != nil {
			return "", err
		}
	}
	var cond condition
	created := func(status string) bool { return status == cloud.StatusCreated }
	switch op := s.Op.(type) {
	case *plan.UpdateRule:
		// A rule is read through its filter.
		ruleID := op.RuleID
		cond = func(f *cloud.Filter, _ *cloud.Session) sighting {
			if f == nil {
				return sighting{absent: true, status: "not visible"}
			}
			for _, rs := range [][]cloud.Rule{f.Ingress, f.Egress} {
				for _, x := range rs {
					if x.ID == ruleID {
						return sighting{done: created(x.Status) && created(f.Status), status: "rule " + x.Status}
					}
				}
			}
			return sighting{status: "rule not visible"}
		}
	case *plan.DeleteFilter, *plan.DeleteSession:
		cond = func(f *cloud.Filter, ss *cloud.Session) sighting {
			if f != nil {
				return sighting{status: f.Status}
			}
			if ss != nil {
				return sighting{status: ss.Status}
			}
			return sighting{done: true, absent: true, status: "gone"}
		}
	default:
		ruleIDs := map[string]bool{}
		if del, ok := op.(*plan.DeleteRules); ok {
			for _, x := range del.RuleIDs {
				ruleIDs[x] = true
			}
		}
		cond = func(f *cloud.Filter, ss *cloud.Session) sighting {
			if ss != nil {
				return sighting{done: created(ss.Status), status: ss.Status}
			}
			if f == nil {
				return sighting{absent: true, status: "not visible"}
			}
			for _, rs := range [][]cloud.Rule{f.Ingress, f.Egress} {
				for _, x := range rs {
					if ruleIDs[x.ID] {
						return sighting{status: "rule " + x.ID + " " + x.Status}
					}
					if !created(x.Status) {
						return sighting{status: "rule " + x.ID + " " + x.Status}
					}
				}
			}
			return sighting{done: created(f.Status), status: f.Status}
		}
	}
	var filterID string
	if up, ok := s.Op.(*plan.UpdateSession); ok && up.Filter != nil {
		var err error
		if filterID, err = r.resolve(*up.Filter); err != nil {
			return "", err
		}
	}
	base := cond
	cond = func(f *cloud.Filter, ss *cloud.Session) sighting {
		sg := base(f, ss)
		if sg.done && !sg.absent && !written(s.Op, f, ss, filterID) {
			sg.stale, sg.status = true, sg.status+", without what was written"
		}
		return sg
	}
	r.obs(Event{Type: StepWaiting, Step: s.ID, Address: s.Addr(), Op: s.Kind(), ObjectID: id,
		Message: fmt.Sprintf("waiting for %s %s to settle", listKind(s), id)})
	isCreate := s.Kind().Creates()
	wctx := ctx
	if isCreate {
		var cancel context.CancelFunc
		wctx, cancel = withTimeout(ctx, r.clock, r.opts.GoneAfter)
		defer cancel()
		if r.opts.Used[tok] {
			// The journal says a create with this token finished
			// before: an object it names that List does not show is
			// deleted since, not slow to appear.
			known := cond
			cond = func(f *cloud.Filter, ss *cloud.Session) sighting {
				sg := known(f, ss)
				if sg.absent {
					sg.done, sg.gone = true, true
				}
				return sg
			}
		}
	}
	last, err := r.poll.wait(wctx, listKind(s), id, cond)
	if err != nil && isCreate && ctx.Err() == nil {
		if last.absent {
			return last.status, errGone
		}
		// List shows the object: it is slow, not gone. Wait on until
		// the step's own timeout.
		last, err = r.poll.wait(ctx, listKind(s), id, cond)
	}
	if err == nil && last.gone {
		return last.status, errGone
	}
	if err == nil && last.stale {
		return last.status, errReplayed
	}
	return last.status, err
}

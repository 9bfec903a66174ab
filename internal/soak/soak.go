package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/workload"
)

// Config sets up a soak.
type Config struct {
	Rounds int
	// Runners is how many tmsync processes apply each round's spec at
	// once, as separate machines would (each with its own HOME and
	// --lock-dir), started at random offsets; 0 means 1.
	Runners int
	// Seed drives the spec mutations, the faults, the kills and the
	// emulator; the same seed replays the same run (up to the timing of
	// concurrent calls).
	Seed int64
	// Tmsync returns the command that runs tmsync with args.
	Tmsync func(args ...string) *exec.Cmd
	// Env is added to the environment of every tmsync process.
	Env []string
	// Dir is the work directory; a failing round's seed, spec and output
	// are kept in Dir/failed-round-N.
	Dir string
	// Log receives one line per round.
	Log io.Writer
}

// A Summary counts what the soak did and found.
type Summary struct {
	Rounds        int
	Faults        int // injected faults that hit a request
	Kills         int // tmsync processes killed at a hang point
	Duplicates    int // extra objects with one key, when a round's first apply ended and after the round
	Orphans       int // objects tmsync made that no key of the spec owns
	ForeignWrites int // writes to (or changes of) objects tmsync does not own
	Unconverged   int // rounds whose next plan was not empty
	// Failed is the directory kept for the first failing round, if any.
	Failed string
	// Applies counts tmsync applies; FailedApplies those that exited
	// non-zero or were killed, CleanApplies the rounds that needed an
	// apply with the faults gone to converge.
	Applies, FailedApplies, CleanApplies int
}

// Line is the soak's last line.
func (s Summary) Line() string {
	return fmt.Sprintf("soak: %d rounds, %d faults, %d kills, %d duplicates, %d orphans, %d foreign writes, %d unconverged",
		s.Rounds, s.Faults, s.Kills, s.Duplicates, s.Orphans, s.ForeignWrites, s.Unconverged)
}

// OK reports whether no round broke a rule.
func (s Summary) OK() bool {
	return s.Duplicates+s.Orphans+s.ForeignWrites+s.Unconverged == 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// asyncDelay is how long objects stay Creating or Modifying; clock faults
// stretch it for single objects.
const asyncDelay = 30 * time.Millisecond

// A soak is one run's state.
type soak struct {
	cfg     Config
	rng     *rand.Rand
	srv     *emulator.Server
	client  *aliyun.Client
	runner  *workload.Runner   // makes every apply after a round's first
	runners []*workload.Runner // the machines of a round's first apply; runners[0] is runner
	stack   *workload.Stack
	specDir string
	foreign *foreign
	sum     Summary
	// what the current round did, for its report
	round   int
	did     []string
	faults  []emulator.Fault
	outputs []string
	exits   []string // how each runner of the first apply ended
}

// Run soaks tmsync. It returns the summary and, on a broken rule or a
// harness failure, an error that says what happened.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	s, err := start(ctx, cfg)
	if err != nil {
		return Summary{}, err
	}
	defer s.close()
	if err := s.setup(ctx); err != nil {
		return s.sum, fmt.Errorf("setup: %w", err)
	}
	mut := &mutator{rng: s.rng}
	for s.round = 1; s.round <= cfg.Rounds; s.round++ {
		s.did = mut.mutate(s.stack)
		err := s.runRound(ctx)
		s.sum.Rounds++
		if err != nil {
			s.sum.Failed = s.keep(err)
			return s.sum, fmt.Errorf("round %d: %w (kept in %s)", s.round, err, s.sum.Failed)
		}
	}
	fmt.Fprintf(s.cfg.Log, "soak: %d applies, %d of them failed or were killed and ran again, %d rounds needed an apply with the faults gone\n",
		s.sum.Applies, s.sum.FailedApplies, s.sum.CleanApplies)
	return s.sum, nil
}

// start starts the emulator and the client of a soak.
func start(ctx context.Context, cfg Config) (*soak, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	s := &soak{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), specDir: filepath.Join(cfg.Dir, "spec")}
	id, secret := workload.NewKeys()
	srv, err := emulator.NewServer(emulator.Options{AccessKeys: map[string]string{id: secret}, AsyncDelay: asyncDelay, Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	s.srv = srv
	if s.client, err = workload.Client(ctx, srv, region, id, secret); err != nil {
		srv.Close()
		return nil, err
	}
	s.runner = &workload.Runner{Command: cfg.Tmsync, Endpoint: srv.URL(), KeyID: id, Secret: secret, Dir: cfg.Dir, Env: cfg.Env}
	s.runners = []*workload.Runner{s.runner}
	for i := 2; i <= cfg.Runners; i++ {
		r := *s.runner
		r.Dir = filepath.Join(cfg.Dir, fmt.Sprintf("runner-%d", i))
		s.runners = append(s.runners, &r)
	}
	return s, nil
}

func (s *soak) close() {
	s.client.Close()
	s.srv.Close()
}

// setup applies the first spec, then makes the foreign objects and forgets
// the write log, so that any later write to a foreign object shows.
func (s *soak) setup(ctx context.Context) error {
	s.stack = initialStack()
	if _, err := s.stack.WriteDir(s.specDir); err != nil {
		return err
	}
	if out, err := s.apply(ctx); err != nil || out.Code != 0 {
		return fmt.Errorf("first apply: exit %d %v\n%s", out.Code, err, out.Stderr)
	}
	snap, err := cloud.ReadSnapshot(ctx, s.client)
	if err != nil {
		return err
	}
	anchorID := ""
	for _, f := range snap.Filters {
		if f.Tags[cloud.TagStack] == stackName && f.Tags[cloud.TagKey] == anchor {
			anchorID = f.ID
		}
	}
	if anchorID == "" {
		return errors.New("the first apply made no anchor filter")
	}
	if s.foreign, err = createForeign(ctx, s.client, anchorID); err != nil {
		return err
	}
	s.srv.ResetStats()
	fmt.Fprintf(s.cfg.Log, "soak: setup done: %d foreign filters, %d foreign sessions\n", len(s.foreign.filters), len(s.foreign.sessions))
	return nil
}

// applyArgs are the flags of every apply: quick retries and polls, a short
// request timeout so a hung answer costs a second, no rate limit.
func (s *soak) applyArgs(r *workload.Runner) []string {
	return r.Args("apply", "-f", s.specDir, "--auto-approve", "--max-rps", "0",
		"--poll-interval", "20ms", "--retry-interval", "20ms", "--request-timeout", "1s", "--timeout", "60s")
}

func (s *soak) apply(ctx context.Context) (workload.Outcome, error) {
	out, err := s.runner.Run(ctx, s.applyArgs(s.runner)...)
	s.sum.Applies++
	if out.Code != 0 {
		s.sum.FailedApplies++
	}
	s.outputs = append(s.outputs, fmt.Sprintf("$ tmsync apply (exit %d, %s, killed %v)\n%s%s", out.Code, out.Wall.Round(time.Millisecond), out.Killed, out.Stdout, out.Stderr))
	return out, err
}

// writeActions are the actions a fault may hit to test a write path.
var writeActions = []string{
	"CreateTrafficMirrorFilter", "CreateTrafficMirrorSession", "CreateTrafficMirrorFilterRules",
	"DeleteTrafficMirrorFilterRules", "UpdateTrafficMirrorFilterRuleAttribute", "UpdateTrafficMirrorSessionAttribute",
	"AddSourcesToTrafficMirrorSession", "RemoveSourcesFromTrafficMirrorSession", "DeleteTrafficMirrorSession",
	"DeleteTrafficMirrorFilter", "TagResources", "UnTagResources", "UpdateTrafficMirrorFilterAttribute",
}

// pickFaults chooses the round's faults. Error faults hit by chance; the
// others have a count, so that Faults() tells how many hit.
func (s *soak) pickFaults() []emulator.Fault {
	r := s.rng
	var fs []emulator.Fault
	maybe := func(p float64) bool { return r.Float64() < p }
	if maybe(0.5) {
		fs = append(fs, emulator.Fault{Action: "*", Kind: emulator.FaultThrottle, Probability: 0.05 + 0.25*r.Float64()})
	}
	if maybe(0.4) {
		fs = append(fs, emulator.Fault{Action: "*", Kind: []string{emulator.FaultUnavailable, emulator.FaultBusy}[r.Intn(2)],
			Probability: 0.02 + 0.13*r.Float64()})
	}
	if maybe(0.4) {
		fs = append(fs, emulator.Fault{Action: writeActions[r.Intn(len(writeActions))], Kind: emulator.FaultDrop, Count: 1 + r.Intn(2)})
	}
	if maybe(0.15) {
		fs = append(fs, emulator.Fault{Action: []string{"ListTrafficMirrorFilters", "ListTrafficMirrorSessions", writeActions[r.Intn(len(writeActions))]}[r.Intn(3)],
			Kind: emulator.FaultHang, Count: 1})
	}
	if maybe(0.35) {
		fs = append(fs, emulator.Fault{Action: []string{"CreateTrafficMirrorFilter", "CreateTrafficMirrorSession", "*"}[r.Intn(3)],
			Kind: emulator.FaultListLag, Count: 1 + r.Intn(3), Duration: time.Duration(100+r.Intn(900)) * time.Millisecond})
	}
	if maybe(0.4) {
		fs = append(fs, emulator.Fault{Action: "*", Kind: emulator.FaultLatency, Probability: 0.3, Count: 5 + r.Intn(20),
			Duration: time.Duration(5+r.Intn(100)) * time.Millisecond})
	}
	if maybe(0.4) {
		fs = append(fs, tagFault(r))
	}
	if maybe(0.4) {
		// A write that sees the clock ahead stays Creating or Modifying
		// that much longer: an async delay of its own.
		fs = append(fs, emulator.Fault{Action: writeActions[r.Intn(len(writeActions))], Kind: emulator.FaultClock,
			Count: 1 + r.Intn(3), Duration: time.Duration(50+r.Intn(500)) * time.Millisecond})
	}
	return fs
}

// tagFault is a fault on the calls that write tags: TagResources moves
// the chain on and writes tmsync:applied after an update, UnTagResources
// removes the tags the spec dropped. The API takes no token for them
// (C5): after a lost answer or a throttle tmsync re-reads and retries. The
// emulator has no fault kind for a plain refusal (a 4xx that is not a
// throttle), so a refusal here is a burst of ServiceUnavailable or
// SystemBusy answers, which tmsync retries as well. A run that fails all
// the same is a failed apply that the round runs again, not a violation:
// only what check finds is.
func tagFault(r *rand.Rand) emulator.Fault {
	f := emulator.Fault{Action: []string{"TagResources", "UnTagResources"}[r.Intn(2)], Count: 1 + r.Intn(3)}
	switch r.Intn(3) {
	case 0: // lost: applied, but the answer never comes
		f.Kind = emulator.FaultDrop
	case 1:
		f.Kind = emulator.FaultThrottle
	default: // refused: for now (5xx, retried) or for good (the run fails and is run again)
		f.Kind = []string{emulator.FaultUnavailable, emulator.FaultBusy, emulator.FaultRefuse}[r.Intn(3)]
		f.Count += r.Intn(3)
	}
	return f
}

// errorKinds are the fault kinds that answer with an error code.
var errorKinds = map[string]bool{emulator.FaultThrottle: true, emulator.FaultUnavailable: true, emulator.FaultBusy: true,
	emulator.FaultRefuse: true}

// maxLag is the longest List lag of fs: created objects stay hidden that
// long after the faults are gone.
func maxLag(fs []emulator.Fault) time.Duration {
	var d time.Duration
	for _, f := range fs {
		if f.Kind == emulator.FaultListLag {
			d = max(d, f.Duration)
		}
	}
	return d
}

// firedFaults counts the faults that hit: refused calls by their codes,
// the rest by their used-up counts (a refusal with a count is counted by
// its code only).
func (s *soak) firedFaults(armed []emulator.Fault) int {
	n := 0
	st := s.srv.Stats()
	for _, code := range []string{"Throttling.User", "ServiceUnavailable", "SystemBusy", "Forbidden.RAM"} {
		n += st.Errors[code]
	}
	left := s.srv.Faults()
	for i, f := range armed {
		if f.Count > 0 && !errorKinds[f.Kind] && i < len(left) {
			n += f.Count - left[i].Count
		}
	}
	return n
}

func (s *soak) runRound(ctx context.Context) error {
	s.outputs = nil
	s.srv.ResetStats()
	if _, err := s.stack.WriteDir(s.specDir); err != nil {
		return err
	}
	s.faults = s.pickFaults()
	kill := s.rng.Float64() < 0.25
	// The plan every runner starts from: it names the filters a swap
	// replaces, and the calls a kill may hang.
	p, err := s.plan(ctx)
	if err != nil {
		return fmt.Errorf("plan before the round: %w", err)
	}
	var killAction string
	if kill && len(p.Steps) > 0 {
		// Hang a write the plan makes, and kill tmsync while it waits for
		// the answer the API will never send (it acted on the request).
		killAction = p.Steps[s.rng.Intn(len(p.Steps))].Kind().API()
	}
	racers := s.newRacers()
	kills, order := 1, []int{0}
	if len(racers) > 1 {
		kills, order = 1+s.rng.Intn(len(racers)), s.rng.Perm(len(racers))
	}
	armed := append([]emulator.Fault(nil), s.faults...)
	hang := -1
	if killAction != "" {
		hang = len(armed)
		armed = append(armed, emulator.Fault{Action: killAction, Kind: emulator.FaultHang, Count: 1})
	}
	s.srv.SetFaults(armed)
	res, err := s.race(ctx, racers, killAction, hang, kills, order)
	if err != nil {
		return err
	}
	s.exits = res.exits
	// Count duplicates now: a later apply deletes them, and a soak that
	// counted only after it would never see two runs make two objects.
	dups, early, err := s.duplicatesNow(ctx, swappedOut(p))
	if err != nil {
		return err
	}
	ok := res.ok
	for attempt := 2; attempt <= 3 && !ok; attempt++ {
		out, err := s.apply(ctx)
		if err != nil {
			return err
		}
		ok = out.Code == 0
	}
	s.sum.Faults += s.firedFaults(armed)
	s.srv.SetFaults(nil)
	if !ok {
		// A last apply with the faults gone, as the next scheduled run
		// would be: it must converge.
		s.sum.CleanApplies++
		if _, err := s.apply(ctx); err != nil {
			return err
		}
	}
	before := s.sum.Duplicates
	err = s.check(ctx, maxLag(s.faults), res.killed > 0)
	// A duplicate still there after the round was counted by check too.
	s.sum.Duplicates += max(0, dups-(s.sum.Duplicates-before))
	if len(early) == 0 {
		return err
	}
	var v *violation
	switch {
	case err == nil:
		return &violation{msgs: early}
	case errors.As(err, &v):
		v.msgs = append(early, v.msgs...)
		return v
	}
	return err
}

func (s *soak) desired() (*spec.Stack, error) {
	stacks, err := spec.Load([]string{s.specDir})
	if err != nil {
		return nil, err
	}
	return stacks[0], nil
}

// plan computes the next plan in-process, as tmsync plan does.
func (s *soak) plan(ctx context.Context) (*plan.Plan, error) {
	d, err := s.desired()
	if err != nil {
		return nil, err
	}
	snap, err := cloud.ReadSnapshot(ctx, s.client)
	if err != nil {
		return nil, err
	}
	return plan.Compute(d, snap, plan.Options{Endpoint: s.client.Endpoint()})
}

// A violation is a broken rule found after a round.
type violation struct{ msgs []string }

func (v *violation) Error() string { return strings.Join(v.msgs, "; ") }

// check verifies the rules of the soak after a round.
func (s *soak) check(ctx context.Context, lag time.Duration, killed bool) error {
	var v violation
	// Objects hidden by a List lag show once it passes; until then the
	// plan may rightly want them.
	deadline := time.Now().Add(lag + 2*time.Second)
	var p *plan.Plan
	for {
		var err error
		if p, err = s.plan(ctx); err != nil {
			return fmt.Errorf("plan after the round: %w", err)
		}
		if p.Empty() || time.Now().After(deadline) {
			break
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	if !p.Empty() {
		s.sum.Unconverged++
		var ids []string
		for _, st := range p.Steps {
			ids = append(ids, st.ID.String())
		}
		v.msgs = append(v.msgs, fmt.Sprintf("the next plan is not empty: %s", strings.Join(ids, ", ")))
	}
	snap, err := cloud.ReadSnapshot(ctx, s.client)
	if err != nil {
		return err
	}
	perKey := map[string][]string{}
	for _, f := range snap.Filters {
		if _, ok := s.foreign.filters[f.ID]; ok {
			continue
		}
		if f.Tags[cloud.TagStack] != stackName {
			s.sum.Orphans++
			v.msgs = append(v.msgs, fmt.Sprintf("filter %s (%s) is neither foreign nor owned by the stack", f.ID, f.Name))
			continue
		}
		k := plan.FilterAddr(f.Tags[cloud.TagKey]).String()
		perKey[k] = append(perKey[k], f.ID)
	}
	for _, x := range snap.Sessions {
		if _, ok := s.foreign.sessions[x.ID]; ok {
			continue
		}
		if x.Tags[cloud.TagStack] != stackName {
			s.sum.Orphans++
			v.msgs = append(v.msgs, fmt.Sprintf("session %s (%s) is neither foreign nor owned by the stack", x.ID, x.Name))
			continue
		}
		k := plan.SessionAddr(x.Tags[cloud.TagKey]).String()
		perKey[k] = append(perKey[k], x.ID)
	}
	for addr, ids := range perKey {
		kind, key, _ := strings.Cut(addr, ".")
		_, wantF := s.stack.Filters[key]
		_, wantS := s.stack.Sessions[key]
		if kind == "filter" && !wantF || kind == "session" && !wantS {
			s.sum.Orphans += len(ids)
			v.msgs = append(v.msgs, fmt.Sprintf("%s %v is owned but not in the spec", addr, ids))
			continue
		}
		if len(ids) > 1 {
			s.sum.Duplicates += len(ids) - 1
			v.msgs = append(v.msgs, fmt.Sprintf("%s has %d objects: %v", addr, len(ids), ids))
		}
	}
	writes := s.srv.Stats().Writes
	for _, id := range s.foreign.ids() {
		for _, w := range writes[id] {
			s.sum.ForeignWrites++
			v.msgs = append(v.msgs, fmt.Sprintf("foreign %s was written: %s (request %s)", id, w.Action, w.RequestID))
		}
	}
	changed, err := s.foreign.changed(ctx, s.client)
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		s.sum.ForeignWrites += len(changed)
		v.msgs = append(v.msgs, changed...)
	}
	what := strings.Join(s.did, ", ")
	if len(s.exits) > 1 {
		what += "; runners " + strings.Join(s.exits, ", ")
	} else if killed {
		what += "; killed"
	}
	fmt.Fprintf(s.cfg.Log, "soak: round %d: %s; %d faults armed\n", s.round, what, len(s.faults))
	if len(v.msgs) > 0 {
		return &v
	}
	return nil
}

// keep writes the failing round's seed, spec, faults and tmsync output to
// a directory and returns its path.
func (s *soak) keep(cause error) string {
	dir := filepath.Join(s.cfg.Dir, "failed-round-"+strconv.Itoa(s.round))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return s.cfg.Dir
	}
	_, _ = s.stack.WriteDir(dir)
	faults, _ := json.MarshalIndent(s.faults, "", "  ")
	report := fmt.Sprintf("seed: %d (replay: SOAK_SEED=%d SOAK_RUNNERS=%d make soak)\nround: %d\nmutations: %s\nfaults: %s\nerror: %v\n",
		s.cfg.Seed, s.cfg.Seed, len(s.runners), s.round, strings.Join(s.did, ", "), faults, cause)
	_ = os.WriteFile(filepath.Join(dir, "round.txt"), []byte(report), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "tmsync-output.txt"), []byte(strings.Join(s.outputs, "\n")), 0o644)
	return dir
}

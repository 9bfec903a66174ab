package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/workload"
)

// Region is where every bench stack lives.
const Region = "cn-hangzhou"

// stackName is the bench stack's name.
const stackName = "bench"

// Config sets up a bench run. Zero values take the defaults of the issue.
type Config struct {
	// Sizes are the numbers of filters (and of sessions) per stack.
	Sizes []int
	// Latency is added to every API call; AsyncDelay is how long objects
	// stay Creating or Modifying.
	Latency, AsyncDelay time.Duration
	// PollInitial is the first poll interval, Parallelism the steps in
	// flight, both as tmsync's flags.
	PollInitial time.Duration
	Parallelism int
	// DriftFraction of the filters and of the sessions is changed outside
	// tmsync before the drift converge.
	DriftFraction float64
	Seed          int64
	// Tmsync returns the command that runs tmsync with args.
	Tmsync func(args ...string) *exec.Cmd
	// Dir holds spec files, HOME and locks of the runs.
	Dir string
	// Log receives progress lines.
	Log io.Writer
}

func (c *Config) defaults() {
	if len(c.Sizes) == 0 {
		c.Sizes = []int{10, 100, 1000}
	}
	if c.Latency == 0 {
		c.Latency = 20 * time.Millisecond
	}
	if c.AsyncDelay == 0 {
		c.AsyncDelay = 200 * time.Millisecond
	}
	if c.PollInitial == 0 {
		c.PollInitial = 200 * time.Millisecond
	}
	if c.Parallelism == 0 {
		c.Parallelism = 10
	}
	if c.DriftFraction == 0 {
		c.DriftFraction = 0.3
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// A Measure is what one run cost.
type Measure struct {
	Calls map[string]int // API calls by action, from the emulator
	Wall  time.Duration  // the whole run: process start to exit, or refresh to last step
	// Apply is the time from the first step's start to the last step's end.
	Apply time.Duration
	RSS   int64 // peak RSS of the tmsync process in bytes; 0 for the in-process baseline
	Depth int   // steps on the plan's longest dependency chain
	Steps int
}

// Total is every API call.
func (m Measure) Total() int {
	n := 0
	for _, v := range m.Calls {
		n += v
	}
	return n
}

// Writes counts the calls that change something.
func (m Measure) Writes() int {
	n := 0
	for a, v := range m.Calls {
		if !isRead(a) {
			n += v
		}
	}
	return n
}

// Reads counts the List and status calls.
func (m Measure) Reads() int { return m.Total() - m.Writes() }

func isRead(action string) bool {
	return strings.HasPrefix(action, "List") || strings.HasPrefix(action, "Get")
}

// A SizeResult holds the figures of one stack size.
type SizeResult struct {
	N                                    int
	Filters, Rules, Sessions, Sources    int
	NoopPlan, NoopApply, BaselineRefresh Measure
	NoopBudget                           int
	Empty, BaselineEmpty                 Measure
	EmptyMinWrites                       int
	EmptyMinReads                        int
	Drift, BaselineDrift                 Measure
	DriftChanges                         int
	DriftMinWrites                       int
	DriftMinReads                        int
	// Lower bounds of the wall time of each converge.
	EmptyBound, DriftBound time.Duration
}

// budget is the no-op plan's call budget of design.md for F filters and S
// sessions in the region.
func budget(f, s int) int { return pages(f) + pages(s) + 1 }

func pages(n int) int { return max(1, (n+99)/100) }

// bound is the lower bound of the issue: the critical path at one call,
// one async delay and one poll interval a level, or every call spread
// over the parallelism, whichever is longer.
func (c *Config) bound(depth, calls int) time.Duration {
	path := time.Duration(depth) * (c.Latency + c.AsyncDelay + c.PollInitial)
	spread := time.Duration(calls) * c.Latency / time.Duration(c.Parallelism)
	return max(path, spread)
}

// Run measures every size of cfg.
func Run(ctx context.Context, cfg Config) ([]SizeResult, error) {
	cfg.defaults()
	var out []SizeResult
	for _, n := range cfg.Sizes {
		r, err := runSize(ctx, &cfg, n)
		if err != nil {
			return out, fmt.Errorf("size %d: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// env is one emulator with a client and a tmsync runner for it.
type env struct {
	srv    *emulator.Server
	client *aliyun.Client
	runner *workload.Runner
}

func newEnv(ctx context.Context, cfg *Config, dir string, seed int64) (*env, error) {
	id, secret := workload.NewKeys()
	srv, err := emulator.NewServer(emulator.Options{
		AccessKeys: map[string]string{id: secret}, Latency: cfg.Latency, AsyncDelay: cfg.AsyncDelay, Seed: seed,
		Quotas: emulator.Quotas{FiltersPerRegion: -1, SessionsPerRegion: -1},
	})
	if err != nil {
		return nil, err
	}
	c, err := workload.Client(ctx, srv, Region, id, secret)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &env{srv: srv, client: c, runner: &workload.Runner{Command: cfg.Tmsync, Endpoint: srv.URL(),
		KeyID: id, Secret: secret, Dir: dir}}, nil
}

func (e *env) close() {
	e.client.Close()
	e.srv.Close()
}

// plan computes tmsync's plan in-process, as the CLI does; its reads are
// not measured (callers reset the counters after).
func (e *env) plan(ctx context.Context, desired *spec.Stack) (*plan.Plan, *cloud.Snapshot, error) {
	snap, err := cloud.ReadSnapshot(ctx, e.client)
	if err != nil {
		return nil, nil, err
	}
	p, err := plan.Compute(desired, snap, plan.Options{Endpoint: e.client.Endpoint()})
	return p, snap, err
}

// converged checks that the next plan is empty.
func (e *env) converged(ctx context.Context, desired *spec.Stack, what string) error {
	p, _, err := e.plan(ctx, desired)
	if err != nil {
		return fmt.Errorf("%s: plan after: %w", what, err)
	}
	if !p.Empty() {
		return fmt.Errorf("%s: the next plan has %d steps, want none (first %s)", what, len(p.Steps), p.Steps[0].ID)
	}
	return nil
}

func (cfg *Config) applyArgs(r *workload.Runner, specDir string) []string {
	return r.Args("apply", "-f", specDir, "--auto-approve", "--format", "json", "--max-rps", "0",
		"--parallelism", strconv.Itoa(cfg.Parallelism), "--poll-interval", cfg.PollInitial.String(),
		"--timeout", "10m")
}

// tmsync runs the binary and turns what it cost into a Measure.
func (e *env) tmsync(ctx context.Context, want int, args ...string) (Measure, error) {
	e.srv.ResetStats()
	out, err := e.runner.Run(ctx, args...)
	if err != nil {
		return Measure{}, err
	}
	if out.Code != want {
		return Measure{}, fmt.Errorf("tmsync %s exited %d, want %d:\n%s", args[0], out.Code, want, tail(out.Stderr, 20))
	}
	return Measure{Calls: e.srv.Stats().Calls, Wall: out.Wall, RSS: out.MaxRSS, Apply: applySpan(out.Stdout)}, nil
}

// applySpan reads apply's JSON events: from the first step's start to the
// last step's end.
func applySpan(stdout string) time.Duration {
	var first, last time.Time
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e apply.Event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Time.IsZero() {
			continue
		}
		switch e.Type {
		case apply.StepStarted:
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
		case apply.StepFinished, apply.StepFailed:
			if e.Time.After(last) {
				last = e.Time
			}
		}
	}
	if first.IsZero() || last.IsZero() {
		return 0
	}
	return last.Sub(first)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// baseline runs the per-resource tool: a refresh of what its state holds
// (live, or nothing from empty), then its calls for tmsync's diff p.
func (e *env) baseline(ctx context.Context, cfg *Config, state *cloud.Snapshot, bp *plan.Plan) (Measure, error) {
	lim := apply.NewLimiter(0)
	opts := apply.Options{Parallelism: cfg.Parallelism, Limiter: lim, PollInitial: cfg.PollInitial,
		PollMax: cfg.PollInitial * 16, RetryBase: 200 * time.Millisecond, RetryMax: 32 * 200 * time.Millisecond,
		Timeout: 10 * time.Minute, Seed: 1}
	e.srv.ResetStats()
	start := time.Now()
	if err := refresh(ctx, e.client, lim, cfg.Parallelism, state); err != nil {
		return Measure{}, fmt.Errorf("baseline refresh: %w", err)
	}
	var m Measure
	if bp != nil && len(bp.Steps) > 0 {
		t := time.Now()
		res := apply.Run(ctx, bp, e.client, opts, nil)
		m.Apply = time.Since(t)
		if !res.OK() {
			msg := ""
			if len(res.Failed) > 0 {
				msg = res.Failed[0].Step.String() + ": " + res.Failed[0].Message
			}
			return Measure{}, fmt.Errorf("baseline apply: %d failed, %d skipped: %s", len(res.Failed), len(res.Skipped), msg)
		}
		m.Depth, m.Steps = depth(bp), len(bp.Steps)
	}
	m.Wall = time.Since(start)
	m.Calls = e.srv.Stats().Calls
	return m, nil
}

func runSize(ctx context.Context, cfg *Config, n int) (SizeResult, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "bench %d: "+format+"\n", append([]any{n}, args...)...)
	}
	st := workload.Generate(rand.New(rand.NewSource(cfg.Seed+int64(n))), stackName, Region,
		workload.Sizes{Filters: n, Sessions: n, RulesMin: 1, RulesMax: 10, SourcesMin: 1, SourcesMax: 10})
	res := SizeResult{N: n, Filters: len(st.Filters), Sessions: len(st.Sessions), Rules: st.RuleTotal()}
	for _, s := range st.Sessions {
		res.Sources += len(s.Sources)
	}
	dir := filepath.Join(cfg.Dir, strconv.Itoa(n))
	specDir := filepath.Join(dir, "spec")
	if _, err := st.WriteDir(specDir); err != nil {
		return res, err
	}
	stacks, err := spec.Load([]string{specDir})
	if err != nil {
		return res, err
	}
	desired := stacks[0]
	drift := pickDrift(rand.New(rand.NewSource(cfg.Seed+int64(n)+1)), st, cfg.DriftFraction)
	res.DriftChanges, res.DriftMinWrites = len(drift), minWrites(drift)
	res.NoopBudget = budget(res.Filters, res.Sessions)
	res.EmptyMinWrites = res.Filters + res.Sessions
	// Reading an empty region takes the budget of an empty region.
	res.EmptyMinReads = budget(0, 0)
	res.DriftMinReads = res.NoopBudget

	// tmsync.
	e, err := newEnv(ctx, cfg, filepath.Join(dir, "tmsync"), cfg.Seed+int64(n))
	if err != nil {
		return res, err
	}
	defer e.close()
	p, _, err := e.plan(ctx, desired)
	if err != nil {
		return res, err
	}
	logf("converge from empty: %d filters, %d rules, %d sessions, %d steps", res.Filters, res.Rules, res.Sessions, len(p.Steps))
	if res.Empty, err = e.tmsync(ctx, 0, cfg.applyArgs(e.runner, specDir)...); err != nil {
		return res, err
	}
	res.Empty.Depth, res.Empty.Steps = depth(p), len(p.Steps)
	res.EmptyBound = cfg.bound(res.Empty.Depth, res.EmptyMinWrites+res.EmptyMinReads)
	if err := e.converged(ctx, desired, "converge from empty"); err != nil {
		return res, err
	}
	logf("no-op plan and apply")
	if res.NoopPlan, err = e.tmsync(ctx, 0, e.runner.Args("plan", "-f", specDir, "--detailed-exitcode")...); err != nil {
		return res, err
	}
	if res.NoopApply, err = e.tmsync(ctx, 0, cfg.applyArgs(e.runner, specDir)...); err != nil {
		return res, err
	}
	logf("drift: %d objects changed outside tmsync", len(drift))
	if err := applyDrift(ctx, e.client, stackName, drift); err != nil {
		return res, err
	}
	if p, _, err = e.plan(ctx, desired); err != nil {
		return res, err
	}
	if res.Drift, err = e.tmsync(ctx, 0, cfg.applyArgs(e.runner, specDir)...); err != nil {
		return res, err
	}
	res.Drift.Depth, res.Drift.Steps = depth(p), len(p.Steps)
	res.DriftBound = cfg.bound(res.Drift.Depth, res.DriftMinWrites+res.DriftMinReads)
	if err := e.converged(ctx, desired, "converge from drift"); err != nil {
		return res, err
	}

	// The per-resource baseline, on an emulator of its own.
	b, err := newEnv(ctx, cfg, filepath.Join(dir, "baseline"), cfg.Seed+int64(n))
	if err != nil {
		return res, err
	}
	defer b.close()
	pe, empty, err := b.plan(ctx, desired)
	if err != nil {
		return res, err
	}
	creates := map[plan.Addr]*plan.CreateFilter{}
	for _, s := range pe.Steps {
		if cf, ok := s.Op.(*plan.CreateFilter); ok {
			creates[s.Addr()] = cf
		}
	}
	logf("baseline converge from empty")
	bp := baselinePlan(pe, desired, empty, creates, "empty")
	if res.BaselineEmpty, err = b.baseline(ctx, cfg, empty, bp); err != nil {
		return res, err
	}
	if err := b.converged(ctx, desired, "baseline converge from empty"); err != nil {
		return res, err
	}
	logf("baseline refresh")
	live, err := cloud.ReadSnapshot(ctx, b.client)
	if err != nil {
		return res, err
	}
	if res.BaselineRefresh, err = b.baseline(ctx, cfg, live, nil); err != nil {
		return res, err
	}
	logf("baseline drift")
	if err := applyDrift(ctx, b.client, stackName, drift); err != nil {
		return res, err
	}
	pd, live, err := b.plan(ctx, desired)
	if err != nil {
		return res, err
	}
	bp = baselinePlan(pd, desired, live, creates, "drift")
	if res.BaselineDrift, err = b.baseline(ctx, cfg, live, bp); err != nil {
		return res, err
	}
	if err := b.converged(ctx, desired, "baseline converge from drift"); err != nil {
		return res, err
	}
	return res, nil
}

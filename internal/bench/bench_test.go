package bench

import (
	"context"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/workload"
)

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
BenchmarkCompute10000Rules/noop-2         	      20	  92717714 ns/op	27621596 B/op	  253556 allocs/op
BenchmarkCompute10000Rules/empty-2        	      20	  99872166 ns/op	34323844 B/op	  290752 allocs/op
PASS`
	want := []ComputeResult{
		{Name: "BenchmarkCompute10000Rules/noop", NsPerOp: 92717714, BytesPerOp: 27621596, AllocsPerOp: 253556},
		{Name: "BenchmarkCompute10000Rules/empty", NsPerOp: 99872166, BytesPerOp: 34323844, AllocsPerOp: 290752},
	}
	if diff := cmp.Diff(want, ParseGoBench(strings.NewReader(out))); diff != "" {
		t.Errorf("ParseGoBench (-want +got):\n%s", diff)
	}
}

func TestBudget(t *testing.T) {
	for _, tc := range []struct{ f, s, want int }{{0, 0, 3}, {10, 10, 3}, {100, 100, 3}, {101, 100, 4}, {1000, 1000, 21}} {
		if got := budget(tc.f, tc.s); got != tc.want {
			t.Errorf("budget(%d, %d) = %d, want %d", tc.f, tc.s, got, tc.want)
		}
	}
}

// TestBaselineConverges runs the per-resource baseline from empty and from
// drift on a small stack: it must reach what the spec says (tmsync's next
// plan is empty), with one call per rule, and a replaced filter for every
// rule drift.
func TestBaselineConverges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := &Config{Latency: time.Millisecond, AsyncDelay: 5 * time.Millisecond, PollInitial: 5 * time.Millisecond}
	cfg.defaults()
	st := workload.Generate(rand.New(rand.NewSource(3)), stackName, Region,
		workload.Sizes{Filters: 4, Sessions: 5, RulesMin: 1, RulesMax: 10, SourcesMin: 1, SourcesMax: 10})
	dir := t.TempDir()
	if _, err := st.WriteDir(filepath.Join(dir, "spec")); err != nil {
		t.Fatal(err)
	}
	stacks, err := spec.Load([]string{filepath.Join(dir, "spec")})
	if err != nil {
		t.Fatal(err)
	}
	desired := stacks[0]
	e, err := newEnv(ctx, cfg, dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()

	p, empty, err := e.plan(ctx, desired)
	if err != nil {
		t.Fatal(err)
	}
	creates := map[plan.Addr]*plan.CreateFilter{}
	for _, s := range p.Steps {
		if cf, ok := s.Op.(*plan.CreateFilter); ok {
			creates[s.Addr()] = cf
		}
	}
	bp := baselinePlan(p, desired, empty, creates, "test")
	if got, want := len(bp.Steps), len(st.Filters)+st.RuleTotal()+len(st.Sessions); got != want {
		t.Errorf("baseline from empty has %d steps, want one per filter, rule and session (%d)", got, want)
	}
	m, err := e.baseline(ctx, cfg, empty, bp)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Calls["CreateTrafficMirrorFilterRules"]; got != st.RuleTotal() {
		t.Errorf("baseline created rules in %d calls, want %d (one per rule)", got, st.RuleTotal())
	}
	if err := e.converged(ctx, desired, "baseline from empty"); err != nil {
		t.Fatal(err)
	}

	live, err := cloud.ReadSnapshot(ctx, e.client)
	if err != nil {
		t.Fatal(err)
	}
	if m, err = e.baseline(ctx, cfg, live, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := m.Total(), 1+len(st.Filters)+st.RuleTotal()+len(st.Sessions); got != want {
		t.Errorf("baseline refresh made %d calls, want a List per filter, rule and session and a status call (%d)", got, want)
	}

	drift := []change{{kind: driftRuleEdit, key: "f00000", minCalls: 1}, {kind: driftSources, key: "s00001", minCalls: 2}}
	if err := applyDrift(ctx, e.client, stackName, drift); err != nil {
		t.Fatal(err)
	}
	pd, live, err := e.plan(ctx, desired)
	if err != nil {
		t.Fatal(err)
	}
	bp = baselinePlan(pd, desired, live, creates, "drift")
	if m, err = e.baseline(ctx, cfg, live, bp); err != nil {
		t.Fatal(err)
	}
	if m.Calls["CreateTrafficMirrorFilter"] != 1 || m.Calls["DeleteTrafficMirrorFilter"] != 1 {
		t.Errorf("baseline of a rule drift: calls %v, want the filter replaced", m.Calls)
	}
	if err := e.converged(ctx, desired, "baseline from drift"); err != nil {
		t.Fatal(err)
	}
}

// TestSpeedRows checks the rows of the validate and emulator measures: the
// median of the validate runs is judged against its target.
func TestSpeedRows(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	r := &Report{
		Validate: &ValidateResult{Rules: 10000, Walls: []time.Duration{ms(140), ms(90), ms(200), ms(120), ms(100)}},
		Emulator: ParseThroughput(strings.NewReader(`BenchmarkThroughput/memory/ListPages-2   	    2000	    666564 ns/op	      1500.4 req/s
BenchmarkThroughput/memory/Writes-2      	    2000	    111111 ns/op	      9000 req/s
BenchmarkThroughput/memory/ListPages-2   	    2000	    666564 ns/op	      700 req/s
BenchmarkThroughput/memory/Writes-2      	    2000	    111111 ns/op	      12000 req/s
BenchmarkThroughput/memory/ListPages-2   	    2000	    666564 ns/op	      1600 req/s
BenchmarkThroughput/memory/Writes-2      	    2000	    111111 ns/op	      8000 req/s`)),
	}
	want := []row{
		{"10,000 rules", "tmsync validate, whole process (median of 5)", "120 ms (best 90 ms)", "< 150 ms", "n/a", "", "ok"},
		{"1,000 + 1,000", "emulator (memory store): List pages of 100, 4 clients (median of 3)", "1500 req/s", "—", "n/a", "", ""},
		{"1,000 + 1,000", "emulator (memory store): writes with a token, 4 clients (median of 3)", "9000 req/s", "—", "n/a", "", ""},
	}
	if diff := cmp.Diff(want, r.speedRows(), cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("speedRows (-want +got):\n%s", diff)
	}
	r.Validate.Walls = []time.Duration{ms(160), ms(170), ms(100)}
	if got := r.speedRows()[0].verdict; got != "MISS 1.07× the target" {
		t.Errorf("verdict of a 160 ms median = %q, want a miss", got)
	}
}

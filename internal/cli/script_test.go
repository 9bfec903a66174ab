package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// TestMain lets the scripts run tmsync as a command: testscript re-executes
// this test binary under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tmsync": func() { os.Exit(tmsyncMain(os.Args)) },
	})
}

// tmsyncMain is the tmsync the scripts run: Main, with the test's fast
// apply flags put after the command so that flags given later win.
func tmsyncMain(args []string) int {
	if len(args) > 1 && (args[1] == "apply" || args[1] == "destroy") {
		if extra := strings.Fields(os.Getenv("TMSYNC_TEST_APPLY_FLAGS")); len(extra) > 0 {
			args = append(append(append([]string{}, args[:2]...), extra...), args[2:]...)
		}
	}
	return Main(args, os.Stdin, os.Stdout, os.Stderr)
}

const (
	scriptAK     = "LTAItmsyncscript01"
	scriptSecret = "scriptsecretscriptsecret01"
	scriptRegion = "cn-hangzhou"
	fastFlags    = "--poll-interval 2ms --retry-interval 2ms --timeout 20s"
)

// TestScripts runs the scripts under testdata/script: user stories that run
// the real tmsync (this test binary, re-executed as a separate process)
// against an emulator living in the test process, through the official SDK
// and real HTTP on loopback. The emulator is what the scripts inspect and
// disturb: its counters prove that no second object was made and that a
// token was replayed; its faults drop, hang, throttle and lag.
//
// Every script starts with:
//   - an emulator with signature checks on a fixed key pair, AsyncDelay
//     20ms, every ENI and SLB ID existing;
//   - TMSYNC_ENDPOINT naming it and ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET set;
//   - XDG_CACHE_HOME=$WORK/.cache, so the per-stack locks and the journal
//     of unfinished creates are the script's own;
//   - EXAMPLES, the absolute path of the repository's examples/;
//   - APPLIED, the absolute path of testdata/applied: a rich stack and the
//     emulator state files tmsync left when it applied it (TestAppliedGolden);
//   - TMSYNC_TEST_APPLY_FLAGS, inserted after `tmsync apply` and `tmsync
//     destroy` (see tmsyncMain): millisecond polls and retries and a 20s
//     step timeout. A script may change or empty it with env;
//   - GORACE=atexit_sleep_ms=0, so that a race-enabled tmsync exits at once.
//
// Commands (N is a number, optionally prefixed by >=, <=, > or <):
//
//	emulator [asyncdelay=D] [latency=D] [filters=N] [sessions=N] [sources=N] [service=open|closed]
//	    restart the emulator empty with these options (new endpoint)
//	faults SPEC|none          replace the injected faults (emulator.ParseFaults)
//	clock +D                  move the emulator's clock ahead (ends List lags and transitions)
//	stats ACTION N            the emulator received N calls of ACTION
//	errors CODE N             it answered N errors with CODE
//	creates KIND N            it really created N objects of KIND (filter, rule, session)
//	replays N                 it replayed N answers for a known ClientToken
//	resetstats                zero the counters
//	waitcall ACTION N         wait (up to 20s) until N calls of ACTION were received
//	waiterror CODE N          wait (up to 20s) until N errors with CODE were answered
//	owned KIND REF N          List shows N filters or sessions REF names: [STACK/]KEY or an ID
//	live KIND REF             print the objects (JSON, one a line) on stdout
//	liveid KIND REF VAR       set $VAR to the ID of the one object
//	capture VAR REGEXP        set $VAR to REGEXP's first group in the last stdout
//	sdk SUBCOMMAND ...        write through the official SDK as a console user would
//	                          (see cmdSDK)
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := filepath.Abs(appliedDir)
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       updating(),
		Setup: func(env *testscript.Env) error {
			h := &harness{}
			if err := h.start(emulator.Options{}); err != nil {
				return err
			}
			env.Defer(h.stop)
			env.Values[harnessKey{}] = h
			env.Setenv("TMSYNC_ENDPOINT", h.srv.URL())
			env.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", scriptAK)
			env.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", scriptSecret)
			env.Setenv("XDG_CACHE_HOME", env.WorkDir+"/.cache")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("TMSYNC_TEST_APPLY_FLAGS", fastFlags)
			env.Setenv("EXAMPLES", examples)
			env.Setenv("APPLIED", applied)
			// The race detector sleeps a second before a process exits, to
			// let late reports in; every tmsync run would pay it.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"emulator":   cmdEmulator,
			"faults":     cmdFaults,
			"clock":      cmdClock,
			"capture":    cmdCapture,
			"stats":      cmdCount(func(st emulator.Stats, k string) int { return st.Calls[k] }),
			"errors":     cmdCount(func(st emulator.Stats, k string) int { return st.Errors[k] }),
			"creates":    cmdCount(func(st emulator.Stats, k string) int { return st.Creates[resourceKind(k)] }),
			"replays":    cmdReplays,
			"resetstats": func(ts *testscript.TestScript, neg bool, args []string) { harnessOf(ts).srv.ResetStats() },
			"waitcall":   cmdWait(func(st emulator.Stats, k string) int { return st.Calls[k] }),
			"waiterror":  cmdWait(func(st emulator.Stats, k string) int { return st.Errors[k] }),
			"owned":      cmdOwned,
			"live":       cmdLive,
			"liveid":     cmdLiveID,
			"sdk":        cmdSDK,
			"fleet":      cmdFleet,
		},
	})
}

type harnessKey struct{}

// A harness is a script's emulator and a client of it.
type harness struct {
	srv    *emulator.Server
	client *aliyun.Client
	// skew is how far the emulator's clock is ahead of the real one; the
	// clock command moves it to end List lags and transitions at once.
	skew atomic.Int64
}

func (h *harness) now() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) }

func (h *harness) start(opts emulator.Options) error {
	opts.Listen = "127.0.0.1:0"
	opts.AccessKeys = map[string]string{scriptAK: scriptSecret}
	if opts.AsyncDelay == 0 {
		opts.AsyncDelay = 20 * time.Millisecond
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	h.skew.Store(0)
	opts.Now = h.now
	srv, err := emulator.NewServer(opts)
	if err != nil {
		return err
	}
	cred, err := aliyun.StaticCredential(scriptAK, scriptSecret)
	if err != nil {
		srv.Close()
		return err
	}
	c, err := aliyun.New(context.Background(), aliyun.Config{
		Region: scriptRegion, Endpoint: srv.URL(), Credential: cred, RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		srv.Close()
		return err
	}
	h.srv, h.client = srv, c
	return nil
}

func (h *harness) stop() {
	if h.client != nil {
		h.client.Close()
	}
	if h.srv != nil {
		h.srv.Close()
	}
}

func harnessOf(ts *testscript.TestScript) *harness {
	return ts.Value(harnessKey{}).(*harness)
}

func cmdEmulator(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! emulator")
	}
	var opts emulator.Options
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("emulator: want key=value, got %q", a)
		}
		var err error
		switch k {
		case "asyncdelay":
			opts.AsyncDelay, err = time.ParseDuration(v)
		case "latency":
			opts.Latency, err = time.ParseDuration(v)
		case "filters":
			opts.Quotas.FiltersPerRegion, err = strconv.Atoi(v)
		case "sessions":
			opts.Quotas.SessionsPerRegion, err = strconv.Atoi(v)
		case "sources":
			opts.Quotas.SourcesPerSession, err = strconv.Atoi(v)
		case "service":
			opts.Quotas.ServiceOpenByDefault = emulator.Bool(v == "open")
		case "keepdeleted":
			opts.KeepDeletedSources = v == "true"
		case "tagquery":
			opts.Quotas.ENIsPerTagQuery, err = strconv.Atoi(v)
		default:
			ts.Fatalf("emulator: unknown option %q", k)
		}
		ts.Check(err)
	}
	h := harnessOf(ts)
	h.stop()
	ts.Check(h.start(opts))
	ts.Setenv("TMSYNC_ENDPOINT", h.srv.URL())
}

// cmdCapture sets VAR to the first group of REGEXP in the last command's
// stdout.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: capture VAR REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("capture: no match for %s (with a group) in stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}

// cmdClock moves the emulator's clock ahead by D. The API refuses
// signatures more than 15 minutes off, so the total stays below that.
func cmdClock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: clock +D")
	}
	d, err := time.ParseDuration(strings.TrimPrefix(args[0], "+"))
	ts.Check(err)
	h := harnessOf(ts)
	if total := time.Duration(h.skew.Add(int64(d))); total < 0 || total >= 15*time.Minute {
		ts.Fatalf("clock: the emulator would be %s ahead; keep it within 0 and 15m", total)
	}
}

func cmdFaults(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: faults SPEC|none")
	}
	var fs []emulator.Fault
	if args[0] != "none" {
		var err error
		fs, err = emulator.ParseFaults(args[0])
		ts.Check(err)
	}
	harnessOf(ts).srv.SetFaults(fs)
}

// parseCount parses N, >=N, <=N, >N or <N into a predicate.
func parseCount(ts *testscript.TestScript, s string) func(int) bool {
	for _, op := range []string{">=", "<=", ">", "<", ""} {
		rest, ok := strings.CutPrefix(s, op)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil {
			ts.Fatalf("want a count like 3, >=1 or <2, got %q", s)
		}
		switch op {
		case ">=":
			return func(x int) bool { return x >= n }
		case "<=":
			return func(x int) bool { return x <= n }
		case ">":
			return func(x int) bool { return x > n }
		case "<":
			return func(x int) bool { return x < n }
		}
		return func(x int) bool { return x == n }
	}
	panic("unreachable")
}

func resourceKind(k string) string {
	switch k {
	case "filter":
		return "TrafficMirrorFilter"
	case "rule":
		return "TrafficMirrorRule"
	case "session":
		return "TrafficMirrorSession"
	}
	return k
}

func cmdCount(get func(emulator.Stats, string) int) func(*testscript.TestScript, bool, []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: stats|errors|creates NAME N")
		}
		ok := parseCount(ts, args[1])
		st := harnessOf(ts).srv.Stats()
		got := get(st, args[0])
		if ok(got) == neg {
			ts.Fatalf("%s: got %d, want %s%s\n%s", args[0], got, map[bool]string{true: "not ", false: ""}[neg], args[1], statsSummary(st))
		}
		ts.Logf("%s: %d", args[0], got)
	}
}

func cmdReplays(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: replays N")
	}
	st := harnessOf(ts).srv.Stats()
	if parseCount(ts, args[0])(st.TokenReplays) == neg {
		ts.Fatalf("token replays: got %d, want %s\n%s", st.TokenReplays, args[0], statsSummary(st))
	}
	ts.Logf("token replays: %d", st.TokenReplays)
}

// statsSummary prints the counters for a failing assertion.
func statsSummary(st emulator.Stats) string {
	var b strings.Builder
	line := func(title string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "%s:", title)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, m[k])
		}
		b.WriteString("\n")
	}
	line("calls", st.Calls)
	line("errors", st.Errors)
	line("creates", st.Creates)
	fmt.Fprintf(&b, "token replays: %d\n", st.TokenReplays)
	return b.String()
}

// cmdWait waits until the counter get reads for NAME reaches N.
func cmdWait(get func(emulator.Stats, string) int) func(*testscript.TestScript, bool, []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: waitcall ACTION N | waiterror CODE N")
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		h := harnessOf(ts)
		deadline := time.Now().Add(20 * time.Second)
		for get(h.srv.Stats(), args[0]) < n {
			if time.Now().After(deadline) {
				ts.Fatalf("waited 20s for %d of %s\n%s", n, args[0], statsSummary(h.srv.Stats()))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// A ref names live objects: by their tmsync:key tag, by tmsync:stack and
// tmsync:key when it is STACK/KEY, or by ID (tmf-… or tms-…).

// refTags are the tags ref names.
func refTags(ref string) cloud.Tags {
	if stack, key, ok := strings.Cut(ref, "/"); ok {
		return cloud.Tags{cloud.TagStack: stack, cloud.TagKey: key}
	}
	return cloud.Tags{cloud.TagKey: ref}
}

func findFilters(ts *testscript.TestScript, ref string) []cloud.Filter {
	in := cloud.ListFiltersInput{Tags: refTags(ref)}
	if strings.HasPrefix(ref, "tmf-") {
		in = cloud.ListFiltersInput{IDs: []string{ref}}
	}
	fs, err := harnessOf(ts).client.ListFilters(context.Background(), in)
	ts.Check(err)
	return fs
}

func findSessions(ts *testscript.TestScript, ref string) []cloud.Session {
	in := cloud.ListSessionsInput{Tags: refTags(ref)}
	if strings.HasPrefix(ref, "tms-") {
		in = cloud.ListSessionsInput{IDs: []string{ref}}
	}
	ss, err := harnessOf(ts).client.ListSessions(context.Background(), in)
	ts.Check(err)
	return ss
}

// findLive returns the live filters or sessions that ref names.
func findLive(ts *testscript.TestScript, kind, ref string) []any {
	var out []any
	switch kind {
	case "filter":
		for _, f := range findFilters(ts, ref) {
			out = append(out, f)
		}
	case "session":
		for _, s := range findSessions(ts, ref) {
			out = append(out, s)
		}
	default:
		ts.Fatalf("unknown kind %q (want filter or session)", kind)
	}
	return out
}

func cmdOwned(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: owned filter|session [STACK/]KEY N")
	}
	got := len(findLive(ts, args[0], args[1]))
	if parseCount(ts, args[2])(got) == neg {
		ts.Fatalf("%s %s: List shows %d, want %s", args[0], args[1], got, args[2])
	}
}

// cmdLiveID sets VAR to the ID of the one object ref names.
func cmdLiveID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: liveid filter|session [STACK/]KEY VAR")
	}
	var ids []string
	switch args[0] {
	case "filter":
		for _, f := range findFilters(ts, args[1]) {
			ids = append(ids, f.ID)
		}
	case "session":
		for _, s := range findSessions(ts, args[1]) {
			ids = append(ids, s.ID)
		}
	default:
		ts.Fatalf("unknown kind %q (want filter or session)", args[0])
	}
	if len(ids) != 1 {
		ts.Fatalf("%s %s: List shows %d objects, want 1", args[0], args[1], len(ids))
	}
	ts.Setenv(args[2], ids[0])
}

// cmdLive prints the objects ref names, one JSON line each, on stdout.
func cmdLive(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: live filter|session [STACK/]KEY")
	}
	var b strings.Builder
	for _, o := range findLive(ts, args[0], args[1]) {
		j, err := json.Marshal(o)
		ts.Check(err)
		b.Write(j)
		b.WriteString("\n")
	}
	ts.Stdout().Write([]byte(b.String()))
}

// cmdSDK writes through the official SDK, as a console user or another
// tool would:
//
//	sdk create-filter VAR [name=S] [tag=K:V]...      an unowned filter with one rule; $VAR is its ID
//	sdk create-session VAR filter=ID priority=N source=ENI target=ENI [name=S] [tag=K:V]...
//	sdk update-filter [STACK/]KEY [name=S] [description=S]
//	sdk update-session [STACK/]KEY [name=S] [description=S] [packetLength=N] [priority=N] [enabled=B]
//	sdk delete-filter ID
//	sdk delete-session ID
//
// Creates wait until the object is Created and deletes until it is gone;
// updates return at once, with the object still Modifying.
func cmdSDK(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: sdk create-filter|create-session|update-filter|update-session|delete-filter|delete-session ...")
	}
	h := harnessOf(ts)
	ctx := context.Background()
	kv := map[string]string{}
	tags := cloud.Tags{}
	for _, a := range args[2:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("sdk: want key=value, got %q", a)
		}
		if k == "tag" {
			tk, tv, _ := strings.Cut(v, ":")
			if strings.HasPrefix(v, "tmsync:") {
				tk, tv, _ = strings.Cut(strings.TrimPrefix(v, "tmsync:"), ":")
				tk = "tmsync:" + tk
			}
			tags[tk] = tv
			continue
		}
		kv[k] = v
	}
	atoi := func(name string) int {
		n, err := strconv.Atoi(kv[name])
		if err != nil {
			ts.Fatalf("sdk: %s=%q is not a number", name, kv[name])
		}
		return n
	}
	str := func(name string) *string {
		if v, ok := kv[name]; ok {
			return &v
		}
		return nil
	}
	var err error
	switch args[0] {
	case "create-filter":
		var id string
		id, err = h.client.CreateFilter(ctx, cloud.CreateFilterInput{Name: kv["name"], Tags: tags,
			Ingress: []cloud.Rule{{Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL", IPVersion: "IPv4",
				SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0"}}})
		if err == nil {
			ts.Setenv(args[1], id)
			waitStatus(ts, "filter", id, cloud.StatusCreated)
		}
	case "create-session":
		var id string
		id, err = h.client.CreateSession(ctx, cloud.CreateSessionInput{FilterID: kv["filter"], SessionSettings: cloud.SessionSettings{Name: kv["name"], SourceIDs: []string{kv["source"]}, TargetID: kv["target"], TargetType: cloud.TargetENI, Priority: atoi("priority"), PacketLength: 1500, Enabled: true, Tags: tags}})
		if err == nil {
			ts.Setenv(args[1], id)
			waitStatus(ts, "session", id, cloud.StatusCreated)
		}
	case "update-filter":
		fs := findFilters(ts, args[1])
		if len(fs) != 1 {
			ts.Fatalf("sdk: %d filters are %s", len(fs), args[1])
		}
		err = h.client.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: fs[0].ID, Name: str("name"), Description: str("description")})
	case "update-session":
		ss := findSessions(ts, args[1])
		if len(ss) != 1 {
			ts.Fatalf("sdk: %d sessions are %s", len(ss), args[1])
		}
		in := cloud.UpdateSessionInput{ID: ss[0].ID, SessionPatch: cloud.SessionPatch{Name: str("name"), Description: str("description")}}
		if _, ok := kv["packetLength"]; ok {
			n := atoi("packetLength")
			in.PacketLength = &n
		}
		if _, ok := kv["priority"]; ok {
			n := atoi("priority")
			in.Priority = &n
		}
		if v, ok := kv["enabled"]; ok {
			b := v == "true"
			in.Enabled = &b
		}
		err = h.client.UpdateSession(ctx, in)
	case "delete-filter":
		if err = h.client.DeleteFilter(ctx, args[1], cloud.WriteOptions{}); err == nil {
			waitStatus(ts, "filter", args[1], "")
		}
	case "delete-session":
		if err = h.client.DeleteSession(ctx, args[1], cloud.WriteOptions{}); err == nil {
			waitStatus(ts, "session", args[1], "")
		}
	default:
		ts.Fatalf("sdk: unknown subcommand %q", args[0])
	}
	if neg {
		if err == nil {
			ts.Fatalf("sdk %s succeeded", args[0])
		}
		return
	}
	ts.Check(err)
}

// waitStatus waits until the filter or session ref names shows status in
// List, or, with status "", until List no longer shows it.
func waitStatus(ts *testscript.TestScript, kind, ref, status string) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		var got []string
		switch kind {
		case "filter":
			for _, f := range findFilters(ts, ref) {
				got = append(got, f.Status)
			}
		case "session":
			for _, s := range findSessions(ts, ref) {
				got = append(got, s.Status)
			}
		}
		if status == "" && len(got) == 0 || len(got) == 1 && got[0] == status {
			return
		}
	}
	ts.Fatalf("sdk: %s %s did not become %q in 10s", kind, ref, status)
}

// cmdFleet sets the emulator's ENIs to a fleet: the collector
// eni-target000001 (role=ids-collector), eni-other01 (app=db), and N web
// ENIs eni-web000.. tagged app=web (untagged with "untagged"): ENIs of an
// earlier fleet that are not in this one are deleted.
func cmdFleet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fleet N [untagged]")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	inv := &emulator.Inventory{NetworkInterfaces: []emulator.NetworkInterface{
		{ID: "eni-target000001", Tags: map[string]string{"role": "ids-collector"}},
		{ID: "eni-other01", Tags: map[string]string{"app": "db"}},
	}}
	for i := range n {
		e := emulator.NetworkInterface{ID: fmt.Sprintf("eni-web%03d", i), VPCID: "vpc-fleet01"}
		if len(args) == 1 {
			e.Tags = map[string]string{"app": "web"}
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, e)
	}
	ts.Check(harnessOf(ts).srv.SetInventory(inv))
}

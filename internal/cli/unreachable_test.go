package cli

import (
	"bytes"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/apply"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/engine"
	"github.com/tmsync/tmsync/internal/plan"
)

// closedEndpoint returns the URL of a loopback port nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestUnreachableEndpoint checks every command that reads live state
// against an endpoint where nothing listens: it ends soon, exit 1, with a
// message that names the endpoint and says what to check. plan and drift
// take --timeout, the budget of the read's retries, as apply does.
func TestUnreachableEndpoint(t *testing.T) {
	isolateCredentials(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", scriptAK)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", scriptSecret)
	t.Setenv("TMSYNC_ENDPOINT", "")
	ep := closedEndpoint(t)
	hint := "hint: nothing answers at " + ep + ": check --endpoint (or TMSYNC_ENDPOINT) and that the API or emulator runs there"
	cases := map[string]struct {
		reason string
		args   []string
		out    string // doctor writes its report on stdout
	}{
		"plan":    {reason: "plan takes --timeout for its read", args: []string{"plan", "-f", "SPEC", "--timeout", "1s"}},
		"drift":   {reason: "drift takes --timeout for its read", args: []string{"drift", "-f", "SPEC", "--timeout", "1s"}},
		"apply":   {reason: "the read before an apply", args: []string{"apply", "-f", "SPEC", "--timeout", "1s", "--auto-approve"}},
		"destroy": {reason: "destroy without a spec", args: []string{"destroy", "--stack", "s", "--region", "cn-hangzhou", "--timeout", "1s", "--auto-approve"}},
		"export":  {reason: "export reads once", args: []string{"export", "--region", "cn-hangzhou"}},
		"doctor":  {reason: "doctor fails its api check", args: []string{"doctor", "--region", "cn-hangzhou"}, out: "FAIL  api:"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeSpec(t, dir, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
			args := append([]string{}, tc.args...)
			for i, a := range args {
				if a == "SPEC" {
					args[i] = dir
				}
			}
			args = append(args, "--endpoint", ep)
			if name != "export" && name != "doctor" {
				args = append(args, "--lock-dir", t.TempDir())
			}
			start := time.Now()
			code, stdout, stderr := run(t, args...)
			took := time.Since(start)
			report := stderr
			if tc.out != "" {
				report = stdout
				if !strings.Contains(stdout, tc.out) {
					t.Errorf("%s: stdout lacks %q:\n%s", tc.reason, tc.out, stdout)
				}
			}
			if code != ExitError {
				t.Errorf("%s: exit %d, want %d", tc.reason, code, ExitError)
			}
			if want := "cannot reach the API at " + ep + " (connection refused)"; !strings.Contains(report, want) {
				t.Errorf("%s: output lacks %q:\nstdout:\n%s\nstderr:\n%s", tc.reason, want, stdout, stderr)
			}
			if !strings.Contains(report, hint) {
				t.Errorf("%s: output lacks the hint %q:\n%s", tc.reason, hint, report)
			}
			if took > 30*time.Second {
				t.Errorf("%s: took %s", tc.reason, took)
			}
		})
	}
}

// TestRetryLines checks what is said of retries: a read of live state
// says each retry sent once it has taken two seconds, with the attempt,
// the reason and the time taken; a step says every retry, with the time
// its step has taken from two seconds on.
func TestRetryLines(t *testing.T) {
	refused := &cloud.APIError{Kind: cloud.KindServer, Message: "ListTrafficMirrorFilters: dial tcp 127.0.0.1:1: connect: connection refused",
		Err: &url.Error{Op: "Post", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "dial", Net: "tcp",
			Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}}
	throttled := &cloud.APIError{Kind: cloud.KindThrottled, Code: "Throttling.User"}
	read := func(attempt int, elapsed, wait time.Duration, err error) engine.Event {
		return engine.Event{Type: engine.ReadRetrying, Retry: &engine.Retry{Region: "cn-hangzhou", Endpoint: "http://127.0.0.1:1",
			Attempt: attempt, Elapsed: elapsed, Wait: wait, Err: err}}
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := func(typ apply.EventType, at time.Duration, attempt int) engine.Event {
		return engine.Event{Type: engine.StepEvent, Step: apply.Event{Type: typ, Time: t0.Add(at), Step: plan.StepID{Addr: plan.FilterAddr("web"), Op: plan.OpCreateFilter, N: 1},
			Address: plan.FilterAddr("web"), Op: plan.OpCreateFilter, Attempt: attempt,
			Notice: apply.Throttled, Code: "Throttling.User"}}
	}
	cases := map[string]struct {
		reason string
		events []engine.Event
		want   string
	}{
		"QuickRead": {
			reason: "retries of a read sent within two seconds are quiet",
			events: []engine.Event{read(1, 0, 200*time.Millisecond, refused), read(2, 200*time.Millisecond, 400*time.Millisecond, refused)},
		},
		"SlowRead": {
			reason: "from two seconds on, each retry of a read is said",
			events: []engine.Event{read(4, 1500*time.Millisecond, time.Second, refused), read(5, 2600*time.Millisecond, 2*time.Second, throttled)},
			want: "Reading live state of cn-hangzhou at http://127.0.0.1:1: attempt 4 failed (connection refused), 1.5s so far; retrying in 1s\n" +
				"Reading live state of cn-hangzhou at http://127.0.0.1:1: attempt 5 failed (Throttling.User), 2.6s so far; retrying in 2s\n",
		},
		"StepRetries": {
			reason: "every retry of a step is said; from two seconds on with the time taken",
			events: []engine.Event{step(apply.StepStarted, 0, 0), step(apply.StepRetrying, 300*time.Millisecond, 1),
				step(apply.StepRetrying, 3200*time.Millisecond, 2)},
			want: "filter.web: create-filter...\n" +
				"filter.web: create-filter refused (Throttling.User), retrying with the same token (attempt 2)\n" +
				"filter.web: create-filter refused (Throttling.User), retrying with the same token (attempt 3, 3.2s so far)\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			reads := readProgress(&b)
			v := newApplyView("text", &b, &b)
			for _, e := range tc.events {
				if e.Type == engine.ReadRetrying {
					reads(e)
				} else {
					v.observe(e)
				}
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("%s: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestProgressLinesClean: what the API or a plan says in a progress line
// (an object's ID, an error message) reaches the terminal without control
// or bidirectional formatting characters.
func TestProgressLinesClean(t *testing.T) {
	const rlo = "\u202e"
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	id := plan.StepID{Addr: plan.FilterAddr("web"), Op: plan.OpCreateFilter, N: 1}
	var b bytes.Buffer
	v := newApplyView("text", &b, &b)
	v.observe(engine.Event{Type: engine.StepEvent, Step: apply.Event{Type: apply.StepFinished, Time: t0, Step: id,
		Address: plan.FilterAddr("web"), Op: plan.OpCreateFilter, ObjectID: "tmf-1" + rlo + "x"}})
	v.observe(engine.Event{Type: engine.StepEvent, Step: apply.Event{Type: apply.StepFailed, Time: t0, Step: id,
		Address: plan.FilterAddr("web"), Op: plan.OpCreateFilter, Message: "name \"a" + rlo + "b\" \x1b[31mrefused"}})
	reportFailures(&b, &apply.Result{Failed: []apply.Failure{{Step: id, Address: plan.FilterAddr("web"), Message: "a" + rlo + "b"}}})
	want := "filter.web: create-filter done (tmf-1\uFFFDx) [0s]\n" +
		"filter.web: create-filter failed: name \"a\uFFFDb\" \uFFFD[31mrefused\n" +
		"Applied 0 steps, 1 failed, 0 skipped:\n" +
		"  failed:  filter.web/create-filter/1: a\uFFFDb\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
}

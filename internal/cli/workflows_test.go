package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/emulator"
	"github.com/tmsync/tmsync/internal/plan"
)

// wfApplyFlags make apply fast against the emulator: millisecond polls and
// retries, no rate limit.
var wfApplyFlags = []string{"--auto-approve", "--poll-interval", "5ms", "--retry-interval", "5ms", "--max-rps", "0"}

// wfBrownfield builds, with plain SDK calls and no tmsync tags, a region
// as people make it by hand: unnamed objects, duplicate and non-ASCII
// names, filters shared by several sessions, -1/-1 and single-port rules,
// IPv6 rules, host bits in CIDRs, disabled sessions, jumbo packet lengths,
// and sessions on filters another stack owns. It returns how many filters
// and sessions were made without owner tags.
func wfBrownfield(t *testing.T, c cloud.Client, nFilters, nSessions int) (filters, sessions int) {
	t.Helper()
	ctx := context.Background()
	names := []string{"", "web", "镜像过滤器", "Web Tier", "IDS_mirror.v2", "web", "prod-db", "webToIDS", "", "监控 web"}
	var ids []string
	for i := 0; i < nFilters; i++ {
		name := names[i%len(names)]
		if i%len(names) >= 6 && name != "" {
			name = fmt.Sprintf("%s %d", name, i)
		}
		in := cloud.CreateFilterInput{Name: name}
		if i%4 == 0 {
			in.Description = fmt.Sprintf("made by hand #%d", i)
		}
		in.Ingress = []cloud.Rule{
			{Priority: 1, Action: "accept", Protocol: "TCP", SourceCIDR: "0.0.0.0/0", DestCIDR: "10.0.0.0/8", SourcePort: "-1/-1", DestPort: "443/443"},
			{Priority: 2, Action: "drop", Protocol: "ALL", SourceCIDR: "192.168.7.9/16", DestCIDR: "0.0.0.0/0", SourcePort: "-1/-1", DestPort: "-1/-1"},
		}
		if i%3 == 0 {
			in.Egress = []cloud.Rule{
				{Priority: 1, Action: "accept", Protocol: "UDP", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", SourcePort: "1/65535", DestPort: "8000/8080"},
				{Priority: 3, Action: "accept", Protocol: "ICMP", IPVersion: cloud.IPv6, SourceCIDR: "fd00::/8", DestCIDR: "::/0"},
			}
		}
		if i%5 == 0 {
			in.Tags = cloud.Tags{"owner": "secops", "cost-center": "0042"}
		}
		id, err := c.CreateFilter(ctx, in)
		if err != nil {
			t.Fatalf("create filter %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	// Filters of another stack: their sessions are exported, they are not.
	var foreign []string
	for i := 0; i < 3; i++ {
		id, err := c.CreateFilter(ctx, cloud.CreateFilterInput{Name: fmt.Sprintf("platform-%d", i),
			Tags:    cloud.Tags{cloud.TagStack: "platform", cloud.TagKey: fmt.Sprintf("p%d", i), cloud.TagApplied: "platformxxxx"},
			Ingress: []cloud.Rule{{Priority: 1, Action: "accept", Protocol: "ALL"}}})
		if err != nil {
			t.Fatal(err)
		}
		foreign = append(foreign, id)
	}
	waitSettled(t, c)
	snames := []string{"", "web to ids", "web to ids", "会话", "DB mirror", "x"}
	for i := 0; i < nSessions; i++ {
		in := cloud.CreateSessionInput{
			FilterID: ids[i%(nFilters/2)], // every filter of the first half is shared
			SessionSettings: cloud.SessionSettings{
				Name:         snames[i%len(snames)],
				TargetType:   cloud.TargetENI,
				TargetID:     fmt.Sprintf("eni-target%03d", i%7),
				SourceIDs:    []string{fmt.Sprintf("eni-src%04d", i), fmt.Sprintf("eni-src%04d", i+5000)},
				Priority:     i + 1,
				PacketLength: 1500,
				Enabled:      i%6 != 0,
			},
		}
		if i%9 == 0 {
			in.PacketLength = 9000
		}
		if i%4 == 0 {
			in.TargetType, in.TargetID = cloud.TargetSLB, fmt.Sprintf("lb-ids%02d", i%3)
		}
		if i%25 == 0 {
			in.FilterID = foreign[i%len(foreign)]
		}
		if i%11 == 0 {
			in.SourceIDs = in.SourceIDs[:1]
		}
		if _, err := c.CreateSession(ctx, in); err != nil {
			t.Fatalf("create session %d: %v", i, err)
		}
	}
	waitSettled(t, c)
	return nFilters, nSessions
}

// TestExportAdoptRoundTrip: export a hand-made region of a few hundred
// objects, plan --adopt (only ownership tags, and names for the unnamed),
// apply, and the next plan is empty; no object is created or deleted.
func TestExportAdoptRoundTrip(t *testing.T) {
	srv := startEmulator(t, emulator.Quotas{FiltersPerRegion: -1})
	c := sdkClient(t, srv, "cn-hangzhou")
	nf, ns := wfBrownfield(t, c, 120, 200)
	dir := t.TempDir()

	code, _, stderr := run(t, "export", "--region", "cn-hangzhou", "--stack", "brownfield", "-o", dir+"/")
	if code != ExitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if want := fmt.Sprintf("Exported %d filters and %d sessions of cn-hangzhou", nf, ns); !strings.Contains(stderr, want) {
		t.Errorf("export stderr does not say %q:\n%s", want, stderr)
	}
	path := filepath.Join(dir, "brownfield.yaml")
	if code, _, stderr := run(t, "export", "--region", "cn-hangzhou", "--stack", "brownfield", "-o", path); code != ExitError || !strings.Contains(stderr, "--force") {
		t.Errorf("export over an existing file: exit %d, want 1 with a hint to --force\n%s", code, stderr)
	}

	// The plan, as a value: only tags; unnamed objects stay unnamed.
	stacks, err := loadStacks([]string{path}, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := runOptions{format: "json", plan: plan.Options{Adopt: true}, endpoint: endpointOptions{Endpoint: srv.URL(), RequestTimeout: 10 * time.Second}}
	r := o.engine(false).Plan(context.Background(), stacks[:1], nil)[0]
	r.Release()
	if r.Err != nil {
		t.Fatalf("plan --adopt: %v", r.Err)
	}
	ops := map[string]int{}
	for _, st := range r.Plan.Steps {
		switch st.Op.(type) {
		case *plan.Tag:
			ops["tag"]++
		default:
			t.Errorf("plan --adopt has step %s %+v; want only tags", st.ID, st.Op)
		}
	}
	if diff := cmp.Diff(map[string]int{"tag": nf + ns}, ops); diff != "" {
		t.Errorf("steps of plan --adopt by kind: -want +got:\n%s", diff)
	}

	srv.ResetStats()
	args := append([]string{"apply", "-f", path, "--adopt"}, wfApplyFlags...)
	if code, _, stderr := run(t, args...); code != ExitOK {
		t.Fatalf("apply --adopt: exit %d\n%s", code, stderr)
	}
	if st := srv.Stats(); len(st.Creates) > 0 || st.Calls["DeleteTrafficMirrorFilter"]+st.Calls["DeleteTrafficMirrorSession"] > 0 ||
		st.Calls["UpdateTrafficMirrorFilterAttribute"]+st.Calls["UpdateTrafficMirrorSessionAttribute"] > 0 {
		t.Errorf("adoption created, deleted or renamed objects: creates %v, calls %v", st.Creates, st.Calls)
	}
	if code, stdout, stderr := run(t, "plan", "-f", path, "--detailed-exitcode"); code != ExitOK {
		t.Errorf("plan after adoption: exit %d, want 0 (no changes)\n%s\n%s", code, stdout, stderr)
	}
}

const wfDriftSpec = `stack: drifty
region: cn-hangzhou
filters:
  web:
    ingress:
      - {priority: 1, action: accept, protocol: TCP, destinationPortRange: 443}
sessions:
  web-to-ids:
    filter: web
    target: {type: NetworkInterface, id: eni-ids01}
    sources: [eni-web01]
    priority: 10
`

// wfDriftDoc is what the tests read of tmsync drift --format json.
type wfDriftDoc struct {
	Plans []struct {
		Stack   string `json:"stack"`
		Changes []struct {
			Address string   `json:"address"`
			Reason  []string `json:"reason"`
		} `json:"changes"`
		Unmanaged []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"unmanaged"`
	} `json:"plans"`
}

// TestDrift: a console edit is labelled drift, a spec edit spec, objects of
// nobody are listed as unmanaged, and the exit codes follow C11.
func TestDrift(t *testing.T) {
	srv := startEmulator(t, emulator.Quotas{})
	c := sdkClient(t, srv, "cn-hangzhou")
	dir := t.TempDir()
	writeSpec(t, dir, "drifty.yaml", wfDriftSpec)
	if code, _, stderr := run(t, append([]string{"apply", "-f", dir}, wfApplyFlags...)...); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	type want struct {
		code    int
		changes map[string][]string
		unmgd   []string
	}
	check := func(reason string, w want, args ...string) {
		t.Helper()
		code, stdout, stderr := run(t, append([]string{"drift", "-f", dir, "--format", "json"}, args...)...)
		if code != w.code {
			t.Errorf("%s\nexit %d, want %d\n%s", reason, code, w.code, stderr)
		}
		var doc wfDriftDoc
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Plans) != 1 {
			t.Fatalf("%s\ndrift --format json: %v\n%s", reason, err, stdout)
		}
		got := want{code: code, changes: map[string][]string{}}
		for _, ch := range doc.Plans[0].Changes {
			got.changes[ch.Address] = ch.Reason
		}
		for _, u := range doc.Plans[0].Unmanaged {
			got.unmgd = append(got.unmgd, u.Type+" "+u.Name)
		}
		if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{})); diff != "" {
			t.Errorf("%s\ndrift: -want +got:\n%s", reason, diff)
		}
	}
	check("In sync: nothing to report.", want{code: ExitOK, changes: map[string][]string{}}, "--detailed-exitcode")

	// A console user renames the filter and makes a filter of their own.
	ctx := context.Background()
	snap, err := cloud.ReadSnapshot(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: snap.Filters[0].ID, Name: strPtr("renamed-in-console")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFilter(ctx, cloud.CreateFilterInput{Name: "by-hand"}); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, c)
	check("A console edit is drift; the hand-made filter is unmanaged.", want{code: ExitChanges,
		changes: map[string][]string{"filter.web": {"drift"}}, unmgd: []string{"filter by-hand"}}, "--detailed-exitcode")
	check("Without --detailed-exitcode drift still exits 0.", want{code: ExitOK,
		changes: map[string][]string{"filter.web": {"drift"}}, unmgd: []string{"filter by-hand"}})

	// The spec changes the session too.
	writeSpec(t, dir, "drifty.yaml", strings.Replace(wfDriftSpec, "priority: 10", "priority: 11", 1))
	check("A spec edit is labelled spec.", want{code: ExitChanges,
		changes: map[string][]string{"filter.web": {"drift"}, "session.web-to-ids": {"spec"}}, unmgd: []string{"filter by-hand"}}, "--detailed-exitcode")

	// Text and Markdown say the same.
	for _, format := range []string{"text", "markdown"} {
		code, stdout, stderr := run(t, "drift", "-f", dir, "--format", format, "--detailed-exitcode")
		if code != ExitChanges || !strings.Contains(stdout, "[drift]") || !strings.Contains(stdout, "by-hand") ||
			!strings.Contains(stderr, "Drift: stack drifty in cn-hangzhou differs: 1 changed outside tmsync, 1 other changes, 1 unmanaged.") {
			t.Errorf("drift --format %s: exit %d, want 2 with [drift], the unmanaged filter and a summary\n%s\n%s", format, code, stdout, stderr)
		}
	}
}

// wfSignal is a writer that reports its first write: the moment a run has
// rendered its plan.
type wfSignal struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
	done chan struct{}
}

func (w *wfSignal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.done) })
	return w.buf.Write(p)
}

func (w *wfSignal) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestConcurrentApplies (C13): two applies of one stack on two machines
// (separate lock directories) read the same live state and plan before
// either writes: the emulator holds every create until both have planned.
// They send the same tokens, so the end state has one object per key, and
// a later apply converges with nothing to do.
func TestConcurrentApplies(t *testing.T) {
	srv := startEmulator(t, emulator.Quotas{})
	c := sdkClient(t, srv, "cn-hangzhou")
	dir := t.TempDir()
	writeSpec(t, dir, "race.yaml", `stack: race
region: cn-hangzhou
filters:
  a:
    ingress: [{priority: 1, action: accept, protocol: ALL}]
  b:
    egress: [{priority: 1, action: drop, protocol: UDP, destinationPortRange: 53}]
sessions:
  one: {filter: a, target: {type: NetworkInterface, id: eni-t1}, sources: [eni-s1], priority: 1}
  two: {filter: b, target: {type: SLB, id: lb-t2}, sources: [eni-s2, eni-s3], priority: 2}
`)
	stacks, err := loadStacks([]string{dir}, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	release := srv.Hold("CreateTrafficMirrorFilter", "CreateTrafficMirrorSession")
	defer release()
	outs := []*wfSignal{{done: make(chan struct{})}, {done: make(chan struct{})}}
	errs := make([]bytes.Buffer, 2)
	codes := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		o := runOptions{
			format: "text", lockDir: t.TempDir(), lockTimeout: time.Second, autoApprove: true,
			endpoint: endpointOptions{Endpoint: srv.URL(), RequestTimeout: 10 * time.Second},
		}
		o.apply.Parallelism, o.apply.Timeout = 10, 20*time.Second
		o.apply.PollInitial, o.apply.PollMax = 5*time.Millisecond, 80*time.Millisecond
		o.apply.RetryBase, o.apply.RetryMax = 5*time.Millisecond, 80*time.Millisecond
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = applyStacks(context.Background(), stacks, o, strings.NewReader(""), outs[i], &errs[i])
		}()
	}
	for i, w := range outs {
		select {
		case <-w.done:
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d did not plan", i)
		}
	}
	release()
	wg.Wait()
	for i := range 2 {
		if codes[i] != nil {
			t.Errorf("run %d: %v\n%s", i, codes[i], errs[i].String())
		}
	}
	if outs[0].String() == "" || outs[0].String() != outs[1].String() {
		t.Errorf("the two runs planned differently:\n%s\n---\n%s", outs[0].String(), outs[1].String())
	}
	snap, err := cloud.ReadSnapshot(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range snap.Filters {
		keys = append(keys, "filter."+f.Tags[cloud.TagKey])
	}
	for _, s := range snap.Sessions {
		keys = append(keys, "session."+s.Tags[cloud.TagKey])
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"filter.a", "filter.b", "session.one", "session.two"}, keys); diff != "" {
		t.Errorf("objects after two concurrent applies: -want +got:\n%s", diff)
	}
	if st := srv.Stats(); st.TokenReplays == 0 {
		t.Errorf("the second run's creates were not replays of the first's tokens: %+v", st.Calls)
	}
	if code, stdout, stderr := run(t, append([]string{"apply", "-f", dir}, wfApplyFlags...)...); code != ExitOK || !strings.Contains(stdout, "No changes") {
		t.Errorf("a later apply: exit %d, want 0 with no changes\n%s\n%s", code, stdout, stderr)
	}
}

// TestManyStacks: stacks of one run are checked together, and their exit
// codes aggregate as C11 says.
func TestManyStacks(t *testing.T) {
	stack := func(name, region string, prio int, filterID string) string {
		filter := "f"
		extra := "filters:\n  f:\n    ingress: [{priority: 1, action: accept, protocol: ALL}]\n"
		if filterID != "" {
			filter, extra = filterID, ""
		}
		return fmt.Sprintf("stack: %s\nregion: %s\n%ssessions:\n  s:\n    filter: %s\n    target: {type: NetworkInterface, id: eni-t%s}\n    sources: [eni-s%s]\n    priority: %d\n",
			name, region, extra, filter, name, name, prio)
	}
	cases := map[string]struct {
		reason string
		files  map[string]string
		args   []string
		code   int
		stderr []string
	}{
		"collision": {
			reason: "Two stacks of one region wanting one session priority fail before any call, naming both places.",
			files:  map[string]string{"a.yaml": stack("alpha", "cn-hangzhou", 7, ""), "b.yaml": stack("beta", "cn-hangzhou", 7, "")},
			args:   []string{"plan"},
			code:   ExitError,
			stderr: []string{"a.yaml", "b.yaml", "stack alpha", "priority 7"},
		},
		"other-region": {
			reason: "One priority in two regions is no collision; both have changes.",
			files:  map[string]string{"a.yaml": stack("alpha", "cn-hangzhou", 7, ""), "b.yaml": stack("beta", "cn-shanghai", 7, "")},
			args:   []string{"plan", "--detailed-exitcode"},
			code:   ExitChanges,
		},
		"changes-and-error": {
			reason: "A stack that cannot plan makes the run exit 1 even though the other has changes.",
			files:  map[string]string{"a.yaml": stack("alpha", "cn-hangzhou", 7, ""), "b.yaml": stack("beta", "cn-hangzhou", 8, "tmf-doesnotexist")},
			args:   []string{"plan", "--detailed-exitcode"},
			code:   ExitError,
			stderr: []string{"beta"},
		},
		"changes-without-detail": {
			reason: "Changes exit 0 without --detailed-exitcode.",
			files:  map[string]string{"a.yaml": stack("alpha", "cn-hangzhou", 7, ""), "b.yaml": stack("beta", "cn-shanghai", 7, "")},
			args:   []string{"plan"},
			code:   ExitOK,
		},
		"drift-aggregates": {
			reason: "drift aggregates the same way.",
			files:  map[string]string{"a.yaml": stack("alpha", "cn-hangzhou", 7, ""), "b.yaml": stack("beta", "cn-hangzhou", 8, "tmf-doesnotexist")},
			args:   []string{"drift", "--detailed-exitcode"},
			code:   ExitError,
			stderr: []string{"beta"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			startEmulator(t, emulator.Quotas{})
			dir := t.TempDir()
			for f, body := range tc.files {
				writeSpec(t, dir, f, body)
			}
			code, stdout, stderr := run(t, append(tc.args, "-f", dir)...)
			if code != tc.code {
				t.Errorf("%s\nexit %d, want %d\n%s\n%s", tc.reason, code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("%s\nstderr does not name %q:\n%s", tc.reason, s, stderr)
				}
			}
		})
	}
}

// TestDoctor checks the report against an emulator whose clock is set.
func TestDoctor(t *testing.T) {
	cases := map[string]struct {
		reason string
		skew   time.Duration
		closed bool
		args   []string
		code   int
		want   []string
	}{
		"healthy": {
			reason: "Credentials from the environment, service open, clocks agree.",
			args:   []string{"--region", "cn-hangzhou"},
			code:   ExitOK,
			want:   []string{"ok    credentials: access key LTAI*********tkey from environment variables", "ok    service:     Traffic Mirror is open in cn-hangzhou", "ok    clock:       within"},
		},
		"closed-and-skewed": {
			reason: "A closed service and a few minutes of skew are warnings.",
			skew:   -4 * time.Minute,
			closed: true,
			args:   []string{"--region", "cn-hangzhou"},
			code:   ExitOK,
			want:   []string{"warn  service:     Traffic Mirror is not open in cn-hangzhou", "warn  clock:       this machine is 4m0s ahead of the API"},
		},
		"far-off": {
			reason: "20 minutes of skew fails: the API would refuse every signature.",
			skew:   20 * time.Minute,
			args:   []string{"--region", "cn-hangzhou"},
			code:   ExitError,
			want:   []string{"FAIL  clock:       this machine is 20m0s behind the API"},
		},
		"no-region": {
			reason: "Without a region only the local checks run.",
			code:   ExitOK,
			want:   []string{"Pass --region"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			isolateCredentials(t)
			srv, err := emulator.NewServer(emulator.Options{AsyncDelay: time.Millisecond,
				Now: func() time.Time { return time.Now().Add(tc.skew) }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			if tc.closed {
				srv.SetServiceOpen("cn-hangzhou", false)
			}
			t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIdoctortestkey")
			t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "doctor-secret-never-printed")
			code, stdout, stderr := run(t, append([]string{"doctor", "--endpoint", srv.URL()}, tc.args...)...)
			if code != tc.code {
				t.Errorf("%s\nexit %d, want %d\n%s\n%s", tc.reason, code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("%s\noutput lacks %q:\n%s", tc.reason, w, stdout)
				}
			}
			if strings.Contains(stdout+stderr, "doctor-secret-never-printed") {
				t.Errorf("%s\nthe secret was printed", tc.reason)
			}
		})
	}
}

// TestCompletion checks that each script is valid for its shell (when the
// shell is installed) and that bash completes commands and flag values.
func TestCompletion(t *testing.T) {
	cases := map[string]struct {
		reason string
		shell  string
		check  []string // a shell program run after sourcing the script
		want   string
	}{
		"bash-commands": {
			reason: "bash completes command names.",
			shell:  "bash",
			check:  []string{"COMP_WORDS=(tmsync dr); COMP_CWORD=1; _tmsync; echo \"${COMPREPLY[*]}\""},
			want:   "drift\n",
		},
		"bash-format": {
			reason: "bash completes --format values.",
			shell:  "bash",
			check:  []string{"COMP_WORDS=(tmsync drift --format ''); COMP_CWORD=3; _tmsync; echo \"${COMPREPLY[*]}\""},
			want:   "text json markdown\n",
		},
		"bash-flags": {
			reason: "bash completes a command's flags.",
			shell:  "bash",
			check:  []string{"COMP_WORDS=(tmsync export --filter); COMP_CWORD=2; _tmsync; echo \"${COMPREPLY[*]}\""},
			want:   "--filter-ids\n",
		},
		"zsh":  {reason: "The zsh script parses.", shell: "zsh"},
		"fish": {reason: "The fish script parses and completes.", shell: "fish", check: []string{"complete -C'tmsync exp'"}, want: "export\twrite a spec from the objects live in a region, to adopt them\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, script, stderr := run(t, "completion", tc.shell)
			if code != ExitOK {
				t.Fatalf("%s\nexit %d\n%s", tc.reason, code, stderr)
			}
			sh, err := lookPathShell(tc.shell)
			if err != nil {
				t.Skipf("%s is not installed", tc.shell)
			}
			path := filepath.Join(t.TempDir(), "tmsync."+tc.shell)
			if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := execShell(sh, "-n", path); err != nil {
				t.Fatalf("%s\n%s -n: %v\n%s", tc.reason, tc.shell, err, out)
			}
			if len(tc.check) == 0 {
				return
			}
			prog := "source " + path + "; " + strings.Join(tc.check, "; ")
			out, err := execShell(sh, "-c", prog)
			if err != nil {
				t.Fatalf("%s\n%s: %v\n%s", tc.reason, tc.shell, err, out)
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("%s\ncompletion: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
	if code, _, _ := run(t, "completion", "powershell"); code != ExitError {
		t.Errorf("an unknown shell: exit %d, want 1", code)
	}
}

func lookPathShell(name string) (string, error) { return exec.LookPath(name) }

func execShell(sh string, args ...string) (string, error) {
	cmd := exec.Command(sh, args...)
	cmd.Env = append(os.Environ(), "HOME="+os.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

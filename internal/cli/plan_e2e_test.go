package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

const (
	e2eKeyID     = "e2e-key"
	e2eKeySecret = "e2e-secret-value"
)

// startEmulator runs an emulator for one test and points tmsync at it.
func startEmulator(t *testing.T, q emulator.Quotas) *emulator.Server {
	t.Helper()
	srv, err := emulator.NewServer(emulator.Options{AccessKeys: map[string]string{e2eKeyID: e2eKeySecret},
		AsyncDelay: 5 * time.Millisecond, Seed: 7, Quotas: q})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", e2eKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", e2eKeySecret)
	t.Setenv("TMSYNC_ENDPOINT", srv.URL())
	return srv
}

func sdkClient(t *testing.T, srv *emulator.Server, region string) *aliyun.Client {
	t.Helper()
	cred, err := aliyun.StaticCredential(e2eKeyID, e2eKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aliyun.New(context.Background(), aliyun.Config{Region: region, Endpoint: srv.URL(), Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs tmsync in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"tmsync"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeSpec(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bigSpec is a stack of nf filters and ns sessions.
func bigSpec(nf, ns int) string {
	var b strings.Builder
	b.WriteString("stack: e2e\nregion: cn-hangzhou\nfilters:\n")
	for i := 0; i < nf; i++ {
		fmt.Fprintf(&b, "  f%03d:\n    ingress:\n      - {priority: 1, action: accept, protocol: TCP, destinationPortRange: %d}\n", i, 1000+i)
	}
	b.WriteString("sessions:\n")
	for i := 0; i < ns; i++ {
		fmt.Fprintf(&b, "  s%03d:\n    filter: f%03d\n    target: {type: NetworkInterface, id: eni-target%03d}\n    sources: [eni-src%03d]\n    priority: %d\n",
			i, i%nf, i, i, i+1)
	}
	return b.String()
}

// TestPlanSeesExactlyTheDiffWithinTheCallBudget builds a region of 150
// filters and 105 sessions (two List pages each), changes some of them with
// the SDK behind tmsync's back, and checks that plan reports exactly those
// changes with exactly the calls of the budget.
func TestPlanSeesExactlyTheDiffWithinTheCallBudget(t *testing.T) {
	srv := startEmulator(t, emulator.Quotas{FiltersPerRegion: -1})
	dir := t.TempDir()
	writeSpec(t, dir, "stack.yaml", bigSpec(120, 105))
	flags := []string{"--lock-dir", t.TempDir()}
	applyFlags := append([]string{"--poll-interval", "2ms", "--retry-interval", "2ms", "--max-rps", "0"}, flags...)
	if code, _, errOut := run(t, append([]string{"apply", "-f", dir, "--auto-approve"}, applyFlags...)...); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}

	c := sdkClient(t, srv, "cn-hangzhou")
	ctx := context.Background()
	fs, err := c.ListFilters(ctx, cloud.ListFiltersInput{})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := c.ListSessions(ctx, cloud.ListSessionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := func(tags cloud.Tags) string { return tags[cloud.TagKey] }
	var f001, s002, s003 string
	for _, f := range fs {
		if byKey(f.Tags) == "f001" {
			f001 = f.ID
		}
	}
	for _, s := range ss {
		switch byKey(s.Tags) {
		case "s002":
			s002 = s.ID
		case "s003":
			s003 = s.ID
		}
	}
	// Someone renames a filter, deletes a session and changes another.
	if err := c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: f001, Name: strPtr("console-name")}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSession(ctx, s002, cloud.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	plen := 9000
	if err := c.UpdateSession(ctx, cloud.UpdateSessionInput{ID: s003, SessionPatch: cloud.SessionPatch{PacketLength: &plen}}); err != nil {
		t.Fatal(err)
	}
	// And makes 30 filters of their own.
	for i := 0; i < 30; i++ {
		if _, err := c.CreateFilter(ctx, cloud.CreateFilterInput{Name: fmt.Sprintf("theirs-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitSettled(t, c)

	srv.ResetStats()
	code, out, errOut := run(t, append([]string{"plan", "-f", dir, "--format", "json", "--detailed-exitcode"}, flags...)...)
	if code != ExitChanges {
		t.Fatalf("plan: exit %d, want %d\n%s", code, ExitChanges, errOut)
	}
	var doc struct {
		Changes []struct {
			Address string   `json:"address"`
			Action  string   `json:"action"`
			Reason  []string `json:"reason"`
		} `json:"changes"`
		Unmanaged []struct{ ID string } `json:"unmanaged"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, out)
	}
	var got []string
	for _, ch := range doc.Changes {
		got = append(got, fmt.Sprintf("%s %s %v", ch.Address, ch.Action, ch.Reason))
	}
	sort.Strings(got)
	want := []string{
		"filter.f001 update [drift]",
		"session.s002 create [missing]",
		"session.s003 update [drift]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(doc.Unmanaged) != 30 {
		t.Errorf("unmanaged = %d, want the 30 foreign filters", len(doc.Unmanaged))
	}
	// The budget: ceil(150/100) + ceil(104/100) List calls and one status call.
	wantCalls := map[string]int{"GetTrafficMirrorServiceStatus": 1, "ListTrafficMirrorFilters": 2, "ListTrafficMirrorSessions": 2}
	if diff := cmp.Diff(wantCalls, srv.Stats().Calls); diff != "" {
		t.Errorf("API calls of a plan (-want +got):\n%s", diff)
	}
}

func strPtr(s string) *string { return &s }

// waitSettled waits until every object of the region is Created.
func waitSettled(t *testing.T, c cloud.Client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		snap, err := cloud.ReadSnapshot(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		settled := true
		for _, f := range snap.Filters {
			settled = settled && f.Status == cloud.StatusCreated
		}
		for _, s := range snap.Sessions {
			settled = settled && s.Status == cloud.StatusCreated
		}
		if settled {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("objects did not settle")
}

// TestFriendlyFormsConverge applies a spec written in every friendly form of
// C4 against the emulator; the next plan must be empty.
func TestFriendlyFormsConverge(t *testing.T) {
	startEmulator(t, emulator.Quotas{})
	dir := t.TempDir()
	writeSpec(t, dir, "forms.yaml", `stack: forms
region: cn-shanghai
filters:
  forms:
    ingress:
      - {priority: 1, action: accept, protocol: TCP, destinationPortRange: any}
      - {priority: 2, action: accept, protocol: TCP}
      - {priority: 3, action: accept, protocol: UDP, sourcePortRange: 1/65535, destinationPortRange: "-1/-1"}
      - {priority: 4, action: drop, protocol: TCP, destinationPortRange: 443}
      - {priority: 5, action: accept, protocol: TCP, destinationPortRange: 8000/8080, sourceCidrBlock: 10.0.0.0/8}
      - {priority: 6, action: accept, protocol: ALL}
      - {priority: 7, action: accept, protocol: ICMP, destinationCidrBlock: 192.168.0.0/16}
    egress:
      - {priority: 1, action: accept, protocol: ALL, ipVersion: IPv6}
      - {priority: 2, action: accept, protocol: UDP, ipVersion: IPv6, destinationCidrBlock: "2001:db8::/32", destinationPortRange: 53}
      - {priority: 3, action: accept, protocol: ICMP, ipVersion: IPv4}
sessions:
  forms:
    filter: forms
    target: {type: SLB, id: lb-collector01}
    sources: [eni-b, eni-a]
    priority: 7
`)
	lock := t.TempDir()
	if code, _, errOut := run(t, "apply", "-f", dir, "--auto-approve", "--lock-dir", lock, "--poll-interval", "2ms", "--retry-interval", "2ms"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	code, out, errOut := run(t, "plan", "-f", dir, "--detailed-exitcode", "--lock-dir", lock)
	if code != ExitOK || !strings.Contains(out, "No changes.") {
		t.Fatalf("plan after apply: exit %d, want 0 and No changes\n%s\n%s", code, out, errOut)
	}
}

func TestInterspersedFlags(t *testing.T) {
	cases := map[string]struct {
		reason string
		args   []string
		want   []string
	}{
		"plan file first": {
			reason: "flags after a saved plan are moved before it",
			args:   []string{"tmsync", "apply", "plan.json", "--endpoint", "local", "--auto-approve"},
			want:   []string{"tmsync", "apply", "--endpoint", "local", "--auto-approve", "plan.json"},
		},
		"equals form": {
			reason: "a flag with = keeps its value",
			args:   []string{"tmsync", "validate", "examples/", "--format=json"},
			want:   []string{"tmsync", "validate", "--format=json", "examples/"},
		},
		"double dash": {
			reason: "everything after -- stays an argument",
			args:   []string{"tmsync", "validate", "a", "--", "--format"},
			want:   []string{"tmsync", "validate", "a", "--", "--format"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, interspersed(commands(), tc.args)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/traffic"
)

const (
	testRegion   = "cn-hangzhou"
	testEndpoint = "local (.tmsync/emulator-state.json)"
	testVersion  = "v1.2.3"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newFile plans a small stack from an empty region: a filter with a rule and
// a session, so that the plan has numbers, lists and maps in its changes.
func newFile(t testing.TB, stack string) *File {
	t.Helper()
	r, err := cloud.CanonicalRule(cloud.Rule{Direction: cloud.Ingress, Priority: 1, Action: "accept",
		Protocol: "TCP", DestCIDR: "10.0.0.0/24", DestPort: "443"}, true)
	if err != nil {
		t.Fatal(err)
	}
	desired := &spec.Stack{Name: stack, Region: testRegion, Service: &spec.Service{Enabled: true},
		Limits: spec.Limits{SourcesPerSession: 10},
		Filters: []*spec.Filter{{Key: "web", Name: "web", Description: "<web> & co", Ingress: []spec.Rule{{Rule: r}},
			Tags: cloud.Tags{"team": "netsec"}}},
		Sessions: []*spec.Session{{Key: "ids", Name: "ids", Filter: "web", TargetType: cloud.TargetENI,
			TargetID: "eni-target", Sources: []string{"eni-a", "eni-b"}, Priority: 5, Enabled: true, PacketLength: 1500}},
		Files: []string{"stack.yaml"}}
	snap := &cloud.Snapshot{Region: testRegion, ServiceEnabled: true, Filters: []cloud.Filter{}, Sessions: []cloud.Session{}}
	opts := plan.Options{Endpoint: testEndpoint, MaxDestroy: 3, Reserved: map[int]string{7: "session.other"}}
	p, err := plan.Compute(desired, snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	// As the engine does: what the plan changes in traffic beside it.
	p.Traffic = traffic.ForPlan(desired, snap, p)
	return New(p, desired, snap, opts, testVersion, t0)
}

func encodeJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	f := newFile(t, "web")
	if err := Save(path, f, nil); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The plan's before and after maps come back with json.Number where
	// Compute put ints: compare encodings, which must be identical.
	if diff := cmp.Diff(encodeJSON(t, f), encodeJSON(t, got)); diff != "" {
		t.Errorf("loaded file differs from the saved one (-saved +loaded):\n%s", diff)
	}
	if diff := cmp.Diff(f.Desired, got.Desired); diff != "" {
		t.Errorf("desired state (-saved +loaded):\n%s", diff)
	}
	if diff := cmp.Diff(f.Plan.Steps, got.Plan.Steps); diff != "" {
		t.Errorf("steps (-saved +loaded):\n%s", diff)
	}
	if diff := cmp.Diff(f.Options.PlanOptions(testEndpoint), got.Options.PlanOptions(got.Endpoint)); diff != "" {
		t.Errorf("plan options (-saved +loaded):\n%s", diff)
	}
	if !strings.HasPrefix(got.Checksum, "sha256:") || got.Checksum != f.Checksum {
		t.Errorf("checksum %q, want the one Save set (%q)", got.Checksum, f.Checksum)
	}
	// Computing again from what was saved gives the same plan: what
	// apply does when live state has moved.
	again, err := plan.Compute(got.Desired, got.Snapshot, got.Options.PlanOptions(got.Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.Plan.ID, again.ID); diff != "" {
		t.Errorf("plan ID computed from the saved inputs (-saved +again):\n%s", diff)
	}
}

func TestSaveFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, newFile(t, "web"), nil); err != nil {
		t.Fatalf("Save over an existing file: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"plan.json"}, names); diff != "" {
		t.Errorf("files left in the directory (-want +got):\n%s", diff)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", st.Mode().Perm())
		}
	}
	if err := Save(filepath.Join(dir, "missing", "plan.json"), newFile(t, "web"), nil); err == nil {
		t.Errorf("Save into a missing directory succeeded")
	}
}

func TestBundle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	b := &Bundle{Files: []*File{newFile(t, "web"), newFile(t, "dns")}}
	if err := SaveBundle(path, b, nil); err != nil {
		t.Fatal(err)
	}
	got, err := LoadBundle(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stacks []string
	for _, p := range got.Plans() {
		stacks = append(stacks, p.Stack)
	}
	if diff := cmp.Diff([]string{"web", "dns"}, stacks); diff != "" {
		t.Errorf("stacks in order (-want +got):\n%s", diff)
	}
	if got.Stack("dns") == nil || got.Stack("nope") != nil {
		t.Errorf("Stack lookup: dns=%v nope=%v", got.Stack("dns"), got.Stack("nope"))
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "2 stacks") {
		t.Errorf("Load of a bundle of two: err = %v, want one saying it holds 2 stacks", err)
	}
	dup := &Bundle{Files: []*File{newFile(t, "web"), newFile(t, "web")}}
	if err := SaveBundle(path, dup, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("SaveBundle with a stack twice: err = %v, want ErrInvalid", err)
	}
}

// saved returns the bytes of a valid saved bundle of the given stacks.
func saved(t testing.TB, stacks ...string) []byte {
	t.Helper()
	b := &Bundle{}
	for _, s := range stacks {
		b.Files = append(b.Files, newFile(t, s))
	}
	data, err := b.encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edit decodes a saved document, changes it and encodes it again without
// fixing checksums.
func edit(t testing.TB, data []byte, change func(doc map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// resum recomputes the checksums of a bundle edited by hand, as someone
// tampering with a plan would.
func resum(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc bundleDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Files {
		sum, err := f.sum(nil)
		if err != nil {
			t.Fatal(err)
		}
		f.Checksum = sum
	}
	doc.Checksum = ""
	sum, err := checksum(doc)
	if err != nil {
		t.Fatal(err)
	}
	doc.Checksum = sum
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func file0(doc map[string]any) map[string]any {
	return doc["files"].([]any)[0].(map[string]any)
}

func TestReadErrors(t *testing.T) {
	valid := saved(t, "web")
	two := saved(t, "web", "dns")
	cases := map[string]struct {
		reason string
		data   []byte
		want   error
	}{
		"valid": {reason: "a file as Save wrote it", data: valid},
		"reformatted": {
			reason: "whitespace and key order do not matter: the checksum is over the content",
			data:   edit(t, valid, func(map[string]any) {}),
		},
		"tampered step": {
			reason: "a client token changed by hand",
			data: edit(t, valid, func(doc map[string]any) {
				step := file0(doc)["plan"].(map[string]any)["steps"].([]any)[0].(map[string]any)
				step["client_token"] = "tm1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			}),
			want: ErrTampered,
		},
		"tampered expiry": {
			reason: "an expiry pushed out by hand",
			data: edit(t, valid, func(doc map[string]any) {
				file0(doc)["expires_at"] = "2099-01-01T00:00:00Z"
			}),
			want: ErrTampered,
		},
		"stack dropped": {
			reason: "one stack cut out of a bundle, each remaining file intact",
			data: edit(t, two, func(doc map[string]any) {
				doc["files"] = doc["files"].([]any)[:1]
			}),
			want: ErrTampered,
		},
		"unknown field": {
			reason: "strict decoding: a field this version does not know",
			data:   edit(t, valid, func(doc map[string]any) { file0(doc)["extra"] = true }),
			want:   ErrInvalid,
		},
		"trailing data": {reason: "a second document after the first", data: append(append([]byte{}, valid...), "{}"...), want: ErrInvalid},
		"other format": {
			reason: "a format this version does not read",
			data:   edit(t, valid, func(doc map[string]any) { doc["format_version"] = "3.0" }),
			want:   ErrInvalid,
		},
		"format 1": {
			reason: "a plan saved by the version before the plan document (format 1) is refused, not migrated",
			data:   edit(t, valid, func(doc map[string]any) { doc["format_version"] = "1"; file0(doc)["format_version"] = "1" }),
			want:   ErrInvalid,
		},
		"tampered desired state": {
			reason: "the desired state changed and the file re-checksummed by hand",
			data: resum(t, edit(t, valid, func(doc map[string]any) {
				file0(doc)["desired"].(map[string]any)["limits"].(map[string]any)["sources_per_session"] = 3
			})),
			want: ErrTampered,
		},
		"not a plan": {reason: "the JSON view is not a saved plan", data: []byte(`{"format_version":"1.0","stack":"web"}`), want: ErrInvalid},
		"not json":   {reason: "a YAML spec given by mistake", data: []byte("stack: web\n"), want: ErrInvalid},
		"empty":      {reason: "an empty file", data: nil, want: ErrInvalid},
		"no files": {
			reason: "a bundle of nothing",
			data:   []byte(`{"kind":"tmsync-saved-plan","format_version":"1","files":[]}`),
			want:   ErrInvalid,
		},
		"null file": {
			reason: "a null entry",
			data:   []byte(`{"kind":"tmsync-saved-plan","format_version":"1","files":[null]}`),
			want:   ErrInvalid,
		},
		"inconsistent": {
			reason: "the file's stack is not its plan's stack",
			data:   edit(t, valid, func(doc map[string]any) { file0(doc)["stack"] = "other" }),
			want:   ErrInvalid,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadBundle(bytes.NewReader(tc.data), nil)
			if tc.want == nil {
				if err != nil {
					t.Errorf("%s: %v", tc.reason, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.reason, err, tc.want)
			}
		})
	}
}

func TestReadSizeLimit(t *testing.T) {
	data := saved(t, "web")
	if _, err := read(bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
	if _, err := read(bytes.NewReader(data), int64(len(data)-1), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("a file one byte over the limit: err = %v, want ErrInvalid", err)
	}
}

func TestCheck(t *testing.T) {
	f := newFile(t, "web")
	type args struct {
		endpoint, region, stack, version string
		now                              time.Time
	}
	ok := args{testEndpoint, testRegion, "web", testVersion, t0.Add(30 * time.Minute)}
	cases := map[string]struct {
		reason      string
		args        args
		wantExpired bool
		wantForeign []Mismatch
	}{
		"ok": {reason: "same everything, within the hour", args: ok},
		"expired": {
			reason: "an hour later, on the dot", args: args{ok.endpoint, ok.region, ok.stack, ok.version, t0.Add(DefaultTTL)},
			wantExpired: true,
		},
		"endpoint": {
			reason:      "planned against the emulator, applied against the cloud",
			args:        args{"", ok.region, ok.stack, ok.version, ok.now},
			wantForeign: []Mismatch{{What: "endpoint", Saved: testEndpoint, Current: ""}},
		},
		"version": {
			reason: "another tmsync version", args: args{ok.endpoint, ok.region, ok.stack, "v1.2.4", ok.now},
			wantForeign: []Mismatch{{What: "tmsync version", Saved: testVersion, Current: "v1.2.4"}},
		},
		"all": {
			reason: "every difference is named at once, and expiry too",
			args:   args{"https://vpc.example.com", "cn-beijing", "dns", "v2", t0.Add(2 * time.Hour)},
			wantForeign: []Mismatch{
				{What: "endpoint", Saved: testEndpoint, Current: "https://vpc.example.com"},
				{What: "region", Saved: testRegion, Current: "cn-beijing"},
				{What: "stack", Saved: "web", Current: "dns"},
				{What: "tmsync version", Saved: testVersion, Current: "v2"},
			},
			wantExpired: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := tc.args
			err := f.Check(a.endpoint, a.region, a.stack, a.version, a.now)
			if got := errors.Is(err, ErrExpired); got != tc.wantExpired {
				t.Errorf("%s: errors.Is(err, ErrExpired) = %v, want %v (err %v)", tc.reason, got, tc.wantExpired, err)
			}
			var fe *ForeignError
			var got []Mismatch
			if errors.As(err, &fe) {
				got = fe.Mismatches
			}
			if diff := cmp.Diff(tc.wantForeign, got); diff != "" {
				t.Errorf("%s: mismatches (-want +got):\n%s", tc.reason, diff)
			}
			if errors.Is(err, ErrForeign) != (tc.wantForeign != nil) {
				t.Errorf("%s: errors.Is(err, ErrForeign) wrong for %v", tc.reason, err)
			}
			if err != nil && !strings.Contains(err.Error(), "run tmsync plan again") {
				t.Errorf("%s: %q does not say what to do", tc.reason, err)
			}
		})
	}
}

func TestNewTimes(t *testing.T) {
	local := time.Date(2026, 3, 1, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f := newFile(t, "web")
	f2 := New(f.Plan, f.Desired, f.Snapshot, plan.Options{Endpoint: testEndpoint}, testVersion, local)
	if diff := cmp.Diff(t0, f2.CreatedAt); diff != "" {
		t.Errorf("CreatedAt in UTC (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(t0.Add(DefaultTTL), f2.ExpiresAt); diff != "" {
		t.Errorf("ExpiresAt after DefaultTTL (-want +got):\n%s", diff)
	}
}

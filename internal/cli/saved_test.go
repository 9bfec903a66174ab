package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/planfile"
)

// TestSignedSavedPlans: with TMSYNC_PLAN_KEY, plan --out signs the plan
// with an HMAC keyed by it, and apply and show read it only with that key;
// with a key set, an unsigned plan is refused. The key is never printed nor
// written to the file.
func TestSignedSavedPlans(t *testing.T) {
	const key = "the-ci-key-5ecret-of-32-characters"
	const other = "another-key-0f-32-characters-long"
	t.Setenv("TMSYNC_ENDPOINT", "")
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	os.Mkdir(spec, 0o755)
	writeSpec(t, spec, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
	local := []string{"--endpoint", "local", "--state-dir", filepath.Join(dir, "state"), "--lock-dir", filepath.Join(dir, "locks")}
	signed, unsigned := filepath.Join(dir, "signed.json"), filepath.Join(dir, "unsigned.json")

	t.Setenv(planKeyEnv, key)
	if code, _, stderr := run(t, append([]string{"plan", "-f", spec, "--out", signed}, local...)...); code != ExitOK {
		t.Fatalf("plan --out with a key: exit %d\n%s", code, stderr)
	}
	t.Setenv(planKeyEnv, "")
	if code, _, stderr := run(t, append([]string{"plan", "-f", spec, "--out", unsigned}, local...)...); code != ExitOK {
		t.Fatalf("plan --out without a key: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"checksum": "hmac-sha256:`) || strings.Contains(string(data), key) {
		t.Errorf("the signed plan has no HMAC, or holds the key:\n%s", data)
	}

	cases := []struct {
		reason   string
		key      string
		args     []string
		wantCode int
		want     []string // in stdout or stderr
	}{
		{reason: "show without the key refuses a signed plan and says what to set",
			args: []string{"show", signed}, wantCode: ExitError,
			want: []string{"saved plan is signed with a key, and no key was given to check it", "hint: set TMSYNC_PLAN_KEY to the key the plan was made with"}},
		{reason: "show with another key refuses it",
			key: other, args: []string{"show", signed}, wantCode: ExitError,
			want: []string{"does not match its signature: it was signed with another key, or changed after it was written",
				"or TMSYNC_PLAN_KEY is not the key it was made with"}},
		{reason: "show with the key shows it, and says it is signed",
			key: key, args: []string{"show", signed}, wantCode: ExitOK, want: []string{"signed with TMSYNC_PLAN_KEY", "+ filter.web"}},
		{reason: "show without a key shows an unsigned plan and says it is not signed",
			args: []string{"show", unsigned}, wantCode: ExitOK, want: []string{"not signed (set TMSYNC_PLAN_KEY to sign plans)"}},
		{reason: "with a key, an unsigned plan is refused",
			key: key, args: append([]string{"apply", unsigned}, local...), wantCode: ExitError,
			want: []string{"saved plan is not signed, and a key was given", "hint: make the plan with TMSYNC_PLAN_KEY set"}},
		{reason: "apply without the key refuses a signed plan",
			args: append([]string{"apply", signed}, local...), wantCode: ExitError,
			want: []string{"saved plan is signed with a key"}},
		{reason: "apply with another key refuses it",
			key: other, args: append([]string{"apply", signed}, local...), wantCode: ExitError,
			want: []string{"signed with another key"}},
		{reason: "a key too short to be a secret is refused, and not printed",
			key: "s3kr1t", args: append([]string{"apply", signed}, local...), wantCode: ExitError,
			want: []string{"TMSYNC_PLAN_KEY is shorter than 16 characters"}},
		{reason: "apply with the key applies it",
			key: key, args: append([]string{"apply", signed}, local...), wantCode: ExitOK,
			want: []string{"Apply complete: 1 added"}},
	}
	for _, tc := range cases {
		t.Setenv(planKeyEnv, tc.key)
		code, stdout, stderr := run(t, tc.args...)
		out := stdout + stderr
		if code != tc.wantCode {
			t.Errorf("%s: exit %d, want %d\n%s", tc.reason, code, tc.wantCode, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.reason, w, out)
			}
		}
		for _, k := range []string{key, other, "s3kr1t"} {
			if strings.Contains(out, k) {
				t.Errorf("%s: output holds a key:\n%s", tc.reason, out)
			}
		}
	}
}

// TestPlanFileArguments: a saved plan given with -f or beside specs, or as
// a spec, and an empty plan file, get a message about saved plans, not a
// YAML error.
func TestPlanFileArguments(t *testing.T) {
	t.Setenv("TMSYNC_ENDPOINT", "")
	t.Setenv(planKeyEnv, "")
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	os.Mkdir(spec, 0o755)
	writeSpec(t, spec, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
	local := []string{"--endpoint", "local", "--state-dir", filepath.Join(dir, "state"), "--lock-dir", filepath.Join(dir, "locks")}
	plan := filepath.Join(dir, "plan.json")
	if code, _, stderr := run(t, append([]string{"plan", "-f", spec, "--out", plan}, local...)...); code != ExitOK {
		t.Fatalf("plan --out: exit %d\n%s", code, stderr)
	}
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason string
		args   []string
		want   string // the error line
		hint   string
	}{
		"apply plan with -f": {reason: "a saved plan mixed with -f",
			args: []string{"apply", plan, "-f", spec, "--auto-approve"},
			want: "tmsync: error: " + plan + " is a saved plan: a saved plan is applied alone, without -f or other paths",
			hint: "hint: tmsync apply " + plan + " applies the plan"},
		"apply plan beside a spec": {reason: "a saved plan beside a spec path",
			args: []string{"apply", plan, spec, "--auto-approve"},
			want: "tmsync: error: " + plan + " is a saved plan: a saved plan is applied alone, without -f or other paths"},
		"apply -f plan": {reason: "a saved plan given with -f",
			args: []string{"apply", "-f", plan, "--auto-approve"},
			want: "tmsync: error: " + plan + " is a saved plan: a saved plan is applied alone, without -f or other paths"},
		"plan -f plan": {reason: "a saved plan is not a spec to plan",
			args: []string{"plan", "-f", plan},
			want: "tmsync: error: " + plan + " is a saved plan, not a spec",
			hint: "hint: tmsync show " + plan + " renders it; tmsync apply " + plan + " applies it"},
		"drift -f plan": {reason: "nor to check for drift",
			args: []string{"drift", "-f", plan},
			want: "tmsync: error: " + plan + " is a saved plan, not a spec"},
		"destroy -f plan": {reason: "nor to destroy",
			args: []string{"destroy", "-f", plan, "--auto-approve"},
			want: "tmsync: error: " + plan + " is a saved plan, not a spec"},
		"apply empty": {reason: "an empty plan file is said to be empty",
			args: []string{"apply", empty},
			want: "tmsync: error: read saved plan " + empty + ": not a valid tmsync saved plan: the file is empty",
			hint: "hint: a saved plan is the file tmsync plan --out FILE writes"},
		"apply empty with -f": {reason: "also beside specs",
			args: []string{"apply", empty, "-f", spec, "--auto-approve"},
			want: "tmsync: error: " + empty + " is a saved plan: a saved plan is applied alone, without -f or other paths"},
		"show empty": {reason: "show says the same",
			args: []string{"show", empty},
			want: "tmsync: error: read saved plan " + empty + ": not a valid tmsync saved plan: the file is empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := tc.args
			if args[0] != "show" {
				args = append(args, local...)
			}
			code, stdout, stderr := run(t, args...)
			if code != ExitError {
				t.Errorf("%s: exit %d, want %d", tc.reason, code, ExitError)
			}
			lines := strings.SplitN(stderr, "\n", 2)
			if lines[0] != tc.want {
				t.Errorf("%s: error line\n%s\nwant\n%s\nstdout:\n%s", tc.reason, lines[0], tc.want, stdout)
			}
			if tc.hint != "" && !strings.Contains(stderr, tc.hint) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.reason, tc.hint, stderr)
			}
			if strings.Contains(stderr, "invalid spec") || strings.Contains(stderr, "YAML") {
				t.Errorf("%s: a spec error:\n%s", tc.reason, stderr)
			}
		})
	}
}

// TestTamperedPlanIsNotStale: a saved plan whose steps were edited and
// checksummed again is refused as changed after it was written, not
// reported as live state that changed since it was saved.
func TestTamperedPlanIsNotStale(t *testing.T) {
	t.Setenv("TMSYNC_ENDPOINT", "")
	t.Setenv(planKeyEnv, "")
	dir := t.TempDir()
	writeSpec(t, dir, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
	local := []string{"--endpoint", "local", "--state-dir", filepath.Join(dir, "state"), "--lock-dir", filepath.Join(dir, "locks")}
	path := filepath.Join(dir, "plan.json")
	if code, _, stderr := run(t, append([]string{"plan", "-f", dir, "--out", path}, local...)...); code != ExitOK {
		t.Fatalf("plan --out: exit %d\n%s", code, stderr)
	}
	// Edit the create into another filter's and write the file again:
	// SaveBundle checksums it as a forger would.
	b, err := planfile.LoadBundle(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	op := b.Files[0].Plan.Steps[0].Op.(*plan.CreateFilter)
	op.Name = "evil"
	if err := planfile.SaveBundle(path, b, nil); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{append([]string{"apply", path}, local...), {"show", path}} {
		code, stdout, stderr := run(t, args...)
		if code != ExitError {
			t.Errorf("%s: exit %d, want %d\n%s", args[0], code, ExitError, stdout)
		}
		if want := "saved plan was changed after it was written"; !strings.Contains(stderr, want) || strings.Contains(stderr, "Live state") {
			t.Errorf("%s: stderr does not say %q, or says live state changed:\n%s", args[0], want, stderr)
		}
	}
}

package cli

import (
	"strings"
	"testing"
)

// TestRegionCheck checks when a region ID is checked against Alibaba
// Cloud's regions: validate, and plan with the default endpoint, refuse an
// unknown one at its region: line with a suggestion and warn about a region
// without Traffic Mirror; any --endpoint (TMSYNC_ENDPOINT too) skips the
// check, since an emulator or private endpoint may serve any region.
func TestRegionCheck(t *testing.T) {
	const typo = "$DIR/s.yaml:2:9: region \"cn-hangzou\" is not an Alibaba Cloud region\n  hint: did you mean cn-hangzhou?"
	const noMirror = "$DIR/s.yaml:2:9: warning: Traffic Mirror is not offered in region cn-north-2-gov-1"
	cases := map[string]struct {
		reason     string
		region     string
		args       []string
		env        string // TMSYNC_ENDPOINT
		wantCode   int
		wantStderr string // a substring, with the spec directory as $DIR
		wantNot    string
	}{
		"validate typo": {reason: "a typo is an error with a suggestion",
			region: "cn-hangzou", args: []string{"validate"}, wantCode: ExitError, wantStderr: typo},
		"validate typo json": {reason: "the JSON diagnostics carry the position and hint",
			region: "cn-hangzou", args: []string{"validate", "--format", "json"}, wantCode: ExitError},
		"validate no mirror": {reason: "a real region without Traffic Mirror is a warning",
			region: "cn-north-2-gov-1", args: []string{"validate"}, wantCode: ExitOK, wantStderr: noMirror},
		"validate known": {reason: "a region with Traffic Mirror passes quietly",
			region: "cn-hangzhou", args: []string{"validate"}, wantCode: ExitOK, wantNot: "region"},
		"validate endpoint": {reason: "--endpoint skips the check",
			region: "cn-hangzou", args: []string{"validate", "--endpoint", "local"}, wantCode: ExitOK, wantNot: "region"},
		"validate env endpoint": {reason: "TMSYNC_ENDPOINT skips the check",
			region: "cn-hangzou", args: []string{"validate"}, env: "http://127.0.0.1:1", wantCode: ExitOK, wantNot: "region"},
		"plan typo": {reason: "plan against Alibaba Cloud refuses a typo before any call",
			region: "cn-hangzou", args: []string{"plan"}, wantCode: ExitError, wantStderr: typo},
		"plan local": {reason: "plan against the emulator takes any region",
			region: "cn-hangzou", args: []string{"plan", "--endpoint", "local"}, wantCode: ExitOK, wantNot: "not an Alibaba Cloud region"},
		"plan local no mirror": {reason: "nor does it warn against the emulator",
			region: "cn-north-2-gov-1", args: []string{"plan", "--endpoint", "local"}, wantCode: ExitOK, wantNot: "warning"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TMSYNC_ENDPOINT", tc.env)
			dir := t.TempDir()
			writeSpec(t, dir, "s.yaml", "stack: s\nregion: "+tc.region+"\nfilters:\n  web: {}\n")
			args := append(append([]string{}, tc.args...), "-f", dir)
			if tc.args[0] == "plan" {
				args = append(args, "--state-dir", t.TempDir(), "--lock-dir", t.TempDir())
			}
			code, stdout, stderr := run(t, args...)
			stdout = strings.ReplaceAll(stdout, dir, "$DIR")
			stderr = strings.ReplaceAll(stderr, dir, "$DIR")
			if code != tc.wantCode {
				t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.reason, code, tc.wantCode, stdout, stderr)
			}
			if tc.wantStderr != "" && !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.reason, tc.wantStderr, stderr)
			}
			if tc.wantNot != "" && strings.Contains(stderr, tc.wantNot) {
				t.Errorf("%s: stderr has %q:\n%s", tc.reason, tc.wantNot, stderr)
			}
			if name == "validate typo json" && (!strings.Contains(stdout, `"line": 2`) || !strings.Contains(stdout, `"hint": "did you mean cn-hangzhou?"`)) {
				t.Errorf("%s: stdout:\n%s", tc.reason, stdout)
			}
		})
	}
}

// TestExportAnyRegionFromEmulator checks that export from an endpoint other
// than Alibaba Cloud's checks what it wrote as validate does for it: a
// region the emulator takes is not an error.
func TestExportAnyRegionFromEmulator(t *testing.T) {
	t.Setenv("TMSYNC_ENDPOINT", "")
	code, stdout, stderr := run(t, "export", "--region", "cn-test-1", "--stack", "s", "--endpoint", "local", "--state-dir", t.TempDir())
	if code != ExitOK || !strings.Contains(stdout, "region: cn-test-1") {
		t.Errorf("export from the emulator: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

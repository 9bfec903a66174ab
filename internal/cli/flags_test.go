package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ucli "github.com/urfave/cli/v2"
)

// numericFlags returns the names of the numeric flags of cmd.
func numericFlags(cmd *ucli.Command) []string {
	var out []string
	for _, f := range cmd.Flags {
		switch f.(type) {
		case *ucli.IntFlag, *ucli.Int64Flag, *ucli.UintFlag, *ucli.Uint64Flag, *ucli.Float64Flag, *ucli.DurationFlag:
			out = append(out, f.Names()[0])
		}
	}
	sort.Strings(out)
	return out
}

// flagArgs are arguments after which each command would go on to do its
// work (read a spec, start an emulator, make its state directory), so that
// a flag refused late would show.
func flagArgs(t *testing.T, cmd, state, locks string) []string {
	spec := t.TempDir()
	writeSpec(t, spec, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
	local := []string{"--endpoint", "local", "--state-dir", state}
	switch cmd {
	case "plan", "drift":
		return append([]string{"-f", spec, "--lock-dir", locks}, local...)
	case "apply", "destroy":
		return append([]string{"-f", spec, "--lock-dir", locks, "--auto-approve"}, local...)
	case "export", "doctor":
		return append([]string{"--region", "cn-hangzhou"}, local...)
	case "emulator":
		// A port that cannot be listened on: an emulator that started
		// would fail rather than serve on.
		return []string{"--listen", "127.0.0.1:99999", "--state", filepath.Join(state, "emulator.json")}
	}
	return nil
}

// TestNumericFlags checks every numeric flag of every command: a value out
// of its range is refused with one wording, exit 1, before the command
// reads a spec, makes a directory or starts anything. A numeric flag added
// without a bound, or without a case here, fails the test.
func TestNumericFlags(t *testing.T) {
	// Bad values and the error they get, by flag name; byCommand holds
	// flags whose range differs in one command.
	type bad struct{ value, want string }
	cases := map[string][]bad{
		"max-destroy":         {{"-1", "--max-destroy must not be negative, got -1"}},
		"sources-per-session": {{"-1", "--sources-per-session must not be negative, got -1"}},
		"sessions-per-source": {{"-1", "--sessions-per-source must not be negative, got -1"}},
		"lock-timeout":        {{"-1s", "--lock-timeout must not be negative, got -1s"}},
		"request-timeout":     {{"0", "--request-timeout must be positive, got 0s"}, {"-1s", "--request-timeout must be positive, got -1s"}},
		"expires-in":          {{"0s", "--expires-in must be positive, got 0s"}, {"-1h", "--expires-in must be positive, got -1h0m0s"}},
		"stack-parallelism":   {{"-5", "--stack-parallelism must be at least 1, got -5"}, {"0", "--stack-parallelism must be at least 1, got 0"}},
		"parallelism":         {{"0", "--parallelism must be at least 1, got 0"}, {"-1", "--parallelism must be at least 1, got -1"}},
		"max-rps": {{"-1", "--max-rps must not be negative, got -1"}, {"NaN", "--max-rps must be a finite number, got NaN"},
			{"+Inf", "--max-rps must be a finite number, got +Inf"}},
		"timeout":             {{"-1s", "--timeout must be positive, got -1s"}, {"0s", "--timeout must be positive, got 0s"}},
		"poll-interval":       {{"0s", "--poll-interval must be positive, got 0s"}, {"-1ms", "--poll-interval must be positive, got -1ms"}},
		"retry-interval":      {{"-1ms", "--retry-interval must be positive, got -1ms"}},
		"gone-after":          {{"-1s", "--gone-after must be positive, got -1s"}},
		"max-source-removal":  {{"-1", "--max-source-removal must not be negative, got -1"}},
		"max-source-addition": {{"-1", "--max-source-addition must not be negative, got -1"}},
	}
	byCommand := map[string]map[string][]bad{
		"emulator": {
			"async-delay":         {{"-1s", "--async-delay must not be negative, got -1s"}},
			"latency":             {{"-1ms", "--latency must not be negative, got -1ms"}},
			"filters-per-region":  {{"-2", "--filters-per-region must be at least -1, got -2"}},
			"sessions-per-region": {{"-2", "--sessions-per-region must be at least -1, got -2"}},
			"sources-per-session": {{"0", "--sources-per-session must be at least 1, got 0"}},
			"sessions-per-source": {{"-1", "--sessions-per-source must not be negative, got -1"}},
			"token-ttl":           {{"0s", "--token-ttl must be positive, got 0s"}},
			"enis-per-tag-query":  {{"0", "--enis-per-tag-query must be at least 1, got 0"}},
			// Any seed is a seed: 0 draws one.
			"seed": nil,
		},
	}
	t.Setenv("TMSYNC_ENDPOINT", "")
	for _, cmd := range commands() {
		for _, name := range numericFlags(cmd) {
			bads, ok := byCommand[cmd.Name][name]
			if !ok {
				bads, ok = cases[name]
			}
			if !ok {
				t.Errorf("%s --%s: no case; give it a bound and a case here", cmd.Name, name)
				continue
			}
			for _, b := range bads {
				t.Run(cmd.Name+" --"+name+"="+b.value, func(t *testing.T) {
					root := t.TempDir()
					state, locks := filepath.Join(root, "state"), filepath.Join(root, "locks")
					args := append([]string{cmd.Name, "--" + name + "=" + b.value}, flagArgs(t, cmd.Name, state, locks)...)
					code, stdout, stderr := run(t, args...)
					if code != ExitError {
						t.Errorf("exit %d, want %d", code, ExitError)
					}
					if diff := cmp.Diff("tmsync: error: "+b.want+"\n", stderr); diff != "" || stdout != "" {
						t.Errorf("stderr -want +got:\n%s\nstdout:\n%s", diff, stdout)
					}
					if made := files(t, root); len(made) > 0 {
						t.Errorf("made %v before refusing the flag", made)
					}
				})
			}
		}
	}
}

// TestStackRegionFlags checks --stack and --region of every command that
// takes them by the grammar of a spec's stack: and region: (and, for
// Alibaba Cloud's endpoint, its list of regions): a name that would put
// the lock file elsewhere or make the API host another one is refused
// before anything happens.
func TestStackRegionFlags(t *testing.T) {
	const keyHint = "hint: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit\n"
	const regionHint = "hint: write a region ID such as cn-hangzhou or ap-southeast-1\n"
	cases := map[string]struct {
		reason string
		args   []string
		want   string // stderr
	}{
		"destroy stack path": {
			reason: "a stack name that climbs out of the lock directory",
			args:   []string{"destroy", "--stack", "../x", "--region", "cn-hangzhou"},
			want:   "tmsync: error: --stack: stack name \"../x\" is not valid\n" + keyHint,
		},
		"destroy stack with spec": {
			reason: "refused whether or not a spec is given",
			args:   []string{"destroy", "-f", "SPEC", "--stack", "a/b"},
			want:   "tmsync: error: --stack: stack name \"a/b\" is not valid\n" + keyHint,
		},
		"destroy region host": {
			reason: "a region that would send signed requests to another host",
			args:   []string{"destroy", "--stack", "x", "--region", "@127.0.0.1:4443#"},
			want:   "tmsync: error: --region: region \"@127.0.0.1:4443#\" is not a region ID\n" + regionHint,
		},
		"destroy region typo": {
			reason: "Alibaba Cloud's endpoint takes its regions only, as a spec does",
			args:   []string{"destroy", "--stack", "x", "--region", "cn-hangzou", "--endpoint", ""},
			want:   "tmsync: error: --region: region \"cn-hangzou\" is not an Alibaba Cloud region\nhint: did you mean cn-hangzhou?\n",
		},
		"doctor region host": {
			reason: "doctor signs a request to the region's host",
			args:   []string{"doctor", "--region", "@127.0.0.1:4443#"},
			want:   "tmsync: error: --region: region \"@127.0.0.1:4443#\" is not a region ID\n" + regionHint,
		},
		"doctor region host local": {
			reason: "the grammar holds for any endpoint",
			args:   []string{"doctor", "--region", "x.example.com/", "--endpoint", "local"},
			want:   "tmsync: error: --region: region \"x.example.com/\" is not a region ID\n" + regionHint,
		},
		"export region host": {
			reason: "export reads the region's host",
			args:   []string{"export", "--region", "@127.0.0.1:4443#", "--stack", "x"},
			want:   "tmsync: error: --region: region \"@127.0.0.1:4443#\" is not a region ID\n" + regionHint,
		},
		"explain stack": {
			reason: "explain takes a stack name as a spec declares one",
			args:   []string{"explain", "-f", "SPEC", "--filter", "web", "--packet", "tcp 10.1.2.3:5555 > 10.0.0.5:443", "--stack", "../x"},
			want:   "tmsync: error: --stack: stack name \"../x\" is not valid\n" + keyHint,
		},
		"export stack": {
			reason: "export writes the stack name into the spec and the file name",
			args:   []string{"export", "--region", "cn-hangzhou", "--stack", "../x"},
			want:   "tmsync: error: --stack: stack name \"../x\" is not valid\n" + keyHint,
		},
	}
	// Every command that takes --stack or --region has a case.
	covered := map[string]bool{}
	for name := range cases {
		covered[strings.Fields(name)[0]] = true
	}
	for _, cmd := range commands() {
		for _, f := range cmd.Flags {
			if n := f.Names()[0]; (n == "stack" || n == "region") && !covered[cmd.Name] {
				t.Errorf("%s takes --%s and has no case", cmd.Name, n)
			}
		}
	}
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", scriptAK)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", scriptSecret)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TMSYNC_ENDPOINT", "http://127.0.0.1:1")
			root := t.TempDir()
			spec := t.TempDir()
			writeSpec(t, spec, "s.yaml", "stack: s\nregion: cn-hangzhou\nfilters:\n  web: {}\n")
			args := append([]string{}, tc.args...)
			for i, a := range args {
				if a == "SPEC" {
					args[i] = spec
				}
			}
			args = append(args, "--state-dir", filepath.Join(root, "state"))
			if args[0] == "destroy" {
				// A short timeout: a name let through would fail on the
				// unreachable endpoint soon rather than retry for minutes.
				args = append(args, "--lock-dir", filepath.Join(root, "locks", "here"), "--auto-approve", "--timeout", "1s")
			}
			code, stdout, stderr := run(t, args...)
			if code != ExitError {
				t.Errorf("%s: exit %d, want %d", tc.reason, code, ExitError)
			}
			if diff := cmp.Diff(tc.want, stderr); diff != "" {
				t.Errorf("%s: stderr -want +got:\n%s\nstdout:\n%s", tc.reason, diff, stdout)
			}
			if made := files(t, root); len(made) > 0 {
				t.Errorf("%s: made %v", tc.reason, made)
			}
		})
	}
}

// files lists what is under root, root itself left out.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			out = append(out, strings.TrimPrefix(p, root+string(os.PathSeparator)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClosest(t *testing.T) {
	names := []string{"validate", "plan", "apply", "destroy", "drift", "doctor", "export"}
	cases := map[string]struct {
		reason string
		in     string
		names  []string
		want   string
	}{
		"Dropped":   {reason: "a letter left out", in: "aply", names: names, want: "apply"},
		"Swapped":   {reason: "two neighbours swapped", in: "destory", names: names, want: "destroy"},
		"Prefix":    {reason: "the start of one name", in: "valid", names: names, want: "validate"},
		"Far":       {reason: "nothing close", in: "qwertyuiop", names: names, want: ""},
		"Ambiguous": {reason: "as close to two names", in: "pla", names: []string{"plan", "play"}, want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := closest(tc.in, tc.names); got != tc.want {
				t.Errorf("%s: closest(%q) = %q, want %q", tc.reason, tc.in, got, tc.want)
			}
		})
	}
}

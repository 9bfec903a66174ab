package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHelpOrder: help lists the commands in the order of the everyday
// loop, and every run of Main builds the same commands afresh.
func TestHelpOrder(t *testing.T) {
	want := []string{"validate", "plan", "apply", "destroy", "drift", "explain", "show", "export",
		"emulator", "doctor", "schema", "completion", "version"}
	var first string
	for i := range 2 {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"tmsync", "--help"}, nil, &stdout, &stderr); code != ExitOK {
			t.Fatalf("tmsync --help: exit %d\n%s", code, stderr.String())
		}
		help := stdout.String()
		_, section, _ := strings.Cut(help, "COMMANDS:\n")
		section, _, _ = strings.Cut(section, "\n\n")
		var got []string
		for _, line := range strings.Split(section, "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				got = append(got, f[0])
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("run %d: commands in help -want +got:\n%s", i, diff)
		}
		if i == 0 {
			first = help
		} else if help != first {
			t.Errorf("the second run's help differs from the first:\n%s\n---\n%s", first, help)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"tmsync"}, args...), nil, &stdout, &stderr)
		if diff := cmp.Diff("tmsync "+version()+"\n", stdout.String()); code != ExitOK || diff != "" {
			t.Errorf("tmsync %s: exit %d, stdout -want +got:\n%s", strings.Join(args, " "), code, diff)
		}
	}
}

// TestHelpExitCodes: the exit codes in every command's help name only flags
// the command has: show and validate have no --detailed-exitcode, so their
// help does not offer exit code 2.
func TestHelpExitCodes(t *testing.T) {
	flagRE := regexp.MustCompile(`--[a-z][a-z-]*`)
	for _, cmd := range commands() {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"tmsync", cmd.Name, "--help"}, nil, &stdout, &stderr); code != ExitOK {
			t.Fatalf("tmsync %s --help: exit %d\n%s", cmd.Name, code, stderr.String())
		}
		_, codes, ok := strings.Cut(stdout.String(), "Exit codes:\n")
		if !ok {
			continue
		}
		codes, _, _ = strings.Cut(codes, "\n\n")
		has := map[string]bool{}
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				has["--"+n] = true
			}
		}
		for _, f := range flagRE.FindAllString(codes, -1) {
			if !has[f] {
				t.Errorf("tmsync %s --help: the exit codes name %s, which %s does not take:\n%s", cmd.Name, f, cmd.Name, codes)
			}
		}
	}
}

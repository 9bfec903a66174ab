package cli

import (
	"bytes"
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

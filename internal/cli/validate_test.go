package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func init() {
	// Other tests of this package may define -update too; share it.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestValidate runs tmsync validate as a user would and compares its exit
// code and output with goldens under testdata/validate.
func TestValidate(t *testing.T) {
	cases := map[string]struct {
		reason string
		args   []string
		code   int
	}{
		"examples": {
			reason: "Both examples are valid, together and in one run.",
			args:   []string{"validate", "-f", "../../examples"},
			code:   ExitOK,
		},
		"examples-json": {
			reason: "--format json reports the stacks for bots.",
			args:   []string{"validate", "-f", "../../examples/quickstart", "--format", "json"},
			code:   ExitOK,
		},
		"positional": {
			reason: "Paths may also follow the flags.",
			args:   []string{"validate", "-f", "../../examples/quickstart/mirror.yaml", "../../examples/web-ids"},
			code:   ExitOK,
		},
		"invalid": {
			reason: "Every problem is printed with its hint on stderr; exit code 1.",
			args:   []string{"validate", "-f", "../spec/testdata/invalid/ports-on-icmp.yaml", "-f", "../spec/testdata/invalid/sources.yaml"},
			code:   ExitError,
		},
		"invalid-json": {
			reason: "--format json puts the diagnostics on stdout.",
			args:   []string{"validate", "--format", "json", "-f", "../spec/testdata/invalid/ports-on-icmp.yaml"},
			code:   ExitError,
		},
		"no-paths": {
			reason: "Without -f there is nothing to validate.",
			args:   []string{"validate"},
			code:   ExitError,
		},
		"dead-rules": {
			reason: "Rules that never decide a packet and a direction that mirrors nothing are warnings, by file:line; exit 0.",
			args:   []string{"validate", "-f", "testdata/validate/specs/dead-rules.yaml"},
			code:   ExitOK,
		},
		"dead-rules-strict": {
			reason: "--strict makes warnings fail the check.",
			args:   []string{"validate", "--strict", "-f", "testdata/validate/specs/dead-rules.yaml"},
			code:   ExitError,
		},
		"dead-rules-json": {
			reason: "--format json lists the warnings; with --strict the spec is not valid.",
			args:   []string{"validate", "--strict", "--format", "json", "-f", "testdata/validate/specs/dead-rules.yaml"},
			code:   ExitError,
		},
		"strict-clean": {
			reason: "--strict passes a spec without warnings.",
			args:   []string{"validate", "--strict", "-f", "../../examples"},
			code:   ExitOK,
		},
		"bad-format": {
			reason: "Only text and json are formats.",
			args:   []string{"validate", "-f", "../../examples", "--format", "yaml"},
			code:   ExitError,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(append([]string{"tmsync"}, tc.args...), nil, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("%s\nexit code = %d, want %d\nstderr:\n%s", tc.reason, code, tc.code, stderr.String())
			}
			got := "-- stdout --\n" + stdout.String() + "-- stderr --\n" + stderr.String()
			path := filepath.Join("testdata", "validate", name+".golden")
			if updating() {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s\n%s: -want +got:\n%s", tc.reason, path, diff)
			}
		})
	}
}

// TestSchemaCommand checks that tmsync schema prints the embedded schema.
func TestSchemaCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"tmsync", "schema"}, nil, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	want, err := os.ReadFile("../../schema/tmsync.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
		t.Errorf("tmsync schema: -want +got:\n%s", diff)
	}
}

package spec

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
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
		t.Errorf("%s: -want +got:\n%s", path, diff)
	}
}

// TestInvalid loads each case under testdata/invalid (a file, or a
// directory for cases spanning files) and compares its diagnostics with the
// case's .golden file.
func TestInvalid(t *testing.T) {
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && !isYAML(name) {
			continue
		}
		n++
		path := filepath.Join("testdata/invalid", name)
		t.Run(name, func(t *testing.T) {
			stacks, err := Load([]string{path})
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("Load(%s) = %d stacks, %v; want Diagnostics", path, len(stacks), err)
			}
			if stacks != nil {
				t.Errorf("Load(%s) returned stacks along with diagnostics", path)
			}
			golden(t, strings.TrimSuffix(strings.TrimSuffix(path, ".yaml"), ".yml")+".golden", err.Error()+"\n")
		})
	}
	if n < 20 {
		t.Errorf("found %d invalid cases; is testdata/invalid complete?", n)
	}
}

// TestExamples checks that every example is valid and that Load's output
// (defaults filled in, rules canonical) stays as reviewed in the golden.
func TestExamples(t *testing.T) {
	for _, name := range []string{"quickstart", "web-ids"} {
		t.Run(name, func(t *testing.T) {
			stacks, err := Load([]string{filepath.Join("../../examples", name)})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, err := json.MarshalIndent(stacks, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata/examples", name+".json"), string(got)+"\n")
		})
	}
	// Both examples validate together: their session priorities are
	// unique in the region they share.
	if _, err := Load([]string{"../../examples/quickstart", "../../examples/web-ids"}); err != nil {
		t.Errorf("Load(both examples): %v", err)
	}
}

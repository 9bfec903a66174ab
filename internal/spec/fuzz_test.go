package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load as one spec file. Load must not
// panic or hang, and must answer either with stacks or with Diagnostics that
// name the file and say something. The seed corpus in testdata/fuzz/FuzzLoad
// runs with every go test.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"../../examples/*/*.yaml", "testdata/invalid/*.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			if filepath.Base(p) == "alias-bomb.yaml" {
				continue // a second per run; TestInvalid covers it
			}
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "spec.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		stacks, err := Load([]string{path})
		if err == nil {
			if len(stacks) != 1 || len(stacks[0].Files) != 1 {
				t.Fatalf("Load of one valid file = %d stacks", len(stacks))
			}
			return
		}
		var ds Diagnostics
		if !errors.As(err, &ds) {
			t.Fatalf("Load error %T is not Diagnostics: %v", err, err)
		}
		if stacks != nil {
			t.Fatalf("Load returned stacks with an error")
		}
		for _, d := range ds {
			if d.Pos.File != path || d.Message == "" {
				t.Fatalf("diagnostic without file or message: %+v", d)
			}
		}
	})
}

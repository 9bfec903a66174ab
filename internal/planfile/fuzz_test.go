package planfile

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// FuzzLoad feeds the reader arbitrary bytes: it must never panic or hang,
// and whatever it accepts must save and read back to the same content. The
// seeds in testdata/fuzz/FuzzLoad run with every go test; a fresh valid
// bundle is added here, so the corpus never goes stale as the plan types
// change.
func FuzzLoad(f *testing.F) {
	f.Add(saved(f, "web"))
	f.Add(saved(f, "web", "dns"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := read(bytes.NewReader(data), 1<<20, nil)
		if err != nil {
			return
		}
		again, err := b.encode(nil)
		if err != nil {
			t.Fatalf("a bundle that was read cannot be written: %v", err)
		}
		b2, err := ReadBundle(bytes.NewReader(again), nil)
		if err != nil {
			t.Fatalf("a bundle that was written cannot be read: %v", err)
		}
		if diff := cmp.Diff(encodeJSON(t, b), encodeJSON(t, b2)); diff != "" {
			t.Errorf("read, write, read changed the bundle (-first +second):\n%s", diff)
		}
	})
}

// TestFuzzSeeds writes the seed corpus under -update: a valid bundle and
// the ways a real file goes wrong.
func TestFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("rewrites testdata/fuzz only with -update")
	}
	valid := saved(t, "web")
	seeds := map[string][]byte{
		"valid":         valid,
		"truncated":     valid[:len(valid)/2],
		"tampered":      bytes.Replace(valid, []byte(`"priority": 5`), []byte(`"priority": 6`), 1),
		"unknown-field": bytes.Replace(valid, []byte(`"files": [`), []byte(`"extra": 1, "files": [`), 1),
		"view":          []byte(`{"format_version":"1.0","stack":"web","region":"cn-hangzhou","changes":[],"steps":[]}`),
		"deep":          []byte(`{"kind":"tmsync-saved-plan","format_version":"1","files":[` + strings.Repeat("[", 5000) + `]}`),
		"big-number":    []byte(`{"kind":"tmsync-saved-plan","format_version":"1","files":[{"format_version":"1","plan":{"changes":[{"before":{"n":1e400}}]}}]}`),
		"trailing":      append(append([]byte{}, valid...), []byte(`{}`)...),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

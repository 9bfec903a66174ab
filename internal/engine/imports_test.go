package engine

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports: the engine reaches the cloud only through cloud.Client, so
// neither it nor anything it imports may import the SDK client or the
// emulator.
func TestImports(t *testing.T) {
	const mod = "github.com/tmsync/tmsync/"
	forbidden := map[string]bool{mod + "internal/emulator": true, mod + "internal/cloud/aliyun": true}
	seen := map[string]bool{}
	var walk func(pkg string, via []string)
	walk = func(pkg string, via []string) {
		if forbidden[pkg] {
			t.Errorf("internal/engine imports %s", strings.Join(append(via, pkg), " -> "))
			return
		}
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		files, err := filepath.Glob(filepath.Join("..", "..", strings.TrimPrefix(pkg, mod), "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files of %s: %v", pkg, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, mod) {
					walk(p, append(via, pkg))
				}
			}
		}
	}
	walk(mod+"internal/engine", nil)
	if len(seen) < 3 {
		t.Errorf("walked only %d packages; the walk is broken", len(seen))
	}
}

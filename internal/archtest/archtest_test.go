package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestModuleKeepsItsBoundaries checks Boundaries and Exclusives over the
// import graph of every package of the module and all they depend on.
func TestModuleKeepsItsBoundaries(t *testing.T) {
	g, module := loadModule(t)
	if module != Module {
		t.Fatalf("the module is %s; Module says %s", module, Module)
	}
	for _, b := range Unmatched(g, Boundaries) {
		t.Errorf("boundary of %s matches no package: fix its path, or mark it Planned", b.Package)
	}
	for _, v := range Check(g, module, Boundaries, Exclusives) {
		t.Error(v)
	}
}

// loadModule returns the graph `go list -deps -json ./...` prints at the
// module's root, and the module's path.
func loadModule(t *testing.T) (Graph, string) {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,TestImports,XTestImports,Module", "./...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g := Graph{}
	module := ""
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Package
			Module *struct {
				Path string
				Main bool
			}
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Module != nil && p.Module.Main {
			module = p.Module.Path
		}
		g[p.ImportPath] = &p.Package
	}
	return g, module
}

// graph builds a graph from "a -> b c" lines (imports), "a -t> b" (test
// imports) and "a -x> b" (external test imports).
func graph(lines ...string) Graph {
	g := Graph{}
	node := func(path string) *Package {
		if g[path] == nil {
			g[path] = &Package{ImportPath: path}
		}
		return g[path]
	}
	for _, l := range lines {
		f := strings.Fields(l)
		p := node(f[0])
		for _, imp := range f[2:] {
			node(imp)
			switch f[1] {
			case "->":
				p.Imports = append(p.Imports, imp)
			case "-t>":
				p.TestImports = append(p.TestImports, imp)
			case "-x>":
				p.XTestImports = append(p.XTestImports, imp)
			}
		}
	}
	return g
}

// chains returns the violations as their chains, "(test)" marking test
// imports.
func chains(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		s := strings.Join(v.Chain, " -> ")
		if v.Test {
			s += " (test)"
		}
		out = append(out, s)
	}
	return out
}

const sdk = "github.com/alibabacloud-go/vpc-20160428/v6/client"

// today is the shape of the module's graph today, reduced to the packages
// the rules name.
var today = []string{
	Local("cmd/tmsync") + " -> " + Local("internal/cli"),
	Local("internal/cli") + " -> " + Local("internal/engine") + " " + Local("internal/views") + " " + Local("internal/apply") + " " + Local("internal/cloud/aliyun") + " " + Local("internal/emulator") + " " + Local("internal/spec"),
	Local("internal/engine") + " -> " + Local("internal/apply") + " " + Local("internal/plan") + " " + Local("internal/traffic"),
	Local("internal/traffic") + " -> " + Local("internal/plan") + " " + Local("internal/spec") + " " + Local("internal/cloud"),
	Local("internal/views") + " -> " + Local("internal/plan"),
	Local("internal/apply") + " -> " + Local("internal/plan") + " " + Local("internal/cloud"),
	Local("internal/plan") + " -> " + Local("internal/spec") + " " + Local("internal/cloud") + " crypto/sha256",
	Local("internal/spec") + " -> " + Local("internal/cloud") + " " + Local("schema"),
	Local("internal/cloud/aliyun") + " -> " + Local("internal/cloud") + " " + sdk + " github.com/aliyun/credentials-go/credentials",
	Local("internal/cloud/aliyun") + " -x> " + Local("internal/emulator") + " " + sdk,
	Local("internal/emulator") + " -> net/http",
	Local("internal/emulator") + " -t> " + sdk,
	sdk + " -> github.com/alibabacloud-go/tea/tea",
}

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		reason string
		lines  []string
		want   []string
	}{
		"Today": {
			reason: "The module as it is breaks no rule: the SDK's packages import each other, the emulator's tests use the SDK, aliyun's tests the emulator.",
			lines:  today,
		},
		"ThroughAnotherPackage": {
			reason: "A boundary holds through any chain of imports, and the shortest chain is shown.",
			lines: append(append([]string{}, today...),
				Local("internal/plan")+" -> "+Local("internal/export"),
				Local("internal/export")+" -> "+Local("internal/apply")),
			want: []string{
				Local("internal/plan") + " -> " + Local("internal/export") + " -> " + Local("internal/apply"),
				Local("internal/traffic") + " -> " + Local("internal/plan") + " -> " + Local("internal/export") + " -> " + Local("internal/apply"),
				Local("internal/views") + " -> " + Local("internal/plan") + " -> " + Local("internal/export") + " -> " + Local("internal/apply"),
			},
		},
		"TestsMayCross": {
			reason: "A package's tests are not bound by its boundary.",
			lines:  append(append([]string{}, today...), Local("internal/plan")+" -t> "+Local("internal/emulator")),
		},
		"SDKInTestsOfOthers": {
			reason: "Only aliyun's and the emulator's tests may import the SDK.",
			lines:  append(append([]string{}, today...), Local("internal/cli")+" -x> github.com/aliyun/credentials-go/credentials"),
			want:   []string{Local("internal/cli") + " -> github.com/aliyun/credentials-go/credentials (test)"},
		},
		"SDKThroughAliyun": {
			reason: "Reaching the SDK through internal/cloud/aliyun is what it is for.",
			lines:  append(append([]string{}, today...), Local("internal/export")+" -> "+Local("internal/cloud/aliyun")),
		},
		"EngineThroughCLI": {
			reason: "The engine must not reach the endpoint's packages, not even through the CLI.",
			lines: append(append([]string{}, today...),
				Local("internal/engine")+" -> "+Local("internal/plan")+" "+Local("internal/cli")),
			want: []string{
				Local("internal/engine") + " -> " + Local("internal/cli") + " -> " + Local("internal/cloud/aliyun"),
				Local("internal/engine") + " -> " + Local("internal/cli") + " -> " + Local("internal/emulator"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := chains(Check(graph(tc.lines...), Module, Boundaries, Exclusives))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nCheck (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestEveryRuleCanFail adds, for each forbidden import of each rule, that
// one import to today's graph and expects its violation (among others: a
// package that imports the offender breaks its own rules too).
func TestEveryRuleCanFail(t *testing.T) {
	concrete := func(pattern string) string {
		if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
			return prefix + "/internal/forbidden"
		}
		return pattern
	}
	type breach struct {
		line string
		want string
	}
	var breaches []breach
	for _, b := range Boundaries {
		for _, not := range b.MustNotImport {
			to := concrete(not)
			breaches = append(breaches, breach{b.Package + " -> " + to, b.Package + " -> " + to})
		}
	}
	for _, e := range Exclusives {
		for _, pkg := range e.Packages {
			to := concrete(pkg)
			for _, from := range []string{Local("internal/cli"), Local("internal/emulator"), Local("internal/plan")} {
				breaches = append(breaches, breach{from + " -> " + to, from + " -> " + to})
			}
			breaches = append(breaches, breach{Local("internal/views") + " -t> " + to, Local("internal/views") + " -> " + to + " (test)"})
		}
	}
	if len(breaches) < 15 {
		t.Fatalf("only %d breaches built; the rule tables shrank?", len(breaches))
	}
	for _, br := range breaches {
		g := graph(append(append([]string{}, today...), br.line)...)
		got := chains(Check(g, Module, Boundaries, Exclusives))
		if !slices.Contains(got, br.want) {
			t.Errorf("with %q, Check misses %q; it found:\n%s", br.line, br.want, strings.Join(got, "\n"))
		}
	}
}

func TestUnmatched(t *testing.T) {
	g := graph(today...)
	var got []string
	for _, b := range Unmatched(g, append(append([]Boundary{}, Boundaries...), Boundary{Package: Local("internal/plann")})) {
		got = append(got, b.Package)
	}
	// internal/plann is a typo.
	if diff := cmp.Diff([]string{Local("internal/plann")}, got); diff != "" {
		t.Errorf("Unmatched (-want +got):\n%s", diff)
	}
}

func TestViolationString(t *testing.T) {
	v := Violation{Chain: []string{"a", "b", "c", "d"}, Why: "because"}
	if got, want := v.String(), "a imports d (through b -> c): because"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	v = Violation{Chain: []string{"a", "d"}, Test: true, Why: "because"}
	if got, want := v.String(), "a imports in its tests d: because"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

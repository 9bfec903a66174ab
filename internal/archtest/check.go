package archtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A Package is a node of the import graph, as `go list -json` describes it.
type Package struct {
	ImportPath string
	// Imports are the direct imports of the package's own (non-test) files.
	Imports []string
	// TestImports and XTestImports are those of its _test.go files.
	TestImports  []string
	XTestImports []string
}

// A Graph holds packages by import path. Imports of packages it lacks are
// leaves.
type Graph map[string]*Package

// A Boundary forbids a package to depend on others, directly or through any
// chain of non-test imports.
type Boundary struct {
	// Package is an import path, or a pattern ending in "/..." for a path
	// and every path below it.
	Package string
	// MustNotImport are patterns like Package.
	MustNotImport []string
	// Why is the design reason, shown with a violation.
	Why string
	// Planned marks a rule of a package that does not exist yet: while
	// no package matches it, it is not reported as a rule about nothing.
	Planned bool
}

// An Exclusive lets only some packages of the module import a set of
// packages directly.
type Exclusive struct {
	// Packages are patterns of the guarded packages.
	Packages []string
	// Importers may import them from their own files, TestImporters from
	// their _test.go files.
	Importers, TestImporters []string
	Why                      string
}

// A Violation is one broken rule.
type Violation struct {
	// Chain is the import path from the package that breaks the rule to
	// the package it must not reach, both included.
	Chain []string
	// Test is set when the import is in _test.go files.
	Test bool
	Why  string
}

func (v Violation) String() string {
	verb := "imports"
	if v.Test {
		verb = "imports in its tests"
	}
	s := fmt.Sprintf("%s %s %s", v.Chain[0], verb, v.Chain[len(v.Chain)-1])
	if len(v.Chain) > 2 {
		s += " (through " + strings.Join(v.Chain[1:len(v.Chain)-1], " -> ") + ")"
	}
	return s + ": " + v.Why
}

// Match reports whether path matches pattern: equal, or below pattern's
// prefix when it ends in "/...".
func Match(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, path) })
}

// Unmatched returns the boundaries whose Package matches no package of g
// and that are not Planned: most likely a misspelt rule that checks nothing.
func Unmatched(g Graph, bs []Boundary) []Boundary {
	var out []Boundary
	for _, b := range bs {
		if !b.Planned && !slices.ContainsFunc(g.paths(), func(p string) bool { return Match(b.Package, p) }) {
			out = append(out, b)
		}
	}
	return out
}

// Check returns every violation of bs and es in g, in a stable order.
// Exclusives bind only the packages of module: the guarded packages may
// import each other.
func Check(g Graph, module string, bs []Boundary, es []Exclusive) []Violation {
	var out []Violation
	for _, path := range g.paths() {
		for _, b := range bs {
			if Match(b.Package, path) {
				out = append(out, g.reach(path, b)...)
			}
		}
	}
	for _, path := range g.paths() {
		if !Match(module+"/...", path) {
			continue
		}
		p := g[path]
		for _, e := range es {
			for _, imp := range p.Imports {
				if matchAny(e.Packages, imp) && !matchAny(e.Importers, path) {
					out = append(out, Violation{Chain: []string{path, imp}, Why: e.Why})
				}
			}
			for _, imp := range sortedUnion(p.TestImports, p.XTestImports) {
				if matchAny(e.Packages, imp) && !matchAny(e.TestImporters, path) {
					out = append(out, Violation{Chain: []string{path, imp}, Test: true, Why: e.Why})
				}
			}
		}
	}
	return out
}

// reach walks the non-test imports of from breadth first and returns one
// violation, with a shortest chain, per forbidden package it reaches.
func (g Graph) reach(from string, b Boundary) []Violation {
	parent := map[string]string{from: ""}
	queue := []string{from}
	var out []Violation
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur != from && matchAny(b.MustNotImport, cur) {
			var chain []string
			for p := cur; p != ""; p = parent[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			out = append(out, Violation{Chain: chain, Why: b.Why})
		}
		p := g[cur]
		if p == nil {
			continue
		}
		for _, imp := range sortedUnion(p.Imports) {
			if _, seen := parent[imp]; !seen {
				parent[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return out
}

func (g Graph) paths() []string {
	ps := make([]string, 0, len(g))
	for p := range g {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

func sortedUnion(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

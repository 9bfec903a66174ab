package traffic

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// A FindingKind names a rule that does nothing useful.
type FindingKind int

// The kinds of findings.
const (
	// Shadowed: the rule never decides a packet, because the rules
	// evaluated before it match every packet it matches.
	Shadowed FindingKind = iota + 1
	// Equal: the rule matches what an earlier rule matches and has its
	// action; it never decides a packet.
	Equal
	// MirrorsNothing: the direction has rules and none of them can mirror
	// a packet. A direction with no rules is normal and not a finding.
	MirrorsNothing
)

// A Finding is one rule, or one direction, that does nothing useful.
type Finding struct {
	Kind FindingKind
	// Rule is the index of the rule in the list given to Analyze; -1 for
	// MirrorsNothing, which is about every rule of the direction.
	Rule int
	// By are the indexes of the rules that decide what Rule matches (for
	// Shadowed and Equal), or of every rule of the direction (for
	// MirrorsNothing), in evaluation order.
	By []int
}

// Analyze returns the findings of one direction's rules: each rule that is
// equal to an earlier one or shadowed by the rules before it, then, when
// no rule can mirror anything, one MirrorsNothing.
func Analyze(rs []cloud.Rule) ([]Finding, error) {
	c, err := Compile(rs)
	if err != nil {
		return nil, err
	}
	var out []Finding
	// decides[j] is what rule j decides: what it matches and no earlier
	// rule matched.
	decides := make([]Set, c.Len())
	for i := range c.rules {
		decides[i] = c.matches[i].minusAll(c.matches[:i])
		if decides[i].Empty() {
			f := Finding{Kind: Shadowed, Rule: c.order[i]}
			for j := 0; j < i; j++ {
				if equalRules(c.rules[j], c.rules[i]) {
					f.Kind, f.By = Equal, []int{c.order[j]}
					break
				}
				if decides[j].Intersects(c.matches[i]) {
					f.By = append(f.By, c.order[j])
				}
			}
			out = append(out, f)
		}
	}
	if c.Len() > 0 && c.Mirrored().Empty() {
		out = append(out, Finding{Kind: MirrorsNothing, Rule: -1, By: append([]int(nil), c.order...)})
	}
	return out, nil
}

// equalRules reports whether a and b match the same packets with the same
// action, whatever their priorities.
func equalRules(a, b cloud.Rule) bool {
	a.Direction, b.Direction = "", ""
	return cloud.SameMatch(a, b)
}

// Check returns a warning for each rule of st that never decides a packet
// (shadowed, or equal to an earlier rule) and for each direction whose
// rules mirror nothing, at the rule's position, naming the rules involved
// by file:line.
func Check(st *spec.Stack) spec.Diagnostics {
	// Each filter is analysed on its own, so the filters are shared out
	// among the cores; the warnings keep the filters' order.
	per := make([]spec.Diagnostics, len(st.Filters))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(st.Filters)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(per); i = int(next.Add(1) - 1) {
				per[i] = checkFilter(st.Filters[i])
			}
		}()
	}
	wg.Wait()
	return slices.Concat(per...)
}

// checkFilter returns the warnings of one filter's rules.
func checkFilter(f *spec.Filter) spec.Diagnostics {
	var out spec.Diagnostics
	for _, dir := range []string{cloud.Ingress, cloud.Egress} {
		rs := f.Rules(dir)
		plain := make([]cloud.Rule, len(rs))
		for i, r := range rs {
			plain[i] = r.Rule
		}
		findings, err := Analyze(plain)
		if err != nil {
			continue // the spec reports rules it cannot read as errors
		}
		for _, fd := range findings {
			out = append(out, diagnostic(f.Key, dir, rs, fd))
		}
	}
	return out
}

func diagnostic(key, dir string, rs []spec.Rule, fd Finding) spec.Diagnostic {
	at := func(i int) string {
		return fmt.Sprintf("priority %d (%s)", rs[i].Priority, line(rs[i].Pos))
	}
	switch fd.Kind {
	case Equal:
		r := rs[fd.Rule]
		return spec.Diagnostic{Pos: r.Pos,
			Message: fmt.Sprintf("filters.%s.%s[%d]: the rule of priority %d never decides a packet: it is equal to the rule of %s",
				key, dir, fd.Rule, r.Priority, at(fd.By[0])),
			Hint: "remove one of the two"}
	case Shadowed:
		r := rs[fd.Rule]
		by := make([]string, len(fd.By))
		for i, j := range fd.By {
			by[i] = at(j)
		}
		what := "the rule of " + by[0] + " decides"
		if n := len(by); n > 1 {
			what = "the rules of " + strings.Join(by[:n-1], ", ") + " and " + by[n-1] + " decide"
		}
		return spec.Diagnostic{Pos: r.Pos,
			Message: fmt.Sprintf("filters.%s.%s[%d]: the rule of priority %d never decides a packet: %s every packet it matches first",
				key, dir, fd.Rule, r.Priority, what),
			Hint: "remove it, or give it a smaller priority number than the rules that cover it"}
	}
	all := make([]string, len(fd.By))
	for i, j := range fd.By {
		all[i] = at(j)
	}
	first := rs[0].Pos
	for _, r := range rs[1:] {
		if r.Pos.File == first.File && r.Pos.Line < first.Line {
			first = r.Pos
		}
	}
	return spec.Diagnostic{Pos: first,
		Message: fmt.Sprintf("filters.%s.%s mirrors nothing: no packet reaches an accept rule (rules: %s)",
			key, dir, strings.Join(all, ", ")),
		Hint: fmt.Sprintf("a packet no rule accepts is not mirrored; add an accept rule, or leave %s out to mirror nothing in that direction", dir)}
}

// line is file:line of p.
func line(p spec.Pos) string {
	if p.File == "" {
		return "-"
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

package traffic

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/views"
)

var update = flag.Bool("update", false, "rewrite the examples of docs/spec.md from the test cases")

const specDoc = "../../docs/spec.md"

// example marks a generated block of docs/spec.md:
//
//	<!-- example: NAME -->
//	...
//	<!-- /example -->
var example = regexp.MustCompile(`(?s)(<!-- example: ([a-z0-9/-]+) -->\n)(.*?)(<!-- /example -->)`)

// TestSpecDocExamples checks that every example of docs/spec.md about what
// a filter mirrors is what the test cases of this package say; -update
// rewrites them.
func TestSpecDocExamples(t *testing.T) {
	raw, err := os.ReadFile(specDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	gen := docExamples(t)
	seen := map[string]bool{}
	out := example.ReplaceAllStringFunc(doc, func(m string) string {
		parts := example.FindStringSubmatch(m)
		name := parts[2]
		seen[name] = true
		want, ok := gen[name]
		if !ok {
			t.Errorf("docs/spec.md has example %q that no test case makes", name)
			return m
		}
		return parts[1] + want + parts[4]
	})
	for name := range gen {
		if !seen[name] {
			t.Errorf("docs/spec.md lacks example %q; add <!-- example: %s --><!-- /example --> where it belongs", name, name)
		}
	}
	if *update {
		if err := os.WriteFile(specDoc, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(doc, out); diff != "" {
		t.Errorf("docs/spec.md examples differ from the test cases (-doc +cases); run go test ./internal/traffic -run TestSpecDocExamples -update:\n%s", diff)
	}
}

// docShadow are the cases of shadowCases docs/spec.md shows, in order.
var docShadow = []string{
	"narrower under broader", "ALL covers every protocol", "port ranges together",
	"CIDRs of different lengths", "IPv4 and IPv6 apart", "equal", "mirrors nothing: only drops",
}

// docPlan are the cases of planCases docs/spec.md shows, in order.
var docPlan = []string{
	"port moved", "drop carved out", "reorder only", "reorder that changes traffic", "ALL narrowed to TCP",
	"session cut", "session moves filter",
}

// docExamples returns the text of every example, by name.
func docExamples(t *testing.T) map[string]string {
	out := map[string]string{}

	var b strings.Builder
	b.WriteString("| Rules of one direction | `tmsync validate` says |\n|---|---|\n")
	for _, name := range docShadow {
		tc, ok := shadowCases[name]
		if !ok {
			t.Fatalf("no shadow case %q", name)
		}
		got, err := Analyze(tc.rules)
		if err != nil {
			t.Fatal(err)
		}
		var cells []string
		for _, r := range tc.rules {
			cells = append(cells, "`"+docRule(r)+"`")
		}
		var says []string
		for _, f := range got {
			says = append(says, findingText(tc.rules, f))
		}
		if len(says) == 0 {
			says = []string{"nothing: " + tc.reason}
		}
		fmt.Fprintf(&b, "| %s | %s |\n", strings.Join(cells, "<br>"), strings.Join(says, "; "))
	}
	out["validate"] = b.String()

	for _, name := range docPlan {
		tc, ok := planCases[name]
		if !ok || tc.doc == "" {
			t.Fatalf("plan case %q has no doc name", name)
		}
		var e strings.Builder
		fmt.Fprintf(&e, "Live:\n\n```yaml\n%s```\n\nSpec:\n\n```yaml\n%s```\n\n`tmsync plan` shows, under each object:\n\n```\n",
			tc.before.yaml(), tc.after.yaml())
		lines := planLines(t, tc.before, tc.after)
		last := ""
		for _, l := range lines {
			addr, text, _ := strings.Cut(l, ": ")
			if addr != last {
				fmt.Fprintf(&e, "%s\n  mirrored traffic:\n", addr)
				last = addr
			}
			fmt.Fprintf(&e, "    %s\n", text)
		}
		e.WriteString("```\n")
		out["plan/"+tc.doc] = e.String()
	}

	var x strings.Builder
	fmt.Fprintf(&x, "```yaml\ningress:\n")
	for _, r := range decideRules {
		fmt.Fprintf(&x, "  - %s\n", ruleYAML(r))
	}
	x.WriteString("```\n\n| Packet (`--packet`) | Decided by | Mirrored |\n|---|---|---|\n")
	c, err := Compile(decideRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dropped first", "accepted", "ALL takes UDP", "ALL takes GRE", "no match", "IPv6 apart"} {
		tc := decideCases[name]
		rule, mirrored := c.Decide(mustPacket(tc.packet))
		by := "no rule"
		if rule >= 0 {
			r, _ := c.Rule(rule)
			by = fmt.Sprintf("priority %d (%s)", r.Priority, r.Action)
		}
		yes := "no"
		if mirrored {
			yes = "yes"
		}
		fmt.Fprintf(&x, "| `%s` | %s | %s: %s |\n", tc.packet, by, yes, tc.reason)
	}
	out["explain"] = x.String()
	return out
}

// docRule reads like a plan line, priority first:
// 2 accept TCP 10.1.0.0/16 → 0.0.0.0/0 :443.
func docRule(r cloud.Rule) string { return fmt.Sprintf("%d %s", r.Priority, views.RuleText(r)) }

func findingText(rs []cloud.Rule, f Finding) string {
	prios := func(idx []int) string {
		var ps []string
		for _, i := range idx {
			ps = append(ps, fmt.Sprint(rs[i].Priority))
		}
		return strings.Join(ps, " and ")
	}
	switch f.Kind {
	case Shadowed:
		by := "priority " + prios(f.By) + " decides"
		if len(f.By) > 1 {
			by = "priorities " + prios(f.By) + " decide"
		}
		return fmt.Sprintf("priority %d never decides a packet: %s every packet it matches first", rs[f.Rule].Priority, by)
	case Equal:
		return fmt.Sprintf("priority %d never decides a packet: it is equal to priority %s", rs[f.Rule].Priority, prios(f.By))
	}
	return "the direction mirrors nothing"
}

// ruleYAML writes r as a spec writes it, leaving out defaults.
func ruleYAML(r cloud.Rule) string {
	parts := []string{fmt.Sprintf("priority: %d", r.Priority), "action: " + r.Action, "protocol: " + r.Protocol}
	if r.IPVersion == cloud.IPv6 {
		parts = append(parts, "ipVersion: IPv6")
	}
	if r.SourceCIDR != "0.0.0.0/0" && r.SourceCIDR != "::/0" {
		parts = append(parts, "sourceCidrBlock: "+r.SourceCIDR)
	}
	if r.DestCIDR != "0.0.0.0/0" && r.DestCIDR != "::/0" {
		parts = append(parts, "destinationCidrBlock: "+r.DestCIDR)
	}
	port := func(rng string) string {
		lo, hi, _ := strings.Cut(rng, "/")
		if lo == hi {
			return lo
		}
		return rng
	}
	if r.SourcePort != "" && r.SourcePort != cloud.AnyPorts {
		parts = append(parts, "sourcePortRange: "+port(r.SourcePort))
	}
	if r.DestPort != "" && r.DestPort != cloud.AnyPorts {
		parts = append(parts, "destinationPortRange: "+port(r.DestPort))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// yaml writes the filters and sessions of s as a spec has them.
func (s stackSpec) yaml() string {
	var b strings.Builder
	if len(s.filters) > 0 {
		b.WriteString("filters:\n")
	}
	for _, k := range sortedKeys(s.filters) {
		f := s.filters[k]
		fmt.Fprintf(&b, "  %s:\n", k)
		for _, d := range []struct {
			name  string
			rules []cloud.Rule
		}{{"ingress", f.ingress}, {"egress", f.egress}} {
			if len(d.rules) == 0 {
				continue
			}
			fmt.Fprintf(&b, "    %s:\n", d.name)
			for _, r := range d.rules {
				fmt.Fprintf(&b, "      - %s\n", ruleYAML(r))
			}
		}
	}
	if len(s.sessions) > 0 {
		b.WriteString("sessions:\n")
	}
	for _, k := range sortedKeys(s.sessions) {
		x := s.sessions[k]
		parts := []string{"filter: " + x.filter}
		if x.sources != nil {
			parts = append(parts, "sources: ["+strings.Join(x.sources, ", ")+"]")
		}
		if x.target != "" {
			parts = append(parts, "target: {type: NetworkInterface, id: "+x.target+"}")
		}
		if x.disabled {
			parts = append(parts, "enabled: false")
		}
		if x.packetLength != 0 {
			parts = append(parts, fmt.Sprintf("packetLength: %d", x.packetLength))
		}
		if x.vni != 0 {
			parts = append(parts, fmt.Sprintf("virtualNetworkId: %d", x.vni))
		}
		fmt.Fprintf(&b, "  %s: {%s, ...}\n", k, strings.Join(parts, ", "))
	}
	return b.String()
}

package traffic

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// r builds a canonical rule from a short form:
// "PRIO ACTION PROTO [SRC] [DST] [s=SPORTS] [d=DPORTS] [v6]", e.g.
// "2 accept TCP 10.0.0.0/8 0.0.0.0/0 d=443". CIDRs default to the whole
// space of the rule's IP version.
func r(s string) cloud.Rule {
	f := strings.Fields(s)
	rule := cloud.Rule{Action: f[1], Protocol: f[2], IPVersion: cloud.IPv4}
	for _, x := range f[3:] {
		if x == "v6" {
			rule.IPVersion = cloud.IPv6
		}
	}
	var cidrs []string
	for _, x := range f[3:] {
		switch {
		case x == "v6":
		case strings.HasPrefix(x, "s="):
			rule.SourcePort = x[2:]
		case strings.HasPrefix(x, "d="):
			rule.DestPort = x[2:]
		default:
			cidrs = append(cidrs, x)
		}
	}
	if len(cidrs) > 0 {
		rule.SourceCIDR = cidrs[0]
	}
	if len(cidrs) > 1 {
		rule.DestCIDR = cidrs[1]
	}
	prio, err := strconv.Atoi(f[0])
	if err != nil {
		panic(err)
	}
	rule.Priority = prio
	c, err := cloud.CanonicalRule(rule, true)
	if err != nil {
		panic(err)
	}
	return c
}

func rs(ss ...string) []cloud.Rule {
	out := make([]cloud.Rule, len(ss))
	for i, s := range ss {
		out[i] = r(s)
	}
	return out
}

// shadowCases are the table of Analyze. Indexes in want are positions in
// rules as listed.
var shadowCases = map[string]struct {
	reason string
	rules  []cloud.Rule
	want   []Finding
}{
	"narrower under broader": {
		reason: "a /16 port rule under a /8 rule of the same protocol never decides a packet",
		rules:  rs("1 accept TCP 10.0.0.0/8", "2 accept TCP 10.1.0.0/16 0.0.0.0/0 d=443"),
		want:   []Finding{{Kind: Shadowed, Rule: 1, By: []int{0}}},
	},
	"ALL covers every protocol": {
		reason: "a drop of ALL covers a later UDP rule inside it",
		rules:  rs("1 drop ALL 10.0.0.0/8", "2 accept UDP 10.0.0.0/16 0.0.0.0/0 d=53"),
		want: []Finding{
			{Kind: Shadowed, Rule: 1, By: []int{0}},
			{Kind: MirrorsNothing, Rule: -1, By: []int{0, 1}},
		},
	},
	"TCP does not cover ALL": {
		reason: "ALL also matches UDP, ICMP and other protocols, which a TCP rule does not",
		rules:  rs("1 accept TCP", "2 accept ALL"),
	},
	"TCP, UDP and ICMP do not cover ALL": {
		reason: "ALL also matches protocols other than TCP, UDP and ICMP",
		rules:  rs("1 accept TCP", "2 accept UDP", "3 accept ICMP", "4 accept ALL"),
	},
	"ports of ALL are every port": {
		reason: "an ALL rule matches every port of TCP, so a later TCP port rule is shadowed",
		rules:  rs("1 accept ALL 10.0.0.0/8", "2 drop TCP 10.0.0.0/8 0.0.0.0/0 s=1024/65535 d=22"),
		want:   []Finding{{Kind: Shadowed, Rule: 1, By: []int{0}}},
	},
	"port range inside a range": {
		reason: "port 443 lies in 1-1000",
		rules:  rs("1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=1/1000", "2 accept TCP 0.0.0.0/0 0.0.0.0/0 d=443"),
		want:   []Finding{{Kind: Shadowed, Rule: 1, By: []int{0}}},
	},
	"port ranges together": {
		reason: "450-600 is covered by 1-500 and 400-1000 together, by neither alone",
		rules: rs("1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=1/500", "2 drop TCP 0.0.0.0/0 0.0.0.0/0 d=400/1000",
			"3 accept TCP 0.0.0.0/0 0.0.0.0/0 d=450/600"),
		want: []Finding{{Kind: Shadowed, Rule: 2, By: []int{0, 1}}},
	},
	"port range overlapping": {
		reason: "a range that reaches past the earlier one still decides packets",
		rules:  rs("1 accept TCP 0.0.0.0/0 0.0.0.0/0 d=1/500", "2 accept TCP 0.0.0.0/0 0.0.0.0/0 d=500/501"),
	},
	"UDP port rule under a TCP rule": {
		reason: "protocols are apart: a TCP rule never covers a UDP one",
		rules:  rs("1 accept TCP", "2 accept UDP 0.0.0.0/0 0.0.0.0/0 d=53"),
	},
	"CIDRs of different lengths": {
		reason: "two /9s cover the /8 they split",
		rules:  rs("1 accept ALL 10.0.0.0/9", "2 drop ALL 10.128.0.0/9", "3 accept ALL 10.0.0.0/8"),
		want:   []Finding{{Kind: Shadowed, Rule: 2, By: []int{0, 1}}},
	},
	"a wider CIDR later": {
		reason: "a /15 after a /16 still decides the other /16",
		rules:  rs("1 accept ALL 10.0.0.0/16", "2 accept ALL 10.0.0.0/15"),
	},
	"destination too": {
		reason: "covering needs the destination covered as well",
		rules:  rs("1 accept ALL 0.0.0.0/0 10.0.0.0/8", "2 accept ALL 10.0.0.0/8 10.1.0.0/16", "3 accept ALL 10.0.0.0/8 192.168.0.0/16"),
		want:   []Finding{{Kind: Shadowed, Rule: 1, By: []int{0}}},
	},
	"IPv4 and IPv6 apart": {
		reason: "an IPv4 rule for every address does not cover an IPv6 rule",
		rules:  rs("1 accept ALL", "2 accept ALL v6"),
	},
	"IPv6 shadowed": {
		reason: "IPv6 blocks nest as IPv4 ones do",
		rules:  rs("1 accept TCP 2001:db8::/32 ::/0 v6", "2 drop TCP 2001:db8:1::/48 ::/0 d=443 v6"),
		want:   []Finding{{Kind: Shadowed, Rule: 1, By: []int{0}}},
	},
	"equal": {
		reason: "a rule equal to an earlier one apart from its priority is named as equal",
		rules:  rs("1 accept TCP 10.0.0.0/8 0.0.0.0/0 d=443", "3 accept TCP 10.0.0.0/8 0.0.0.0/0 d=443"),
		want:   []Finding{{Kind: Equal, Rule: 1, By: []int{0}}},
	},
	"equal match, other action": {
		reason: "the same match with the other action never decides: shadowed by the first",
		rules:  rs("1 accept UDP 0.0.0.0/0 0.0.0.0/0 d=53", "2 drop UDP 0.0.0.0/0 0.0.0.0/0 d=53"),
		want:   []Finding{{Kind: Shadowed, Rule: 1, By: []int{0}}},
	},
	"priority, not list order": {
		reason: "rules are evaluated by priority: the broad rule listed first comes second",
		rules:  rs("2 accept TCP", "1 accept TCP 10.0.0.0/8"),
	},
	"a shadowed rule decides nothing": {
		reason: "only rules that decide packets are named as covering a later one",
		rules:  rs("1 accept ALL", "2 drop TCP 10.0.0.0/8", "3 drop TCP 10.1.0.0/16"),
		want: []Finding{
			{Kind: Shadowed, Rule: 1, By: []int{0}},
			{Kind: Shadowed, Rule: 2, By: []int{0}},
		},
	},
	"mirrors nothing: only drops": {
		reason: "a direction of drop rules mirrors nothing, as no rules would, but says so",
		rules:  rs("1 drop TCP", "2 drop UDP"),
		want:   []Finding{{Kind: MirrorsNothing, Rule: -1, By: []int{0, 1}}},
	},
	"mirrors nothing: accept after a drop of all": {
		reason: "an accept rule no packet reaches mirrors nothing",
		rules:  rs("2 accept TCP 0.0.0.0/0 0.0.0.0/0 d=443", "1 drop ALL"),
		want: []Finding{
			{Kind: Shadowed, Rule: 0, By: []int{1}},
			{Kind: MirrorsNothing, Rule: -1, By: []int{1, 0}},
		},
	},
	"no rules": {
		reason: "a direction with no rules is normal: an ingress-only filter",
	},
	"drop then accept": {
		reason: "a drop that carves a hole out of an accept is the usual shape",
		rules:  rs("1 drop TCP 0.0.0.0/0 0.0.0.0/0 d=22", "2 accept TCP"),
	},
}

func TestAnalyze(t *testing.T) {
	for name, tc := range shadowCases {
		t.Run(name, func(t *testing.T) {
			got, err := Analyze(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nAnalyze (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	at := func(line int) spec.Pos { return spec.Pos{File: "specs/web.yaml", Line: line, Col: 9} }
	rule := func(s string, line int) spec.Rule { return spec.Rule{Rule: r(s), Pos: at(line)} }
	st := &spec.Stack{Name: "web", Filters: []*spec.Filter{
		{Key: "web",
			Ingress: []spec.Rule{rule("1 accept TCP 10.0.0.0/8", 5), rule("2 accept TCP 10.1.0.0/16", 6), rule("3 accept TCP 10.0.0.0/8", 7)},
			Egress:  []spec.Rule{rule("1 drop ALL", 9), rule("2 accept UDP", 10)}},
		{Key: "ingress-only", Ingress: []spec.Rule{rule("1 accept ALL", 13)}},
		{Key: "split", Egress: []spec.Rule{rule("1 accept ALL 10.0.0.0/9", 16), rule("2 drop ALL 10.128.0.0/9", 17), rule("3 drop ALL 10.0.0.0/8", 18)}},
	}}
	want := spec.Diagnostics{
		{Pos: at(6), Message: "filters.web.ingress[1]: the rule of priority 2 never decides a packet: the rule of priority 1 (specs/web.yaml:5) decides every packet it matches first",
			Hint: "remove it, or give it a smaller priority number than the rules that cover it"},
		{Pos: at(7), Message: "filters.web.ingress[2]: the rule of priority 3 never decides a packet: it is equal to the rule of priority 1 (specs/web.yaml:5)",
			Hint: "remove one of the two"},
		{Pos: at(10), Message: "filters.web.egress[1]: the rule of priority 2 never decides a packet: the rule of priority 1 (specs/web.yaml:9) decides every packet it matches first",
			Hint: "remove it, or give it a smaller priority number than the rules that cover it"},
		{Pos: at(9), Message: "filters.web.egress mirrors nothing: no packet reaches an accept rule (rules: priority 1 (specs/web.yaml:9), priority 2 (specs/web.yaml:10))",
			Hint: "a packet no rule accepts is not mirrored; add an accept rule, or leave egress out to mirror nothing in that direction"},
	}
	want = append(want, spec.Diagnostic{Pos: at(18),
		Message: "filters.split.egress[2]: the rule of priority 3 never decides a packet: the rules of priority 1 (specs/web.yaml:16) and priority 2 (specs/web.yaml:17) decide every packet it matches first",
		Hint:    "remove it, or give it a smaller priority number than the rules that cover it"})
	if diff := cmp.Diff(want, Check(st)); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
}

package views

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/addr"
	"github.com/tmsync/tmsync/internal/plan"
)

func TestMoveRuleText(t *testing.T) {
	cases := map[string]struct {
		reason string
		rule   map[string]any
		want   string
	}{
		"SourceToPort": {
			reason: "any address and port are left out",
			rule: map[string]any{"action": "accept", "protocol": "TCP", "sourceCidrBlock": "10.0.0.0/8", "sourcePortRange": "1/65535",
				"destinationCidrBlock": "0.0.0.0/0", "destinationPortRange": "443/443"},
			want: "TCP 10.0.0.0/8 → :443",
		},
		"DropRange": {
			reason: "a drop says so; a port range reads lo-hi",
			rule: map[string]any{"action": "drop", "protocol": "UDP", "sourceCidrBlock": "::/0", "sourcePortRange": "-1/-1",
				"destinationCidrBlock": "fd00::/8", "destinationPortRange": "1000/2000"},
			want: "drop UDP * → fd00::/8:1000-2000",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ruleText(tc.rule); got != tc.want {
				t.Errorf("%s: ruleText() = %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

func TestRuleEntries(t *testing.T) {
	move := func(from, to int) *docChange {
		return &docChange{Address: addr.Rule("web", "ingress", to), Action: plan.Update,
			Before: map[string]any{"priority": json.Number(itoa(from)), "protocol": "ALL"},
			After:  map[string]any{"priority": json.Number(itoa(to)), "protocol": "ALL"}}
	}
	shape := func(es []ruleEntry) []int {
		var out []int
		for _, e := range es {
			out = append(out, len(e.moves))
		}
		return out
	}
	cases := map[string]struct {
		reason string
		rules  []*docChange
		want   []int // moves per entry: 0 a change, 1 a move, 2 a swap
	}{
		"Swap":  {reason: "two rules exchanging priorities are one swap", rules: []*docChange{move(1, 2), move(2, 1)}, want: []int{2}},
		"Cycle": {reason: "three rules in a cycle are three moves", rules: []*docChange{move(1, 2), move(2, 3), move(3, 1)}, want: []int{1, 1, 1}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, shape(ruleEntries(tc.rules))); diff != "" {
				t.Errorf("%s: entries (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

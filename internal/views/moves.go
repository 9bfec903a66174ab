package views

import (
	"fmt"
	"strings"

	"github.com/tmsync/tmsync/internal/plan"
)

// A ruleEntry is what one rule change, or two, read as under their filter:
// a change with its fields, a rule that only moves (one line saying what it
// is and where it goes), or two rules that swap priorities.
type ruleEntry struct {
	change *docChange   // shown with its fields; nil for moves
	moves  []*docChange // one move, or the two of a swap
}

// ruleEntries groups the rule changes of one filter, in plan order: each
// pair of moves in one direction whose priorities are exchanged becomes a
// swap, at the place of the first.
func ruleEntries(rules []*docChange) []ruleEntry {
	var out []ruleEntry
	used := make([]bool, len(rules))
	for i, c := range rules {
		if used[i] {
			continue
		}
		if !c.isMove() {
			out = append(out, ruleEntry{change: c})
			continue
		}
		e := ruleEntry{moves: []*docChange{c}}
		from, to := c.priorities()
		for j := i + 1; j < len(rules); j++ {
			d := rules[j]
			if used[j] || !d.isMove() || d.Address.Dir != c.Address.Dir {
				continue
			}
			if dfrom, dto := d.priorities(); dfrom == to && dto == from {
				used[j] = true
				e.moves = append(e.moves, d)
				break
			}
		}
		out = append(out, e)
	}
	return out
}

// isMove reports whether c is a rule that only changes priority.
func (c *docChange) isMove() bool {
	if c.Address.Kind != plan.KindRule || c.Action != plan.Update {
		return false
	}
	fs := c.fields()
	return len(fs) == 1 && fs[0].name == "priority" && fs[0].hasBefore && fs[0].hasAfter
}

// priorities returns a move's priority before and after.
func (c *docChange) priorities() (from, to string) {
	return short(c.Before["priority"]), short(c.After["priority"])
}

// moveText is a move as one line: ingress TCP 10.0.0.0/8 → :443 moved
// priority 2 → 1. With dir false the direction is left out (it heads the
// swap).
func (c *docChange) moveText(dir bool) string {
	from, to := c.priorities()
	s := ruleText(c.After) + " moved priority " + from + " → " + to
	if dir {
		s = c.Address.Dir + " " + s
	}
	return s
}

// swapText heads a swap: ingress swap priority 1 ↔ 2.
func swapText(a *docChange) string {
	from, to := a.priorities()
	return fmt.Sprintf("%s swap priority %s ↔ %s", a.Address.Dir, from, to)
}

// swapHeading is the change a swap's heading shows: the reasons of its
// moves, no ID (each move line has its own).
func swapHeading(moves []*docChange) *docChange {
	return &docChange{Address: moves[0].Address, Action: plan.Update, Reason: moves[0].Reason}
}

// ruleText says what a rule matches, shortly: its action when it drops,
// its protocol, and source → destination, each an address and port with
// "any" left out (* when both are): TCP 10.0.0.0/8 → :443.
func ruleText(m map[string]any) string {
	var parts []string
	if a, _ := m["action"].(string); a != "" && a != "accept" {
		parts = append(parts, clean(a))
	}
	if p, _ := m["protocol"].(string); p != "" {
		parts = append(parts, clean(p))
	}
	parts = append(parts, endpointText(m, "sourceCidrBlock", "sourcePortRange"), "→",
		endpointText(m, "destinationCidrBlock", "destinationPortRange"))
	return strings.Join(parts, " ")
}

func endpointText(m map[string]any, cidrKey, portKey string) string {
	cidr, _ := m[cidrKey].(string)
	if cidr == "0.0.0.0/0" || cidr == "::/0" {
		cidr = ""
	}
	port, _ := m[portKey].(string)
	switch {
	case port == "1/65535", port == "-1/-1":
		port = ""
	case port != "":
		if lo, hi, ok := strings.Cut(port, "/"); ok {
			port = lo
			if hi != lo {
				port = lo + "-" + hi
			}
		}
	}
	switch {
	case cidr == "" && port == "":
		return "*"
	case port == "":
		return clean(cidr)
	}
	return clean(cidr) + ":" + clean(port)
}

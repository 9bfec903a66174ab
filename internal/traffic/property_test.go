package traffic

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// The property tests draw random rule lists and random packets from a
// fixed seed, so that a failure is found again by running the test again.
const (
	propertySeed    = 16
	propertyCases   = 10_000
	packetsPerCase  = 100
	propertyPackets = propertyCases * packetsPerCase // 1,000,000
)

// An oracle decides packets by a direction's rules the plain way: each
// rule's fields read straight from its canonical strings, the rules tried
// in priority order, the first match winning; no sets involved.
type oracle []oracleRule

type oracleRule struct {
	r        cloud.Rule
	src, dst netip.Prefix
	sp, dp   [2]int
}

func newOracle(rs []cloud.Rule) oracle {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b cloud.Rule) int { return a.Priority - b.Priority })
	out := make(oracle, len(sorted))
	for i, r := range sorted {
		out[i] = oracleRule{r: r, src: netip.MustParsePrefix(r.SourceCIDR), dst: netip.MustParsePrefix(r.DestCIDR)}
		if cloud.HasPorts(r.Protocol) {
			out[i].sp, out[i].dp = portBounds(r.SourcePort), portBounds(r.DestPort)
		}
	}
	return out
}

func portBounds(rng string) [2]int {
	lo, hi, _ := strings.Cut(rng, "/")
	a, _ := strconv.Atoi(lo)
	b, _ := strconv.Atoi(hi)
	return [2]int{a, b}
}

func inPorts(rng string, port uint16) bool {
	b := portBounds(rng)
	return int(port) >= b[0] && int(port) <= b[1]
}

func (o oracleRule) matches(p Packet) bool {
	if o.r.IPVersion != p.IPVersion() {
		return false
	}
	switch o.r.Protocol {
	case cloud.ProtoALL:
	case cloud.ProtoTCP, cloud.ProtoUDP, cloud.ProtoICMP:
		if p.Protocol != o.r.Protocol {
			return false
		}
	default:
		return false
	}
	if !o.src.Contains(p.Source) || !o.dst.Contains(p.Dest) {
		return false
	}
	if cloud.HasPorts(o.r.Protocol) {
		return int(p.SourcePort) >= o.sp[0] && int(p.SourcePort) <= o.sp[1] &&
			int(p.Port) >= o.dp[0] && int(p.Port) <= o.dp[1]
	}
	return true
}

func (o oracle) mirrored(p Packet) bool {
	for _, r := range o {
		if r.matches(p) {
			return r.r.Action == ActionAccept
		}
	}
	return UnmatchedMirrored
}

// regionHas reports whether a printed region holds p: the oracle for
// merging and for turning intervals into CIDRs.
func regionHas(r plan.Region, p Packet) bool {
	if r.IPVersion != p.IPVersion() {
		return false
	}
	name := p.Protocol
	if name == "" {
		name = "OTHER"
	}
	if !slices.Contains(r.Protocols, cloud.ProtoALL) && !slices.Contains(r.Protocols, name) {
		return false
	}
	in := func(cidrs []string, a netip.Addr) bool {
		for _, c := range cidrs {
			if netip.MustParsePrefix(c).Contains(a) {
				return true
			}
		}
		return false
	}
	if !in(r.Source, p.Source) || !in(r.Destination, p.Dest) {
		return false
	}
	if p.Protocol == cloud.ProtoTCP || p.Protocol == cloud.ProtoUDP {
		if r.SourcePorts != "" && !inPorts(r.SourcePorts, p.SourcePort) {
			return false
		}
		if r.DestPorts != "" && !inPorts(r.DestPorts, p.Port) {
			return false
		}
	}
	return true
}

func regionsHave(rs []plan.Region, p Packet) bool {
	n := 0
	for _, r := range rs {
		if regionHas(r, p) {
			n++
		}
	}
	if n > 1 {
		panic(fmt.Sprintf("regions overlap at %s", p))
	}
	return n == 1
}

// gen draws rules and packets that meet often: addresses from a few
// blocks, ports from a few values, so that rules overlap, nest and touch.
type gen struct{ r *rand.Rand }

var v4Bases = []netip.Addr{
	netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("10.1.2.0"), netip.MustParseAddr("10.255.255.255"),
	netip.MustParseAddr("192.168.1.128"), netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"),
}
var v6Bases = []netip.Addr{
	netip.MustParseAddr("2001:db8::"), netip.MustParseAddr("2001:db8:0:1::8000"), netip.MustParseAddr("::"),
	netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), netip.MustParseAddr("fd00::1"),
}
var portPoints = []int{1, 22, 53, 80, 443, 444, 1024, 8080, 65535}

func (g gen) addr(v6 bool) netip.Addr {
	if v6 {
		return v6Bases[g.r.IntN(len(v6Bases))]
	}
	return v4Bases[g.r.IntN(len(v4Bases))]
}

func (g gen) cidr(v6 bool) string {
	a := g.addr(v6)
	bits := []int{0, 1, 7, 8, 9, 15, 16, 23, 24, 25, 30, 31, 32}
	if v6 {
		bits = []int{0, 1, 16, 32, 48, 63, 64, 65, 112, 127, 128}
	}
	return netip.PrefixFrom(a, bits[g.r.IntN(len(bits))]).Masked().String()
}

func (g gen) ports() string {
	switch g.r.IntN(4) {
	case 0, 1:
		return cloud.AnyPorts
	case 2:
		p := portPoints[g.r.IntN(len(portPoints))]
		return fmt.Sprintf("%d/%d", p, p)
	}
	a, b := portPoints[g.r.IntN(len(portPoints))], portPoints[g.r.IntN(len(portPoints))]
	return fmt.Sprintf("%d/%d", min(a, b), max(a, b))
}

func (g gen) rule(prio int) cloud.Rule {
	v6 := g.r.IntN(4) == 0
	r := cloud.Rule{Priority: prio, Action: []string{ActionAccept, ActionDrop}[g.r.IntN(2)],
		Protocol:  []string{cloud.ProtoALL, cloud.ProtoTCP, cloud.ProtoUDP, cloud.ProtoICMP}[g.r.IntN(4)],
		IPVersion: cloud.IPv4, SourceCIDR: g.cidr(v6), DestCIDR: g.cidr(v6)}
	if v6 {
		r.IPVersion = cloud.IPv6
	}
	if cloud.HasPorts(r.Protocol) {
		r.SourcePort, r.DestPort = g.ports(), g.ports()
	}
	return r
}

// rules returns up to 10 rules with distinct priorities from 1 to 10.
func (g gen) rules() []cloud.Rule {
	prios := g.r.Perm(10)
	out := make([]cloud.Rule, g.r.IntN(11))
	for i := range out {
		out[i] = g.rule(prios[i] + 1)
	}
	return out
}

// change returns before changed the way specs change: priorities swapped,
// a field changed, a rule added or removed, or a list drawn afresh.
func (g gen) change(before []cloud.Rule) []cloud.Rule {
	after := slices.Clone(before)
	switch g.r.IntN(5) {
	case 0:
		return g.rules()
	case 1:
		if len(after) >= 2 {
			i, j := g.r.IntN(len(after)), g.r.IntN(len(after))
			after[i].Priority, after[j].Priority = after[j].Priority, after[i].Priority
		}
	case 2:
		if len(after) > 0 {
			i := g.r.IntN(len(after))
			after[i] = g.rule(after[i].Priority)
		}
	case 3:
		if len(after) > 0 {
			i := g.r.IntN(len(after))
			after = append(after[:i], after[i+1:]...)
		}
	case 4:
		used := map[int]bool{}
		for _, r := range after {
			used[r.Priority] = true
		}
		for p := 1; p <= 10; p++ {
			if !used[p] {
				after = append(after, g.rule(p))
				break
			}
		}
	}
	return after
}

// A pool holds the edges of a case's rules: addresses at, just below and
// just above an end of a rule's block, per IP version, and ports likewise.
type pool struct {
	edges [2][]netip.Addr
	ports []int
}

func newPool(rs []cloud.Rule) pool {
	var pl pool
	for _, r := range rs {
		ver := v4
		if r.IPVersion == cloud.IPv6 {
			ver = v6
		}
		for _, c := range []string{r.SourceCIDR, r.DestCIDR} {
			s := prefixSpan(netip.MustParsePrefix(c))
			e := []netip.Addr{valueAddr(ver, s.lo), valueAddr(ver, s.hi)}
			if s.lo != (u128{}) {
				e = append(e, valueAddr(ver, s.lo.dec()))
			}
			if s.hi != lowMask(addrBits(ver)) {
				e = append(e, valueAddr(ver, s.hi.inc()))
			}
			pl.edges[ver] = append(pl.edges[ver], e...)
		}
		for _, pr := range []string{r.SourcePort, r.DestPort} {
			if pr != "" {
				b := portBounds(pr)
				pl.ports = append(pl.ports, b[0], b[1], max(b[0]-1, 1), min(b[1]+1, 65535))
			}
		}
	}
	return pl
}

// packet returns a packet near the edges of the pool's rules, or anywhere.
func (g gen) packet(pl pool) Packet {
	ver := v4
	if g.r.IntN(4) == 0 {
		ver = v6
	}
	edges := pl.edges[ver]
	addr := func() netip.Addr {
		if len(edges) > 0 && g.r.IntN(4) != 0 {
			return edges[g.r.IntN(len(edges))]
		}
		if ver == v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(g.r.IntN(256))
			}
			if g.r.IntN(2) == 0 {
				copy(b[:], g.addr(true).AsSlice()[:8])
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(g.r.IntN(256))})
	}
	port := func() uint16 {
		if len(pl.ports) > 0 && g.r.IntN(4) != 0 {
			return uint16(pl.ports[g.r.IntN(len(pl.ports))])
		}
		return uint16(1 + g.r.IntN(65535))
	}
	p := Packet{Protocol: []string{cloud.ProtoTCP, cloud.ProtoUDP, cloud.ProtoICMP, ""}[g.r.IntN(4)],
		Source: addr(), Dest: addr()}
	if p.Protocol == cloud.ProtoTCP || p.Protocol == cloud.ProtoUDP {
		p.SourcePort, p.Port = port(), port()
	}
	return p
}

// TestDifferenceAgreesWithDecisions is the property the plan's traffic
// lines rest on: for random rule lists before and after and random
// packets, a packet is in the added region exactly when the rules after
// mirror it and the rules before do not (and the reverse for dropped), as
// deciding it rule by rule says; the printed regions (merged, as CIDRs
// and port ranges) hold exactly the same packets, once each.
func TestDifferenceAgreesWithDecisions(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(propertySeed, propertySeed))}
	packets := 0
	for c := 0; c < propertyCases; c++ {
		before := g.rules()
		after := g.change(before)
		cb, err := Compile(before)
		if err != nil {
			t.Fatalf("case %d: %v", c, err)
		}
		ca, err := Compile(after)
		if err != nil {
			t.Fatalf("case %d: %v", c, err)
		}
		mb, ma := cb.Mirrored(), ca.Mirrored()
		added, dropped := ma.Minus(mb), mb.Minus(ma)
		ra, rd := added.Regions(), dropped.Regions()
		pl := newPool(append(slices.Clone(before), after...))
		ob, oa := newOracle(before), newOracle(after)
		for i := 0; i < packetsPerCase; i++ {
			p := g.packet(pl)
			packets++
			wb, wa := ob.mirrored(p), oa.mirrored(p)
			_, db := cb.Decide(p)
			_, da := ca.Decide(p)
			checks := []struct {
				what      string
				got, want bool
			}{
				{"Decide before", db, wb},
				{"Decide after", da, wa},
				{"Mirrored before", mb.Contains(p), wb},
				{"Mirrored after", ma.Contains(p), wa},
				{"added", added.Contains(p), wa && !wb},
				{"dropped", dropped.Contains(p), wb && !wa},
				{"added regions", regionsHave(ra, p), wa && !wb},
				{"dropped regions", regionsHave(rd, p), wb && !wa},
			}
			for _, ck := range checks {
				if ck.got != ck.want {
					t.Fatalf("case %d, packet %s: %s = %v, want %v\nbefore: %v\nafter: %v", c, p, ck.what, ck.got, ck.want, before, after)
				}
			}
		}
	}
	if packets != propertyPackets {
		t.Fatalf("checked %d packets, want %d", packets, propertyPackets)
	}
}

// TestSetsStayDisjoint checks the invariant every Set keeps: its boxes
// never overlap, after subtraction, union and merging alike.
func TestSetsStayDisjoint(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(propertySeed, 2))}
	for c := 0; c < 2000; c++ {
		cb, _ := Compile(g.rules())
		ca, _ := Compile(g.rules())
		a, b := cb.Mirrored(), ca.Mirrored()
		for name, s := range map[string]Set{"a": a, "a-b": a.Minus(b), "a+b": a.Union(b), "merged": a.Union(b).merged()} {
			for i := range s.boxes {
				for j := i + 1; j < len(s.boxes); j++ {
					if s.boxes[i].overlaps(s.boxes[j]) {
						t.Fatalf("case %d: %s: boxes %d and %d overlap", c, name, i, j)
					}
				}
			}
		}
	}
}

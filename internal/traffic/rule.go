package traffic

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
)

// UnmatchedMirrored says what happens to a packet that no rule of a
// direction matches: it is not mirrored. The provider's documentation says
// rules match by 5-tuple and are evaluated by priority, and that a rule's
// action is accept (mirror) or drop (do not mirror); it does not say what
// happens to a packet no rule matches. This is the one place that decides
// it: a filter mirrors what its rules accept, nothing else.
const UnmatchedMirrored = false

// A Packet is one point of the packet space: what a rule looks at. Ports
// are 1-65535 and matter only for TCP and UDP.
type Packet struct {
	// Protocol is cloud.ProtoTCP, ProtoUDP, ProtoICMP, or "" for any other
	// IP protocol, which only ALL rules match.
	Protocol         string
	Source, Dest     netip.Addr
	SourcePort, Port uint16
}

// IPVersion returns cloud.IPv4 or cloud.IPv6.
func (p Packet) IPVersion() string {
	if p.Source.Is4() {
		return cloud.IPv4
	}
	return cloud.IPv6
}

func (p Packet) class() proto {
	switch p.Protocol {
	case cloud.ProtoTCP:
		return protoTCP
	case cloud.ProtoUDP:
		return protoUDP
	case cloud.ProtoICMP:
		return protoICMP
	}
	return protoOther
}

// point returns p as a box of one packet.
func (p Packet) point() box {
	ver := v4
	if !p.Source.Is4() {
		ver = v6
	}
	b := box{ver: ver, proto: p.class()}
	s, d := addrValue(p.Source), addrValue(p.Dest)
	b.d[dimSrc], b.d[dimDst] = span{s, s}, span{d, d}
	b.d[dimSrcPort], b.d[dimDstPort] = portSpan(1, 1), portSpan(1, 1)
	if b.proto.hasPorts() {
		b.d[dimSrcPort] = portSpan(p.SourcePort, p.SourcePort)
		b.d[dimDstPort] = portSpan(p.Port, p.Port)
	}
	return b
}

func (p Packet) String() string {
	name := strings.ToLower(p.Protocol)
	if name == "" {
		name = "other"
	}
	end := func(a netip.Addr, port uint16) string {
		s := a.String()
		if !a.Is4() && p.class().hasPorts() {
			s = "[" + s + "]"
		}
		if p.class().hasPorts() {
			s += ":" + strconv.Itoa(int(port))
		}
		return s
	}
	return name + " " + end(p.Source, p.SourcePort) + " > " + end(p.Dest, p.Port)
}

// ParsePacket reads a packet written as tcpdump prints one:
//
//	tcp 10.1.2.3:5555 > 10.0.0.5:443
//	udp [2001:db8::1]:53 > [2001:db8::2]:53
//	icmp 10.1.2.3 > 10.0.0.5
//	other 10.1.2.3 > 10.0.0.5        (any other protocol, e.g. gre)
//
// The protocol is tcp, udp, icmp (icmp6 too), other, or a protocol number
// (6, 17, 1, 58, anything else is other). TCP and UDP need both ports;
// other protocols take none.
func ParsePacket(s string) (Packet, error) {
	f := strings.Fields(s)
	if len(f) != 4 || f[2] != ">" {
		return Packet{}, fmt.Errorf("packet %q: want PROTOCOL SOURCE > DESTINATION, such as 'tcp 10.1.2.3:5555 > 10.0.0.5:443'", s)
	}
	var p Packet
	switch strings.ToLower(f[0]) {
	case "tcp", "6":
		p.Protocol = cloud.ProtoTCP
	case "udp", "17":
		p.Protocol = cloud.ProtoUDP
	case "icmp", "icmp6", "icmpv6", "1", "58":
		p.Protocol = cloud.ProtoICMP
	case "other":
		p.Protocol = ""
	default:
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 0 || n > 255 {
			return Packet{}, fmt.Errorf("packet %q: protocol %q is not tcp, udp, icmp, other or a protocol number 0-255", s, f[0])
		}
	}
	var err error
	if p.Source, p.SourcePort, err = parseEnd(f[1], p.class().hasPorts()); err != nil {
		return Packet{}, fmt.Errorf("packet %q: source: %w", s, err)
	}
	if p.Dest, p.Port, err = parseEnd(f[3], p.class().hasPorts()); err != nil {
		return Packet{}, fmt.Errorf("packet %q: destination: %w", s, err)
	}
	if p.Source.Is4() != p.Dest.Is4() {
		return Packet{}, fmt.Errorf("packet %q: source and destination are of different IP versions", s)
	}
	return p, nil
}

// parseEnd reads ADDR:PORT (IPv6 as [ADDR]:PORT) when ports, else ADDR.
func parseEnd(s string, ports bool) (netip.Addr, uint16, error) {
	if !ports {
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			return netip.Addr{}, 0, fmt.Errorf("%q is not an address (only TCP and UDP packets have ports)", s)
		}
		return a.Unmap(), 0, nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%q is not ADDRESS:PORT ([ADDRESS]:PORT for IPv6)", s)
	}
	if ap.Port() == 0 {
		return netip.Addr{}, 0, fmt.Errorf("%q: ports are 1-65535", s)
	}
	return ap.Addr().Unmap(), ap.Port(), nil
}

// A Rules is one direction of a filter, compiled: its rules in the order
// they are evaluated (lowest priority number first), each with the region
// of the packet space it matches.
type Rules struct {
	rules   []cloud.Rule
	matches []Set
	// order[i] is the index, in the list Compile was given, of rules[i].
	order []int
}

// Compile returns the rules of one direction, in canonical form (contract
// C4), ready to decide packets. Rules are evaluated by priority, lowest
// first; rules of one priority keep their order. A rule tmsync cannot read
// (a live rule in a form it does not know) is an error.
func Compile(rs []cloud.Rule) (*Rules, error) {
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rs[idx[a]].Priority < rs[idx[b]].Priority })
	out := &Rules{rules: make([]cloud.Rule, 0, len(rs)), matches: make([]Set, 0, len(rs)), order: make([]int, 0, len(rs))}
	for _, i := range idx {
		m, err := matchSet(rs[i])
		if err != nil {
			return nil, fmt.Errorf("rule of priority %d: %w", rs[i].Priority, err)
		}
		out.rules = append(out.rules, rs[i])
		out.matches = append(out.matches, m)
		out.order = append(out.order, i)
	}
	return out, nil
}

// Len returns the number of rules.
func (rs *Rules) Len() int { return len(rs.rules) }

// Rule returns the i-th rule in evaluation order, and its index in the list
// Compile was given.
func (rs *Rules) Rule(i int) (cloud.Rule, int) { return rs.rules[i], rs.order[i] }

// matchSet returns the packets rule r matches.
func matchSet(r cloud.Rule) (Set, error) {
	ver := v4
	switch r.IPVersion {
	case cloud.IPv4, "":
	case cloud.IPv6:
		ver = v6
	default:
		return Set{}, fmt.Errorf("unknown IP version %q", r.IPVersion)
	}
	src, err := cidrSpan(r.SourceCIDR, ver)
	if err != nil {
		return Set{}, fmt.Errorf("sourceCidrBlock: %w", err)
	}
	dst, err := cidrSpan(r.DestCIDR, ver)
	if err != nil {
		return Set{}, fmt.Errorf("destinationCidrBlock: %w", err)
	}
	var classes []proto
	switch r.Protocol {
	case cloud.ProtoALL:
		classes = []proto{protoTCP, protoUDP, protoICMP, protoOther}
	case cloud.ProtoTCP:
		classes = []proto{protoTCP}
	case cloud.ProtoUDP:
		classes = []proto{protoUDP}
	case cloud.ProtoICMP:
		classes = []proto{protoICMP}
	default:
		return Set{}, fmt.Errorf("unknown protocol %q", r.Protocol)
	}
	sp, dp := allPorts, allPorts
	if cloud.HasPorts(r.Protocol) {
		if sp, err = portRange(r.SourcePort); err != nil {
			return Set{}, fmt.Errorf("sourcePortRange: %w", err)
		}
		if dp, err = portRange(r.DestPort); err != nil {
			return Set{}, fmt.Errorf("destinationPortRange: %w", err)
		}
	}
	s := Set{boxes: make([]box, 0, len(classes))}
	for _, c := range classes {
		b := box{ver: ver, proto: c, d: [dims]span{src, dst, allPorts, allPorts}}
		if c.hasPorts() {
			b.d[dimSrcPort], b.d[dimDstPort] = sp, dp
		}
		s.boxes = append(s.boxes, b)
	}
	return s, nil
}

func cidrSpan(s string, ver ipVersion) (span, error) {
	if s == "" {
		return allAddrs(ver), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return span{}, fmt.Errorf("%q is not a CIDR block", s)
	}
	if p.Addr().Is4() != (ver == v4) {
		return span{}, fmt.Errorf("%q is not of the rule's IP version", s)
	}
	return prefixSpan(p), nil
}

func portRange(s string) (span, error) {
	// The canonical "start/end" is read directly; other forms go through
	// the one parser of friendly forms.
	if lo, hi, ok := strings.Cut(s, "/"); ok {
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && a >= 1 && a <= b && b <= 65535 {
			return portSpan(uint16(a), uint16(b)), nil
		}
	}
	c, err := cloud.ParsePortRange(s)
	if err != nil {
		return span{}, err
	}
	return portRange(c)
}

// Matches reports whether the i-th rule (in evaluation order) matches p.
func (rs *Rules) Matches(i int, p Packet) bool { return rs.matches[i].Contains(p) }

// Decide returns the rule that decides p, as its index in evaluation order
// (-1 when no rule matches), and whether p is mirrored: by the first rule
// that matches it, accept mirrors and drop does not; a packet no rule
// matches is mirrored as UnmatchedMirrored says.
func (rs *Rules) Decide(p Packet) (rule int, mirrored bool) {
	for i := range rs.rules {
		if rs.Matches(i, p) {
			return i, rs.rules[i].Action == ActionAccept
		}
	}
	return -1, UnmatchedMirrored
}

// Rule actions.
const (
	ActionAccept = "accept"
	ActionDrop   = "drop"
)

// Mirrored returns every packet the direction mirrors: what each accept
// rule matches and no rule before it matched (and, were UnmatchedMirrored
// true, what no rule matches).
func (rs *Rules) Mirrored() Set {
	// What rule i decides is what it matches less what each earlier rule
	// matches: subtracting a few whole boxes costs less than subtracting
	// the many fragments of what earlier rules decided.
	var mirrored Set
	for i, m := range rs.matches {
		if rs.rules[i].Action == ActionAccept {
			mirrored.boxes = append(mirrored.boxes, m.minusAll(rs.matches[:i]).boxes...)
		}
	}
	if UnmatchedMirrored {
		mirrored.boxes = append(mirrored.boxes, Everything().minusAll(rs.matches).boxes...)
	}
	return mirrored
}

// Everything returns the whole packet space.
func Everything() Set {
	var s Set
	for _, ver := range []ipVersion{v4, v6} {
		for c := proto(0); c < protos; c++ {
			s.boxes = append(s.boxes, box{ver: ver, proto: c,
				d: [dims]span{allAddrs(ver), allAddrs(ver), allPorts, allPorts}})
		}
	}
	return s
}

// The fields Miss names, in the order it checks them.
const (
	MissIPVersion  = "IP version"
	MissProtocol   = "protocol"
	MissSource     = "source address"
	MissDest       = "destination address"
	MissSourcePort = "source port"
	MissDestPort   = "destination port"
)

// Miss returns why the i-th rule (in evaluation order) does not match p:
// the first field that differs, IP version and protocol first, then the
// 5-tuple in the order source, destination, source port, destination
// port; "" when it matches.
func (rs *Rules) Miss(i int, p Packet) string {
	pt := p.point()
	var b *box
	verSeen := false
	for j := range rs.matches[i].boxes {
		x := &rs.matches[i].boxes[j]
		if x.ver != pt.ver {
			continue
		}
		verSeen = true
		if x.proto == pt.proto {
			b = x
		}
	}
	switch {
	case !verSeen:
		return MissIPVersion
	case b == nil:
		return MissProtocol
	}
	for d, name := range [dims]string{MissSource, MissDest, MissSourcePort, MissDestPort} {
		if !pt.d[d].within(b.d[d]) {
			return name
		}
	}
	return ""
}

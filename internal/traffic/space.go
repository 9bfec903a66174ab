package traffic

import (
	"math/bits"
	"net/netip"
	"sort"
)

// The packet space has six dimensions: IP version, protocol, source and
// destination address, source and destination port. A box is a product of
// one IP version, one protocol class and four inclusive intervals; a Set is
// a union of disjoint boxes. Addresses of both versions are 128-bit numbers
// (an IPv4 address is below 2^32); IPv4 and IPv6 boxes never meet because
// the version is part of every box.

// A u128 is an unsigned 128-bit number.
type u128 struct{ hi, lo uint64 }

var maxU128 = u128{^uint64(0), ^uint64(0)}

func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a u128) less(b u128) bool { return a.cmp(b) < 0 }

// inc returns a+1; a must not be the largest value.
func (a u128) inc() u128 {
	lo, carry := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + carry, lo}
}

// dec returns a-1; a must not be zero.
func (a u128) dec() u128 {
	lo, borrow := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - borrow, lo}
}

// lowMask returns 2^n - 1 (n from 0 to 128).
func lowMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n >= 128:
		return maxU128
	case n >= 64:
		return u128{^uint64(0) >> (128 - n), ^uint64(0)}
	}
	return u128{0, ^uint64(0) >> (64 - n)}
}

func (a u128) or(b u128) u128     { return u128{a.hi | b.hi, a.lo | b.lo} }
func (a u128) and(b u128) u128    { return u128{a.hi & b.hi, a.lo & b.lo} }
func (a u128) andNot(b u128) u128 { return u128{a.hi &^ b.hi, a.lo &^ b.lo} }

// trailingZeros returns the number of trailing zero bits of a (128 for 0).
func (a u128) trailingZeros() int {
	if a.lo != 0 {
		return bits.TrailingZeros64(a.lo)
	}
	if a.hi != 0 {
		return 64 + bits.TrailingZeros64(a.hi)
	}
	return 128
}

// A span is an inclusive interval [lo, hi] of one dimension.
type span struct{ lo, hi u128 }

func (s span) overlaps(o span) bool { return !s.hi.less(o.lo) && !o.hi.less(s.lo) }

func (s span) within(o span) bool { return !s.lo.less(o.lo) && !o.hi.less(s.hi) }

func (s span) has(v u128) bool { return !v.less(s.lo) && !s.hi.less(v) }

func portSpan(lo, hi uint16) span {
	return span{u128{0, uint64(lo)}, u128{0, uint64(hi)}}
}

// allPorts is the port dimension of every rule without a port range, and
// of every box of a protocol without ports: ports are 1-65535 (the API's
// range); a packet of a protocol without ports is given port 1 to sit in it.
var allPorts = portSpan(1, 65535)

// addrBits returns the width of an address of IP version v.
func addrBits(v ipVersion) int {
	if v == v6 {
		return 128
	}
	return 32
}

// allAddrs returns the whole address dimension of IP version v.
func allAddrs(v ipVersion) span { return span{u128{}, lowMask(addrBits(v))} }

// prefixSpan returns the addresses of p as an interval.
func prefixSpan(p netip.Prefix) span {
	a := addrValue(p.Masked().Addr())
	host := lowMask(p.Addr().BitLen() - p.Bits())
	return span{a, a.or(host)}
}

// addrValue returns a as a number; an IPv4 address is below 2^32.
func addrValue(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return u128{hi, lo}
}

// valueAddr is the inverse of addrValue for IP version v.
func valueAddr(v ipVersion, x u128) netip.Addr {
	if v == v4 {
		return netip.AddrFrom4([4]byte{byte(x.lo >> 24), byte(x.lo >> 16), byte(x.lo >> 8), byte(x.lo)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(x.hi >> (8 * i))
		b[15-i] = byte(x.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

// cidrs returns the fewest prefixes whose union is the interval s of IP
// version v, in address order.
func cidrs(v ipVersion, s span) []netip.Prefix {
	width := addrBits(v)
	var out []netip.Prefix
	lo := s.lo
	for {
		// The largest aligned block that starts at lo and ends by s.hi.
		n := min(lo.trailingZeros(), width)
		for n > 0 && s.hi.less(lo.or(lowMask(n))) {
			n--
		}
		out = append(out, netip.PrefixFrom(valueAddr(v, lo), width-n))
		end := lo.or(lowMask(n))
		if end.cmp(s.hi) >= 0 {
			return out
		}
		lo = end.inc()
	}
}

// The dimensions of a box.
const (
	dimSrc = iota
	dimDst
	dimSrcPort
	dimDstPort
	dims
)

// An ipVersion is a dimension of its own: v4 and v6 boxes never overlap.
type ipVersion uint8

const (
	v4 ipVersion = iota
	v6
)

// A proto is a protocol class. ALL rules match every protocol: TCP, UDP,
// ICMP and every other IP protocol (protoOther), which only ALL rules match.
type proto uint8

const (
	protoTCP proto = iota
	protoUDP
	protoICMP
	protoOther
	protos
)

// hasPorts reports whether packets of p carry ports that rules match.
func (p proto) hasPorts() bool { return p == protoTCP || p == protoUDP }

// A box is the product of one IP version, one protocol class and four
// intervals. Boxes of protocols without ports span allPorts.
type box struct {
	ver   ipVersion
	proto proto
	d     [dims]span
}

func (b box) overlaps(o box) bool {
	if b.ver != o.ver || b.proto != o.proto {
		return false
	}
	for i := range b.d {
		if !b.d[i].overlaps(o.d[i]) {
			return false
		}
	}
	return true
}

func (b box) within(o box) bool {
	if b.ver != o.ver || b.proto != o.proto {
		return false
	}
	for i := range b.d {
		if !b.d[i].within(o.d[i]) {
			return false
		}
	}
	return true
}

// minus appends to out the parts of b outside o: at most two per
// dimension, disjoint from each other.
func (b box) minus(o box, out []box) []box {
	if !b.overlaps(o) {
		return append(out, b)
	}
	rest := b
	for i := range rest.d {
		r, c := rest.d[i], o.d[i]
		if r.lo.less(c.lo) {
			piece := rest
			piece.d[i] = span{r.lo, c.lo.dec()}
			out = append(out, piece)
			r.lo = c.lo
		}
		if c.hi.less(r.hi) {
			piece := rest
			piece.d[i] = span{c.hi.inc(), r.hi}
			out = append(out, piece)
			r.hi = c.hi
		}
		rest.d[i] = r
	}
	return out
}

// A Set is a region of the packet space: a union of disjoint boxes. The
// zero Set is empty.
type Set struct {
	boxes []box
}

// Empty reports whether s holds no packet.
func (s Set) Empty() bool { return len(s.boxes) == 0 }

// Minus returns the packets of s that are not in o. The boxes of o may
// overlap each other.
func (s Set) Minus(o Set) Set { return s.minusAll([]Set{o}) }

// minusAll returns the packets of s in none of os, subtracting box by box
// between two buffers.
func (s Set) minusAll(os []Set) Set {
	cur := append(make([]box, 0, 2*len(s.boxes)), s.boxes...)
	var next []box
	for _, o := range os {
		for _, c := range o.boxes {
			if len(cur) == 0 {
				return Set{}
			}
			next = next[:0]
			for _, b := range cur {
				next = b.minus(c, next)
			}
			cur, next = next, cur
		}
	}
	if len(cur) == 0 {
		return Set{}
	}
	return Set{boxes: cur}
}

// Union returns the packets of s or o.
func (s Set) Union(o Set) Set {
	return Set{boxes: append(append([]box(nil), s.boxes...), o.Minus(s).boxes...)}
}

// Intersects reports whether s and o share a packet.
func (s Set) Intersects(o Set) bool {
	for _, a := range s.boxes {
		for _, b := range o.boxes {
			if a.overlaps(b) {
				return true
			}
		}
	}
	return false
}

// Covers reports whether every packet of o is in s.
func (s Set) Covers(o Set) bool { return o.Minus(s).Empty() }

// Contains reports whether packet p is in s.
func (s Set) Contains(p Packet) bool {
	b := p.point()
	for _, x := range s.boxes {
		if b.within(x) {
			return true
		}
	}
	return false
}

// merged returns s with adjacent boxes joined: boxes equal in every
// dimension but one, whose intervals in that one touch, become one box,
// until no two can be joined. The result is sorted, so that equal sets
// built in different orders print alike.
func (s Set) merged() Set {
	bs := append([]box(nil), s.boxes...)
	for changed := true; changed; {
		changed = false
		for d := 0; d < dims; d++ {
			var n int
			bs, n = mergeAlong(bs, d)
			changed = changed || n > 0
		}
	}
	sortBoxes(bs)
	return Set{boxes: bs}
}

// mergeAlong joins boxes that differ only in dimension d and touch there;
// it returns the boxes and how many joins it made.
func mergeAlong(bs []box, d int) ([]box, int) {
	sort.Slice(bs, func(i, j int) bool {
		a, b := bs[i], bs[j]
		if a.ver != b.ver {
			return a.ver < b.ver
		}
		if a.proto != b.proto {
			return a.proto < b.proto
		}
		for k := 0; k < dims; k++ {
			if k == d {
				continue
			}
			if c := a.d[k].lo.cmp(b.d[k].lo); c != 0 {
				return c < 0
			}
			if c := a.d[k].hi.cmp(b.d[k].hi); c != 0 {
				return c < 0
			}
		}
		return a.d[d].lo.less(b.d[d].lo)
	})
	out := bs[:0]
	joins := 0
	for _, b := range bs {
		if n := len(out); n > 0 && sameBut(out[n-1], b, d) && out[n-1].d[d].hi != maxU128 && out[n-1].d[d].hi.inc() == b.d[d].lo {
			out[n-1].d[d].hi = b.d[d].hi
			joins++
			continue
		}
		out = append(out, b)
	}
	return out, joins
}

func sameBut(a, b box, d int) bool {
	if a.ver != b.ver || a.proto != b.proto {
		return false
	}
	for k := 0; k < dims; k++ {
		if k != d && a.d[k] != b.d[k] {
			return false
		}
	}
	return true
}

// sortBoxes orders boxes by version, source, destination, ports, protocol.
func sortBoxes(bs []box) {
	sort.Slice(bs, func(i, j int) bool { return boxLess(bs[i], bs[j]) })
}

func boxLess(a, b box) bool {
	if a.ver != b.ver {
		return a.ver < b.ver
	}
	for k := 0; k < dims; k++ {
		if c := a.d[k].lo.cmp(b.d[k].lo); c != 0 {
			return c < 0
		}
		if c := a.d[k].hi.cmp(b.d[k].hi); c != 0 {
			return c < 0
		}
	}
	return a.proto < b.proto
}

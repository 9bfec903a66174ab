package traffic

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// protoNames are the names of the protocol classes in a plan.Region.
var protoNames = [protos]string{protoTCP: cloud.ProtoTCP, protoUDP: cloud.ProtoUDP, protoICMP: cloud.ProtoICMP, protoOther: "OTHER"}

// Regions returns s as a short list of regions: adjacent boxes merged,
// then boxes that differ only in protocol joined into one region with
// several protocols. The regions are disjoint and cover s exactly.
func (s Set) Regions() []plan.Region {
	m := s.merged()
	type shape struct {
		ver ipVersion
		d   [dims]span
	}
	masks := map[shape]uint8{}
	var order []shape
	for _, b := range m.boxes {
		k := shape{b.ver, b.d}
		if _, ok := masks[k]; !ok {
			order = append(order, k)
		}
		masks[k] |= 1 << b.proto
	}
	// By IP version, then by the first protocol (TCP lines together),
	// then by where.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.ver != b.ver {
			return a.ver < b.ver
		}
		if fa, fb := bits.TrailingZeros8(masks[a]), bits.TrailingZeros8(masks[b]); fa != fb {
			return fa < fb
		}
		return boxLess(box{ver: a.ver, d: a.d}, box{ver: b.ver, d: b.d})
	})
	var out []plan.Region // nil when s is empty, as a plan read back has it
	for _, k := range order {
		out = append(out, region(k.ver, masks[k], k.d))
	}
	return out
}

func region(ver ipVersion, mask uint8, d [dims]span) plan.Region {
	r := plan.Region{IPVersion: cloud.IPv4}
	if ver == v6 {
		r.IPVersion = cloud.IPv6
	}
	if mask == 1<<protos-1 {
		r.Protocols = []string{cloud.ProtoALL}
	} else {
		for c := proto(0); c < protos; c++ {
			if mask&(1<<c) != 0 {
				r.Protocols = append(r.Protocols, protoNames[c])
			}
		}
	}
	for _, p := range cidrs(ver, d[dimSrc]) {
		r.Source = append(r.Source, p.String())
	}
	for _, p := range cidrs(ver, d[dimDst]) {
		r.Destination = append(r.Destination, p.String())
	}
	// Ports only mean something when every protocol of the region has
	// them; boxes of other protocols always span every port.
	if mask&^(1<<protoTCP|1<<protoUDP) == 0 {
		r.SourcePorts = portText(d[dimSrcPort])
		r.DestPorts = portText(d[dimDstPort])
	}
	return r
}

// portText is the canonical "start/end" of a port interval, or "" for
// every port.
func portText(s span) string {
	if s == allPorts {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.lo.lo, s.hi.lo)
}

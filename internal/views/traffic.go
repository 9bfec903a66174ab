package views

import (
	"fmt"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// MaxTrafficLines is how many lines of packets a direction starts or stops
// mirroring the text and Markdown views show before "... and N more": a
// region whose addresses need several CIDRs takes a line per pair. The
// JSON view has every region.
const MaxTrafficLines = 10

// TrafficLines returns the lines that say what t changes in mirrored
// traffic, as the text view prints them under the object. Each starts with
// its mark and a space: + for packets now mirrored, - for packets no longer
// mirrored or capture that stops or is cut, ~ for a change a collector may
// notice, and a space for a change that mirrors the same packets:
//
//   - now mirrors TCP 10.0.0.0/8 → 0.0.0.0/0 :8443 (ingress)
//   - stops mirroring UDP 0.0.0.0/0 → 0.0.0.0/0 :53 (egress)
//     reorder only: the same traffic is mirrored (egress)
//   - stops mirroring: the session is disabled
func TrafficLines(t plan.Traffic) []string {
	switch t.Effect {
	case plan.TrafficRules, plan.TrafficFilter:
		where := t.Direction
		if t.Effect == plan.TrafficFilter {
			where += ", " + clean(t.Was) + " → " + clean(t.Now)
		}
		return regionLines(t.Added, t.Dropped, where)
	case plan.TrafficReorder:
		return []string{"  reorder only: the same traffic is mirrored (" + t.Direction + ")"}
	case plan.TrafficSame:
		return []string{"  the rules change; the same traffic is mirrored (" + t.Direction + ")"}
	case plan.TrafficDeleted:
		return []string{"- stops mirroring: the session is deleted"}
	case plan.TrafficDisabled:
		return []string{"- stops mirroring: the session is disabled"}
	case plan.TrafficSourcesRemoved:
		ids := make([]string, len(t.Sources))
		for i, s := range t.Sources {
			ids[i] = clean(s)
		}
		noun := "source"
		if len(ids) > 1 {
			noun = "sources"
		}
		return []string{"- stops mirroring " + noun + " " + strings.Join(ids, ", ")}
	case plan.TrafficTruncated:
		return []string{fmt.Sprintf("- cuts packets to %s bytes (was %s)", clean(t.Now), clean(t.Was))}
	case plan.TrafficVNI:
		return []string{fmt.Sprintf("~ VXLAN ID %s → %s: a collector that expects %s stops seeing this session",
			clean(t.Was), clean(t.Now), clean(t.Was))}
	case plan.TrafficTarget:
		return []string{fmt.Sprintf("~ mirrors to %s instead of %s: the old target stops receiving", clean(t.Now), clean(t.Was))}
	}
	return []string{"  " + clean(string(t.Effect))}
}

// regionLines lists added then dropped regions, one line per pair of
// source and destination CIDR, at most MaxTrafficLines, then how many more.
func regionLines(added, dropped []plan.Region, where string) []string {
	var out []string
	total := 0
	emit := func(rs []plan.Region, lead string) {
		for _, r := range rs {
			n := len(r.Source) * len(r.Destination)
			total += n
			for i := 0; i < n && len(out) < MaxTrafficLines; i++ {
				src, dst := r.Source[i/len(r.Destination)], r.Destination[i%len(r.Destination)]
				out = append(out, lead+" "+regionText(r, src, dst)+" ("+where+")")
			}
		}
	}
	emit(added, "+ now mirrors")
	emit(dropped, "- stops mirroring")
	if more := total - len(out); more > 0 {
		out = append(out, fmt.Sprintf("  ... and %d more (%s)", more, where))
	}
	return out
}

// regionText reads like a rule: TCP 10.0.0.0/8 → 0.0.0.0/0 :8443.
func regionText(r plan.Region, src, dst string) string {
	protos := make([]string, len(r.Protocols))
	for i, p := range r.Protocols {
		if p == "OTHER" {
			p = "other"
		}
		protos[i] = clean(p)
	}
	s := strings.Join(protos, "/") + " " + clean(src) + portsText(r.SourcePorts) + " → " + clean(dst) + portsText(r.DestPorts)
	return s
}

// RuleText reads a canonical rule as the traffic lines read a region, its
// action first: accept TCP 0.0.0.0/0 → 10.0.0.0/8 :443. Its CIDR blocks
// say its IP version.
func RuleText(r cloud.Rule) string {
	ports := func(rng string) string {
		if !cloud.HasPorts(r.Protocol) || rng == cloud.AnyPorts {
			return ""
		}
		return portsText(rng)
	}
	return clean(r.Action) + " " + clean(r.Protocol) + " " + clean(r.SourceCIDR) + ports(r.SourcePort) + " → " +
		clean(r.DestCIDR) + ports(r.DestPort)
}

// portsText is " :443" or " :1024-65535", or "" for every port.
func portsText(rng string) string {
	if rng == "" {
		return ""
	}
	lo, hi, ok := strings.Cut(rng, "/")
	if !ok || lo == hi {
		return " :" + clean(lo)
	}
	return " :" + clean(lo) + "-" + clean(hi)
}

// trafficOf returns, per object, the traffic lines of the plan that are
// about it: by address, on the object that stays (not a duplicate being
// deleted) when several share one. Entries whose address has no object
// get one of their own, at the end.
func trafficOf(d *document, objs []*object) ([]*object, map[*object][]string) {
	byAddr := map[plan.Addr]*object{}
	for _, o := range objs {
		if cur, ok := byAddr[o.address]; !ok || (cur.change != nil && cur.change.Action == plan.Delete) {
			byAddr[o.address] = o
		}
	}
	out := map[*object][]string{}
	for _, t := range d.Traffic {
		o := byAddr[t.Address]
		if o == nil {
			o = &object{address: t.Address}
			objs = append(objs, o)
			byAddr[t.Address] = o
		}
		out[o] = append(out[o], TrafficLines(t)...)
	}
	return objs, out
}

// traffic writes the traffic lines of an object under it.
func (t *textWriter) traffic(lines []string) {
	if len(lines) == 0 {
		return
	}
	t.line(pad(6) + "mirrored traffic:")
	for _, l := range lines {
		t.line(pad(8) + t.mark(l[:1]) + l[1:])
	}
}

// mdTraffic is the traffic lines of an object in a diff block: the mark in
// the first column (! for ~, which diff has no colour for).
func mdTraffic(lines []string) []string {
	out := []string{"  " + pad(2) + "mirrored traffic:"}
	for _, l := range lines {
		mark := l[:1]
		if mark == "~" {
			mark = "!"
		}
		out = append(out, mark+" "+pad(4)+l[2:])
	}
	return out
}

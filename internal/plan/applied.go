package plan

import (
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

// This file holds what the tmsync:applied tag is computed over (contract
// C3). The hash of an object that did not change must never change, or
// every object written by an earlier version would read as drifted: these
// maps, their key names and the JSON of hashRule are frozen, whatever the
// plan.s own types become.

// hashRule is a rule as the applied hash encodes it: frozen.
type hashRule struct {
	Priority   int    `json:"priority"`
	Action     string `json:"action"`
	Protocol   string `json:"protocol"`
	IPVersion  string `json:"ip_version"`
	SourceCIDR string `json:"source_cidr_block"`
	DestCIDR   string `json:"destination_cidr_block"`
	SourcePort string `json:"source_port_range,omitempty"`
	DestPort   string `json:"destination_port_range,omitempty"`
}

func toHashRule(r cloud.Rule) hashRule {
	return hashRule{Priority: r.Priority, Action: r.Action, Protocol: r.Protocol, IPVersion: r.IPVersion,
		SourceCIDR: r.SourceCIDR, DestCIDR: r.DestCIDR, SourcePort: r.SourcePort, DestPort: r.DestPort}
}

// filterHashInput is what a filter's applied hash covers, built from the
// attributes d manages: name, description and resource group only when
// the spec sets them, user tags, and the rules of both directions.
func filterHashInput(d *spec.Filter, name, desc, rg string, tags cloud.Tags, ingress, egress []cloud.Rule) map[string]any {
	m := map[string]any{"tags": map[string]string(userTags(tags))}
	if d.Name != "" {
		m["name"] = name
	}
	if d.Description != "" {
		m["description"] = desc
	}
	if d.ResourceGroupID != "" {
		m["resource_group_id"] = rg
	}
	for _, dir := range directions {
		rs := ingress
		if dir == cloud.Egress {
			rs = egress
		}
		var hs []hashRule // nil, not empty, when there are none: it is hashed
		if len(rs) > 0 {
			hs = make([]hashRule, 0, len(rs))
		}
		for _, r := range sortedRules(rs) {
			hs = append(hs, toHashRule(r))
		}
		m[dir] = hs
	}
	return m
}

// sessionHashInput is what a session's applied hash covers; filter is
// filter.<key> for a filter of the stack, else its ID.
func sessionHashInput(d *spec.Session, name, desc, filter, ttype, tid string, sources []string,
	prio, plen, vni int, enabled bool, rg string, tags cloud.Tags) map[string]any {
	m := map[string]any{
		"filter": filter, "target_type": ttype, "target_id": tid,
		"sources": append([]string{}, sources...), "priority": prio, "packet_length": plen,
		"enabled": enabled, "tags": map[string]string(userTags(tags)),
	}
	if d.Name != "" {
		m["name"] = name
	}
	if d.Description != "" {
		m["description"] = desc
	}
	if d.VNI != nil {
		m["virtual_network_id"] = vni
	}
	if d.ResourceGroupID != "" {
		m["resource_group_id"] = rg
	}
	return m
}

// An Applied is a parsed tmsync:applied value: the hash of what tmsync last
// wrote, since the chain was introduced a link to the value it replaced,
// and since protection is recorded on the object, whether the spec said
// protect: true when tmsync last wrote the value.
type Applied struct {
	Hash    string
	Link    string
	Protect bool
}

const (
	appliedHashLen = 12
	appliedLinkLen = 6
	// protectMarker ends the value of an object whose spec says protect:
	// true. It is one character, so it can never be read as a link.
	protectMarker = "p"
)

// ParseApplied parses a tmsync:applied value in any form a version of
// tmsync has written: "<hash>" (12 base32 characters), "<hash>.<link>" (and
// 6 more), and either of them followed by ".p" when the object is
// protected. Anything else was not written by tmsync.
func ParseApplied(v string) (Applied, bool) {
	var a Applied
	if rest, ok := strings.CutSuffix(v, "."+protectMarker); ok {
		v, a.Protect = rest, true
	}
	h, link, chained := strings.Cut(v, ".")
	if len(h) != appliedHashLen || !isBase32(h) {
		return Applied{}, false
	}
	if chained && (len(link) != appliedLinkLen || !isBase32(link)) {
		return Applied{}, false
	}
	a.Hash, a.Link = h, link
	return a, true
}

func (a Applied) String() string {
	s := a.Hash
	if a.Link != "" {
		s += "." + a.Link
	}
	if a.Protect {
		s += "." + protectMarker
	}
	return s
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// appliedHashOf returns the hash part of a tmsync:applied value, or "" when
// the value is in no form tmsync writes.
func appliedHashOf(v string) string {
	a, _ := ParseApplied(v)
	return a.Hash
}

// protectedBy reports whether a tmsync:applied value records protect: true.
func protectedBy(v string) bool {
	a, ok := ParseApplied(v)
	return ok && a.Protect
}

// writeApplied is the tmsync:applied value tmsync writes to an object whose
// value was prev: the chain's next value for hash, and the protection
// marker when protect is set. The link is computed as if prev had no
// marker, so that the chain of an object does not depend on whether its
// protection was recorded: a value written by a version that did not
// record it moves on to the same value as one that did.
func writeApplied(hash, prev string, protect bool) string {
	if a, ok := ParseApplied(prev); ok {
		a.Protect = false
		prev = a.String()
	}
	v := appliedValue(hash, prev)
	if protect {
		v += "." + protectMarker
	}
	return v
}

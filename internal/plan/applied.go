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
// wrote and, since the chain was introduced, a link to the value it
// replaced.
type Applied struct {
	Hash string
	Link string
}

const (
	appliedHashLen = 12
	appliedLinkLen = 6
)

// ParseApplied parses a tmsync:applied value in any form a version of
// tmsync has written: "<hash>" (12 base32 characters) or "<hash>.<link>"
// (and 6 more). Anything else was not written by tmsync.
func ParseApplied(v string) (Applied, bool) {
	h, link, chained := strings.Cut(v, ".")
	if len(h) != appliedHashLen || !isBase32(h) {
		return Applied{}, false
	}
	if chained && (len(link) != appliedLinkLen || !isBase32(link)) {
		return Applied{}, false
	}
	return Applied{Hash: h, Link: link}, true
}

func (a Applied) String() string {
	if a.Link == "" {
		return a.Hash
	}
	return a.Hash + "." + a.Link
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

package apply

import (
	"slices"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

// written reports whether what op wrote shows in the settled object (f or
// s, as List shows it): a write the API answered by replaying an earlier
// one with the same token changes nothing, and must be sent again with the
// next token (C5). filterID is what an UpdateSession's filter resolved to.
// Ops whose effect the settle wait already sees (creates, deletes) and
// those that settle nothing are written once answered.
func written(op plan.Op, f *cloud.Filter, s *cloud.Session, filterID string) bool {
	switch o := op.(type) {
	case *plan.UpdateFilter:
		return f != nil && eq(o.Name, f.Name) && eq(o.Description, f.Description)
	case *plan.UpdateRule:
		if f == nil {
			return false
		}
		c := cloud.CanonicalLiveFilter(*f)
		for _, r := range append(append([]cloud.Rule{}, c.Ingress...), c.Egress...) {
			if r.ID == o.RuleID {
				p := o.RulePatch
				return eq(p.Priority, r.Priority) && eq(p.Action, r.Action) && eq(p.Protocol, r.Protocol) &&
					eq(p.SourceCIDR, r.SourceCIDR) && eq(p.DestCIDR, r.DestCIDR) &&
					eq(p.SourcePort, r.SourcePort) && eq(p.DestPort, r.DestPort)
			}
		}
		return false
	case *plan.CreateRules:
		if f == nil {
			return false
		}
		c := cloud.CanonicalLiveFilter(*f)
		for _, w := range append(append([]cloud.Rule{}, o.Ingress...), o.Egress...) {
			if !slices.ContainsFunc(c.Rules(w.Direction), func(r cloud.Rule) bool {
				return r.Priority == w.Priority && cloud.SameMatch(r, w)
			}) {
				return false
			}
		}
		return true
	case *plan.UpdateSession:
		if s == nil {
			return false
		}
		p := o.SessionPatch
		return (o.Filter == nil || s.FilterID == filterID) && eq(p.Name, s.Name) && eq(p.Description, s.Description) &&
			eq(p.TargetID, s.TargetID) && eq(p.TargetType, s.TargetType) && eq(p.Priority, s.Priority) &&
			eq(p.VNI, s.VNI) && eq(p.PacketLength, s.PacketLength) && eq(p.Enabled, s.Enabled)
	case *plan.AddSources:
		return s != nil && !slices.ContainsFunc(o.Sources, func(id string) bool { return !slices.Contains(s.SourceIDs, id) })
	case *plan.RemoveSources:
		return s != nil && !slices.ContainsFunc(o.Sources, func(id string) bool { return slices.Contains(s.SourceIDs, id) })
	}
	return true
}

// eq reports whether a patch field is unset or holds v.
func eq[T comparable](p *T, v T) bool { return p == nil || *p == v }

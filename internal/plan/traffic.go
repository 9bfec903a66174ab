package plan

// A TrafficEffect says how a change alters what the mirror captures; the
// set is closed. Compute never sets them: internal/traffic works them out
// from the same inputs, beside the plan.
type TrafficEffect string

// The traffic effects.
const (
	// TrafficRules: a direction of a filter mirrors other packets than
	// before; Added and Dropped say which.
	TrafficRules TrafficEffect = "rules"
	// TrafficReorder: the rules of a direction are only reordered, and the
	// same packets are mirrored.
	TrafficReorder TrafficEffect = "reorder-only"
	// TrafficSame: the rules of a direction change, and the same packets
	// are mirrored.
	TrafficSame TrafficEffect = "same-traffic"
	// TrafficFilter: a session moves to a filter that mirrors other
	// packets in Direction; Added and Dropped say which, Was and Now name
	// the filters.
	TrafficFilter TrafficEffect = "filter"
	// TrafficDeleted: a session is deleted; its capture stops.
	TrafficDeleted TrafficEffect = "session-deleted"
	// TrafficDisabled: a session is disabled; its capture stops.
	TrafficDisabled TrafficEffect = "disabled"
	// TrafficSourcesRemoved: the Sources of a session stop being mirrored.
	TrafficSourcesRemoved TrafficEffect = "sources-removed"
	// TrafficTruncated: a session's packet length shrinks from Was to Now
	// bytes; longer packets are cut.
	TrafficTruncated TrafficEffect = "truncated"
	// TrafficVNI: a session's VXLAN ID changes from Was to Now; a
	// collector that filters on it stops seeing the session.
	TrafficVNI TrafficEffect = "vni-changed"
	// TrafficTarget: a session mirrors to another target, Was to Now; the
	// old one stops receiving.
	TrafficTarget TrafficEffect = "target-changed"
)

// A Traffic is one way the plan changes what is mirrored: for a direction
// of a filter, the packets it starts and stops mirroring; for a session, a
// change that stops or cuts its capture.
type Traffic struct {
	// Address is filter.<key> or session.<key>.
	Address Addr `json:"address"`
	// Direction is ingress or egress for rules, same-traffic, reorder-only
	// and filter effects.
	Direction string        `json:"direction,omitempty"`
	Effect    TrafficEffect `json:"effect"`
	// Added and Dropped are the packets mirrored after and not before, and
	// before and not after: disjoint regions, adjacent ones merged.
	Added   []Region `json:"added,omitempty"`
	Dropped []Region `json:"dropped,omitempty"`
	// Sources are the source ENIs a session stops mirroring.
	Sources []string `json:"sources,omitempty"`
	// Was and Now are the old and new value the effect names.
	Was string `json:"was,omitempty"`
	Now string `json:"now,omitempty"`
}

// A Region is a box of the packet space: packets of one IP version and one
// of Protocols, from an address of one of Source to one of Destination,
// with ports in the ranges given. Protocols are TCP, UDP, ICMP and OTHER
// (every other IP protocol, which only ALL rules match), or just ALL for
// all four. A port range ("start/end") is set only for TCP and UDP and
// only when it is not every port.
type Region struct {
	IPVersion   string   `json:"ipVersion"`
	Protocols   []string `json:"protocols"`
	Source      []string `json:"sourceCidrBlocks"`
	Destination []string `json:"destinationCidrBlocks"`
	SourcePorts string   `json:"sourcePortRange,omitempty"`
	DestPorts   string   `json:"destinationPortRange,omitempty"`
}

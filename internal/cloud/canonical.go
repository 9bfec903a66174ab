package cloud

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Rule field values.
const (
	ProtoALL  = "ALL"
	ProtoICMP = "ICMP"
	ProtoTCP  = "TCP"
	ProtoUDP  = "UDP"
	IPv4      = "IPv4"
	IPv6      = "IPv6"
	AnyPorts  = "1/65535"
)

// DefaultPacketLength is the packet length of a session that names none.
const DefaultPacketLength = 1500

// HasPorts reports whether protocol p carries port ranges.
func HasPorts(p string) bool { return p == ProtoTCP || p == ProtoUDP }

// ParsePortRange parses the friendly forms of a port range: "any", "",
// "-1/-1", a single port "443" or "start/end". It returns the canonical
// "start/end" form, "1/65535" for all ports.
func ParsePortRange(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "any", "-1/-1", "-1":
		return AnyPorts, nil
	}
	lo, hi, ok := strings.Cut(s, "/")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil {
		return "", fmt.Errorf("port range %q is not a port, start/end or any", s)
	}
	if a < 1 || a > 65535 || b < 1 || b > 65535 {
		return "", fmt.Errorf("port range %q: ports must be within 1-65535", s)
	}
	if a > b {
		return "", fmt.Errorf("port range %q: start is greater than end", s)
	}
	return fmt.Sprintf("%d/%d", a, b), nil
}

// ParseCIDR parses a CIDR of the given IP version. An empty string is the
// whole address space. With strict, host bits set are an error; otherwise the
// prefix is masked.
func ParseCIDR(s, ipVersion string, strict bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if ipVersion == IPv6 {
			return "::/0", nil
		}
		return "0.0.0.0/0", nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid CIDR block", s)
	}
	if p.Addr().Is4() != (ipVersion != IPv6) || p.Addr().Is4In6() {
		return "", fmt.Errorf("CIDR block %q is not an %s block", s, ipVersion)
	}
	m := p.Masked()
	if strict && m != p {
		return "", fmt.Errorf("CIDR block %q has host bits set; use %s", s, m)
	}
	return m.String(), nil
}

// CanonicalRule returns r in canonical form (contract C4): IP version
// defaulted to IPv4, CIDRs masked (an omitted one is the whole space), ports
// "start/end" on TCP/UDP ("1/65535" for all ports) and empty on ALL/ICMP.
// strict makes host bits in a CIDR an error (spec input); live state is
// masked silently.
func CanonicalRule(r Rule, strict bool) (Rule, error) {
	if r.IPVersion == "" {
		r.IPVersion = IPv4
	}
	var err error
	if r.SourceCIDR, err = ParseCIDR(r.SourceCIDR, r.IPVersion, strict); err != nil {
		return r, fmt.Errorf("sourceCidrBlock: %w", err)
	}
	if r.DestCIDR, err = ParseCIDR(r.DestCIDR, r.IPVersion, strict); err != nil {
		return r, fmt.Errorf("destinationCidrBlock: %w", err)
	}
	if HasPorts(r.Protocol) {
		if r.SourcePort, err = ParsePortRange(r.SourcePort); err != nil {
			return r, fmt.Errorf("sourcePortRange: %w", err)
		}
		if r.DestPort, err = ParsePortRange(r.DestPort); err != nil {
			return r, fmt.Errorf("destinationPortRange: %w", err)
		}
	} else {
		r.SourcePort, r.DestPort = "", ""
	}
	return r, nil
}

// SameMatch reports whether a and b are the same rule apart from ID, status,
// filter and priority. Both must be canonical.
func SameMatch(a, b Rule) bool {
	return a.Direction == b.Direction && a.Action == b.Action && a.Protocol == b.Protocol &&
		a.IPVersion == b.IPVersion && a.SourceCIDR == b.SourceCIDR && a.DestCIDR == b.DestCIDR &&
		a.SourcePort == b.SourcePort && a.DestPort == b.DestPort
}

// CanonicalLiveFilter canonicalises the rules of a filter read from the API.
// Rules the API reports in a form tmsync cannot parse are kept as they are,
// so that they differ from any desired rule and get replaced.
func CanonicalLiveFilter(f Filter) Filter {
	canon := func(rs []Rule) []Rule {
		out := make([]Rule, len(rs))
		for i, r := range rs {
			if c, err := CanonicalRule(r, false); err == nil {
				out[i] = c
			} else {
				out[i] = r
			}
		}
		return out
	}
	f.Ingress = canon(f.Ingress)
	f.Egress = canon(f.Egress)
	return f
}

// CanonicalSession fills the defaults of a session: packet length 1500 and
// sources sorted.
func CanonicalSession(s Session) Session {
	if s.PacketLength == 0 {
		s.PacketLength = DefaultPacketLength
	}
	s.SourceIDs = sortedCopy(s.SourceIDs)
	return s
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

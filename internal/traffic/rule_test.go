package traffic

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
)

func TestParsePacket(t *testing.T) {
	a := netip.MustParseAddr
	cases := map[string]struct {
		reason  string
		in      string
		want    Packet
		wantErr bool
	}{
		"tcp": {reason: "tcpdump's form", in: "tcp 10.1.2.3:5555 > 10.0.0.5:443",
			want: Packet{Protocol: cloud.ProtoTCP, Source: a("10.1.2.3"), SourcePort: 5555, Dest: a("10.0.0.5"), Port: 443}},
		"udp ipv6": {reason: "IPv6 ends in brackets", in: "udp [2001:db8::1]:53 > [2001:db8::2]:5353",
			want: Packet{Protocol: cloud.ProtoUDP, Source: a("2001:db8::1"), SourcePort: 53, Dest: a("2001:db8::2"), Port: 5353}},
		"icmp": {reason: "ICMP has no ports", in: "icmp 10.1.2.3 > 10.0.0.5",
			want: Packet{Protocol: cloud.ProtoICMP, Source: a("10.1.2.3"), Dest: a("10.0.0.5")}},
		"number": {reason: "protocol 47 (GRE) is another protocol", in: "47 10.1.2.3 > 10.0.0.5",
			want: Packet{Source: a("10.1.2.3"), Dest: a("10.0.0.5")}},
		"other":          {reason: "other names any other protocol", in: "other ::1 > ::2", want: Packet{Source: a("::1"), Dest: a("::2")}},
		"tcp no ports":   {reason: "TCP needs ports", in: "tcp 10.1.2.3 > 10.0.0.5", wantErr: true},
		"icmp ports":     {reason: "ICMP takes none", in: "icmp 10.1.2.3:1 > 10.0.0.5:2", wantErr: true},
		"port 0":         {reason: "ports are 1-65535", in: "udp 10.1.2.3:0 > 10.0.0.5:53", wantErr: true},
		"mixed versions": {reason: "one packet has one IP version", in: "icmp 10.1.2.3 > ::1", wantErr: true},
		"no arrow":       {reason: "the arrow separates the ends", in: "tcp 10.1.2.3:1 10.0.0.5:2", wantErr: true},
		"bad protocol":   {reason: "unknown names are refused", in: "sctp 10.1.2.3 > 10.0.0.5", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePacket(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nParsePacket(%q) err = %v, want error %v", tc.reason, tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("%s\nParsePacket(%q) (-want +got):\n%s", tc.reason, tc.in, diff)
			}
			if err == nil {
				again, err := ParsePacket(got.String())
				if err != nil || again != got {
					t.Errorf("%s\nString %q does not parse back: %v", tc.reason, got.String(), err)
				}
			}
		})
	}
}

// decideRules is the filter direction the Decide table and docs/spec.md
// use.
var decideRules = rs(
	"1 drop TCP 0.0.0.0/0 10.0.0.0/8 d=22",
	"2 accept TCP 0.0.0.0/0 10.0.0.0/8",
	"3 accept ALL 192.168.0.0/16",
)

var decideCases = map[string]struct {
	reason   string
	packet   string
	rule     int // index in evaluation order, -1 for none
	mirrored bool
}{
	"dropped first": {reason: "the drop of port 22 comes first", packet: "tcp 10.1.2.3:5555 > 10.0.0.5:22", rule: 0},
	"accepted":      {reason: "other TCP ports fall to the accept", packet: "tcp 10.1.2.3:5555 > 10.0.0.5:443", rule: 1, mirrored: true},
	"ALL takes UDP": {reason: "ALL matches UDP, ports ignored", packet: "udp 192.168.1.1:53 > 8.8.8.8:53", rule: 2, mirrored: true},
	"ALL takes GRE": {reason: "ALL matches every protocol", packet: "47 192.168.1.1 > 8.8.8.8", rule: 2, mirrored: true},
	"no match":      {reason: "a packet no rule matches is not mirrored", packet: "udp 10.1.2.3:5555 > 10.0.0.5:53", rule: -1},
	"IPv6 apart":    {reason: "IPv4 rules never match an IPv6 packet", packet: "tcp [2001:db8::1]:5555 > [2001:db8::2]:443", rule: -1},
}

func TestDecide(t *testing.T) {
	c, err := Compile(decideRules)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range decideCases {
		t.Run(name, func(t *testing.T) {
			rule, mirrored := c.Decide(mustPacket(tc.packet))
			if rule != tc.rule || mirrored != tc.mirrored {
				t.Errorf("%s\nDecide(%s) = rule %d, mirrored %v; want rule %d, mirrored %v", tc.reason, tc.packet, rule, mirrored, tc.rule, tc.mirrored)
			}
		})
	}
}

func mustPacket(s string) Packet {
	p, err := ParsePacket(s)
	if err != nil {
		panic(err)
	}
	return p
}

func TestRegions(t *testing.T) {
	cases := map[string]struct {
		reason string
		rules  []cloud.Rule
		want   []plan.Region
	}{
		"ALL as one region": {
			reason: "the four protocol classes of an ALL rule print as ALL",
			rules:  rs("1 accept ALL 10.0.0.0/8"),
			want: []plan.Region{{IPVersion: "IPv4", Protocols: []string{"ALL"}, Source: []string{"10.0.0.0/8"},
				Destination: []string{"0.0.0.0/0"}}},
		},
		"hole in ALL": {
			reason: "ALL minus TCP is UDP, ICMP and the other protocols",
			rules:  rs("1 drop TCP", "2 accept ALL"),
			want: []plan.Region{{IPVersion: "IPv4", Protocols: []string{"UDP", "ICMP", "OTHER"}, Source: []string{"0.0.0.0/0"},
				Destination: []string{"0.0.0.0/0"}}},
		},
		"adjacent blocks merge": {
			reason: "two /9 accept rules merge into the /8 they make",
			rules:  rs("1 accept TCP 10.0.0.0/9 0.0.0.0/0 d=443", "2 accept TCP 10.128.0.0/9 0.0.0.0/0 d=443"),
			want: []plan.Region{{IPVersion: "IPv4", Protocols: []string{"TCP"}, Source: []string{"10.0.0.0/8"},
				Destination: []string{"0.0.0.0/0"}, DestPorts: "443/443"}},
		},
		"interval of several CIDRs": {
			reason: "10.0.0.0/8 without its first /10 is a /10 and a /9",
			rules:  rs("1 drop UDP 10.0.0.0/10", "2 accept UDP 10.0.0.0/8"),
			want: []plan.Region{{IPVersion: "IPv4", Protocols: []string{"UDP"}, Source: []string{"10.64.0.0/10", "10.128.0.0/9"},
				Destination: []string{"0.0.0.0/0"}}},
		},
		"ports split": {
			reason: "a port hole leaves two ranges",
			rules:  rs("1 drop TCP 0.0.0.0/0 0.0.0.0/0 d=22", "2 accept TCP"),
			want: []plan.Region{
				{IPVersion: "IPv4", Protocols: []string{"TCP"}, Source: []string{"0.0.0.0/0"}, Destination: []string{"0.0.0.0/0"}, DestPorts: "1/21"},
				{IPVersion: "IPv4", Protocols: []string{"TCP"}, Source: []string{"0.0.0.0/0"}, Destination: []string{"0.0.0.0/0"}, DestPorts: "23/65535"},
			},
		},
		"IPv6": {
			reason: "IPv6 regions print as IPv6 CIDRs",
			rules:  rs("1 accept ICMP 2001:db8::/32 ::/0 v6"),
			want: []plan.Region{{IPVersion: "IPv6", Protocols: []string{"ICMP"}, Source: []string{"2001:db8::/32"},
				Destination: []string{"::/0"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Compile(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Mirrored().Regions()); diff != "" {
				t.Errorf("%s\nRegions (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCIDRs(t *testing.T) {
	cases := map[string]struct {
		ver      ipVersion
		from, to string
		want     []string
	}{
		"one block":   {v4, "10.0.0.0", "10.255.255.255", []string{"10.0.0.0/8"}},
		"one address": {v4, "10.0.0.7", "10.0.0.7", []string{"10.0.0.7/32"}},
		"ragged":      {v4, "10.0.0.1", "10.0.0.6", []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}},
		"everything":  {v4, "0.0.0.0", "255.255.255.255", []string{"0.0.0.0/0"}},
		"all but one": {v4, "0.0.0.1", "255.255.255.255", nil},
		"v6 all":      {v6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"::/0"}},
		"v6 top half": {v6, "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"8000::/1"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := span{addrValue(netip.MustParseAddr(tc.from)), addrValue(netip.MustParseAddr(tc.to))}
			var got []string
			for _, p := range cidrs(tc.ver, s) {
				got = append(got, p.String())
			}
			if tc.want == nil {
				// 0.0.0.1-255.255.255.255: one block per bit, 32.
				if len(got) != 32 || got[0] != "0.0.0.1/32" || got[31] != "128.0.0.0/1" {
					t.Errorf("cidrs = %v", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cidrs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMiss(t *testing.T) {
	c, err := Compile(rs("1 accept TCP 10.0.0.0/8 192.168.0.0/16 s=1024/65535 d=443", "2 accept ALL v6"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		rule   int
		packet string
		want   string
	}{
		"match":            {0, "tcp 10.1.2.3:5555 > 192.168.0.1:443", ""},
		"version":          {0, "tcp [::1]:5555 > [::2]:443", MissIPVersion},
		"protocol":         {0, "udp 10.1.2.3:5555 > 192.168.0.1:443", MissProtocol},
		"source":           {0, "tcp 11.1.2.3:5555 > 192.168.0.1:443", MissSource},
		"destination":      {0, "tcp 10.1.2.3:5555 > 192.169.0.1:443", MissDest},
		"source port":      {0, "tcp 10.1.2.3:80 > 192.168.0.1:443", MissSourcePort},
		"destination port": {0, "tcp 10.1.2.3:5555 > 192.168.0.1:80", MissDestPort},
		"ALL any protocol": {1, "47 ::1 > ::2", ""},
		"ALL version":      {1, "icmp 10.0.0.1 > 10.0.0.2", MissIPVersion},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := c.Miss(tc.rule, mustPacket(tc.packet)); got != tc.want {
				t.Errorf("Miss(%d, %s) = %q, want %q", tc.rule, tc.packet, got, tc.want)
			}
		})
	}
}

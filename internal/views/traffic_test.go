package views

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/spec"
	"github.com/tmsync/tmsync/internal/traffic"
)

// rule returns a canonical rule of dir.
func rule(dir string, prio int, action, proto, src, dst, dport string) spec.Rule {
	r, err := cloud.CanonicalRule(cloud.Rule{Direction: dir, Priority: prio, Action: action, Protocol: proto,
		SourceCIDR: src, DestCIDR: dst, DestPort: dport}, true)
	if err != nil {
		panic(err)
	}
	return spec.Rule{Rule: r}
}

// withTraffic computes the plan of desired against live and fills in its
// traffic as the engine does.
func withTraffic(t testing.TB, desired *spec.Stack, live *cloud.Snapshot, opts plan.Options) *plan.Plan {
	p := compute(t, desired, live, opts)
	p.Traffic = traffic.ForPlan(desired, live, p)
	return p
}

func init() {
	scenarios["traffic"] = struct {
		reason string
		plan   func(t testing.TB) *plan.Plan
	}{
		reason: "what the collector starts and stops seeing: a port moved, a reorder, a filter deleted, a session disabled and cut",
		plan: func(t testing.TB) *plan.Plan {
			base := func() *spec.Stack {
				web := filt("web", rule(cloud.Ingress, 1, "accept", "TCP", "10.0.0.0/8", "", "443"))
				web.Egress = []spec.Rule{
					rule(cloud.Egress, 1, "accept", "UDP", "", "", "53"),
					rule(cloud.Egress, 2, "accept", "TCP", "", "", "443"),
				}
				dns := filt("dns", rule(cloud.Ingress, 1, "accept", "UDP", "", "", "53"))
				ids := sess("ids", "web", 5, "eni-a", "eni-b")
				vni := 10
				ids.VNI = &vni
				return stk([]*spec.Filter{dns, web}, ids, sess("resolver", "dns", 6, "eni-c"))
			}
			live := applied(t, base())
			want := base()
			want.Filters = want.Filters[1:] // dns goes
			web := want.Filters[0]
			web.Ingress = []spec.Rule{
				rule(cloud.Ingress, 1, "accept", "TCP", "10.0.0.0/8", "", "8443"),
				rule(cloud.Ingress, 2, "accept", "ICMP", "", "", ""),
			}
			web.Egress[0].Priority, web.Egress[1].Priority = 2, 1
			ids := want.Sessions[0]
			ids.Enabled, ids.PacketLength, ids.Sources = false, 128, []string{"eni-a"}
			vni := 20
			ids.VNI = &vni
			want.Sessions = want.Sessions[:1] // resolver goes
			return withTraffic(t, want, live, plan.Options{})
		},
	}
	scenarios["traffic_more"] = struct {
		reason string
		plan   func(t testing.TB) *plan.Plan
	}{
		reason: "a new filter whose mirrored region needs many CIDRs: ten lines, then how many more",
		plan: func(t testing.TB) *plan.Plan {
			f := filt("wide",
				rule(cloud.Ingress, 1, "drop", "ALL", "10.0.0.1/32", "", ""),
				rule(cloud.Ingress, 2, "accept", "ALL", "10.0.0.0/8", "", ""))
			return withTraffic(t, stk([]*spec.Filter{f}), emptySnap(), plan.Options{})
		},
	}
}

// TestTrafficLines is the table of the lines every view shows.
func TestTrafficLines(t *testing.T) {
	region := func(protos []string, src, dst []string, dports string) plan.Region {
		return plan.Region{IPVersion: cloud.IPv4, Protocols: protos, Source: src, Destination: dst, DestPorts: dports}
	}
	cases := map[string]struct {
		reason string
		in     plan.Traffic
		want   []string
	}{
		"added and dropped": {
			reason: "added first, then dropped, each a rule-like line with its direction",
			in: plan.Traffic{Direction: "ingress", Effect: plan.TrafficRules,
				Added:   []plan.Region{region([]string{"TCP"}, []string{"10.0.0.0/8"}, []string{"0.0.0.0/0"}, "8443/8443")},
				Dropped: []plan.Region{region([]string{"UDP", "OTHER"}, []string{"0.0.0.0/0"}, []string{"0.0.0.0/0"}, "")}},
			want: []string{
				"+ now mirrors TCP 10.0.0.0/8 → 0.0.0.0/0 :8443 (ingress)",
				"- stops mirroring UDP/other 0.0.0.0/0 → 0.0.0.0/0 (ingress)",
			},
		},
		"ranges": {
			reason: "port ranges print as start-end, source ports after the source",
			in: plan.Traffic{Direction: "egress", Effect: plan.TrafficRules, Added: []plan.Region{{IPVersion: cloud.IPv4,
				Protocols: []string{"TCP"}, Source: []string{"10.0.0.0/8"}, Destination: []string{"0.0.0.0/0"},
				SourcePorts: "1024/65535", DestPorts: "1/21"}}},
			want: []string{"+ now mirrors TCP 10.0.0.0/8 :1024-65535 → 0.0.0.0/0 :1-21 (egress)"},
		},
		"several CIDRs": {
			reason: "a region of several CIDRs takes a line per pair, ten at most, then how many more",
			in: plan.Traffic{Direction: "ingress", Effect: plan.TrafficRules,
				Added: []plan.Region{region([]string{"ALL"},
					[]string{"10.0.0.0/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/29"},
					[]string{"192.168.0.0/24", "192.168.2.0/24", "192.168.4.0/24"}, "")}},
			want: []string{
				"+ now mirrors ALL 10.0.0.0/32 → 192.168.0.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.0/32 → 192.168.2.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.0/32 → 192.168.4.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.2/31 → 192.168.0.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.2/31 → 192.168.2.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.2/31 → 192.168.4.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.4/30 → 192.168.0.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.4/30 → 192.168.2.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.4/30 → 192.168.4.0/24 (ingress)",
				"+ now mirrors ALL 10.0.0.8/29 → 192.168.0.0/24 (ingress)",
				"  ... and 2 more (ingress)",
			},
		},
		"reorder": {
			reason: "a reorder that mirrors the same packets says so",
			in:     plan.Traffic{Direction: "egress", Effect: plan.TrafficReorder},
			want:   []string{"  reorder only: the same traffic is mirrored (egress)"},
		},
		"same": {
			reason: "a change that mirrors the same packets says so",
			in:     plan.Traffic{Direction: "ingress", Effect: plan.TrafficSame},
			want:   []string{"  the rules change; the same traffic is mirrored (ingress)"},
		},
		"filter move": {
			reason: "a session that moves filter names both",
			in: plan.Traffic{Direction: "ingress", Effect: plan.TrafficFilter, Was: "filter.web", Now: "tmf-other",
				Dropped: []plan.Region{region([]string{"ICMP"}, []string{"0.0.0.0/0"}, []string{"0.0.0.0/0"}, "")}},
			want: []string{"- stops mirroring ICMP 0.0.0.0/0 → 0.0.0.0/0 (ingress, filter.web → tmf-other)"},
		},
		"deleted":  {in: plan.Traffic{Effect: plan.TrafficDeleted}, want: []string{"- stops mirroring: the session is deleted"}},
		"disabled": {in: plan.Traffic{Effect: plan.TrafficDisabled}, want: []string{"- stops mirroring: the session is disabled"}},
		"sources": {in: plan.Traffic{Effect: plan.TrafficSourcesRemoved, Sources: []string{"eni-b", "eni-c"}},
			want: []string{"- stops mirroring sources eni-b, eni-c"}},
		"truncated": {in: plan.Traffic{Effect: plan.TrafficTruncated, Was: "1500", Now: "128"},
			want: []string{"- cuts packets to 128 bytes (was 1500)"}},
		"vni": {in: plan.Traffic{Effect: plan.TrafficVNI, Was: "10", Now: "20"},
			want: []string{"~ VXLAN ID 10 → 20: a collector that expects 10 stops seeing this session"}},
		"target": {in: plan.Traffic{Effect: plan.TrafficTarget, Was: "NetworkInterface eni-x", Now: "SLB lb-y"},
			want: []string{"~ mirrors to SLB lb-y instead of NetworkInterface eni-x: the old target stops receiving"}},
		"control characters": {
			reason: "IDs from live state cannot reach the terminal raw",
			in:     plan.Traffic{Effect: plan.TrafficSourcesRemoved, Sources: []string{"eni-\x1b[31m"}},
			want:   []string{"- stops mirroring source eni-\ufffd[31m"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, TrafficLines(tc.in)); diff != "" {
				t.Errorf("%s\nTrafficLines (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRuleText(t *testing.T) {
	cases := map[string]struct {
		in   spec.Rule
		want string
	}{
		"ports":     {rule(cloud.Ingress, 1, "drop", "TCP", "10.0.0.0/8", "", "22"), "drop TCP 10.0.0.0/8 → 0.0.0.0/0 :22"},
		"any ports": {rule(cloud.Ingress, 2, "accept", "UDP", "", "192.168.0.0/16", ""), "accept UDP 0.0.0.0/0 → 192.168.0.0/16"},
		"range":     {rule(cloud.Egress, 3, "accept", "TCP", "", "", "8000/8080"), "accept TCP 0.0.0.0/0 → 0.0.0.0/0 :8000-8080"},
		"ALL":       {rule(cloud.Egress, 4, "accept", "ALL", "", "", ""), "accept ALL 0.0.0.0/0 → 0.0.0.0/0"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := RuleText(tc.in.Rule); got != tc.want {
				t.Errorf("RuleText = %q, want %q", got, tc.want)
			}
		})
	}
}

package spec

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
)

func intp(i int) *int { return &i }

// TestLoadValues checks what Load returns for valid specs: defaults,
// merged stack fields, canonical rules (C4) and positions.
func TestLoadValues(t *testing.T) {
	cases := map[string]struct {
		reason string
		files  map[string]string
		want   []*Stack // File in Pos and Files is relative to the test's directory
	}{
		"Defaults": {
			reason: "Names default to keys, sessions to enabled with 1500-byte packets, rules to IPv4 and all addresses.",
			files: map[string]string{"a.yaml": `stack: demo
region: cn-hangzhou
filters:
  all:
    ingress:
      - {priority: 1, action: accept, protocol: ALL}
sessions:
  s:
    filter: all
    target: {type: NetworkInterface, id: eni-bp1t}
    sources: [eni-bp1b, eni-bp1a]
    priority: 9
`},
			want: []*Stack{{
				Name: "demo", Region: "cn-hangzhou", Limits: Limits{SourcesPerSession: 10},
				Files: []string{"a.yaml"}, Pos: Pos{"a.yaml", 1, 8},
				Filters: []*Filter{{
					Key: "all", Name: "all", Pos: Pos{"a.yaml", 4, 3},
					Ingress: []Rule{{Pos: Pos{"a.yaml", 6, 9}, Rule: cloud.Rule{
						Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "ALL",
						IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0",
					}}},
				}},
				Sessions: []*Session{{
					Key: "s", Name: "s", Filter: "all", TargetType: "NetworkInterface", TargetID: "eni-bp1t",
					Sources: []string{"eni-bp1a", "eni-bp1b"}, Priority: 9, Enabled: true, PacketLength: 1500,
					Pos: Pos{"a.yaml", 8, 3},
				}},
			}},
		},
		"FriendlyPorts": {
			reason: "Every friendly port form reaches its canonical form (C4).",
			files: map[string]string{"a.yaml": `stack: demo
region: cn-hangzhou
filters:
  f:
    egress:
      - {priority: 1, action: accept, protocol: TCP, sourcePortRange: any, destinationPortRange: 443}
      - {priority: 2, action: accept, protocol: UDP, sourcePortRange: -1/-1, destinationPortRange: "53"}
      - {priority: 3, action: drop, protocol: TCP, sourcePortRange: 1/65535, destinationPortRange: 8000/8080}
      - {priority: 4, action: drop, protocol: UDP, ipVersion: IPv6, destinationCidrBlock: "2001:db8::/32"}
`},
			want: []*Stack{{
				Name: "demo", Region: "cn-hangzhou", Limits: Limits{SourcesPerSession: 10},
				Files: []string{"a.yaml"}, Pos: Pos{"a.yaml", 1, 8}, Sessions: []*Session{},
				Filters: []*Filter{{
					Key: "f", Name: "f", Pos: Pos{"a.yaml", 4, 3},
					Egress: []Rule{
						{Pos: Pos{"a.yaml", 6, 9}, Rule: cloud.Rule{Direction: cloud.Egress, Priority: 1, Action: "accept", Protocol: "TCP",
							IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", SourcePort: "1/65535", DestPort: "443/443"}},
						{Pos: Pos{"a.yaml", 7, 9}, Rule: cloud.Rule{Direction: cloud.Egress, Priority: 2, Action: "accept", Protocol: "UDP",
							IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", SourcePort: "1/65535", DestPort: "53/53"}},
						{Pos: Pos{"a.yaml", 8, 9}, Rule: cloud.Rule{Direction: cloud.Egress, Priority: 3, Action: "drop", Protocol: "TCP",
							IPVersion: "IPv4", SourceCIDR: "0.0.0.0/0", DestCIDR: "0.0.0.0/0", SourcePort: "1/65535", DestPort: "8000/8080"}},
						{Pos: Pos{"a.yaml", 9, 9}, Rule: cloud.Rule{Direction: cloud.Egress, Priority: 4, Action: "drop", Protocol: "UDP",
							IPVersion: "IPv6", SourceCIDR: "::/0", DestCIDR: "2001:db8::/32", SourcePort: "1/65535", DestPort: "1/65535"}},
					},
				}},
			}},
		},
		"MergedFiles": {
			reason: "Files of a stack merge; stack tags and resource group reach each object, whose own win.",
			files: map[string]string{
				"stack.yaml": `stack: demo
region: cn-hangzhou
version: 1
profile: prod
tags: {team: a, env: prod}
resourceGroupId: rg-stack
service: {enabled: true}
limits: {sourcesPerSession: 1, sessionsPerSource: 3}
previousStacks: [old-demo]
moved: [{from: session.old, to: session.s}]
`,
				"objects.yaml": `stack: demo
region: cn-hangzhou
profile: prod
filters:
  f:
    name: Named
    description: d
    tags: {team: b, cost: 1.10, blank: }
    resourceGroupId: rg-own
    protect: true
    id: tmf-bp1x
sessions:
  s:
    filter: tmf-bp1other
    target: {type: SLB, id: lb-bp1t}
    sources: [eni-bp1a]
    priority: 32766
    enabled: false
    packetLength: 64
    virtualNetworkId: 0
`,
			},
			want: []*Stack{{
				Name: "demo", Region: "cn-hangzhou", Version: 1, Profile: "prod",
				Tags: cloud.Tags{"team": "a", "env": "prod"}, ResourceGroupID: "rg-stack",
				Service: &Service{Enabled: true, Pos: Pos{"stack.yaml", 7, 10}},
				Limits:  Limits{SourcesPerSession: 1, SessionsPerSource: 3},
				Files:   []string{"objects.yaml", "stack.yaml"}, Pos: Pos{"objects.yaml", 1, 8},
				PreviousStacks: []string{"old-demo"},
				Moved:          []Move{{From: "session.old", To: "session.s", Pos: Pos{"stack.yaml", 10, 9}}},
				Filters: []*Filter{{
					Key: "f", Name: "Named", Description: "d", ResourceGroupID: "rg-own", Protect: true, ID: "tmf-bp1x",
					Tags: cloud.Tags{"team": "b", "env": "prod", "cost": "1.10", "blank": ""}, Pos: Pos{"objects.yaml", 5, 3},
				}},
				Sessions: []*Session{{
					Key: "s", Name: "s", FilterID: "tmf-bp1other", TargetType: "SLB", TargetID: "lb-bp1t",
					Sources: []string{"eni-bp1a"}, Priority: 32766, Enabled: false, PacketLength: 64, VNI: intp(0),
					Tags: cloud.Tags{"team": "a", "env": "prod"}, ResourceGroupID: "rg-stack",
					Pos: Pos{"objects.yaml", 13, 3},
				}},
			}},
		},
		"SeveralStacks": {
			reason: "Stacks come back sorted by name; one region may hold several.",
			files: map[string]string{
				"z.yaml": "stack: alpha\nregion: cn-hangzhou\n",
				"a.yaml": "stack: beta\nregion: cn-shanghai\n",
			},
			want: []*Stack{
				{Name: "alpha", Region: "cn-hangzhou", Limits: Limits{SourcesPerSession: 10}, Files: []string{"z.yaml"},
					Pos: Pos{"z.yaml", 1, 8}, Filters: []*Filter{}, Sessions: []*Session{}},
				{Name: "beta", Region: "cn-shanghai", Limits: Limits{SourcesPerSession: 10}, Files: []string{"a.yaml"},
					Pos: Pos{"a.yaml", 1, 8}, Filters: []*Filter{}, Sessions: []*Session{}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			got, err := Load([]string{dir})
			if err != nil {
				t.Fatalf("%s\nLoad: %v", tc.reason, err)
			}
			for _, st := range tc.want {
				st.Pos.File = filepath.Join(dir, st.Pos.File)
				for i := range st.Files {
					st.Files[i] = filepath.Join(dir, st.Files[i])
				}
				if st.Service != nil {
					st.Service.Pos.File = filepath.Join(dir, st.Service.Pos.File)
				}
				for i := range st.Moved {
					st.Moved[i].Pos.File = filepath.Join(dir, st.Moved[i].Pos.File)
				}
				for _, f := range st.Filters {
					f.Pos.File = filepath.Join(dir, f.Pos.File)
					for _, rs := range [][]Rule{f.Ingress, f.Egress} {
						for i := range rs {
							rs[i].Pos.File = filepath.Join(dir, rs[i].Pos.File)
						}
					}
				}
				for _, s := range st.Sessions {
					s.Pos.File = filepath.Join(dir, s.Pos.File)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nLoad: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

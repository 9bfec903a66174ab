package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tmsync/tmsync/internal/cloud"
)

func TestLoadSelectors(t *testing.T) {
	dir := t.TempDir()
	spec := `stack: fleet
region: cn-hangzhou
filters:
  web:
    ingress: [{priority: 1, action: accept, protocol: ALL}]
sessions:
  group:
    filter: web
    target: {type: NetworkInterface, select: {tags: {role: ids-collector}}}
    sources:
      ids: [eni-pinned2, eni-pinned1]
      select:
        - tags: {app: web, env: prod, tier: 1}
          vpcId: vpc-bp1a
        - vSwitchId: vsw-bp1b
        - instanceIds: [i-bp1c]
        - securityGroupId: sg-bp1d
      exclude: [eni-skip]
      includeSecondary: true
    split: {priorities: 100-149}
  plain:
    filter: web
    target: {type: NetworkInterface, id: eni-target1}
    sources: [eni-a]
    priority: 10
`
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	stacks, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	got := stacks[0].Sessions[0]
	want := &Session{Key: "group", Name: "group", Filter: "web", TargetType: cloud.TargetENI,
		TargetSelect: &Selector{Tags: cloud.Tags{"role": "ids-collector"}},
		Sources:      []string{"eni-pinned1", "eni-pinned2"},
		Select: []Selector{
			{Tags: cloud.Tags{"app": "web", "env": "prod", "tier": "1"}, VPCID: "vpc-bp1a"},
			{VSwitchID: "vsw-bp1b"}, {InstanceIDs: []string{"i-bp1c"}}, {SecurityGroupID: "sg-bp1d"},
		},
		Exclude: []string{"eni-skip"}, IncludeSecondary: true, Split: &Split{From: 100, To: 149},
		Enabled: true, PacketLength: cloud.DefaultPacketLength}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Session{}, "Pos"), cmpopts.IgnoreFields(Selector{}, "Pos")); diff != "" {
		t.Errorf("group session (-want +got):\n%s", diff)
	}
	if !got.Selected() || stacks[0].Sessions[1].Selected() {
		t.Errorf("Selected: group %v, plain %v", got.Selected(), stacks[0].Sessions[1].Selected())
	}
	web := cloud.ENI{ID: "eni-1", Type: cloud.ENIPrimary, VPCID: "vpc-bp1a", Tags: cloud.Tags{"app": "web", "env": "prod", "tier": "1", "x": "y"}}
	cases := map[string]struct {
		sel  Selector
		eni  cloud.ENI
		want bool
	}{
		"AllTags":          {got.Select[0], web, true},
		"TagMissing":       {got.Select[0], cloud.ENI{VPCID: "vpc-bp1a", Tags: cloud.Tags{"app": "web"}}, false},
		"OtherVPC":         {got.Select[0], cloud.ENI{VPCID: "vpc-other", Tags: web.Tags}, false},
		"VSwitch":          {got.Select[1], cloud.ENI{VSwitchID: "vsw-bp1b"}, true},
		"Instance":         {got.Select[2], cloud.ENI{InstanceID: "i-bp1c"}, true},
		"GroupSecondary":   {got.Select[3], cloud.ENI{Type: cloud.ENISecondary, SecurityGroupIDs: []string{"sg-bp1d"}}, true},
		"GroupPrimaryNot":  {got.Select[3], cloud.ENI{Type: cloud.ENIPrimary, SecurityGroupIDs: []string{"sg-bp1d"}}, false},
		"OtherInstanceNot": {got.Select[2], cloud.ENI{InstanceID: "i-other"}, false},
	}
	for name, tc := range cases {
		if got := tc.sel.Matches(tc.eni); got != tc.want {
			t.Errorf("%s: %s matches %+v = %v, want %v", name, tc.sel, tc.eni, got, tc.want)
		}
	}
}

package emulator

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/google/go-cmp/cmp"
)

// ecsSDK returns an official ECS SDK client for s; mods adjust the config.
func ecsSDK(t *testing.T, s *Server, mods ...func(*openapiutil.Config)) *ecs.Client {
	t.Helper()
	c, err := ecs.NewClient(sdkConfig(s, mods...))
	if err != nil {
		t.Fatalf("ecs.NewClient: %v", err)
	}
	return c
}

// fleet is an inventory with an ENI for every filter of
// DescribeNetworkInterfaces to find or leave out.
func fleet() *Inventory {
	return &Inventory{NetworkInterfaces: []NetworkInterface{
		{ID: "eni-web1", Region: testRegion, VPCID: "vpc-a", VSwitchID: "vsw-a1", ZoneID: "cn-hongkong-b",
			InstanceID: "i-web1", SecurityGroupIDs: []string{"sg-web"}, Tags: map[string]string{"app": "web", "env": "prod"},
			Name: "web1", Description: "web one", PrimaryIPAddress: "10.0.0.1", PrivateIPAddresses: []string{"10.0.0.11"},
			IPv6Addresses: []string{"2408::1"}, ResourceGroupID: "rg-web", MACAddress: "00:16:3e:00:00:01"},
		{ID: "eni-web2", Region: testRegion, VPCID: "vpc-a", VSwitchID: "vsw-a2", InstanceID: "i-web2",
			SecurityGroupIDs: []string{"sg-web"}, Tags: map[string]string{"app": "web", "env": "dev"}},
		{ID: "eni-web2b", Region: testRegion, Type: "Secondary", VPCID: "vpc-a", VSwitchID: "vsw-a2", InstanceID: "i-web2",
			SecurityGroupIDs: []string{"sg-web"}, Tags: map[string]string{"app": "web"}},
		{ID: "eni-db1", Region: testRegion, Type: "Secondary", Status: "Available", VPCID: "vpc-b", VSwitchID: "vsw-b1",
			SecurityGroupIDs: []string{"sg-db"}, Tags: map[string]string{"app": "db"}, ServiceManaged: true},
		{ID: "eni-gone", Region: testRegion, Status: "Deleting", VPCID: "vpc-b"},
		{ID: "eni-bj", Region: "cn-beijing", VPCID: "vpc-a", Tags: map[string]string{"app": "web"}},
		{ID: "eni-any"},
	}}
}

func eniIDs(r *ecs.DescribeNetworkInterfacesResponse) []string {
	var out []string
	for _, n := range r.Body.NetworkInterfaceSets.NetworkInterfaceSet {
		out = append(out, tea.StringValue(n.NetworkInterfaceId))
	}
	return out
}

func ecsTags(kv ...string) []*ecs.DescribeNetworkInterfacesRequestTag {
	var out []*ecs.DescribeNetworkInterfacesRequestTag
	for i := 0; i+1 < len(kv); i += 2 {
		t := &ecs.DescribeNetworkInterfacesRequestTag{Key: s(kv[i])}
		if kv[i+1] != "" {
			t.Value = s(kv[i+1])
		}
		out = append(out, t)
	}
	return out
}

// TestECSDescribeFilters runs every filter of DescribeNetworkInterfaces
// through the official ECS SDK.
func TestECSDescribeFilters(t *testing.T) {
	srv := start(t, Options{Inventory: fleet()})
	c := ecsSDK(t, srv)
	cases := map[string]struct {
		reason string
		req    ecs.DescribeNetworkInterfacesRequest
		want   []string
	}{
		"all":            {reason: "the region's ENIs, in ID order", want: []string{"eni-any", "eni-db1", "eni-gone", "eni-web1", "eni-web2", "eni-web2b"}},
		"ids":            {reason: "IDs of another region are not found", req: ecs.DescribeNetworkInterfacesRequest{NetworkInterfaceId: []*string{s("eni-web1"), s("eni-bj"), s("eni-nope")}}, want: []string{"eni-web1"}},
		"vpc":            {reason: "VpcId", req: ecs.DescribeNetworkInterfacesRequest{VpcId: s("vpc-a")}, want: []string{"eni-web1", "eni-web2", "eni-web2b"}},
		"vswitch":        {reason: "VSwitchId", req: ecs.DescribeNetworkInterfacesRequest{VSwitchId: s("vsw-a2")}, want: []string{"eni-web2", "eni-web2b"}},
		"instance":       {reason: "InstanceId", req: ecs.DescribeNetworkInterfacesRequest{InstanceId: s("i-web2")}, want: []string{"eni-web2", "eni-web2b"}},
		"security group": {reason: "SecurityGroupId finds secondary ENIs only", req: ecs.DescribeNetworkInterfacesRequest{SecurityGroupId: s("sg-web")}, want: []string{"eni-web2b"}},
		"secondary":      {reason: "Type", req: ecs.DescribeNetworkInterfacesRequest{Type: s("Secondary")}, want: []string{"eni-db1", "eni-web2b"}},
		"primary":        {reason: "ENIs without a type are primary", req: ecs.DescribeNetworkInterfacesRequest{Type: s("Primary")}, want: []string{"eni-any", "eni-gone", "eni-web1", "eni-web2"}},
		"available":      {reason: "Status", req: ecs.DescribeNetworkInterfacesRequest{Status: s("Available")}, want: []string{"eni-db1"}},
		"in use":         {reason: "ENIs without a status are in use", req: ecs.DescribeNetworkInterfacesRequest{Status: s("InUse")}, want: []string{"eni-any", "eni-web1", "eni-web2", "eni-web2b"}},
		"tag":            {reason: "one tag", req: ecs.DescribeNetworkInterfacesRequest{Tag: ecsTags("app", "web")}, want: []string{"eni-web1", "eni-web2", "eni-web2b"}},
		"tags":           {reason: "every tag must match", req: ecs.DescribeNetworkInterfacesRequest{Tag: ecsTags("app", "web", "env", "prod")}, want: []string{"eni-web1"}},
		"tag key":        {reason: "a key without a value matches any value", req: ecs.DescribeNetworkInterfacesRequest{Tag: ecsTags("env", "")}, want: []string{"eni-web1", "eni-web2"}},
		"name":           {reason: "NetworkInterfaceName", req: ecs.DescribeNetworkInterfacesRequest{NetworkInterfaceName: s("web1")}, want: []string{"eni-web1"}},
		"primary ip":     {reason: "PrimaryIpAddress", req: ecs.DescribeNetworkInterfacesRequest{PrimaryIpAddress: s("10.0.0.1")}, want: []string{"eni-web1"}},
		"private ip":     {reason: "PrivateIpAddress.N", req: ecs.DescribeNetworkInterfacesRequest{PrivateIpAddress: []*string{s("10.9.9.9"), s("10.0.0.11")}}, want: []string{"eni-web1"}},
		"ipv6":           {reason: "Ipv6Address.N", req: ecs.DescribeNetworkInterfacesRequest{Ipv6Address: []*string{s("2408::1")}}, want: []string{"eni-web1"}},
		"resource group": {reason: "ResourceGroupId", req: ecs.DescribeNetworkInterfacesRequest{ResourceGroupId: s("rg-web")}, want: []string{"eni-web1"}},
		"service":        {reason: "ServiceManaged", req: ecs.DescribeNetworkInterfacesRequest{ServiceManaged: b(true)}, want: []string{"eni-db1"}},
		"combined":       {reason: "every filter must match", req: ecs.DescribeNetworkInterfacesRequest{VpcId: s("vpc-a"), Type: s("Secondary"), Tag: ecsTags("app", "web")}, want: []string{"eni-web2b"}},
		"none":           {reason: "nothing matches", req: ecs.DescribeNetworkInterfacesRequest{VpcId: s("vpc-z")}, want: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := tc.req
			req.RegionId, req.MaxResults = s(testRegion), i32(500)
			r, err := c.DescribeNetworkInterfaces(&req)
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, eniIDs(r)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
			if got := int(tea.Int32Value(r.Body.TotalCount)); got != len(tc.want) {
				t.Errorf("%s: TotalCount = %d, want %d", tc.reason, got, len(tc.want))
			}
		})
	}
	r, err := c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s("cn-beijing")})
	if err != nil || cmp.Diff([]string{"eni-any", "eni-bj"}, eniIDs(r)) != "" {
		t.Errorf("cn-beijing = %v, %v; want eni-any and eni-bj", eniIDs(r), err)
	}
}

// TestECSDescribeAnswer checks every field of an ENI in the SDK's model,
// with both signatures.
func TestECSDescribeAnswer(t *testing.T) {
	srv := start(t, Options{Inventory: fleet()})
	for name, mods := range map[string][]func(*openapiutil.Config){"ACS3-HMAC-SHA256": nil, "v2": {v2}} {
		t.Run(name, func(t *testing.T) {
			c := ecsSDK(t, srv, mods...)
			r, err := c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{
				RegionId: s(testRegion), NetworkInterfaceId: []*string{s("eni-web1"), s("eni-db1")},
			})
			if err != nil {
				t.Fatalf("DescribeNetworkInterfaces: %v", err)
			}
			if !requestIDRE.MatchString(tea.StringValue(r.Body.RequestId)) || tea.Int32Value(r.Body.TotalCount) != 2 || tea.StringValue(r.Body.NextToken) != "" {
				t.Errorf("answer = %v", r.Body)
			}
			type eni struct {
				ID, Name, Desc, Type, Status, VPC, VSwitch, Zone, Instance, MAC, IP, RG string
				Managed                                                                 bool
				SGs, Private, IPv6                                                      []string
				Tags                                                                    map[string]string
			}
			var got []eni
			for _, n := range r.Body.NetworkInterfaceSets.NetworkInterfaceSet {
				e := eni{
					ID: tea.StringValue(n.NetworkInterfaceId), Name: tea.StringValue(n.NetworkInterfaceName), Desc: tea.StringValue(n.Description),
					Type: tea.StringValue(n.Type), Status: tea.StringValue(n.Status), VPC: tea.StringValue(n.VpcId),
					VSwitch: tea.StringValue(n.VSwitchId), Zone: tea.StringValue(n.ZoneId), Instance: tea.StringValue(n.InstanceId),
					MAC: tea.StringValue(n.MacAddress), IP: tea.StringValue(n.PrivateIpAddress), RG: tea.StringValue(n.ResourceGroupId),
					Managed: tea.BoolValue(n.ServiceManaged), SGs: tea.StringSliceValue(n.SecurityGroupIds.SecurityGroupId),
					Tags: map[string]string{},
				}
				for _, tg := range n.Tags.Tag {
					e.Tags[tea.StringValue(tg.TagKey)] = tea.StringValue(tg.TagValue)
				}
				for _, p := range n.PrivateIpSets.PrivateIpSet {
					e.Private = append(e.Private, fmt.Sprintf("%s primary=%v", tea.StringValue(p.PrivateIpAddress), tea.BoolValue(p.Primary)))
				}
				for _, a := range n.Ipv6Sets.Ipv6Set {
					e.IPv6 = append(e.IPv6, tea.StringValue(a.Ipv6Address))
				}
				got = append(got, e)
			}
			var rg string
			srv.store.do(func(st *state) (bool, error) { rg = st.DefaultResourceGroup; return false, nil })
			want := []eni{
				{ID: "eni-db1", Type: "Secondary", Status: "Available", VPC: "vpc-b", VSwitch: "vsw-b1", MAC: macOf("eni-db1"), RG: rg,
					Managed: true, SGs: []string{"sg-db"}, Tags: map[string]string{"app": "db"}},
				{ID: "eni-web1", Name: "web1", Desc: "web one", Type: "Primary", Status: "InUse", VPC: "vpc-a", VSwitch: "vsw-a1",
					Zone: "cn-hongkong-b", Instance: "i-web1", MAC: "00:16:3e:00:00:01", IP: "10.0.0.1", RG: "rg-web",
					SGs: []string{"sg-web"}, Private: []string{"10.0.0.1 primary=true", "10.0.0.11 primary=false"}, IPv6: []string{"2408::1"},
					Tags: map[string]string{"app": "web", "env": "prod"}},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ENIs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestECSDescribeCLIShape sends what the aliyun CLI sends for `aliyun ecs
// DescribeNetworkInterfaces --endpoint … --insecure` (the CLI itself is not
// available offline): every parameter in the query, v1 signature, Format
// JSON, SignatureType empty; and checks the JSON types of the answer.
func TestECSDescribeCLIShape(t *testing.T) {
	srv := start(t, Options{Inventory: fleet()})
	rc := newRaw(srv)
	status, m, h := rc.call("DescribeNetworkInterfaces", map[string]string{
		"Version": "2014-05-26", "Format": "JSON", "SignatureType": "", "RegionId": testRegion,
		"Tag.1.Key": "app", "Tag.1.Value": "web", "MaxResults": "2",
	})
	if status != 200 || h.Get("Content-Type") != "application/json;charset=utf-8" {
		t.Fatalf("CLI-shaped describe = %d %v", status, m)
	}
	if _, ok := m["TotalCount"].(float64); !ok {
		t.Errorf("TotalCount = %#v, want a JSON number", m["TotalCount"])
	}
	if tok, ok := m["NextToken"].(string); !ok || tok != "" {
		t.Errorf("NextToken = %#v, want \"\": 3 match and a page has at least 10", m["NextToken"])
	}
	sets, _ := m["NetworkInterfaceSets"].(map[string]any)
	list, _ := sets["NetworkInterfaceSet"].([]any)
	if len(list) != 3 {
		// MaxResults under 10 is taken as 10.
		t.Fatalf("NetworkInterfaceSet = %#v, want 3 ENIs", sets)
	}
	e := list[0].(map[string]any)
	sgs, _ := e["SecurityGroupIds"].(map[string]any)["SecurityGroupId"].([]any)
	tags, _ := e["Tags"].(map[string]any)["Tag"].([]any)
	if len(sgs) != 1 || len(tags) != 2 || tags[0].(map[string]any)["TagKey"] != "app" || e["Type"] != "Primary" {
		t.Errorf("ENI = %#v", e)
	}
}

// TestECSVersion: the version says which API a request is for; each
// refuses the other's version as its endpoint would.
func TestECSVersion(t *testing.T) {
	srv := start(t, Options{})
	rc := newRaw(srv)
	status, m, _ := rc.call("DescribeNetworkInterfaces", map[string]string{"RegionId": testRegion})
	if status != 400 || m["Code"] != "InvalidVersion" || !strings.Contains(m["Recommend"].(string), "product=Ecs") {
		t.Errorf("ECS action with the VPC version = %d %v", status, m)
	}
	status, m, _ = rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion, "Version": "2014-05-26"})
	if status != 400 || m["Code"] != "InvalidVersion" {
		t.Errorf("VPC action with the ECS version = %d %v", status, m)
	}
	status, m, _ = rc.call("DescribeNetworkInterfaces", map[string]string{"RegionId": testRegion, "Version": "2014-05-26"})
	if status != 200 {
		t.Errorf("ECS action with its version = %d %v", status, m)
	}
	// The SDK path: the VPC SDK cannot reach an ECS action, but the ECS
	// SDK's errors carry the ECS envelope.
	_, err := ecsSDK(t, srv).DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{})
	if got, st := code(err); got != "MissingRegionId" || st != 400 {
		t.Errorf("no RegionId = %s %d", got, st)
	}
}

func TestECSDescribeErrors(t *testing.T) {
	srv := start(t, Options{Inventory: fleet()})
	rc := newRaw(srv)
	cases := map[string]struct {
		reason     string
		params     map[string]string
		wantStatus int
		wantCode   string
	}{
		"no region":         {reason: "RegionId is required", params: map[string]string{"RegionId": ""}, wantStatus: 400, wantCode: "MissingRegionId"},
		"max results type":  {reason: "MaxResults is an integer", params: map[string]string{"MaxResults": "ten"}, wantStatus: 400, wantCode: "InvalidMaxResults"},
		"max results large": {reason: "beyond int32", params: map[string]string{"MaxResults": "99999999999"}, wantStatus: 400, wantCode: "InvalidMaxResults"},
		"max results low":   {reason: "under 10 is taken as 10", params: map[string]string{"MaxResults": "-3"}, wantStatus: 200},
		"max results high":  {reason: "over 500 is taken as 500", params: map[string]string{"MaxResults": "5000"}, wantStatus: 200},
		"too many ids": {reason: "NetworkInterfaceId.N is 1-100", params: many("NetworkInterfaceId", "", 101, func(i int) string { return fmt.Sprintf("eni-%d", i) }),
			wantStatus: 400, wantCode: "InvalidParameter"},
		"100 ids": {reason: "100 IDs are fine", params: many("NetworkInterfaceId", "", 100, func(i int) string { return fmt.Sprintf("eni-%d", i) }), wantStatus: 200},
		"too many private ips": {reason: "PrivateIpAddress.N is 1-100", params: many("PrivateIpAddress", "", 101, func(i int) string { return fmt.Sprintf("10.0.%d.1", i) }),
			wantStatus: 400, wantCode: "InvalidParameter"},
		"bad index":      {reason: "a list index is a positive integer", params: map[string]string{"NetworkInterfaceId.0": "eni-web1"}, wantStatus: 400, wantCode: "InvalidNetworkInterfaceId"},
		"too many tags":  {reason: "Tag.N is 1-20", params: many("Tag", ".Key", 21, func(i int) string { return fmt.Sprint("k", i) }), wantStatus: 400, wantCode: "InvalidTagCount"},
		"20 tags":        {reason: "20 tags are fine", params: many("Tag", ".Key", 20, func(i int) string { return fmt.Sprint("k", i) }), wantStatus: 200},
		"value only":     {reason: "a tag value needs its key", params: map[string]string{"Tag.1.Value": "web"}, wantStatus: 400, wantCode: "InvalidTag.Mismatch"},
		"long key":       {reason: "a tag key is at most 128 characters", params: map[string]string{"Tag.1.Key": strings.Repeat("k", 129)}, wantStatus: 400, wantCode: "InvalidTagKey.Malformed"},
		"long value":     {reason: "a tag value is at most 128 characters", params: map[string]string{"Tag.1.Key": "k", "Tag.1.Value": strings.Repeat("v", 129)}, wantStatus: 400, wantCode: "InvalidTagValue.Malformed"},
		"type":           {reason: "Primary or Secondary", params: map[string]string{"Type": "primary"}, wantStatus: 400, wantCode: "InvalidParameter"},
		"status":         {reason: "a documented status", params: map[string]string{"Status": "Running"}, wantStatus: 400, wantCode: "InvalidParameter"},
		"instances":      {reason: "InstanceId takes one instance", params: map[string]string{"InstanceId": "i-web1,i-web2"}, wantStatus: 400, wantCode: "InvalidInstanceID.Malformed"},
		"instance list":  {reason: "not a JSON list either", params: map[string]string{"InstanceId": `["i-web1"]`}, wantStatus: 400, wantCode: "InvalidInstanceID.Malformed"},
		"service":        {reason: "ServiceManaged is a boolean", params: map[string]string{"ServiceManaged": "yes"}, wantStatus: 400, wantCode: "InvalidServiceManaged"},
		"forged token":   {reason: "a NextToken the server did not issue", params: map[string]string{"NextToken": "AAAAAdDWBF2"}, wantStatus: 400, wantCode: "InvalidParameter"},
		"page size":      {reason: "PageSize is 1-1000", params: map[string]string{"PageSize": "1001"}, wantStatus: 400, wantCode: "InvalidParameter"},
		"page size type": {reason: "PageSize is an integer", params: map[string]string{"PageSize": "x"}, wantStatus: 400, wantCode: "InvalidPageSize"},
		"page number":    {reason: "pages start from 1", params: map[string]string{"PageNumber": "0"}, wantStatus: 400, wantCode: "InvalidParameter"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := merge(map[string]string{"Version": "2014-05-26", "RegionId": testRegion}, tc.params)
			status, m, _ := rc.call("DescribeNetworkInterfaces", p)
			got, _ := m["Code"].(string)
			if status != tc.wantStatus || got != tc.wantCode {
				t.Errorf("%s: got %d %q (%v), want %d %q", tc.reason, status, got, m["Message"], tc.wantStatus, tc.wantCode)
			}
			if tc.wantCode != "" && !strings.Contains(m["Recommend"].(string), "product=Ecs") {
				t.Errorf("Recommend = %v, want the ECS product", m["Recommend"])
			}
		})
	}
}

// bigFleet is n primary ENIs eni-f00001… in the test region, tagged
// app=web, the first half in vpc-a.
func bigFleet(n int) *Inventory {
	inv := &Inventory{}
	for i := 1; i <= n; i++ {
		vpcID := "vpc-b"
		if i <= n/2 {
			vpcID = "vpc-a"
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, NetworkInterface{
			ID: fmt.Sprintf("eni-f%05d", i), Region: testRegion, VPCID: vpcID, Tags: map[string]string{"app": "web"},
		})
	}
	return inv
}

// describeAll pages req to the end and returns the IDs and the calls.
func describeAll(t *testing.T, c *ecs.Client, req ecs.DescribeNetworkInterfacesRequest) (ids []string, pages []int, total int) {
	t.Helper()
	for {
		r, err := c.DescribeNetworkInterfaces(&req)
		if err != nil {
			t.Fatalf("DescribeNetworkInterfaces: %v", err)
		}
		ids = append(ids, eniIDs(r)...)
		pages = append(pages, len(r.Body.NetworkInterfaceSets.NetworkInterfaceSet))
		total = int(tea.Int32Value(r.Body.TotalCount))
		next := tea.StringValue(r.Body.NextToken)
		if next == "" {
			return ids, pages, total
		}
		req.NextToken = s(next)
	}
}

func TestECSPaging(t *testing.T) {
	inv := bigFleet(1234)
	srv := start(t, Options{Inventory: inv})
	c := ecsSDK(t, srv)
	var all []string
	for _, n := range inv.NetworkInterfaces {
		all = append(all, n.ID)
	}
	for name, tc := range map[string]struct {
		max       int32
		wantPages []int
	}{
		"500":          {max: 500, wantPages: []int{500, 500, 234}},
		"over 500":     {max: 900, wantPages: []int{500, 500, 234}},
		"under 10 min": {max: 3, wantPages: nil}, // 10 a page: 124 pages
	} {
		t.Run(name, func(t *testing.T) {
			ids, pages, total := describeAll(t, c, ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), MaxResults: i32(tc.max)})
			if diff := cmp.Diff(all, ids); diff != "" {
				t.Errorf("IDs over all pages (-want +got):\n%s", diff)
			}
			if tc.wantPages == nil {
				if len(pages) != 124 || pages[0] != 10 {
					t.Errorf("pages = %d of %d, want 124 of 10", len(pages), pages[0])
				}
			} else if diff := cmp.Diff(tc.wantPages, pages); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			if total != 1234 {
				t.Errorf("TotalCount = %d, want 1234", total)
			}
		})
	}

	// An ENI added or removed between two pages neither repeats nor hides
	// the others: the token holds the last ID answered.
	r, err := c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), MaxResults: i32(500)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.PatchInventory(InventoryPatch{Remove: []string{"eni-f00001", "eni-f00600"}}); err != nil {
		t.Fatal(err)
	}
	rest, _, _ := describeAll(t, c, ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), MaxResults: i32(500), NextToken: r.Body.NextToken})
	if len(rest) != 733 || rest[0] != "eni-f00501" {
		t.Errorf("after a removal: %d more from %s, want 733 from eni-f00501", len(rest), rest[0])
	}

	// A token is bound to its filters.
	_, err = c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), VpcId: s("vpc-a"), NextToken: r.Body.NextToken})
	if got, st := code(err); got != "InvalidParameter" || st != 400 {
		t.Errorf("a token with other filters = %s %d", got, st)
	}

	// The deprecated PageNumber and PageSize.
	pr, err := c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), PageNumber: i32(2), PageSize: i32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if ids := eniIDs(pr); len(ids) != 7 || ids[0] != "eni-f00009" || tea.Int32Value(pr.Body.PageNumber) != 2 || tea.Int32Value(pr.Body.PageSize) != 7 {
		t.Errorf("page 2 of 7 = %v, %v", ids, pr.Body)
	}
	pr, err = c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), PageNumber: i32(9), PageSize: i32(1000)})
	if err != nil || len(eniIDs(pr)) != 0 || tea.Int32Value(pr.Body.TotalCount) != 1232 {
		t.Errorf("a page past the end = %v, %v", pr, err)
	}
}

// TestECSTagQueryLimit: a query by tag answers at most ENIsPerTagQuery
// ENIs over all its pages; TotalCount says how many match.
func TestECSTagQueryLimit(t *testing.T) {
	srv := start(t, Options{Inventory: bigFleet(40), Quotas: Quotas{ENIsPerTagQuery: 15}})
	c := ecsSDK(t, srv)
	ids, pages, total := describeAll(t, c, ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), MaxResults: i32(10), Tag: ecsTags("app", "web")})
	if len(ids) != 15 || total != 40 || cmp.Diff([]int{10, 5}, pages) != "" {
		t.Errorf("by tag: %d ENIs in pages %v, TotalCount %d; want 15 in [10 5], 40", len(ids), pages, total)
	}
	ids, _, total = describeAll(t, c, ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), MaxResults: i32(10), Tag: ecsTags("app", "web"), VpcId: s("vpc-a")})
	if len(ids) != 15 || total != 20 {
		t.Errorf("by tag and VPC: %d ENIs, TotalCount %d; want 15, 20", len(ids), total)
	}
	ids, _, total = describeAll(t, c, ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), MaxResults: i32(10), VpcId: s("vpc-a")})
	if len(ids) != 20 || total != 20 {
		t.Errorf("by VPC only (no limit): %d ENIs, TotalCount %d; want 20, 20", len(ids), total)
	}
}

// TestECSAnyID: with no inventory every well-formed ID exists, as a primary
// ENI in use; listing without IDs shows the ENIs sessions use.
func TestECSAnyID(t *testing.T) {
	w := newWorld(t, Options{})
	c := ecsSDK(t, w.srv)
	r, err := c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion), NetworkInterfaceId: []*string{s("eni-x"), s("not-an-eni")}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"eni-x"}, eniIDs(r)); diff != "" || tea.StringValue(r.Body.NetworkInterfaceSets.NetworkInterfaceSet[0].Type) != "Primary" ||
		tea.StringValue(r.Body.NetworkInterfaceSets.NetworkInterfaceSet[0].Status) != "InUse" {
		t.Errorf("by ID (-want +got):\n%s%v", diff, r.Body)
	}
	r, err = c.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: s(testRegion)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"eni-a", "eni-b", "eni-t"}, eniIDs(r)); diff != "" {
		t.Errorf("the ENIs sessions use (-want +got):\n%s", diff)
	}
}

func TestInventoryPatch(t *testing.T) {
	srv := start(t, Options{})
	var inv *Inventory
	if code := admin(t, srv, "POST", "inventory", `{"add":{"network_interfaces":[{"id":"eni-a"}]}}`, nil); code != 400 {
		t.Errorf("a patch of the any-ID inventory = %d, want 400", code)
	}
	admin(t, srv, "POST", "inventory", "network_interfaces: [{id: eni-a}, {id: eni-b, type: Secondary}]\nload_balancers: [{id: lb-1}]", &inv)
	if code := admin(t, srv, "POST", "inventory", "add:\n  network_interfaces:\n    - {id: eni-c, status: Available, tags: {app: web}}\n    - {id: eni-a, vpc_id: vpc-1}\nremove: [eni-b, lb-1]", &inv); code != 200 {
		t.Fatalf("patch = %d", code)
	}
	want := &Inventory{NetworkInterfaces: []NetworkInterface{
		{ID: "eni-a", Type: "Primary", Status: "InUse", VPCID: "vpc-1"},
		{ID: "eni-c", Type: "Primary", Status: "Available", Tags: map[string]string{"app": "web"}},
	}}
	if diff := cmp.Diff(want, inv); diff != "" {
		t.Errorf("answer of the patch (-want +got):\n%s", diff)
	}
	admin(t, srv, "GET", "inventory", "", &inv)
	if diff := cmp.Diff(want, inv); diff != "" {
		t.Errorf("GET inventory (-want +got):\n%s", diff)
	}
	for name, body := range map[string]string{
		"unknown":     `{"remove":["eni-zz"]}`,
		"both":        `{"remove":["eni-a"],"network_interfaces":[]}`,
		"bad status":  `{"add":{"network_interfaces":[{"id":"eni-d","status":"Running"}]}}`,
		"bad type":    `{"add":{"network_interfaces":[{"id":"eni-d","type":"primary"}]}}`,
		"unknown key": `{"ad":{}}`,
	} {
		if code := admin(t, srv, "POST", "inventory", body, nil); code != 400 {
			t.Errorf("%s: POST inventory %s = %d, want 400", name, body, code)
		}
	}
	if diff := cmp.Diff(want, srv.Inventory()); diff != "" {
		t.Errorf("a refused patch changed the inventory (-want +got):\n%s", diff)
	}
}

// TestDeletedSources: an ENI that leaves the inventory leaves the sources
// of its sessions, unless KeepDeletedSources keeps it as a stale ID.
func TestDeletedSources(t *testing.T) {
	for name, tc := range map[string]struct{ keep, file bool }{"dropped": {}, "kept": {keep: true}, "dropped in a state file": {file: true}} {
		keep := tc.keep
		t.Run(name, func(t *testing.T) {
			inv := &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-a"}, {ID: "eni-b"}, {ID: "eni-c"}, {ID: "eni-t"}}}
			opts := Options{Inventory: inv, KeepDeletedSources: keep}
			if tc.file {
				opts.StateFile = filepath.Join(t.TempDir(), "state.json")
			}
			srv := start(t, opts)
			c := sdk(t, srv)
			f, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{RegionId: s(testRegion)})
			if err != nil {
				t.Fatal(err)
			}
			cs, err := c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{
				RegionId: s(testRegion), TrafficMirrorFilterId: f.Body.TrafficMirrorFilterId, Priority: i32(1),
				TrafficMirrorSourceIds: []*string{s("eni-a"), s("eni-b"), s("eni-c")},
				TrafficMirrorTargetId:  s("eni-t"), TrafficMirrorTargetType: s("NetworkInterface"),
			})
			if err != nil {
				t.Fatal(err)
			}
			id := tea.StringValue(cs.Body.TrafficMirrorSessionId)
			if err := srv.PatchInventory(InventoryPatch{Remove: []string{"eni-b"}}); err != nil {
				t.Fatal(err)
			}
			// A whole inventory without eni-c deletes it too.
			if err := srv.SetInventory(&Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-a"}, {ID: "eni-t"}}}); err != nil {
				t.Fatal(err)
			}
			want := []string{"eni-a"}
			if keep {
				want = []string{"eni-a", "eni-b", "eni-c"}
			}
			got := tea.StringSliceValue(listSession(t, c, id).TrafficMirrorSourceIds)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
			_, err = c.AddSourcesToTrafficMirrorSession(&vpc.AddSourcesToTrafficMirrorSessionRequest{
				RegionId: s(testRegion), TrafficMirrorSessionId: s(id), TrafficMirrorSourceIds: []*string{s("eni-c")},
			})
			if got, st := code(err); got != "ResourceNotFound.NetworkInterface" || st != 404 {
				t.Errorf("adding a deleted ENI = %s %d", got, st)
			}
			// Removing one is never an error while the session lists it.
			if keep {
				_, err = c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{
					RegionId: s(testRegion), TrafficMirrorSessionId: s(id), TrafficMirrorSourceIds: []*string{s("eni-b")},
				})
				if err != nil {
					t.Errorf("removing a stale source: %v", err)
				}
			}
		})
	}
}

// TestSourceStatus: only an ENI in use or available can be mirrored.
func TestSourceStatus(t *testing.T) {
	inv := &Inventory{NetworkInterfaces: []NetworkInterface{
		{ID: "eni-a"}, {ID: "eni-b"}, {ID: "eni-use"}, {ID: "eni-free", Status: "Available"}, {ID: "eni-att", Status: "Attaching"},
		{ID: "eni-det", Status: "Detaching"}, {ID: "eni-del", Status: "Deleting"}, {ID: "eni-t"}, {ID: "eni-tdel", Status: "Deleting"},
	}}
	w := newWorld(t, Options{Inventory: inv})
	for _, tc := range []struct {
		source, target string
		wantStatus     int
		wantCode       string
	}{
		{"eni-use", "eni-t", 200, ""},
		{"eni-free", "eni-t", 200, ""},
		{"eni-att", "eni-t", 400, "IncorrectStatus.NetworkInterface"},
		{"eni-det", "eni-t", 400, "IncorrectStatus.NetworkInterface"},
		{"eni-del", "eni-t", 400, "IncorrectStatus.NetworkInterface"},
		{"eni-use", "eni-tdel", 400, "IncorrectStatus.NetworkInterface"},
	} {
		status, m, _ := w.rc.call("CreateTrafficMirrorSession", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": w.F,
			"TrafficMirrorSourceIds.1": tc.source, "TrafficMirrorTargetId": tc.target, "TrafficMirrorTargetType": "NetworkInterface",
			"Priority": "100", "DryRun": "true"})
		got, _ := m["Code"].(string)
		if tc.wantStatus == 200 {
			tc.wantStatus, tc.wantCode = 400, "DryRunOperation"
		}
		if status != tc.wantStatus || got != tc.wantCode {
			t.Errorf("source %s, target %s = %d %s (%v), want %d %s", tc.source, tc.target, status, got, m["Message"], tc.wantStatus, tc.wantCode)
		}
	}
}

package aliyun_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// These tests run DescribeNetworkInterfaces through the official ECS SDK
// against the emulator's ECS API, on the port of its VPC API.

func eniFleet() *emulator.Inventory {
	return &emulator.Inventory{NetworkInterfaces: []emulator.NetworkInterface{
		{ID: "eni-web1", Region: testRegion, VPCID: "vpc-a", VSwitchID: "vsw-a1", InstanceID: "i-web1",
			SecurityGroupIDs: []string{"sg-web"}, Tags: map[string]string{"app": "web", "env": "prod"}},
		{ID: "eni-web2", Region: testRegion, VPCID: "vpc-a", VSwitchID: "vsw-a2", InstanceID: "i-web2",
			SecurityGroupIDs: []string{"sg-web"}, Tags: map[string]string{"app": "web", "env": ""}},
		{ID: "eni-web2b", Region: testRegion, Type: "Secondary", VPCID: "vpc-a", VSwitchID: "vsw-a2", InstanceID: "i-web2",
			SecurityGroupIDs: []string{"sg-web", "sg-extra"}, Tags: map[string]string{"app": "web"}},
		{ID: "eni-db1", Region: testRegion, Type: "Secondary", Status: "Available", VPCID: "vpc-b", VSwitchID: "vsw-b1",
			SecurityGroupIDs: []string{"sg-db"}, Tags: map[string]string{"app": "db"}},
		{ID: "eni-gone", Region: testRegion, Status: "Deleting", VPCID: "vpc-b"},
		{ID: "eni-bj", Region: "cn-beijing", VPCID: "vpc-a", Tags: map[string]string{"app": "web"}},
	}}
}

func ids(enis []cloud.ENI) []string {
	var out []string
	for _, e := range enis {
		out = append(out, e.ID)
	}
	return out
}

func TestDescribeENIsFilters(t *testing.T) {
	_, c := setup(t, func(o *emulator.Options) { o.Inventory = eniFleet() })
	ctx := context.Background()
	cases := map[string]struct {
		reason string
		q      cloud.ENIQuery
		want   []string
	}{
		"all":            {reason: "the zero query lists the region", want: []string{"eni-db1", "eni-gone", "eni-web1", "eni-web2", "eni-web2b"}},
		"ids":            {reason: "IDs; another region's and unknown ones are not found", q: cloud.ENIQuery{IDs: []string{"eni-web2", "eni-bj", "eni-nope", "eni-web1"}}, want: []string{"eni-web1", "eni-web2"}},
		"vpc":            {reason: "VPCID", q: cloud.ENIQuery{VPCID: "vpc-b"}, want: []string{"eni-db1", "eni-gone"}},
		"vswitch":        {reason: "VSwitchID", q: cloud.ENIQuery{VSwitchID: "vsw-a2"}, want: []string{"eni-web2", "eni-web2b"}},
		"instance":       {reason: "InstanceID", q: cloud.ENIQuery{InstanceID: "i-web2"}, want: []string{"eni-web2", "eni-web2b"}},
		"security group": {reason: "SecurityGroupID finds secondary ENIs only", q: cloud.ENIQuery{SecurityGroupID: "sg-web"}, want: []string{"eni-web2b"}},
		"secondary":      {reason: "Type", q: cloud.ENIQuery{Type: cloud.ENISecondary}, want: []string{"eni-db1", "eni-web2b"}},
		"primary":        {reason: "Type", q: cloud.ENIQuery{Type: cloud.ENIPrimary}, want: []string{"eni-gone", "eni-web1", "eni-web2"}},
		"tag":            {reason: "one tag", q: cloud.ENIQuery{Tags: cloud.Tags{"app": "web"}}, want: []string{"eni-web1", "eni-web2", "eni-web2b"}},
		"tags":           {reason: "all tags must match", q: cloud.ENIQuery{Tags: cloud.Tags{"app": "web", "env": "prod"}}, want: []string{"eni-web1"}},
		"empty value":    {reason: "an empty value matches an empty value only", q: cloud.ENIQuery{Tags: cloud.Tags{"env": ""}}, want: []string{"eni-web2"}},
		"narrowed":       {reason: "every field must match", q: cloud.ENIQuery{VPCID: "vpc-a", Type: cloud.ENISecondary, Tags: cloud.Tags{"app": "web"}}, want: []string{"eni-web2b"}},
		"ids and tags":   {reason: "IDs narrowed by tag", q: cloud.ENIQuery{IDs: []string{"eni-web1", "eni-db1"}, Tags: cloud.Tags{"app": "web"}}, want: []string{"eni-web1"}},
		"nothing":        {reason: "no match is no error", q: cloud.ENIQuery{VPCID: "vpc-z"}, want: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.DescribeNetworkInterfaces(ctx, tc.q)
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}

	got := must(c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{IDs: []string{"eni-web2b", "eni-db1"}}))(t)
	want := []cloud.ENI{
		{ID: "eni-db1", Type: cloud.ENISecondary, Status: cloud.ENIAvailable, VPCID: "vpc-b", VSwitchID: "vsw-b1",
			SecurityGroupIDs: []string{"sg-db"}, Tags: cloud.Tags{"app": "db"}},
		{ID: "eni-web2b", Type: cloud.ENISecondary, Status: cloud.ENIInUse, VPCID: "vpc-a", VSwitchID: "vsw-a2", InstanceID: "i-web2",
			SecurityGroupIDs: []string{"sg-web", "sg-extra"}, Tags: cloud.Tags{"app": "web"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ENIs as the client maps them (-want +got):\n%s", diff)
	}
	if !got[0].Mirrorable() || must(c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{IDs: []string{"eni-gone"}}))(t)[0].Mirrorable() {
		t.Errorf("Available is mirrorable, Deleting is not")
	}
}

// bigFleet is n ENIs eni-f00001… tagged app=web, the first half in vpc-a.
func bigFleet(n int) *emulator.Inventory {
	inv := &emulator.Inventory{}
	for i := 1; i <= n; i++ {
		vpcID := "vpc-b"
		if i <= n/2 {
			vpcID = "vpc-a"
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, emulator.NetworkInterface{
			ID: fmt.Sprintf("eni-f%05d", i), Region: testRegion, VPCID: vpcID, Tags: map[string]string{"app": "web"},
		})
	}
	return inv
}

// TestDescribeENIsPaging: pages of 500, the most the API allows.
func TestDescribeENIsPaging(t *testing.T) {
	srv, c := setup(t, func(o *emulator.Options) { o.Inventory = bigFleet(1234) })
	var got []cloud.ENI
	n := calls(srv, "DescribeNetworkInterfaces", func() {
		got = must(c.DescribeNetworkInterfaces(context.Background(), cloud.ENIQuery{}))(t)
	})
	if len(got) != 1234 || got[0].ID != "eni-f00001" || got[1233].ID != "eni-f01234" || n != 3 {
		t.Errorf("got %d ENIs (%s…%s) in %d calls, want 1234 in 3", len(got), got[0].ID, got[len(got)-1].ID, n)
	}
	n = calls(srv, "DescribeNetworkInterfaces", func() {
		got = must(c.DescribeNetworkInterfaces(context.Background(), cloud.ENIQuery{VPCID: "vpc-a"}))(t)
	})
	if len(got) != 617 || n != 2 {
		t.Errorf("by VPC: got %d ENIs in %d calls, want 617 in 2", len(got), n)
	}
}

// TestDescribeENIsIDBatches: IDs go 100 a call, each paged on its own.
func TestDescribeENIsIDBatches(t *testing.T) {
	srv, c := setup(t, func(o *emulator.Options) { o.Inventory = bigFleet(300) })
	var want, query []string
	for i := 1; i <= 250; i++ {
		id := fmt.Sprintf("eni-f%05d", i)
		want = append(want, id)
		query = append(query, id)
	}
	query = append(query, "eni-f00007", "eni-missing") // a repeat, and one that does not exist
	var got []cloud.ENI
	n := calls(srv, "DescribeNetworkInterfaces", func() {
		got = must(c.DescribeNetworkInterfaces(context.Background(), cloud.ENIQuery{IDs: query, VPCID: "vpc-a"}))(t)
	})
	if diff := cmp.Diff(want[:150], ids(got)); diff != "" {
		t.Errorf("IDs in vpc-a (-want +got):\n%s", diff)
	}
	if n != 3 {
		t.Errorf("%d calls for 251 distinct IDs, want 3", n)
	}
}

// TestDescribeENIsTruncated: a query by tag that the API answers in part is
// an error of KindTruncated that says how many matched, never a short list.
func TestDescribeENIsTruncated(t *testing.T) {
	ctx := context.Background()
	t.Run("TotalCount", func(t *testing.T) {
		_, c := setup(t, func(o *emulator.Options) {
			o.Inventory = bigFleet(16)
			o.Quotas.ENIsPerTagQuery = 5
		})
		_, err := c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{Tags: cloud.Tags{"app": "web"}})
		var ae *cloud.APIError
		if !errors.As(err, &ae) || ae.Kind != cloud.KindTruncated || !strings.Contains(ae.Message, "16 ENIs match the tags app=web") ||
			!strings.Contains(ae.Message, "narrow the selector") {
			t.Fatalf("a cut answer = %v, want KindTruncated saying 16 match", err)
		}
		if cloud.KindTruncated.Retryable() {
			t.Errorf("a truncated query must not be retried as it is")
		}
		// Narrowed below the limit, it is whole; without tags, no limit.
		if got, err := c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{Tags: cloud.Tags{"app": "web"}, IDs: []string{"eni-f00001", "eni-f00002"}}); err != nil || len(got) != 2 {
			t.Errorf("by tag and IDs = %d, %v", len(got), err)
		}
		if got, err := c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{VPCID: "vpc-a"}); err != nil || len(got) != 8 {
			t.Errorf("by VPC = %d, %v", len(got), err)
		}
	})
	t.Run("limit reached", func(t *testing.T) {
		srv, c := setup(t, func(o *emulator.Options) { o.Inventory = bigFleet(aliyun.ENITagQueryLimit) })
		_, err := c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{Tags: cloud.Tags{"app": "web"}})
		if !cloud.IsKind(err, cloud.KindTruncated) || !strings.Contains(err.Error(), "at least 1000 ENIs match") {
			t.Errorf("1000 ENIs by tag = %v, want KindTruncated: 1000 cannot be told from more", err)
		}
		if err := srv.PatchInventory(emulator.InventoryPatch{Remove: []string{"eni-f00001"}}); err != nil {
			t.Fatal(err)
		}
		if got, err := c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{Tags: cloud.Tags{"app": "web"}}); err != nil || len(got) != 999 {
			t.Errorf("999 ENIs by tag = %d, %v", len(got), err)
		}
	})
}

// TestDescribeENIsFollowsTheFleet scales a fleet through the emulator's
// inventory between two reads, as the admin endpoint does.
func TestDescribeENIsFollowsTheFleet(t *testing.T) {
	srv, c := setup(t, func(o *emulator.Options) { o.Inventory = bigFleet(30) })
	ctx := context.Background()
	q := cloud.ENIQuery{Tags: cloud.Tags{"app": "web"}}
	var add emulator.Inventory
	for i := 31; i <= 45; i++ {
		add.NetworkInterfaces = append(add.NetworkInterfaces, emulator.NetworkInterface{ID: fmt.Sprintf("eni-f%05d", i), Tags: map[string]string{"app": "web"}})
	}
	ok(t, srv.PatchInventory(emulator.InventoryPatch{Add: add}))
	if got := must(c.DescribeNetworkInterfaces(ctx, q))(t); len(got) != 45 {
		t.Errorf("after scaling up: %d ENIs, want 45", len(got))
	}
	var remove []string
	for i := 13; i <= 45; i++ {
		remove = append(remove, fmt.Sprintf("eni-f%05d", i))
	}
	ok(t, srv.PatchInventory(emulator.InventoryPatch{Remove: remove}))
	if got := must(c.DescribeNetworkInterfaces(ctx, q))(t); len(got) != 12 {
		t.Errorf("after scaling down: %d ENIs, want 12", len(got))
	}
}

// TestDescribeENIsErrors: errors of the ECS API are classified as those of
// the VPC API, with the code and request ID kept.
func TestDescribeENIsErrors(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, func(o *emulator.Options) { o.Inventory = eniFleet() })
	srv.SetFaults([]emulator.Fault{{Action: "DescribeNetworkInterfaces", Kind: emulator.FaultThrottle, Count: 1}})
	_, err := c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{})
	var ae *cloud.APIError
	if !errors.As(err, &ae) || ae.Kind != cloud.KindThrottled || ae.Code != "Throttling.User" || ae.RequestID == "" {
		t.Errorf("throttled = %#v", err)
	}
	_, err = c.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{InstanceID: "i-a,i-b"})
	if !errors.As(err, &ae) || ae.Kind != cloud.KindInvalid || ae.Code != "InvalidInstanceID.Malformed" || ae.HTTPStatus != 400 {
		t.Errorf("two instances = %#v", err)
	}
	bad := dial(t, srv.URL(), "wrong-secret", 5*time.Second)
	if _, err := bad.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{}); !cloud.IsKind(err, cloud.KindAuth) {
		t.Errorf("wrong secret = %v, want KindAuth", err)
	}
	srv.SetFaults([]emulator.Fault{{Action: "DescribeNetworkInterfaces", Kind: emulator.FaultLatency, Duration: time.Second}})
	slow := dial(t, srv.URL(), testSecret, 50*time.Millisecond)
	if _, err := slow.DescribeNetworkInterfaces(ctx, cloud.ENIQuery{}); !cloud.IsKind(err, cloud.KindServer) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("past the request timeout = %v, want KindServer", err)
	}
}

// TestECSEndpoint: the emulator's URL serves both APIs; otherwise the
// region's ECS endpoint from the SDK's map.
func TestECSEndpoint(t *testing.T) {
	cred, err := aliyun.StaticCredential(testAK, testSecret)
	ok(t, err)
	for region, want := range map[string]string{
		"cn-hongkong": "https://ecs.cn-hongkong.aliyuncs.com",
		"cn-hangzhou": "https://ecs-cn-hangzhou.aliyuncs.com",
	} {
		c, err := aliyun.New(context.Background(), aliyun.Config{Region: region, Credential: cred})
		ok(t, err)
		if got := c.ECSEndpoint(); got != want {
			t.Errorf("%s: ECSEndpoint = %s, want %s", region, got, want)
		}
		c.Close()
	}
	srv, c := setup(t, nil)
	if c.ECSEndpoint() != srv.URL() || c.Endpoint() != srv.URL() {
		t.Errorf("with the emulator: ECS %s, VPC %s, want both %s", c.ECSEndpoint(), c.Endpoint(), srv.URL())
	}
}

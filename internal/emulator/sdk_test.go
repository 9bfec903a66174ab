package emulator

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/google/go-cmp/cmp"
)

var (
	filterIDRE  = regexp.MustCompile(`^tmf-[a-z0-9]{21}$`)
	ruleIDRE    = regexp.MustCompile(`^tmr-[a-z0-9]{21}$`)
	sessionIDRE = regexp.MustCompile(`^tms-[a-z0-9]{21}$`)
	requestIDRE = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)
	timeRE      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`)
)

// TestSDKLifecycle drives every operation through the official SDK with
// its default signature (ACS3-HMAC-SHA256), following each object through
// its asynchronous states with an injected clock.
func TestSDKLifecycle(t *testing.T) {
	t.Run("memory", func(t *testing.T) { lifecycle(t, "") })
	// In a file, with every cached line checked against a fresh encoding:
	// an object a write changed in place would show here.
	t.Run("file", func(t *testing.T) { lifecycle(t, filepath.Join(t.TempDir(), "state.json")) })
}

func lifecycle(t *testing.T, stateFile string) {
	clk := newClock()
	srv := start(t, Options{AsyncDelay: time.Minute, Now: clk.Now, StateFile: stateFile})
	if fs, ok := srv.store.(*fileStore); ok {
		fs.mu.Lock()
		fs.check = true
		fs.mu.Unlock()
	}
	c := sdk(t, srv)
	settle := func() { clk.Advance(time.Minute) }

	// Service.
	st, err := c.GetTrafficMirrorServiceStatus(&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: s(testRegion)})
	if err != nil || !tea.BoolValue(st.Body.Enabled) {
		t.Fatalf("GetTrafficMirrorServiceStatus = %v, %v; want enabled", st, err)
	}
	if !requestIDRE.MatchString(tea.StringValue(st.Body.RequestId)) {
		t.Errorf("RequestId %q is not an uppercase UUID", tea.StringValue(st.Body.RequestId))
	}
	_, err = c.OpenTrafficMirrorService(&vpc.OpenTrafficMirrorServiceRequest{RegionId: s(testRegion)})
	if got, status := code(err); got != "ORDER.OPEND" || status != 400 {
		t.Errorf("OpenTrafficMirrorService on an open region = %s %d, want ORDER.OPEND 400", got, status)
	}

	// Filter with inline rules.
	cf, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{
		RegionId: s(testRegion), TrafficMirrorFilterName: s("web filter"), TrafficMirrorFilterDescription: s("d"),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{
			Action: s("accept"), Priority: i32(1), Protocol: s("TCP"),
			SourceCidrBlock: s("0.0.0.0/0"), DestinationCidrBlock: s("10.0.0.0/24"),
			SourcePortRange: s("-1/-1"), DestinationPortRange: s("80/120"),
		}},
		EgressRules: []*vpc.CreateTrafficMirrorFilterRequestEgressRules{{
			Action: s("drop"), Priority: i32(2), Protocol: s("ALL"),
		}},
		Tag: []*vpc.CreateTrafficMirrorFilterRequestTag{{Key: s("tmsync:stack"), Value: s("prod")}},
	})
	if err != nil {
		t.Fatalf("CreateTrafficMirrorFilter: %v", err)
	}
	fid := tea.StringValue(cf.Body.TrafficMirrorFilterId)
	if !filterIDRE.MatchString(fid) || tea.StringValue(cf.Body.ResourceGroupId) == "" {
		t.Fatalf("CreateTrafficMirrorFilter answered %v", cf.Body)
	}
	f := listFilter(t, c, fid)
	if got := tea.StringValue(f.TrafficMirrorFilterStatus); got != "Creating" {
		t.Errorf("new filter status = %s, want Creating", got)
	}
	if got := tea.StringValue(f.IngressRules[0].TrafficMirrorFilterRuleStatus); got != "Creating" {
		t.Errorf("inline rule status = %s, want Creating", got)
	}
	settle()
	f = listFilter(t, c, fid)
	type ruleView struct {
		Dir, Action, Proto, Src, Dst, SrcPort, DstPort, IPv, Status string
		Prio                                                        int32
	}
	view := func(r *vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFiltersIngressRules) ruleView {
		return ruleView{tea.StringValue(r.TrafficDirection), tea.StringValue(r.Action), tea.StringValue(r.Protocol),
			tea.StringValue(r.SourceCidrBlock), tea.StringValue(r.DestinationCidrBlock), tea.StringValue(r.SourcePortRange),
			tea.StringValue(r.DestinationPortRange), tea.StringValue(r.IpVersion), tea.StringValue(r.TrafficMirrorFilterRuleStatus),
			tea.Int32Value(r.Priority)}
	}
	want := ruleView{"ingress", "accept", "TCP", "0.0.0.0/0", "10.0.0.0/24", "-1/-1", "80/120", "IPv4", "Created", 1}
	if diff := cmp.Diff(want, view(f.IngressRules[0])); diff != "" {
		t.Errorf("ingress rule (-want +got):\n%s", diff)
	}
	eg := f.EgressRules[0]
	if tea.StringValue(eg.SourcePortRange) != "-1/-1" || tea.StringValue(eg.SourceCidrBlock) != "0.0.0.0/0" || tea.StringValue(eg.TrafficDirection) != "egress" {
		t.Errorf("egress ALL rule = %v, want -1/-1 ports and 0.0.0.0/0", eg)
	}
	if tea.StringValue(f.TrafficMirrorFilterStatus) != "Created" || !timeRE.MatchString(tea.StringValue(f.CreationTime)) ||
		len(f.Tags) != 1 || tea.StringValue(f.Tags[0].Key) != "tmsync:stack" {
		t.Errorf("settled filter = %v", f)
	}

	// Rules: create, update, delete.
	cr, err := c.CreateTrafficMirrorFilterRules(&vpc.CreateTrafficMirrorFilterRulesRequest{
		RegionId: s(testRegion), TrafficMirrorFilterId: s(fid),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRulesRequestIngressRules{
			{Action: s("accept"), Priority: i32(2), Protocol: s("ICMP"), SourceCidrBlock: s("0.0.0.0/0"), DestinationCidrBlock: s("10.0.0.0/24")},
			{Action: s("accept"), Priority: i32(3), Protocol: s("UDP"), IpVersion: s("IPv6"), SourceCidrBlock: s("::/0"), DestinationCidrBlock: s("fd00::/64"), DestinationPortRange: s("53/53")},
		},
	})
	if err != nil {
		t.Fatalf("CreateTrafficMirrorFilterRules: %v", err)
	}
	if len(cr.Body.IngressRules) != 2 || !ruleIDRE.MatchString(tea.StringValue(cr.Body.IngressRules[0].InstanceId)) {
		t.Fatalf("CreateTrafficMirrorFilterRules answered %v", cr.Body)
	}
	icmp := tea.StringValue(cr.Body.IngressRules[0].InstanceId)
	if got := tea.StringValue(listFilter(t, c, fid).TrafficMirrorFilterStatus); got != "Modifying" {
		t.Errorf("filter status while its rules are created = %s, want Modifying", got)
	}
	settle()
	f = listFilter(t, c, fid)
	if len(f.IngressRules) != 3 || tea.StringValue(f.IngressRules[1].TrafficMirrorFilterRuleId) != icmp {
		t.Fatalf("rules after create = %v, want 3 in request order", f.IngressRules)
	}
	if _, err := c.UpdateTrafficMirrorFilterRuleAttribute(&vpc.UpdateTrafficMirrorFilterRuleAttributeRequest{
		RegionId: s(testRegion), TrafficMirrorFilterRuleId: s(icmp), RuleAction: s("drop"), Priority: i32(4),
	}); err != nil {
		t.Fatalf("UpdateTrafficMirrorFilterRuleAttribute: %v", err)
	}
	settle()
	f = listFilter(t, c, fid)
	if r := f.IngressRules[1]; tea.StringValue(r.Action) != "drop" || tea.Int32Value(r.Priority) != 4 {
		t.Errorf("updated rule = %v, want drop priority 4", r)
	}
	if _, err := c.DeleteTrafficMirrorFilterRules(&vpc.DeleteTrafficMirrorFilterRulesRequest{
		RegionId: s(testRegion), TrafficMirrorFilterId: s(fid), TrafficMirrorFilterRuleIds: []*string{s(icmp)},
	}); err != nil {
		t.Fatalf("DeleteTrafficMirrorFilterRules: %v", err)
	}
	if got := tea.StringValue(listFilter(t, c, fid).IngressRules[1].TrafficMirrorFilterRuleStatus); got != "Deleting" {
		t.Errorf("deleted rule status = %s, want Deleting", got)
	}
	settle()
	if n := len(listFilter(t, c, fid).IngressRules); n != 2 {
		t.Errorf("rules after delete = %d, want 2", n)
	}

	// Filter attribute.
	if _, err := c.UpdateTrafficMirrorFilterAttribute(&vpc.UpdateTrafficMirrorFilterAttributeRequest{
		RegionId: s(testRegion), TrafficMirrorFilterId: s(fid), TrafficMirrorFilterName: s("renamed"),
	}); err != nil {
		t.Fatalf("UpdateTrafficMirrorFilterAttribute: %v", err)
	}
	settle()
	if got := tea.StringValue(listFilter(t, c, fid).TrafficMirrorFilterName); got != "renamed" {
		t.Errorf("name = %s, want renamed", got)
	}

	// Session.
	cs, err := c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{
		RegionId: s(testRegion), TrafficMirrorFilterId: s(fid),
		TrafficMirrorSourceIds: []*string{s("eni-src1"), s("eni-src2")},
		TrafficMirrorTargetId:  s("eni-dst"), TrafficMirrorTargetType: s("NetworkInterface"),
		Priority: i32(1), TrafficMirrorSessionName: s("web-to-ids"),
		Tag: []*vpc.CreateTrafficMirrorSessionRequestTag{{Key: s("k"), Value: s("v")}},
	})
	if err != nil {
		t.Fatalf("CreateTrafficMirrorSession: %v", err)
	}
	sid := tea.StringValue(cs.Body.TrafficMirrorSessionId)
	if !sessionIDRE.MatchString(sid) {
		t.Fatalf("session ID %q", sid)
	}
	settle()
	ss := listSession(t, c, sid)
	if tea.StringValue(ss.TrafficMirrorSessionStatus) != "Created" || tea.BoolValue(ss.Enabled) ||
		tea.Int32Value(ss.PacketLength) != 1500 || len(ss.TrafficMirrorSourceIds) != 2 ||
		tea.StringValue(ss.TrafficMirrorSessionBusinessStatus) != "Normal" {
		t.Errorf("new session = %v; want Created, disabled, 1500, 2 sources", ss)
	}
	if _, err := c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId: s(testRegion), TrafficMirrorSessionId: s(sid), Priority: i32(1), Enabled: b(true),
		VirtualNetworkId: i32(42), PacketLength: i32(9000), TrafficMirrorTargetId: s("lb-ids"), TrafficMirrorTargetType: s("SLB"),
	}); err != nil {
		t.Fatalf("UpdateTrafficMirrorSessionAttribute: %v", err)
	}
	if got := tea.StringValue(listSession(t, c, sid).TrafficMirrorSessionStatus); got != "Modifying" {
		t.Errorf("session status after update = %s, want Modifying", got)
	}
	settle()
	if _, err := c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{
		RegionId: s(testRegion), TrafficMirrorSessionId: s(sid), TrafficMirrorSourceIds: []*string{s("eni-src1"), s("eni-src2")},
	}); err != nil {
		t.Fatalf("RemoveSourcesFromTrafficMirrorSession: %v", err)
	}
	settle()
	if _, err := c.AddSourcesToTrafficMirrorSession(&vpc.AddSourcesToTrafficMirrorSessionRequest{
		RegionId: s(testRegion), TrafficMirrorSessionId: s(sid), TrafficMirrorSourceIds: []*string{s("eni-src3")},
	}); err != nil {
		t.Fatalf("AddSourcesToTrafficMirrorSession: %v", err)
	}
	settle()
	ss = listSession(t, c, sid)
	if got := tea.StringSliceValue(ss.TrafficMirrorSourceIds); !cmp.Equal(got, []string{"eni-src3"}) ||
		tea.Int32Value(ss.VirtualNetworkId) != 42 || tea.Int32Value(ss.PacketLength) != 9000 ||
		!tea.BoolValue(ss.Enabled) || tea.StringValue(ss.TrafficMirrorTargetType) != "SLB" {
		t.Errorf("session after updates = %v", ss)
	}

	// Tags and resource groups.
	if _, err := c.TagResources(&vpc.TagResourcesRequest{
		RegionId: s(testRegion), ResourceType: s("TRAFFICMIRRORFILTER"), ResourceId: []*string{s(fid)},
		Tag: []*vpc.TagResourcesRequestTag{{Key: s("team"), Value: s("net")}},
	}); err != nil {
		t.Fatalf("TagResources: %v", err)
	}
	lt, err := c.ListTagResources(&vpc.ListTagResourcesRequest{
		RegionId: s(testRegion), ResourceType: s("TrafficMirrorFilter"), ResourceId: []*string{s(fid)},
	})
	if err != nil {
		t.Fatalf("ListTagResources: %v", err)
	}
	var got []string
	for _, tr := range lt.Body.TagResources.TagResource {
		got = append(got, tea.StringValue(tr.ResourceType)+" "+tea.StringValue(tr.TagKey)+"="+tea.StringValue(tr.TagValue))
	}
	if diff := cmp.Diff([]string{"TRAFFICMIRRORFILTER tmsync:stack=prod", "TRAFFICMIRRORFILTER team=net"}, got); diff != "" {
		t.Errorf("ListTagResources (-want +got):\n%s", diff)
	}
	if _, err := c.UnTagResources(&vpc.UnTagResourcesRequest{
		RegionId: s(testRegion), ResourceType: s("TrafficMirrorFilter"), ResourceId: []*string{s(fid)}, TagKey: []*string{s("team")},
	}); err != nil {
		t.Fatalf("UnTagResources: %v", err)
	}
	if n := len(listFilter(t, c, fid).Tags); n != 1 {
		t.Errorf("tags after UnTagResources = %d, want 1", n)
	}
	if _, err := c.MoveResourceGroup(&vpc.MoveResourceGroupRequest{
		RegionId: s(testRegion), ResourceType: s("trafficmirrorsession"), ResourceId: s(sid), NewResourceGroupId: s("rg-new"),
	}); err != nil {
		t.Fatalf("MoveResourceGroup: %v", err)
	}
	if got := tea.StringValue(listSession(t, c, sid).ResourceGroupId); got != "rg-new" {
		t.Errorf("resource group = %s, want rg-new", got)
	}

	// Deletion order: the filter is in use until the session is gone.
	_, err = c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(fid)})
	if got, status := code(err); got != "DependencyViolation.TrafficMirrorSession" || status != 400 {
		t.Errorf("delete of a filter in use = %s %d", got, status)
	}
	if _, err := c.DeleteTrafficMirrorSession(&vpc.DeleteTrafficMirrorSessionRequest{RegionId: s(testRegion), TrafficMirrorSessionId: s(sid)}); err != nil {
		t.Fatalf("DeleteTrafficMirrorSession: %v", err)
	}
	if got := tea.StringValue(listSession(t, c, sid).TrafficMirrorSessionStatus); got != "Deleting" {
		t.Errorf("session status = %s, want Deleting", got)
	}
	settle()
	if listSession(t, c, sid) != nil {
		t.Errorf("deleted session still listed")
	}
	if _, err := c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: s(testRegion), TrafficMirrorFilterId: s(fid)}); err != nil {
		t.Fatalf("DeleteTrafficMirrorFilter: %v", err)
	}
	settle()
	if listFilter(t, c, fid) != nil {
		t.Errorf("deleted filter still listed")
	}
	stats := srv.Stats()
	if stats.Creates[typeFilter] != 1 || stats.Creates[typeRule] != 4 || stats.Creates[typeSession] != 1 {
		t.Errorf("Creates = %v", stats.Creates)
	}
	if n := len(stats.Writes[fid]); n < 6 {
		t.Errorf("write log of %s has %d records, want every write", fid, n)
	}
}

package emulator

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// world is a region with known objects for the error table:
// filter F (Created, ingress rule R priority 1, egress rule E priority 1),
// filter G (Created, no rules, unused), session S (Created, filter F,
// source eni-a, priority 10), and filter C and session T still Creating.
type world struct {
	srv                 *Server
	clk                 *fakeClock
	rc                  *rawClient
	F, G, R, E, S, C, T string
}

func newWorld(t *testing.T, opts Options) *world {
	t.Helper()
	clk := newClock()
	opts.Now, opts.SkipAuth, opts.AsyncDelay = clk.Now, true, time.Minute
	w := &world{srv: start(t, opts), clk: clk}
	w.rc = newRaw(w.srv)
	w.srv.SetServiceOpen(testRegion, true)
	must := func(action string, p map[string]string) map[string]any {
		t.Helper()
		p["RegionId"] = testRegion
		st, m, _ := w.rc.call(action, p)
		if st != 200 {
			t.Fatalf("setup %s = %d %v", action, st, m)
		}
		return m
	}
	w.F = must("CreateTrafficMirrorFilter", map[string]string{
		"IngressRules.1.Action": "accept", "IngressRules.1.Protocol": "ICMP", "IngressRules.1.Priority": "1",
		"EgressRules.1.Action": "accept", "EgressRules.1.Protocol": "TCP", "EgressRules.1.Priority": "1", "EgressRules.1.DestinationPortRange": "80/80",
	})["TrafficMirrorFilterId"].(string)
	w.G = must("CreateTrafficMirrorFilter", map[string]string{})["TrafficMirrorFilterId"].(string)
	clk.Advance(time.Minute)
	w.srv.store.do(func(st *state) (bool, error) {
		st.settle(clk.Now(), time.Hour)
		f := st.Regions[testRegion].Filters[w.F]
		w.R, w.E = f.Ingress[0].ID, f.Egress[0].ID
		return true, nil
	})
	w.S = must("CreateTrafficMirrorSession", map[string]string{"TrafficMirrorFilterId": w.F, "TrafficMirrorSourceIds.1": "eni-a",
		"TrafficMirrorTargetId": "eni-t", "TrafficMirrorTargetType": "NetworkInterface", "Priority": "10"})["TrafficMirrorSessionId"].(string)
	clk.Advance(time.Minute)
	w.C = must("CreateTrafficMirrorFilter", map[string]string{})["TrafficMirrorFilterId"].(string)
	w.T = must("CreateTrafficMirrorSession", map[string]string{"TrafficMirrorFilterId": w.F, "TrafficMirrorSourceIds.1": "eni-b",
		"TrafficMirrorTargetId": "eni-t", "TrafficMirrorTargetType": "NetworkInterface", "Priority": "11"})["TrafficMirrorSessionId"].(string)
	return w
}

// expand replaces {F}, {G}, {R}, {E}, {S}, {C}, {T} with the world's IDs.
func (w *world) expand(p map[string]string) map[string]string {
	r := strings.NewReplacer("{F}", w.F, "{G}", w.G, "{R}", w.R, "{E}", w.E, "{S}", w.S, "{C}", w.C, "{T}", w.T)
	out := map[string]string{}
	for k, v := range p {
		out[k] = r.Replace(v)
	}
	return out
}

func many(prefix, field string, n int, value func(i int) string) map[string]string {
	p := map[string]string{}
	for i := 1; i <= n; i++ {
		p[fmt.Sprintf("%s.%d%s", prefix, i, field)] = value(i)
	}
	return p
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func ruleParams(prefix string, n int, fields map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range fields {
		out[fmt.Sprintf("%s.%d.%s", prefix, n, k)] = v
	}
	return out
}

var okRule = map[string]string{"Action": "accept", "Protocol": "TCP"}

func with(base map[string]string, kv ...string) map[string]string {
	out := merge(base)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestErrorCodes(t *testing.T) {
	sess := map[string]string{"TrafficMirrorFilterId": "{G}", "TrafficMirrorSourceIds.1": "eni-z",
		"TrafficMirrorTargetId": "eni-t", "TrafficMirrorTargetType": "NetworkInterface", "Priority": "20"}
	cases := map[string]struct {
		reason     string
		opts       Options
		region     string // "" = testRegion; "-" = none
		action     string
		params     map[string]string
		wantStatus int
		wantCode   string
	}{
		"missing region": {reason: "RegionId is required", region: "-", action: "CreateTrafficMirrorFilter",
			wantStatus: 400, wantCode: "MissingRegionId"},
		"long name": {reason: "names are 1..128 characters", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"TrafficMirrorFilterName": strings.Repeat("n", 129)}, wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorFilterName"},
		"url name": {reason: "names must not start with http://", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"TrafficMirrorFilterName": "https://x"}, wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorFilterName"},
		"long description": {reason: "descriptions are 1..256 characters", action: "UpdateTrafficMirrorFilterAttribute",
			params: map[string]string{"TrafficMirrorFilterId": "{G}", "TrafficMirrorFilterDescription": strings.Repeat("d", 257)}, wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorFilterDescription"},
		"session name url": {reason: "session names follow the same rule", action: "UpdateTrafficMirrorSessionAttribute",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "TrafficMirrorSessionName": "http://x"}, wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorSessionName"},
		"21 tags": {reason: "at most 20 tags", action: "CreateTrafficMirrorFilter",
			params: merge(many("Tag", ".Key", 21, func(i int) string { return fmt.Sprint("k", i) })), wantStatus: 400, wantCode: "QuotaExceeded.TagNum"},
		"acs tag": {reason: "tag keys must not start with acs:", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"Tag.1.Key": "acs:x", "Tag.1.Value": "v"}, wantStatus: 400, wantCode: "IllegalParam.TagKey"},
		"aliyun tag": {reason: "tag keys must not start with aliyun", action: "CreateTrafficMirrorSession",
			params: with(sess, "Tag.1.Key", "aliyunX"), wantStatus: 400, wantCode: "IllegalParam.TagKey"},
		"empty tag key": {reason: "a tag needs a key", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"Tag.1.Value": "v"}, wantStatus: 400, wantCode: "IllegalParam.TagKey"},
		"duplicate tag": {reason: "a key given twice", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"Tag.1.Key": "a", "Tag.2.Key": "a"}, wantStatus: 400, wantCode: "DuplicatedParam.TagKey"},
		"11 rules": {reason: "at most 10 rules per direction", action: "CreateTrafficMirrorFilter",
			params:     merge(many("IngressRules", ".Action", 11, func(int) string { return "accept" }), many("IngressRules", ".Protocol", 11, func(int) string { return "ALL" })),
			wantStatus: 400, wantCode: "QuotaExceeded.TrafficMirrorRule"},
		"10 more rules": {reason: "existing rules count", action: "CreateTrafficMirrorFilterRules",
			params:     merge(map[string]string{"TrafficMirrorFilterId": "{F}"}, many("IngressRules", ".Action", 10, func(int) string { return "accept" }), many("IngressRules", ".Protocol", 10, func(int) string { return "ALL" })),
			wantStatus: 400, wantCode: "QuotaExceeded.TrafficMirrorRule"},
		"rule priority 11": {reason: "rule priorities are 1..10", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "Priority", "11")), wantStatus: 400, wantCode: "IllegalParam.Priority"},
		"rule priority text": {reason: "a priority must be an integer", action: "CreateTrafficMirrorFilter",
			params: ruleParams("EgressRules", 1, with(okRule, "Priority", "high")), wantStatus: 400, wantCode: "InvalidPriority"},
		"rule priority twice": {reason: "unique per direction within a request", action: "CreateTrafficMirrorFilter",
			params: merge(ruleParams("IngressRules", 1, with(okRule, "Priority", "2")), ruleParams("IngressRules", 2, with(okRule, "Priority", "2"))), wantStatus: 400, wantCode: "DuplicatedParam.Priority"},
		"rule priority taken": {reason: "unique per direction against existing rules", action: "CreateTrafficMirrorFilterRules",
			params: merge(map[string]string{"TrafficMirrorFilterId": "{F}"}, ruleParams("EgressRules", 1, with(okRule, "Priority", "1"))), wantStatus: 400, wantCode: "DuplicatedParam.Priority"},
		"rule update priority taken": {reason: "a move onto a used priority", action: "CreateTrafficMirrorFilterRules",
			params: merge(map[string]string{"TrafficMirrorFilterId": "{F}"}, ruleParams("IngressRules", 1, with(okRule, "Priority", "1"))), wantStatus: 400, wantCode: "DuplicatedParam.Priority"},
		"protocol": {reason: "protocols are ALL, ICMP, TCP, UDP", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "Protocol", "GRE")), wantStatus: 400, wantCode: "IllegalParam.Protocol"},
		"rule action": {reason: "actions are accept and drop", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "Action", "allow")), wantStatus: 400, wantCode: "IllegalParam.Action"},
		"rule without action": {reason: "a rule needs an action", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, map[string]string{"Protocol": "TCP"}), wantStatus: 400, wantCode: "MissingIngressRules.1.Action"},
		"port zero": {reason: "ports start at 1", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "DestinationPortRange", "0/10")), wantStatus: 400, wantCode: "IllegalParam.DestinationPortRange"},
		"port reversed": {reason: "start <= end", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "SourcePortRange", "10/5")), wantStatus: 400, wantCode: "IllegalParam.SourcePortRange"},
		"port too high": {reason: "end <= 65535", action: "CreateTrafficMirrorFilter",
			params: ruleParams("EgressRules", 1, with(okRule, "DestinationPortRange", "1/65536")), wantStatus: 400, wantCode: "IllegalParam.DestinationPortRange"},
		"port text": {reason: "start/end form", action: "CreateTrafficMirrorFilter",
			params: ruleParams("EgressRules", 1, with(okRule, "DestinationPortRange", "http")), wantStatus: 400, wantCode: "IllegalParam.DestinationPortRange"},
		"cidr": {reason: "a CIDR block", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "SourceCidrBlock", "10.0.0.0/33")), wantStatus: 400, wantCode: "IllegalParam.SourceCidrBlock"},
		"cidr family": {reason: "the family follows IpVersion", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "DestinationCidrBlock", "fd00::/8")), wantStatus: 400, wantCode: "IllegalParam.DestinationCidrBlock"},
		"ip version": {reason: "IPv4 or IPv6", action: "CreateTrafficMirrorFilter",
			params: ruleParams("IngressRules", 1, with(okRule, "IpVersion", "IPv5")), wantStatus: 400, wantCode: "IllegalParam.IpVersion"},
		"icmp ports": {reason: "an ICMP rule's ports cannot change", action: "UpdateTrafficMirrorFilterRuleAttribute",
			params: map[string]string{"TrafficMirrorFilterRuleId": "{R}", "SourcePortRange": "1/2"}, wantStatus: 400, wantCode: "IllegalParam.SourcePortRange"},
		"update rule to taken priority": {reason: "unique priorities on update", action: "UpdateTrafficMirrorFilterRuleAttribute",
			params: map[string]string{"TrafficMirrorFilterRuleId": "{R}", "Priority": "1", "RuleAction": "drop"}, wantStatus: 200},
		"no rules": {reason: "CreateTrafficMirrorFilterRules needs a rule", action: "CreateTrafficMirrorFilterRules",
			params: map[string]string{"TrafficMirrorFilterId": "{F}"}, wantStatus: 400, wantCode: "MissingIngressRules"},
		"bad list index": {reason: "list indexes are positive", action: "DeleteTrafficMirrorFilterRules",
			params: map[string]string{"TrafficMirrorFilterId": "{F}", "TrafficMirrorFilterRuleIds.0": "{R}"}, wantStatus: 400, wantCode: "InvalidTrafficMirrorFilterRuleIds"},
		"gap in list": {reason: "gaps in .N are allowed", action: "DeleteTrafficMirrorFilterRules",
			params: map[string]string{"TrafficMirrorFilterId": "{F}", "TrafficMirrorFilterRuleIds.3": "{R}", "TrafficMirrorFilterRuleIds.12": "{E}"}, wantStatus: 200},
		"rule of another filter": {reason: "rules are deleted through their own filter", action: "DeleteTrafficMirrorFilterRules",
			params: map[string]string{"TrafficMirrorFilterId": "{G}", "TrafficMirrorFilterRuleIds.1": "{R}"}, wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorRule"},
		"filter not found": {reason: "unknown filter", action: "DeleteTrafficMirrorFilter",
			params: map[string]string{"TrafficMirrorFilterId": "tmf-nope"}, wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorFilter"},
		"rule not found": {reason: "unknown rule", action: "UpdateTrafficMirrorFilterRuleAttribute",
			params: map[string]string{"TrafficMirrorFilterRuleId": "tmr-nope"}, wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorRule"},
		"session not found": {reason: "unknown session", action: "DeleteTrafficMirrorSession",
			params: map[string]string{"TrafficMirrorSessionId": "tms-nope"}, wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorSession"},
		"filter of other region": {reason: "regions are isolated", region: "cn-beijing", action: "DeleteTrafficMirrorFilter",
			params: map[string]string{"TrafficMirrorFilterId": "{G}"}, wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorFilter"},
		"filter creating": {reason: "a Creating filter cannot be updated", action: "UpdateTrafficMirrorFilterAttribute",
			params: map[string]string{"TrafficMirrorFilterId": "{C}", "TrafficMirrorFilterName": "x"}, wantStatus: 400, wantCode: "IncorrectStatus.TrafficMirrorFilter"},
		"rules on creating filter": {reason: "rules wait for their filter", action: "CreateTrafficMirrorFilterRules",
			params: merge(map[string]string{"TrafficMirrorFilterId": "{C}"}, ruleParams("IngressRules", 1, okRule)), wantStatus: 400, wantCode: "IncorrectStatus.TrafficMirrorFilter"},
		"session on creating filter": {reason: "a session needs a Created filter", action: "CreateTrafficMirrorSession",
			params: with(sess, "TrafficMirrorFilterId", "{C}"), wantStatus: 400, wantCode: "IncorrectStatus.TrafficMirrorFilter"},
		"session creating": {reason: "a Creating session cannot be updated", action: "AddSourcesToTrafficMirrorSession",
			params: map[string]string{"TrafficMirrorSessionId": "{T}", "TrafficMirrorSourceIds.1": "eni-q"}, wantStatus: 400, wantCode: "IncorrectStatus.TrafficMirrorSession"},
		"filter in use": {reason: "a filter used by a session", action: "DeleteTrafficMirrorFilter",
			params: map[string]string{"TrafficMirrorFilterId": "{F}"}, wantStatus: 400, wantCode: "DependencyViolation.TrafficMirrorSession"},
		"session priority taken": {reason: "session priorities are unique per region", action: "CreateTrafficMirrorSession",
			params: with(sess, "Priority", "10"), wantStatus: 400, wantCode: "DuplicatedParam.Priority"},
		"session priority taken by creating": {reason: "a Creating session holds its priority", action: "UpdateTrafficMirrorSessionAttribute",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "Priority": "11"}, wantStatus: 400, wantCode: "DuplicatedParam.Priority"},
		"own priority": {reason: "re-setting a session's own priority (Terraform does)", action: "UpdateTrafficMirrorSessionAttribute",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "Priority": "10", "TrafficMirrorFilterId": "{F}", "TrafficMirrorTargetId": "eni-t", "TrafficMirrorTargetType": "NetworkInterface"}, wantStatus: 200},
		"session priority 0": {reason: "session priorities are 1..32766", action: "CreateTrafficMirrorSession",
			params: with(sess, "Priority", "0"), wantStatus: 400, wantCode: "IllegalParam.Priority"},
		"session priority 32767": {reason: "session priorities are 1..32766", action: "CreateTrafficMirrorSession",
			params: with(sess, "Priority", "32767"), wantStatus: 400, wantCode: "IllegalParam.Priority"},
		"vni": {reason: "VNI is 0..16777215", action: "CreateTrafficMirrorSession",
			params: with(sess, "VirtualNetworkId", "16777216"), wantStatus: 400, wantCode: "IllegalParam.VirtualNetworkId"},
		"packet length low": {reason: "packet length is 64..9600", action: "CreateTrafficMirrorSession",
			params: with(sess, "PacketLength", "63"), wantStatus: 400, wantCode: "IllegalParam.PacketLength"},
		"packet length high": {reason: "packet length is 64..9600", action: "UpdateTrafficMirrorSessionAttribute",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "PacketLength": "9601"}, wantStatus: 400, wantCode: "IllegalParam.PacketLength"},
		"enabled": {reason: "Enabled is a bool", action: "CreateTrafficMirrorSession",
			params: with(sess, "Enabled", "maybe"), wantStatus: 400, wantCode: "InvalidEnabled"},
		"dry run value": {reason: "DryRun is a bool", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"DryRun": "perhaps"}, wantStatus: 400, wantCode: "InvalidDryRun"},
		"target type": {reason: "NetworkInterface or SLB", action: "CreateTrafficMirrorSession",
			params: with(sess, "TrafficMirrorTargetType", "ECS"), wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorTargetType"},
		"malformed source": {reason: "sources are ENIs", action: "CreateTrafficMirrorSession",
			params: with(sess, "TrafficMirrorSourceIds.1", "i-123"), wantStatus: 404, wantCode: "ResourceNotFound.NetworkInterface"},
		"unknown ENI": {reason: "with an inventory only listed ENIs exist", action: "CreateTrafficMirrorSession",
			opts:   Options{Inventory: &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-a"}, {ID: "eni-b"}, {ID: "eni-t"}}}},
			params: with(sess, "TrafficMirrorSourceIds.1", "eni-zz"), wantStatus: 404, wantCode: "ResourceNotFound.NetworkInterface"},
		"ENI of another region": {reason: "inventory regions count", action: "CreateTrafficMirrorSession",
			opts:   Options{Inventory: &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-a"}, {ID: "eni-b"}, {ID: "eni-t"}, {ID: "eni-z", Region: "cn-beijing"}}}},
			params: sess, wantStatus: 404, wantCode: "ResourceNotFound.NetworkInterface"},
		"unknown SLB": {reason: "SLB targets must exist", action: "CreateTrafficMirrorSession",
			opts:   Options{Inventory: &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-a"}, {ID: "eni-b"}, {ID: "eni-t"}, {ID: "eni-z"}}}},
			params: with(sess, "TrafficMirrorTargetType", "SLB", "TrafficMirrorTargetId", "lb-x"), wantStatus: 404, wantCode: "ResourceNotFound.SLB"},
		"internet SLB": {reason: "SLB targets must be internal-facing", action: "CreateTrafficMirrorSession",
			opts:   Options{Inventory: &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-a"}, {ID: "eni-b"}, {ID: "eni-t"}, {ID: "eni-z"}}, LoadBalancers: []LoadBalancer{{ID: "lb-x", AddressType: "internet"}}}},
			params: with(sess, "TrafficMirrorTargetType", "SLB", "TrafficMirrorTargetId", "lb-x"), wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorTargetId"},
		"no sources": {reason: "a session needs sources", action: "CreateTrafficMirrorSession",
			params: with(sess, "TrafficMirrorSourceIds.1", ""), wantStatus: 400, wantCode: "MissingTrafficMirrorSourceIds"},
		"no target": {reason: "a session needs a target", action: "CreateTrafficMirrorSession",
			params: with(sess, "TrafficMirrorTargetId", ""), wantStatus: 400, wantCode: "MissingTrafficMirrorTargetId"},
		"11 sources": {reason: "at most SourcesPerSession sources", action: "CreateTrafficMirrorSession",
			params: merge(sess, many("TrafficMirrorSourceIds", "", 11, func(i int) string { return fmt.Sprint("eni-s", i) })), wantStatus: 400, wantCode: "QuotaExceeded.TrafficMirrorSource"},
		"second source": {reason: "SourcesPerSession=1", opts: Options{Quotas: Quotas{SourcesPerSession: 1}}, action: "AddSourcesToTrafficMirrorSession",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "TrafficMirrorSourceIds.1": "eni-q"}, wantStatus: 400, wantCode: "QuotaExceeded.TrafficMirrorSource"},
		"sessions per source": {reason: "SessionsPerSource=1", opts: Options{Quotas: Quotas{SessionsPerSource: 1}}, action: "CreateTrafficMirrorSession",
			params: with(sess, "TrafficMirrorSourceIds.1", "eni-a"), wantStatus: 400, wantCode: "QuotaExceeded.SessionsPerSource"},
		"filters per region": {reason: "FiltersPerRegion=3", opts: Options{Quotas: Quotas{FiltersPerRegion: 3}}, action: "CreateTrafficMirrorFilter",
			wantStatus: 400, wantCode: "QuotaExceeded.TrafficMirrorFilter"},
		"sessions per region": {reason: "SessionsPerRegion=2", opts: Options{Quotas: Quotas{SessionsPerRegion: 2}}, action: "CreateTrafficMirrorSession",
			params: sess, wantStatus: 400, wantCode: "QuotaExceeded.TrafficMirrorSession"},
		"remove non-source": {reason: "only sources can be removed", action: "RemoveSourcesFromTrafficMirrorSession",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "TrafficMirrorSourceIds.1": "eni-q"}, wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorSourceIds"},
		"add existing source": {reason: "a source is added once", action: "AddSourcesToTrafficMirrorSession",
			params: map[string]string{"TrafficMirrorSessionId": "{S}", "TrafficMirrorSourceIds.1": "eni-a"}, wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorSourceIds"},
		"11 per call": {reason: "at most 10 sources per call", action: "RemoveSourcesFromTrafficMirrorSession",
			params: merge(map[string]string{"TrafficMirrorSessionId": "{S}"}, many("TrafficMirrorSourceIds", "", 11, func(i int) string { return fmt.Sprint("eni-s", i) })), wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorSourceIds"},
		"max results": {reason: "MaxResults is 1..100", action: "ListTrafficMirrorFilters",
			params: map[string]string{"MaxResults": "101"}, wantStatus: 400, wantCode: "IllegalParam.MaxResults"},
		"tag max results": {reason: "ListTagResources MaxResults is 1..50", action: "ListTagResources",
			params: map[string]string{"ResourceType": "TrafficMirrorFilter", "ResourceId.1": "{F}", "MaxResults": "51"}, wantStatus: 400, wantCode: "IllegalParam.MaxResults"},
		"forged token": {reason: "NextToken is opaque", action: "ListTrafficMirrorSessions",
			params: map[string]string{"NextToken": "ZjoxOmFiYw"}, wantStatus: 400, wantCode: "IllegalParam.NextToken"},
		"101 ids": {reason: "at most 100 IDs per List", action: "ListTrafficMirrorFilters",
			params: many("TrafficMirrorFilterIds", "", 101, func(i int) string { return fmt.Sprint("tmf-", i) }), wantStatus: 400, wantCode: "IllegalParam.TrafficMirrorFilterIds"},
		"service closed": {reason: "writes need the service open", opts: Options{Quotas: Quotas{ServiceOpenByDefault: Bool(false)}}, region: "cn-beijing",
			action: "CreateTrafficMirrorFilter", wantStatus: 400, wantCode: "OperationDenied.TrafficMirrorServiceNotOpened"},
		"already open": {reason: "opening twice", action: "OpenTrafficMirrorService", wantStatus: 400, wantCode: "ORDER.OPEND"},
		"resource type": {reason: "only mirror resources", action: "TagResources",
			params: map[string]string{"ResourceType": "VPC", "ResourceId.1": "{F}", "Tag.1.Key": "a"}, wantStatus: 400, wantCode: "IllegalParam.ResourceType"},
		"no resource type": {reason: "ResourceType is required", action: "UnTagResources",
			params: map[string]string{"ResourceId.1": "{F}", "TagKey.1": "a"}, wantStatus: 400, wantCode: "MissingResourceType"},
		"tag list without ids or tags": {reason: "ListTagResources needs IDs or tags", action: "ListTagResources",
			params: map[string]string{"ResourceType": "TrafficMirrorSession"}, wantStatus: 400, wantCode: "MissingResourceId"},
		"tag list value only": {reason: "a tag filter needs a key", action: "ListTagResources",
			params: map[string]string{"ResourceType": "TrafficMirrorSession", "Tag.1.Value": "v"}, wantStatus: 400, wantCode: "IllegalParam.TagKey"},
		"untag nothing": {reason: "TagKey or All", action: "UnTagResources",
			params: map[string]string{"ResourceType": "TrafficMirrorFilter", "ResourceId.1": "{F}"}, wantStatus: 400, wantCode: "MissingTagKey"},
		"tag missing resource": {reason: "tagging an unknown session", action: "TagResources",
			params: map[string]string{"ResourceType": "TRAFFICMIRRORSESSION", "ResourceId.1": "tms-nope", "Tag.1.Key": "a"}, wantStatus: 404, wantCode: "ResourceNotFound.TrafficMirrorSession"},
		"too many tags on resource": {reason: "at most 20 tags per resource", action: "TagResources",
			params: merge(map[string]string{"ResourceType": "TrafficMirrorFilter", "ResourceId.1": "{F}"}, many("Tag", ".Key", 20, func(i int) string { return fmt.Sprint("k", i) })), wantStatus: 200},
		"resource group": {reason: "rg- IDs only", action: "MoveResourceGroup",
			params: map[string]string{"ResourceType": "TrafficMirrorFilter", "ResourceId": "{F}", "NewResourceGroupId": "default"}, wantStatus: 400, wantCode: "IllegalParam.NewResourceGroupId"},
		"long token": {reason: "ClientToken is at most 64 ASCII characters", action: "CreateTrafficMirrorFilter",
			params: map[string]string{"ClientToken": strings.Repeat("t", 65)}, wantStatus: 400, wantCode: "IllegalParam.ClientToken"},
		"unknown action": {reason: "the gateway's answer", action: "CreateVpc", wantStatus: 404, wantCode: "InvalidApi.NotFound"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			p := w.expand(tc.params)
			switch tc.region {
			case "":
				p["RegionId"] = testRegion
			case "-":
			default:
				p["RegionId"] = tc.region
			}
			status, m, _ := w.rc.call(tc.action, p)
			got, _ := m["Code"].(string)
			if status != tc.wantStatus || got != tc.wantCode {
				t.Errorf("%s: got %d %q (%v), want %d %q", tc.reason, status, got, m["Message"], tc.wantStatus, tc.wantCode)
			}
			if tc.wantCode != "" && w.srv.Stats().Errors[tc.wantCode] != 1 {
				t.Errorf("Stats.Errors[%s] = %d, want 1", tc.wantCode, w.srv.Stats().Errors[tc.wantCode])
			}
		})
	}
}

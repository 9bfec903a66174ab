package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/spec"
)

func TestParseAddr(t *testing.T) {
	cases := map[string]struct {
		reason  string
		s       string
		want    Addr
		wantErr bool
	}{
		"filter": {
			reason: "a filter is filter.<key>",
			s:      "filter.web", want: FilterAddr("web"),
		},
		"ingress rule": {
			reason: "a rule is its filter, its direction and its priority",
			s:      "filter.web.ingress[priority=3]", want: RuleAddr("web", cloud.Ingress, 3),
		},
		"egress rule": {
			reason: "the direction may be egress",
			s:      "filter.web.egress[priority=10]", want: RuleAddr("web", cloud.Egress, 10),
		},
		"session": {
			reason: "a session is session.<key>",
			s:      "session.web-to-ids", want: SessionAddr("web-to-ids"),
		},
		"service": {
			reason: "a service is service.<region>",
			s:      "service.cn-hangzhou", want: ServiceAddr("cn-hangzhou"),
		},
		"stack": {
			reason: "a stack is stack.<name>",
			s:      "stack.web", want: StackAddr("web"),
		},
		"empty":           {reason: "no type, no key", s: "", wantErr: true},
		"type only":       {reason: "no key", s: "filter", wantErr: true},
		"empty key":       {reason: "an empty key", s: "filter.", wantErr: true},
		"no type":         {reason: "an empty type", s: ".web", wantErr: true},
		"unknown type":    {reason: "bucket is no type", s: "bucket.web", wantErr: true},
		"rule type":       {reason: "a rule is written under its filter, never rule.<key>", s: "rule.web", wantErr: true},
		"bad direction":   {reason: "only ingress and egress", s: "filter.web.sideways[priority=1]", wantErr: true},
		"no direction":    {reason: "a rule needs its direction", s: "filter.web[priority=1]", wantErr: true},
		"no filter key":   {reason: "a rule needs its filter's key", s: "filter..ingress[priority=1]", wantErr: true},
		"bad priority":    {reason: "the priority is a number", s: "filter.web.ingress[priority=x]", wantErr: true},
		"padded priority": {reason: "the priority is in its canonical form", s: "filter.web.ingress[priority=03]", wantErr: true},
		"minus priority":  {reason: "the priority is not negative", s: "filter.web.ingress[priority=-1]", wantErr: true},
		"no priority key": {reason: "the index is priority=", s: "filter.web.ingress[3]", wantErr: true},
		"unclosed":        {reason: "the index is closed", s: "filter.web.ingress[priority=3", wantErr: true},
		"index on session": {
			reason: "only a filter has rules", s: "session.a.ingress[priority=3]", wantErr: true,
		},
		"slash": {reason: "a slash separates the parts of a step ID", s: "session.a/b", wantErr: true},
		"space": {reason: "no spaces", s: "session.a b", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAddr(tc.s)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nParseAddr(%q) err = %v, want error %v", tc.reason, tc.s, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nParseAddr(%q) (-want +got):\n%s", tc.reason, tc.s, diff)
			}
			if diff := cmp.Diff(tc.s, got.String()); diff != "" {
				t.Errorf("%s\nString() of ParseAddr(%q) (-want +got):\n%s", tc.reason, tc.s, diff)
			}
			var text Addr
			if err := text.UnmarshalText([]byte(tc.s)); err != nil {
				t.Fatalf("%s\nUnmarshalText(%q): %v", tc.reason, tc.s, err)
			}
			if diff := cmp.Diff(tc.want, text); diff != "" {
				t.Errorf("%s\nUnmarshalText(%q) (-want +got):\n%s", tc.reason, tc.s, diff)
			}
		})
	}
}

func TestAddrUnit(t *testing.T) {
	cases := map[string]struct {
		reason string
		addr   Addr
		want   Addr
	}{
		"rule":    {reason: "a rule is written with its filter", addr: RuleAddr("web", cloud.Egress, 2), want: FilterAddr("web")},
		"filter":  {reason: "a filter is its own unit", addr: FilterAddr("web"), want: FilterAddr("web")},
		"session": {reason: "a session is its own unit", addr: SessionAddr("a"), want: SessionAddr("a")},
		"service": {reason: "the service is its own unit", addr: ServiceAddr("cn-hangzhou"), want: ServiceAddr("cn-hangzhou")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.addr.Unit()); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestParseStepID(t *testing.T) {
	cases := map[string]struct {
		reason  string
		s       string
		want    StepID
		wantErr bool
	}{
		"filter create": {
			reason: "<address>/<op>/<n>",
			s:      "filter.web/create-filter/1", want: sid(FilterAddr("web"), OpCreateFilter, 1),
		},
		"rule update": {
			reason: "a rule address has brackets and a dot-separated direction",
			s:      "filter.web.ingress[priority=3]/update-rule/2", want: sid(RuleAddr("web", cloud.Ingress, 3), OpUpdateRule, 2),
		},
		"session update": {
			reason: "n may have several digits",
			s:      "session.a/update-session/12", want: sid(SessionAddr("a"), OpUpdateSession, 12),
		},
		"service open": {
			reason: "the service is opened once",
			s:      "service.cn-hangzhou/open-service/1", want: sid(ServiceAddr("cn-hangzhou"), OpOpenService, 1),
		},
		"empty":          {reason: "nothing", s: "", wantErr: true},
		"address only":   {reason: "no op, no number", s: "filter.web", wantErr: true},
		"no number":      {reason: "no number", s: "filter.web/create-filter", wantErr: true},
		"old op name":    {reason: "format 1 named both creates create", s: "filter.web/create/1", wantErr: true},
		"unknown op":     {reason: "no such op", s: "filter.web/frobnicate/1", wantErr: true},
		"zero":           {reason: "steps are numbered from 1", s: "filter.web/create-filter/0", wantErr: true},
		"padded number":  {reason: "the number is canonical", s: "filter.web/create-filter/01", wantErr: true},
		"not a number":   {reason: "the number is a number", s: "filter.web/create-filter/x", wantErr: true},
		"bad address":    {reason: "the address parses", s: "bucket.web/tag/1", wantErr: true},
		"empty address":  {reason: "an address is needed", s: "/tag/1", wantErr: true},
		"extra part":     {reason: "three parts", s: "filter.web/tag/tag/1", wantErr: true},
		"negative":       {reason: "no minus", s: "filter.web/tag/-1", wantErr: true},
		"trailing slash": {reason: "nothing after the number", s: "filter.web/tag/1/", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseStepID(tc.s)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nParseStepID(%q) err = %v, want error %v", tc.reason, tc.s, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nParseStepID(%q) (-want +got):\n%s", tc.reason, tc.s, diff)
			}
			if diff := cmp.Diff(tc.s, got.String()); diff != "" {
				t.Errorf("%s\nString() of ParseStepID(%q) (-want +got):\n%s", tc.reason, tc.s, diff)
			}
		})
	}
}

// TestStepIDEveryOp round-trips a step ID of every op kind.
func TestStepIDEveryOp(t *testing.T) {
	for _, k := range OpKinds() {
		t.Run(k.String(), func(t *testing.T) {
			want := sid(RuleAddr("web", cloud.Egress, 7), k, 3)
			got, err := ParseStepID(want.String())
			if err != nil {
				t.Fatalf("ParseStepID(%q): %v", want, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseStepID(%q) (-want +got):\n%s", want, diff)
			}
		})
	}
}

// TestOpKinds pins the properties of each op that the planner and the
// executor rely on, as format 1 had them spread over compute, resume and
// apply: only the two creates make objects (a repeat with a new token would
// duplicate them); tags and resource groups take no token; the service,
// tags and resource groups have no status to wait out and no dry run.
func TestOpKinds(t *testing.T) {
	type props struct {
		Name                                    string
		Creates, Deletes, Tokened, Settles, Dry bool
	}
	want := map[OpKind]props{
		OpOpenService:   {Name: "open-service", Tokened: true},
		OpCreateFilter:  {Name: "create-filter", Creates: true, Tokened: true, Settles: true, Dry: true},
		OpUpdateFilter:  {Name: "update-filter", Tokened: true, Settles: true, Dry: true},
		OpDeleteFilter:  {Name: "delete-filter", Deletes: true, Tokened: true, Settles: true, Dry: true},
		OpCreateRules:   {Name: "create-rules", Tokened: true, Settles: true, Dry: true},
		OpUpdateRule:    {Name: "update-rule", Tokened: true, Settles: true, Dry: true},
		OpDeleteRules:   {Name: "delete-rules", Deletes: true, Tokened: true, Settles: true, Dry: true},
		OpCreateSession: {Name: "create-session", Creates: true, Tokened: true, Settles: true, Dry: true},
		OpUpdateSession: {Name: "update-session", Tokened: true, Settles: true, Dry: true},
		OpDeleteSession: {Name: "delete-session", Deletes: true, Tokened: true, Settles: true, Dry: true},
		OpAddSources:    {Name: "add-sources", Tokened: true, Settles: true, Dry: true},
		OpRemoveSources: {Name: "remove-sources", Tokened: true, Settles: true, Dry: true},
		OpTag:           {Name: "tag"},
		OpUntag:         {Name: "untag"},
		OpMoveGroup:     {Name: "move-group"},
	}
	got := map[OpKind]props{}
	for _, k := range OpKinds() {
		got[k] = props{Name: k.String(), Creates: k.Creates(), Deletes: k.Deletes(), Tokened: k.Tokened(),
			Settles: k.Settles(), Dry: k.DryRunnable()}
		var back OpKind
		if err := back.UnmarshalText([]byte(k.String())); err != nil || back != k {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", k, back, err, k)
		}
		if k.API() == "" {
			t.Errorf("op %s names no API action", k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("op properties (-want +got):\n%s", diff)
	}
}

// stepOfEveryOp returns a step of each op kind, its references both by ID
// and by the step that creates the object.
func stepOfEveryOp() map[OpKind]Step {
	newFilter := Ref{Step: sid(FilterAddr("web"), OpCreateFilter, 1)}
	newSession := Ref{Step: sid(SessionAddr("a"), OpCreateSession, 1)}
	open := sid(ServiceAddr("cn-hangzhou"), OpOpenService, 1)
	rule := cloud.Rule{Direction: cloud.Ingress, Priority: 1, Action: "accept", Protocol: "TCP", IPVersion: "IPv4",
		SourceCIDR: "0.0.0.0/0", DestCIDR: "10.0.0.0/24", SourcePort: "-1/-1", DestPort: "443/443"}
	egress := cloud.Rule{Direction: cloud.Egress, Priority: 2, Action: "drop", Protocol: "ALL", IPVersion: "IPv4",
		SourceCIDR: "10.0.0.0/8", DestCIDR: "0.0.0.0/0"}
	ops := []Op{
		&OpenService{},
		&CreateFilter{Name: "web", Description: "d", ResourceGroupID: "rg-1",
			Tags: cloud.Tags{cloud.TagStack: "web", "team": "a"}, Ingress: []cloud.Rule{rule}, Egress: []cloud.Rule{egress}},
		&UpdateFilter{Filter: Ref{ID: "tmf-1"}, Name: strPtr("web"), Description: strPtr("")},
		&DeleteFilter{Filter: Ref{ID: "tmf-1"}},
		&CreateRules{Filter: newFilter, Ingress: []cloud.Rule{rule}},
		&UpdateRule{Filter: Ref{ID: "tmf-1"}, RuleID: "tmr-1", RulePatch: cloud.RulePatch{Priority: intPtr(4),
			Action: strPtr("drop"), Protocol: strPtr("UDP"), SourceCIDR: strPtr("10.0.0.0/8"), DestCIDR: strPtr("0.0.0.0/0"),
			SourcePort: strPtr("1/65535"), DestPort: strPtr("53/53")}},
		&DeleteRules{Filter: Ref{ID: "tmf-1"}, RuleIDs: []string{"tmr-1", "tmr-2"}},
		&CreateSession{Filter: newFilter, SessionSettings: cloud.SessionSettings{Name: "a", Description: "d",
			SourceIDs: []string{"eni-1", "eni-2"}, TargetID: "eni-t", TargetType: cloud.TargetENI, Priority: 5,
			VNI: intPtr(0), PacketLength: 1500, Enabled: true, ResourceGroupID: "rg-1", Tags: cloud.Tags{"team": "a"}}},
		&UpdateSession{Session: Ref{ID: "tms-1"}, Filter: &newFilter, SessionPatch: cloud.SessionPatch{
			Name: strPtr("a"), Description: strPtr("d"), TargetID: strPtr("lb-1"), TargetType: strPtr(cloud.TargetSLB),
			Priority: intPtr(6), VNI: intPtr(7), PacketLength: intPtr(9000), Enabled: boolPtr(false)}},
		&DeleteSession{Session: Ref{ID: "tms-1"}},
		&AddSources{Session: newSession, Sources: []string{"eni-3"}},
		&RemoveSources{Session: Ref{ID: "tms-1"}, Sources: []string{"eni-1", "eni-2"}},
		&Tag{Resource: cloud.ResourceFilter, Target: newFilter, Tags: cloud.Tags{cloud.TagApplied: "abcdefghijkl.mnopqr"}},
		&Untag{Resource: cloud.ResourceSession, Target: Ref{ID: "tms-1"}, Keys: []string{"old", "team"}},
		&MoveGroup{Resource: cloud.ResourceSession, Target: newSession, ResourceGroupID: "rg-2"},
	}
	out := map[OpKind]Step{}
	for _, op := range ops {
		addr := FilterAddr("web")
		switch op.(type) {
		case *OpenService:
			addr = ServiceAddr("cn-hangzhou")
		case *UpdateRule:
			addr = RuleAddr("web", cloud.Ingress, 4)
		case *CreateSession, *UpdateSession, *DeleteSession, *AddSources, *RemoveSources, *Untag, *MoveGroup:
			addr = SessionAddr("a")
		}
		s := Step{ID: sid(addr, op.Kind(), 2), Unit: addr.Unit(), DependsOn: []StepID{open, newFilter.Step}, Op: op}
		if op.Kind().Tokened() {
			s.ClientToken = "tm1-" + strings.Repeat("a", 36)
		}
		if op.Kind() == OpOpenService {
			s.ID.N, s.DependsOn = 1, []StepID{}
		}
		out[op.Kind()] = s
	}
	return out
}

func TestStepJSON(t *testing.T) {
	steps := stepOfEveryOp()
	for _, k := range OpKinds() {
		t.Run(k.String(), func(t *testing.T) {
			want, ok := steps[k]
			if !ok {
				t.Fatalf("no step of op %s to round-trip", k)
			}
			b, err := json.Marshal(want)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if tag := `"op":{"op":"` + k.String() + `"`; !strings.Contains(string(b), tag) {
				t.Errorf("JSON %s\ndoes not have %s", b, tag)
			}
			var doc struct {
				ID        string          `json:"id"`
				Address   string          `json:"address"`
				Unit      string          `json:"unit"`
				DependsOn []string        `json:"depends_on"`
				Op        json.RawMessage `json:"op"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("Unmarshal as a document: %v", err)
			}
			wantDoc := []string{want.ID.String(), want.ID.Addr.String(), want.Unit.String()}
			if diff := cmp.Diff(wantDoc, []string{doc.ID, doc.Address, doc.Unit}); diff != "" {
				t.Errorf("id, address and unit in %s (-want +got):\n%s", b, diff)
			}
			if doc.DependsOn == nil {
				t.Errorf("depends_on is not a list in %s", b)
			}
			var op map[string]any
			if err := json.Unmarshal(doc.Op, &op); err != nil {
				t.Fatalf("op %s is not an object: %v", doc.Op, err)
			}
			if op["op"] != k.String() {
				t.Errorf("op.op = %v, want %q", op["op"], k)
			}
			var got Step
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal %s: %v", b, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Unmarshal(Marshal(step)) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStepJSONErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		json   string
	}{
		"no id": {
			reason: "a step without an id cannot be depended on",
			json:   `{"address":"filter.web","unit":"filter.web","depends_on":[],"op":{"op":"delete-filter","filter":{"id":"tmf-1"}}}`,
		},
		"address not the id's": {
			reason: "the address is that of the id",
			json:   `{"id":"filter.web/delete-filter/1","address":"filter.dns","unit":"filter.web","depends_on":[],"op":{"op":"delete-filter","filter":{"id":"tmf-1"}}}`,
		},
		"op not the id's": {
			reason: "the op is that of the id",
			json:   `{"id":"filter.web/delete-filter/1","address":"filter.web","unit":"filter.web","depends_on":[],"op":{"op":"update-filter","filter":{"id":"tmf-1"}}}`,
		},
		"unknown op": {
			reason: "an op this version does not know",
			json:   `{"id":"filter.web/delete-filter/1","address":"filter.web","unit":"filter.web","depends_on":[],"op":{"op":"frobnicate"}}`,
		},
		"no op": {
			reason: "a step is one call",
			json:   `{"id":"filter.web/delete-filter/1","address":"filter.web","unit":"filter.web","depends_on":[]}`,
		},
		"format 1 step": {
			reason: "a step of format 1 has a string action and params",
			json:   `{"id":"filter.web/delete/1","address":"filter.web","kind":"filter","action":"delete","unit":"filter.web","depends_on":[],"target":{"id":"tmf-1"},"params":{}}`,
		},
		"bad dependency": {
			reason: "dependencies are step IDs",
			json:   `{"id":"filter.web/delete-filter/1","address":"filter.web","unit":"filter.web","depends_on":["session.a"],"op":{"op":"delete-filter","filter":{"id":"tmf-1"}}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var s Step
			if err := json.Unmarshal([]byte(tc.json), &s); err == nil {
				t.Errorf("%s\nUnmarshal(%s) = %+v, want an error", tc.reason, tc.json, s)
			}
		})
	}
}

func TestParseApplied(t *testing.T) {
	hash := appliedHash(map[string]any{"tags": map[string]string{}})
	cases := map[string]struct {
		reason string
		v      string
		want   Applied
		ok     bool
	}{
		"hash": {
			reason: "versions before the chain wrote the hash alone",
			v:      "abcdefgh2345", want: Applied{Hash: "abcdefgh2345"}, ok: true,
		},
		"hash and link": {
			reason: "the chain adds a link of 6",
			v:      "abcdefgh2345.mnop67", want: Applied{Hash: "abcdefgh2345", Link: "mnop67"}, ok: true,
		},
		"written by appliedValue": {
			reason: "what the planner writes reads back",
			v:      appliedValue(hash, ""), want: Applied{Hash: hash, Link: appliedValue(hash, "")[13:]}, ok: true,
		},
		"protected hash": {
			reason: "a protected object's value ends in .p",
			v:      "abcdefgh2345.p", want: Applied{Hash: "abcdefgh2345", Protect: true}, ok: true,
		},
		"protected hash and link": {
			reason: "the marker follows the link",
			v:      "abcdefgh2345.mnop67.p", want: Applied{Hash: "abcdefgh2345", Link: "mnop67", Protect: true}, ok: true,
		},
		"written protected": {
			reason: "what the planner writes for a protected object reads back",
			v:      writeApplied(hash, "", true), want: Applied{Hash: hash, Link: appliedValue(hash, "")[13:], Protect: true}, ok: true,
		},
		"marker twice":  {reason: "one marker only", v: "abcdefgh2345.mnop67.p.p"},
		"marker first":  {reason: "the marker is last", v: "abcdefgh2345.p.mnop67"},
		"other marker":  {reason: "p is the only marker", v: "abcdefgh2345.mnop67.q"},
		"marker alone":  {reason: "no hash", v: ".p"},
		"upper marker":  {reason: "lower case", v: "abcdefgh2345.P"},
		"empty":         {reason: "no value", v: ""},
		"short hash":    {reason: "11 characters", v: "abcdefgh234"},
		"long hash":     {reason: "13 characters", v: "abcdefgh23456"},
		"upper case":    {reason: "tmsync writes lower case", v: "ABCDEFGH2345"},
		"not base32":    {reason: "0, 1, 8 and 9 are not base32", v: "abcdefgh2301"},
		"empty link":    {reason: "a dot needs a link", v: "abcdefgh2345."},
		"short link":    {reason: "a link of 5", v: "abcdefgh2345.mnop6"},
		"long link":     {reason: "a link of 7", v: "abcdefgh2345.mnop677"},
		"link not b32":  {reason: "the link is base32", v: "abcdefgh2345.mnop18"},
		"two links":     {reason: "one link only", v: "abcdefgh2345.mnop67.mnop67"},
		"other sep":     {reason: "the separator is a dot", v: "abcdefgh2345-mnop67"},
		"link only":     {reason: "no hash", v: ".mnop67"},
		"space":         {reason: "no spaces", v: "abcdefgh2345 "},
		"other tool":    {reason: "a value some other tool wrote", v: "true"},
		"hash with sep": {reason: "a 12-character value with a dot is no hash", v: "abcdefgh.345"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseApplied(tc.v)
			if ok != tc.ok {
				t.Fatalf("%s\nParseApplied(%q) ok = %v, want %v", tc.reason, tc.v, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nParseApplied(%q) (-want +got):\n%s", tc.reason, tc.v, diff)
			}
			if ok && got.String() != tc.v {
				t.Errorf("%s\nParseApplied(%q).String() = %q", tc.reason, tc.v, got.String())
			}
		})
	}
}

// appliedFixture is a stack touching every input of the applied hash:
// managed and unmanaged name, description and resource group, user tags,
// rules of both directions with and without ports, a filter with no rules,
// VNI set or not, a session on a foreign filter.
func appliedFixture() (*spec.Stack, *cloud.Snapshot) {
	eg := func(prio int, proto, src string) spec.Rule {
		r, err := cloud.CanonicalRule(cloud.Rule{Direction: cloud.Egress, Priority: prio, Action: "drop",
			Protocol: proto, SourceCIDR: src, SourcePort: portFor(proto), DestPort: portFor(proto)}, true)
		if err != nil {
			panic(err)
		}
		return spec.Rule{Rule: r}
	}
	web := filt("web", rl(1, "TCP", "10.0.0.0/24"), rl(2, "ICMP", "10.1.0.0/16"), rl(3, "ALL", ""))
	web.Egress = []spec.Rule{eg(1, "UDP", "192.168.0.0/16"), eg(4, "ALL", "")}
	web.Description, web.ResourceGroupID, web.Tags = "front", "rg-1", cloud.Tags{"team": "a", "env": "prod"}
	bare := filt("bare", rl(7, "UDP", "172.16.0.0/12"))
	bare.Name = ""
	empty := filt("empty")
	a := sess("a", "web", 10, "eni-2", "eni-1")
	a.Description, a.ResourceGroupID, a.Tags, a.VNI = "ids", "rg-2", cloud.Tags{"team": "b"}, intPtr(5)
	b := sess("b", "bare", 20, "eni-3")
	b.Name, b.Enabled, b.PacketLength, b.TargetType, b.TargetID = "", false, 9000, cloud.TargetSLB, "lb-1"
	c := sess("c", "", 30, "eni-4")
	c.FilterID = "tmf-foreign"
	live := emptySnap()
	live.Filters = []cloud.Filter{{ID: "tmf-foreign", Name: "theirs", Status: cloud.StatusCreated}}
	return stk([]*spec.Filter{bare, empty, web}, a, b, c), live
}

// TestAppliedFrozen checks the tmsync:applied values the creates of
// appliedFixture write against those the version before typed ops wrote
// (format 1, commit 6a12085): a hash that moves makes every object an
// earlier version wrote read as drifted.
func TestAppliedFrozen(t *testing.T) {
	want := map[Addr]string{
		FilterAddr("bare"):  "rune4dekoclm.utos7d",
		FilterAddr("empty"): "y7iibilgt77g.4x2ztd",
		FilterAddr("web"):   "x7ixikmrs3df.kuu5zk",
		SessionAddr("a"):    "zkcyjhyu47bi.gdrodh",
		SessionAddr("b"):    "6ekaumaaudus.obsuds",
		SessionAddr("c"):    "2xxscilmd6yr.ekejtp",
	}
	desired, live := appliedFixture()
	p, _ := converge(t, desired, live, Options{})
	got := map[Addr]string{}
	for _, s := range p.Steps {
		switch op := s.Op.(type) {
		case *CreateFilter:
			got[s.Addr()] = op.Tags[cloud.TagApplied]
		case *CreateSession:
			got[s.Addr()] = op.Tags[cloud.TagApplied]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tmsync:applied of the creates (-want +got):\n%s", diff)
	}
}
